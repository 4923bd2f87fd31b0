"""Reconciliation: the offices' own totals, and one year against the last.

Two checks an office trusts, because they compare the figures with the office's own:

* **Total rows.** Where a sheet carries its own "Tổng cộng" row, each of its numeric cells is
  compared with the sum of that column over the rows the cleaner kept above it (since the
  previous total row; the last total row of a sheet may also be the grand total of every row
  above it).
* **Continuity** between consecutive years: the Quỹ's opening balance against last year's
  closing balance (last year's opening + receipts − payments), each khu's poor and near-poor
  households at the start of the year against last year's end, and the targets set for this
  year in this year's chi-tieu.xlsx against those set for it in last year's.

Every comparison is a :class:`Check`; a mismatch is also a warning (``warnings.csv``, the
output of ``baocao validate``; an error with ``--strict``) that names the file, sheet, row and
column, the office's value, the computed value and the difference. A mismatch whose difference
is exactly the rows the cleaner rejected is said to be explained by them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import vnformat as vn
from .config import Project, TableSpec
from .errors import Reject

NUMERIC = ("integer", "money", "number")
CHECK_COLUMNS = [
    "kind",
    "file",
    "sheet",
    "row",
    "column",
    "subject",
    "office",
    "computed",
    "difference",
    "status",
    "note_vi",
    "note_en",
]


@dataclass
class Check:
    """One comparison. ``office`` is the value written in this year's file; ``computed`` the
    value it should equal (the sum of the kept rows, or last year's figure)."""

    kind: str  # "total" | "continuity"
    file: str
    sheet: str
    row: int | None
    column: str
    subject: str  # what is compared, in Vietnamese
    office: float | int | None
    computed: float | int | None
    status: str  # "ok" | "mismatch" | "explained" | "not_checked"
    note_vi: str = ""
    note_en: str = ""
    subject_en: str = ""

    @property
    def difference(self) -> float | int | None:
        if self.office is None or self.computed is None:
            return None
        return _num(self.office - self.computed)

    @property
    def is_warning(self) -> bool:
        return self.status in ("mismatch", "explained")

    def as_record(self) -> dict:
        rec = asdict(self)
        rec["difference"] = self.difference
        return {k: rec[k] for k in CHECK_COLUMNS}

    def warning(self) -> Reject:
        """The mismatch as one line: where, both values, the difference, and why."""
        office, computed, diff = _fmt(self.office), _fmt(self.computed), _fmt_diff(self.difference)
        vi = f"{self.subject}: đơn vị ghi {office}, tính được {computed}, chênh lệch {diff}" + (
            f" ({self.note_vi})" if self.note_vi else ""
        )
        en = (
            f"{self.subject_en or _EN_SUBJECT.get(self.kind, 'check')}: the office wrote {office}, computed {computed}, "
            f"difference {diff}" + (f" ({self.note_en})" if self.note_en else "")
        )
        return Reject(
            self.file,
            self.sheet,
            self.row,
            self.column,
            office,
            vi,
            en,
            "warning",
            extra={"check": self.kind, "status": self.status},
        )


_EN_SUBJECT = {
    "total": "the sheet's total row against the sum of the rows above it",
    "continuity": "this year's figure against last year's",
}


def _num(value) -> float | int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


def _fmt(value) -> str:
    """Vietnamese form, with as many decimals as the value has (up to 3): 1.200.000; 27,5."""
    if value is None:
        return "–"
    text = vn.fmt_number(value, 0 if float(value).is_integer() else 3)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _fmt_diff(value) -> str:
    if value is None:
        return "–"
    text = _fmt(abs(value))
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)), abs(float(b)))


def frame_of(checks: list[Check]) -> pd.DataFrame:
    return pd.DataFrame([c.as_record() for c in checks], columns=CHECK_COLUMNS).astype({"row": "Int64"})


# ---------------------------------------------------------------------------- total rows
# Not sums of every row above: balances, and totals of one kind of row only (a cash book's
# "Tổng thu" adds the receipts, not the payments written in the same column).
_NOT_A_SUM = ("tồn", "số dư", "dư đầu", "dư cuối", "tổng thu", "tổng chi")


def is_sum_label(label: str) -> bool:
    """A total row that sums the rows above it ("Tổng cộng", "Cộng tháng 1", "Lũy kế từ đầu
    năm", "Cộng phát sinh"), not a balance ("Tồn quỹ cuối năm", "Số dư") nor the total of one
    kind of row ("Tổng thu", "Tổng chi")."""
    import unicodedata

    text = " ".join(unicodedata.normalize("NFC", str(label)).casefold().split())
    return not any(f" {word}" in f" {text}" for word in _NOT_A_SUM)


def _parse(value, kind: str):
    from .parse import ValueParseError, is_blank, parse_integer, parse_money, parse_number

    if is_blank(value):
        return None
    parser = {"integer": parse_integer, "money": parse_money, "number": parse_number}[kind]
    try:
        return parser(value)
    except ValueParseError:
        return np.nan  # written, but not a number


def check_totals(spec: TableSpec, reads: list, kept: pd.DataFrame) -> list[Check]:
    """Each total row of each sheet of one table against the kept rows above it, column by column.

    ``reads`` are the table's sheet reads (:class:`baocao.readers.SheetRead`, whose
    ``total_rows`` keep each total row's number, label and cells),
    ``kept`` the table's tidy frame (with ``source_file``, ``source_sheet``, ``source_row``).
    """
    checks: list[Check] = []
    numeric = [c for c in spec.columns if c.type in NUMERIC]
    if not numeric:
        return checks
    for read in reads:
        # The rows that sum the rows above them; balances ("Tồn quỹ cuối năm", "Số dư đầu kỳ")
        # are not sums and are not compared.
        sums = [t for t in read.total_rows if is_sum_label(t.label)]
        totals = [t.row for t in sums]
        if not totals:
            continue
        mine = kept[(kept["source_file"] == read.file) & (kept["source_sheet"] == read.sheet)]
        kept_rows = mine["source_row"].astype("Int64").to_numpy(dtype=np.int64, na_value=-1)
        data_rows = np.asarray(read.row_numbers, dtype=np.int64)
        for k, total_row in enumerate(totals):
            rows = _Above(kept_rows, data_rows, totals[k - 1] if k else 0, total_row, first=k == 0)
            for col in numeric:
                check = _check_total(read, col, sums[k], rows, mine)
                if check is not None:
                    checks.append(check)
    return checks


@dataclass(frozen=True)
class _Above:
    """The rows a total row may sum: those since the previous total row (``segment``), or,
    under sub-totals, every row above it; as kept rows and as the sheet's data rows."""

    kept_rows: np.ndarray
    data_rows: np.ndarray
    start: int
    total_row: int
    first: bool

    @property
    def segment(self) -> np.ndarray:
        return (self.kept_rows > self.start) & (self.kept_rows < self.total_row)

    @property
    def above(self) -> np.ndarray:
        return self.kept_rows < self.total_row

    @property
    def segment_data(self) -> np.ndarray:
        return (self.data_rows > self.start) & (self.data_rows < self.total_row)

    @property
    def all_data(self) -> np.ndarray:
        return self.data_rows < self.total_row


def _check_total(read, col, total, rows: _Above, mine: pd.DataFrame) -> Check | None:
    """One column of one total row against the kept rows above it; None when the office did
    not total that column."""
    if col.name not in total.cells:
        return None
    raw = total.cells[col.name]
    office = _parse(raw, col.type)
    if office is None:
        return None  # the office did not total this column
    header = read.headers.get(col.name, col.header)
    subject = "dòng tổng cộng so với tổng các dòng phía trên"

    def check(*args) -> Check:
        return Check("total", read.file, read.sheet, rows.total_row, header, subject, *args)

    if isinstance(office, float) and np.isnan(office):
        return check(None, None, "not_checked", f"ô '{raw}' không phải là số", f"the cell '{raw}' is not a number")
    values = pd.to_numeric(mine[col.name]).astype("Float64")
    seg_sum = _num(values[rows.segment].sum())
    all_sum = _num(values[rows.above].sum())
    if _same(office, seg_sum):
        return check(_num(office), seg_sum, "ok")
    if not rows.first and _same(office, all_sum):  # a grand total under sub-totals
        return check(_num(office), all_sum, "ok", "tổng của mọi dòng phía trên", "the sum of every row above")
    whole = not rows.first and abs(office - all_sum) < abs(office - seg_sum)
    computed = all_sum if whole else seg_sum
    rows_here = rows.all_data if whole else rows.segment_data
    kept_here = rows.above if whole else rows.segment
    status = "mismatch"
    dropped = sorted(set(rows.data_rows[rows_here].tolist()) - set(rows.kept_rows[kept_here].tolist()))
    if dropped:
        raw_sum = _raw_sum(read, col, rows_here)
        shown = ", ".join(str(r) for r in dropped)
        if raw_sum is not None and _same(office, raw_sum):
            status = "explained"
            vi = f"chênh lệch đúng bằng dòng bị loại: dòng {shown}; sửa các dòng đó thì khớp"
            en = f"the difference is exactly the rejected row(s) {shown}; fixing them reconciles"
        else:
            vi = f"trong đó có dòng bị loại: dòng {shown}"
            en = f"rejected row(s) among them: {shown}"
    else:
        vi = "kiểm tra lại dòng tổng cộng hoặc các dòng số liệu"
        en = "check the total row or the rows above it"
    return check(_num(office), computed, status, vi, en)


def _raw_sum(read, col, rows: np.ndarray) -> float | None:
    """The column's sum over every data row as written (kept or rejected), or None when a cell
    cannot be read as a number."""
    if col.name not in read.cells:
        return None
    codes, uniques = read.cells[col.name]
    total = 0.0
    for code in codes[rows]:
        value = _parse(uniques[code], col.type)
        if value is None:
            continue
        if isinstance(value, float) and np.isnan(value):
            return None
        total += float(value)
    return _num(total)


# ---------------------------------------------------------------------------- continuity
_EN_HOUSEHOLDS = {"poor_start": "poor households", "near_poor_start": "near-poor households"}


def continuity_checks(
    project: Project, year: int, tables: dict[str, pd.DataFrame], previous: dict[str, pd.DataFrame] | None
) -> list[Check]:
    """This year's opening figures and targets against last year's data (``previous``: last
    year's tidy tables, or None when there are none)."""
    if previous is None:
        return []
    return [
        *_fund_continuity(project, year, tables, previous),
        *_household_continuity(project, year, tables, previous),
        *_target_continuity(project, year, tables, previous),
    ]


def _header(project: Project, table: str, column: str) -> str:
    return project.reference.tables[table].column(column).header


def _where(row) -> tuple[str, str, int | None]:
    return (
        str(row["source_file"]),
        str(row["source_sheet"]),
        None if pd.isna(row["source_row"]) else int(row["source_row"]),
    )


def _continuity(
    where: tuple, column: str, subject: str, office, computed, ok: bool, fix: tuple[str, str], subject_en: str
) -> Check:
    """One continuity comparison: "ok", or a "mismatch" with ``fix`` (what to do, vi and en)."""
    file, sheet, line = where
    vi, en = ("", "") if ok else fix
    status = "ok" if ok else "mismatch"
    return Check(
        "continuity", file, sheet, line, column, subject, office, computed, status, vi, en, subject_en=subject_en
    )


def _fund_continuity(project: Project, year: int, tables: dict, previous: dict) -> list[Check]:
    """Quỹ "Vì người nghèo": this year's opening balance = last year's closing one."""
    prev = year - 1
    checks: list[Check] = []
    balance, prev_balance = tables["fund_balance"], previous["fund_balance"]
    if len(balance) and len(prev_balance):
        txn = previous["fund_txn"]
        closing = (
            float(prev_balance["opening"].sum())
            + float(txn.loc[txn["direction"] == "thu", "amount"].sum())
            - float(txn.loc[txn["direction"] == "chi", "amount"].sum())
        )
        opening = float(balance["opening"].sum())
        check = _continuity(
            _where(balance.iloc[0]),
            _header(project, "fund_balance", "opening"),
            f'số dư Quỹ "Vì người nghèo" đầu năm {year} so với số dư cuối năm {prev} (tính từ số liệu năm {prev}: '
            f"số dư đầu năm + thu − chi)",
            _num(opening),
            _num(closing),
            _same(opening, closing),
            (
                f"số dư đầu năm phải bằng số dư cuối năm {prev}",
                f"the opening balance must equal the {prev} closing balance",
            ),
            f"the Fund's opening balance of {year} against its {prev} closing balance (opening + receipts "
            f"- payments of {prev})",
        )
        checks.append(_before_cutoff(project, prev, check))
    return checks


def _before_cutoff(project: Project, prev: int, check: Check) -> Check:
    """Last year's data ends at its cut-off: the receipts and payments after it are in no
    year's data, so a difference is not a mistake; it is shown, not warned about."""
    from .period import read_period

    period = read_period(project, prev, strict=False)
    if check.status == "ok" or period.whole_year:
        return check
    cut = vn.fmt_date_short(period.cutoff)
    check.status = "not_checked"
    check.note_vi = (
        f"số liệu năm {prev} tính đến ngày {cut}; chênh lệch là thu, chi Quỹ từ sau ngày đó đến 31/12/{prev} "
        "(đối chiếu với sổ Quỹ)"
    )
    check.note_en = (
        f"the {prev} data end at {cut}; the difference is the Fund's receipts and payments from then to "
        f"31/12/{prev} (check it against the cash book)"
    )
    return check


def next_target_checks(project: Project, year: int, indicators: dict[str, dict]) -> list[Check]:
    """Each target set for next year against this year's result: a target below what was
    already achieved (above it, for a ceiling) or a chỉ tiêu of this year without a target
    for next year is worth a second look before the report is signed."""
    checks: list[Check] = []
    for code in project.reference.indicators:
        ind = indicators.get(code)
        if ind is None or ind["value"] is None:
            continue
        target, value = ind.get("next_target"), ind["value"]
        name = ind["name"]
        if target is None:
            if ind.get("target") is None:
                continue
            vi = f"chưa đặt chỉ tiêu năm {year + 1} cho '{name}' (năm {year} có chỉ tiêu)"
            en = f"no {year + 1} target for '{code}' (it had one in {year})"
            status = "mismatch"
        else:
            lower = target > value if ind["direction"] == "lower" else target < value
            status = "mismatch" if lower else "ok"
            vi = f"chỉ tiêu năm {year + 1} thấp hơn kết quả năm {year}" if lower else ""
            en = f"the {year + 1} target is below the {year} result" if lower else ""
        checks.append(
            Check(
                "next_target",
                "chi-tieu.xlsx",
                "Chỉ tiêu",
                None,
                f"Kế hoạch {year + 1}",
                f"chỉ tiêu năm {year + 1} '{name}' so với kết quả năm {year}",
                target,
                value,
                status,
                vi,
                en,
                subject_en=f"the {year + 1} target '{code}' against the {year} result",
            )
        )
    return checks


def _household_continuity(project: Project, year: int, tables: dict, previous: dict) -> list[Check]:
    """Poor and near-poor households at the start of the year = at the end of last year, khu by khu."""
    prev = year - 1
    checks: list[Check] = []
    hh, prev_hh = tables["households"], previous["households"]
    names = {a.id: a.name for a in project.unit.areas}
    ends = {r["area"]: r for _i, r in prev_hh.iterrows()}
    for _i, row in hh.iterrows():
        last = ends.get(row["area"])
        if last is None:
            continue
        for start, end, what in (
            ("poor_start", "poor_end", "hộ nghèo"),
            ("near_poor_start", "near_poor_end", "hộ cận nghèo"),
        ):
            if pd.isna(row[start]) or pd.isna(last[end]):
                continue
            area = names.get(row["area"], row["area"])
            checks.append(
                _continuity(
                    _where(row),
                    _header(project, "households", start),
                    f"{what} đầu năm {year} của {area} so với {what} cuối năm {prev} "
                    f"({last['source_file']}, dòng {last['source_row']} của năm {prev})",
                    int(row[start]),
                    int(last[end]),
                    int(row[start]) == int(last[end]),
                    (
                        f"số đầu năm phải bằng số cuối năm {prev}",
                        f"the start-of-year count must equal the end of {prev}",
                    ),
                    f"{_EN_HOUSEHOLDS[start]} at the start of {year} in {area} against the end of {prev}",
                )
            )

    return checks


def _target_continuity(project: Project, year: int, tables: dict, previous: dict) -> list[Check]:
    """The targets for this year in this year's file against those set for it last year."""
    prev = year - 1
    checks: list[Check] = []
    indicators = project.reference.indicators
    now = tables["targets"][tables["targets"]["year"] == year]
    then = previous["targets"][previous["targets"]["year"] == year]
    set_then = {r["indicator"]: r for _i, r in then.iterrows()}
    set_now = {r["indicator"]: r for _i, r in now.iterrows()}
    for code in [c for c in indicators if c in set_now or c in set_then]:
        name = indicators[code].name
        a, b = set_now.get(code), set_then.get(code)
        col = _header(project, "targets", "target")
        if a is not None and b is not None:
            checks.append(
                _continuity(
                    _where(a),
                    col,
                    f"chỉ tiêu năm {year} '{name}' so với chỉ tiêu đã đặt cho năm {year} trong tệp năm {prev} "
                    f"({b['source_file']}, dòng {b['source_row']})",
                    _num(a["target"]),
                    _num(b["target"]),
                    _same(a["target"], b["target"]),
                    (
                        "chỉ tiêu của một năm phải giống nhau ở tệp hai năm",
                        "a year's targets must be the same in both years' files",
                    ),
                    f"the {year} target '{code}' against the one set for {year} in the {prev} file",
                )
            )
        elif b is not None:
            checks.append(
                _continuity(
                    ("chi-tieu.xlsx", "Chỉ tiêu", None),
                    col,
                    f"chỉ tiêu năm {year} '{name}' đã đặt trong tệp năm {prev} ({b['source_file']}, dòng "
                    f"{b['source_row']}) nhưng không có trong tệp năm {year}",
                    None,
                    _num(b["target"]),
                    False,
                    (
                        "thêm dòng chỉ tiêu này vào chi-tieu.xlsx năm nay",
                        "add this target to this year's chi-tieu.xlsx",
                    ),
                    f"the {year} target '{code}' set in the {prev} file is missing from this year's",
                )
            )
        elif a is not None:
            checks.append(
                _continuity(
                    _where(a),
                    col,
                    f"chỉ tiêu năm {year} '{name}' không có trong các chỉ tiêu đã đặt cho năm {year} trong tệp năm {prev}",
                    _num(a["target"]),
                    None,
                    False,
                    (
                        "chỉ tiêu mới hay đặt thêm: kiểm tra với nghị quyết, kế hoạch năm",
                        "a target not set last year: check it against the year's plan",
                    ),
                    f"the {year} target '{code}' was not among those set for {year} in the {prev} file",
                )
            )
    return checks
