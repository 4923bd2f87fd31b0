"""Make the sample source data of baocao: what the offices of phường Bình Ngọc send each year.

For each sample year (2021-2024) this writes into ``data/raw/<year>/``:

* ``ban-ctmt-khu-1.xlsx`` … ``ban-ctmt-khu-4.xlsx`` (one per Ban Công tác Mặt trận khu dân cư):
  sheets "Hoạt động", "Hộ gia đình", "Mô hình thi đua", "Hòa giải";
* ``mttq-phuong.xlsx`` (the ward committee's office): "Hoạt động", "Quỹ Vì người nghèo", "Số dư quỹ",
  "Tặng quà", "Nhà Đại đoàn kết", "Giám sát", "Phản biện, góp ý", "Kiến nghị cử tri", "Khen thưởng";
* ``to-chuc-thanh-vien.xlsx`` (member organisations): "Tổ chức", "Hoạt động";
* ``chi-tieu.xlsx``: the targets of the report year and of the next year;
* ``thong-tin-bao-cao.yml``: the report's number, date, term, signer and recipients;
* ``nhan-dinh.md``: the narrative written by people (assessment, directions, proposals).

File, sheet and column names follow ``data/reference/inputs.yml``; category values follow
``data/reference/catalogues.yml``; organisations and khu follow ``baocao.yml``. The numbers are
invented but coherent: households grow about 1 % a year, poor households fall, the Quỹ "Vì
người nghèo" balance carries over from one year to the next, Tết gifts go to the poor and
near-poor households of each khu and are paid from the Quỹ, and so on.

The workbooks imitate the everyday mess of real office files on purpose (title rows above the
header, numbers and dates typed as text in some files, "Tổng cộng" rows, khu spelled in several
ways, a few alias headers, an empty column, formatted blank rows). Exactly the rows listed in
``EXPECTED_REJECTS`` are invalid; everything else must pass the cleaner.

What the rows are drawn from is data, in ``scripts/sample/``: the activities
(``activities.yml``: each khu's pool, the ward committee's and the member organisations' own),
the names, lists and tables of values (``values.yml``: people's names, models, donors,
supervision and critique items, the indicators targeted, each year's report metadata), the
narratives (``nhan-dinh-<year>.md``) and the rows wrong on purpose (``expected-rejects.yml``).
Whether a value it writes is understood (a category, an organisation, a khu, a header) is
decided by the package's own look-ups (``baocao.config``, ``baocao.labels``,
``baocao.textenc.fold_key``), as the cleaner decides it; amounts are printed by
``baocao.vnformat.fmt_int``.

The script has two layers: ``build_*`` functions return :class:`Table` objects (rows as dicts
keyed by the column ``name`` of inputs.yml, values as the office typed them or as Python
numbers/dates), and ``write_*`` functions lay them out in workbooks. ``check_table`` verifies
every table against the reference files before anything is written.

Deterministic: every random choice comes from ``random.Random`` seeded by (year, file, table),
workbook timestamps are fixed and the zip containers are rewritten with fixed entry dates, so
two runs give byte-identical files.

Usage::

    python scripts/make_sample_data.py [--out data/raw] [--years 2021 2022 2023 2024]
"""

import argparse
import calendar
import datetime as dt
import math
import os
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import yaml
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from baocao import config, labels
from baocao.textenc import fold_key
from baocao.vnformat import fmt_int

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "data" / "reference"
CONFIG_FILE = ROOT / "baocao.yml"
DEFAULT_OUT = ROOT / "data" / "raw"

YEARS = (2021, 2022, 2023, 2024)
KHU = (1, 2, 3, 4)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

#: What this script reads besides the package's reference files: the activities the rows are
#: drawn from (activities.yml), the narratives people write (nhan-dinh-<year>.md) and the rows
#: that are wrong on purpose (expected-rejects.yml).
SAMPLE_DIR = ROOT / "scripts" / "sample"
# The rows that are wrong on purpose: the cleaner must reject exactly these (1-based Excel rows).
EXPECTED_REJECTS = yaml.safe_load((SAMPLE_DIR / "expected-rejects.yml").read_text(encoding="utf-8"))
# Names, lists and tables of values (people's names, models, donors, supervision and critique
# items, the indicators targeted, each year's report metadata).
VALUES = yaml.safe_load((SAMPLE_DIR / "values.yml").read_text(encoding="utf-8"))


def _fields(entry: dict, *names: str) -> tuple:
    """An entry's fields, in order, a list as a tuple (what the builders unpack)."""
    return tuple(tuple(entry[n]) if isinstance(entry[n], list) else entry[n] for n in names)


# =============================================================================== reference files


class Reference:
    """inputs.yml, catalogues.yml, indicators.yml and baocao.yml as data to write from (the
    rows' names, headers, indicators); whether a value is understood is the package's own
    look-up (its catalogues, khu labels and headers), as the cleaner reads it."""

    def __init__(self, root: Path = ROOT):
        ref = root / "data" / "reference"
        self.inputs = yaml.safe_load((ref / "inputs.yml").read_text(encoding="utf-8"))
        self.catalogues = yaml.safe_load((ref / "catalogues.yml").read_text(encoding="utf-8"))
        declared = yaml.safe_load((ref / "indicators.yml").read_text(encoding="utf-8"))
        # the chỉ tiêu (the codes chi-tieu.xlsx takes), with their name, unit, direction and kind
        self.indicators = {code: {"code": code, **declared["indicators"][code]} for code in declared["chi_tieu"]}
        self.config = yaml.safe_load((root / "baocao.yml").read_text(encoding="utf-8"))
        self.tables = self.inputs["tables"]
        self.package = config.Reference(ref)
        self.unit = config.UnitConfig.load(root / "baocao.yml")

    # categories -------------------------------------------------------------------------
    def entry(self, catalogue: str, id_: str) -> dict:
        for e in self.catalogues[catalogue]:
            if e["id"] == id_:
                return e
        raise KeyError(f"{catalogue}: no id {id_!r}")

    def name(self, catalogue: str, id_: str) -> str:
        return self.entry(catalogue, id_)["name"]

    def resolve(self, catalogue: str, text: str) -> str | None:
        item = self.package.catalogues[catalogue].match(text)
        return item.id if item else None

    # organisations and areas -----------------------------------------------------------
    def org_name(self, id_: str) -> str:
        return next(o["name"] for o in self.config["organisations"] if o["id"] == id_)

    def org_resolve(self, text: str) -> str | None:
        item = self.unit.org_catalogue.match(text)
        return item.id if item else None

    @staticmethod
    def area_resolve(text: str) -> str | None:
        """'khu-<n>' for "Khu 1", "khu I", "K1", "KDC số 1"; 'toan-phuong' for "Toàn phường"."""
        if labels.is_whole_unit(text):
            return "toan-phuong"
        n = labels.area_number(text)
        return f"khu-{n}" if n else None

    # columns --------------------------------------------------------------------------------
    def column(self, table: str, name: str) -> dict:
        return next(c for c in self.tables[table]["columns"] if c["name"] == name)

    def headers_ok(self, table: str, name: str, header: str) -> bool:
        column = next(c for c in self.package.tables[table].columns if c.name == name)
        return fold_key(header) in column.header_keys()


_REF: Reference | None = None


def ref() -> Reference:
    global _REF
    if _REF is None:
        _REF = Reference()
    return _REF


def cat(catalogue: str, id_: str, rng: random.Random | None = None, p_alias: float = 0.0) -> str:
    """A category value as an office writes it: mostly the catalogue name, now and then an alias."""
    e = ref().entry(catalogue, id_)
    aliases = e.get("aliases") or []
    if rng is not None and aliases and rng.random() < p_alias:
        return rng.choice(aliases)
    return e["name"]


# =============================================================================== small helpers


def rng_for(*parts: object) -> random.Random:
    """One random stream per (year, file, table): changing one table leaves the others alone."""
    return random.Random("/".join(str(p) for p in parts))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def vn_num(value: float) -> str:
    """120.5 → "120,5"; 1250.0 → "1.250"."""
    if float(value).is_integer():
        return fmt_int(int(value))
    whole, frac = f"{value:.2f}".rstrip("0").split(".")
    return f"{fmt_int(int(whole))},{frac}"


def round_to(value: float, step: int) -> int:
    return int(round(value / step)) * step


def rand_day(rng: random.Random, year: int, month: int, lo: int = 1, hi: int | None = None) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, rng.randint(lo, min(hi or last, last)))


def sundays(year: int, month: int) -> list[dt.date]:
    first = dt.date(year, month, 1)
    day = first + dt.timedelta(days=(6 - first.weekday()) % 7)
    out = []
    while day.month == month:
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def khu_label(k: int, form: str) -> str:
    """The ways offices write a khu: "Khu 1", "khu 1", "K1", "Khu I", "KDC số 1"."""
    return {"Khu": f"Khu {k}", "khu": f"khu {k}", "K": f"K{k}", "roman": f"Khu {ROMAN[k]}", "KDC": f"KDC số {k}"}[form]


def mixed_khu(rng: random.Random, k: int) -> str:
    return khu_label(k, rng.choices(["Khu", "khu", "K", "roman", "KDC"], [8, 2, 1, 1, 1])[0])


SURNAMES = VALUES["names"]["surnames"]
MALE = (VALUES["names"]["male"]["middle"], VALUES["names"]["male"]["given"])
FEMALE = (VALUES["names"]["female"]["middle"], VALUES["names"]["female"]["given"])


def person(rng: random.Random) -> tuple[str, str]:
    """(title, full name): ("ông", "Nguyễn Văn Hùng") or ("bà", "Lê Thị Mai")."""
    male = rng.random() < 0.55
    middles, givens = MALE if male else FEMALE
    return ("ông" if male else "bà"), f"{rng.choice(SURNAMES)} {rng.choice(middles)} {rng.choice(givens)}"


# =============================================================================== tables and styles


@dataclass
class Table:
    """One sheet's table as built: rows are dicts keyed by the inputs.yml column ``name``.

    A value that is a ``str`` is written verbatim; ints, floats and dates are written as numbers
    and dates or typed as text, depending on the file's :class:`FileStyle`. Keys starting with
    "_" are notes for the script (``_reject`` marks a row that is wrong on purpose).
    """

    table: str  # key of inputs.yml `tables`
    sheet: str  # sheet name as written
    title: str  # title line above the header
    columns: list[str]  # column names, in the order written
    rows: list[dict]
    headers: dict[str, str] = field(default_factory=dict)  # name -> alias written instead of the header
    total: bool = False  # a "Tổng cộng" row under the body
    total_note: str | None = None  # text for the total row's "Ghi chú"
    stt: bool = True  # a "STT" first column
    blank_col_after: str | None = None  # an empty column after this one
    trailing_blank_rows: int = 0  # formatted empty rows under the table

    def header(self, name: str) -> str:
        return self.headers.get(name) or ref().column(self.table, name)["header"]


@dataclass(frozen=True)
class FileStyle:
    """How one office types its workbook."""

    header_row: int  # 3, 4 or 5: title rows (and a blank row) above the header
    text_numbers: bool  # numbers typed as text "1.500.000"
    text_dates: bool  # dates typed as text "05/03/2023"
    dong_suffix: bool = False  # now and then a money cell ends in " đ" (text numbers only)
    merge_titles: bool = True  # title rows merged across the table's width


# One style per (year, file); chosen by hand so that every year has a bit of every kind of mess.
STYLES: dict[tuple[int, str], FileStyle] = {
    (2021, "ban-ctmt-khu-1"): FileStyle(4, False, False),
    (2021, "ban-ctmt-khu-2"): FileStyle(3, True, True, merge_titles=False),
    (2021, "ban-ctmt-khu-3"): FileStyle(5, False, True),
    (2021, "ban-ctmt-khu-4"): FileStyle(4, True, False),
    (2021, "mttq-phuong"): FileStyle(5, False, False),
    (2021, "to-chuc-thanh-vien"): FileStyle(3, True, True),
    (2021, "chi-tieu"): FileStyle(4, False, False),
    (2022, "ban-ctmt-khu-1"): FileStyle(3, False, True),
    (2022, "ban-ctmt-khu-2"): FileStyle(5, False, False),
    (2022, "ban-ctmt-khu-3"): FileStyle(4, True, True, dong_suffix=True),
    (2022, "ban-ctmt-khu-4"): FileStyle(5, True, False, merge_titles=False),
    (2022, "mttq-phuong"): FileStyle(4, True, True, dong_suffix=True),
    (2022, "to-chuc-thanh-vien"): FileStyle(5, False, False),
    (2022, "chi-tieu"): FileStyle(3, True, False),
    (2023, "ban-ctmt-khu-1"): FileStyle(5, True, False),
    (2023, "ban-ctmt-khu-2"): FileStyle(4, False, True),
    (2023, "ban-ctmt-khu-3"): FileStyle(3, False, True),
    (2023, "ban-ctmt-khu-4"): FileStyle(4, False, False, merge_titles=False),
    (2023, "mttq-phuong"): FileStyle(3, False, False),
    (2023, "to-chuc-thanh-vien"): FileStyle(4, True, True),
    (2023, "chi-tieu"): FileStyle(5, False, False),
    (2024, "ban-ctmt-khu-1"): FileStyle(3, True, True, dong_suffix=True),
    (2024, "ban-ctmt-khu-2"): FileStyle(5, False, False),
    (2024, "ban-ctmt-khu-3"): FileStyle(4, False, False),
    (2024, "ban-ctmt-khu-4"): FileStyle(3, True, True),
    (2024, "mttq-phuong"): FileStyle(4, True, False, dong_suffix=True),
    (2024, "to-chuc-thanh-vien"): FileStyle(5, False, True),
    (2024, "chi-tieu"): FileStyle(4, False, False),
}

# How each khu file spells its own khu in the "Khu" column (year, khu) -> form of khu_label().
KHU_FORMS = {
    2021: {1: "Khu", 2: "Khu", 3: "roman", 4: "Khu"},
    2022: {1: "Khu", 2: "K", 3: "Khu", 4: "KDC"},
    2023: {1: "Khu", 2: "khu", 3: "Khu", 4: "roman"},
    2024: {1: "KDC", 2: "Khu", 3: "K", 4: "Khu"},
}

# Headers written as an alias of inputs.yml instead of the header: (year, file, sheet, column).
ALIASED_HEADERS = {
    (2021, "to-chuc-thanh-vien", "Hoạt động", "date"): "Ngày thực hiện",
    (2021, "ban-ctmt-khu-2", "Hộ gia đình", "households"): "Tổng số hộ",
    (2022, "mttq-phuong", "Tặng quà", "count"): "Số phần quà",
    (2022, "to-chuc-thanh-vien", "Tổ chức", "members"): "Số hội viên, đoàn viên",
    (2023, "ban-ctmt-khu-1", "Hoạt động", "participants"): "Lượt người",
    (2023, "mttq-phuong", "Nhà Đại đoàn kết", "support"): "Kinh phí hỗ trợ",
    (2024, "mttq-phuong", "Quỹ Vì người nghèo", "source"): "Nguồn vận động",
    (2024, "ban-ctmt-khu-4", "Hòa giải", "received"): "Tiếp nhận",
}

# Files whose "Hoạt động" / "Quỹ Vì người nghèo" sheet ends with a "Tổng cộng" row.
TOTAL_ROWS = {
    (2021, "ban-ctmt-khu-1"),
    (2021, "mttq-phuong"),
    (2021, "to-chuc-thanh-vien"),
    (2022, "ban-ctmt-khu-2"),
    (2022, "ban-ctmt-khu-4"),
    (2023, "ban-ctmt-khu-1"),
    (2023, "mttq-phuong"),
    (2023, "to-chuc-thanh-vien"),
    (2024, "ban-ctmt-khu-2"),
    (2024, "ban-ctmt-khu-3"),
    (2024, "mttq-phuong"),
}


def aliased(year: int, file: str, sheet: str) -> dict[str, str]:
    return {col: alias for (y, f, s, col), alias in ALIASED_HEADERS.items() if (y, f, s) == (year, file, sheet)}


# =============================================================================== the ward's figures

# Households and people per khu (Khu 1..4) at the end of each year: ~1 % growth a year.
HOUSEHOLDS = {
    2021: (812, 634, 748, 566),
    2022: (821, 640, 756, 571),
    2023: (829, 647, 763, 577),
    2024: (839, 653, 771, 582),
}
POPULATION = {
    2021: (3146, 2452, 2897, 2181),
    2022: (3171, 2470, 2921, 2196),
    2023: (3199, 2493, 2946, 2214),
    2024: (3230, 2514, 2973, 2233),
}
# Poor and near-poor households at the end of each year; the start of a year is the previous end.
POOR_START_2021 = (12, 11, 13, 9)
POOR_END = {2021: (10, 9, 11, 8), 2022: (8, 8, 9, 6), 2023: (6, 6, 7, 5), 2024: (4, 4, 5, 4)}
NEAR_POOR_START_2021 = (16, 14, 17, 11)
NEAR_POOR_END = {2021: (14, 13, 15, 10), 2022: (12, 12, 13, 9), 2023: (10, 10, 11, 8), 2024: (9, 8, 9, 7)}
# Share of households recognised "gia đình văn hóa" (whole ward, %), and each khu's offset.
GDVH_RATE = {2021: 92.1, 2022: 93.0, 2023: 94.1, 2024: 95.0}
GDVH_OFFSET = (0.8, 0.4, -1.3, 0.0)
KDC_VAN_HOA = {2021: (1, 1, 0, 1), 2022: (1, 1, 1, 1), 2023: (1, 1, 1, 1), 2024: (1, 1, 1, 1)}

FUND_OPENING_2021 = 268_650_000  # Quỹ "Vì người nghèo" balance on 01/01/2021 (đồng): most of the
#                                  money raised in the peak month of 2020, spent during 2021
FUND_SCALE = {2021: 0.82, 2022: 0.92, 2023: 1.0, 2024: 1.0}  # Covid year low, then recovery

TET = {2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10)}
TRUNG_THU = {
    2021: dt.date(2021, 9, 21),
    2022: dt.date(2022, 9, 10),
    2023: dt.date(2023, 9, 29),
    2024: dt.date(2024, 9, 17),
}
HOUSES_PER_YEAR = {2021: 2, 2022: 3, 2023: 4, 2024: 6}

# Member organisations' members at the end of 2020 (continued year by year).
MEMBERS_2020 = {
    "hlhpn": 1596,
    "doan-tn": 322,
    "hcck": 204,
    "hnd": 468,
    "hnct": 1121,
    "hctd": 408,
    "hkh": 1851,
    "cd": 94,
}
NEW_MEMBERS = {
    "hlhpn": (30, 60),
    "doan-tn": (22, 45),
    "hcck": (4, 11),
    "hnd": (8, 20),
    "hnct": (38, 70),
    "hctd": (14, 32),
    "hkh": (40, 85),
    "cd": (3, 9),
}
LEAVING_RATE = {
    "hlhpn": 0.012,
    "doan-tn": 0.07,
    "hcck": 0.02,
    "hnd": 0.018,
    "hnct": 0.03,
    "hctd": 0.02,
    "hkh": 0.015,
    "cd": 0.03,
}
MEMBER_ORGS = list(MEMBERS_2020)


def poor_start(year: int) -> tuple[int, ...]:
    return POOR_START_2021 if year == 2021 else POOR_END[year - 1]


def near_poor_start(year: int) -> tuple[int, ...]:
    return NEAR_POOR_START_2021 if year == 2021 else NEAR_POOR_END[year - 1]


# =============================================================================== activities

# The activity pools and each year's own activities: scripts/sample/activities.yml, read into
# the tuples the builders below unpack (a range or a list of months as a tuple).
ACTIVITIES = yaml.safe_load((SAMPLE_DIR / "activities.yml").read_text(encoding="utf-8"))


def _entries(entries: list[dict], *fields: str) -> list[tuple]:
    """Each entry's ``fields``, in order, a list as a tuple (but the orgs a khu row may name)."""
    return [tuple(tuple(e[f]) if isinstance(e[f], list) and f != "orgs" else e[f] for f in fields) for e in entries]


_KHU = ("field", "campaign", "description", "sessions", "participants", "months", "orgs")
# A pool entry: (field id, campaign id or None, description, sessions (lo, hi),
#                participants per row (lo, hi), months or None for any, orgs that may be named)
KHU_POOL_COMMON = _entries(ACTIVITIES["khu_common"], *_KHU)
KHU_POOL_YEAR = {year: _entries(entries, *_KHU) for year, entries in ACTIVITIES["khu_by_year"].items()}
# Rows per khu file: (lo, hi) by year; bigger khu do a little more.
KHU_ACTIVITY_COUNT = {2021: (43, 49), 2022: (48, 58), 2023: (55, 66), 2024: (58, 70)}
COVID_MONTHS_2021 = (2, 8, 9)  # months without gatherings in 2021


def cn_xanh_days(year: int) -> list[dt.date]:
    """The province-wide "Ngày chủ nhật xanh": third Sunday of the month; none during the 2021
    Covid restrictions, and in September 2024 the storm clean-up replaced it."""
    skip = {2021: (2, 8), 2024: (9,)}.get(year, ())
    return [sundays(year, m)[2] for m in range(1, 13) if m not in skip]


def activity_row(
    date, area, org, field_, campaign, text, sessions, participants, waste=None, note=None, rng=None, p_alias=0.06
) -> dict:
    return {
        "date": date,
        "area": area,
        "org": org,
        "field": cat("activity_fields", field_, rng, p_alias),
        "campaign": cat("campaigns", campaign, rng, p_alias) if campaign else None,
        "description": text,
        "sessions": sessions,
        "participants": participants,
        "waste_kg": waste,
        "note": note,
    }


def build_khu_activities(year: int, k: int) -> list[dict]:
    rng = rng_for(year, f"ban-ctmt-khu-{k}", "activity")
    form = KHU_FORMS[year][k]
    area = lambda: khu_label(k, form) if rng.random() > 0.12 else khu_label(k, "khu")  # noqa: E731
    rows: list[dict] = []
    seen: set[tuple] = set()

    def add(date, org, field_, campaign, text, sessions, participants, waste=None, note=None):
        key = (date, text)
        if key in seen:
            return False
        seen.add(key)
        rows.append(activity_row(date, area(), org, field_, campaign, text, sessions, participants, waste, note, rng))
        return True

    # Ngày chủ nhật xanh: every month, the same Sunday in every khu.
    for day in cn_xanh_days(year):
        scale = 0.6 if year == 2021 else 1.0
        add(
            day,
            rng.choice([None, "Đoàn Thanh niên", "Mặt trận", None]),
            "ve_sinh_moi_truong",
            "chu_nhat_xanh",
            rng.choice(
                [
                    'Ra quân "Ngày chủ nhật xanh" dọn vệ sinh đường làng, ngõ xóm',
                    'Ra quân "Ngày chủ nhật xanh", thu gom rác thải, thùng xốp',
                    '"Ngày chủ nhật xanh": vệ sinh các điểm công cộng của khu',
                ]
            ),
            1,
            int(rng.randint(45, 120) * scale),
            round_to(rng.randint(100, 800), 5),
        )
    if year == 2024:
        add(
            dt.date(2024, 9, rng.randint(9, 12)),
            "Đoàn Thanh niên",
            "ve_sinh_moi_truong",
            None,
            "Ra quân dọn dẹp cây đổ, rác thải sau bão số 3",
            1,
            rng.randint(80, 150),
            round_to(rng.randint(1500, 3000), 50),
            "Khắc phục hậu quả bão số 3 (Yagi)",
        )
    # Fixed points of the year.
    tet = TET[year]
    add(
        tet - dt.timedelta(days=rng.randint(8, 14)),
        None,
        "ve_sinh_moi_truong",
        "tddk_ntm_dtvm",
        "Ra quân tổng vệ sinh, trang trí đường làng đón Tết",
        1,
        rng.randint(50, 110),
        round_to(rng.randint(300, 700), 10),
    )
    for q, month in enumerate((3, 6, 9, 12), start=1):
        add(
            rand_day(rng, year, month, 20, 28),
            None,
            "khac",
            None,
            f"Họp Ban Công tác Mặt trận khu đánh giá công tác quý {ROMAN[q]}",
            1,
            rng.randint(7, 12),
        )
    if year != 2021:
        add(
            rand_day(rng, year, 2, 15, 28) if year != 2023 else rand_day(rng, year, 2, 5, 20),
            None,
            "hoi_nghi_nhan_dan",
            None,
            "Hội nghị nhân dân triển khai nhiệm vụ năm",
            1,
            rng.randint(90, 170),
        )
    else:
        add(
            dt.date(2021, 3, rng.randint(10, 15)),
            None,
            "hoi_nghi_nhan_dan",
            None,
            "Hội nghị cử tri nơi cư trú lấy ý kiến nhận xét người ứng cử đại biểu HĐND",
            1,
            rng.randint(70, 110),
            note="Bầu cử nhiệm kỳ 2021-2026",
        )
        add(
            dt.date(2021, 5, 23),
            None,
            "tuyen_truyen",
            None,
            "Vận động cử tri đi bầu cử đại biểu Quốc hội khóa XV và HĐND các cấp",
            1,
            rng.randint(400, 700),
        )
    add(
        rand_day(rng, year, 10, 18, 30),
        None,
        "hoi_nghi_nhan_dan",
        None,
        "Họp dân bình xét hộ nghèo, hộ cận nghèo",
        1,
        rng.randint(60, 120),
    )
    add(
        rand_day(rng, year, 11, 1, 7),  # before the report's cut-off: the households sheet holds its result
        None,
        "hoi_nghi_nhan_dan",
        "tddk_ntm_dtvm",
        "Họp dân bình xét danh hiệu gia đình văn hóa, khu dân cư văn hóa",
        1,
        rng.randint(70, 140),
    )
    if year != 2021:
        add(
            rand_day(rng, year, 11, 8, 17),
            None,
            "ngay_hoi_ddk",
            "tddk_ntm_dtvm",
            "Ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư",
            1,
            rng.randint(220, 420),
        )
    else:
        add(
            rand_day(rng, year, 11, 12, 18),
            None,
            "ngay_hoi_ddk",
            "tddk_ntm_dtvm",
            "Ngày hội Đại đoàn kết toàn dân tộc (quy mô nhỏ, bảo đảm phòng dịch)",
            1,
            rng.randint(80, 140),
        )
    add(
        TRUNG_THU[year] - dt.timedelta(days=rng.randint(0, 3)),
        "Đoàn Thanh niên",
        "van_hoa_the_thao",
        None,
        "Vui Tết Trung thu cho thiếu nhi của khu",
        1,
        rng.randint(90, 180) if year != 2021 else rng.randint(30, 60),
    )

    pool = KHU_POOL_COMMON + KHU_POOL_YEAR[year]
    lo, hi = KHU_ACTIVITY_COUNT[year]
    bonus = {1: 4, 2: 0, 3: 2, 4: -2}[k]
    n = rng.randint(lo, hi) + bonus
    tries = 0
    while len(rows) < n and tries < 5000:
        tries += 1
        field_, campaign, text, (s_lo, s_hi), (p_lo, p_hi), months, orgs = rng.choice(pool)
        month = rng.choice(months or range(1, 13))
        if year == 2021 and month in COVID_MONTHS_2021 and field_ in ("hoi_nghi_nhan_dan", "van_hoa_the_thao"):
            continue
        sessions = rng.randint(s_lo, s_hi)
        factor = 0.7 if year == 2021 else 1.0
        participants = max(5, int(rng.randint(p_lo, p_hi) * sessions * factor))
        waste = round_to(rng.randint(150, 600), 10) if field_ == "ve_sinh_moi_truong" else None
        add(rand_day(rng, year, month), rng.choice(orgs), field_, campaign, text, sessions, participants, waste)
    rows.sort(key=lambda r: r["date"])
    return rows


# (month, day or None, area, org, field, campaign, description, sessions, participants, waste, note)
WARD_ACTIVITIES = {
    key: _entries(
        entries,
        *(
            "month",
            "day",
            "area",
            "org",
            "field",
            "campaign",
            "description",
            "sessions",
            "participants",
            "waste",
            "note",
        ),
    )
    for key, entries in ACTIVITIES["ward"].items()
}


def build_ward_activities(year: int) -> list[dict]:
    rng = rng_for(year, "mttq-phuong", "activity")
    rows = []
    for month, day, area, org, field_, campaign, text, sessions, (p_lo, p_hi), waste, note in (
        WARD_ACTIVITIES["common"] + WARD_ACTIVITIES[year]
    ):
        if year == 2021 and month in COVID_MONTHS_2021 and field_ in ("hoi_nghi_nhan_dan", "van_hoa_the_thao"):
            month += 1
        date = dt.date(year, month, day) if day else rand_day(rng, year, month, 3, 26)
        if text.startswith("Trao quà Tết"):
            date = TET[year] - dt.timedelta(days=rng.randint(4, 8))
        if area.startswith("Khu"):
            area = mixed_khu(rng, int(area[-1]))
        org = org if rng.random() > 0.15 else None
        rows.append(
            activity_row(
                date, area, org, field_, campaign, text, sessions, rng.randint(p_lo, p_hi), waste, note, rng, 0.08
            )
        )
    rows.sort(key=lambda r: r["date"])
    return rows


# org id: [(field, campaign, description, sessions, participants, months)]
ORG_POOL = {
    org: _entries(entries, "field", "campaign", "description", "sessions", "participants", "months")
    for org, entries in ACTIVITIES["org_pool"].items()
}
ORG_ACTIVITY_COUNT = {"hlhpn": 10, "doan-tn": 10, "hcck": 7, "hnd": 6, "hnct": 8, "hctd": 6, "hkh": 6, "cd": 5}
ORG_ACTIVITY_YEAR = {  # (org, field, campaign, month, description, sessions, participants)
    year: _entries(entries, "org", "field", "campaign", "month", "description", "sessions", "participants")
    for year, entries in ACTIVITIES["org_by_year"].items()
}


def build_org_activities(year: int) -> list[dict]:
    rng = rng_for(year, "to-chuc-thanh-vien", "activity")
    org_config = {o["id"]: o for o in ref().config["organisations"]}
    rows = []
    seen = set()
    growth = {2021: -1, 2022: 0, 2023: 1, 2024: 1}[year]

    def org_text(oid: str) -> str:
        o = org_config[oid]
        return o["name"] if rng.random() < 0.7 else rng.choice([o["short"], *o["aliases"]])

    def area() -> str:
        return "Toàn phường" if rng.random() < 0.65 else mixed_khu(rng, rng.choice(KHU))

    for oid in MEMBER_ORGS:
        n = max(4, ORG_ACTIVITY_COUNT[oid] + growth)
        tries = 0
        count = 0
        while count < n and tries < 500:
            tries += 1
            field_, campaign, text, (s_lo, s_hi), (p_lo, p_hi), months = rng.choice(ORG_POOL[oid])
            month = rng.choice(months or range(1, 13))
            if year == 2021 and month in COVID_MONTHS_2021 and field_ != "an_sinh":
                continue
            date = rand_day(rng, year, month)
            if campaign == "chu_nhat_xanh":
                date = rng.choice([d for d in sundays(year, month) if d not in cn_xanh_days(year)])
            if (date, text) in seen:
                continue
            seen.add((date, text))
            sessions = rng.randint(s_lo, s_hi)
            waste = round_to(rng.randint(200, 700), 10) if field_ == "ve_sinh_moi_truong" else None
            rows.append(
                activity_row(
                    date,
                    area(),
                    org_text(oid),
                    field_,
                    campaign,
                    text,
                    sessions,
                    int(rng.randint(p_lo, p_hi) * (0.75 if year == 2021 else 1.0)),
                    waste,
                    rng=rng,
                    p_alias=0.05,
                )
            )
            count += 1
    for oid, field_, campaign, month, text, sessions, participants in ORG_ACTIVITY_YEAR[year]:
        rows.append(
            activity_row(
                rand_day(rng, year, month, 5, 25),
                "Toàn phường",
                org_text(oid),
                field_,
                campaign,
                text,
                sessions,
                participants,
                round_to(rng.randint(2000, 4000), 100) if field_ == "ve_sinh_moi_truong" else None,
            )
        )
    rows.sort(key=lambda r: (r["date"], r["description"]))
    return rows


# =============================================================================== khu tables


def build_households(year: int, k: int) -> list[dict]:
    i = k - 1
    hh = HOUSEHOLDS[year][i]
    rng = rng_for(year, f"ban-ctmt-khu-{k}", "households")
    rate = GDVH_RATE[year] + GDVH_OFFSET[i]
    achieved = round(hh * rate / 100)
    registered = min(hh, achieved + round(hh * rng.uniform(0.03, 0.05)))
    form = KHU_FORMS[year][k]
    return [
        {
            "area": khu_label(k, form),
            "households": hh,
            "population": POPULATION[year][i],
            "poor_start": poor_start(year)[i],
            "poor_end": POOR_END[year][i],
            "near_poor_start": near_poor_start(year)[i],
            "near_poor_end": NEAR_POOR_END[year][i],
            "gdvh_registered": registered,
            "gdvh_achieved": achieved,
            "kdc_van_hoa": (
                rng.choice(["Có", "Có", "Đạt", "x"]) if KDC_VAN_HOA[year][i] else rng.choice(["Không", "Chưa đạt"])
            ),
        }
    ]


MODELS = VALUES["models"]
MODEL_FIELDS = VALUES["model_fields"]


def build_models(year: int, k: int) -> list[dict]:
    """2021: Khu 4 registers nothing (3 of 4 khu); from 2022 every khu registers."""
    if year == 2021 and k == 4:
        return []
    rng = rng_for(year, f"ban-ctmt-khu-{k}", "models")
    form = KHU_FORMS[year][k]
    names = rng.sample(MODELS[k], 2 if year >= 2023 or k == 1 else 1)
    rows = []
    for j, name in enumerate(names):
        field_ = next((f for word, f in MODEL_FIELDS.items() if word.lower() in name.lower()), "ve_sinh_moi_truong")
        if year == 2023 and j == 1:
            # Registered at the 29/11/2023 conference, for the emulation towards the Đại hội.
            registered_on, recognised = dt.date(2023, 11, 29), None
            name = f"{name} (chào mừng Đại hội MTTQ phường nhiệm kỳ 2024-2029)"
        else:
            registered_on = rand_day(rng, year, rng.choice((2, 3)), 1, 28)
            recognised = rng.choice(["Có", "Có", "Được công nhận", "Chưa"])
        rows.append(
            {
                "area": khu_label(k, form),
                "model_name": f'Mô hình "{name}"',
                "field": cat("activity_fields", field_, rng, 0.1),
                "registered_on": registered_on,
                "recognised": recognised,
            }
        )
    return rows


def build_mediation(year: int, k: int) -> list[dict]:
    rng = rng_for(year, f"ban-ctmt-khu-{k}", "mediation")
    received = rng.randint(3, 9)
    pending = 1 if rng.random() < 0.15 else 0
    failed = 1 if rng.random() < 0.2 and received - pending >= 3 else 0
    if year == 2023 and k in (2, 3):  # 2023: land disputes drag on; the success rate misses its target
        failed, pending = 1, 1 if k == 3 else pending
    return [
        {
            "area": khu_label(k, KHU_FORMS[year][k]),
            "teams": 2 if k == 1 or (k == 3 and year >= 2023) else 1,
            "received": received,
            "success": received - failed - pending,
            "failed": failed,
            "pending": pending,
        }
    ]


def build_khu_file(year: int, k: int) -> list[Table]:
    key = f"ban-ctmt-khu-{k}"
    activities = build_khu_activities(year, k)
    if year == 2023 and k == 3:
        # Wrong on purpose: an activity of December 2022 typed into the 2023 file.
        activities.insert(
            0,
            {
                **activity_row(
                    None,
                    khu_label(3, KHU_FORMS[2023][3]),
                    None,
                    "ve_sinh_moi_truong",
                    None,
                    "Ra quân dọn vệ sinh, thu gom rác thải cuối năm",
                    1,
                    60,
                    350,
                ),
                "date": "28/12/2022",
                "_reject": "date",
            },
        )
    total = (year, key) in TOTAL_ROWS
    rng = rng_for(year, key, "layout")
    return [
        Table(
            "activity",
            "Hoạt động",
            f"BẢNG THEO DÕI HOẠT ĐỘNG NĂM {year}",
            ["date", "area", "org", "field", "campaign", "description", "sessions", "participants", "waste_kg", "note"],
            activities,
            aliased(year, key, "Hoạt động"),
            total=total,
            trailing_blank_rows=rng.choice([0, 0, 3, 5]),
        ),
        Table(
            "households",
            "Hộ gia đình",
            f"SỐ LIỆU HỘ GIA ĐÌNH, HỘ NGHÈO, GIA ĐÌNH VĂN HÓA NĂM {year}",
            [
                "area",
                "households",
                "population",
                "poor_start",
                "poor_end",
                "near_poor_start",
                "near_poor_end",
                "gdvh_registered",
                "gdvh_achieved",
                "kdc_van_hoa",
            ],
            build_households(year, k),
            aliased(year, key, "Hộ gia đình"),
            stt=rng.random() < 0.6,
        ),
        Table(
            "emulation_models",
            "Mô hình thi đua",
            f"ĐĂNG KÝ MÔ HÌNH THI ĐUA NĂM {year}",
            ["area", "model_name", "field", "registered_on", "recognised"],
            build_models(year, k),
            aliased(year, key, "Mô hình thi đua"),
            trailing_blank_rows=3 if year == 2021 and k == 4 else 0,
        ),
        Table(
            "mediation",
            "Hòa giải",
            f"KẾT QUẢ HÒA GIẢI Ở CƠ SỞ NĂM {year}",
            ["area", "teams", "received", "success", "failed", "pending"],
            build_mediation(year, k),
            aliased(year, key, "Hòa giải"),
        ),
    ]


# =============================================================================== ward tables


def build_houses(year: int) -> list[dict]:
    rng = rng_for(year, "mttq-phuong", "houses")
    n = HOUSES_PER_YEAR[year]
    months = sorted(rng.sample(range(3, 11), n))
    khus = rng.sample(KHU * 2, n)  # at most two houses a khu
    rows = []
    for month, k in zip(months, khus, strict=True):
        title, name = person(rng)
        work = "xay_moi" if rng.random() < 0.6 else "sua_chua"
        support = rng.choice([60, 70, 80] if work == "xay_moi" else [40, 45, 50]) * 1_000_000
        other = round_to(rng.randint(80, 250) if work == "xay_moi" else rng.randint(10, 60), 5) * 1_000_000
        started = rand_day(rng, year, month, 1, 25)
        handed = started + dt.timedelta(days=rng.randint(55, 100))
        rows.append(
            {
                "area": mixed_khu(rng, k),
                "household_head": f"{title.capitalize()} {name}" if rng.random() < 0.5 else name,
                "household_type": cat(
                    "household_types", rng.choice(["ngheo", "ngheo", "can_ngheo", "kho_khan", "chinh_sach"]), rng, 0.1
                ),
                "work": cat("house_works", work, rng, 0.1),
                "support": support,
                "other_funds": other if rng.random() < 0.9 else None,
                "started": started,
                "handed_over": handed if handed <= dt.date(year, 12, 15) else None,
                "_khu": k,
                "_name": name,
                "_title": title,
                "_work": work,
            }
        )
    return rows


def build_gifts(year: int) -> list[dict]:
    """Tết gifts for every poor and near-poor household of each khu (paid from the Quỹ), and the
    gifts of the other occasions (paid by businesses, the state budget, the upper level…)."""
    rng = rng_for(year, "mttq-phuong", "gifts")
    tet_value = 400_000 if year <= 2022 else 500_000
    tet_day = TET[year] - dt.timedelta(days=rng.randint(6, 10))
    rows = []

    def gift(date, occasion, recipient, area, count, value, funding=None, k=None, quy=False):
        rows.append(
            {
                "date": date,
                "occasion": cat("gift_occasions", occasion, rng, 0.1),
                "recipient": cat("gift_recipients", recipient, rng, 0.1),
                "area": area,
                "count": count,
                "unit_value": value,
                "total": count * value,
                "funding": cat("fund_sources", funding, rng, 0.15) if funding else None,
                "_khu": k,
                "_quy": quy,
            }
        )

    for k in KHU:
        area = mixed_khu(rng, k)
        gift(tet_day, "tet_nguyen_dan", "ho_ngheo", area, poor_start(year)[k - 1], tet_value, k=k, quy=True)
        gift(tet_day, "tet_nguyen_dan", "can_ngheo", area, near_poor_start(year)[k - 1], tet_value, k=k, quy=True)
    for k in KHU:
        gift(
            tet_day - dt.timedelta(days=rng.randint(0, 3)),
            "tet_nguyen_dan",
            "kho_khan",
            mixed_khu(rng, k),
            rng.randint(12, 26),
            300_000 if year <= 2022 else 400_000,
            rng.choice(["doanh_nghiep", "cap_tren"]),
        )
    gift(
        tet_day + dt.timedelta(days=1),
        "tet_nguyen_dan",
        "nguoi_cao_tuoi",
        "Toàn phường",
        rng.randint(18, 30),
        300_000,
        "ton_giao",
    )
    gift(
        dt.date(year, 7, rng.randint(20, 26)),
        "ngay_27_7",
        "chinh_sach",
        "Toàn phường",
        rng.randint(55, 80),
        500_000 if year >= 2023 else 400_000,
        "ngan_sach",
    )
    if year >= 2022:
        gift(
            dt.date(year, 7, rng.randint(20, 26)),
            "ngay_27_7",
            "chinh_sach",
            "Toàn phường",
            rng.randint(10, 20),
            300_000,
            "doanh_nghiep",
        )
    tt = TRUNG_THU[year] - dt.timedelta(days=rng.randint(1, 4))
    if year == 2021:
        gift(tt, "trung_thu", "tre_em", "Toàn phường", rng.randint(90, 120), 300_000, "doanh_nghiep")
    else:
        for k in KHU:
            gift(tt, "trung_thu", "tre_em", mixed_khu(rng, k), rng.randint(22, 36), 300_000, "doanh_nghiep")
    for k in KHU:
        gift(
            dt.date(year, 11, rng.randint(10, 18)),
            "ngay_hoi_ddk",
            rng.choice(["ho_ngheo", "kho_khan"]),
            mixed_khu(rng, k),
            rng.randint(5, 10),
            300_000,
            "cap_tren",
        )
    if year == 2024:
        gift(
            dt.date(2024, 9, rng.randint(12, 16)),
            "khac",
            "kho_khan",
            "Toàn phường",
            rng.randint(25, 40),
            500_000,
            "doanh_nghiep",
        )
    if year == 2023:
        # Wrong on purpose: a khu that does not exist.
        rows.append(
            {
                "date": TRUNG_THU[2023] - dt.timedelta(days=2),
                "occasion": "Tết Trung thu",
                "recipient": "Trẻ em",
                "area": "Khu 7",
                "count": 20,
                "unit_value": 300_000,
                "total": 6_000_000,
                "funding": "Doanh nghiệp",
                "_reject": "area",
                "_khu": None,
                "_quy": False,
            }
        )
    rows.sort(key=lambda r: r["date"])
    return rows


BUSINESSES = VALUES["businesses"]
UNITS_CBCC = [_fields(e, "text", "range") for e in VALUES["units_cbcc"]]
ORG_DONORS = [_fields(e, "org", "text") for e in VALUES["org_donors"]]


def build_fund(year: int, opening: int, houses: list[dict], gifts: list[dict]) -> list[dict]:
    """Receipts and payments of the Quỹ "Vì người nghèo"; the closing balance stays positive and the
    running balance never drops below zero."""
    rng = rng_for(year, "mttq-phuong", "fund")
    scale = FUND_SCALE[year]
    org_names = {o["id"]: o for o in ref().config["organisations"]}
    receipts: list[dict] = []

    def receipt(date, source, text, amount, area=None, org=None, note=None):
        receipts.append(
            {
                "date": date,
                "direction": cat("fund_directions", "thu", rng, 0.03),
                "source": cat("fund_sources", source, rng, 0.08),
                "purpose": None,
                "description": text,
                "area": area,
                "org": org,
                "amount": amount,
                "note": note,
            }
        )

    def peak_month() -> int:
        return rng.choices(range(1, 13), [3, 1, 1, 1, 1, 1, 1, 1, 2, 6, 6, 2])[0]

    # Nhân dân of each khu, collected in batches; most during the peak month (17/10-18/11).
    for k in KHU:
        batches = sorted({*rng.sample(range(1, 13), rng.randint(6, 9)), 10, 11})
        for b, month in enumerate(batches, start=1):
            base = (
                rng.randint(2_500_000, 7_000_000)
                * (1.7 if month in (10, 11) else 1.0)
                * scale
                * (1.15 if k == 1 else 1)
            )
            day = rand_day(rng, year, month, 17 if month == 10 else 1, 18 if month == 11 else None)
            receipt(
                day,
                "nhan_dan",
                f"Nhân dân {khu_label(k, 'khu')} ủng hộ Quỹ (đợt {b})",
                round_to(base, 50_000),
                area=mixed_khu(rng, k),
            )
    # Individual households.
    for _ in range(rng.randint(15, 24)):
        title, name = person(rng)
        k = rng.choice(KHU)
        receipt(
            rand_day(rng, year, peak_month()),
            "nhan_dan",
            f"Hộ {title} {name} ({khu_label(k, 'khu')}) ủng hộ",
            rng.choice([500_000, 1_000_000, 1_000_000, 2_000_000, 2_000_000, 3_000_000, 5_000_000]),
            area=mixed_khu(rng, k),
        )
    # Businesses.
    for name in rng.sample(BUSINESSES, rng.randint(9, 13)):
        month = rng.choice([1, 1, 10, 10, 11, 11, 12, 6])
        receipt(
            rand_day(rng, year, month),
            "doanh_nghiep",
            f"{name} ủng hộ",
            round_to(rng.randint(5, 28) * 1_000_000 * scale, 1_000_000),
            area="Toàn phường",
        )
    # Cán bộ, công chức and the schools.
    for text, (lo, hi) in UNITS_CBCC[: rng.randint(4, 6)]:
        receipt(
            rand_day(rng, year, rng.choice([10, 11])),
            "can_bo",
            text,
            round_to(rng.uniform(lo, hi) * 1_000_000, 100_000),
        )
    # Member organisations collect from their members.
    for oid, text in rng.sample(ORG_DONORS, rng.randint(4, 6)):
        o = org_names[oid]
        receipt(
            rand_day(rng, year, rng.choice([10, 11, 12])),
            "nhan_dan",
            text,
            round_to(rng.uniform(2, 7) * 1_000_000 * scale, 100_000),
            org=rng.choice([o["name"], o["short"]]),
        )
    # Religious establishments.
    for _ in range(rng.randint(1, 2)):
        receipt(
            rand_day(rng, year, rng.choice([1, 11])),
            "ton_giao",
            "Cơ sở thờ tự trên địa bàn phường ủng hộ",
            round_to(rng.uniform(3, 8) * 1_000_000, 500_000),
        )
    # The city committee supports the new houses.
    for h in houses:
        if h["_work"] == "xay_moi" and rng.random() < 0.75:
            receipt(
                h["started"] - dt.timedelta(days=rng.randint(3, 10)),
                "cap_tren",
                f"MTTQ thành phố hỗ trợ xây nhà Đại đoàn kết hộ {h['_title']} {h['_name']}",
                30_000_000,
                area="Toàn phường",
            )
    if year == 2024:
        for name in rng.sample(BUSINESSES, 3):
            receipt(
                dt.date(2024, 9, rng.randint(10, 20)),
                "doanh_nghiep",
                f"{name} ủng hộ khắc phục hậu quả bão số 3",
                rng.choice([10, 15, 20]) * 1_000_000,
                area="Toàn phường",
            )
    if year == 2022:
        # Wrong on purpose: a receipt typed with a minus sign.
        title, name = person(rng)
        receipts.append(
            {
                "date": dt.date(2022, 11, 8),
                "direction": "Thu",
                "source": "Nhân dân",
                "purpose": None,
                "description": f"Hộ {title} {name} (khu 2) ủng hộ",
                "area": "Khu 2",
                "org": None,
                "amount": "-500.000",
                "note": None,
                "_reject": "amount",
            }
        )

    payments: list[dict] = []

    def payment(date, purpose, text, amount, area=None, note=None):
        payments.append(
            {
                "date": date,
                "direction": cat("fund_directions", "chi", rng, 0.03),
                "source": None,
                "purpose": cat("fund_purposes", purpose, rng, 0.08),
                "description": text,
                "area": area,
                "org": None,
                "amount": amount,
                "note": note,
            }
        )

    for h in houses:
        verb = "xây mới" if h["_work"] == "xay_moi" else "sửa chữa"
        payment(
            h["started"],
            "nha_ddk",
            f"Hỗ trợ {verb} nhà Đại đoàn kết hộ {h['_title']} {h['_name']}",
            h["support"],
            area=mixed_khu(rng, h["_khu"]),
        )
    tet = [g for g in gifts if g["_quy"]]
    for k in KHU:
        mine = [g for g in tet if g["_khu"] == k]
        payment(
            mine[0]["date"],
            "qua_tet",
            f"Chi quà Tết cho hộ nghèo, hộ cận nghèo {khu_label(k, 'khu')}",
            sum(g["total"] for g in mine),
            area=mixed_khu(rng, k),
        )
    fixed = sum(p["amount"] for p in payments)

    # Everything else: sized so that the year ends with a sensible balance.
    total_in = sum(r["amount"] for r in receipts if not r.get("_reject"))
    closing_target = max(60_000_000, opening + rng.randint(-25, 35) * 1_000_000)
    rest = opening + total_in - closing_target - fixed
    plan = [
        ("hoc_bong", "Trao học bổng cho học sinh nghèo vượt khó", (8, 9), 2, 0.14),
        ("bhyt", "Mua thẻ bảo hiểm y tế cho người thuộc hộ cận nghèo, hộ khó khăn", (1, 7), 2, 0.22),
        ("sinh_ke", "Hỗ trợ sinh kế (vốn, con giống) cho hộ nghèo", (3, 4, 5, 9), 3, 0.22),
        ("om_dau", "Thăm hỏi, hỗ trợ người ốm đau, mắc bệnh hiểm nghèo", None, rng.randint(8, 12), 0.24),
        ("khac", "Hỗ trợ mai táng phí cho gia đình hộ nghèo", None, 2, 0.04),
    ]
    if year == 2021:
        plan.append(("cuu_tro", "Hỗ trợ hộ gặp khó khăn do dịch Covid-19", (2, 8, 9), 4, 0.18))
    elif year == 2024:
        plan.append(("cuu_tro", "Hỗ trợ hộ bị thiệt hại về nhà ở do bão số 3", (9,), 5, 0.22))
    else:
        plan.append(("cuu_tro", "Hỗ trợ đột xuất hộ gặp rủi ro, hỏa hoạn", None, 1, 0.05))
    weights = sum(p[4] for p in plan)
    for purpose, text, months, n, w in plan:
        share = rest * w / weights
        parts = [rng.uniform(0.6, 1.4) for _ in range(n)]
        step = 500_000 if share / n < 8_000_000 else 1_000_000
        for j, part in enumerate(parts):
            month = rng.choice(months or range(1, 13))
            k = rng.choice(KHU)
            if purpose == "cuu_tro" and year == 2024:
                date = dt.date(2024, 9, rng.randint(12, 30))
            else:
                date = rand_day(rng, year, month, 1, 28)
            suffix = f" {khu_label(k, 'khu')}" if purpose in ("bhyt", "sinh_ke", "cuu_tro") else ""
            payment(
                date,
                purpose,
                f"{text}{suffix}" + (f" (đợt {j + 1})" if n > 1 and purpose in ("hoc_bong", "bhyt") else ""),
                max(step, round_to(share * part / sum(parts), step)),
                area=mixed_khu(rng, k) if suffix else None,
            )
    rows = receipts + payments
    rows.sort(key=lambda r: (r["date"], r["direction"] not in ("Thu", "Thu vào", "Nhận")))
    return rows


def fund_closing(opening: int, rows: list[dict]) -> tuple[int, int, int, int]:
    """(closing, receipts, payments, lowest running balance) over the valid rows, in date order."""
    balance, low, t_in, t_out = opening, opening, 0, 0
    for r in rows:
        if r.get("_reject"):
            continue
        if ref().resolve("fund_directions", r["direction"]) == "thu":
            balance += r["amount"]
            t_in += r["amount"]
        else:
            balance -= r["amount"]
            t_out += r["amount"]
        low = min(low, balance)
    return balance, t_in, t_out, low


SUPERVISION = {k: [_fields(e, "topic", "mode", "month") for e in v] for k, v in VALUES["supervision"].items()}


def build_supervision(year: int) -> list[dict]:
    rng = rng_for(year, "mttq-phuong", "supervision")
    items = SUPERVISION["common"][: 4 + (year - 2021) // 2] + SUPERVISION[year]
    rows = []
    for topic, mode, month in items:
        recs = rng.randint(0, 5)
        resolved = recs if month < 10 else max(0, recs - rng.randint(0, 2))
        rows.append(
            {
                "date": rand_day(rng, year, month, 3, 27),
                "topic": topic,
                "mode": cat("supervision_modes", mode, rng, 0.12),
                "sessions": rng.choice([1, 1, 1, 2]),
                "recommendations": recs,
                "resolved": resolved,
                "violations": rng.choice([0, 0, 0, 0, 1, None]),
            }
        )
    rows.sort(key=lambda r: r["date"])
    return rows


CRITIQUE = {k: [_fields(e, "text", "kind", "month") for e in v] for k, v in VALUES["critique"].items()}


def build_critique(year: int) -> list[dict]:
    rng = rng_for(year, "mttq-phuong", "critique")
    rows = []
    for text, kind, month in CRITIQUE["common"] + CRITIQUE[year]:
        if year == 2021 and "chỉnh trang" in text:
            continue
        rows.append(
            {
                "date": rand_day(rng, year, month, 2, 27),
                "document": text,
                "kind": cat("critique_kinds", kind, rng, 0.1),
                "opinions": rng.randint(6, 28) if kind != "danh_gia_can_bo" else rng.randint(3, 10),
            }
        )
    rows.sort(key=lambda r: r["date"])
    return rows


def build_petitions(year: int) -> list[dict]:
    """12 months × 2-3 channels; answered + pending = received; December leaves a few pending."""
    rng = rng_for(year, "mttq-phuong", "petitions")
    txct = {2021: (3, 6, 7, 12), 2022: (6, 7, 11, 12), 2023: (6, 7, 11, 12), 2024: (6, 7, 11, 12)}[year]
    rows = []
    for month in range(1, 13):
        channels = ["hoi_nghi_nhan_dan", "don_thu"]
        if month in txct:
            channels.append("tiep_xuc_cu_tri")
        elif month == 12 or (month in (5, 9) and rng.random() < 0.6):
            channels.append("doi_thoai")
        elif rng.random() < 0.2:
            channels.append("khac")
        if year == 2021 and month in COVID_MONTHS_2021 and "hoi_nghi_nhan_dan" in channels:
            channels[channels.index("hoi_nghi_nhan_dan")] = "khac"
        for ch in channels:
            received = rng.randint(6, 15) if ch == "tiep_xuc_cu_tri" else rng.randint(2, 9)
            open_rate = {2021: 0.12, 2022: 0.1, 2023: 0.09, 2024: 0.16}[year]
            pending = sum(rng.random() < open_rate * (2.5 if month >= 11 else 1) for _ in range(received))
            rows.append(
                {
                    "month": month if year != 2022 else f"{month:02d}/{year}",
                    "channel": cat("petition_channels", ch, rng, 0.08),
                    "received": received,
                    "forwarded": rng.randint(received // 3, received // 2 + 1) if ch != "don_thu" else received,
                    "answered": received - pending,
                    "pending": pending,
                }
            )
    return rows


def build_awards(year: int) -> list[dict]:
    rng = rng_for(year, "mttq-phuong", "awards")
    rows = [
        {
            "level": cat("award_levels", "thanh_pho", rng, 0.3),
            "recipient_type": "Tập thể",
            "count": rng.randint(1, 2),
            "note": "Giấy khen của UBND thành phố cho Ban Công tác Mặt trận khu",
        },
        {
            "level": cat("award_levels", "thanh_pho", rng, 0.3),
            "recipient_type": "Cá nhân",
            "count": rng.randint(2, 4),
            "note": "Giấy khen của Ủy ban MTTQ thành phố",
        },
        {
            "level": cat("award_levels", "phuong", rng, 0.3),
            "recipient_type": "Tập thể",
            "count": rng.randint(3, 4),
            "note": "Ban Công tác Mặt trận, chi hội tiêu biểu",
        },
        {
            "level": cat("award_levels", "phuong", rng, 0.3),
            "recipient_type": "Cá nhân",
            "count": rng.randint(9, 16),
            "note": "Cá nhân tiêu biểu trong các phong trào",
        },
        {
            "level": cat("award_levels", "phuong", rng, 0.3),
            "recipient_type": "Hộ gia đình",
            "count": rng.randint(6, 12),
            "note": "Gia đình văn hóa tiêu biểu",
        },
    ]
    if year >= 2022:
        rows.append(
            {
                "level": cat("award_levels", "phuong", rng, 0.3),
                "recipient_type": "Tộc họ",
                "count": rng.randint(2, 4),
                "note": "Dòng họ học tập, đoàn kết tiêu biểu",
            }
        )
    if year in (2023, 2024):
        rows.insert(
            0,
            {
                "level": cat("award_levels", "tinh", rng, 0.3),
                "recipient_type": "Tập thể",
                "count": 1,
                "note": "Bằng khen của Ủy ban MTTQ tỉnh"
                if year == 2023
                else "Bằng khen của UBND tỉnh cho Ủy ban MTTQ phường",
            },
        )
    if year == 2024:
        rows.append(
            {
                "level": cat("award_levels", "phuong", rng, 0.3),
                "recipient_type": "Cá nhân",
                "count": rng.randint(5, 9),
                "note": "Tích cực ủng hộ khắc phục hậu quả bão số 3",
            }
        )
    return rows


def build_ward_file(year: int, opening: int) -> tuple[list[Table], int]:
    key = "mttq-phuong"
    houses = build_houses(year)
    gifts = build_gifts(year)
    fund = build_fund(year, opening, houses, gifts)
    closing, t_in, t_out, low = fund_closing(opening, fund)
    assert low >= 0, f"{year}: the Quỹ balance drops to {low}"
    total_note = f"Tổng thu: {fmt_int(t_in)}; tổng chi: {fmt_int(t_out)}"
    total = (year, key) in TOTAL_ROWS
    rng = rng_for(year, key, "layout")
    tables = [
        Table(
            "activity",
            "Hoạt động",
            f"HOẠT ĐỘNG CỦA ỦY BAN MTTQ PHƯỜNG NĂM {year}",
            ["date", "area", "org", "field", "campaign", "description", "sessions", "participants", "waste_kg", "note"],
            build_ward_activities(year),
            aliased(year, key, "Hoạt động"),
            total=total,
        ),
        Table(
            "fund_txn",
            "Quỹ Vì người nghèo",
            f'SỔ THEO DÕI THU, CHI QUỸ "VÌ NGƯỜI NGHÈO" NĂM {year}',
            ["date", "direction", "source", "purpose", "description", "area", "org", "amount", "note"],
            fund,
            aliased(year, key, "Quỹ Vì người nghèo"),
            total=total,
            total_note=total_note,
            trailing_blank_rows=rng.choice([0, 4]),
        ),
        Table(
            "fund_balance",
            "Số dư quỹ",
            f'SỐ DƯ QUỸ "VÌ NGƯỜI NGHÈO" ĐẦU NĂM {year}',
            ["opening"],
            [{"opening": opening}],
            aliased(year, key, "Số dư quỹ"),
            stt=False,
        ),
        Table(
            "gifts",
            "Tặng quà",
            f"TỔNG HỢP TẶNG QUÀ CÁC ĐỐI TƯỢNG NĂM {year}",
            ["date", "occasion", "recipient", "area", "count", "unit_value", "total", "funding"],
            gifts,
            aliased(year, key, "Tặng quà"),
        ),
        Table(
            "houses",
            "Nhà Đại đoàn kết",
            f'DANH SÁCH HỖ TRỢ XÂY MỚI, SỬA CHỮA NHÀ "ĐẠI ĐOÀN KẾT" NĂM {year}',
            ["area", "household_head", "household_type", "work", "support", "other_funds", "started", "handed_over"],
            houses,
            aliased(year, key, "Nhà Đại đoàn kết"),
        ),
        Table(
            "supervision",
            "Giám sát",
            f"KẾT QUẢ GIÁM SÁT NĂM {year}",
            ["date", "topic", "mode", "sessions", "recommendations", "resolved", "violations"],
            build_supervision(year),
            aliased(year, key, "Giám sát"),
            blank_col_after="sessions" if year in (2022, 2024) else None,
        ),
        Table(
            "critique",
            "Phản biện, góp ý",
            f"PHẢN BIỆN XÃ HỘI, GÓP Ý XÂY DỰNG ĐẢNG, CHÍNH QUYỀN NĂM {year}",
            ["date", "document", "kind", "opinions"],
            build_critique(year),
            aliased(year, key, "Phản biện, góp ý"),
        ),
        Table(
            "petitions",
            "Kiến nghị cử tri",
            f"TỔNG HỢP Ý KIẾN, KIẾN NGHỊ CỦA CỬ TRI VÀ NHÂN DÂN NĂM {year}",
            ["month", "channel", "received", "forwarded", "answered", "pending"],
            build_petitions(year),
            aliased(year, key, "Kiến nghị cử tri"),
            trailing_blank_rows=rng.choice([0, 2]),
        ),
        Table(
            "awards",
            "Khen thưởng",
            f"KẾT QUẢ KHEN THƯỞNG NĂM {year}",
            ["level", "recipient_type", "count", "note"],
            build_awards(year),
            aliased(year, key, "Khen thưởng"),
            stt=year != 2022,
        ),
    ]
    return tables, closing


# =============================================================================== organisations


def build_org_members(year: int, previous: dict[str, int]) -> tuple[list[dict], dict[str, int]]:
    rng = rng_for(year, "to-chuc-thanh-vien", "members")
    org_config = {o["id"]: o for o in ref().config["organisations"]}
    rows, now = [], {}
    for oid in MEMBER_ORGS:
        lo, hi = NEW_MEMBERS[oid]
        new = rng.randint(lo, hi) - (3 if year == 2021 and hi > 20 else 0)
        left = round(previous[oid] * LEAVING_RATE[oid] * rng.uniform(0.7, 1.3))
        now[oid] = previous[oid] + new - left
        o = org_config[oid]
        rows.append(
            {
                "org": o["name"] if rng.random() < 0.75 else rng.choice(o["aliases"]),
                "members": now[oid],
                "new_members": new,
            }
        )
    return rows, now


def build_org_file(year: int, previous_members: dict[str, int]) -> tuple[list[Table], dict[str, int]]:
    key = "to-chuc-thanh-vien"
    members, now = build_org_members(year, previous_members)
    return [
        Table(
            "org_members",
            "Tổ chức",
            f"SỐ LƯỢNG HỘI VIÊN, ĐOÀN VIÊN CÁC TỔ CHỨC THÀNH VIÊN NĂM {year}",
            ["org", "members", "new_members"],
            members,
            aliased(year, key, "Tổ chức"),
        ),
        Table(
            "activity",
            "Hoạt động",
            f"HOẠT ĐỘNG CỦA CÁC TỔ CHỨC THÀNH VIÊN NĂM {year}",
            ["date", "org", "area", "field", "campaign", "description", "sessions", "participants", "waste_kg", "note"],
            build_org_activities(year),
            aliased(year, key, "Hoạt động"),
            total=(year, key) in TOTAL_ROWS,
            blank_col_after="note" if year == 2023 else None,
        ),
    ], now


# =============================================================================== targets

# The indicators each year's targets cover, and those the year misses on purpose.
INDICATOR_SETS = VALUES["indicator_sets"]
MISSES = {
    2021: {"mo_hinh_dang_ky", "quy_vnn_thu", "chu_nhat_xanh_luot"},
    2022: {"ty_le_ho_ngheo", "tuyen_truyen_luot"},
    2023: {"nha_ddk", "ty_le_hoa_giai_thanh"},
    2024: {"chu_nhat_xanh_buoi", "ty_le_kien_nghi_tra_loi"},
}


def valid(rows: list[dict]) -> list[dict]:
    return [r for r in rows if not r.get("_reject")]


def num(value) -> float:
    """A value as built (int/float, or text such as "1.500.000") as a number."""
    if isinstance(value, (int, float)):
        return value
    return float(str(value).replace(" đ", "").replace(".", "").replace(",", "."))


def compute_actuals(tables: list[Table]) -> dict[str, float]:
    """Each indicator's result, as indicators.yml defines it (all supervision sessions; the money
    the ward raised, not what the level above sent; the opinions on documents, not those on
    party building; the mediation rate on the cases closed), from the valid rows."""
    R = ref()
    by = {}
    for t in tables:
        by.setdefault(t.table, []).extend(valid(t.rows))
    act = by["activity"]
    tt = [r for r in act if R.resolve("activity_fields", r["field"]) == "tuyen_truyen"]
    cnx = [r for r in act if r["campaign"] and R.resolve("campaigns", r["campaign"]) == "chu_nhat_xanh"]
    fund = by["fund_txn"]
    thu = sum(
        num(r["amount"])
        for r in fund
        if R.resolve("fund_directions", r["direction"]) == "thu"
        and R.resolve("fund_sources", r["source"]) not in ("cap_tren", "ngan_sach")
    )
    chi = sum(num(r["amount"]) for r in fund if R.resolve("fund_directions", r["direction"]) == "chi")
    hh = by["households"]
    households = sum(r["households"] for r in hh)
    pet = by["petitions"]
    med = by["mediation"]
    return {
        "tuyen_truyen_cuoc": sum(r["sessions"] for r in tt),
        "tuyen_truyen_luot": sum(r["participants"] for r in tt),
        "quy_vnn_thu": thu / 1e6,
        "quy_vnn_chi": chi / 1e6,
        "qua_suat": sum(r["count"] for r in by["gifts"]),
        "qua_gia_tri": sum(r["total"] for r in by["gifts"]) / 1e6,
        "nha_ddk": len(by["houses"]),
        "ty_le_ho_ngheo": 100 * sum(r["poor_end"] for r in hh) / households,
        "ty_le_gdvh": 100 * sum(r["gdvh_achieved"] for r in hh) / households,
        "kdc_van_hoa": sum(R.resolve("yesno", r["kdc_van_hoa"]) == "yes" for r in hh),
        "chu_nhat_xanh_buoi": sum(r["sessions"] for r in cnx),
        "chu_nhat_xanh_luot": sum(r["participants"] for r in cnx),
        "rac_thu_gom": sum(num(r["waste_kg"]) for r in act if r["waste_kg"] is not None) / 1000,
        "giam_sat_cuoc": sum(r["sessions"] for r in by["supervision"]),
        "y_kien_gop_y": sum(
            r["opinions"]
            for r in by["critique"]
            if R.resolve("critique_kinds", r["kind"]) in ("phan_bien", "gop_y_du_thao")
        ),
        "ty_le_kien_nghi_tra_loi": 100 * sum(r["answered"] for r in pet) / sum(r["received"] for r in pet),
        "ty_le_hoa_giai_thanh": 100
        * sum(r["success"] for r in med)
        / sum(r["success"] + r["failed"] for r in med),  # on the cases closed
        "mo_hinh_dang_ky": len({R.area_resolve(r["area"]) for r in by["emulation_models"]}),
        "hoi_vien_moi": sum(r["new_members"] for r in by["org_members"]),
    }


def _nice(value: float, kind: str, unit: str, up: bool) -> float:
    """Round a target the way a plan is written; up=True rounds up, else down."""
    f = math.ceil if up else math.floor
    if unit == "%":
        return f(value * 10) / 10 if value < 5 else f(value * 2) / 2
    if kind == "number":
        return f(value * 10) / 10
    if kind == "money":
        return f(value / 10) * 10
    step = 100 if value >= 2000 else 10 if value >= 200 else 5 if value >= 30 else 1
    return f(value / step) * step


def plan_targets(
    year: int,
    actual: dict[str, float] | None,
    previous: dict[str, float],
    rng: random.Random,
    before: dict[str, float] | None = None,
) -> dict[str, float]:
    """The targets of ``year``: met by a margin except the planned misses, and never below the
    result of the year before (``before``: a committee does not plan less than it achieved;
    such a target may then be missed). For the year after the last sample year (no data yet)
    they are set a little above the last results."""
    R = ref()
    out = {}
    for code in INDICATOR_SETS[year]:
        ind = R.indicators[code]
        higher = ind["direction"] == "higher"
        if actual is None:  # a plan for a year with no data: a little better than the last result
            base = previous[code]
            if ind["kind"] == "count" and base <= 10:
                out[code] = float(4 if code in ("kdc_van_hoa", "mo_hinh_dang_ky") else base)
                continue
            grow = rng.uniform(1.03, 1.08) if higher else rng.uniform(0.7, 0.85)
            value = base * grow if ind["unit"] != "%" or not higher else min(100.0, base + rng.uniform(0.3, 1.0))
            out[code] = float(_nice(value, ind["kind"], ind["unit"], up=higher))
            continue
        lo = hi = actual[code]
        miss = code in MISSES.get(year, ())
        if ind["kind"] == "count" and hi <= 10:  # khu, houses: small whole numbers
            out[code] = float(hi + 1 if miss else (4 if code in ("kdc_van_hoa", "mo_hinh_dang_ky") and lo >= 4 else lo))
        elif ind["unit"] == "%" and higher:
            value = hi + rng.uniform(1.0, 3.0) if miss else lo - rng.uniform(0.6, 2.0)
            out[code] = float(min(100.0, _nice(value, ind["kind"], "%", up=miss)))
        elif higher:
            value = hi * rng.uniform(1.05, 1.12) if miss else lo * rng.uniform(0.86, 0.96)
            out[code] = float(_nice(value, ind["kind"], ind["unit"], up=miss))
        else:  # lower is better (poverty rate)
            value = lo * rng.uniform(0.8, 0.9) if miss else hi * rng.uniform(1.1, 1.3)
            out[code] = float(_nice(value, ind["kind"], ind["unit"], up=not miss))
        floor = None if before is None or code not in before else before[code]
        if floor is not None and (out[code] < floor if higher else out[code] > floor):
            out[code] = float(_nice(floor, ind["kind"], ind["unit"], up=higher))
            continue  # raised to last year's result: met or missed as the year went
        met = out[code] <= lo if higher else out[code] >= hi
        assert met != miss, (year, code, out[code], lo, hi)
    return out


def build_targets_table(year: int, targets: dict[int, dict[str, float]]) -> Table:
    R = ref()
    rng = rng_for(year, "chi-tieu", "rows")
    rows = []
    for y in (year, year + 1):
        for code in INDICATOR_SETS[y]:
            ind = R.indicators[code]
            value = targets[y][code]
            rows.append(
                {
                    "year": y,
                    "indicator": code,
                    "label": ind["name"],
                    "unit": ind["unit"] if rng.random() > 0.05 else None,
                    "target": int(value) if float(value).is_integer() else value,
                }
            )
    return Table(
        "targets",
        "Chỉ tiêu",
        f"CHỈ TIÊU CÔNG TÁC MẶT TRẬN NĂM {year} VÀ NĂM {year + 1}",
        ["year", "indicator", "label", "unit", "target"],
        rows,
        aliased(year, "chi-tieu", "Chỉ tiêu"),
    )


# =============================================================================== the years


# The date each sample year's report counts to (ngay_chot_so_lieu): an office writes its
# report in late November, before its conference; the files hold nothing dated after it.
CUTOFF = {y: dt.date(y, 11, 20) for y in YEARS}
#: The column that dates a row of each table (inputs.yml: the first date or month column).
DATE_FIELD = {
    "activity": "date",
    "fund_txn": "date",
    "gifts": "date",
    "houses": "started",
    "supervision": "date",
    "critique": "date",
    "petitions": "month",
    "emulation_models": "registered_on",
}


def _after(value, cutoff: dt.date) -> bool:
    if value is None:
        return False
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value > cutoff
    if isinstance(value, int):  # a month
        return value > cutoff.month
    text = str(value).strip()
    parts = text.replace("-", "/").replace(".", "/").split("/")
    if len(parts) == 2:  # "05/2022": a month
        return int(parts[0]) > cutoff.month
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        d, m, y = (int(p) for p in parts) if len(parts[0]) <= 2 else reversed([int(p) for p in parts])
        return dt.date(y, m, d) > cutoff
    raise ValueError(f"cannot date {value!r}")


def cut_to_period(files: dict[str, list[Table]], year: int) -> None:
    """Drop every row dated after the year's cut-off (what the office did not hold yet on its
    report date); rows wrong on purpose stay. A fund sheet's total note is written again."""
    cutoff = CUTOFF[year]
    for tables in files.values():
        for t in tables:
            field_ = DATE_FIELD.get(t.table)
            if field_ is None:
                continue
            t.rows = [r for r in t.rows if r.get("_reject") or not _after(r.get(field_), cutoff)]
            if t.table == "fund_txn" and t.total_note:
                R = ref()
                rows = valid(t.rows)
                t_in = sum(num(r["amount"]) for r in rows if R.resolve("fund_directions", r["direction"]) == "thu")
                t_out = sum(num(r["amount"]) for r in rows if R.resolve("fund_directions", r["direction"]) == "chi")
                t.total_note = f"Tổng thu: {fmt_int(int(t_in))}; tổng chi: {fmt_int(int(t_out))}"


@dataclass
class YearData:
    year: int
    files: dict[str, list[Table]]  # workbook name (without .xlsx) -> tables
    opening: int
    closing: int
    actuals: dict[str, float]


def build_years() -> dict[int, YearData]:
    """Every sample year, in order (balances and members carry over), then the targets."""
    out: dict[int, YearData] = {}
    opening = FUND_OPENING_2021
    members = dict(MEMBERS_2020)
    for year in YEARS:
        files: dict[str, list[Table]] = {}
        for k in KHU:
            files[f"ban-ctmt-khu-{k}"] = build_khu_file(year, k)
        files["mttq-phuong"], closing = build_ward_file(year, opening)
        files["to-chuc-thanh-vien"], members = build_org_file(year, members)
        cut_to_period(files, year)
        tables = [t for ts in files.values() for t in ts]
        out[year] = YearData(year, files, opening, closing, compute_actuals(tables))
        opening = closing
    targets: dict[int, dict[str, float]] = {}
    for y in (*YEARS, YEARS[-1] + 1):
        targets[y] = plan_targets(
            y,
            out[y].actuals if y in out else None,
            out[YEARS[-1]].actuals,
            rng_for(y, "chi-tieu", "plan"),
            out[y - 1].actuals if y - 1 in out else None,
        )
    for year in YEARS:
        out[year].files["chi-tieu"] = [build_targets_table(year, targets)]
    return out


# =============================================================================== checks


def check_table(t: Table, year: int) -> list[str]:
    """What is wrong with a table, per inputs.yml/catalogues.yml/baocao.yml; rows marked
    ``_reject`` must be wrong, all others right. An empty list means all is well."""
    R = ref()
    spec = R.tables[t.table]
    problems = []
    cols = {c["name"]: c for c in spec["columns"]}
    for name in t.columns:
        if not R.headers_ok(t.table, name, t.header(name)):
            problems.append(f"{t.sheet}: header {t.header(name)!r} is not one of {name}'s")
    for name, c in cols.items():
        if c.get("required", True) and name not in t.columns:
            problems.append(f"{t.sheet}: required column {name} missing")
    seen = set()
    for i, row in enumerate(t.rows):
        errs = []
        typed = {}
        for name in t.columns:
            c, v = cols[name], row.get(name)
            if v is None or v == "":
                if c.get("required", True):
                    errs.append(f"{name} missing")
                typed[name] = None
                continue
            kind = c["type"]
            if kind == "date":
                d = v if isinstance(v, dt.date) else dt.datetime.strptime(v, "%d/%m/%Y").date()
                if d.year != year and not c.get("any_year"):
                    errs.append(f"{name} {v} outside {year}")
                typed[name] = d
            elif kind in ("integer", "money", "number"):
                n = num(v)
                if n < c.get("min", 0):
                    errs.append(f"{name} {v} negative")
                if kind != "number" and not float(n).is_integer():
                    errs.append(f"{name} {v} not whole")
                typed[name] = n
            elif kind == "month":
                m = v if isinstance(v, int) else int(str(v).split("/")[0])
                if not 1 <= m <= 12:
                    errs.append(f"{name} {v}")
                typed[name] = m
            elif kind == "category":
                typed[name] = R.resolve(c["catalogue"], v)
                if typed[name] is None:
                    errs.append(f"{name} {v!r} not in {c['catalogue']}")
            elif kind == "yesno":
                typed[name] = R.resolve("yesno", v)
                if typed[name] is None:
                    errs.append(f"{name} {v!r} not yes/no")
            elif kind == "area":
                a = R.area_resolve(v)
                if (
                    a is None
                    or (a == "toan-phuong" and not c.get("whole_unit"))
                    or (a not in ("toan-phuong", "khu-1", "khu-2", "khu-3", "khu-4"))
                ):
                    errs.append(f"{name} {v!r} unknown area")
                typed[name] = a
            elif kind == "organisation":
                typed[name] = R.org_resolve(v)
                if typed[name] is None:
                    errs.append(f"{name} {v!r} unknown organisation")
            else:
                typed[name] = v
                if isinstance(v, str) and (v != nfc(v) or v.strip() != v):
                    errs.append(f"{name} {v!r} not NFC/trimmed")
        if not errs:
            env = {name: typed.get(name) for name in cols}
            for chk in spec.get("checks", []):
                try:
                    ok = eval(chk["rule"], {"__builtins__": {}}, env)  # noqa: S307 - rules from inputs.yml
                except TypeError:
                    ok = True
                if not ok:
                    errs.append(f"rule {chk['rule']}")
        key = tuple(typed.get(n) for n in t.columns)
        if key in seen:
            errs.append("duplicate row")
        seen.add(key)
        if row.get("_reject") and not errs:
            problems.append(f"{t.sheet} row {i}: marked wrong but passes: {row}")
        if not row.get("_reject") and errs:
            problems.append(f"{t.sheet} row {i}: {errs}: {row}")
    return problems


def check_year(data: YearData) -> None:
    problems = []
    for name, tables in data.files.items():
        for t in tables:
            problems += [f"{data.year} {name}: {p}" for p in check_table(t, data.year)]
    if problems:
        raise SystemExit("sample data does not follow the reference files:\n" + "\n".join(problems))


# =============================================================================== writing workbooks

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "Times New Roman"
WIDTHS = {
    "date": 12,
    "area": 11,
    "org": 22,
    "field": 20,
    "campaign": 26,
    "description": 48,
    "note": 22,
    "model_name": 44,
    "household_head": 24,
    "topic": 52,
    "document": 56,
    "label": 44,
    "channel": 20,
    "occasion": 24,
    "recipient": 30,
    "funding": 20,
    "direction": 8,
    "source": 18,
    "purpose": 18,
    "household_type": 24,
    "mode": 24,
    "kind": 28,
    "indicator": 24,
    "registered_on": 13,
    "started": 13,
    "handed_over": 13,
    "opening": 22,
}
HEADINGS = {
    "ban-ctmt-khu": "BAN CÔNG TÁC MẶT TRẬN KHU {k}",
    "mttq-phuong": "VĂN PHÒNG ỦY BAN MTTQ PHƯỜNG",
    "to-chuc-thanh-vien": "CÁC TỔ CHỨC THÀNH VIÊN",
    "chi-tieu": "BAN THƯỜNG TRỰC",
}
UNIT_LINE = "ỦY BAN MTTQ VIỆT NAM PHƯỜNG BÌNH NGỌC"


class _Counter:
    n = 0


def cell_value(value, kind: str, style: FileStyle, counter: _Counter):
    """(value to write, number format or None) for one cell."""
    if value is None or isinstance(value, str):
        return value, None
    if kind == "date":
        return (
            (value.strftime("%d/%m/%Y"), None)
            if style.text_dates
            else (dt.datetime(value.year, value.month, value.day), "dd/mm/yyyy")
        )
    if kind in ("year", "month"):
        return value, None
    if kind == "money":
        if style.text_numbers:
            counter.n += 1
            return fmt_int(value) + (" đ" if style.dong_suffix and counter.n % 7 == 3 else ""), None
        return value, "#,##0"
    if isinstance(value, float) and not value.is_integer():
        return (vn_num(value), None) if style.text_numbers else (value, "#,##0.0")
    if style.text_numbers:
        return fmt_int(int(value)), None
    return value, "#,##0"


def write_table(ws, t: Table, style: FileStyle, heading: str) -> dict[int, int]:
    """Lay a table out on a sheet; return {row index in t.rows: Excel row number}."""
    R = ref()
    cols: list[str | None] = []
    for name in t.columns:
        cols.append(name)
        if name == t.blank_col_after:
            cols.append(None)
    ncols = len(cols) + (1 if t.stt else 0)
    first = 2 if t.stt else 1
    bold = Font(name=FONT, size=12, bold=True)
    plain = Font(name=FONT, size=12)
    titles = {3: [UNIT_LINE, t.title], 4: [UNIT_LINE, t.title, None], 5: [UNIT_LINE, heading, t.title, None]}
    for r, text in enumerate(titles[style.header_row], start=1):
        if text is None:
            continue
        c = ws.cell(row=r, column=1, value=text)
        c.font = bold if text in (t.title, heading) else plain
        c.alignment = Alignment(horizontal="center" if style.merge_titles else "left")
        if style.merge_titles and ncols > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
    hr = style.header_row
    if t.stt:
        ws.cell(row=hr, column=1, value="STT")
    for j, name in enumerate(cols):
        ws.cell(row=hr, column=first + j, value=t.header(name) if name else None)
    for j in range(1, ncols + 1):
        c = ws.cell(row=hr, column=j)
        c.font, c.border = bold, BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    kinds = {c["name"]: c["type"] for c in R.tables[t.table]["columns"]}
    counter = _Counter()
    where = {}
    r = hr
    for i, row in enumerate(t.rows):
        r += 1
        where[i] = r
        if t.stt:
            ws.cell(row=r, column=1, value=i + 1)
        for j, name in enumerate(cols):
            if name is None:
                continue
            value, fmt = cell_value(row.get(name), kinds[name], style, counter)
            c = ws.cell(row=r, column=first + j, value=value)
            if fmt:
                c.number_format = fmt
        for j in range(1, ncols + 1):
            c = ws.cell(row=r, column=j)
            c.font, c.border = plain, BORDER
            c.alignment = Alignment(
                vertical="top",
                wrap_text=cols[j - first] in ("description", "topic", "document", "model_name", "label", "note")
                if j >= first
                else False,
            )
    if t.total:
        r += 1
        numeric = [n for n in cols if n and kinds[n] in ("integer", "money", "number")]
        ws.cell(row=r, column=first, value="Tổng cộng")
        for j, name in enumerate(cols):
            if name in numeric:
                s = sum(num(row[name]) for row in t.rows if row.get(name) is not None)
                s = int(s) if float(s).is_integer() else s
                value, fmt = cell_value(s, kinds[name], style, _Counter())
                c = ws.cell(row=r, column=first + j, value=value)
                if fmt:
                    c.number_format = fmt
            if name == "note" and t.total_note:
                ws.cell(row=r, column=first + j, value=t.total_note)
        for j in range(1, ncols + 1):
            c = ws.cell(row=r, column=j)
            c.font, c.border = bold, BORDER
    for _ in range(t.trailing_blank_rows):  # rows formatted in advance, never filled
        r += 1
        for j in range(1, ncols + 1):
            ws.cell(row=r, column=j).border = BORDER
    if t.stt:
        ws.column_dimensions["A"].width = 5
    for j, name in enumerate(cols):
        ws.column_dimensions[get_column_letter(first + j)].width = WIDTHS.get(name, 13) if name else 4
    return where


FIXED_TIME = (2, 0, 0)  # 02:00:00 on 1 January of the next year


def save_deterministic(wb: openpyxl.Workbook, path: Path, year: int) -> None:
    """Save with fixed document properties and zip entry dates (baocao's own xlsx writer)."""
    from baocao.templates import workbook_bytes

    stamp = dt.datetime(year + 1, 1, 1, *FIXED_TIME)
    write_bytes(path, workbook_bytes(wb, stamp, "Văn phòng Ủy ban MTTQ phường Bình Ngọc"))


def write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_workbook(path: Path, file_key: str, tables: list[Table], year: int) -> dict[str, dict[int, int]]:
    style = STYLES[(year, file_key)]
    m = re.fullmatch(r"ban-ctmt-khu-(\d)", file_key)
    heading = HEADINGS["ban-ctmt-khu"].format(k=m.group(1)) if m else HEADINGS[file_key]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    where = {}
    for t in tables:
        ws = wb.create_sheet(t.sheet)
        where[t.sheet] = write_table(ws, t, style, heading)
    save_deterministic(wb, path, year)
    return where


# =============================================================================== text files


def write_text(path: Path, text: str) -> None:
    text = nfc(text)
    if not text.endswith("\n"):
        text += "\n"
    write_bytes(path, text.encode("utf-8"))


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# so, ngay_bao_cao, hoi_nghi or None, nhiem_ky, signer or None (defaults), recipients or None (defaults)
REPORT_META = {
    year: (
        *_fields(meta, "so", "ngay_bao_cao", "hoi_nghi", "nhiem_ky", "signer"),
        meta["recipients"],
    )
    for year, meta in VALUES["report_meta"].items()
}


def vn_date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def meta_yaml(year: int) -> str:
    so, date, hoi_nghi, term, signer, recipients = REPORT_META[year]
    lines = [
        f"# Thông tin văn bản báo cáo năm {year}",
        f'so: {q(so):<28} # số văn bản; in ra "Số: {so}/BC-MTTQ-BTT"',
        f"ngay_bao_cao: {q(date):<18} # ngày ký báo cáo, dd/mm/yyyy",
        f"ngay_chot_so_lieu: {q(vn_date(CUTOFF[year])):<13} # số liệu tính đến ngày này (bỏ trống: đến ngày báo cáo)",
    ]
    if hoi_nghi:
        lines.append(f"hoi_nghi: {q(hoi_nghi)}")
    lines.append(f"nhiem_ky: {q(term):<22} # nhiệm kỳ của Ủy ban MTTQ phường")
    if signer:
        lines += ["nguoi_ky:", f"  thay_mat: {q(signer[0])}", f"  chuc_vu: {q(signer[1])}", f"  ho_ten: {q(signer[2])}"]
    if recipients:
        lines.append("noi_nhan:")
        lines += [f"  - {q(r)}" for r in recipients]
    if year == 2023:  # the year the README's signing example signs (made-up images, marked MẪU / SAMPLE)
        lines += [
            "ky_so:                           # baocao sign: ảnh hiện trên bản ký số (đường dẫn tính từ thư mục dự án)",
            '  anh_chu_ky: "data/ky-so-mau/chu-ky-mau.png"    # chữ ký của người ký: PNG nền trong suốt, màu xanh',
            '  anh_con_dau: "data/ky-so-mau/con-dau-mau.png"  # con dấu của cơ quan: PNG nền trong suốt, màu đỏ, đúng kích thước',
        ]
    return "\n".join(lines) + "\n"


# =============================================================================== main


def write_year(data: YearData, out_dir: Path) -> dict[str, int]:
    """Write one year's files; return the row counts per (file, sheet)."""
    year = data.year
    folder = out_dir / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    rejects_found = []
    for key, tables in data.files.items():
        where = write_workbook(folder / f"{key}.xlsx", key, tables, year)
        for t in tables:
            counts[f"{key}.xlsx/{t.sheet}"] = len(valid(t.rows))
            for i, row in enumerate(t.rows):
                if row.get("_reject"):
                    name = {"date": "date", "area": "area", "amount": "amount"}[row["_reject"]]
                    rejects_found.append(
                        {
                            "year": year,
                            "file": f"{key}.xlsx",
                            "sheet": t.sheet,
                            "row": where[t.sheet][i],
                            "column": t.header(name),
                            "value": row[name],
                        }
                    )
    expected = [r for r in EXPECTED_REJECTS if r["year"] == year]
    if rejects_found != expected:
        raise SystemExit(f"EXPECTED_REJECTS is out of date for {year}: written {rejects_found}")
    write_text(folder / "thong-tin-bao-cao.yml", meta_yaml(year))
    write_text(folder / "nhan-dinh.md", (SAMPLE_DIR / f"nhan-dinh-{year}.md").read_text(encoding="utf-8").strip())
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder that receives <year>/ (default data/raw)")
    parser.add_argument("--years", type=int, nargs="+", default=list(YEARS), choices=YEARS)
    args = parser.parse_args(argv)
    years = build_years()
    for year in sorted(args.years):
        check_year(years[year])
    for year in sorted(args.years):
        d = years[year]
        counts = write_year(d, args.out)
        print(f"{year}: {args.out / str(year)}  (Quỹ: đầu năm {fmt_int(d.opening)}, cuối năm {fmt_int(d.closing)})")
        for name, n in counts.items():
            print(f"  {name:<45} {n:>4}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
