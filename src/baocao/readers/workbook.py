"""Excel workbooks (.xlsx, .xlsm) as grids: what a person sees in Excel, and only that.

- Only the cells that hold a value are read, so the cost follows the data: a sheet whose used
  range reaches row 1,048,576 because of one stray space reads as fast as its data.
- Before anything is decompressed, the workbook's zip is checked against the limits of
  :mod:`baocao.ziplimits` (a "zip bomb" is refused with a message).
- The parts read here (the sheets' names, where each sheet's cells are, its formula cells) are
  parsed with defusedxml: an entity or DTD in a workbook's XML is refused, never expanded.
- Hidden sheets are marked (:attr:`Grid.hidden`); the readers never take data from them.
- A vertically merged cell holds its value on every row it spans that has data of its own.
- A formula whose result the file does not hold (a workbook written by a program and never
  opened in Excel) becomes :class:`FormulaWithoutValue`, never an empty cell.
"""

from __future__ import annotations

import io
import posixpath
import re
import warnings
import zipfile
from collections import defaultdict
from pathlib import Path

from defusedxml import ElementTree as ET

from ..errors import InputError, Location
from ..ziplimits import excesses
from .grid import FormulaWithoutValue, Grid

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_FORMULA_HINT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _unreadable(rel: str, detail_vi: str, detail_en: str) -> InputError:
    return InputError(
        Location(rel),
        f"không mở được tệp Excel: {detail_vi}",
        f"cannot open the Excel file: {detail_en}",
        hint_vi="mở tệp bằng Excel, lưu lại dưới dạng Excel Workbook (.xlsx) rồi chép lại vào thư mục số liệu",
        hint_en="open it in Excel, save it again as an Excel Workbook (.xlsx) and copy it back into the data folder",
    )


def not_xlsx_reason(path: Path) -> tuple[str, str] | None:
    """What a file named .xlsx really is, when its first bytes say it is no .xlsx at all."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK"):
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return (
            "tệp là Excel 97-2003 (.xls) đổi đuôi, hoặc tệp Excel có đặt mật khẩu",
            "the file is an Excel 97-2003 (.xls) file renamed, or a password-protected workbook",
        )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<", b"<!doctype")):
        return (
            "tệp là trang HTML/XML đổi đuôi .xlsx, không phải tệp Excel",
            "the file is an HTML/XML page renamed to .xlsx, not an Excel workbook",
        )
    if head and b"\x00" not in head:
        return (
            "tệp là văn bản (có thể là CSV) đổi đuôi .xlsx, không phải tệp Excel",
            "the file is plain text (perhaps CSV) renamed to .xlsx, not an Excel workbook",
        )
    return None


def check_zip_limits(archive: zipfile.ZipFile, rel: str) -> None:
    """Refuse a workbook whose members would decompress beyond the limits of
    :mod:`baocao.ziplimits`."""
    found = excesses(archive)
    if not found:
        return
    e, mib = found[0], 1024 * 1024
    if e.what in ("entry", "ratio"):
        size = archive.getinfo(e.name).file_size
        why_vi, why_en = (
            (f"lớn hơn {e.limit // mib} MiB", f"more than {e.limit // mib} MiB")
            if e.what == "entry"
            else (f"nén {e.value} lần, quá {e.limit} lần", f"compressed {e.value} times, beyond {e.limit} times")
        )
        raise InputError(
            Location(rel),
            f"tệp Excel có phần '{e.name}' giải nén ra {size // mib} MiB ({why_vi}): không phải "
            "số liệu bình thường, không đọc",
            f"the workbook's part '{e.name}' decompresses to {size // mib} MiB ({why_en}): not ordinary data, not read",
            hint_vi="mở tệp bằng Excel, xóa các dòng, cột thừa (Ctrl+End để tìm ô cuối), lưu lại rồi gửi lại; "
            "hoặc chép số liệu sang tệp mẫu mới",
            hint_en="open it in Excel, delete the stray rows and columns (Ctrl+End finds the last cell), save "
            "and send it again; or copy the data into a fresh template",
        )
    if e.what == "total":
        what_vi = f"tệp Excel giải nén ra {e.value // mib} MiB, quá giới hạn {e.limit // mib} MiB"
        what_en = f"the workbook decompresses to {e.value // mib} MiB, beyond the {e.limit // mib} MiB limit"
    else:
        what_vi = f"tệp Excel có {e.value} phần, quá giới hạn {e.limit}"
        what_en = f"the workbook has {e.value} parts, beyond the limit of {e.limit}"
    raise InputError(
        Location(rel),
        what_vi,
        what_en,
        hint_vi="chia số liệu ra nhiều tệp hoặc xóa các sheet không cần",
        hint_en="split the data or delete the sheets that are not needed",
    )


def open_xlsx(path: Path, rel: str) -> list[Grid]:
    import openpyxl  # imported here: it is the slow import of the readers

    what = not_xlsx_reason(path)
    if what is not None:
        raise _unreadable(rel, *what)
    grids = []
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip_limits(archive, rel)
            sheets = _scan_sheets(archive)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's "extension not supported" chatter
            wb = openpyxl.load_workbook(path, data_only=True, read_only=False, keep_links=False)
            try:
                for ws in wb.worksheets:
                    grids.append(_grid(ws, sheets.get(ws.title), rel))
            finally:
                wb.close()
    except (MemoryError, InputError):
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to open is the file's, told as such
        detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        raise _unreadable(
            rel,
            f"tệp bị hỏng hoặc chưa lưu xong ({detail})",
            f"the file is damaged or was not completely saved ({detail})",
        ) from None
    return grids


def _grid(ws, xml: _SheetXml | None, rel: str) -> Grid:
    """The cells of a sheet that hold a value, row by row, with merged ranges filled downwards.
    Only the cells the file has are visited (their positions from the sheet's XML, each taken
    with openpyxl's ``ws.cell``), never the whole used range, unless the XML does not say
    where each cell is."""
    merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    positions = xml.positions if xml is not None and xml.complete else _range_positions(ws, rel)
    formulas = xml.formulas if xml is not None else {}
    by_row: dict[int, dict[int, object]] = defaultdict(dict)
    for r, c in positions:
        cell = ws.cell(row=r, column=c)
        value = cell.value
        if value is None:
            value = formulas.get((r, c))
        elif value.__class__ in (int, float) and _is_percent_format(cell.number_format):
            value = as_shown_percent(value)
        if value is not None:
            by_row[r][c] = value
    for min_row, min_col, max_row, _max_col in merged:
        value = by_row.get(min_row, {}).get(min_col) if max_row > min_row else None
        if value is None:
            continue
        for r in range(min_row + 1, max_row + 1):
            cells = by_row.get(r)
            if cells:  # a row with data of its own: the merged value is its value too
                cells.setdefault(min_col, value)
    numbers = sorted(by_row)
    width = max((max(cells) for cells in by_row.values()), default=0)
    rows = [[by_row[r].get(c) for c in range(1, width + 1)] for r in numbers]
    return Grid(ws.title, rows, merged, row_numbers=numbers, hidden=ws.sheet_state != "visible")


def _range_positions(ws, rel: str) -> list[tuple[int, int]]:
    """Every position of the sheet's used range (openpyxl's ``iter_rows``), for a sheet whose
    XML does not state where each cell is; refused when that range is too large to visit."""
    size = (ws.max_row - ws.min_row + 1) * (ws.max_column - ws.min_column + 1)
    if size > MAX_RANGE_CELLS:
        raise _unreadable(
            rel,
            f"sheet '{ws.title}' không ghi vị trí từng ô và vùng dữ liệu ({ws.dimensions}) có {size:,} ô".replace(
                ",", "."
            ),
            f"sheet '{ws.title}' does not state where each cell is, and its used range ({ws.dimensions}) has {size:,} cells",
        )
    return [(cell.row, cell.column) for row in ws.iter_rows() for cell in row]


_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _is_percent_format(number_format: str) -> bool:
    """Whether Excel shows the cell as a percentage (``0%``, ``0.0%``, ``#,##0.00%``): a ``%``
    outside quoted text, escapes and ``[…]`` sections."""
    return "%" in number_format and "%" in _QUOTED.sub("", number_format)


def as_shown_percent(value: float) -> float:
    """A percent-formatted cell as the office sees it: stored 0.93, shown and meant 93%, read 93
    (decimal arithmetic: 0.07 gives 7, not 7.000000000000001)."""
    from decimal import Decimal

    return float(Decimal(repr(float(value))) * 100)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part in the zip (from the workbook and its relationships)."""
    try:
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    parts = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        if target:
            parts[sheet.get("name", "")] = (
                target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            )
    return parts


#: The most cells of a sheet read through its whole used range (a sheet whose cells do not all
#: say where they are): each position visited becomes a cell in memory (about 150 bytes).
MAX_RANGE_CELLS = 1_000_000


class _SheetXml:
    """What a sheet's XML says, read once: the position of every cell element, and the formula
    cells whose file holds no result. ``complete``: every row and cell element states its
    position (``r``), as Excel, LibreOffice and openpyxl write them; the format lets a program
    leave it out (each then follows the one before it)."""

    def __init__(self) -> None:
        self.positions: list[tuple[int, int]] = []
        self.formulas: dict[tuple[int, int], FormulaWithoutValue] = {}
        self.complete = True


def _scan_sheets(archive: zipfile.ZipFile) -> dict[str, _SheetXml]:
    """Per sheet name, its :class:`_SheetXml`."""
    found = {}
    for name, part in _sheet_parts(archive).items():
        try:
            data = archive.read(part)
        except KeyError:
            continue
        found[name] = _scan_sheet(data, formulas=_FORMULA_HINT.search(data) is not None)
    return found


def _scan_sheet(data: bytes, formulas: bool) -> _SheetXml:
    """Cell positions counted as the format (and openpyxl's reader) counts them: a ``row`` or
    ``c`` element without its ``r`` attribute follows the one before it. ``formulas``: look
    for formula cells without a result too (a sheet with no ``<f>`` has none)."""
    from openpyxl.utils.cell import coordinate_to_tuple

    sheet = _SheetXml()
    row_tag, cell_tag, f_tag, v_tag = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}f", f"{_MAIN}v"
    positions = sheet.positions
    row = col = 0
    for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == row_tag:
                number = el.get("r")
                row, col = (int(number) if number else row + 1), 0
                sheet.complete = sheet.complete and bool(number)
            elif tag == cell_tag:
                coord = el.get("r")
                if coord:
                    position = coordinate_to_tuple(coord)
                    col = position[1]
                else:
                    col += 1
                    position = (row, col)
                    sheet.complete = False
                positions.append(position)
        elif tag == cell_tag:
            if formulas:
                formula = el.find(f_tag)
                if formula is not None and not el.findtext(v_tag) and el.get("t") != "inlineStr":
                    position = positions[-1]
                    sheet.formulas[position] = FormulaWithoutValue(_coordinate(position), "=" + (formula.text or ""))
            el.clear()
        elif tag == row_tag:
            el.clear()
    return sheet


def _coordinate(position: tuple[int, int]) -> str:
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(position[1])}{position[0]}"
