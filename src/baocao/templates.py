"""Office input templates for a new year: ``baocao new-year Y``.

Creates ``data/raw/<Y>/`` with what the offices fill in, generated from the input-format spec
(``data/reference/inputs.yml``, ``catalogues.yml``, ``indicators.yml``) and the unit
(``baocao.yml``), so the templates always say what the readers expect:

* one ``.xlsx`` workbook per input file (``ban-ctmt-khu-<n>.xlsx`` for each khu of
  ``baocao.yml``, ``mttq-phuong.xlsx``, ``to-chuc-thanh-vien.xlsx``, ``chi-tieu.xlsx``): a
  "Hướng dẫn" sheet in Vietnamese, then one sheet per table with a title, the header row
  (bold, frozen), drop-down lists (Excel data validation) for khu, lĩnh vực, tổ chức, the other
  catalogues, Có/Không and units, fed from a hidden "Danh mục" sheet, number and date formats
  and column widths;
* ``chi-tieu.xlsx`` pre-filled with the targets set last year for this year (the previous
  year's rows whose Năm is this year; failing those, its own year's rows, re-dated);
* ``thong-tin-bao-cao.yml`` (the document's number, date, signer) with comments, and
  ``nhan-dinh.md`` with the headings of :data:`baocao.narrative.SECTIONS`.

The bytes are deterministic: fixed workbook times and zip entry dates, stable entry order.
Nothing is overwritten unless ``force`` is given, and no other year is touched.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cells import text_cell
from .config import AUX_SHEETS, ColumnSpec, FileSpec, Project, TableSpec
from .errors import UsageError
from .instructions import whole_unit_label, write_instructions

INSTRUCTIONS_SHEET, LISTS_SHEET = AUX_SHEETS
TITLE_ROWS = 3  # unit line, who fills the file, table title; the header is on row 4
HEADER_ROW = TITLE_ROWS + 1
VALIDATION_ROWS = 2000  # data rows covered by the drop-down lists and checks
FONT = "Times New Roman"

_WIDTH = {
    "date": 13,
    "month": 9,
    "year": 8,
    "integer": 12,
    "money": 16,
    "number": 12,
    "area": 13,
    "organisation": 26,
    "category": 28,
    "yesno": 12,
    "text": 30,
}
_LONG_TEXT = {"description", "topic", "document", "model_name", "label"}
_FORMAT = {"date": "dd/mm/yyyy", "integer": "#,##0", "money": "#,##0", "text": "@"}


@dataclass(frozen=True)
class _List:
    """A drop-down list: its title and values, stored as one column of the hidden sheet."""

    key: str
    title: str
    values: tuple[str, ...]


# ---------------------------------------------------------------------------- public API
def make_templates(
    project: Project, year: int, *, force: bool = False, log: Callable[[str], None] | None = None
) -> list[Path]:
    """Create ``data/raw/<year>/`` with the office templates; return the files written.

    Raises :class:`UsageError` when a file to be written exists (unless ``force``), except in a
    folder a stopped run half wrote (each file there as this run writes it): that one is
    completed. The temporaries a killed run left in the folder are removed first.
    """
    if not 1990 <= year <= 2100:
        raise UsageError(f"năm {year} không hợp lệ", f"{year} is not a valid year")
    log = log or (lambda _msg: None)
    files = _plan(project, year, log)
    raw = project.raw_dir(year)
    from .atomic import sweep_temporaries, write_bytes

    swept = sweep_temporaries(raw)  # half-written files of a run killed midway: never kept, never read
    if swept:
        log(
            f"Đã xóa {len(swept)} tệp tạm do lần chạy trước bị dừng giữa chừng để lại / removed {len(swept)} "
            f"temporary file(s) left by an interrupted run: " + ", ".join(p.name for p in swept)
        )
    existing = [name for name in files if (raw / name).exists()]
    if len(existing) < len(files) and all(_same_bytes(raw / name, files[name]) for name in existing):
        existing = []  # a folder a run stopped midway half wrote, untouched since: completed
    if existing and not force:
        shown = ", ".join(existing)
        raise UsageError(
            f"thư mục {project.rel(raw)} đã có tệp: {shown}; không ghi đè",
            f"{project.rel(raw)} already holds: {shown}; nothing was overwritten",
            hint_vi="dùng --force nếu thật sự muốn thay các tệp đó bằng mẫu trống",
            hint_en="pass --force to replace those files with empty templates",
        )
    raw.mkdir(parents=True, exist_ok=True)
    return [write_bytes(raw / name, data) for name, data in files.items()]


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


# ---------------------------------------------------------------------------- the plan
def _plan(project: Project, year: int, log: Callable[[str], None]) -> dict[str, bytes]:
    """File name → bytes, for every file of the year's folder."""
    from .labels import area_number
    from .narrative import META_FILE, NARRATIVE_FILE

    ref = project.reference
    files: dict[str, bytes] = {}
    for key, spec in ref.files.items():
        tables = [t for t in ref.tables.values() if any(s.file == key for s in t.sources)]
        if "*" in spec.pattern:  # one file per khu: ban-ctmt-khu-1.xlsx …
            for area in project.unit.areas:
                number = area_number(area.name)
                name = spec.pattern.replace("*", str(number) if number else area.id)
                files[name] = _workbook(
                    project, year, spec, tables, f"BAN CÔNG TÁC MẶT TRẬN {area.name.upper()}", name, {}
                )
        else:
            prefill = _previous_targets(project, year, tables, log)
            files[spec.pattern] = _workbook(
                project, year, spec, tables, spec.from_vi.split(",")[0].upper(), spec.pattern, prefill
            )
    files[META_FILE] = _meta_skeleton(project, year).encode("utf-8")
    files[NARRATIVE_FILE] = _narrative_skeleton().encode("utf-8")
    return files


def _lists(project: Project, tables: list[TableSpec]) -> dict[str, _List]:
    """The drop-down lists a workbook needs, keyed by what a column asks for."""
    ref = project.reference
    out: dict[str, _List] = {}
    for table in tables:
        for col in table.columns:
            key = _list_key(col)
            if key is None or key in out:
                continue
            if col.type == "area":
                values = [a.name for a in project.unit.areas] + ([whole_unit_label(project)] if col.whole_unit else [])
                title = f"Khu dân cư, {whole_unit_label(project).lower()}" if col.whole_unit else "Khu dân cư"
            elif col.type == "organisation":
                values = [o.name for o in project.unit.organisations]
                title = "Tổ chức"
            elif col.type == "yesno":
                values = ref.catalogues["yesno"].names()
                title = "Có/Không"
            elif col.catalogue == "indicators":
                values = list(ref.indicators)
                title = "Mã chỉ tiêu"
            elif col.type == "category":
                values = ref.catalogue_for(col).names()
                title = col.header
            elif key == "units":
                values = sorted({i.unit for i in ref.indicators.values()}, key=lambda u: (u.lower(), u))
                title = "Đơn vị tính"
            else:  # pragma: no cover
                continue
            out[key] = _List(key, title, tuple(values))
    return out


def _list_key(col: ColumnSpec) -> str | None:
    if col.type == "area":
        return "area+unit" if col.whole_unit else "area"
    if col.type in ("organisation", "yesno"):
        return col.type
    if col.type == "category":
        return f"cat:{col.catalogue}"
    if col.type == "text" and col.name == "unit":
        return "units"  # "Đơn vị tính" of the targets: the indicators' units
    return None


# ---------------------------------------------------------------------------- workbooks
def _workbook(
    project: Project,
    year: int,
    spec: FileSpec,
    tables: list[TableSpec],
    heading: str,
    file_name: str,
    prefill: dict[str, list[dict]],
) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(name=FONT, size=12, bold=True)
    plain = Font(name=FONT, size=12)
    fill = PatternFill("solid", fgColor="DDEBF7")

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    guide = wb.create_sheet(INSTRUCTIONS_SHEET)
    lists = _lists(project, tables)
    unit_line = f"{project.unit.body_parent} {project.unit.body_name}"

    # the data sheets, then the hidden lists they refer to, then the lists' validations
    list_ranges: dict[str, str] = {}
    sheet_sources = [(t, next(s for s in t.sources if s.file == spec.key)) for t in tables]
    for table, source in sheet_sources:
        ws = wb.create_sheet(source.sheet)
        _data_sheet(
            ws,
            project,
            year,
            table,
            heading,
            unit_line,
            prefill.get(table.name, []),
            bold=bold,
            plain=plain,
            border=border,
            fill=fill,
            align=Alignment,
        )
    if lists:
        lists_ws = wb.create_sheet(LISTS_SHEET)
        for j, item in enumerate(lists.values(), start=1):
            letter = get_column_letter(j)
            text_cell(lists_ws, 1, j, item.title).font = bold
            for i, value in enumerate(item.values, start=2):
                text_cell(lists_ws, i, j, value)
            lists_ws.column_dimensions[letter].width = max(14, min(60, max(len(v) for v in item.values) + 2))
            list_ranges[item.key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(item.values) + 1}"
        lists_ws.sheet_state = "hidden"
    for table, source in sheet_sources:
        _validations(wb[source.sheet], year, table, list_ranges, DataValidation, get_column_letter)
    write_instructions(
        guide,
        project,
        year,
        spec,
        sheet_sources,
        file_name,
        unit_line,
        HEADER_ROW,
        bold=bold,
        plain=plain,
        align=Alignment,
    )
    wb.active = 0
    return deterministic_bytes(wb, year)


def sheet_title(title_vi: str, year: int) -> str:
    """A data sheet's title with its year, the word "năm" written once: "SỐ DƯ QUỸ … ĐẦU NĂM 2025",
    not "… ĐẦU NĂM NĂM 2025"."""
    title = title_vi.upper()
    return f"{title} {year}" if title.split()[-1:] == ["NĂM"] else f"{title} NĂM {year}"


def _data_sheet(
    ws,
    project: Project,
    year: int,
    table: TableSpec,
    heading: str,
    unit_line: str,
    rows: list[dict],
    *,
    bold,
    plain,
    border,
    fill,
    align,
) -> None:
    from openpyxl.utils import get_column_letter

    ncols = len(table.columns)
    title = sheet_title(table.title_vi, year)
    for r, (text, font) in enumerate(((unit_line, plain), (heading, bold), (title, bold)), start=1):
        cell = text_cell(ws, r, 1, text)
        cell.font = font
        cell.alignment = align(horizontal="center")
        if ncols > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
    for j, col in enumerate(table.columns, start=1):
        cell = text_cell(ws, HEADER_ROW, j, col.header)
        cell.font, cell.border, cell.fill = bold, border, fill
        cell.alignment = align(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(j)
        width = 48 if col.name in _LONG_TEXT else _WIDTH[col.type]
        ws.column_dimensions[letter].width = max(width, min(30, len(col.header) * 0.9 + 2))
        if col.type in _FORMAT:
            ws.column_dimensions[letter].number_format = _FORMAT[col.type]
    ws.row_dimensions[HEADER_ROW].height = 36
    for i, row in enumerate(rows, start=HEADER_ROW + 1):
        for j, col in enumerate(table.columns, start=1):
            value = row.get(col.name)
            cell = text_cell(ws, i, j, value)  # last year's text: never a formula
            cell.font = plain
            if col.type in _FORMAT and value is not None:
                cell.number_format = _FORMAT[col.type] if col.type != "text" else "@"
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1).coordinate
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _validations(ws, year: int, table: TableSpec, list_ranges: dict[str, str], DataValidation, letter_of) -> None:
    first, last = HEADER_ROW + 1, HEADER_ROW + VALIDATION_ROWS
    epoch = dt.date(1899, 12, 30)
    start, end = (dt.date(year, 1, 1) - epoch).days, (dt.date(year, 12, 31) - epoch).days
    for j, col in enumerate(table.columns, start=1):
        key = _list_key(col)
        need = "bắt buộc" if col.required else "có thể để trống"
        if key in list_ranges:
            dv = DataValidation(type="list", formula1=list_ranges[key], allow_blank=True)
            prompt = f"Chọn trong danh sách ({need})."
            error = "Giá trị không có trong danh sách; xem sheet 'Hướng dẫn'."
        elif col.type == "date" and not col.any_year:
            dv = DataValidation(
                type="date", operator="between", formula1=str(start), formula2=str(end), allow_blank=True
            )
            prompt = f"Ngày trong năm {year}, dạng ngày/tháng/năm ({need})."
            error = f"Ngày phải thuộc năm {year}, dạng ngày/tháng/năm."
        elif col.type == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="0", allow_blank=True)
            prompt = f"Ngày, dạng ngày/tháng/năm ({need})."
            error = "Cần một ngày, dạng ngày/tháng/năm."
        elif col.type in ("integer", "money"):
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            prompt = ("Số tiền bằng đồng, không âm" if col.type == "money" else "Số nguyên, không âm") + f" ({need})."
            error = "Cần một số nguyên không âm."
        elif col.type == "number":
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            prompt = f"Số không âm ({need})."
            error = "Cần một số không âm."
        elif col.type == "year":
            dv = DataValidation(
                type="whole", operator="between", formula1=str(year), formula2=str(year + 1), allow_blank=True
            )
            prompt = f"Năm {year} (chỉ tiêu năm nay) hoặc {year + 1} (chỉ tiêu năm sau)."
            error = f"Năm phải là {year} hoặc {year + 1}."
        elif col.type == "month":
            dv = DataValidation(type="whole", operator="between", formula1="1", formula2="12", allow_blank=True)
            prompt = f"Tháng, số từ 1 đến 12 ({need})."
            error = "Tháng phải là số từ 1 đến 12."
        else:
            continue
        dv.errorStyle = "warning"  # aliases and other spellings are accepted by the reader
        dv.showErrorMessage = True
        dv.showInputMessage = True
        dv.errorTitle = "Kiểm tra giá trị"
        dv.error = error
        dv.promptTitle = col.header[:32]
        dv.prompt = prompt[:255]
        letter = letter_of(j)
        dv.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(dv)


def workbook_bytes(wb, stamp: dt.datetime, creator: str) -> bytes:
    """An openpyxl workbook as .xlsx bytes that depend only on its content: fixed document
    times and author, fixed zip entry dates, entries in a stable order. Used by the office
    templates, the sample-data generator and the bad-input corpus."""
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stamps "modified" with the clock here; fixed below
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        for name in ["[Content_Types].xml"] + sorted(n for n in names if n != "[Content_Types].xml"):
            data = src.read(name)
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{iso}\g<2>", text)
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, data, compresslevel=6)
    return out.getvalue()


def deterministic_bytes(wb, year: int) -> bytes:
    return workbook_bytes(wb, dt.datetime(year, 1, 1, 0, 0, 0), "baocao new-year")


# ---------------------------------------------------------------------------- targets
def _previous_targets(
    project: Project, year: int, tables: list[TableSpec], log: Callable[[str], None]
) -> dict[str, list[dict]]:
    """Rows for the targets table (the one with a column of type "year"), from last year's file."""
    table = next((t for t in tables if any(c.type == "year" for c in t.columns)), None)
    if table is None:
        return {}
    previous = project.raw_dir(year - 1)
    if not previous.is_dir():
        return {}
    from .clean import CleanContext, clean_table
    from .readers import YearReader

    reader = YearReader(previous, project.reference)
    reads = reader.read_table(table)
    if reader.problems or not reads:
        log(
            f"Chỉ tiêu: không đọc được tệp của năm {year - 1}, để trống / "
            f"targets: last year's file could not be read, left empty"
        )
        return {}
    ctx = CleanContext(year=year - 1, project=project, catalogues=project.reference.catalogues)
    frame, _rejects, _counts = clean_table(table, reads, ctx)
    year_col = next(c.name for c in table.columns if c.type == "year")
    chosen = frame[frame[year_col] == year]
    origin = f"các dòng Năm {year} trong tệp chỉ tiêu năm {year - 1}"
    if not len(chosen):
        chosen = frame[frame[year_col] == year - 1]
        origin = f"chỉ tiêu năm {year - 1}, đổi Năm thành {year}"
    rows = []
    for record in chosen.to_dict("records"):
        row = {}
        for col in table.columns:
            value = record.get(col.name)
            if value is None or (not isinstance(value, str) and _isna(value)):
                value = None
            elif col.type == "year":
                value = year
            elif col.type == "category" and col.catalogue != "indicators":
                value = project.reference.catalogue_for(col).by_id[value].name
            elif col.type in ("number", "integer", "money"):
                value = float(value)
                value = int(value) if value.is_integer() else value
            else:
                value = str(value)
            row[col.name] = value
        _fill_label(project, table, row)
        rows.append(row)
    if rows:
        log(f"Chỉ tiêu: {len(rows)} dòng lấy từ {origin} / {len(rows)} target rows carried over from {year - 1}")
    return {table.name: rows}


def _fill_label(project: Project, table: TableSpec, row: dict) -> None:
    """Indicator name and unit of a target row, when last year's file left them empty."""
    code = next((row.get(c.name) for c in table.columns if c.catalogue == "indicators"), None)
    indicator = project.reference.indicators.get(code) if code else None
    if indicator is None:
        return
    for col in table.columns:
        if col.type == "text" and row.get(col.name) is None:
            if col.name == "label":
                row[col.name] = indicator.name
            elif col.name == "unit":
                row[col.name] = indicator.unit


def _isna(value: object) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------- text files
def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _meta_skeleton(project: Project, year: int) -> str:
    from .narrative import META_FILE
    from .yamlfile import load_yaml

    unit = project.unit
    previous: dict = {}
    prev_path = project.raw_dir(year - 1) / META_FILE
    if prev_path.is_file():
        try:
            previous = load_yaml(prev_path, text=True) or {}
        except Exception:  # noqa: BLE001 - a broken file of last year only loses the hint
            previous = {}
    term = str(previous.get("nhiem_ky") or "") if isinstance(previous, dict) else ""
    signer = unit.signer
    lines = [
        f"# Thông tin văn bản báo cáo năm {year} (tạo bằng 'baocao new-year {year}').",
        "# Điền giá trị trong dấu nháy; dòng bắt đầu bằng # là ghi chú, chương trình bỏ qua.",
        f'so: ""                        # bắt buộc: số văn bản, ví dụ "45"; in ra "Số: 45/{unit.symbol}"',
        f'ngay_bao_cao: ""              # bắt buộc: ngày ký báo cáo, dạng dd/mm/yyyy, ví dụ "05/12/{year}"',
        f"hoi_nghi: {_q(f'Hội nghị tổng kết công tác Mặt trận năm {year}')}",
        f'nhiem_ky: {_q(term):<22} # nhiệm kỳ của Ủy ban MTTQ, ví dụ "2024-2029"'
        + (f" (lấy từ năm {year - 1}; kiểm tra lại)" if term else ""),
        "# Người ký: mặc định theo baocao.yml. Nếu khác, bỏ dấu # ở 4 dòng dưới và sửa.",
        "# nguoi_ky:",
        f"#   thay_mat: {_q(str(signer.get('on_behalf', '')))}",
        f"#   chuc_vu: {_q(str(signer.get('title', '')))}",
        f"#   ho_ten: {_q(str(signer.get('name', '')))}",
        "# Nơi nhận: mặc định theo baocao.yml. Nếu khác, bỏ dấu # ở các dòng dưới và sửa.",
        "# noi_nhan:",
        *[f"#   - {_q(r)}" for r in unit.recipients],
        "# Chỉ khi đúng là năm nay không có: khu không hoạt động (không gửi tệp ban-ctmt-khu), tệp không gửi.",
        "# Bỏ dấu # và sửa, ví dụ:",
        f"# khu_khong_hoat_dong: [{_q(unit.areas[-1].name) if unit.areas else _q('Khu 4')}]",
        '# tep_khong_gui: ["chi-tieu.xlsx"]',
        "# Ngày chốt số liệu (bỏ trống: đến ngày báo cáo); chỉ tiêu ước thực hiện cả năm (data/README.md):",
        f'# ngay_chot_so_lieu: "20/11/{year}"',
        "# uoc_thuc_hien:",
        '#   quy_vnn_thu: {quy_tac: ke_hoach_con_lai, con_lai: "40"}',
    ]
    return "\n".join(lines) + "\n"


def _narrative_skeleton() -> str:
    from .narrative import SECTIONS

    return "\n\n".join(f"## {heading}" for heading, _required in SECTIONS.values()) + "\n"
