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
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Catalogue, ColumnSpec, Project, TableSpec
from .errors import Reject
from .io import InputProblems, SheetRead, YearReader
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
from .reconcile import check_totals
from .reconcile import frame_of as reconcile_frame
from .textenc import _LEGACY_CHARS, _VN_SPECIFIC, LegacyEncodingError, fix_text, normalize_text

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
    #: the sheets' own total rows compared with the kept rows (baocao.reconcile.Check)
    checks: list = field(default_factory=list)

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


# Outcome of one distinct cell value: (ok, typed value, (reason_vi, reason_en) or None, warnings)
_Outcome = tuple


def _convert_one(value: object, col: ColumnSpec, ctx: _Context, header: str) -> _Outcome:
    cache = ctx.cache
    key = None
    if col.type not in _UNCACHED:
        key = (id(col), header, value.__class__, value)  # id: the same name may differ by table
        try:
            hit = cache.get(key)
        except TypeError:  # an unhashable cell value: convert it afresh
            hit, key = None, None
        if hit is not None:
            return hit
    before = len(ctx.warnings)
    try:
        outcome = (True, convert_cell(value, col, ctx, header), None)
    except CellError as exc:
        outcome = (False, None, (exc.reason_vi, exc.reason_en))
    new = tuple(ctx.warnings[before:])
    del ctx.warnings[before:]
    outcome = (*outcome, new)
    if key is not None and len(cache) < _CACHE_LIMIT:
        cache[key] = outcome
    return outcome


_PLAIN_TEXT_BAD = re.compile("[^\\S \n]|  | \n|\n |^ | $|\n#|^#|[\u200b\u200c\u200d\ufeff\u2060]")
_PLAIN_TEXT_BAD_CHAR = re.compile("[^\\S \n\u200b\u200c\u200d\ufeff\u2060]|[\u200b\u200c\u200d\ufeff\u2060]")
_LEGACY_RE = re.compile("[" + re.escape("".join(sorted(_LEGACY_CHARS))) + "]")
_VN_SPECIFIC_RE = re.compile("[" + re.escape("".join(sorted(_VN_SPECIFIC))) + "]")
_DIGITS = re.compile(r"[0-9]+|[1-9][0-9]{0,2}(?:\.[0-9]{3})+")


def _plain_texts(uniques: list) -> np.ndarray:
    """Which values are text that :func:`convert_cell` returns unchanged, with no remark.

    Such text is NFC, holds no whitespace but single inner spaces and no zero-width character,
    starts with no "#" (an Excel error), is not legacy-looking (no character of TCVN3/VNI, or a
    letter only Unicode Vietnamese has) and is not long. Anything else goes the slow way.
    """
    plain = np.fromiter(
        (u.__class__ is str and 0 < len(u) <= LONG_TEXT and (u.isascii() or not _LEGACY_RE.search(u)
                                                            or _VN_SPECIFIC_RE.search(u) is not None)
         for u in uniques), dtype=bool, count=len(uniques))
    idx = np.flatnonzero(plain)
    if not len(idx):
        return plain
    texts = [uniques[i] for i in idx.tolist()]
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1 or not unicodedata.is_normalized("NFC", joined):
        for i in idx:  # rare: check one by one
            u = uniques[i]
            plain[i] = "\n" not in u and unicodedata.is_normalized("NFC", u) and _PLAIN_TEXT_BAD.search(u) is None
        return plain
    bad = [m.start() for m in _PLAIN_TEXT_BAD_CHAR.finditer(joined)]
    for sub in ("  ", " \n", "\n ", "\n#"):
        at = joined.find(sub)
        while at >= 0:
            bad.append(at)
            at = joined.find(sub, at + 1)
    if joined[:1] in (" ", "#"):
        bad.append(0)
    if joined.endswith(" "):
        bad.append(len(joined) - 1)
    if bad:
        bad.sort()
        ends = np.cumsum([len(t) + 1 for t in texts])  # position just after each text's separator
        plain[idx[np.searchsorted(ends, np.asarray(bad), side="right")]] = False
        # a match on a separator may belong to the text before it as well
        seps = [b for b in bad if joined[b] == "\n" or (b + 1 < len(joined) and joined[b + 1] == "\n")]
        if seps:
            plain[idx[np.clip(np.searchsorted(ends, np.asarray(seps), side="right") - 1, 0, None)]] = False
    return plain


@dataclass
class _Converted:
    """A column's distinct values converted: ok, typed value, reasons of the failures, remarks."""

    ok: np.ndarray
    values: np.ndarray  # object; None where not ok
    reasons: dict[int, tuple[str, str]]
    remarks: dict[int, tuple]


def _convert_uniques(uniques: list, col: ColumnSpec, ctx: _Context, header: str) -> _Converted:
    """Each distinct value of a column converted once; common shapes without the general parser."""
    n = len(uniques)
    done = np.zeros(n, dtype=bool)
    ok = np.zeros(n, dtype=bool)
    values = np.empty(n, dtype=object)
    kind = col.type
    if kind == "text" and n > 64:
        plain = _plain_texts(uniques)
        idx = np.flatnonzero(plain)
        values[idx] = [uniques[i] for i in idx.tolist()]
        done |= plain
        ok |= plain
    elif kind in ("integer", "money", "number") and n > 64:
        floor = col.min
        for i, u in enumerate(uniques):
            if u.__class__ is str and _DIGITS.fullmatch(u):
                number = int(u.replace(".", ""))
                if floor is not None and number < floor:
                    continue  # the general path words the message
                values[i] = float(number) if kind == "number" else number
                done[i] = ok[i] = True
    reasons: dict[int, tuple[str, str]] = {}
    remarks: dict[int, tuple] = {}
    for i in np.flatnonzero(~done).tolist():
        good, value, why, warns = _convert_one(uniques[i], col, ctx, header)
        ok[i] = good
        values[i] = value
        if not good:
            reasons[i] = why
        if warns:
            remarks[i] = warns
    return _Converted(ok, values, reasons, remarks)


class _TableRows:
    """A table's data rows from all its reads, column by column: per read, codes into typed values."""

    def __init__(self, spec: TableSpec):
        self.spec = spec
        self.typed: list[list[np.ndarray]] = [[] for _ in spec.columns]  # per read: typed distinct values
        self.codes: list[list[np.ndarray]] = [[] for _ in spec.columns]  # per read: codes into them (-1: failed)
        self.read_of: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.clean: list[np.ndarray] = []


def _convert_read(read: SheetRead, r: int, spec: TableSpec, ctx: _Context, table: _TableRows,
                  problems: dict[int, list], remarks: dict[int, list]) -> None:
    n = read.n_rows
    rows = read.row_numbers.tolist()
    failed = np.zeros(n, dtype=bool)
    for j, col in enumerate(spec.columns):
        header = read.headers.get(col.name, col.header)
        codes, uniques = read.cells.get(col.name) or (np.zeros(n, dtype=np.int64), [None])
        if not n:
            codes, uniques = np.zeros(0, dtype=np.int64), []
        conv = _convert_uniques(uniques, col, ctx, header)
        table.typed[j].append(conv.values)
        table.codes[j].append(np.where(conv.ok[codes], codes, -1) if conv.reasons else codes)
        if conv.reasons:
            row_bad = ~conv.ok[codes]
            failed |= row_bad
            shown: dict[int, str] = {}
            for i in np.flatnonzero(row_bad).tolist():
                k = int(codes[i])
                if k not in shown:
                    shown[k] = _show(uniques[k])
                problems.setdefault(i, []).append(
                    Reject(read.file, read.sheet, rows[i], header, shown[k], *conv.reasons[k]))
        if conv.remarks:
            noted = np.zeros(len(uniques), dtype=bool)
            noted[list(conv.remarks)] = True
            for i in np.flatnonzero(noted[codes]).tolist():
                remarks.setdefault(i, []).extend(
                    dataclasses.replace(w, file=read.file, sheet=read.sheet, row=rows[i]) for w in conv.remarks[int(codes[i])])
    # row rules, over the rows whose every cell could be read
    if spec.checks and n:
        clean_rows = np.flatnonzero(~failed).tolist()
        here = [table.codes[j][-1] for j in range(len(spec.columns))]
        typed = [table.typed[j][-1] for j in range(len(spec.columns))]
        for check in spec.checks:
            code = _compiled(check.rule)
            names = _names(code)
            needed = [j for j, c in enumerate(spec.columns) if c.name in names]
            combos: dict[tuple, bool] = {}
            for i in clean_rows:
                combo = tuple(int(here[j][i]) for j in needed)
                ok = combos.get(combo)
                if ok is None:
                    env = {c.name: typed[j][here[j][i]] for j, c in enumerate(spec.columns)}
                    try:
                        ok = bool(eval(code, {"__builtins__": {}}, env))  # noqa: S307 - rules come from data/reference, not data
                    except TypeError:
                        ok = True  # a value the rule needs is missing; the required-value check speaks for it
                    combos[combo] = ok
                if not ok:
                    problem = Reject(read.file, read.sheet, rows[i], "", "", check.vi, check.en, check.severity)
                    if check.severity == "error":
                        problems.setdefault(i, []).append(problem)
                        failed[i] = True
                    else:
                        remarks.setdefault(i, []).append(problem)
    table.read_of.append(np.full(n, r, dtype=np.int64))
    table.rows.append(read.row_numbers)
    table.clean.append(~failed)


def _names(code) -> set[str]:
    """Every name a compiled rule reads, nested code included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def _typed_codes(table: _TableRows, j: int, offsets_u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(all typed distinct values of column j over the reads, per-row codes into them), rows in reading order."""
    values = np.concatenate(table.typed[j]) if table.typed[j] else np.empty(0, dtype=object)
    parts = [np.where(c >= 0, c + off, -1) for c, off in zip(table.codes[j], offsets_u)]
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return values, codes


def _equal_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """One code per distinct typed value, equal values (as Python compares them) sharing it."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), 0
    index: dict = {}
    try:
        codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))
    except TypeError:  # pragma: no cover - typed values are hashable
        codes = np.arange(len(values), dtype=np.int64)
        return codes, len(values)
    return codes, len(index)


def _row_keys(codes: list[np.ndarray], cards: list[int]) -> np.ndarray:
    """One integer per row, equal for rows whose typed values are all equal."""
    n = len(codes[0]) if codes else 0
    key = np.zeros(n, dtype=np.int64)
    card = 1
    for c, m in zip(codes, cards):
        m = max(m, 1)
        if card * m >= 2**62:
            _u, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64)
            card = int(key.max()) + 1 if n else 1
        key = key * m + c
        card *= m
    return key


def clean_table(spec: TableSpec, reads: list[SheetRead], ctx: _Context) -> tuple[pd.DataFrame, list[Reject], dict]:
    from .io import no_gc

    with no_gc():
        return _clean_table(spec, reads, ctx)


def _clean_table(spec: TableSpec, reads: list[SheetRead], ctx: _Context) -> tuple[pd.DataFrame, list[Reject], dict]:
    rejects: list[Reject] = []
    kept_per_read: dict[tuple[str, str], int] = defaultdict(int)
    rejected_per_read: dict[tuple[str, str], set[int]] = defaultdict(set)
    table = _TableRows(spec)
    per_read: list[tuple[dict, dict]] = []
    for r, read in enumerate(reads):
        problems: dict[int, list] = {}
        remarks: dict[int, list] = {}
        _convert_read(read, r, spec, ctx, table, problems, remarks)
        per_read.append((problems, remarks))

    ncols = len(spec.columns)
    offsets = np.cumsum([0] + [read.n_rows for read in reads])
    total = int(offsets[-1])
    typed, codes, cards = [], [], []
    for j in range(ncols):
        offsets_u = np.cumsum([0] + [len(t) for t in table.typed[j]])[:-1]
        values, c = _typed_codes(table, j, offsets_u)
        equal, card = _equal_codes(values)
        typed.append(values)
        codes.append(c)
        cards.append((equal, card))
    read_of = np.concatenate(table.read_of) if reads else np.zeros(0, dtype=np.int64)
    rows = np.concatenate(table.rows) if reads else np.zeros(0, dtype=np.int64)
    clean = np.concatenate(table.clean) if reads else np.zeros(0, dtype=bool)

    # exact duplicates and one row per unit, over the rows with no problem so far, in reading order
    candidates = np.flatnonzero(clean)
    if len(candidates):
        keys = _row_keys([eq[c[candidates]] for c, (eq, _n) in zip(codes, cards)], [m for _eq, m in cards])
        if spec.one_row_per:
            j_unit = next(j for j, c in enumerate(spec.columns) if c.name == spec.one_row_per)
            seen: dict[int, int] = {}
            seen_one: dict[int, int] = {}
            for pos, g in enumerate(candidates.tolist()):
                _duplicate(g, seen.get(int(keys[pos])), reads, read_of, rows, offsets, per_read)
                read = reads[read_of[g]]
                i = g - offsets[read_of[g]]
                problems = per_read[read_of[g]][0]
                if i not in problems:
                    unit_key = int(cards[j_unit][0][codes[j_unit][g]])
                    first = seen_one.get(unit_key)
                    if first is not None:
                        header = read.headers.get(spec.one_row_per, spec.one_row_per)
                        cells = read.cells.get(spec.one_row_per)
                        raw = cells[1][cells[0][i]] if cells else None
                        where = (reads[read_of[first]].file, int(rows[first]))
                        problems.setdefault(i, []).append(
                            Reject(read.file, read.sheet, int(rows[g]), header, _show(raw),
                                   f"'{_show(raw)}' đã có số liệu ở dòng {where[1]} của tệp {where[0]}; mỗi đơn vị chỉ một dòng",
                                   f"'{_show(raw)}' already has a row ({where[0]}, row {where[1]}); one row each")
                        )
                    else:
                        seen_one[unit_key] = g
                if i not in problems:
                    seen.setdefault(int(keys[pos]), g)
        else:
            _u, first_pos, inverse = np.unique(keys, return_index=True, return_inverse=True)
            first = candidates[first_pos[inverse.reshape(-1)]]
            for pos in np.flatnonzero(first != candidates).tolist():
                _duplicate(int(candidates[pos]), int(first[pos]), reads, read_of, rows, offsets, per_read)

    # problems and remarks in reading order, row by row
    kept = np.ones(total, dtype=bool)
    for r, (read, (problems, remarks)) in enumerate(zip(reads, per_read)):
        key = (read.file, read.sheet)
        for i in sorted(set(problems) | set(remarks)):
            ctx.warnings.extend(remarks.get(i, ()))
            found = problems.get(i)
            if found:
                rejects.extend(found)
                rejected_per_read[key].add(int(read.row_numbers[i]))
                kept[offsets[r] + i] = False
        kept_per_read[key] += read.n_rows - sum(1 for p in problems.values() if p)

    frame = _frame(spec, reads, typed, codes, read_of, rows, np.flatnonzero(kept))
    counts = {"kept": kept_per_read, "rejected": {k: len(v) for k, v in rejected_per_read.items()}}
    return frame, rejects, counts


def _duplicate(g: int, first: int | None, reads, read_of, rows, offsets, per_read) -> None:
    """Row ``g`` has the same values as the kept row ``first`` (if any): rejected across files, a remark within one."""
    if first is None:
        return
    r = int(read_of[g])
    read = reads[r]
    i = int(g - offsets[r])
    problems, remarks = per_read[r]
    where = (reads[read_of[first]].file, reads[read_of[first]].sheet, int(rows[first]))
    if where[0] != read.file:
        problems.setdefault(i, []).append(
            Reject(read.file, read.sheet, int(rows[g]), "", "",
                   f"trùng hoàn toàn với dòng {where[2]} của tệp {where[0]} (sheet '{where[1]}'); không tính hai lần",
                   f"exact duplicate of row {where[2]} of {where[0]} (sheet '{where[1]}'); not counted twice")
        )
    else:
        remarks.setdefault(i, []).append(
            Reject(read.file, read.sheet, int(rows[g]), "", "",
                   f"giống hệt dòng {where[2]} cùng sheet; vẫn tính, hãy kiểm tra có nhập trùng không",
                   f"identical to row {where[2]} of the same sheet; kept, check it is not typed twice",
                   "warning")
        )


def _frame(spec: TableSpec, reads: list[SheetRead], typed_values: list[np.ndarray], codes: list[np.ndarray],
           read_of: np.ndarray, rows: np.ndarray, kept: np.ndarray) -> pd.DataFrame:
    """The kept rows as a typed frame, sorted by source file, sheet and row."""
    columns = [c.name for c in spec.columns] + PROVENANCE
    if not len(kept):
        return _typed(pd.DataFrame([], columns=columns), spec)
    files = sorted({read.file for read in reads})
    sheets = sorted({read.sheet for read in reads})
    file_rank = np.array([files.index(read.file) for read in reads], dtype=np.int64)
    sheet_rank = np.array([sheets.index(read.sheet) for read in reads], dtype=np.int64)
    k_read, k_rows = read_of[kept], rows[kept]
    order = np.lexsort((k_rows, sheet_rank[k_read], file_rank[k_read]))
    k_read, k_rows, kept = k_read[order], k_rows[order], kept[order]
    data = {}
    for j, col in enumerate(spec.columns):
        used, inverse = np.unique(codes[j][kept], return_inverse=True)
        values = pd.Series(typed_values[j][used].tolist())  # inferred as pd.DataFrame(records) would
        if col.type == "date":
            typed = pd.to_datetime(values).astype("datetime64[ns]")
        else:
            typed = values.astype(_DTYPES[col.type])
        data[col.name] = pd.Series(typed.array.take(inverse.reshape(-1)))
    data["source_file"] = pd.Series(pd.array([reads[r].file for r in range(len(reads))], dtype="string").take(k_read))
    data["source_sheet"] = pd.Series(pd.array([reads[r].sheet for r in range(len(reads))], dtype="string").take(k_read))
    data["source_row"] = pd.Series(pd.array(k_rows.tolist(), dtype="Int64"))
    return pd.DataFrame(data, columns=columns)


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
    checks: list = []
    accounting_rows = []
    for name, spec in ref.tables.items():
        reads = reader.read_table(spec)
        frame, table_rejects, counts = clean_table(spec, reads, ctx)
        tables[name] = frame
        rejects.extend(table_rejects)
        checks.extend(check_totals(spec, reads, frame))
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
    ctx.warnings.extend(c.warning() for c in checks if c.is_warning)
    if not reader.problems:
        _warn_missing_areas(project, tables, ctx)
    result = CleanResult(year, tables, rejects, reader.notes + ctx.warnings, accounting, checks)
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
    written.append(write_text(out_dir / "reconciliation.csv", _to_csv(reconcile_frame(result.checks))))
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
