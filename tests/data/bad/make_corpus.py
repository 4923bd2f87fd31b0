"""Make the bad-input corpus: one small file per odd or broken input, with its expected outcome.

Each case is a file named after what is wrong with it (``header-on-row-5.xlsx``,
``tcvn3-text.xlsx``, ``windows-1258.csv``…) and ``<case>.expected.json`` next to it, which says
where the case goes and exactly what must come out:

``place_as``
    the name the file takes in the year's folder (it replaces the base file of that name);
``remove``
    base files taken out of the folder for this case;
``outcome``
    ``ok`` (no reject, no warning), ``warning`` (kept, exactly one warning), ``rejected``
    (exactly one row rejected, with one reason) or ``error`` (the year cannot build: exactly one
    structural error);
``file``, ``sheet``, ``row``, ``column``, ``value``, ``reason_contains``
    the problem, as ``rejects.csv`` / ``warnings.csv`` / the error message name it (``row`` is the
    row a person sees in Excel);
``accounting`` (optional)
    the row accounting of the case's sheet: read = kept + rejected + blank + total;
``kept`` (optional)
    values the tidy tables must hold afterwards (a converted date, amount or text).

The expectations are written here by hand, case by case; they are never computed by running
baocao. Every case goes into a copy of a small valid year, ``_base/2025/``, made from the office
templates of ``baocao new-year`` (src/baocao/templates.py) filled with a few rows; the base itself
reads back with no reject and no warning.

Deterministic: the same code gives byte-identical files (fixed workbook and zip times).
``tests/test_bad_inputs.py`` checks that the committed files are what this script makes.

Usage::

    .venv/bin/python tests/data/bad/make_corpus.py [--out tests/data/bad]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "src"))

from baocao.config import Project  # noqa: E402
from baocao.templates import HEADER_ROW, deterministic_bytes, make_templates  # noqa: E402
from baocao.textenc import encode_tcvn3, encode_vni  # noqa: E402

YEAR = 2025
BASE_DIR = Path("_base") / str(YEAR)
A = "to-chuc-thanh-vien.xlsx"  # the smallest workbook: most cases change its "Hoạt động" sheet
M = "mttq-phuong.xlsx"
ACT = "Hoạt động"
FUND = "Quỹ Vì người nghèo"
D = dt.datetime


# =============================================================================== the base year
# Rows as {header: value}. Headers are those of data/reference/inputs.yml.
def khu_rows(n: int) -> dict[str, list[dict]]:
    return {
        ACT: [
            {
                "Ngày": D(YEAR, 4, n + 2),
                "Khu": f"Khu {n}",
                "Lĩnh vực": "Tuyên truyền, vận động",
                "Nội dung": f"Tuyên truyền Luật Thực hiện dân chủ ở cơ sở tại khu {n}",
                "Số cuộc": 1,
                "Số lượt người": 60 + 5 * n,
            },
            {
                "Ngày": D(YEAR, 9, 3 * n),
                "Khu": f"Khu {n}",
                "Lĩnh vực": "Vệ sinh môi trường",
                "Cuộc vận động, phong trào": "Ngày chủ nhật xanh",
                "Nội dung": f"Ra quân vệ sinh đường làng, ngõ xóm khu {n}",
                "Số cuộc": 1,
                "Số lượt người": 40 + n,
                "Rác thu gom (kg)": 200 + 10 * n,
            },
        ],
        "Hộ gia đình": [
            {
                "Khu": f"Khu {n}",
                "Số hộ": 600 + 10 * n,
                "Số nhân khẩu": 2300 + 40 * n,
                "Hộ nghèo đầu năm": 9 - n,
                "Hộ nghèo cuối năm": 7 - n,
                "Hộ cận nghèo đầu năm": 12 - n,
                "Hộ cận nghèo cuối năm": 10 - n,
                "Hộ đăng ký gia đình văn hóa": 590 + 10 * n,
                "Hộ đạt gia đình văn hóa": 570 + 10 * n,
                "Khu dân cư văn hóa": "Có",
            },
        ],
        "Mô hình thi đua": [
            {
                "Khu": f"Khu {n}",
                "Tên mô hình": f'Mô hình "Camera an ninh" khu {n}',
                "Lĩnh vực": "An ninh, trật tự",
                "Ngày đăng ký": D(YEAR, 2, 10 + n),
                "Được công nhận": "Có",
            },
        ],
        "Hòa giải": [
            {
                "Khu": f"Khu {n}",
                "Số tổ hòa giải": 1,
                "Số vụ tiếp nhận": 3,
                "Hòa giải thành": 2,
                "Hòa giải không thành": 0,
                "Đang giải quyết": 1,
            },
        ],
    }


WARD_ROWS: dict[str, list[dict]] = {
    ACT: [
        {
            "Ngày": D(YEAR, 1, 15),
            "Khu": "Toàn phường",
            "Tổ chức": "Ủy ban MTTQ phường",
            "Lĩnh vực": "Hội nghị nhân dân",
            "Nội dung": f"Hội nghị đại biểu nhân dân triển khai nhiệm vụ năm {YEAR}",
            "Số cuộc": 1,
            "Số lượt người": 120,
        },
        {
            "Ngày": D(YEAR, 11, 16),
            "Khu": "Toàn phường",
            "Tổ chức": "Ủy ban MTTQ phường",
            "Lĩnh vực": "Ngày hội Đại đoàn kết",
            "Cuộc vận động, phong trào": "Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh",
            "Nội dung": "Ngày hội Đại đoàn kết toàn dân tộc cấp phường",
            "Số cuộc": 1,
            "Số lượt người": 400,
        },
    ],
    FUND: [
        {
            "Ngày": D(YEAR, 1, 10),
            "Thu/Chi": "Thu",
            "Nguồn thu": "Nhân dân",
            "Nội dung": "Nhân dân khu 1 ủng hộ Quỹ",
            "Khu": "Khu 1",
            "Số tiền (đồng)": 5_000_000,
        },
        {
            "Ngày": D(YEAR, 1, 20),
            "Thu/Chi": "Chi",
            "Mục đích chi": "Quà Tết",
            "Nội dung": "Chi quà Tết cho hộ nghèo",
            "Khu": "Toàn phường",
            "Số tiền (đồng)": 9_000_000,
        },
        {
            "Ngày": D(YEAR, 2, 3),
            "Thu/Chi": "Thu",
            "Nguồn thu": "Doanh nghiệp",
            "Nội dung": "Công ty TNHH Hải Long ủng hộ",
            "Khu": "Toàn phường",
            "Số tiền (đồng)": 20_000_000,
        },
        {
            "Ngày": D(YEAR, 5, 12),
            "Thu/Chi": "Chi",
            "Mục đích chi": "Nhà Đại đoàn kết",
            "Nội dung": "Hỗ trợ xây nhà Đại đoàn kết hộ ông Lê Văn Nam",
            "Khu": "Khu 3",
            "Số tiền (đồng)": 40_000_000,
        },
    ],
    "Số dư quỹ": [{"Số dư đầu năm (đồng)": 60_000_000}],
    "Tặng quà": [
        {
            "Ngày": D(YEAR, 1, 20),
            "Dịp": "Tết Nguyên đán",
            "Đối tượng": "Hộ nghèo",
            "Khu": "Toàn phường",
            "Số suất": 18,
            "Trị giá mỗi suất (đồng)": 500_000,
            "Thành tiền (đồng)": 9_000_000,
            "Nguồn kinh phí": "Nhân dân",
        },
        {
            "Ngày": D(YEAR, 7, 25),
            "Dịp": "Ngày Thương binh - Liệt sĩ 27/7",
            "Đối tượng": "Gia đình chính sách, người có công",
            "Khu": "Toàn phường",
            "Số suất": 20,
            "Trị giá mỗi suất (đồng)": 300_000,
            "Thành tiền (đồng)": 6_000_000,
            "Nguồn kinh phí": "Ngân sách",
        },
    ],
    "Nhà Đại đoàn kết": [
        {
            "Khu": "Khu 3",
            "Chủ hộ": "Lê Văn Nam",
            "Diện hộ": "Hộ nghèo",
            "Hình thức": "Xây mới",
            "Hỗ trợ từ Quỹ (đồng)": 40_000_000,
            "Nguồn khác (đồng)": 30_000_000,
            "Ngày khởi công": D(YEAR, 5, 12),
            "Ngày bàn giao": D(YEAR, 8, 30),
        },
    ],
    "Giám sát": [
        {
            "Ngày": D(YEAR, 6, 10),
            "Nội dung giám sát": "Giám sát việc thu, chi các khoản đóng góp tự nguyện của nhân dân",
            "Hình thức": "MTTQ chủ trì",
            "Số cuộc": 1,
            "Số kiến nghị": 3,
            "Đã giải quyết": 2,
            "Sai phạm phát hiện": 0,
        },
    ],
    "Phản biện, góp ý": [
        {
            "Ngày": D(YEAR, 9, 5),
            "Văn bản, nội dung": "Dự thảo kế hoạch chỉnh trang đô thị phường",
            "Hình thức": "Phản biện xã hội",
            "Số ý kiến": 12,
        },
    ],
    "Kiến nghị cử tri": [
        {
            "Tháng": 3,
            "Kênh tiếp nhận": "Tiếp xúc cử tri",
            "Tiếp nhận": 15,
            "Đã chuyển": 15,
            "Đã trả lời": 12,
            "Đang giải quyết": 3,
        },
        {
            "Tháng": 6,
            "Kênh tiếp nhận": "Hội nghị nhân dân",
            "Tiếp nhận": 8,
            "Đã chuyển": 8,
            "Đã trả lời": 8,
            "Đang giải quyết": 0,
        },
    ],
    "Khen thưởng": [
        {"Cấp khen": "Phường", "Đối tượng": "Tập thể", "Số lượng": 4},
        {"Cấp khen": "Phường", "Đối tượng": "Cá nhân", "Số lượng": 7},
    ],
}

ORG_ROWS: dict[str, list[dict]] = {
    "Tổ chức": [
        {"Tổ chức": "Hội Liên hiệp Phụ nữ", "Số hội viên": 1250, "Kết nạp mới": 40},
        {"Tổ chức": "Đoàn Thanh niên Cộng sản Hồ Chí Minh", "Số hội viên": 520, "Kết nạp mới": 35},
        {"Tổ chức": "Hội Cựu chiến binh", "Số hội viên": 310, "Kết nạp mới": 8},
    ],
    ACT: [
        {
            "Ngày": D(YEAR, 3, 8),
            "Khu": "Toàn phường",
            "Tổ chức": "Hội Liên hiệp Phụ nữ",
            "Lĩnh vực": "Văn hóa, thể thao",
            "Nội dung": "Hội thi văn nghệ chào mừng Ngày Quốc tế Phụ nữ 8/3",
            "Số cuộc": 1,
            "Số lượt người": 150,
        },
        {
            "Ngày": D(YEAR, 3, 26),
            "Khu": "Khu 2",
            "Tổ chức": "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
            "Lĩnh vực": "Vệ sinh môi trường",
            "Cuộc vận động, phong trào": "Ngày chủ nhật xanh",
            "Nội dung": "Đoàn viên ra quân dọn vệ sinh bãi biển",
            "Số cuộc": 1,
            "Số lượt người": 45,
            "Rác thu gom (kg)": 300,
        },
        {
            "Ngày": D(YEAR, 10, 20),
            "Khu": "Khu 3",
            "Tổ chức": "Hội Liên hiệp Phụ nữ",
            "Lĩnh vực": "Tuyên truyền, vận động",
            "Nội dung": "Tuyên truyền phòng, chống bạo lực gia đình",
            "Số cuộc": 2,
            "Số lượt người": 80,
        },
    ],
}

TARGET_ROWS = {
    "Chỉ tiêu": [
        {
            "Năm": YEAR,
            "Mã chỉ tiêu": "tuyen_truyen_cuoc",
            "Chỉ tiêu": "Số cuộc tuyên truyền vận động",
            "Đơn vị tính": "cuộc",
            "Kế hoạch": 10,
        },
        {
            "Năm": YEAR,
            "Mã chỉ tiêu": "quy_vnn_thu",
            "Chỉ tiêu": 'Vận động Quỹ "Vì người nghèo"',
            "Đơn vị tính": "triệu đồng",
            "Kế hoạch": 25,
        },
        {
            "Năm": YEAR,
            "Mã chỉ tiêu": "nha_ddk",
            "Chỉ tiêu": 'Nhà "Đại đoàn kết" xây mới, sửa chữa',
            "Đơn vị tính": "căn",
            "Kế hoạch": 1,
        },
        {
            "Năm": YEAR + 1,
            "Mã chỉ tiêu": "tuyen_truyen_cuoc",
            "Chỉ tiêu": "Số cuộc tuyên truyền vận động",
            "Đơn vị tính": "cuộc",
            "Kế hoạch": 12,
        },
        {
            "Năm": YEAR + 1,
            "Mã chỉ tiêu": "quy_vnn_thu",
            "Chỉ tiêu": 'Vận động Quỹ "Vì người nghèo"',
            "Đơn vị tính": "triệu đồng",
            "Kế hoạch": 30,
        },
    ],
}

META = f"""# Thông tin văn bản báo cáo năm {YEAR}
so: "12"
ngay_bao_cao: "05/12/{YEAR}"
hoi_nghi: "Hội nghị tổng kết công tác Mặt trận năm {YEAR}"
nhiem_ky: "2024-2029"
"""


def narrative_text() -> str:
    from baocao.narrative import SECTIONS

    parts = [f"## {heading}\n\nNội dung phần {heading.lower()} của năm {YEAR}.\n" for heading, _r in SECTIONS.values()]
    return "\n".join(parts)


def fill_workbook(data: bytes, rows_by_sheet: dict[str, list[dict]]) -> bytes:
    """A template filled as a person does: one row per record under the header row."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for sheet, rows in rows_by_sheet.items():
        ws = wb[sheet]
        for record in rows:
            append_row(ws, record)
    return save(wb)


def make_base(dest: Path) -> dict[str, bytes]:
    """The base year: the templates of ``baocao new-year`` filled with a few valid rows."""
    with tempfile.TemporaryDirectory() as tmp:
        project_dir = Path(tmp)
        shutil.copy2(ROOT / "baocao.yml", project_dir / "baocao.yml")
        shutil.copytree(ROOT / "data" / "reference", project_dir / "data" / "reference")
        project = Project.find(project_dir)
        files = {p.name: p.read_bytes() for p in make_templates(project, YEAR)}
    rows_of = {A: ORG_ROWS, M: WARD_ROWS, "chi-tieu.xlsx": TARGET_ROWS}
    out: dict[str, bytes] = {}
    for name, data in sorted(files.items()):
        if name.endswith(".xlsx"):
            n = name.removeprefix("ban-ctmt-khu-").removesuffix(".xlsx")
            rows = rows_of.get(name) or khu_rows(int(n))
            out[name] = fill_workbook(data, rows)
    out["thong-tin-bao-cao.yml"] = META.encode("utf-8")
    out["nhan-dinh.md"] = narrative_text().encode("utf-8")
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in out.items():
        (dest / name).write_bytes(data)
    return out


# =============================================================================== workbook helpers
def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def save(wb: openpyxl.Workbook) -> bytes:
    return deterministic_bytes(wb, YEAR)


def headers(ws, row: int = HEADER_ROW) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[row] if c.value is not None}


def last_row(ws) -> int:
    r = ws.max_row
    while r > HEADER_ROW and all(c.value is None for c in ws[r]):
        r -= 1
    return r


def append_row(ws, record: dict, row: int | None = None) -> int:
    cols = headers(ws)
    row = row or last_row(ws) + 1
    for header, value in record.items():
        cell = ws.cell(row=row, column=cols[header], value=value)
        if isinstance(value, dt.datetime):
            cell.number_format = "dd/mm/yyyy"
    return row


def rebuild_sheet(wb: openpyxl.Workbook, title: str, rows: list[list], merges: tuple[str, ...] = ()) -> None:
    """Replace a sheet by one laid out cell by cell (for header and layout cases)."""
    index = wb.sheetnames.index(title)
    wb.remove(wb[title])
    ws = wb.create_sheet(title, index)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, dt.datetime):
                    cell.number_format = "dd/mm/yyyy"
    for rng in merges:
        ws.merge_cells(rng)


ACT_HEADERS = [
    "Ngày",
    "Khu",
    "Tổ chức",
    "Lĩnh vực",
    "Cuộc vận động, phong trào",
    "Nội dung",
    "Số cuộc",
    "Số lượt người",
    "Rác thu gom (kg)",
    "Ghi chú",
]


def act_values(record: dict, headers_: list[str] = ACT_HEADERS) -> list:
    return [record.get(h) for h in headers_]


NEW_ACT = {
    "Ngày": D(YEAR, 4, 12),
    "Khu": "Khu 4",
    "Tổ chức": "Hội Nông dân",
    "Lĩnh vực": "Tuyên truyền, vận động",
    "Nội dung": "Tuyên truyền kỹ thuật trồng rau sạch cho hội viên nông dân",
    "Số cuộc": 1,
    "Số lượt người": 35,
}


def with_activity(base: dict[str, bytes], record: dict | list[dict], name: str = A, sheet: str = ACT) -> bytes:
    """The base workbook with one (or more) activity rows added under the others."""
    wb = load(base[name])
    for r in record if isinstance(record, list) else [record]:
        append_row(wb[sheet], r)
    return save(wb)


def changed(**values) -> dict:
    return {**NEW_ACT, **values}


# =============================================================================== text encodings
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters, tone marks as combining bytes."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out.append((base + "".join(c for c in decomposed if c in _TONES)).encode("cp1258"))
    return b"".join(out)


def csv_text(records: list[dict], sep: str = ",", headers_: list[str] | None = None) -> str:
    import csv

    headers_ = headers_ or ["Ngày", "Khu", "Tổ chức", "Lĩnh vực", "Nội dung", "Số cuộc", "Số lượt người"]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(headers_)
    for r in records:
        writer.writerow(
            [
                (v.strftime("%d/%m/%Y") if isinstance(v, dt.datetime) else ("" if v is None else v))
                for v in (r.get(h) for h in headers_)
            ]
        )
    return buf.getvalue()


CSV_ROWS = [
    {
        "Ngày": "12/04/2025",
        "Khu": "Khu 4",
        "Tổ chức": "Hội Nông dân",
        "Lĩnh vực": "Tuyên truyền, vận động",
        "Nội dung": "Tuyên truyền kỹ thuật trồng rau sạch cho hội viên nông dân",
        "Số cuộc": 1,
        "Số lượt người": 35,
    },
    {
        "Ngày": "20/06/2025",
        "Khu": "Khu 1",
        "Tổ chức": "Hội Người cao tuổi",
        "Lĩnh vực": "Văn hóa, thể thao",
        "Nội dung": "Giao lưu thơ ca của hội viên người cao tuổi",
        "Số cuộc": 1,
        "Số lượt người": 60,
    },
]
CSV_AS = "to-chuc-thanh-vien--hoat-dong.csv"


# =============================================================================== the cases
@dataclass
class Case:
    name: str  # file name of the case, e.g. "header-on-row-5.xlsx"
    description: str
    place_as: str
    build: Callable[[dict[str, bytes]], bytes]
    outcome: str  # ok | warning | rejected | error
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    reason_contains: str | None = None
    remove: tuple[str, ...] = ()
    #: other files the case needs in the folder: (the name they take, how they are made)
    extra: tuple[tuple[str, Callable[[dict[str, bytes]], bytes]], ...] = ()
    accounting: dict | None = None
    kept: list[dict] = field(default_factory=list)
    #: declared figures (indicators.yml codes) the year must give with the case in place
    figures: dict[str, float] = field(default_factory=dict)

    def expected(self) -> dict:
        out = {
            "case": self.name,
            "description": self.description,
            "place_as": self.place_as,
            "remove": list(self.remove),
            "outcome": self.outcome,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason_contains": self.reason_contains,
        }
        if self.extra:
            out["extra"] = [
                {"case_file": self.extra_name(i), "place_as": name} for i, (name, _b) in enumerate(self.extra)
            ]
        if self.accounting is not None:
            out["accounting"] = self.accounting
        if self.kept:
            out["kept"] = self.kept
        if self.figures:
            out["figures"] = self.figures
        return out

    def extra_name(self, i: int) -> str:
        stem = self.name.rsplit(".", 1)[0]
        return f"{stem}.extra-{i + 1}{Path(self.extra[i][0]).suffix}"


def acc(
    read: int,
    kept: int,
    rejected: int = 0,
    blank: int = 0,
    total: int = 0,
    *,
    file: str = A,
    sheet: str = ACT,
    header_row: int = HEADER_ROW,
) -> dict:
    return {
        "file": file,
        "sheet": sheet,
        "header_row": header_row,
        "read": read,
        "kept": kept,
        "rejected": rejected,
        "blank": blank,
        "total": total,
    }


def kept(table: str, source_row: int, column: str, value: object, *, file: str = A) -> dict:
    return {"table": table, "source_file": file, "source_row": source_row, "column": column, "value": value}


def b_truncated(base):
    data = base[A]
    return data[: len(data) // 2]


def b_only_headers(base):
    wb = load(base[A])
    ws = wb[ACT]
    ws.delete_rows(HEADER_ROW + 1, ws.max_row - HEADER_ROW)
    return save(wb)


def b_header_row(n_titles: int):
    def build(base):
        wb = load(base[A])
        titles = [
            ["ỦY BAN MTTQ VIỆT NAM PHƯỜNG BÌNH NGỌC"],
            ["CÁC TỔ CHỨC THÀNH VIÊN"],
            ["SỔ THEO DÕI HOẠT ĐỘNG NĂM 2025"],
            ["(Kèm theo báo cáo tổng kết năm)"],
        ]
        titles += [[None]] * max(0, n_titles - len(titles))
        rows = titles[:n_titles] + [ACT_HEADERS] + [act_values(r) for r in ORG_ROWS[ACT]]
        rebuild_sheet(wb, ACT, rows, merges=tuple(f"A{r}:J{r}" for r in range(1, min(n_titles, 4) + 1)))
        return save(wb)

    return build


def b_merged_header(base):
    wb = load(base[A])
    top = [
        "Ngày",
        "Khu",
        "Tổ chức",
        "Lĩnh vực",
        "Cuộc vận động, phong trào",
        "Nội dung",
        "Kết quả",
        None,
        "Rác thu gom (kg)",
        "Ghi chú",
    ]
    below = [None, None, None, None, None, None, "Số cuộc", "Số lượt người", None, None]
    rows = [["CÁC TỔ CHỨC THÀNH VIÊN"], ["SỔ THEO DÕI HOẠT ĐỘNG NĂM 2025"], top, below]
    rows += [act_values(r) for r in ORG_ROWS[ACT]]
    merges = ("A1:J1", "A2:J2", "G3:H3") + tuple(f"{c}3:{c}4" for c in "ABCDEFIJ")
    rebuild_sheet(wb, ACT, rows, merges)
    return save(wb)


def b_merged_household_header(base):
    wb = load(base["ban-ctmt-khu-1.xlsx"])
    top = [
        "Khu",
        "Số hộ",
        "Số nhân khẩu",
        "Hộ nghèo",
        None,
        "Hộ cận nghèo",
        None,
        "Gia đình văn hóa",
        None,
        "Khu dân cư văn hóa",
    ]
    below = [None, None, None, "Đầu năm", "Cuối năm", "Đầu năm", "Cuối năm", "Hộ đăng ký GĐVH", "Hộ đạt GĐVH", None]
    r = khu_rows(1)["Hộ gia đình"][0]
    values = [
        r["Khu"],
        r["Số hộ"],
        r["Số nhân khẩu"],
        r["Hộ nghèo đầu năm"],
        r["Hộ nghèo cuối năm"],
        r["Hộ cận nghèo đầu năm"],
        r["Hộ cận nghèo cuối năm"],
        r["Hộ đăng ký gia đình văn hóa"],
        r["Hộ đạt gia đình văn hóa"],
        r["Khu dân cư văn hóa"],
    ]
    rows = [["BAN CÔNG TÁC MẶT TRẬN KHU 1"], ["HỘ GIA ĐÌNH NĂM 2025"], top, below, values]
    merges = ("A1:J1", "A2:J2", "D3:E3", "F3:G3", "H3:I3", "A3:A4", "B3:B4", "C3:C4", "J3:J4")
    rebuild_sheet(wb, "Hộ gia đình", rows, merges)
    return save(wb)


def b_header_too_low(base):
    wb = load(base[A])
    rows = [["Ghi chú của người lập bảng"]] + [[None]] * 20 + [ACT_HEADERS] + [act_values(r) for r in ORG_ROWS[ACT]]
    rebuild_sheet(wb, ACT, rows)
    return save(wb)


def b_text_cell(text: str):
    return lambda base: with_activity(base, changed(**{"Nội dung": text}))


def b_nfd(base):
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
    return with_activity(
        base,
        changed(
            **{
                "Khu": nfd("Khu 4"),
                "Tổ chức": nfd("Hội Nông dân"),
                "Lĩnh vực": nfd("Tuyên truyền, vận động"),
                "Nội dung": nfd(NEW_ACT["Nội dung"]),
            }
        ),
    )


def b_totals(labels: list[tuple[int, str]]):
    """Activity rows with total rows after the given data rows (index into the rows, label)."""

    def build(base):
        wb = load(base[A])
        rows = [["CÁC TỔ CHỨC THÀNH VIÊN"], ["SỔ THEO DÕI HOẠT ĐỘNG NĂM 2025"], [None], ACT_HEADERS]
        data = ORG_ROWS[ACT]
        for i, record in enumerate(data):
            rows.append(act_values(record))
            for after, label in labels:
                if after == i:
                    done = data[: i + 1]
                    rows.append(
                        [
                            label,
                            None,
                            None,
                            None,
                            None,
                            None,
                            sum(r["Số cuộc"] for r in done),
                            sum(r["Số lượt người"] for r in done),
                            None,
                            None,
                        ]
                    )
        rebuild_sheet(wb, ACT, rows, merges=("A1:J1", "A2:J2"))
        return save(wb)

    return build


def b_blank_rows(base):
    wb = load(base[A])
    data = ORG_ROWS[ACT]
    rows = [
        ["CÁC TỔ CHỨC THÀNH VIÊN"],
        ["SỔ THEO DÕI HOẠT ĐỘNG NĂM 2025"],
        [None],
        ACT_HEADERS,
        act_values(data[0]),
        [None] * 10,
        ["   "],
        act_values(data[1]),
        act_values(data[2]),
    ]
    rebuild_sheet(wb, ACT, rows, merges=("A1:J1", "A2:J2"))
    return save(wb)


def fund_row(**values) -> dict:
    return {
        "Ngày": D(YEAR, 4, 2),
        "Thu/Chi": "Thu",
        "Nguồn thu": "Cán bộ, công chức",
        "Nội dung": "Cán bộ, công chức phường ủng hộ một ngày lương",
        "Số tiền (đồng)": 3_000_000,
        **values,
    }


def b_fund(*records: dict):
    return lambda base: with_activity(base, list(records), name=M, sheet=FUND)


def b_sheet_renamed(base):
    wb = load(base[A])
    wb[ACT].title = "HĐ năm 2025"
    return save(wb)


def b_sheet_missing(base):
    wb = load(base[A])
    wb.remove(wb[ACT])
    return save(wb)


def b_drop_columns(*drop: str):
    def build(base):
        wb = load(base[A])
        ws = wb[ACT]
        for header in drop:
            ws.delete_cols(headers(ws)[header])
        return save(wb)

    return build


def b_extra_column(base):
    wb = load(base[A])
    ws = wb[ACT]
    col = ws.max_column + 1
    ws.cell(row=HEADER_ROW, column=col, value="Người phụ trách")
    for r, name in zip(
        range(HEADER_ROW + 1, HEADER_ROW + 4), ("Phạm Thị Lan", "Vũ Đức Anh", "Phạm Thị Lan"), strict=True
    ):
        ws.cell(row=r, column=col, value=name)
    return save(wb)


def b_alias_headers(base):
    wb = load(base[A])
    aliased = [
        "Ngày tổ chức",
        "KDC",
        "Đơn vị",
        "Loại hoạt động",
        "Phong trào",
        "Tên hoạt động",
        "so cuoc",
        "SỐ LƯỢT NGƯỜI",
        "Rác thu gom",
        "Ghi  chú",
    ]
    rows = [["CÁC TỔ CHỨC THÀNH VIÊN"], ["SỔ THEO DÕI HOẠT ĐỘNG NĂM 2025"], [None], aliased]
    rows += [act_values(r) for r in ORG_ROWS[ACT]]
    rebuild_sheet(wb, ACT, rows, merges=("A1:J1", "A2:J2"))
    return save(wb)


def b_extra_sheet(base):
    wb = load(base[A])
    ws = wb.create_sheet("Sheet1")
    ws["A1"] = "Danh sách tổ trưởng"
    ws["A2"] = "Phạm Thị Lan"
    return save(wb)


def b_bytes(data: bytes):
    return lambda base: data


def b_csv(text: str, encoding: str = "utf-8"):
    if encoding == "cp1258":
        return b_bytes(to_cp1258(text))
    if encoding == "tcvn3":
        return b_bytes(encode_tcvn3(text).encode("cp1252"))
    if encoding == "vni":
        return b_bytes(encode_vni(text).encode("cp1252"))
    return b_bytes(text.encode(encoding))


def b_duplicate_across(base):
    record = dict(WARD_ROWS[ACT][0])  # the first activity of mttq-phuong.xlsx, typed again here
    return with_activity(base, record)


def b_duplicate_same(base):
    return with_activity(base, dict(ORG_ROWS[ACT][2]))


def b_serial_date(base):
    wb = load(base[A])
    row = append_row(wb[ACT], changed(**{"Ngày": None}))
    wb[ACT].cell(row=row, column=1, value=45759)  # a day number typed into a General cell
    wb[ACT].cell(row=row, column=1).number_format = "General"
    return save(wb)


def b_text_numbers(base):
    return with_activity(base, changed(**{"Số cuộc": "2", "Số lượt người": "1.200", "Ngày": "12/04/2025"}))


def b_target(**values):
    def build(base):
        wb = load(base["chi-tieu.xlsx"])
        append_row(
            wb["Chỉ tiêu"],
            {
                "Năm": YEAR,
                "Mã chỉ tiêu": "nha_ddk",
                "Chỉ tiêu": "Nhà Đại đoàn kết",
                "Đơn vị tính": "căn",
                "Kế hoạch": 2,
                **values,
            },
        )
        return save(wb)

    return build


def b_sheet_row(name: str, sheet: str, record: dict):
    return lambda base: with_activity(base, record, name=name, sheet=sheet)


LONG = (
    "Tuyên truyền, vận động nhân dân thực hiện tốt các chủ trương của Đảng, chính sách, pháp luật của Nhà nước; "
) * 50
LONG = LONG[:4999] + "."
SCRIPT = "<script>alert('xss')</script> **in đậm** _nghiêng_ [liên kết](http://example.com) | cột | `mã` # tiêu đề"
TCVN3_TEXT = encode_tcvn3("Tuyên truyền phòng chống cháy nổ cho hội viên")
VNI_TEXT = encode_vni("Tuyên truyền phòng chống cháy nổ cho hội viên")
BROKEN_LEGACY = "Lo¸¸ng ¶¶kq ©©xz"
OLE = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)
UNDECODABLE = b"Ng\x81y,Khu,N\x8di dung\r\n01/02/2025,Khu 1,x\x90\r\n"  # 0x81, 0x8D, 0x90: not Windows-1258

CASES: list[Case] = [
    # ---- files that cannot be opened, or are missing
    Case(
        "truncated-workbook.xlsx",
        "An .xlsx cut off half way (a copy interrupted, an e-mail attachment cut).",
        A,
        b_truncated,
        "error",
        file=A,
        sheet="",
        reason_contains="không mở được tệp Excel",
    ),
    Case("empty-file.xlsx", "A 0-byte file.", A, b_bytes(b""), "error", file=A, sheet="", reason_contains="tệp rỗng"),
    Case(
        "text-renamed-to-xlsx.xlsx",
        "A CSV saved with an .xlsx name.",
        A,
        b_bytes(csv_text(CSV_ROWS).encode("utf-8")),
        "error",
        file=A,
        sheet="",
        reason_contains="văn bản (có thể là CSV) đổi đuôi .xlsx",
    ),
    Case(
        "old-excel-format.xls",
        "An Excel 97-2003 .xls instead of the .xlsx (the .xlsx is not there).",
        "to-chuc-thanh-vien.xls",
        b_bytes(OLE),
        "error",
        remove=(A,),
        file=A,
        sheet="",
        reason_contains="thiếu tệp số liệu 'to-chuc-thanh-vien.xlsx'",
    ),
    Case(
        "undecodable.csv",
        "A CSV in no encoding baocao can read (bytes undefined in Windows-1258).",
        CSV_AS,
        b_bytes(UNDECODABLE),
        "error",
        file=CSV_AS,
        sheet="",
        reason_contains="không đọc được bảng mã",
    ),
    Case(
        "csv-unknown-sheet.csv",
        "A CSV whose name says a sheet that no input has ('--danh-sach').",
        "to-chuc-thanh-vien--danh-sach.csv",
        b_csv(csv_text(CSV_ROWS)),
        "error",
        file="to-chuc-thanh-vien--danh-sach.csv",
        sheet="",
        reason_contains="không nhận ra tệp CSV",
    ),
    # ---- sheets and headers
    Case(
        "only-headers.xlsx",
        "The activity sheet has its header and no data.",
        A,
        b_only_headers,
        "ok",
        accounting=acc(0, 0),
    ),
    Case(
        "header-on-row-5.xlsx",
        "Four title rows above the header (merged), header on row 5.",
        A,
        b_header_row(4),
        "ok",
        accounting=acc(3, 3, header_row=5),
    ),
    Case(
        "header-on-row-12.xlsx",
        "Eleven rows of titles and blank rows above the header.",
        A,
        b_header_row(11),
        "ok",
        accounting=acc(3, 3, header_row=12),
    ),
    Case(
        "header-below-row-20.xlsx",
        "The header row sits below row 20, too far down to be a header.",
        A,
        b_header_too_low,
        "error",
        file=A,
        sheet=ACT,
        reason_contains="không tìm thấy dòng tiêu đề",
    ),
    Case(
        "merged-header-cells.xlsx",
        "A two-row header: 'Kết quả' merged over 'Số cuộc' and 'Số lượt người', "
        "the other headers merged down over both rows.",
        A,
        b_merged_header,
        "ok",
        accounting=acc(3, 3, header_row=4),
    ),
    Case(
        "merged-header-two-level.xlsx",
        "'Hộ nghèo' merged over 'Đầu năm' / 'Cuối năm' (and likewise).",
        "ban-ctmt-khu-1.xlsx",
        b_merged_household_header,
        "ok",
        accounting=acc(1, 1, file="ban-ctmt-khu-1.xlsx", sheet="Hộ gia đình", header_row=4),
        kept=[kept("households", 5, "poor_end", 6, file="ban-ctmt-khu-1.xlsx")],
    ),
    Case(
        "headers-by-alias.xlsx",
        "Headers written as accepted aliases, in capitals, without diacritics, with double spaces.",
        A,
        b_alias_headers,
        "ok",
        accounting=acc(3, 3),
    ),
    Case(
        "sheet-renamed.xlsx",
        "The sheet 'Hoạt động' renamed 'HĐ năm 2025': read by its header, with a warning.",
        A,
        b_sheet_renamed,
        "warning",
        file=A,
        sheet="HĐ năm 2025",
        reason_contains="không có sheet 'Hoạt động'",
        accounting=acc(3, 3, sheet="HĐ năm 2025"),
    ),
    Case(
        "sheet-missing.xlsx",
        "The sheet 'Hoạt động' deleted.",
        A,
        b_sheet_missing,
        "error",
        file=A,
        sheet=ACT,
        reason_contains="không có sheet 'Hoạt động'",
    ),
    Case(
        "extra-sheet.xlsx",
        "An extra sheet 'Sheet1' with notes in it.",
        A,
        b_extra_sheet,
        "warning",
        file=A,
        sheet="Sheet1",
        reason_contains="sheet không có trong mẫu",
    ),
    Case(
        "column-missing.xlsx",
        "The required column 'Số lượt người' deleted.",
        A,
        b_drop_columns("Số lượt người"),
        "error",
        file=A,
        sheet=ACT,
        row=4,
        column="Số lượt người",
        reason_contains="thiếu cột bắt buộc",
    ),
    Case(
        "optional-columns-missing.xlsx",
        "The optional columns 'Ghi chú' and 'Rác thu gom (kg)' deleted.",
        A,
        b_drop_columns("Ghi chú", "Rác thu gom (kg)"),
        "ok",
        accounting=acc(3, 3),
    ),
    Case(
        "extra-column.xlsx",
        "A column 'Người phụ trách' that the template does not have.",
        A,
        b_extra_column,
        "warning",
        file=A,
        sheet=ACT,
        row=4,
        column="Người phụ trách",
        reason_contains="cột không có trong mẫu",
    ),
    Case(
        "misnamed-file.xlsx",
        "A workbook whose name matches no input file (kept aside, reported).",
        "mttq phuong (ban cu).xlsx",
        lambda base: base[M],
        "warning",
        file="mttq phuong (ban cu).xlsx",
        sheet="",
        reason_contains="tệp không được đọc",
    ),
    # ---- rows: blanks and totals
    Case(
        "totals-row.xlsx",
        "A 'Tổng cộng' row under the data, with the sums.",
        A,
        b_totals([(2, "Tổng cộng")]),
        "ok",
        accounting=acc(4, 3, total=1),
    ),
    Case(
        "subtotal-rows.xlsx",
        "A 'Cộng' subtotal after the first row and a 'Tổng' row at the end.",
        A,
        b_totals([(0, "Cộng"), (2, "Tổng")]),
        "ok",
        accounting=acc(5, 3, total=2),
    ),
    Case(
        "blank-rows.xlsx",
        "An empty row and a row holding only spaces between data rows.",
        A,
        b_blank_rows,
        "ok",
        accounting=acc(5, 3, blank=2),
    ),
    # ---- values: dates
    Case(
        "date-in-another-year.xlsx",
        "An activity dated 28/12/2024 in the 2025 file.",
        A,
        lambda base: with_activity(base, changed(**{"Ngày": "28/12/2024"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Ngày",
        value="28/12/2024",
        reason_contains="không thuộc năm báo cáo 2025",
        accounting=acc(4, 3, rejected=1),
    ),
    Case(
        "excel-serial-date.xlsx",
        "A date typed as the day number 45759 in a General cell (12/04/2025).",
        A,
        b_serial_date,
        "ok",
        kept=[kept("activity", 8, "date", "2025-04-12")],
    ),
    Case(
        "date-text-forms.xlsx",
        "Dates typed as text: '5/3/25', 'ngày 05 tháng 3 năm 2025', '2025-03-05'.",
        A,
        lambda base: with_activity(
            base,
            [
                changed(**{"Ngày": "5/3/25", "Số cuộc": 1}),
                changed(**{"Ngày": "ngày 05 tháng 3 năm 2025", "Số cuộc": 2}),
                changed(**{"Ngày": "2025-03-05", "Số cuộc": 3}),
            ],
        ),
        "ok",
        accounting=acc(6, 6),
        kept=[
            kept("activity", 8, "date", "2025-03-05"),
            kept("activity", 9, "date", "2025-03-05"),
            kept("activity", 10, "date", "2025-03-05"),
        ],
    ),
    Case(
        "date-month-first.xlsx",
        "A text date written month first: '03/25/2025'.",
        A,
        lambda base: with_activity(base, changed(**{"Ngày": "03/25/2025"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Ngày",
        value="03/25/2025",
        reason_contains="ngày phải viết trước tháng",
    ),
    # ---- values: numbers and money
    Case(
        "negative-money.xlsx",
        "A receipt of -500.000 đồng in the Quỹ sheet.",
        M,
        b_fund(fund_row(**{"Số tiền (đồng)": "-500.000"})),
        "rejected",
        file=M,
        sheet=FUND,
        row=9,
        column="Số tiền (đồng)",
        value="-500.000",
        reason_contains="số tiền âm",
        accounting=acc(5, 4, rejected=1, file=M, sheet=FUND),
    ),
    Case(
        "money-with-dong.xlsx",
        "Money typed as text with the currency: '1.500.000 đ', '2.000.000đ', '750.000 VNĐ'.",
        M,
        b_fund(
            fund_row(**{"Số tiền (đồng)": "1.500.000 đ"}),
            fund_row(**{"Số tiền (đồng)": "2.000.000đ", "Ngày": D(YEAR, 4, 3)}),
            fund_row(**{"Số tiền (đồng)": "750.000 VNĐ", "Ngày": D(YEAR, 4, 4)}),
        ),
        "ok",
        kept=[
            kept("fund_txn", 9, "amount", 1_500_000, file=M),
            kept("fund_txn", 10, "amount", 2_000_000, file=M),
            kept("fund_txn", 11, "amount", 750_000, file=M),
        ],
    ),
    Case(
        "money-in-words.xlsx",
        "Money as '1,5 triệu', '2tr', '1,2 tỷ' and '1,500,000'.",
        M,
        b_fund(
            fund_row(**{"Số tiền (đồng)": "1,5 triệu"}),
            fund_row(**{"Số tiền (đồng)": "2tr", "Ngày": D(YEAR, 4, 3)}),
            fund_row(**{"Số tiền (đồng)": "1,2 tỷ", "Ngày": D(YEAR, 4, 4)}),
            fund_row(**{"Số tiền (đồng)": "1,500,000", "Ngày": D(YEAR, 4, 5)}),
        ),
        "ok",
        kept=[
            kept("fund_txn", 9, "amount", 1_500_000, file=M),
            kept("fund_txn", 10, "amount", 2_000_000, file=M),
            kept("fund_txn", 11, "amount", 1_200_000_000, file=M),
            kept("fund_txn", 12, "amount", 1_500_000, file=M),
        ],
    ),
    Case(
        "numbers-stored-as-text.xlsx",
        "Counts and the date typed as text ('2', '1.200', '12/04/2025').",
        A,
        b_text_numbers,
        "ok",
        kept=[
            kept("activity", 8, "participants", 1200),
            kept("activity", 8, "sessions", 2),
            kept("activity", 8, "date", "2025-04-12"),
        ],
    ),
    Case(
        "decimal-in-count.xlsx",
        "A count of people with a decimal: '12,5'.",
        A,
        lambda base: with_activity(base, changed(**{"Số lượt người": "12,5"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Số lượt người",
        value="12,5",
        reason_contains="không phải số nguyên",
    ),
    Case(
        "formula-error-ref.xlsx",
        "A formula whose result is #REF! in 'Số lượt người'.",
        A,
        lambda base: with_activity(base, changed(**{"Số lượt người": "#REF!"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Số lượt người",
        value="#REF!",
        reason_contains="lỗi công thức Excel #REF!",
    ),
    Case(
        "formula-error-value.xlsx",
        "A formula whose result is #VALUE! in 'Số cuộc'.",
        A,
        lambda base: with_activity(base, changed(**{"Số cuộc": "#VALUE!"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Số cuộc",
        value="#VALUE!",
        reason_contains="lỗi công thức Excel #VALUE!",
    ),
    Case(
        "month-13.xlsx",
        "Month 13 in 'Kiến nghị cử tri'.",
        M,
        b_sheet_row(
            M,
            "Kiến nghị cử tri",
            {
                "Tháng": 13,
                "Kênh tiếp nhận": "Đơn thư",
                "Tiếp nhận": 2,
                "Đã chuyển": 2,
                "Đã trả lời": 1,
                "Đang giải quyết": 1,
            },
        ),
        "rejected",
        file=M,
        sheet="Kiến nghị cử tri",
        row=7,
        column="Tháng",
        value="13",
        reason_contains="không có tháng 13",
    ),
    Case(
        "targets-wrong-year.xlsx",
        "A target for 2023 in the 2025 targets file.",
        "chi-tieu.xlsx",
        b_target(**{"Năm": 2023}),
        "rejected",
        file="chi-tieu.xlsx",
        sheet="Chỉ tiêu",
        row=10,
        column="Năm",
        value="2023",
        reason_contains="năm 2023 không phải năm báo cáo 2025",
    ),
    # ---- values: khu, catalogues, organisations
    Case(
        "unknown-khu.xlsx",
        "'Khu 7' in a ward of four khu.",
        A,
        lambda base: with_activity(base, changed(**{"Khu": "Khu 7"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Khu",
        value="Khu 7",
        reason_contains="khu 'Khu 7' không có trong danh sách khu dân cư",
        accounting=acc(4, 3, rejected=1),
    ),
    Case(
        "khu-spellings.xlsx",
        "Khu written 'khu I', 'K1', 'KDC số 1', 'Ban CTMT khu 2', 'Toàn phường'.",
        A,
        lambda base: with_activity(
            base,
            [
                changed(**{"Khu": k, "Số cuộc": i})
                for i, k in enumerate(("khu I", "K1", "KDC số 1", "Ban CTMT khu 2", "Toàn phường"), start=1)
            ],
        ),
        "ok",
        accounting=acc(8, 8),
        kept=[
            kept("activity", 8, "area", "khu-1"),
            kept("activity", 9, "area", "khu-1"),
            kept("activity", 10, "area", "khu-1"),
            kept("activity", 11, "area", "khu-2"),
            kept("activity", 12, "area", "toan-phuong"),
        ],
    ),
    Case(
        "unknown-field.xlsx",
        "A 'Lĩnh vực' that is not in the catalogue.",
        A,
        lambda base: with_activity(base, changed(**{"Lĩnh vực": "Thể dục dưỡng sinh"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Lĩnh vực",
        value="Thể dục dưỡng sinh",
        reason_contains="không có trong danh mục của cột 'Lĩnh vực'",
    ),
    Case(
        "unknown-organisation.xlsx",
        "An organisation the ward does not have.",
        A,
        lambda base: with_activity(base, changed(**{"Tổ chức": "Hội Sinh viên"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Tổ chức",
        value="Hội Sinh viên",
        reason_contains="không có trong danh mục của cột 'Tổ chức'",
    ),
    Case(
        "catalogue-aliases.xlsx",
        "Catalogue values and organisations by their other names ('VSMT', 'CN xanh', 'Hội Phụ nữ').",
        A,
        lambda base: with_activity(
            base, changed(**{"Lĩnh vực": "VSMT", "Cuộc vận động, phong trào": "CN xanh", "Tổ chức": "Hội Phụ nữ"})
        ),
        "ok",
        kept=[
            kept("activity", 8, "field", "ve_sinh_moi_truong"),
            kept("activity", 8, "org", "hlhpn"),
            kept("activity", 8, "campaign", "chu_nhat_xanh"),
        ],
    ),
    Case(
        "missing-required-value.xlsx",
        "An activity without its khu.",
        A,
        lambda base: with_activity(base, changed(**{"Khu": None})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Khu",
        value="",
        reason_contains="thiếu giá trị ở cột bắt buộc 'Khu'",
    ),
    Case(
        "same-khu-twice.xlsx",
        "Households of Khu 1 reported again in the Khu 2 file.",
        "ban-ctmt-khu-2.xlsx",
        b_sheet_row("ban-ctmt-khu-2.xlsx", "Hộ gia đình", {**khu_rows(1)["Hộ gia đình"][0], "Số hộ": 615}),
        "rejected",
        file="ban-ctmt-khu-2.xlsx",
        sheet="Hộ gia đình",
        row=6,
        column="Khu",
        value="Khu 1",
        reason_contains="đã có số liệu ở dòng 5 của tệp ban-ctmt-khu-1.xlsx",
    ),
    Case(
        "row-check-failed.xlsx",
        "More recommendations resolved than made (a row rule of inputs.yml).",
        M,
        b_sheet_row(
            M,
            "Giám sát",
            {
                "Ngày": D(YEAR, 10, 2),
                "Nội dung giám sát": "Giám sát thực hiện dân chủ",
                "Hình thức": "Phối hợp",
                "Số cuộc": 1,
                "Số kiến nghị": 2,
                "Đã giải quyết": 3,
            },
        ),
        "rejected",
        file=M,
        sheet="Giám sát",
        row=6,
        column="",
        value="",
        reason_contains="số kiến nghị đã giải quyết lớn hơn số kiến nghị",
    ),
    Case(
        "gift-total-mismatch.xlsx",
        "A gift total that is not count × unit value: kept, with a warning.",
        M,
        b_sheet_row(
            M,
            "Tặng quà",
            {
                "Ngày": D(YEAR, 9, 28),
                "Dịp": "Tết Trung thu",
                "Đối tượng": "Trẻ em",
                "Khu": "Toàn phường",
                "Số suất": 50,
                "Trị giá mỗi suất (đồng)": 100_000,
                "Thành tiền (đồng)": 4_500_000,
            },
        ),
        "warning",
        file=M,
        sheet="Tặng quà",
        row=7,
        column="",
        value="",
        reason_contains="thành tiền khác số suất × trị giá mỗi suất",
    ),
    # ---- duplicates
    Case(
        "duplicate-row-across-files.xlsx",
        "The first activity of mttq-phuong.xlsx typed again in this file.",
        A,
        b_duplicate_across,
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="",
        value="",
        reason_contains="trùng hoàn toàn với dòng 5 của tệp mttq-phuong.xlsx (sheet 'Hoạt động')",
        accounting=acc(4, 3, rejected=1),
    ),
    Case(
        "duplicate-row-same-sheet.xlsx",
        "The same activity typed twice in one sheet: kept, with a warning.",
        A,
        b_duplicate_same,
        "warning",
        file=A,
        sheet=ACT,
        row=8,
        column="",
        value="",
        reason_contains="giống hệt dòng 7 cùng sheet",
        accounting=acc(4, 4),
    ),
    # ---- text
    Case(
        "tcvn3-text.xlsx",
        "A cell typed with the .VnTime font (TCVN3): converted, with a warning.",
        A,
        b_text_cell(TCVN3_TEXT),
        "warning",
        file=A,
        sheet=ACT,
        row=8,
        column="Nội dung",
        value=TCVN3_TEXT,
        reason_contains="TCVN3",
        kept=[kept("activity", 8, "description", "Tuyên truyền phòng chống cháy nổ cho hội viên")],
    ),
    Case(
        "vni-text.xlsx",
        "A cell typed with the VNI-Times font (VNI): converted, with a warning.",
        A,
        b_text_cell(VNI_TEXT),
        "warning",
        file=A,
        sheet=ACT,
        row=8,
        column="Nội dung",
        value=VNI_TEXT,
        reason_contains="VNI",
        kept=[kept("activity", 8, "description", "Tuyên truyền phòng chống cháy nổ cho hội viên")],
    ),
    Case(
        "legacy-text-unconvertible.xlsx",
        "Text that looks typed in a legacy font but converts to no Vietnamese.",
        A,
        b_text_cell(BROKEN_LEGACY),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Nội dung",
        value=BROKEN_LEGACY,
        reason_contains="phông chữ cũ (TCVN3/VNI)",
    ),
    Case(
        "nfd-text.xlsx",
        "Decomposed (NFD) text in the khu, organisation, field and description: matched and stored as NFC.",
        A,
        b_nfd,
        "ok",
        kept=[
            kept("activity", 8, "description", NEW_ACT["Nội dung"]),
            kept("activity", 8, "org", "hnd"),
            kept("activity", 8, "area", "khu-4"),
        ],
    ),
    Case(
        "long-cell-5000-chars.xlsx",
        "A 5,000-character description: kept whole, with a warning.",
        A,
        b_text_cell(LONG),
        "warning",
        file=A,
        sheet=ACT,
        row=8,
        column="Nội dung",
        value=LONG[:60] + "…",
        reason_contains="ô văn bản dài 5000 ký tự",
    ),
    Case(
        "script-and-markdown.xlsx",
        "HTML <script> and Markdown in a description: kept as plain text.",
        A,
        b_text_cell(SCRIPT),
        "ok",
        kept=[kept("activity", 8, "description", SCRIPT)],
    ),
    # ---- CSV
    Case(
        "utf8.csv",
        "The activity sheet as CSV, UTF-8 without BOM.",
        CSV_AS,
        b_csv(csv_text(CSV_ROWS)),
        "ok",
        accounting=acc(2, 2, file=CSV_AS, header_row=1),
    ),
    Case(
        "utf8-bom.csv",
        "CSV UTF-8 with BOM, as Excel saves 'CSV UTF-8'.",
        CSV_AS,
        b_csv(csv_text(CSV_ROWS), "utf-8-sig"),
        "ok",
        accounting=acc(2, 2, file=CSV_AS, header_row=1),
        kept=[kept("activity", 2, "description", CSV_ROWS[0]["Nội dung"], file=CSV_AS)],
    ),
    Case(
        "semicolon.csv",
        "CSV separated by ';' (Excel on a machine with a comma decimal mark).",
        CSV_AS,
        b_csv(csv_text(CSV_ROWS, sep=";")),
        "ok",
        accounting=acc(2, 2, file=CSV_AS, header_row=1),
    ),
    Case(
        "utf16-tab.csv",
        "Excel's 'Unicode Text': UTF-16 with BOM, tab-separated.",
        CSV_AS,
        b_csv(csv_text(CSV_ROWS, sep="\t"), "utf-16"),
        "ok",
        accounting=acc(2, 2, file=CSV_AS, header_row=1),
    ),
    Case(
        "windows-1258.csv",
        "CSV saved in Windows-1258 (Vietnamese Windows 'ANSI'): converted, with a warning.",
        CSV_AS,
        b_csv(csv_text(CSV_ROWS), "cp1258"),
        "warning",
        file=CSV_AS,
        sheet="",
        reason_contains="Windows-1258",
        kept=[kept("activity", 2, "description", CSV_ROWS[0]["Nội dung"], file=CSV_AS)],
    ),
    Case(
        "tcvn3-file.csv",
        "A whole CSV in TCVN3 (ABC) bytes: converted, with a warning.",
        CSV_AS,
        b_csv(csv_text(CSV_ROWS), "tcvn3"),
        "warning",
        file=CSV_AS,
        sheet="",
        reason_contains="TCVN3",
        kept=[kept("activity", 3, "description", CSV_ROWS[1]["Nội dung"], file=CSV_AS)],
    ),
    Case(
        "vni-file.csv",
        "A whole CSV in VNI-Windows bytes: converted, with a warning.",
        CSV_AS,
        b_csv(csv_text(CSV_ROWS), "vni"),
        "warning",
        file=CSV_AS,
        sheet="",
        reason_contains="VNI",
        kept=[kept("activity", 3, "description", CSV_ROWS[1]["Nội dung"], file=CSV_AS)],
    ),
]


# A sheet sent as CSV stands for that sheet of its workbook, which must then hold no rows: the
# CSV cases come with the workbook's "Hoạt động" sheet emptied (header only).
for _case in CASES:
    if _case.place_as == CSV_AS and not _case.extra:
        _case.extra = ((A, b_only_headers),)


# ---- the narrative and the report's metadata (read by baocao.narrative, not by the cleaner)
def narrative_with(line: str, heading: str = "Ưu điểm") -> tuple[bytes, int]:
    """The base narrative with the paragraph under ``heading`` replaced by ``line``; (bytes, its line)."""
    lines = narrative_text().splitlines()
    at = lines.index(f"## {heading}") + 2
    lines[at] = line
    return ("\n".join(lines) + "\n").encode("utf-8"), at + 1


LEGACY_LINE = encode_tcvn3("Công tác tuyên truyền được triển khai kịp thời, đúng trọng tâm.")
NARRATIVE_TCVN3, NARRATIVE_TCVN3_ROW = narrative_with(LEGACY_LINE)
NARRATIVE_HTML, NARRATIVE_HTML_ROW = narrative_with("<script>alert('xss')</script> Kết quả nổi bật.")

CASES += [
    Case(
        "narrative-windows-1258.md",
        "The narrative saved by Notepad as 'ANSI' (Windows-1258), not UTF-8.",
        "nhan-dinh.md",
        lambda base: to_cp1258(narrative_text()),
        "error",
        file="nhan-dinh.md",
        sheet="",
        row=1,
        reason_contains="không được lưu dạng UTF-8",
    ),
    Case(
        "narrative-tcvn3-line.md",
        "A paragraph of the narrative pasted from a .VnTime document (TCVN3).",
        "nhan-dinh.md",
        b_bytes(NARRATIVE_TCVN3),
        "error",
        file="nhan-dinh.md",
        sheet="",
        row=NARRATIVE_TCVN3_ROW,
        reason_contains="phông chữ cũ TCVN3 (đọc đúng là: 'Công tác tuyên truyền được triển khai",
    ),
    Case(
        "narrative-html.md",
        "An HTML <script> line in the narrative: refused, it would reach the report.",
        "nhan-dinh.md",
        b_bytes(NARRATIVE_HTML),
        "error",
        file="nhan-dinh.md",
        sheet="",
        row=NARRATIVE_HTML_ROW,
        column="1",
        reason_contains="không được chứa thẻ HTML",
    ),
    Case(
        "meta-not-utf8.yml",
        "The report's metadata saved in Windows-1258.",
        "thong-tin-bao-cao.yml",
        lambda base: to_cp1258(META),
        "error",
        file="thong-tin-bao-cao.yml",
        sheet="",
        row=1,
        reason_contains="không được lưu dạng UTF-8",
    ),
    Case(
        "meta-date-missing.yml",
        "The report's metadata without its date.",
        "thong-tin-bao-cao.yml",
        b_bytes("\n".join(ln for ln in META.splitlines() if not ln.startswith("ngay_bao_cao")).encode("utf-8")),
        "error",
        file="thong-tin-bao-cao.yml",
        sheet="",
        column="ngay_bao_cao",
        reason_contains="thiếu khóa bắt buộc",  # the key is the problem's column
    ),
]


# ---- issue 11: what offices really send
def b_hidden_alias_sheet(base):
    """A hidden sheet named by an alias of the Quỹ sheet ('Quỹ VNN'), first in the workbook, with
    only the payments: it must never be read in place of the visible sheet."""
    wb = load(base[M])
    hidden = wb.copy_worksheet(wb[FUND])
    hidden.title = "Quỹ VNN"
    rows = [r for r in range(HEADER_ROW + 1, last_row(hidden) + 1) if hidden.cell(row=r, column=2).value == "Thu"]
    for r in reversed(rows):
        hidden.delete_rows(r)
    hidden.sheet_state = "hidden"
    wb.move_sheet(hidden, offset=-wb.index(hidden))
    return save(wb)


def b_hidden_only(base):
    wb = load(base[A])
    wb[ACT].sheet_state = "hidden"
    return save(wb)


def b_changed_households(name: str, households: int):
    def build(base):
        wb = load(base[name])
        ws = wb["Hộ gia đình"]
        ws.cell(row=HEADER_ROW + 1, column=headers(ws)["Số hộ"], value=households)
        return save(wb)

    return build


def b_merged_occasion(base):
    """Three gifts of one occasion with 'Dịp' merged down over their rows, as offices do."""
    wb = load(base[M])
    ws = wb["Tặng quà"]
    first = None
    for i, (recipient, count) in enumerate((("Trẻ em", 40), ("Hộ nghèo", 15), ("Người cao tuổi", 10))):
        row = append_row(
            ws,
            {
                "Ngày": D(YEAR, 9, 20),
                "Dịp": "Tết Trung thu" if i == 0 else None,
                "Đối tượng": recipient,
                "Khu": "Toàn phường",
                "Số suất": count,
                "Trị giá mỗi suất (đồng)": 100_000,
                "Thành tiền (đồng)": count * 100_000,
                "Nguồn kinh phí": "Nhân dân",
            },
        )
        first = first or row
    col = openpyxl.utils.get_column_letter(headers(ws)["Dịp"])
    ws.merge_cells(f"{col}{first}:{col}{first + 2}")
    return save(wb)


def b_signature_block(base):
    wb = load(base[A])
    ws = wb[ACT]
    r = last_row(ws)
    ws.cell(row=r + 1, column=8, value=f"Bình Ngọc, ngày 05 tháng 12 năm {YEAR}")
    ws.cell(row=r + 2, column=2, value="Người lập biểu")
    ws.cell(row=r + 2, column=8, value="TRƯỞNG BAN")
    ws.cell(row=r + 3, column=2, value="(Ký, ghi rõ họ tên)")
    ws.cell(row=r + 3, column=8, value="(Ký, ghi rõ họ tên)")
    ws.cell(row=r + 6, column=2, value="Phạm Thị Lan")
    ws.cell(row=r + 6, column=8, value="Vũ Đức Anh")
    return save(wb)


def b_subtotals(base):
    wb = load(base[M])
    ws = wb[FUND]
    append_row(ws, fund_row())
    # The sums an office writes agree with its rows (so they reconcile); "Tổng thu" sums one
    # kind only and "Tồn quỹ cuối năm" is a balance: neither is compared with the rows.
    header = next(r for r in ws.iter_rows() if any(c.value == "Số tiền (đồng)" for c in r))
    col = next(c.column for c in header if c.value == "Số tiền (đồng)")
    total = sum(
        v
        for (v,) in ws.iter_rows(min_row=header[0].row + 1, min_col=col, max_col=col, values_only=True)
        if isinstance(v, (int, float))
    )
    for label, amount in (
        ("Cộng tháng 4", total),
        ("Lũy kế từ đầu năm", total),
        ("Tổng thu", 28_000_000),
        ("Cộng phát sinh", total),
        ("Tồn quỹ cuối năm", 39_000_000),
    ):
        append_row(ws, {"Nội dung": label, "Số tiền (đồng)": amount}, row=last_row(ws) + 1)
    return save(wb)


def b_formula_without_value(base):
    return with_activity(base, changed(**{"Số lượt người": "=20+15"}))  # openpyxl stores no result


def b_stray_cell(base):
    wb = load(base[A])
    wb[ACT]["A1048576"] = " "
    return save(wb)


def b_inflated_sheet(base):
    """A valid workbook whose activity sheet's XML inflates 20 MB of white space (ratio ≈ 1000)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(base[A]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                head, sep, tail = data.partition(b"<sheetData>")
                data = head + b" " * 20_000_000 + sep + tail
            new = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            new.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(new, data, compresslevel=9)
    return out.getvalue()


def b_without_sheet(name: str, sheet: str):
    def build(base):
        wb = load(base[name])
        wb.remove(wb[sheet])
        return save(wb)

    return build


SUPERVISION_CSV = [
    {
        "Ngày": "12/08/2025",
        "Nội dung giám sát": "Giám sát việc thực hiện chính sách BHYT học sinh",
        "Hình thức": "Phối hợp",
        "Số cuộc": 1,
        "Số kiến nghị": 2,
        "Đã giải quyết": 2,
        "Sai phạm phát hiện": 0,
    }
]
SUPERVISION_HEADERS = [
    "Ngày",
    "Nội dung giám sát",
    "Hình thức",
    "Số cuộc",
    "Số kiến nghị",
    "Đã giải quyết",
    "Sai phạm phát hiện",
]
SUP_CSV_AS = "mttq-phuong--giam-sat.csv"
META_LINES = META.rstrip("\n")
NARRATIVE_EMOJI, NARRATIVE_EMOJI_ROW = narrative_with("Phong trào được nhân dân hưởng ứng 👍 nhiệt tình.")
NARRATIVE_HIEROGLYPH, NARRATIVE_HIEROGLYPH_ROW = narrative_with("Phong trào được nhân dân hưởng ứng 𓀀 nhiệt tình.")
TYPED = (
    "Chi $5 cho @Nguyễn Văn A, {{ mẫu }} [x]{onfocus=alert(1)} a\\b 2*3*4 = 24; tỷ lệ 50%; 12:30; ~1~ ^2^\n"
    "::: {onmouseover=alert(2)}\n#1 việc trọng tâm, | cột |, =, :smile:, &amp;"
)
NARRATIVE_HASH, NARRATIVE_HASH_ROW = narrative_with("Kết quả nổi bật của năm:\n# Nhiều mô hình hay được nhân rộng.")
NARRATIVE_TYPED, _ = narrative_with(TYPED)

CASES += [
    Case(
        "hidden-sheet-alias.xlsx",
        "A hidden sheet named by an alias of the Quỹ sheet ('Quỹ VNN'), first in the "
        "workbook and holding only the payments: reported, never read instead of the visible sheet.",
        M,
        b_hidden_alias_sheet,
        "warning",
        file=M,
        sheet="Quỹ VNN",
        reason_contains="sheet đang bị ẩn",
        accounting=acc(4, 4, file=M, sheet=FUND),
    ),
    Case(
        "hidden-sheet-only.xlsx",
        "The activity sheet hidden (no visible sheet of that table).",
        A,
        b_hidden_only,
        "error",
        file=A,
        sheet=ACT,
        reason_contains="khớp tên nhưng đang bị ẩn",
    ),
    Case(
        "resent-copy-1.xlsx",
        "A corrected copy 'ban-ctmt-khu-2 (1).xlsx' sent next to the original: two files for one khu.",
        "ban-ctmt-khu-2 (1).xlsx",
        b_changed_households("ban-ctmt-khu-2.xlsx", 625),
        "error",
        file="ban-ctmt-khu-2.xlsx",
        sheet="",
        reason_contains="có 2 tệp cùng là 'ban-ctmt-khu-2.xlsx': 'ban-ctmt-khu-2 (1).xlsx', 'ban-ctmt-khu-2.xlsx'",
    ),
    Case(
        "resent-copy-windows.xlsx",
        "Windows' 'mttq-phuong - Copy.xlsx' next to the original.",
        "mttq-phuong - Copy.xlsx",
        lambda base: base[M],
        "error",
        file=M,
        sheet="",
        reason_contains="có 2 tệp cùng là 'mttq-phuong.xlsx'",
    ),
    Case(
        "near-name-capitals.xlsx",
        "The ward's workbook saved as 'MTTQ Phuong.xlsx' (capitals, a space, no "
        "hyphen): read as mttq-phuong.xlsx, with a warning.",
        "MTTQ Phuong.xlsx",
        lambda base: base[M],
        "warning",
        remove=(M,),
        file="MTTQ Phuong.xlsx",
        sheet="",
        reason_contains="tên tệp khác tên chuẩn 'mttq-phuong.xlsx'",
        accounting=acc(4, 4, file="MTTQ Phuong.xlsx", sheet=FUND),
    ),
    Case(
        "near-name-khu.xlsx",
        "Khu 3's workbook saved as 'Ban CTMT Khu 3.xlsx': read as ban-ctmt-khu-3.xlsx.",
        "Ban CTMT Khu 3.xlsx",
        lambda base: base["ban-ctmt-khu-3.xlsx"],
        "warning",
        remove=("ban-ctmt-khu-3.xlsx",),
        file="Ban CTMT Khu 3.xlsx",
        sheet="",
        reason_contains="tên tệp khác tên chuẩn 'ban-ctmt-khu-3.xlsx'",
        accounting=acc(1, 1, file="Ban CTMT Khu 3.xlsx", sheet="Hộ gia đình"),
    ),
    Case(
        "khu-file-missing.yml",
        "Khu 4's workbook missing, nothing declared (the metadata as in the base year).",
        "thong-tin-bao-cao.yml",
        b_bytes(META.encode("utf-8")),
        "error",
        remove=("ban-ctmt-khu-4.xlsx",),
        file="ban-ctmt-khu-4.xlsx",
        sheet="",
        reason_contains="thiếu tệp số liệu 'ban-ctmt-khu-4.xlsx' của Khu 4",
    ),
    Case(
        "khu-no-activity.yml",
        "Khu 4's workbook missing, and the metadata declares 'khu_khong_hoat_dong: "
        '["Khu 4"]\': built without it, with a warning.',
        "thong-tin-bao-cao.yml",
        b_bytes((META_LINES + '\nkhu_khong_hoat_dong: ["Khu 4"]\n').encode("utf-8")),
        "warning",
        remove=("ban-ctmt-khu-4.xlsx",),
        file="ban-ctmt-khu-4.xlsx",
        sheet="",
        reason_contains="Khu 4 không có hoạt động",
    ),
    Case(
        "khu-declared-but-sent.yml",
        "Khu 4 declared without activity, yet its workbook is in the folder.",
        "thong-tin-bao-cao.yml",
        b_bytes((META_LINES + '\nkhu_khong_hoat_dong: ["Khu 4"]\n').encode("utf-8")),
        "error",
        file="ban-ctmt-khu-4.xlsx",
        sheet="",
        reason_contains="khai báo khu 'Khu 4' không có số liệu",
    ),
    Case(
        "file-not-sent.yml",
        "No targets file this year, declared as 'tep_khong_gui: [\"chi-tieu.xlsx\"]'.",
        "thong-tin-bao-cao.yml",
        b_bytes((META_LINES + '\ntep_khong_gui: ["chi-tieu.xlsx"]\n').encode("utf-8")),
        "warning",
        remove=("chi-tieu.xlsx",),
        file="chi-tieu.xlsx",
        sheet="",
        reason_contains="không có tệp 'chi-tieu.xlsx'",
    ),
    Case(
        "merged-occasion-column.xlsx",
        "Three gifts with 'Dịp' merged down over their rows: each row has it.",
        M,
        b_merged_occasion,
        "ok",
        accounting=acc(5, 5, file=M, sheet="Tặng quà"),
        kept=[
            kept("gifts", 7, "occasion", "trung_thu", file=M),
            kept("gifts", 8, "occasion", "trung_thu", file=M),
            kept("gifts", 9, "occasion", "trung_thu", file=M),
        ],
    ),
    Case(
        "khu-to-3.xlsx",
        "'Tổ 3' (a group, not a khu) in the Khu column: rejected with the candidates, not read as Khu 3.",
        A,
        lambda base: with_activity(base, changed(**{"Khu": "Tổ 3"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Khu",
        value="Tổ 3",
        reason_contains="không chỉ rõ một khu dân cư của đơn vị (có thể là: Khu 3)",
    ),
    Case(
        "khu-1-2.xlsx",
        "'Khu 1-2' (two khu in one cell): rejected with both candidates.",
        A,
        lambda base: with_activity(base, changed(**{"Khu": "Khu 1-2"})),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Khu",
        value="Khu 1-2",
        reason_contains="(có thể là: Khu 1, Khu 2)",
    ),
    Case(
        "meta-duplicate-key.yml",
        "The document number typed twice in the metadata (YAML keeps the last).",
        "thong-tin-bao-cao.yml",
        b_bytes((META_LINES + '\nso: "13"\n').encode("utf-8")),
        "error",
        file="thong-tin-bao-cao.yml",
        sheet="",
        row=len(META_LINES.splitlines()) + 1,
        column="so",
        reason_contains="có khóa 'so' hai lần (dòng 2 và dòng",
    ),
    Case(
        "formula-without-value.xlsx",
        "A formula written by a program, never computed by Excel ('=20+15' with no stored result).",
        A,
        b_formula_without_value,
        "error",
        file=A,
        sheet=ACT,
        row=8,
        column="Số lượt người",
        reason_contains="ô có công thức nhưng tệp không lưu kết quả",
    ),
    Case(
        "signature-block.xlsx",
        "A date line, 'Người lập biểu' / 'TRƯỞNG BAN', '(Ký, ghi rõ họ tên)' and the "
        "signers' names under the table: non-data rows, counted.",
        A,
        b_signature_block,
        "ok",
        accounting=acc(9, 3, blank=2, total=4),
    ),
    Case(
        "subtotal-forms.xlsx",
        "'Cộng tháng 4', 'Lũy kế từ đầu năm', 'Tổng thu', 'Cộng phát sinh', 'Tồn quỹ cuối "
        "năm' rows in the Quỹ sheet: total rows, counted, never summed.",
        M,
        b_subtotals,
        "ok",
        accounting=acc(10, 5, total=5, file=M, sheet=FUND),
    ),
    Case(
        "xlsm-workbook.xlsm",
        "The ward's workbook saved as a macro-enabled .xlsm (a route data/README.md documents).",
        "mttq-phuong.xlsm",
        lambda base: base[M],
        "ok",
        remove=(M,),
        accounting=acc(4, 4, file="mttq-phuong.xlsm", sheet=FUND),
    ),
    Case(
        "csv-sheet-beside-workbook.csv",
        "The 'Giám sát' sheet sent as 'mttq-phuong--giam-sat.csv' next to the "
        "workbook, which no longer has that sheet (a route data/README.md documents).",
        SUP_CSV_AS,
        b_csv(csv_text(SUPERVISION_CSV, headers_=SUPERVISION_HEADERS)),
        "ok",
        extra=((M, b_without_sheet(M, "Giám sát")),),
        accounting=acc(1, 1, file=SUP_CSV_AS, sheet="Giám sát", header_row=1),
    ),
    Case(
        "csv-sheet-and-sheet.csv",
        "'mttq-phuong--giam-sat.csv' next to a workbook whose 'Giám sát' sheet has data "
        "too: two sources for one sheet.",
        SUP_CSV_AS,
        b_csv(csv_text(SUPERVISION_CSV, headers_=SUPERVISION_HEADERS)),
        "error",
        file=M,
        sheet="Giám sát",
        reason_contains="cũng là sheet này",
    ),
    Case(
        "stray-cell-row-1048576.xlsx",
        "One stray space in A1048576 (the used range reaches Excel's last row): read as fast as its three rows.",
        A,
        b_stray_cell,
        "ok",
        accounting=acc(3, 3),
    ),
    Case(
        "inflated-sheet.xlsx",
        "A sheet whose XML inflates 20 MB of white space (1000:1): refused before it is decompressed.",
        A,
        b_inflated_sheet,
        "error",
        file=A,
        sheet="",
        reason_contains="không phải số liệu bình thường",
    ),
    Case(
        "narrative-emoji.md",
        "A pasted emoji (👍) in the narrative: drawn by the fallback font Noto Emoji (report/fonts).",
        "nhan-dinh.md",
        b_bytes(NARRATIVE_EMOJI),
        "ok",
    ),
    Case(
        "narrative-unprintable-char.md",
        "A character no font of the PDF has (an Egyptian hieroglyph, 𓀀) in the narrative: refused with its place.",
        "nhan-dinh.md",
        b_bytes(NARRATIVE_HIEROGLYPH),
        "error",
        file="nhan-dinh.md",
        sheet="",
        row=NARRATIVE_HIEROGLYPH_ROW,
        column=str(1 + "Phong trào được nhân dân hưởng ứng ".__len__()),
        reason_contains="không in được bằng phông chữ",
    ),
    Case(
        "narrative-hash-line.md",
        "A line of a paragraph starting with '# ' (a heading to Markdown): refused with its line.",
        "nhan-dinh.md",
        b_bytes(NARRATIVE_HASH),
        "error",
        file="nhan-dinh.md",
        sheet="",
        row=NARRATIVE_HASH_ROW + 1,
        column="1",
        reason_contains="chỉ dùng tiêu đề cấp 2",
    ),
    Case(
        "narrative-typed-markup.md",
        "Prose with what offices type: '$5', '@name', '{{', '[x]{onfocus=…}', "
        "'::: {onmouseover=…}', a backslash, '#' at a line start, '|', ':smile:': rendered as typed.",
        "nhan-dinh.md",
        b_bytes(NARRATIVE_TYPED),
        "ok",
    ),
]


# =============================================================================== issue 21: the office mess
# Each rule of issue 21 with the example and variants: a file read under a near name feeds
# every figure; what validate accepts, build builds (or validate names the character); percent
# cells as shown; files of another year not read; a US-locale day/month swap refused; likely
# double counts flagged; the furniture of a printed form skipped, never rejected.
K2 = "ban-ctmt-khu-2.xlsx"
#: The Ban CTMT figures of the base year (4 khu × 2 activities: 1 cuộc each, 60+5n and 40+n lượt).
BAN_CTMT = {"ban_ctmt_hoat_dong": 8, "ban_ctmt_cuoc": 8, "ban_ctmt_luot": 460, "ban_ctmt_cnx_buoi": 4}
TITLES = [["ỦY BAN MTTQ VIỆT NAM PHƯỜNG BÌNH NGỌC"], ["CÁC TỔ CHỨC THÀNH VIÊN"], [f"HOẠT ĐỘNG NĂM {YEAR}"]]
WARD_ACT_ROWS = len(WARD_ROWS[ACT])
TARGET_ROW = HEADER_ROW + len(TARGET_ROWS["Chỉ tiêu"]) + 1  # a target row added under the others


def b_title(text: str, name: str = A, sheet: str = ACT):
    def build(base):
        wb = load(base[name])
        wb[sheet]["A3"] = text
        return save(wb)

    return build


def b_activity_sheet(rows: list[list], merges: tuple[str, ...] = (), titles: list[list] | None = None):
    """The activity sheet of the member organisations laid out row by row under the usual titles."""

    def build(base):
        wb = load(base[A])
        rebuild_sheet(wb, ACT, (titles or TITLES) + rows, merges)
        return save(wb)

    return build


def b_percent_target(code: str, unit: str, stored: float, number_format: str):
    def build(base):
        wb = load(base["chi-tieu.xlsx"])
        ws = wb["Chỉ tiêu"]
        row = append_row(ws, {"Năm": YEAR, "Mã chỉ tiêu": code, "Chỉ tiêu": code, "Đơn vị tính": unit})
        cell = ws.cell(row=row, column=headers(ws)["Kế hoạch"], value=stored)
        cell.number_format = number_format
        return save(wb)

    return build


def act(day: object, **values) -> list:
    return act_values({**NEW_ACT, "Ngày": day, **values})


ORG = [act_values(r) for r in ORG_ROWS[ACT]]
SWAPPED = [act(D(YEAR, 5, 3)), act("25/03/2025"), act(D(YEAR, 11, 6)), act("14/07/2025"), act(D(YEAR, 8, 2))]
ATTENDANCE_TOP = ["Ngày", "Khu", "Tổ chức", "Lĩnh vực", "Cuộc vận động, phong trào", "Nội dung", "Số cuộc"]
ATTENDANCE_TOP += ["Số lượt người", None, "Rác thu gom (kg)", "Ghi chú"]


def b_two_level_attendance(base):
    below = [None] * 7 + ["Tổng số", "Trong đó: nữ", None, None]
    rows = [ATTENDANCE_TOP, below]
    for r in ORG_ROWS[ACT]:
        v = act_values(r)
        rows.append(v[:8] + [v[7] // 2] + v[8:])
    merges = ("H4:I4",) + tuple(f"{c}4:{c}5" for c in "ABCDEFGJK")
    wb = load(base[A])
    rebuild_sheet(wb, ACT, TITLES + rows, merges)
    return save(wb)


def b_ward_activity(**values):
    def build(base):
        record = {
            "Ngày": D(YEAR, 4, 4),
            "Khu": "Khu 2",
            "Tổ chức": "Ủy ban MTTQ phường",
            "Lĩnh vực": "Tuyên truyền, vận động",
            "Nội dung": "Phối hợp tuyên truyền Luật Thực hiện dân chủ ở cơ sở tại khu 2",
            "Số cuộc": 1,
            "Số lượt người": 72,
            **values,
        }
        return with_activity(base, record, name=M)

    return build


def b_models_text(text: str):
    def build(base):
        wb = load(base[A])
        append_row(wb[ACT], changed(**{"Nội dung": text}))
        return save(wb)

    return build


EMOJI_TEXT = "Ngày hội hoa 🌸 của hội viên ★ ✓ ① ™ 👍"
SCRIPTS_TEXT = "Tặng quà Công ty 新华贸易 (Móng Cái); chị Sok ខ្មែរ; anh Bounmy ລາວ"
HIEROGLYPH_TEXT = "Giao lưu văn hóa 𓀀 cổ"

INTAKE_CASES: list[Case] = [
    # (1) a file read under a near name feeds every figure ------------------------------
    Case(
        "near-name-khu-figures.xlsx",
        "Khu 2's workbook saved as 'Ban CTMT khu 2.xlsx': read as ban-ctmt-khu-2.xlsx, and the Ban CTMT figures "
        "(each Ban CTMT's own file) count it.",
        "Ban CTMT khu 2.xlsx",
        lambda base: base[K2],
        "warning",
        remove=(K2,),
        file="Ban CTMT khu 2.xlsx",
        sheet="",
        reason_contains="tên tệp khác tên chuẩn 'ban-ctmt-khu-2.xlsx'",
        figures=BAN_CTMT,
    ),
    Case(
        "near-name-khu-roman.xlsx",
        "Khu 2's workbook saved as 'BAN CTMT KHU II.xlsx' (a Roman numeral): read as ban-ctmt-khu-2.xlsx, "
        "counted in the Ban CTMT figures.",
        "BAN CTMT KHU II.xlsx",
        lambda base: base[K2],
        "warning",
        remove=(K2,),
        file="BAN CTMT KHU II.xlsx",
        sheet="",
        reason_contains="tên tệp khác tên chuẩn 'ban-ctmt-khu-2.xlsx'",
        figures=BAN_CTMT,
    ),
    Case(
        "near-name-khu-copy-of.xlsx",
        "Khu 4's workbook sent as 'Copy of ban-ctmt-khu-4.xlsx' (the original not there): read as "
        "ban-ctmt-khu-4.xlsx, counted in the Ban CTMT figures.",
        "Copy of ban-ctmt-khu-4.xlsx",
        lambda base: base["ban-ctmt-khu-4.xlsx"],
        "warning",
        remove=("ban-ctmt-khu-4.xlsx",),
        file="Copy of ban-ctmt-khu-4.xlsx",
        sheet="",
        reason_contains="tên tệp khác tên chuẩn 'ban-ctmt-khu-4.xlsx'",
        figures=BAN_CTMT,
    ),
    # (2) whatever validate accepts, build builds ----------------------------------------
    Case(
        "text-emoji-symbols.xlsx",
        "An activity pasted from Zalo with an emoji and symbols ('🌸 ★ ✓ ① ™ 👍'): kept as typed (the PDF's "
        "fallback fonts draw them).",
        A,
        b_models_text(EMOJI_TEXT),
        "ok",
        kept=[kept("activity", 8, "description", EMOJI_TEXT)],
    ),
    Case(
        "text-cjk-khmer-lao.xlsx",
        "Chinese in a business name, Khmer and Lao in people's names: kept as typed (fallback fonts).",
        A,
        b_models_text(SCRIPTS_TEXT),
        "ok",
        kept=[kept("activity", 8, "description", SCRIPTS_TEXT)],
    ),
    Case(
        "text-unprintable-char.xlsx",
        "A character no font of the PDF has (an Egyptian hieroglyph): the row is rejected, naming the character, "
        "so that the build never fails on it.",
        A,
        b_models_text(HIEROGLYPH_TEXT),
        "rejected",
        file=A,
        sheet=ACT,
        row=8,
        column="Nội dung",
        value=HIEROGLYPH_TEXT,
        reason_contains="ký tự '𓀀' (U+13000",
    ),
    # (3) a percent-formatted cell is the percentage it shows ------------------------------
    Case(
        "percent-format-target.xlsx",
        "A target typed as 93% in a cell formatted 0.0% (stored 0,93): read as 93.",
        "chi-tieu.xlsx",
        b_percent_target("ty_le_gdvh", "%", 0.93, "0.0%"),
        "ok",
        kept=[kept("targets", TARGET_ROW, "target", 93.0, file="chi-tieu.xlsx")],
    ),
    Case(
        "percent-format-whole.xlsx",
        "A target typed as 7% in a cell formatted 0% (stored 0,07): read as 7, not 7,000000000000001.",
        "chi-tieu.xlsx",
        b_percent_target("ty_le_hoa_giai_thanh", "%", 0.07, "0%"),
        "ok",
        kept=[kept("targets", TARGET_ROW, "target", 7.0, file="chi-tieu.xlsx")],
    ),
    # (4) files of another year are not this year's data --------------------------------
    Case(
        "other-year-name-khu.xlsx",
        "Last year's 'ban-ctmt-khu-1-2024.xlsx' left beside this year's file: not read (khu 1 counted once), "
        "with a warning.",
        "ban-ctmt-khu-1-2024.xlsx",
        lambda base: base["ban-ctmt-khu-1.xlsx"],
        "warning",
        file="ban-ctmt-khu-1-2024.xlsx",
        sheet="",
        value="ban-ctmt-khu-1-2024.xlsx",
        reason_contains="tên tệp ghi năm 2024, không phải năm báo cáo 2025",
        figures=BAN_CTMT,
    ),
    Case(
        "other-year-name-ward.xlsx",
        "Last year's 'mttq-phuong (2024).xlsx' left in the folder: not read, with a warning.",
        "mttq-phuong (2024).xlsx",
        lambda base: base[M],
        "warning",
        file="mttq-phuong (2024).xlsx",
        sheet="",
        value="mttq-phuong (2024).xlsx",
        reason_contains="tên tệp ghi năm 2024",
    ),
    Case(
        "this-year-in-name.xlsx",
        "The ward's workbook named 'mttq-phuong-2025.xlsx' (this year in its name): read as mttq-phuong.xlsx.",
        "mttq-phuong-2025.xlsx",
        lambda base: base[M],
        "warning",
        remove=(M,),
        file="mttq-phuong-2025.xlsx",
        sheet="",
        reason_contains="tên tệp khác tên chuẩn 'mttq-phuong.xlsx'",
    ),
    Case(
        "other-year-title.xlsx",
        "A workbook whose title says 'HOẠT ĐỘNG NĂM 2024' (last year's file under this year's name): not read.",
        A,
        b_title("HOẠT ĐỘNG TUYÊN TRUYỀN, VẬN ĐỘNG, PHONG TRÀO NĂM 2024"),
        "error",
        file=A,
        sheet=ACT,
        row=3,
        column="A",
        reason_contains="tiêu đề của sheet ghi năm 2024, không phải năm báo cáo 2025",
    ),
    Case(
        "title-next-year-targets.xlsx",
        "The targets file titled 'CHỈ TIÊU NĂM 2026' (it holds next year's targets too): read.",
        "chi-tieu.xlsx",
        b_title("CHỈ TIÊU NĂM 2026", name="chi-tieu.xlsx", sheet="Chỉ tiêu"),
        "ok",
    ),
    # (5) month and day swapped by a US-locale Excel --------------------------------------
    Case(
        "date-us-swapped.xlsx",
        "Dates typed dd/mm on a PC set to month first: every real date has a day ≤ 12 (swapped), every day > 12 "
        "stayed text. Refused, naming the column and an example of each.",
        A,
        b_activity_sheet([ACT_HEADERS, *SWAPPED]),
        "error",
        file=A,
        sheet=ACT,
        row=5,
        column="Ngày",
        reason_contains="bị đảo ngày và tháng",
    ),
    Case(
        "date-us-swapped-dashes.xlsx",
        "The same swap with the text dates written '25-03-2025', '14.07.2025'.",
        A,
        b_activity_sheet([ACT_HEADERS, act("25-03-2025"), act(D(YEAR, 5, 3)), act("14.07.2025"), act(D(YEAR, 6, 1))]),
        "error",
        file=A,
        sheet=ACT,
        row=6,
        column="Ngày",
        reason_contains="bị đảo ngày và tháng",
    ),
    Case(
        "date-mixed-not-swapped.xlsx",
        "Real dates (days ≤ 12) beside text dates of both kinds ('05/04/2025', '25/03/2025'): no swap, read as typed.",
        A,
        b_activity_sheet([ACT_HEADERS, act(D(YEAR, 5, 3)), act("05/04/2025"), act("25/03/2025")]),
        "ok",
        kept=[kept("activity", 6, "date", "2025-04-05"), kept("activity", 5, "date", "2025-05-03")],
    ),
    # (6) one event in two files --------------------------------------------------------
    Case(
        "double-count-ward-khu.xlsx",
        "Khu 2's propaganda session of 04/04 also in the ward's file (wording and attendance a little different): "
        "both kept, a warning names both rows.",
        M,
        b_ward_activity(),
        "warning",
        file=K2,
        sheet=ACT,
        row=5,
        column="Ngày",
        value="04/04/2025",
        reason_contains=f"dòng này và tệp mttq-phuong.xlsx (sheet 'Hoạt động', dòng {HEADER_ROW + WARD_ACT_ROWS + 1})",
    ),
    Case(
        "double-count-same-counts.xlsx",
        "The same event in the ward's file worded quite differently but with the same attendance: flagged.",
        M,
        b_ward_activity(**{"Nội dung": "Hội nghị phổ biến pháp luật cho nhân dân", "Số lượt người": 70}),
        "warning",
        file=K2,
        sheet=ACT,
        row=5,
        column="Ngày",
        value="04/04/2025",
        reason_contains="có thể tính hai lần",
    ),
    Case(
        "double-count-unlike.xlsx",
        "A ward activity in Khu 2 on the same day and of the same kind, worded differently and with five times the "
        "attendance: another event, no warning.",
        M,
        b_ward_activity(**{"Nội dung": "Hội nghị phổ biến pháp luật cho nhân dân", "Số lượt người": 350}),
        "ok",
    ),
    Case(
        "double-count-other-field.xlsx",
        "The ward's own activity in Khu 2 on the same day but of another kind: not the same event, no warning.",
        M,
        b_ward_activity(**{"Lĩnh vực": "Văn hóa, thể thao", "Nội dung": "Giao lưu văn nghệ", "Số lượt người": 300}),
        "ok",
    ),
    # (7) parts of the form are not data ---------------------------------------------------
    Case(
        "form-repeated-header-page-break.xlsx",
        "A list copied back from a printout: the header repeated at the page break and 'Trang 1/2', 'Trang 2/2' "
        "lines: skipped, counted as non-data.",
        A,
        b_activity_sheet([ACT_HEADERS, ORG[0], ORG[1], ["Trang 1/2"], ACT_HEADERS, ORG[2], [None, None, "Trang 2/2"]]),
        "ok",
        accounting=acc(6, 3, total=3),
    ),
    Case(
        "form-column-numbers.xlsx",
        "The column-number row under the header: '(1)' … '(10)'.",
        A,
        b_activity_sheet([ACT_HEADERS, [f"({i})" for i in range(1, 11)], *ORG]),
        "ok",
        accounting=acc(4, 3, total=1),
    ),
    Case(
        "form-column-letters-formula.xlsx",
        "A column-number row of letters, numbers and a formula: 'A', 'B', 'C', 'D', 'E', 'F', 1, 2, '(3)=(1)x(2)', 4.",
        A,
        b_activity_sheet([ACT_HEADERS, ["A", "B", "C", "D", "E", "F", 1, 2, "(3)=(1)x(2)", 4], *ORG]),
        "ok",
        accounting=acc(4, 3, total=1),
    ),
    Case(
        "form-notes-under-table.xlsx",
        "Notes under the table: 'Ghi chú:' with a line under it, '(*) …', 'Nguồn: …'.",
        A,
        b_activity_sheet(
            [
                ACT_HEADERS,
                *ORG,
                ["Ghi chú:"],
                ["- Số liệu tính đến ngày 30/11/2025."],
                ["(*) Hoạt động phối hợp với Ban CTMT các khu."],
                [None, "Nguồn: Văn phòng Ủy ban MTTQ phường."],
            ]
        ),
        "ok",
        accounting=acc(7, 3, total=4),
    ),
    Case(
        "form-section-rows.xlsx",
        "Section rows between activities: 'I | QUÝ I', 'II. QUÝ II', 'B | HOẠT ĐỘNG PHỐI HỢP' (STT restarting).",
        A,
        b_activity_sheet(
            [ACT_HEADERS, ["I", "QUÝ I"], ORG[0], ["II. QUÝ II"], ORG[1], ["B", "HOẠT ĐỘNG PHỐI HỢP"], ORG[2]]
        ),
        "ok",
        accounting=acc(6, 3, total=3),
    ),
    Case(
        "form-two-level-attendance.xlsx",
        "'Số lượt người' merged over 'Tổng số' | 'Trong đó: nữ': the attendance is 'Tổng số'; the women-only "
        "column is never read as it.",
        A,
        b_two_level_attendance,
        "ok",
        accounting=acc(3, 3, header_row=5),
        kept=[kept("activity", 6, "participants", 150)],
    ),
]
CASES += INTAKE_CASES


# =============================================================================== writing
def readme(cases: list[Case]) -> str:
    lines = [
        "# Bad-input corpus",
        "",
        "One small file per odd or broken input, named after it, with `<case>.expected.json` next to it.",
        "Generated by `make_corpus.py` (do not edit by hand; run it again after changing templates or the",
        f"input spec). Each case replaces or joins one file of the valid base year `{BASE_DIR.as_posix()}/`;",
        "`tests/test_bad_inputs.py` runs every case and asserts its outcome exactly.",
        "",
        "| case | placed as | outcome | what |",
        "|---|---|---|---|",
    ]
    for c in cases:
        what = c.description.replace("|", "\\|")
        lines.append(f"| `{c.name}` | `{c.place_as}` | {c.outcome} | {what} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where to write the corpus (default: next to this script)"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    base_dir = out / BASE_DIR
    if base_dir.exists():
        shutil.rmtree(base_dir)
    base = make_base(base_dir)
    keep = {"make_corpus.py", "README.md", "_base", "__pycache__"}
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in CASES:
        (out / case.name).write_bytes(case.build(base))
        for i, (_name, build) in enumerate(case.extra):
            (out / case.extra_name(i)).write_bytes(build(base))
            keep.add(case.extra_name(i))
        stem = case.name.rsplit(".", 1)[0]
        text = json.dumps(case.expected(), ensure_ascii=False, indent=2) + "\n"
        (out / f"{stem}.expected.json").write_text(text, encoding="utf-8")
        keep |= {case.name, f"{stem}.expected.json"}
    for stale in out.iterdir():
        if stale.name not in keep:
            stale.unlink() if stale.is_file() else shutil.rmtree(stale)
    (out / "README.md").write_text(readme(CASES), encoding="utf-8")
    print(f"{len(CASES)} cases and the base year written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
