"""The "Hướng dẫn" (instructions) sheet of an office template: what the file is for, the rules
for filling it in, and each sheet's columns with their types and allowed values."""

from __future__ import annotations

from .cells import text_cell
from .config import ColumnSpec, FileSpec, Project

_TYPE_VI = {
    "date": "ngày, dạng ngày/tháng/năm (05/03/{year})",
    "month": "tháng, số từ 1 đến 12",
    "integer": "số nguyên, không âm",
    "money": "số tiền bằng đồng, số nguyên không âm (1.500.000)",
    "number": "số, không âm (có thể có phần thập phân: 93,5)",
    "text": "chữ",
    "area": "khu dân cư (chọn trong danh sách)",
    "organisation": "tổ chức (chọn trong danh sách)",
    "category": "chọn trong danh sách",
    "yesno": "Có hoặc Không",
    "year": "năm ({year} hoặc {next})",
}


def whole_unit_label(project: Project) -> str:
    ward = project.unit.ward.lower()
    for kind in ("thị trấn", "đặc khu", "phường", "xã"):
        if ward.startswith(kind):
            return f"Toàn {kind}"
    return "Toàn phường"


def write_instructions(
    ws,
    project: Project,
    year: int,
    spec: FileSpec,
    sheet_sources,
    file_name: str,
    unit_line: str,
    first_row: int,
    *,
    bold,
    plain,
    align,
) -> None:
    """The "Hướng dẫn" sheet ``ws`` of one office workbook: what to fill in, the rules, and each
    sheet's columns (``first_row``: the first data row of the data sheets)."""
    rows = instruction_rows(project, year, spec, sheet_sources, file_name, unit_line, first_row)
    _write_rows(ws, rows, bold=bold, plain=plain, align=align)


def instruction_rows(
    project: Project, year: int, spec: FileSpec, sheet_sources, file_name: str, unit_line: str, first_row: int
) -> list[tuple[str, ...] | str]:
    rows: list[tuple[str, ...] | str] = [
        unit_line,
        f"HƯỚNG DẪN NHẬP SỐ LIỆU NĂM {year}: {file_name}",
        "",
        f"Nội dung: {spec.title_vi}.",
        f"Người lập: {spec.from_vi}.",
        "",
        "Quy định chung:",
    ]
    columns = [c for t, _s in sheet_sources for c in t.columns]
    types = {c.type for c in columns}
    if "year" in types:
        each = (
            f"mỗi dòng một chỉ tiêu của một năm: năm {year} (để so sánh kết quả) và năm {year + 1} "
            "(phương hướng năm sau, thêm khi đã được giao)"
        )
    else:
        each = "mỗi dòng một việc (một hoạt động, một khoản thu hoặc chi, một đợt tặng quà…)"
    rules = [
        f"Nhập ở {'các sheet' if len(sheet_sources) > 1 else 'sheet'} "
        f"{', '.join(repr(s.sheet) for _t, s in sheet_sources)}, {each}, bắt đầu từ dòng {first_row + 1}, "
        "ngay dưới dòng tiêu đề.",
        "Không đổi tên sheet, không sửa hay xóa tiêu đề cột. Có thể thêm cột ghi chú riêng ở cuối "
        "(chương trình bỏ qua và báo lại).",
    ]
    if "date" in types:
        rules.append(
            f"Ngày ghi dạng ngày/tháng/năm, ví dụ 05/03/{year}; chỉ ghi ngày trong năm {year}"
            + (
                f" (trừ cột {', '.join(repr(c.header) for c in columns if c.type == 'date' and c.any_year)})."
                if any(c.type == "date" and c.any_year for c in columns)
                else "."
            )
        )
    if "money" in types:
        rules.append("Số tiền ghi bằng đồng, số nguyên không âm, ví dụ 1.500.000 (cũng được: '1,5 triệu', '2tr').")
    whole = (
        " Việc chung của cả đơn vị ghi " + repr(whole_unit_label(project)) + "."
        if any(c.type == "area" and c.whole_unit for c in columns)
        else ""
    )
    rules += [
        "Các cột có mũi tên: chọn trong danh sách (bấm vào ô rồi chọn)." + whole,
        "Không cần dòng 'Tổng cộng'; nếu có, chương trình nhận ra và không cộng lại lần nữa.",
        "Gõ chữ bằng bảng mã Unicode (Unikey: Unicode dựng sẵn, phông Times New Roman); "
        "không dùng phông .VnTime hay VNI-Times.",
        f"Lưu dạng Excel Workbook (.xlsx), giữ nguyên tên tệp '{file_name}', gửi Văn phòng Ủy ban MTTQ.",
        f"Kiểm tra trước khi lập báo cáo: baocao validate --year {year} (liệt kê từng ô cần sửa: "
        "tệp, sheet, dòng, cột).",
    ]
    rows += [f"{n}. {rule}" for n, rule in enumerate(rules, start=1)]
    rows += _sheet_rows(project, year, sheet_sources)
    return rows


def _sheet_rows(project: Project, year: int, sheet_sources) -> list[tuple[str, ...] | str]:
    """Each data sheet's columns (header, required, type, allowed values, other names)."""
    ref = project.reference
    rows: list[tuple[str, ...] | str] = []
    for table, source in sheet_sources:
        rows += [
            "",
            f"Sheet '{source.sheet}': {table.title_vi}"
            + (" (mỗi khu một dòng)" if table.one_row_per == "area" else "")
            + (" (mỗi tổ chức một dòng)" if table.one_row_per == "org" else ""),
            ("Cột", "Bắt buộc", "Kiểu", "Giá trị được phép", "Tên cột khác được chấp nhận"),
        ]
        for col in table.columns:
            rows.append(
                (
                    col.header,
                    "có" if col.required else "không",
                    _TYPE_VI[col.type].format(year=year, next=year + 1),
                    _allowed(project, col),
                    ", ".join(col.aliases),
                )
            )
        for check in table.checks:
            rows.append(("", "", "", f"Kiểm tra: không được có trường hợp {check.vi}", ""))
    if any(c.catalogue == "indicators" for t, _s in sheet_sources for c in t.columns):
        rows += ["", "Mã chỉ tiêu:", ("Mã", "Chỉ tiêu", "Đơn vị tính", "Cách tính kết quả", "")]
        rows += [(i.code, i.name, i.unit, i.description, "") for i in ref.indicators.values()]
    return rows


def _write_rows(ws, rows: list[tuple[str, ...] | str], *, bold, plain, align) -> None:
    for r, row in enumerate(rows, start=1):
        cells = (row,) if isinstance(row, str) else row
        for j, value in enumerate(cells, start=1):
            cell = text_cell(ws, r, j, value or None)
            cell.font = (
                bold
                if (
                    r <= 2
                    or (isinstance(row, tuple) and row[0] in ("Cột", "Mã"))
                    or (isinstance(row, str) and row.startswith(("Sheet '", "Quy định", "Mã chỉ")))
                )
                else plain
            )
            cell.alignment = align(vertical="top", wrap_text=not isinstance(row, str))
    for letter, width in zip("ABCDE", (30, 34, 34, 60, 40), strict=True):
        ws.column_dimensions[letter].width = width


def _allowed(project: Project, col: ColumnSpec) -> str:
    ref = project.reference
    if col.type == "area":
        return "; ".join([a.name for a in project.unit.areas] + ([whole_unit_label(project)] if col.whole_unit else []))
    if col.type == "organisation":
        return "; ".join(o.name for o in project.unit.organisations)
    if col.type == "yesno":
        return "Có; Không"
    if col.type == "category" and col.catalogue == "indicators":
        return "mã trong danh sách 'Mã chỉ tiêu' bên dưới"
    if col.type == "category":
        return "; ".join(ref.catalogue_for(col).names())
    if col.type in ("integer", "money", "number"):
        return f"≥ {col.min:g}" if col.min is not None else ""
    return ""
