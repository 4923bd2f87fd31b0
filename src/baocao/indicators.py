"""The declared figures of ``data/reference/indicators.yml``: what each counts (source table,
files, filter, aggregation) or the formula over other figures, and how it is said (name,
wording, unit, decimals, direction). Loaded and checked against ``inputs.yml`` here;
computed by :mod:`baocao.metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class Indicator:
    """One declared figure of data/reference/indicators.yml: what it counts and how it is said."""

    code: str
    name: str
    unit: str
    direction: str  # "higher" or "lower" is better
    kind: str  # count | money | percent | number
    description: str  # the definition, in words (the report's glossary)
    short: str = ""
    text: str = "{value}"
    decimals: int = 0
    chi_tieu: bool = False  # a chỉ tiêu: targets are set for it, compared year by year
    table: str | None = None
    files: tuple[str, ...] = ()
    where: tuple[tuple[str, object], ...] = ()  # (column, value or tuple of values)
    aggregate: str | None = None  # sum | count | nunique
    column: str | None = None
    fill: tuple[str, ...] = ()
    scale: float = 1
    formula: str | None = None
    #: how a level above compiles it from its members' figures (baocao.aggregate.rollup):
    #: sum | formula (recomputed from the compiled parts) | opening / closing (a balance summed
    #: over the members that held it at the year's start / end) | none (not compiled)
    rollup: str = "sum"

    @property
    def header(self) -> str:
        return self.short or self.name

    @property
    def definition(self) -> str:
        return self.description


@dataclass(frozen=True)
class Breakdown:
    """A declared table of figures broken down by one column (khu, lĩnh vực, hình thức…)."""

    name: str
    title: str
    by: str
    indicators: tuple[str, ...]


_AGGREGATES = ("sum", "count", "nunique")
_INDICATOR_KEYS = {
    "name",
    "short",
    "text",
    "unit",
    "kind",
    "decimals",
    "direction",
    "definition",
    "table",
    "files",
    "where",
    "aggregate",
    "column",
    "fill",
    "scale",
    "formula",
    "rollup",
}


def formula_codes(formula: str) -> list[str]:
    """The figures a formula uses; ConfigError unless it is plain arithmetic over names."""
    import ast

    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(
            f"công thức '{formula}' sai cú pháp", f"formula '{formula}' is not valid: {exc.msg}"
        ) from None
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif not isinstance(
            node,
            (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Constant,
                ast.Load,
                ast.Add,
                ast.Sub,
                ast.Mult,
                ast.Div,
                ast.USub,
                ast.UAdd,
            ),
        ) or (isinstance(node, ast.Constant) and not isinstance(node.value, (int, float))):
            raise ConfigError(
                f"công thức '{formula}' chỉ được dùng + - * / và mã chỉ tiêu",
                f"formula '{formula}' may only use + - * / and figure codes",
            )
    return names


def load_indicators(path: Path, tables: dict, files: dict) -> tuple[dict, dict, dict]:
    """indicators.yml → (chỉ tiêu, every declared figure, breakdowns), each checked against inputs.yml."""
    import string

    from .configschema import IndicatorsFile, load_checked

    data, _model = load_checked(path, IndicatorsFile)
    bad = _Complaint(path)
    chi_tieu = list(data.get("chi_tieu") or ())
    declared: dict[str, Indicator] = {}
    for code, d in (data.get("indicators") or {}).items():
        ind = _indicator(code, d, code in chi_tieu, bad)
        if ind.formula is not None:
            if ind.table or ind.aggregate:
                raise bad(code, "có cả 'formula' lẫn 'table'", "declares both 'formula' and 'table'")
        else:
            _check_source(ind, tables, files, bad)
        if (ind.rollup == "formula") != (ind.formula is not None) and ind.rollup != "none":
            raise bad(
                code,
                "rollup: formula chỉ dùng cho chỉ tiêu có 'formula', và chỉ tiêu có 'formula' phải dùng rollup: formula",
                "rollup: formula goes with a 'formula' figure, and a 'formula' figure rolls up by its formula",
            )
        declared[code] = ind
    for code, ind in declared.items():
        for name in formula_codes(ind.formula) if ind.formula else ():
            if name not in declared:
                raise bad(code, f"công thức dùng mã '{name}' chưa khai báo", f"the formula uses undeclared '{name}'")
        for _lit, field_name, _spec, _conv in string.Formatter().parse(ind.text):
            if field_name and field_name not in ("value", "number", "areas") and field_name not in declared:
                raise bad(code, f"'text' dùng {{{field_name}}} không biết", f"'text' uses unknown {{{field_name}}}")
    order = _formula_order(declared, path)
    declared = {code: declared[code] for code in order}
    for code in chi_tieu:
        if code not in declared:
            raise bad(code, "có trong 'chi_tieu' nhưng chưa khai báo", "listed in 'chi_tieu' but not declared")
    breakdowns = _breakdowns(data.get("breakdowns") or {}, declared, tables, bad)
    return {code: declared[code] for code in chi_tieu}, declared, breakdowns


class _Complaint:
    """A declaration of indicators.yml that cannot be used: the file, the code, what to fix."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self, code: str, vi: str, en: str) -> ConfigError:
        return ConfigError(
            f"{self.path.name}: '{code}': {vi}",
            f"{self.path.name}: '{code}': {en}",
            hint_vi="sửa khai báo theo phần chú thích đầu tệp",
            hint_en="fix the declaration as the comments at the top of the file say",
        )


def _indicator(code: str, d: dict, chi_tieu: bool, bad: _Complaint) -> Indicator:
    """One declaration, with its own keys checked."""
    unknown = set(d) - _INDICATOR_KEYS
    if unknown:
        raise bad(code, f"khóa không biết {sorted(unknown)}", f"unknown keys {sorted(unknown)}")
    for key in ("name", "unit", "kind", "direction", "definition"):
        if not d.get(key):
            raise bad(code, f"thiếu '{key}'", f"'{key}' is missing")
    if d["kind"] not in ("count", "money", "percent", "number") or d["direction"] not in ("higher", "lower"):
        raise bad(code, "kind hoặc direction sai", "wrong kind or direction")
    where = [(col, tuple(value) if isinstance(value, list) else value) for col, value in (d.get("where") or {}).items()]
    return Indicator(
        code=code,
        name=d["name"],
        unit=d["unit"],
        direction=d["direction"],
        kind=d["kind"],
        description=d["definition"],
        short=d.get("short", ""),
        text=d.get("text", "{value}"),
        decimals=int(d.get("decimals", 0)),
        chi_tieu=chi_tieu,
        table=d.get("table"),
        files=tuple(d.get("files") or ()),
        where=tuple(where),
        aggregate=d.get("aggregate"),
        column=d.get("column"),
        fill=tuple(d.get("fill") or ()),
        scale=float(d.get("scale", 1)),
        formula=d.get("formula"),
        rollup=d.get("rollup") or ("formula" if d.get("formula") else "sum"),
    )


def _check_source(ind: Indicator, tables: dict, files: dict, bad: _Complaint) -> None:
    """A figure counted from a table: the table, its columns and files exist in inputs.yml."""
    code = ind.code
    if ind.table not in tables:
        raise bad(code, f"không có bảng '{ind.table}' trong inputs.yml", f"no table '{ind.table}' in inputs.yml")
    columns = {c.name for c in tables[ind.table].columns}
    if ind.aggregate not in _AGGREGATES:
        raise bad(code, f"aggregate phải là {', '.join(_AGGREGATES)}", f"aggregate must be one of {_AGGREGATES}")
    if ind.aggregate != "count" and ind.column not in columns:
        raise bad(
            code,
            f"bảng '{ind.table}' không có cột '{ind.column}'",
            f"table '{ind.table}' has no column '{ind.column}'",
        )
    for col in [c for c, _v in ind.where] + list(ind.fill):
        if col not in columns:
            raise bad(code, f"bảng '{ind.table}' không có cột '{col}'", f"table '{ind.table}' has no column '{col}'")
    for key in ind.files:
        if key not in files:
            raise bad(code, f"không có tệp '{key}' trong inputs.yml", f"no file '{key}' in inputs.yml")


def _breakdowns(data: dict, declared: dict[str, Indicator], tables: dict, bad: _Complaint) -> dict[str, Breakdown]:
    """The declared breakdowns (figures by khu, by organisation …), their column checked."""
    breakdowns: dict[str, Breakdown] = {}
    for name, b in data.items():
        codes = tuple(b.get("indicators") or ())
        for code in codes:
            if code not in declared:
                raise bad(name, f"dùng mã '{code}' chưa khai báo", f"uses undeclared '{code}'")
            for base in base_indicators(declared, code):
                if b.get("by") not in {c.name for c in tables[base.table].columns}:
                    raise bad(
                        name,
                        f"bảng '{base.table}' không có cột '{b.get('by')}'",
                        f"table '{base.table}' has no column '{b.get('by')}'",
                    )
        breakdowns[name] = Breakdown(name, b.get("title", ""), b["by"], codes)
    return breakdowns


def base_indicators(declared: dict[str, Indicator], code: str) -> list[Indicator]:
    """The table-based figures a figure rests on (itself, or those of its formula)."""
    ind = declared[code]
    if ind.formula is None:
        return [ind]
    out: list[Indicator] = []
    for name in formula_codes(ind.formula):
        out += [b for b in base_indicators(declared, name) if b not in out]
    return out


def _formula_order(declared: dict[str, Indicator], path: Path) -> list[str]:
    """Declaration order, except that a figure comes after those its formula uses; no cycles."""
    out: list[str] = []
    visiting: set[str] = set()

    def visit(code: str) -> None:
        if code in out:
            return
        if code in visiting:
            raise ConfigError(
                f"{path.name}: công thức của '{code}' vòng lại chính nó",
                f"{path.name}: the formula of '{code}' refers back to itself",
            )
        visiting.add(code)
        ind = declared[code]
        for name in formula_codes(ind.formula) if ind.formula else ():
            visit(name)
        visiting.discard(code)
        out.append(code)

    for code in declared:
        visit(code)
    return out
