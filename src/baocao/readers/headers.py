"""Finding a table's header row: the row (or pair of rows, with merged cells) that names the most
of its columns among a sheet's first rows, columns matched by name ignoring case, diacritics,
spacing and punctuation, and through the aliases of ``data/reference/inputs.yml``."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..config import ColumnSpec, TableSpec
from ..textenc import fold_key, normalize_text, remove_diacritics
from .grid import HEADER_SEARCH_ROWS, Grid

IGNORED_HEADERS = {fold_key(h) for h in ("STT", "TT", "Số TT", "Số thứ tự", "No", "#")}


def cell_key(value: object) -> str:
    if value is None or not isinstance(value, str):
        return fold_key(str(value)) if value is not None and not isinstance(value, float) else ""
    return fold_key(value)


def _expand_merged_row(grid: Grid, row_index: int) -> list[object]:
    """Row ``row_index`` (0-based) with merged header cells' values spread across their span."""
    row = list(grid.row_at(row_index))
    for min_row, min_col, max_row, max_col in grid.merged:
        if min_row - 1 <= row_index <= max_row - 1:
            top = grid.row_at(min_row - 1)
            value = top[min_col - 1] if min_col - 1 < len(top) else None
            while len(row) < max_col:
                row.append(None)
            for c in range(min_col - 1, max_col):
                row[c] = value
    return row


@functools.cache
def _header_index(spec: TableSpec) -> tuple[tuple[ColumnSpec, frozenset[str]], ...]:
    """Each column of a table with the folded keys of its header and aliases (computed once)."""
    return tuple((col, frozenset(col.header_keys())) for col in spec.columns)


@functools.cache
def _known_keys(spec: TableSpec) -> frozenset[str]:
    return frozenset().union(*(keys for _col, keys in _header_index(spec)))


def _match_headers(cells: list[object], spec: TableSpec) -> tuple[dict[int, ColumnSpec], list[str]]:
    """Map cell positions to spec columns; return unknown headers too."""
    matched: dict[int, ColumnSpec] = {}
    used: set[str] = set()
    extra: list[str] = []
    index = _header_index(spec)
    for i, cell in enumerate(cells):
        key = cell_key(cell)
        if not key:
            continue
        col = next((c for c, keys in index if key in keys and c.name not in used), None)
        if col is not None:
            matched[i] = col
            used.add(col.name)
        elif key not in IGNORED_HEADERS:
            extra.append(normalize_text(str(cell)))
    return matched, extra


_SUB_TOTAL = {fold_key(t) for t in ("Tổng số", "Tổng", "Tổng cộng", "Số lượng", "Cộng", "Số")}
_SUB_PART = re.compile(r"trongdo.*|nu|nam|dantoc|tongiao|treem|nguoicaotuoi")


def _sub_header(text: object) -> str | None:
    """What a cell under a merged header is: "total" ("Tổng số"), "part" ("Trong đó: nữ"), or None."""
    key = cell_key(text)
    if key in _SUB_TOTAL:
        return "total"
    if _SUB_PART.fullmatch(key):
        return "part"
    return None


@dataclass
class HeaderMatch:
    row: int  # 0-based index of the last header row
    columns: dict[int, ColumnSpec]
    headers: dict[str, str]
    extra: list[str]
    score: int


def find_header(grid: Grid, spec: TableSpec) -> HeaderMatch | None:
    """The row that names the most spec columns (a two-row header counts as one)."""
    best: HeaderMatch | None = None
    limit = min(grid.height, HEADER_SEARCH_ROWS)
    known = _known_keys(spec)
    for r in range(limit):
        candidates = [_expand_merged_row(grid, r)]
        if r > 0:
            # A header over two rows: "Hộ nghèo" merged above "Đầu năm" / "Cuối năm", or "Kết quả"
            # above "Số cuộc": per column, the pair read together if it names a column, else the
            # lower cell, else the upper one.
            above = _expand_merged_row(grid, r - 1)
            below = candidates[0]
            width = max(len(above), len(below))
            combined: list[object] = []
            for c in range(width):
                a = above[c] if c < len(above) else None
                b = below[c] if c < len(below) else None
                if a in (None, "") or b in (None, "") or a == b:
                    combined.append(b if b not in (None, "") else a)
                    continue
                pair = f"{a} {b}"
                if cell_key(pair) in known:
                    combined.append(pair)
                elif cell_key(a) in known and cell_key(b) not in known and _sub_header(b) is not None:
                    # "Số lượt người" over "Tổng số" | "Trong đó: nữ": the total is the column; a
                    # breakdown under it ("of whom women") is no column of the table, never read
                    combined.append(a if _sub_header(b) == "total" else None)
                elif cell_key(b) in known or cell_key(a) not in known:
                    combined.append(b)
                else:
                    combined.append(a)
            candidates.append(combined)
        for cells in candidates:
            columns, extra = _match_headers(cells, spec)
            score = len(columns)
            if score and (best is None or score > best.score or (score == best.score and len(extra) < len(best.extra))):
                headers = {col.name: normalize_text(str(cells[i])) for i, col in columns.items()}
                best = HeaderMatch(r, columns, headers, extra, score)
    if best is None:
        return None
    required = [c for c in spec.columns if c.required]
    needed = min(len(spec.columns), max(1, min(2, len(required))))
    return best if best.score >= needed else None


_TITLE_YEAR = re.compile(r"\bnam\s*((?:19|20)\d{2})(?!\d)")
_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})")


def title_year(grid: Grid, header_row: int, year: int) -> tuple[int, str, str, str] | None:
    """(row, column letter, text, years) of the title above the header (rows before
    ``header_row``, as Excel numbers them) when the title names a year ("BẢNG THEO DÕI HOẠT ĐỘNG
    NĂM 2022") and never the report ``year`` (nor a range holding it, "nhiệm kỳ 2019-2024")."""
    from openpyxl.utils.cell import get_column_letter

    named: list[tuple[int, int, str, int]] = []
    for r in range(header_row - 1):
        for c, value in enumerate(grid.row_at(r)):
            if not isinstance(value, str) or not any(ch.isdigit() for ch in value):
                continue
            key = remove_diacritics(value).lower()
            for a, b in _YEAR_RANGE.findall(key):
                if int(a) <= year <= int(b):
                    return None
            for y in _TITLE_YEAR.findall(key):
                named.append((r + 1, c, normalize_text(value), int(y)))
    if not named or any(y == year for *_rest, y in named):
        return None
    row, col, text, _y = named[0]
    shown = ", ".join(str(y) for y in sorted({y for *_rest, y in named}))
    return row, get_column_letter(col + 1), text, shown
