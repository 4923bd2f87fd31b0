"""Readers: the offices' workbooks and CSV files, as a person sees them.

A reader finds each table's sheet, finds the header row wherever it sits among the first rows
(title rows above it; a header split over two rows with merged cells), matches columns by
name ignoring case, diacritics, spacing and the aliases of ``data/reference/inputs.yml``, and
yields every row below it with the row number Excel shows. Blank rows and total rows ("Tổng
cộng", "Cộng") are recognised and counted, never passed on to be summed again.

Structural problems (a file that cannot be opened, a missing file or sheet, a missing required
column) are collected as :class:`InputError` and raised together as :class:`InputProblems`:
the data cannot build until a person fixes them. Row-level problems are the cleaner's. What
the reader could read but a person should know about (a CSV converted from a legacy encoding,
a sheet read under another name, a file that matches no input) is kept in
:attr:`YearReader.notes` as warnings.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import gc
import io as _io
import itertools
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .config import AUX_SHEETS, ColumnSpec, Reference, SourceSpec, TableSpec
from .errors import BaocaoError, InputError, Location, Reject
from .parse import is_blank, is_total_row_label
from .textenc import decode_csv_bytes, fold_key, normalize_text

HEADER_SEARCH_ROWS = 20
IGNORED_HEADERS = {fold_key(h) for h in ("STT", "TT", "Số TT", "Số thứ tự", "No", "#")}
#: Sheets of the office templates (``baocao new-year``) that hold no data.
_AUX_KEYS = {fold_key(s) for s in AUX_SHEETS}
#: Other files a year's folder holds besides the workbooks (read by baocao.narrative).
TEXT_FILES = ("thong-tin-bao-cao.yml", "nhan-dinh.md")  # = narrative.META_FILE, NARRATIVE_FILE
_ENCODING_NAMES = {  # encoding → (Vietnamese name, English name)
    "tcvn3": ("TCVN3 (ABC, phông .VnTime)", "TCVN3 (ABC, the .VnTime fonts)"),
    "vni": ("VNI-Windows (phông VNI-Times)", "VNI-Windows (the VNI-Times fonts)"),
    "cp1258": ("Windows-1258", "Windows-1258"),
}


class InputProblems(BaocaoError):
    """Several structural input errors at once: one message, one line (and a hint) each.

    ``folder`` is the year's raw folder as people should read it; ``partial`` is what could be
    read anyway (a :class:`baocao.clean.CleanResult`), so that ``validate`` can still show it.
    """

    exit_code = 1

    def __init__(self, errors: list[InputError], *, folder: str = "", partial: object = None):
        self.errors = errors
        self.folder = folder
        self.partial = partial
        n = len(errors)
        super().__init__(
            f"số liệu{f' trong {folder}' if folder else ''} chưa dùng được: {n} lỗi về tệp, sheet hoặc cột",
            f"the data{f' in {folder}' if folder else ''} cannot be used: {n} error(s) in files, sheets or columns",
        )

    def render(self) -> str:  # type: ignore[override]
        errors = getattr(self, "errors", None)
        if not errors:
            return super().render()
        lines = [f"Lỗi: {self.message_vi}:"]
        for e in errors:
            lines.append(f"  - {e.message_vi}")
            if e.hint_vi:
                lines.append(f"    Cách sửa: {e.hint_vi}")
        lines.append(f"Error: {self.message_en}:")
        for e in errors:
            lines.append(f"  - {e.message_en}")
            if e.hint_en:
                lines.append(f"    To fix: {e.hint_en}")
        return "\n".join(lines)

    def __reduce__(self):  # picklable across processes (parallel builds); the partial result stays behind
        flat = [(vars(e.location), e.reason_vi, e.reason_en, e.hint_vi, e.hint_en) for e in self.errors]
        return (_rebuild_problems, (flat, self.folder))


def _rebuild_problems(flat: list[tuple], folder: str) -> "InputProblems":
    errors = [InputError(Location(**loc), vi, en, hint_vi=hvi, hint_en=hen) for loc, vi, en, hvi, hen in flat]
    return InputProblems(errors, folder=folder)


@dataclass
class RawRow:
    row: int  # 1-based row number as Excel shows it
    values: dict[str, object]  # spec column name -> raw cell value
    headers: dict[str, str]  # spec column name -> header as written in the file


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: reading a large file allocates millions of small
    objects and no cycles, and the collector's passes over them cost more than the reading."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def factorize(values: Sequence[object]) -> tuple[np.ndarray, list]:
    """(codes, distinct values): ``values[i]`` is ``uniques[codes[i]]``.

    Values are told apart by class as well as by value (1, 1.0 and True are three values);
    an unhashable value is its own distinct value.
    """
    index: dict = {}
    uniques: list = []
    codes = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        key = (value.__class__, value)
        try:
            code = index.get(key)
        except TypeError:
            code, key = None, None
        if code is None:
            code = len(uniques)
            uniques.append(value)
            if key is not None:
                index[key] = code
        codes[i] = code
    return codes, uniques


@dataclass
class Columns:
    """A sheet column by column: cell ``[r][j]`` is ``uniques[j][codes[j][r]]`` (None past a row's end)."""

    nrows: int
    codes: list[np.ndarray]
    uniques: list[list]

    @classmethod
    def from_rows(cls, rows: list[list[object]]) -> "Columns":
        n = len(rows)
        codes, uniques = [], []
        for column in itertools.zip_longest(*rows):
            c, u = factorize(column)
            codes.append(c)
            uniques.append(u)
        return cls(n, codes, uniques)

    @property
    def width(self) -> int:
        return len(self.codes)

    def column(self, j: int, rows: np.ndarray | slice) -> tuple[np.ndarray, list]:
        """Column ``j`` at ``rows``, its codes renumbered over the values that occur there."""
        if j >= self.width:
            n = len(range(self.nrows)[rows]) if isinstance(rows, slice) else len(rows)
            return np.zeros(n, dtype=np.int64), [None]
        codes = self.codes[j][rows]
        uniques = self.uniques[j]
        if len(uniques) <= 1 or len(codes) == 0:
            return codes, uniques if len(codes) else []
        present = np.zeros(len(uniques), dtype=bool)
        present[codes] = True
        if present.all():
            return codes, uniques
        kept = np.flatnonzero(present).tolist()
        renumber = np.cumsum(present) - 1
        return renumber[codes], [uniques[k] for k in kept]


@dataclass
class SheetRead:
    """One table read from one sheet (or CSV file), with its row accounting.

    The data rows are kept column by column: ``row_numbers`` (as Excel shows them) and, per spec
    column found in the header, ``cells[name] = (codes, uniques)``.
    """

    table: str
    file: str  # relative to the year's raw folder
    sheet: str
    header_row: int
    headers: dict[str, str]
    extra_headers: list[str] = field(default_factory=list)
    row_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cells: dict[str, tuple[np.ndarray, list]] = field(default_factory=dict)
    blank_rows: int = 0
    total_rows: list[int] = field(default_factory=list)
    #: The total rows' cells, as ``cells`` (one entry per total row, in ``total_rows`` order):
    #: kept so that the office's own totals can be compared with the rows (baocao.reconcile).
    total_cells: dict[str, tuple[np.ndarray, list]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)

    @property
    def rows(self) -> list[RawRow]:
        """The data rows one by one (for small tables and for people)."""
        out = []
        for k, row in enumerate(self.row_numbers.tolist()):
            values = {name: uniques[codes[k]] for name, (codes, uniques) in self.cells.items()}
            out.append(RawRow(row, values, self.headers))
        return out

    @property
    def rows_read(self) -> int:
        return self.n_rows + self.blank_rows + len(self.total_rows)


# ---------------------------------------------------------------------------- grid sources
@dataclass
class Grid:
    """A sheet as a list of rows of cell values, with merged ranges (for headers)."""

    name: str
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col (1-based)
    encoding: str | None = None  # CSV only: the encoding the bytes were read with
    #: Every row column by column. A CSV file's grid holds only its first rows in ``rows`` (for
    #: the header search) and all of them here; a workbook's is made from ``rows`` when needed.
    columns: Columns | None = None

    def columnar(self) -> Columns:
        if self.columns is None:
            self.columns = Columns.from_rows(self.rows)
        return self.columns


def _not_xlsx_reason(path: Path) -> tuple[str, str] | None:
    """What a file named .xlsx really is, when its first bytes say it is no .xlsx at all."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK"):
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ("tệp là Excel 97-2003 (.xls) đổi đuôi, hoặc tệp Excel có đặt mật khẩu",
                "the file is an Excel 97-2003 (.xls) file renamed, or a password-protected workbook")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<", b"<!doctype")):
        return ("tệp là trang HTML/XML đổi đuôi .xlsx, không phải tệp Excel",
                "the file is an HTML/XML page renamed to .xlsx, not an Excel workbook")
    if head and b"\x00" not in head:
        return ("tệp là văn bản (có thể là CSV) đổi đuôi .xlsx, không phải tệp Excel",
                "the file is plain text (perhaps CSV) renamed to .xlsx, not an Excel workbook")
    return None


def _open_xlsx(path: Path, rel: str) -> list[Grid]:
    import openpyxl  # imported here: it is the slow import of this module

    def unreadable(detail_vi: str, detail_en: str) -> InputError:
        return InputError(
            Location(rel),
            f"không mở được tệp Excel: {detail_vi}",
            f"cannot open the Excel file: {detail_en}",
            hint_vi="mở tệp bằng Excel, lưu lại dưới dạng Excel Workbook (.xlsx) rồi chép lại vào thư mục số liệu",
            hint_en="open it in Excel, save it again as an Excel Workbook (.xlsx) and copy it back into the data folder",
        )

    what = _not_xlsx_reason(path)
    if what is not None:
        raise unreadable(*what)
    grids = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's "extension not supported" chatter
            wb = openpyxl.load_workbook(path, data_only=True, read_only=False)
            try:
                for ws in wb.worksheets:
                    rows = [list(r) for r in ws.iter_rows(values_only=True)]
                    merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
                    grids.append(Grid(ws.title, rows, merged))
            finally:
                wb.close()
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to open is the file's, told as such
        detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        raise unreadable(
            f"tệp bị hỏng hoặc chưa lưu xong ({detail})",
            f"the file is damaged or was not completely saved ({detail})",
        ) from None
    return grids


def _open_csv(path: Path, rel: str) -> list[Grid]:
    data = path.read_bytes()
    if not data.strip():
        return [Grid("", [])]
    try:
        text, encoding = decode_csv_bytes(data)
    except ValueError as exc:
        raise InputError(
            Location(rel),
            getattr(exc, "reason_vi", f"không đọc được bảng mã của tệp CSV: {exc}"),
            getattr(exc, "reason_en", f"cannot decode the CSV file: {exc}"),
            hint_vi="lưu lại tệp dưới dạng CSV UTF-8",
            hint_en="save the file again as CSV UTF-8",
        ) from None
    del data
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    with no_gc():
        head, columns = _csv_columns(text, dialect)
    return [Grid("", head, columns=columns, encoding=encoding)]


_CSV_CHUNK_ROWS = 50_000
_TEXT_PIECE = 1 << 20


def _text_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as ``io.StringIO(text)`` gives them, without copying all of it at once."""
    def pieces() -> Iterator[str]:
        start, n = 0, len(text)
        while start < n:
            end = text.find("\n", start + _TEXT_PIECE)
            end = n if end < 0 else end + 1
            yield text[start:end]
            start = end

    return itertools.chain.from_iterable(map(_io.StringIO, pieces()))


def _csv_columns(text: str, dialect) -> tuple[list[list[object]], Columns]:
    """A CSV text's first rows (empty cells as None) and all its rows column by column."""
    import pandas as pd

    reader = csv.reader(_text_lines(text), dialect)
    head: list[list[object]] = []
    chunks: list[tuple[int, list[tuple[np.ndarray, np.ndarray]]]] = []  # (rows, per column (codes, uniques))
    nrows = 0
    width = 0
    while True:
        chunk = list(itertools.islice(reader, _CSV_CHUNK_ROWS))
        if not chunk:
            break
        if len(head) < HEADER_SEARCH_ROWS:
            head.extend([c if c != "" else None for c in r] for r in chunk[: HEADER_SEARCH_ROWS - len(head)])
        columns = []
        for column in itertools.zip_longest(*chunk):
            values = np.empty(len(chunk), dtype=object)
            values[:] = column
            codes, uniques = pd.factorize(values)  # None (past a row's end) → -1
            columns.append((codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)))
        chunks.append((len(chunk), columns))
        nrows += len(chunk)
        width = max(width, len(columns))
        del chunk
    all_codes, all_uniques = [], []
    for j in range(width):
        parts = [cols[j][1] for _n, cols in chunks if j < len(cols)]
        merged = np.concatenate(parts) if parts else np.empty(0, dtype=object)
        to_global, uniques = pd.factorize(merged)
        uniques = list(np.asarray(uniques, dtype=object))
        none = len(uniques)
        uniques.append(None)
        if "" in uniques[:-1]:  # an empty cell is None, as in a workbook
            to_global = np.where(to_global == uniques.index(""), none, to_global)
        to_global = np.append(to_global, none)  # index -1 → None
        codes = np.empty(nrows, dtype=np.int64)
        start = offset = 0
        for n, cols in chunks:
            if j < len(cols):
                local, local_uniques = cols[j]
                local = np.where(local < 0, len(to_global) - 1 - offset, local)
                codes[start : start + n] = to_global[local + offset]
                offset += len(local_uniques)
            else:
                codes[start : start + n] = none
            start += n
        all_codes.append(codes)
        all_uniques.append(uniques)
    return head, Columns(nrows, all_codes, all_uniques)


def open_grids(path: Path, rel: str) -> list[Grid]:
    if path.stat().st_size == 0:
        raise InputError(
            Location(rel),
            "tệp rỗng (0 byte)",
            "the file is empty (0 bytes)",
            hint_vi="gửi lại tệp có dữ liệu, hoặc xóa tệp khỏi thư mục",
            hint_en="send the file again with its data, or remove it from the folder",
        )
    suffix = path.suffix.lower()
    if suffix == ".xlsx" or suffix == ".xlsm":
        return _open_xlsx(path, rel)
    if suffix == ".csv":
        return _open_csv(path, rel)
    raise InputError(
        Location(rel),
        f"định dạng tệp '{suffix}' không được hỗ trợ",
        f"file type '{suffix}' is not supported",
        hint_vi="lưu tệp dưới dạng .xlsx (Excel) hoặc .csv (UTF-8)",
        hint_en="save it as .xlsx (Excel) or .csv (UTF-8)",
    )


# ---------------------------------------------------------------------------- header finding
def _cell_key(value: object) -> str:
    if value is None or not isinstance(value, str):
        return fold_key(str(value)) if value is not None and not isinstance(value, float) else ""
    return fold_key(value)


def _expand_merged_row(grid: Grid, row_index: int) -> list[object]:
    """Row ``row_index`` (0-based) with merged header cells' values spread across their span."""
    row = list(grid.rows[row_index]) if row_index < len(grid.rows) else []
    for min_row, min_col, max_row, max_col in grid.merged:
        if min_row - 1 <= row_index <= max_row - 1:
            value = grid.rows[min_row - 1][min_col - 1] if min_col - 1 < len(grid.rows[min_row - 1]) else None
            while len(row) < max_col:
                row.append(None)
            for c in range(min_col - 1, max_col):
                row[c] = value
    return row


@functools.lru_cache(maxsize=None)
def _header_index(spec: TableSpec) -> tuple[tuple[ColumnSpec, frozenset[str]], ...]:
    """Each column of a table with the folded keys of its header and aliases (computed once)."""
    return tuple((col, frozenset(col.header_keys())) for col in spec.columns)


@functools.lru_cache(maxsize=None)
def _known_keys(spec: TableSpec) -> frozenset[str]:
    return frozenset().union(*(keys for _col, keys in _header_index(spec)))


def _match_headers(cells: list[object], spec: TableSpec) -> tuple[dict[int, ColumnSpec], list[str]]:
    """Map cell positions to spec columns; return unknown headers too."""
    matched: dict[int, ColumnSpec] = {}
    used: set[str] = set()
    extra: list[str] = []
    index = _header_index(spec)
    for i, cell in enumerate(cells):
        key = _cell_key(cell)
        if not key:
            continue
        col = next((c for c, keys in index if key in keys and c.name not in used), None)
        if col is not None:
            matched[i] = col
            used.add(col.name)
        elif key not in IGNORED_HEADERS:
            extra.append(normalize_text(str(cell)))
    return matched, extra


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
    limit = min(len(grid.rows), HEADER_SEARCH_ROWS)
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
                if _cell_key(pair) in known:
                    combined.append(pair)
                elif _cell_key(b) in known or _cell_key(a) not in known:
                    combined.append(b)
                else:
                    combined.append(a)
            candidates.append(combined)
        for cells in candidates:
            columns, extra = _match_headers(cells, spec)
            score = len(columns)
            if score and (best is None or score > best.score):
                headers = {col.name: normalize_text(str(cells[i])) for i, col in columns.items()}
                best = HeaderMatch(r, columns, headers, extra, score)
    if best is None:
        return None
    required = [c for c in spec.columns if c.required]
    needed = min(len(spec.columns), max(1, min(2, len(required))))
    return best if best.score >= needed else None


# ---------------------------------------------------------------------------- reading a table
def _row_is_blank(cells: Iterable[object]) -> bool:
    return all(is_blank(c) for c in cells)


def _row_is_total(cells: list[object], columns: dict[int, ColumnSpec]) -> bool:
    """A total row: a total label in a text position, and no date in the row."""
    for i, cell in enumerate(cells):
        if isinstance(cell, str) and is_total_row_label(cell):
            col = columns.get(i)
            if col is None or col.type in ("text", "area", "category", "organisation", "date", "month"):
                return True
    return False


def read_sheet(grid: Grid, spec: TableSpec, rel: str, source: SourceSpec) -> SheetRead:
    match = find_header(grid, spec)
    sheet_label = grid.name or source.sheet
    if match is None:
        expected = ", ".join(f"'{c.header}'" for c in spec.columns if c.required)
        raise InputError(
            Location(rel, grid.name),
            f"không tìm thấy dòng tiêu đề của bảng '{spec.title_vi}' trong {HEADER_SEARCH_ROWS} dòng đầu "
            f"(cần các cột {expected})",
            f"no header row of table '{spec.name}' in the first {HEADER_SEARCH_ROWS} rows (expected columns {expected})",
            hint_vi="đặt các tiêu đề cột như trong mẫu (baocao new-year) ở một dòng phía trên dữ liệu",
            hint_en="put the column headers of the template (baocao new-year) on one row above the data",
        )
    missing = [c for c in spec.columns if c.required and c.name not in match.headers]
    if missing:
        col = missing[0]
        names = ", ".join(f"'{c.header}'" for c in missing)
        aliases = "; ".join(f"{c.header}: {', '.join(c.aliases) or '—'}" for c in missing)
        raise InputError(
            Location(rel, grid.name, match.row + 1, col.header),
            f"thiếu cột bắt buộc {names} ở dòng tiêu đề",
            f"required column(s) {names} missing from the header row",
            hint_vi=f"thêm cột với đúng tiêu đề (các tên khác được chấp nhận: {aliases})",
            hint_en=f"add the column with that header (other accepted names: {aliases})",
        )
    read = SheetRead(
        table=spec.name,
        file=rel,
        sheet=sheet_label,
        header_row=match.row + 1,
        headers=match.headers,
        extra_headers=match.extra,
    )
    with no_gc():
        _read_rows(grid.columnar(), match, read)
    return read


_TOTAL_TYPES = ("text", "area", "category", "organisation", "date", "month")


def _per_value(uniques: list, test, needs_test: "re.Pattern[str]") -> np.ndarray:
    """``test`` of each value; text whose start ``needs_test`` does not match is False untested."""
    n = len(uniques)
    out = np.zeros(n, dtype=bool)
    if n <= 64:
        for i, u in enumerate(uniques):
            out[i] = test(u)
        return out
    values = np.empty(n, dtype=object)
    values[:] = uniques
    is_text = np.fromiter(map(type, uniques), dtype=object, count=n) == str
    texts = np.flatnonzero(is_text)
    strings = values[texts].tolist()
    joined = "\n".join(strings)
    check = np.flatnonzero(~is_text).tolist()
    if joined.count("\n") == len(strings) - 1:  # no text holds a line break: one search over all
        found = [m.start() + 1 for m in needs_test.finditer(joined)]  # a separator, then the text
        if strings:
            found.insert(0, 0)  # the first text has no separator before it: always tested
            starts = np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)) + 1) - 1
            check += texts[np.searchsorted(starts, found)].tolist()
    else:
        check += texts.tolist()
    for i in check:
        out[i] = test(uniques[i])
    return out


# Text that may be blank (not starting with a letter or digit), or a total label (also "T", "C", "G", "S").
_MAYBE_BLANK = re.compile(r"\n(?![^\W_])")
_MAYBE_TOTAL = re.compile(r"\n(?:[TtCcGgSs]|(?![^\W_]))")


def _is_total_cell(value: object) -> bool:
    return isinstance(value, str) and is_total_row_label(value)


def _read_rows(table: Columns, match: HeaderMatch, read: SheetRead) -> None:
    """The rows below the header: blank, total or data (column by column, each distinct value once)."""
    start = match.row + 1
    n = max(table.nrows - start, 0)
    below = slice(start, start + n)
    blank = np.ones(n, dtype=bool)  # every cell of the row blank
    total = np.zeros(n, dtype=bool)  # a total label in a text position
    table_blank = np.ones(n, dtype=bool)  # every cell in the table's columns blank
    for j in range(table.width):
        codes, uniques = table.column(j, below)
        if not len(codes):
            continue
        is_blank_here = _per_value(uniques, is_blank, _MAYBE_BLANK)[codes]
        blank &= is_blank_here
        if j in match.columns:
            table_blank &= is_blank_here
        col = match.columns.get(j)
        if col is None or col.type in _TOTAL_TYPES:
            total |= _per_value(uniques, _is_total_cell, _MAYBE_TOTAL)[codes]
    # Rows up to the last non-empty one; trailing empty rows are not data.
    filled = np.flatnonzero(~blank)
    last = int(filled[-1]) + 1 if len(filled) else 0
    blank, total, table_blank = blank[:last], total[:last], table_blank[:last]
    is_total = ~blank & total
    is_data = ~blank & ~total & ~table_blank
    read.blank_rows = int(blank.sum()) + int((~blank & ~total & table_blank).sum())  # + a note in the margin only
    read.total_rows = (np.flatnonzero(is_total) + start + 1).tolist()
    totals = np.flatnonzero(is_total) + start
    read.total_cells = {col.name: table.column(i, totals) for i, col in match.columns.items()}
    rows = np.flatnonzero(is_data) + start
    read.row_numbers = rows + 1
    read.cells = {col.name: table.column(i, rows) for i, col in match.columns.items()}


def _find_sheet(grids: list[Grid], source: SourceSpec) -> Grid | None:
    keys = source.sheet_keys()
    for grid in grids:
        if fold_key(grid.name) in keys:
            return grid
    return None


def source_files(raw_dir: Path, pattern: str) -> list[Path]:
    """Files of one kind in the year's folder: the pattern, or the same name as .csv."""
    stem_pattern = pattern.rsplit(".", 1)[0]
    found = []
    for path in sorted(raw_dir.iterdir()) if raw_dir.is_dir() else []:
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue
        name = path.name.lower()
        if fnmatch.fnmatch(name, pattern.lower()) or fnmatch.fnmatch(name, stem_pattern.lower() + ".csv") or (
            fnmatch.fnmatch(name, stem_pattern.lower() + "--*.csv")
        ):
            found.append(path)
    return found


def _csv_sheet_hint(path: Path) -> str | None:
    """``mttq-phuong--giam-sat.csv`` names its sheet after ``--``."""
    stem = path.stem
    return stem.split("--", 1)[1] if "--" in stem else None


def _warning(file: str, sheet: str, reason_vi: str, reason_en: str, *, row: int | None = None,
             column: str = "", value: str = "") -> Reject:
    return Reject(file, sheet, row, column, value, reason_vi, reason_en, "warning")


def _pattern_prefix(pattern: str) -> str:
    """The folded literal start of a file pattern: "ban-ctmt-khu-*.xlsx" → "banctmtkhu"."""
    return fold_key(pattern.rsplit(".", 1)[0].split("*", 1)[0])


class YearReader:
    """Reads every table of one year's raw folder, opening each file once.

    ``problems`` collects the structural errors (the year cannot build until they are fixed);
    ``notes`` the warnings about files and sheets (the data is read, but a person should look).
    """

    def __init__(self, raw_dir: Path, reference: Reference):
        self.raw_dir = raw_dir
        self.reference = reference
        self._grids: dict[Path, list[Grid] | None] = {}
        self._files: dict[str, list[Path]] = {}
        self.problems: list[InputError] = []
        self.notes: list[Reject] = []
        self.used: set[Path] = set()
        self._used_sheets: dict[Path, set[str]] = {}

    def rel(self, path: Path) -> str:
        return path.relative_to(self.raw_dir).as_posix()

    def grids(self, path: Path) -> list[Grid] | None:
        if path not in self._grids:
            try:
                grids = open_grids(path, self.rel(path))
            except InputError as exc:
                self.problems.append(exc)
                grids = None
            self._grids[path] = grids
            encoding = grids[0].encoding if grids and len(grids) == 1 else None
            if encoding in _ENCODING_NAMES:
                name_vi, name_en = _ENCODING_NAMES[encoding]
                self.notes.append(_warning(
                    self.rel(path), "",
                    f"tệp CSV không phải UTF-8: đã đọc theo bảng mã {name_vi} và chuyển sang Unicode; "
                    "hãy kiểm tra chữ có dấu, và lần sau lưu dạng 'CSV UTF-8'",
                    f"the CSV file is not UTF-8: read as {name_en} and converted to Unicode; check the "
                    "diacritics, and save it as 'CSV UTF-8' next time",
                ))
        return self._grids[path]

    def files_of(self, file_key: str) -> list[Path]:
        if file_key not in self._files:
            self._files[file_key] = source_files(self.raw_dir, self.reference.files[file_key].pattern)
        return self._files[file_key]

    def _tables_of(self, file_key: str) -> list[TableSpec]:
        return [t for t in self.reference.tables.values() if any(s.file == file_key for s in t.sources)]

    def _claimed(self, file_key: str) -> set[str]:
        keys: set[str] = set()
        for table in self._tables_of(file_key):
            for source in table.sources:
                if source.file == file_key:
                    keys |= source.sheet_keys()
        return keys

    # files --------------------------------------------------------------------------------
    def check_files(self) -> None:
        """Every kind of input file is there; files that match no kind are pointed out."""
        if not self.raw_dir.is_dir():
            return
        present = [p for p in sorted(self.raw_dir.iterdir())
                   if p.is_file() and not p.name.startswith((".", "~$"))]
        matched: set[Path] = set()
        for key, spec in self.reference.files.items():
            found = self.files_of(key)
            matched.update(found)
            if found:
                continue
            prefix = _pattern_prefix(spec.pattern)
            near = [p.name for p in present if prefix and fold_key(p.stem).startswith(prefix)]
            if near:
                # the data is there, in a form or under a name that cannot be read: the year cannot build
                matched.update(self.raw_dir / n for n in near)  # named here; not "unknown" below
                shown = ", ".join(repr(n) for n in near)
                self.problems.append(InputError(
                    Location(spec.pattern),
                    f"thiếu tệp số liệu '{spec.pattern}' ({spec.title_vi}); trong thư mục có {shown} "
                    "nhưng không đọc được vì sai tên hoặc sai định dạng",
                    f"the input file '{spec.pattern}' is missing; the folder holds {shown}, which cannot be read "
                    "(wrong name or format)",
                    hint_vi=f"lưu tệp dạng Excel Workbook (.xlsx) hoặc CSV UTF-8, đặt đúng tên '{spec.pattern}'",
                    hint_en=f"save it as an Excel Workbook (.xlsx) or CSV UTF-8, named '{spec.pattern}'",
                ))
            else:
                # nothing of this kind yet (a file still to come): the report lacks its figures
                self.notes.append(_warning(
                    spec.pattern, "",
                    f"thiếu tệp số liệu '{spec.pattern}' ({spec.title_vi}); báo cáo sẽ không có các số liệu này. "
                    f"Mẫu tạo bằng 'baocao new-year'",
                    f"the input file '{spec.pattern}' is missing; the report will lack its figures "
                    "('baocao new-year' makes the template)",
                ))
        expected = ", ".join(f.pattern for f in self.reference.files.values())
        for path in present:
            if path in matched or path.name in TEXT_FILES:
                continue
            self.notes.append(_warning(
                path.name, "",
                f"tệp không được đọc: tên không khớp tệp số liệu nào ({expected})",
                f"file not read: its name matches no input file ({expected})",
            ))

    def check_unused(self) -> None:
        """After all tables are read: data that no table took is reported, never dropped silently."""
        for key in self.reference.files:
            claimed = self._claimed(key)
            for path in self.files_of(key):
                grids = self._grids.get(path)
                if grids is None:
                    continue  # unreadable: already a problem
                rel = self.rel(path)
                if path.suffix.lower() == ".csv":
                    if path not in self.used:
                        self.problems.append(InputError(
                            Location(rel),
                            "không nhận ra tệp CSV này chứa bảng nào (tên sheet sau '--' trong tên tệp, "
                            "hoặc dòng tiêu đề, không khớp mẫu)",
                            "cannot tell which table this CSV file holds (neither the sheet name after '--' in "
                            "the file name nor its header row matches the templates)",
                            hint_vi="đặt tên tệp dạng '<tệp>--<tên sheet>.csv', ví dụ 'mttq-phuong--giam-sat.csv', "
                            "và giữ dòng tiêu đề của mẫu",
                            hint_en="name it '<file>--<sheet name>.csv', e.g. 'mttq-phuong--giam-sat.csv', and keep "
                            "the template's header row",
                        ))
                    continue
                used = self._used_sheets.get(path, set())
                for grid in grids:
                    key_ = fold_key(grid.name)
                    if key_ in claimed or key_ in _AUX_KEYS or grid.name in used:
                        continue
                    if all(_row_is_blank(r) for r in grid.rows):
                        continue
                    self.notes.append(_warning(
                        rel, grid.name,
                        "sheet không có trong mẫu nên không được đọc",
                        "sheet not in the template, not read",
                    ))

    # tables -------------------------------------------------------------------------------
    def read_table(self, spec: TableSpec) -> list[SheetRead]:
        reads: list[SheetRead] = []
        for source in spec.sources:
            for path in self.files_of(source.file):
                grids = self.grids(path)
                if grids is None:
                    continue
                rel = self.rel(path)
                if path.suffix.lower() == ".csv":
                    hint = _csv_sheet_hint(path)
                    if hint is not None and fold_key(hint) not in source.sheet_keys():
                        continue
                    if hint is None and not self._csv_is_this_table(grids[0], spec, source.file):
                        continue
                    grid = grids[0]
                else:
                    grid = _find_sheet(grids, source)
                    if grid is None:
                        grid = self._renamed_sheet(grids, spec, source)
                        if grid is not None:
                            self.notes.append(_warning(
                                rel, grid.name,
                                f"không có sheet '{source.sheet}'; đã đọc bảng '{spec.title_vi}' từ sheet "
                                f"'{grid.name}' vì dòng tiêu đề khớp; hãy đổi tên sheet thành '{source.sheet}'",
                                f"no sheet '{source.sheet}'; table '{spec.name}' was read from sheet '{grid.name}', "
                                f"whose header matches; rename the sheet to '{source.sheet}'",
                            ))
                    if grid is None:
                        found = ", ".join(f"'{g.name}'" for g in grids)
                        self.problems.append(
                            InputError(
                                Location(rel, source.sheet),
                                f"không có sheet '{source.sheet}' (tệp có các sheet: {found})",
                                f"no sheet '{source.sheet}' (the file has sheets: {found})",
                                hint_vi=f"đổi tên sheet chứa bảng '{spec.title_vi}' thành '{source.sheet}', "
                                "hoặc thêm sheet đó theo mẫu",
                                hint_en=f"rename the sheet holding table '{spec.name}' to '{source.sheet}', or add "
                                "that sheet as in the template",
                            )
                        )
                        continue
                self.used.add(path)
                self._used_sheets.setdefault(path, set()).add(grid.name)
                try:
                    reads.append(read_sheet(grid, spec, rel, source))
                except InputError as exc:
                    self.problems.append(exc)
        return reads

    def _renamed_sheet(self, grids: list[Grid], spec: TableSpec, source: SourceSpec) -> Grid | None:
        """The one sheet, under another name, whose header is this table's and no other's."""
        claimed = self._claimed(source.file)
        tables = self._tables_of(source.file)
        found = []
        for grid in grids:
            if fold_key(grid.name) in claimed or fold_key(grid.name) in _AUX_KEYS:
                continue
            match = find_header(grid, spec)
            if match is None or any(c.required and c.name not in match.headers for c in spec.columns):
                continue
            scores = {}
            for table in tables:
                other = find_header(grid, table)
                scores[table.name] = other.score if other else 0
            best = max(scores.values())
            if scores[spec.name] == best and list(scores.values()).count(best) == 1:
                found.append(grid)
        return found[0] if len(found) == 1 else None

    def _csv_is_this_table(self, grid: Grid, spec: TableSpec, file_key: str) -> bool:
        """A CSV without a sheet name in its file name holds the table its header matches best."""
        scores = {}
        for table in self._tables_of(file_key):
            match = find_header(grid, table)
            scores[table.name] = match.score if match else 0
        best = max(scores.values(), default=0)
        return best > 0 and scores[spec.name] == best and list(scores.values()).count(best) == 1
