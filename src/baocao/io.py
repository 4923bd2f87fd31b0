"""Readers: the offices' workbooks and CSV files, as a person sees them.

A reader finds each table's sheet, finds the header row wherever it sits among the first rows
(title rows above it; a header split over two rows with merged cells), matches columns by
name ignoring case, diacritics, spacing and the aliases of ``data/reference/inputs.yml``, and
yields every row below it with the row number Excel shows. Blank rows and total rows ("Tổng
cộng", "Cộng") are recognised and counted, never passed on to be summed again.

Structural problems (a file that cannot be opened, a missing sheet, a missing required
column) are collected as :class:`InputError` and raised together as :class:`InputProblems`:
the data cannot build until a person fixes them. Row-level problems are the cleaner's.
"""

from __future__ import annotations

import csv
import fnmatch
import io as _io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .config import ColumnSpec, Reference, SourceSpec, TableSpec
from .errors import BaocaoError, InputError, Location
from .parse import is_blank, is_total_row_label
from .textenc import decode_csv_bytes, fold_key, normalize_text

HEADER_SEARCH_ROWS = 20
IGNORED_HEADERS = {fold_key(h) for h in ("STT", "TT", "Số TT", "Số thứ tự", "No", "#")}


class InputProblems(BaocaoError):
    """Several structural input errors at once; the CLI prints one line each."""

    exit_code = 1

    def __init__(self, errors: list[InputError]):
        self.errors = errors
        super().__init__(
            f"{len(errors)} lỗi cấu trúc tệp đầu vào",
            f"{len(errors)} structural input error(s)",
        )

    def render(self) -> str:  # type: ignore[override]
        if not getattr(self, "errors", None):
            return super().render()
        return "\n".join(e.render() for e in self.errors)


@dataclass
class RawRow:
    row: int  # 1-based row number as Excel shows it
    values: dict[str, object]  # spec column name -> raw cell value
    headers: dict[str, str]  # spec column name -> header as written in the file


@dataclass
class SheetRead:
    """One table read from one sheet (or CSV file), with its row accounting."""

    table: str
    file: str  # relative to the year's raw folder
    sheet: str
    header_row: int
    headers: dict[str, str]
    extra_headers: list[str] = field(default_factory=list)
    rows: list[RawRow] = field(default_factory=list)
    blank_rows: int = 0
    total_rows: list[int] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + self.blank_rows + len(self.total_rows)


# ---------------------------------------------------------------------------- grid sources
@dataclass
class Grid:
    """A sheet as a list of rows of cell values, with merged ranges (for headers)."""

    name: str
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col (1-based)


def _open_xlsx(path: Path, rel: str) -> list[Grid]:
    import openpyxl  # imported here: it is the slow import of this module

    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise InputError(
            Location(rel),
            f"không mở được tệp Excel ({type(exc).__name__}: {exc}); tệp có thể bị hỏng hoặc chưa lưu xong",
            f"cannot open the Excel file ({type(exc).__name__}: {exc}); it may be damaged or incompletely saved",
            hint_vi="mở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi chép lại vào thư mục dữ liệu",
            hint_en="open it in Excel, save it again as .xlsx and copy it back into the data folder",
        ) from None
    grids = []
    try:
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
            grids.append(Grid(ws.title, rows, merged))
    finally:
        wb.close()
    return grids


def _open_csv(path: Path, rel: str) -> list[Grid]:
    data = path.read_bytes()
    if not data.strip():
        return [Grid("", [])]
    try:
        text, _encoding = decode_csv_bytes(data)
    except ValueError as exc:
        raise InputError(
            Location(rel),
            getattr(exc, "reason_vi", f"không đọc được bảng mã của tệp CSV: {exc}"),
            getattr(exc, "reason_en", f"cannot decode the CSV file: {exc}"),
            hint_vi="lưu lại tệp dưới dạng CSV UTF-8",
            hint_en="save the file again as CSV UTF-8",
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(_io.StringIO(text), dialect)]
    return [Grid("", [[c if c != "" else None for c in r] for r in rows])]


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


def _match_headers(cells: list[object], spec: TableSpec) -> tuple[dict[int, ColumnSpec], list[str]]:
    """Map cell positions to spec columns; return unknown headers too."""
    matched: dict[int, ColumnSpec] = {}
    used: set[str] = set()
    extra: list[str] = []
    for i, cell in enumerate(cells):
        key = _cell_key(cell)
        if not key:
            continue
        col = next((c for c in spec.columns if key in c.header_keys() and c.name not in used), None)
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
    for r in range(limit):
        candidates = [_expand_merged_row(grid, r)]
        if r > 0:
            # A header over two rows: "Hộ nghèo" merged above "Đầu năm" / "Cuối năm".
            above = _expand_merged_row(grid, r - 1)
            below = candidates[0]
            width = max(len(above), len(below))
            combined = []
            for c in range(width):
                a = above[c] if c < len(above) else None
                b = below[c] if c < len(below) else None
                if a not in (None, "") and b not in (None, "") and a != b:
                    combined.append(f"{a} {b}")
                else:
                    combined.append(b if b not in (None, "") else a)
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
    # Rows up to the last non-empty one; trailing empty rows are not data.
    last = len(grid.rows)
    while last > match.row + 1 and _row_is_blank(grid.rows[last - 1]):
        last -= 1
    for r in range(match.row + 1, last):
        cells = list(grid.rows[r])
        if _row_is_blank(cells):
            read.blank_rows += 1
            continue
        if _row_is_total(cells, match.columns):
            read.total_rows.append(r + 1)
            continue
        values = {col.name: (cells[i] if i < len(cells) else None) for i, col in match.columns.items()}
        if _row_is_blank(values.values()):
            # Something outside the table's columns only (a note in the margin): not data.
            read.blank_rows += 1
            continue
        read.rows.append(RawRow(r + 1, values, match.headers))
    return read


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


class YearReader:
    """Reads every table of one year's raw folder, opening each file once."""

    def __init__(self, raw_dir: Path, reference: Reference):
        self.raw_dir = raw_dir
        self.reference = reference
        self._grids: dict[Path, list[Grid]] = {}
        self.problems: list[InputError] = []

    def rel(self, path: Path) -> str:
        return path.relative_to(self.raw_dir).as_posix()

    def grids(self, path: Path) -> list[Grid] | None:
        if path not in self._grids:
            try:
                self._grids[path] = open_grids(path, self.rel(path))
            except InputError as exc:
                self.problems.append(exc)
                self._grids[path] = None  # type: ignore[assignment]
        return self._grids[path]

    def files_of(self, file_key: str) -> list[Path]:
        return source_files(self.raw_dir, self.reference.files[file_key].pattern)

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
                    if hint is None and not self._csv_is_this_table(grids[0], spec, path):
                        continue
                    grid = grids[0]
                else:
                    grid = _find_sheet(grids, source)
                    if grid is None:
                        found = ", ".join(f"'{g.name}'" for g in grids)
                        self.problems.append(
                            InputError(
                                Location(rel, source.sheet),
                                f"không có sheet '{source.sheet}' (tệp có các sheet: {found})",
                                f"no sheet '{source.sheet}' (the file has sheets: {found})",
                                hint_vi=f"đổi tên sheet chứa bảng '{spec.title_vi}' thành '{source.sheet}'",
                                hint_en=f"rename the sheet holding table '{spec.name}' to '{source.sheet}'",
                            )
                        )
                        continue
                try:
                    reads.append(read_sheet(grid, spec, rel, source))
                except InputError as exc:
                    self.problems.append(exc)
        return reads

    def _csv_is_this_table(self, grid: Grid, spec: TableSpec, path: Path) -> bool:
        """A CSV without a sheet name in its file name holds the table its header matches best."""
        file_key = next(k for k, f in self.reference.files.items() if path in self.files_of(k))
        candidates = [t for t in self.reference.tables.values() if any(s.file == file_key for s in t.sources)]
        scores = {t.name: (find_header(grid, t).score if find_header(grid, t) else 0) for t in candidates}
        best = max(scores.values(), default=0)
        return best > 0 and scores[spec.name] == best and list(scores.values()).count(best) == 1
