"""Cleaning: raw rows → typed, validated tidy tables, rejects and row accounting.

Driven by ``data/reference/inputs.yml``: each column's type says how a cell is read
(``baocao.parse``), each catalogue what values are allowed, each check what must hold within
a row. Nothing is lost: for every file and sheet, rows read = kept + rejected + blank + total,
and every rejected row is in ``rejects.csv`` with its file, sheet, row, column, value and a
reason in Vietnamese and English. Rows kept with a remark (text converted from a legacy font,
a total that does not add up) are listed in ``warnings.csv``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import Catalogue, ColumnSpec, Project, TableSpec
from .errors import Reject
from .io import InputProblems, RawRow, SheetRead, YearReader
from .parse import (
    ValueParseError,
    area_number,
    excel_error,
    is_blank,
    is_whole_unit,
    parse_date,
    parse_integer,
    parse_money,
    parse_month,
    parse_number,
)
from .textenc import LegacyEncodingError, fix_text, normalize_text

WHOLE_UNIT = "toan-phuong"
PROVENANCE = ["source_file", "source_sheet", "source_row"]
REJECT_COLUMNS = ["file", "sheet", "row", "column", "value", "reason_vi", "reason_en"]
ACCOUNTING_COLUMNS = ["file", "sheet", "table", "header_row", "read", "kept", "rejected", "blank", "total"]
LONG_TEXT = 1000


@dataclass
class CleanResult:
    year: int
    tables: dict[str, pd.DataFrame]
    rejects: list[Reject]
    warnings: list[Reject]
    accounting: pd.DataFrame

    def rejects_frame(self) -> pd.DataFrame:
        return _problems_frame(self.rejects)

    def warnings_frame(self) -> pd.DataFrame:
        return _problems_frame(self.warnings)

    @property
    def rows_rejected(self) -> int:
        return int(self.accounting["rejected"].sum()) if len(self.accounting) else 0


def _problems_frame(problems: list[Reject]) -> pd.DataFrame:
    frame = pd.DataFrame([p.as_record() for p in problems], columns=REJECT_COLUMNS)
    return frame.astype({"row": "string"}).fillna("")


class CellError(Exception):
    def __init__(self, reason_vi: str, reason_en: str):
        self.reason_vi = reason_vi
        self.reason_en = reason_en


@dataclass
class _Context:
    year: int
    project: Project
    catalogues: dict[str, Catalogue]
    warnings: list[Reject] = field(default_factory=list)
    # (column spec, header, type, value) -> outcome of convert_cell: office data repeats its khu,
    # categories, dates and numbers, and a cell's conversion depends on nothing else
    cache: dict = field(default_factory=dict)


_CACHE_LIMIT = 100_000
_UNCACHED = ("text",)  # free text is mostly unique: not worth remembering


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y") if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalize_text(str(value))


# ---------------------------------------------------------------------------- cells
def _match_area(text: str, ctx: _Context, col: ColumnSpec) -> str:
    areas = ctx.project.unit.area_catalogue
    item = areas.match(text)
    if item is not None:
        return item.id
    if col.whole_unit and is_whole_unit(text):
        return WHOLE_UNIT
    number = area_number(text)
    if number is not None:
        for area in areas:
            if area_number(area.name) == number:
                return area.id
    names = ", ".join(a.name for a in areas)
    extra = " hoặc 'Toàn phường'" if col.whole_unit else ""
    extra_en = " or 'Toàn phường'" if col.whole_unit else ""
    shown = _clip(text)
    raise CellError(
        f"khu '{shown}' không có trong danh sách khu dân cư của đơn vị ({names}{extra})",
        f"unknown area '{shown}' (the unit's areas are {names}{extra_en})",
    )


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _match_catalogue(text: str, catalogue: Catalogue, header: str) -> str:
    item = catalogue.match(text)
    if item is None:
        allowed = "; ".join(catalogue.names())
        shown = _clip(text)
        raise CellError(
            f"giá trị '{shown}' không có trong danh mục của cột '{header}' (được phép: {allowed})",
            f"'{shown}' is not an allowed value of column '{header}' (allowed: {allowed})",
        )
    return item.id


def convert_cell(value: object, col: ColumnSpec, ctx: _Context, header: str) -> object:
    """One cell to its typed value; ``None`` for an empty optional cell; CellError otherwise."""
    code = excel_error(value)
    if code:
        raise CellError(
            f"ô có lỗi công thức Excel {code}",
            f"the cell holds the Excel formula error {code}",
        )
    if is_blank(value):
        if col.required:
            raise CellError(
                f"thiếu giá trị ở cột bắt buộc '{header}'",
                f"missing value in required column '{header}'",
            )
        return col.default if col.default is not None else None
    if isinstance(value, str):
        try:
            text, converted = fix_text(value)
        except LegacyEncodingError as exc:
            raise CellError(exc.reason_vi, exc.reason_en) from None
        if converted:
            ctx.warnings.append(
                Reject("", "", None, header, value, f"đã chuyển văn bản từ bảng mã {converted.upper()} sang Unicode",
                       f"text converted from {converted.upper()} to Unicode", "warning")
            )
        value = text
    try:
        kind = col.type
        if kind == "text":
            text = value if isinstance(value, str) else _show(value)
            if len(text) > LONG_TEXT:
                ctx.warnings.append(
                    Reject("", "", None, header, text[:60] + "…",
                           f"ô văn bản dài {len(text)} ký tự (giữ nguyên)",
                           f"a {len(text)}-character text cell (kept as is)", "warning")
                )
            return text
        if kind == "date":
            date = parse_date(value)
            if not col.any_year and date.year != ctx.year:
                raise CellError(
                    f"ngày {date.strftime('%d/%m/%Y')} không thuộc năm báo cáo {ctx.year}",
                    f"date {date.isoformat()} is outside the report year {ctx.year}",
                )
            return date
        if kind == "month":
            return parse_month(value, ctx.year)
        if kind == "year":
            number = parse_integer(value)
            if number not in (ctx.year, ctx.year + 1):
                raise CellError(
                    f"năm {number} không phải năm báo cáo {ctx.year} hay năm sau {ctx.year + 1}",
                    f"year {number} is neither the report year {ctx.year} nor the next {ctx.year + 1}",
                )
            return number
        if kind in ("integer", "money", "number"):
            parser = {"integer": parse_integer, "money": parse_money, "number": parse_number}[kind]
            number = parser(value)
            if col.min is not None and number < col.min:
                what = "số tiền âm" if kind == "money" else f"giá trị nhỏ hơn {col.min}"
                what_en = "a negative amount" if kind == "money" else f"a value below {col.min}"
                raise CellError(f"{what}: {_show(value)}", f"{what_en}: {_show(value)}")
            return number
        text = value if isinstance(value, str) else _show(value)
        if kind == "area":
            return _match_area(text, ctx, col)
        if kind == "organisation":
            return _match_catalogue(text, ctx.project.unit.org_catalogue, header)
        if kind == "category":
            return _match_catalogue(text, ctx.catalogues[col.catalogue], header)
        if kind == "yesno":
            return _match_catalogue(text, ctx.catalogues["yesno"], header) == "yes"
    except ValueParseError as exc:
        raise CellError(exc.reason_vi, exc.reason_en) from None
    raise ValueError(f"unknown column type {col.type!r}")  # a bug in inputs.yml, caught by Reference


# ---------------------------------------------------------------------------- rows and tables
@functools.lru_cache(maxsize=None)
def _compiled(rule: str):
    return compile(rule, f"<inputs.yml check: {rule}>", "eval")


def _check_row(values: dict[str, object], spec: TableSpec) -> list[tuple[str, str, str]]:
    """Row rules of inputs.yml (written by us, evaluated over the row's typed values)."""
    if not spec.checks:
        return []
    failed = []
    env = {c.name: values.get(c.name) for c in spec.columns}
    for check in spec.checks:
        try:
            ok = eval(_compiled(check.rule), {"__builtins__": {}}, env)  # noqa: S307 - rules come from data/reference, not data
        except TypeError:
            ok = True  # a value the rule needs is missing; the required-value check speaks for it
        if not ok:
            failed.append((check.severity, check.vi, check.en))
    return failed


def _key(values: dict[str, object], spec: TableSpec) -> tuple:
    return tuple(values.get(c.name) for c in spec.columns)


def clean_table(spec: TableSpec, reads: list[SheetRead], ctx: _Context) -> tuple[pd.DataFrame, list[Reject], dict]:
    rejects: list[Reject] = []
    kept_records: list[dict] = []
    kept_per_read: dict[tuple[str, str], int] = defaultdict(int)
    rejected_per_read: dict[tuple[str, str], set[int]] = defaultdict(set)
    seen: dict[tuple, tuple[str, str, int]] = {}
    seen_one: dict[object, tuple[str, str, int]] = {}

    for read in reads:
        for raw in read.rows:
            values, problems = _convert_row(raw, spec, ctx, read)
            for severity, vi, en in _check_row(values, spec) if not problems else []:
                problem = Reject(read.file, read.sheet, raw.row, "", "", vi, en, severity)
                (problems if severity == "error" else ctx.warnings).append(problem)
            if not problems:
                key = _key(values, spec)
                where = seen.get(key)
                if where and where[0] != read.file:
                    problems.append(
                        Reject(read.file, read.sheet, raw.row, "", "",
                               f"trùng hoàn toàn với dòng {where[2]} của tệp {where[0]} (sheet '{where[1]}'); không tính hai lần",
                               f"exact duplicate of row {where[2]} of {where[0]} (sheet '{where[1]}'); not counted twice")
                    )
                elif where:
                    ctx.warnings.append(
                        Reject(read.file, read.sheet, raw.row, "", "",
                               f"giống hệt dòng {where[2]} cùng sheet; vẫn tính, hãy kiểm tra có nhập trùng không",
                               f"identical to row {where[2]} of the same sheet; kept, check it is not typed twice",
                               "warning")
                    )
                if spec.one_row_per and not problems:
                    unit_key = values.get(spec.one_row_per)
                    first = seen_one.get(unit_key)
                    if first:
                        header = raw.headers.get(spec.one_row_per, spec.one_row_per)
                        problems.append(
                            Reject(read.file, read.sheet, raw.row, header, _show(raw.values.get(spec.one_row_per)),
                                   f"'{_show(raw.values.get(spec.one_row_per))}' đã có số liệu ở dòng {first[2]} của tệp {first[0]}; mỗi đơn vị chỉ một dòng",
                                   f"'{_show(raw.values.get(spec.one_row_per))}' already has a row ({first[0]}, row {first[2]}); one row each")
                        )
                    else:
                        seen_one[unit_key] = (read.file, read.sheet, raw.row)
                if not problems:
                    seen.setdefault(key, (read.file, read.sheet, raw.row))
            if problems:
                rejects.extend(problems)
                rejected_per_read[(read.file, read.sheet)].add(raw.row)
            else:
                values.update(source_file=read.file, source_sheet=read.sheet, source_row=raw.row)
                kept_records.append(values)
                kept_per_read[(read.file, read.sheet)] += 1

    columns = [c.name for c in spec.columns] + PROVENANCE
    frame = pd.DataFrame(kept_records, columns=columns)
    frame = _typed(frame, spec).sort_values(PROVENANCE, kind="stable").reset_index(drop=True)
    counts = {"kept": kept_per_read, "rejected": {k: len(v) for k, v in rejected_per_read.items()}}
    return frame, rejects, counts


def _convert_row(raw: RawRow, spec: TableSpec, ctx: _Context, read: SheetRead) -> tuple[dict, list[Reject]]:
    values: dict[str, object] = {}
    problems: list[Reject] = []
    cache = ctx.cache
    for col in spec.columns:
        header = raw.headers.get(col.name, col.header)
        value = raw.values.get(col.name)
        key = None
        if col.type not in _UNCACHED:
            key = (id(col), header, value.__class__, value)  # id: the same name may differ by table
            try:
                hit = cache.get(key)
            except TypeError:  # an unhashable cell value: convert it afresh
                hit, key = None, None
            if hit is not None:
                ok, converted, reasons, warnings = hit
                if ok:
                    values[col.name] = converted
                else:
                    problems.append(Reject(read.file, read.sheet, raw.row, header, _show(value), *reasons))
                    values[col.name] = None
                for w in warnings:
                    ctx.warnings.append(dataclasses.replace(w, file=read.file, sheet=read.sheet, row=raw.row))
                continue
        before = len(ctx.warnings)
        try:
            values[col.name] = convert_cell(value, col, ctx, header)
            outcome = (True, values[col.name], None)
        except CellError as exc:
            problems.append(Reject(read.file, read.sheet, raw.row, header, _show(value), exc.reason_vi, exc.reason_en))
            values[col.name] = None
            outcome = (False, None, (exc.reason_vi, exc.reason_en))
        new = ctx.warnings[before:]
        for w in new:
            w.file, w.sheet, w.row = read.file, read.sheet, raw.row
        if key is not None and len(cache) < _CACHE_LIMIT:
            cache[key] = (*outcome, tuple(dataclasses.replace(w) for w in new))
    return values, problems


_DTYPES = {
    "text": "string",
    "area": "string",
    "organisation": "string",
    "category": "string",
    "integer": "Int64",
    "money": "Int64",
    "year": "Int64",
    "month": "Int64",
    "number": "Float64",
    "yesno": "boolean",
}


def _typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    out = frame.copy()
    for col in spec.columns:
        if col.type == "date":
            out[col.name] = pd.to_datetime(out[col.name]).astype("datetime64[ns]")
        else:
            out[col.name] = out[col.name].astype(_DTYPES[col.type])
    out["source_file"] = out["source_file"].astype("string")
    out["source_sheet"] = out["source_sheet"].astype("string")
    out["source_row"] = out["source_row"].astype("Int64")
    return out


# ---------------------------------------------------------------------------- a year
def clean_year(project: Project, year: int, raw_dir: Path | None = None) -> CleanResult:
    """Read and clean every table of ``year``; raise InputProblems on structural errors.

    The InputProblems carries what could be read anyway (``partial``), for ``baocao validate``.
    """
    from .errors import InputError, Location

    ref = project.reference
    raw_dir = raw_dir or project.raw_dir(year)
    folder = _display_folder(project, raw_dir)
    reader = YearReader(raw_dir, ref)
    ctx = _Context(year=year, project=project, catalogues=ref.catalogues)
    if not raw_dir.is_dir():
        raise InputProblems([
            InputError(
                Location(folder),
                f"không có thư mục dữ liệu của năm {year}",
                f"no data folder for year {year}",
                hint_vi=f"tạo thư mục bằng lệnh 'baocao new-year {year}' rồi chép các tệp số liệu vào đó",
                hint_en=f"create it with 'baocao new-year {year}' and copy the year's files into it",
            )
        ], folder=folder)
    reader.check_files()
    tables: dict[str, pd.DataFrame] = {}
    rejects: list[Reject] = []
    accounting_rows = []
    for name, spec in ref.tables.items():
        reads = reader.read_table(spec)
        frame, table_rejects, counts = clean_table(spec, reads, ctx)
        tables[name] = frame
        rejects.extend(table_rejects)
        for read in reads:
            k = (read.file, read.sheet)
            for header in read.extra_headers:
                ctx.warnings.append(
                    Reject(read.file, read.sheet, read.header_row, header, "",
                           "cột không có trong mẫu, bỏ qua", "column not in the template, ignored", "warning")
                )
            accounting_rows.append({
                "file": read.file,
                "sheet": read.sheet,
                "table": name,
                "header_row": read.header_row,
                "read": read.rows_read,
                "kept": counts["kept"].get(k, 0),
                "rejected": counts["rejected"].get(k, 0),
                "blank": read.blank_rows,
                "total": len(read.total_rows),
            })
    reader.check_unused()
    accounting = pd.DataFrame(accounting_rows, columns=ACCOUNTING_COLUMNS)
    accounting = accounting.sort_values(["file", "sheet"], kind="stable").reset_index(drop=True)
    _check_accounting(accounting)
    if not reader.problems:
        _warn_missing_areas(project, tables, ctx)
    result = CleanResult(year, tables, rejects, reader.notes + ctx.warnings, accounting)
    if reader.problems:
        raise InputProblems(reader.problems, folder=folder, partial=result)
    return result


def _display_folder(project: Project, raw_dir: Path) -> str:
    """The year's folder as people should read it: relative to the project when inside it."""
    try:
        return raw_dir.resolve().relative_to(project.root.resolve()).as_posix() + "/"
    except ValueError:
        return raw_dir.as_posix() + "/"


def _check_accounting(accounting: pd.DataFrame) -> None:
    """Nothing lost: read = kept + rejected + blank + total, for every file and sheet."""
    parts = accounting["kept"] + accounting["rejected"] + accounting["blank"] + accounting["total"]
    bad = accounting[accounting["read"] != parts]
    if len(bad):  # pragma: no cover - a bug in baocao, never a data error
        raise AssertionError(f"row accounting does not balance:\n{bad.to_string(index=False)}")


def _warn_missing_areas(project: Project, tables: dict[str, pd.DataFrame], ctx: _Context) -> None:
    ref = project.reference
    for name, spec in ref.tables.items():
        if spec.one_row_per != "area":
            continue
        present = set(tables[name]["area"].dropna())
        for area in project.unit.areas:
            if area.id not in present:
                ctx.warnings.append(
                    Reject("", spec.sources[0].sheet, None, "", area.name,
                           f"chưa có số liệu '{spec.title_vi}' của {area.name}",
                           f"no '{spec.name}' data for {area.name}", "warning")
                )


def write_clean(result: CleanResult, out_dir: Path) -> list[Path]:
    """Tidy tables, rejects, warnings and accounting as UTF-8 CSV (atomic, deterministic)."""
    from .atomic import write_text

    written = []
    for name, frame in sorted(result.tables.items()):
        written.append(write_text(out_dir / f"{name}.csv", _to_csv(frame)))
    written.append(write_text(out_dir / "rejects.csv", _to_csv(result.rejects_frame())))
    written.append(write_text(out_dir / "warnings.csv", _to_csv(result.warnings_frame())))
    written.append(write_text(out_dir / "accounting.csv", _to_csv(result.accounting)))
    return written


def _to_csv(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, lineterminator="\n")


def read_clean(data_dir: Path, project: Project) -> dict[str, pd.DataFrame]:
    """Tidy tables back from build/<year>/data, with their dtypes."""
    tables = {}
    for name, spec in project.reference.tables.items():
        path = data_dir / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        for col in spec.columns:
            if col.type == "date":
                frame[col.name] = pd.to_datetime(frame[col.name], format="%Y-%m-%d").astype("datetime64[ns]")
            elif col.type == "yesno":
                frame[col.name] = frame[col.name].map({"True": True, "False": False}).astype("boolean")
            elif _DTYPES[col.type] in ("Int64", "Float64"):
                frame[col.name] = pd.to_numeric(frame[col.name]).astype(_DTYPES[col.type])
            else:
                frame[col.name] = frame[col.name].astype("string")
        frame["source_row"] = pd.to_numeric(frame["source_row"]).astype("Int64")
        tables[name] = frame
    return tables


# ---------------------------------------------------------------------------- for people
def file_summary(result: CleanResult | None, errors: list | None = None) -> pd.DataFrame:
    """Rows per file (not per sheet): read, kept, rejected, blank, total, warnings, errors.

    Files that could not be read (named by ``errors``) or were only warned about are listed too.
    """
    columns = ["file", "sheets", "read", "kept", "rejected", "blank", "total", "warnings", "errors"]
    rows: dict[str, dict] = {}
    if result is not None and len(result.accounting):
        grouped = result.accounting.groupby("file", sort=True)
        for file, part in grouped:
            rows[file] = {"file": file, "sheets": int(part["sheet"].nunique()),
                          **{k: int(part[k].sum()) for k in ("read", "kept", "rejected", "blank", "total")},
                          "warnings": 0, "errors": 0}
    empty = {"sheets": 0, "read": None, "kept": None, "rejected": None, "blank": None, "total": None,
             "warnings": 0, "errors": 0}
    for w in result.warnings if result is not None else []:
        if w.file:
            rows.setdefault(w.file, {"file": w.file, **empty})["warnings"] += 1
    for e in errors or []:
        file = e.location.file
        rows.setdefault(file, {"file": file, **empty})["errors"] += 1
    frame = pd.DataFrame(sorted(rows.values(), key=lambda r: r["file"]), columns=columns)
    return frame


def problem_lines(errors: list, rejects: list[Reject], warnings: list[Reject]) -> list[str]:
    """One line per problem: where (file, sheet, row, column, value), then why, in Vietnamese and English."""
    from .errors import Location

    lines = []
    for e in errors:
        hint_vi = f" (cách sửa: {e.hint_vi})" if e.hint_vi else ""
        hint_en = f" (to fix: {e.hint_en})" if e.hint_en else ""
        lines.append(f"LỖI / ERROR  {e.location.describe_vi()}: {e.reason_vi}{hint_vi} / {e.reason_en}{hint_en}")
    for label, problems in (("LOẠI / REJECTED", rejects), ("CẢNH BÁO / WARNING", warnings)):
        for p in problems:
            loc = Location(p.file, p.sheet, p.row, p.column, p.value)
            where = loc.describe_vi()
            if not p.file:  # a remark about the year, not about one file
                where = where.removeprefix("tệp ").lstrip(", ") or "số liệu của năm"
            lines.append(f"{label}  {where}: {p.reason_vi} / {p.reason_en}")
    return lines
