"""Reading every table of one year's folder, each file opened once.

Structural problems (a file that cannot be opened, a missing or doubled file, a missing sheet or
required column) are collected in :attr:`YearReader.problems`: the year cannot build until a
person fixes them. What could be read but a person should know about (a CSV converted from a
legacy encoding, a sheet read under another name, a hidden sheet left unread, a file that
matches no input) is kept in :attr:`YearReader.notes` as warnings.
"""

from __future__ import annotations

from pathlib import Path

from ..config import AUX_SHEETS, Item, Reference, SourceSpec, TableSpec
from ..errors import InputError, Location, Reject
from ..parse import is_blank
from ..textenc import fold_key
from .csvfile import open_csv
from .datecheck import check_day_month
from .files import Declared, FolderPlan, Slot, plan_folder, warning
from .grid import Grid
from .headers import find_header, title_year
from .sheet import SheetRead, read_sheet
from .workbook import open_xlsx

_AUX_KEYS = {fold_key(s) for s in AUX_SHEETS}
_ENCODING_NAMES = {  # encoding → (Vietnamese name, English name)
    "tcvn3": ("TCVN3 (ABC, phông .VnTime)", "TCVN3 (ABC, the .VnTime fonts)"),
    "vni": ("VNI-Windows (phông VNI-Times)", "VNI-Windows (the VNI-Times fonts)"),
    "cp1258": ("Windows-1258", "Windows-1258"),
}


def open_grids(path: Path, rel: str) -> list[Grid]:
    """The sheets of a workbook, or the one grid of a CSV file."""
    if path.stat().st_size == 0:
        raise InputError(
            Location(rel),
            "tệp rỗng (0 byte)",
            "the file is empty (0 bytes)",
            hint_vi="gửi lại tệp có dữ liệu, hoặc xóa tệp khỏi thư mục",
            hint_en="send the file again with its data, or remove it from the folder",
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return open_xlsx(path, rel)
    if suffix == ".csv":
        return open_csv(path, rel)
    raise InputError(
        Location(rel),
        f"định dạng tệp '{suffix}' không được hỗ trợ",
        f"file type '{suffix}' is not supported",
        hint_vi="lưu tệp dưới dạng .xlsx (Excel) hoặc .csv (UTF-8)",
        hint_en="save it as .xlsx (Excel) or .csv (UTF-8)",
    )


def _row_is_blank(cells: list[object]) -> bool:
    return all(is_blank(c) for c in cells)


class YearReader:
    """Reads every table of one year's raw folder, opening each file once.

    ``areas`` are the unit's khu (each needs its per-khu file); ``declared`` what
    ``thong-tin-bao-cao.yml`` says the year has not.
    """

    def __init__(
        self,
        raw_dir: Path,
        reference: Reference,
        areas: tuple[Item, ...] = (),
        declared: Declared | None = None,
        year: int | None = None,
    ):
        self.raw_dir = raw_dir
        self.reference = reference
        self.year = year
        self.plan: FolderPlan = plan_folder(raw_dir, reference, areas, declared or Declared(), year)
        self._other_year: set[Path] = set()  # files whose title names another year: not read
        self._grids: dict[Path, list[Grid] | None] = {}
        self.problems: list[InputError] = []
        self.notes: list[Reject] = []
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
                self.notes.append(
                    warning(
                        self.rel(path),
                        "",
                        f"tệp CSV không phải UTF-8: đã đọc theo bảng mã {name_vi} và chuyển sang Unicode; "
                        "hãy kiểm tra chữ có dấu, và lần sau lưu dạng 'CSV UTF-8'",
                        f"the CSV file is not UTF-8: read as {name_en} and converted to Unicode; check the "
                        "diacritics, and save it as 'CSV UTF-8' next time",
                    )
                )
        return self._grids[path]

    def files_of(self, file_key: str) -> list[Path]:
        return self.plan.files_of(file_key)

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
        """Every expected file found exactly once; files that match no input are pointed out."""
        self.problems.extend(self.plan.problems)
        self.notes.extend(self.plan.notes)

    def check_unused(self) -> None:
        """After all tables are read: data that no table took is reported, never dropped silently."""
        for slot in self.plan.slots:
            claimed = self._claimed(slot.file_key)
            for path in slot.paths():
                if path in self._grids and self._grids[path] is None:
                    continue  # unreadable: already a problem
                if path.suffix.lower() == ".csv":
                    if path not in self._used_sheets:
                        self.problems.append(_unknown_csv(self.rel(path)))
                    continue
                grids = self._grids.get(path)
                if grids is not None:
                    self._check_sheets(path, grids, claimed)

    def _check_sheets(self, path: Path, grids: list[Grid], claimed: set[str]) -> None:
        rel = self.rel(path)
        used = self._used_sheets.get(path, set())
        for grid in grids:
            key = fold_key(grid.name)
            if grid.name in used or key in _AUX_KEYS or all(_row_is_blank(r) for r in grid.rows):
                continue
            if grid.hidden:
                self.notes.append(
                    warning(
                        rel,
                        grid.name,
                        "sheet đang bị ẩn nên không được đọc (chỉ đọc các sheet hiện); nếu đây là số liệu, hãy bỏ ẩn "
                        "sheet (Unhide) và xóa sheet cũ trùng tên bảng",
                        "the sheet is hidden, so it is not read (only visible sheets are data); if it holds the data, "
                        "unhide it and delete the old sheet of the same table",
                    )
                )
            elif key not in claimed:
                self.notes.append(
                    warning(
                        rel,
                        grid.name,
                        "sheet không có trong mẫu nên không được đọc",
                        "sheet not in the template, not read",
                    )
                )

    # tables -------------------------------------------------------------------------------
    def read_table(self, spec: TableSpec) -> list[SheetRead]:
        reads: list[SheetRead] = []
        for source in spec.sources:
            slots = sorted((s for s in self.plan.slots if s.file_key == source.file), key=lambda s: s.paths())
            for slot in slots:
                for path, grid in self._sources_of(slot, spec, source):
                    self._used_sheets.setdefault(path, set()).add(grid.name)
                    if path in self._other_year:
                        continue  # its title names another year: one error said so
                    try:
                        read = read_sheet(grid, spec, self.rel(path), source)
                        self._check_title_year(path, grid, read.header_row, spec)
                        check_day_month(read, spec)
                    except InputError as exc:
                        self.problems.append(exc)
                        continue
                    read.input_name = slot.name
                    reads.append(read)
        return reads

    def _check_title_year(self, path: Path, grid: Grid, header_row: int, spec: TableSpec) -> None:
        """A sheet whose title (the rows above its header) names another year: not this year's
        data. A table that holds next year's rows too (targets) may be titled with next year."""
        if self.year is None:
            return
        found = title_year(grid, header_row, self.year)
        if found is not None and any(c.type == "year" for c in spec.columns) and found[3] == str(self.year + 1):
            found = None
        if found is None:
            return
        self._other_year.add(path)
        row, column, text, years = found
        raise InputError(
            Location(self.rel(path), grid.name, row, column, text),
            f"tiêu đề của sheet ghi năm {years}, không phải năm báo cáo {self.year}: đây là số liệu của năm khác "
            "nên không đọc tệp này",
            f"the sheet's title says {years}, not the report year {self.year}: another year's data, so the file is "
            "not read",
            hint_vi=f"thay bằng tệp số liệu năm {self.year}; nếu số liệu đúng là năm {self.year}, sửa năm trong tiêu đề",
            hint_en=f"put the {self.year} file in its place; if the data is {self.year}'s, correct the year in the title",
        )

    def _sources_of(self, slot: Slot, spec: TableSpec, source: SourceSpec) -> list[tuple[Path, Grid]]:
        """Where this table's sheet of this file is: the workbook's sheet, or a CSV in its place."""
        keys = source.sheet_keys()
        csv_path = next((p for k, p in sorted(slot.sheets.items()) if k in keys), None)
        workbook = slot.workbook
        out: list[tuple[Path, Grid]] = []
        grids = self.grids(workbook) if workbook is not None else None
        if workbook is not None and grids is not None:
            if workbook.suffix.lower() == ".csv":
                if self._csv_is_this_table(grids[0], spec, source.file):
                    out.append((workbook, grids[0]))
            else:
                grid = self._sheet(workbook, grids, spec, source, required=csv_path is None)
                if grid is not None and csv_path is not None:
                    self._used_sheets.setdefault(workbook, set()).add(grid.name)
                    if self._has_rows(grid, spec, workbook, source):
                        self.problems.append(_two_sources(self.rel(workbook), grid.name, csv_path.name))
                        self._used_sheets.setdefault(csv_path, set())  # named by that error
                        return []
                elif grid is not None:
                    out.append((workbook, grid))
        if csv_path is not None:
            csv_grids = self.grids(csv_path)
            if csv_grids is not None:
                out.append((csv_path, csv_grids[0]))
        return out

    def _has_rows(self, grid: Grid, spec: TableSpec, path: Path, source: SourceSpec) -> bool:
        try:
            read = read_sheet(grid, spec, self.rel(path), source)
        except InputError:
            return any(not _row_is_blank(r) for r in grid.rows)
        return read.n_rows + read.non_data_rows > 0

    def _sheet(
        self, path: Path, grids: list[Grid], spec: TableSpec, source: SourceSpec, *, required: bool
    ) -> Grid | None:
        """The visible sheet of this table (by name, else the one renamed sheet whose header is
        this table's); a hidden one that matches is reported, never read."""
        rel = self.rel(path)
        keys = source.sheet_keys()
        grid = next((g for g in grids if not g.hidden and fold_key(g.name) in keys), None)
        hidden = [g for g in grids if g.hidden and fold_key(g.name) in keys]
        if grid is None:
            grid = self._renamed_sheet(grids, spec, source)
            if grid is not None:
                self.notes.append(
                    warning(
                        rel,
                        grid.name,
                        f"không có sheet '{source.sheet}'; đã đọc bảng '{spec.title_vi}' từ sheet "
                        f"'{grid.name}' vì dòng tiêu đề khớp; hãy đổi tên sheet thành '{source.sheet}'",
                        f"no sheet '{source.sheet}'; table '{spec.name}' was read from sheet '{grid.name}', "
                        f"whose header matches; rename the sheet to '{source.sheet}'",
                    )
                )
        if grid is not None or not required:
            return grid  # a hidden sheet that matches too is reported by check_unused, never read
        found = ", ".join(f"'{g.name}'" + (" (ẩn)" if g.hidden else "") for g in grids)
        found_en = ", ".join(f"'{g.name}'" + (" (hidden)" if g.hidden else "") for g in grids)
        extra_vi = f"; sheet '{hidden[0].name}' khớp tên nhưng đang bị ẩn, không được đọc" if hidden else ""
        extra_en = f"; sheet '{hidden[0].name}' matches but is hidden, and is not read" if hidden else ""
        self.problems.append(
            InputError(
                Location(rel, source.sheet),
                f"không có sheet '{source.sheet}' (tệp có các sheet: {found}){extra_vi}",
                f"no sheet '{source.sheet}' (the file has sheets: {found_en}){extra_en}",
                hint_vi=(
                    f"bỏ ẩn sheet '{hidden[0].name}' (chuột phải vào tên sheet > Unhide)"
                    if hidden
                    else f"đổi tên sheet chứa bảng '{spec.title_vi}' thành '{source.sheet}', hoặc thêm sheet đó theo mẫu"
                ),
                hint_en=(
                    f"unhide sheet '{hidden[0].name}' (right-click a sheet tab > Unhide)"
                    if hidden
                    else f"rename the sheet holding table '{spec.name}' to '{source.sheet}', or add that sheet as in "
                    "the template"
                ),
            )
        )
        return None

    def _renamed_sheet(self, grids: list[Grid], spec: TableSpec, source: SourceSpec) -> Grid | None:
        """The one visible sheet, under another name, whose header is this table's and no other's."""
        claimed = self._claimed(source.file)
        tables = self._tables_of(source.file)
        found = []
        for grid in grids:
            if grid.hidden or fold_key(grid.name) in claimed or fold_key(grid.name) in _AUX_KEYS:
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


def _unknown_csv(rel: str) -> InputError:
    return InputError(
        Location(rel),
        "không nhận ra tệp CSV này chứa bảng nào (tên sheet sau '--' trong tên tệp, hoặc dòng tiêu đề, không khớp mẫu)",
        "cannot tell which table this CSV file holds (neither the sheet name after '--' in "
        "the file name nor its header row matches the templates)",
        hint_vi="đặt tên tệp dạng '<tệp>--<tên sheet>.csv', ví dụ 'mttq-phuong--giam-sat.csv', "
        "và giữ dòng tiêu đề của mẫu",
        hint_en="name it '<file>--<sheet name>.csv', e.g. 'mttq-phuong--giam-sat.csv', and keep "
        "the template's header row",
    )


def _two_sources(rel: str, sheet: str, csv_name: str) -> InputError:
    return InputError(
        Location(rel, sheet),
        f"sheet '{sheet}' có số liệu, và tệp '{csv_name}' cũng là sheet này: không biết bản nào đúng",
        f"sheet '{sheet}' holds data, and '{csv_name}' stands for the same sheet: which one is right is unknown",
        hint_vi=f"xóa số liệu trong sheet '{sheet}' (hoặc xóa sheet), hoặc chuyển tệp '{csv_name}' ra khỏi thư mục",
        hint_en=f"clear sheet '{sheet}' (or delete it), or move '{csv_name}' out of the folder",
    )
