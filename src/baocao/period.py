"""The data period: what the report counts is what the office held on its cut-off date.

A year's report is signed before the year ends (late November, early December). The year's
metadata (``thong-tin-bao-cao.yml``) declares the data cut-off, ``ngay_chot_so_lieu`` (by
default the report's date, ``ngay_bao_cao``); the report states it in its opening ("Số liệu
tính đến ngày …"). A row dated after the cut-off is never counted silently:

* the clean step names it (file, sheet, row, date) as a warning, so ``baocao validate``
  shows it and the data-quality record lists it with what was done with it (not counted);
* the analyze step counts only the rows dated on or before the cut-off (:func:`within`).

A row's date is the first ``date`` or ``month`` column its table declares in inputs.yml (a
column that may fall in any year, such as a house's hand-over date, is not its date). A monthly
row (ý kiến, kiến nghị by month) belongs to the period when its month is not after the cut-off's
month: the office's row for the month of the cut-off holds what it had received by then. A row
without a date (an optional date left empty), and a table without a date column (a snapshot such
as the households of a khu, taken when the office fills it in), are counted as they are.

A unit formed during the year (a merger's successor: ``valid_from`` in baocao.yml, after 1
January of that year) reports from that day: its period starts there, and a row dated before it
(the predecessors' months, which their own reports count) is named and not counted, in the same
way, so that the level above adds each event once (:mod:`baocao.aggregate.rollup`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import vnformat as vn
from .config import Project, TableSpec
from .errors import BaocaoError, Reject

Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Period:
    """The year's data period: 1 January (or ``start``, the day a unit formed during the year
    came into being) to ``cutoff`` (inclusive)."""

    year: int
    cutoff: dt.date
    start: dt.date | None = None  # None: 1 January

    @property
    def whole_year(self) -> bool:
        return self.cutoff >= dt.date(self.year, 12, 31)

    def as_record(self) -> dict:
        return {
            "start": (self.start or dt.date(self.year, 1, 1)).isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "last_month": self.cutoff.month,
        }


def year_end(year: int, start: dt.date | None = None) -> Period:
    return Period(year, dt.date(year, 12, 31), start)


def formed_on(project: Project, year: int) -> dt.date | None:
    """The day the unit came into being, when that is after 1 January of ``year`` (``valid_from``)."""
    formed = project.unit.valid_from
    if not formed:
        return None
    day = dt.date.fromisoformat(formed)
    return day if day.year == year and day > dt.date(year, 1, 1) else None


def read_period(project: Project, year: int, raw_dir: Path | None = None, *, strict: bool = True) -> Period:
    """The year's period from its metadata; the whole year when there is no metadata file (the
    compose step refuses such a year anyway). ``strict=False``: an unreadable metadata file
    gives the whole year too (``validate`` reports that file's problem on its own)."""
    from .narrative import META_FILE, load_meta

    folder = raw_dir or project.raw_dir(year)
    start = formed_on(project, year)
    if not (folder / META_FILE).is_file():
        return year_end(year, start)
    try:
        meta = load_meta(project, year, raw_dir)
    except BaocaoError:
        if strict:
            raise
        return year_end(year, start)
    return Period(year, meta.cutoff, start)


def declared_estimates(project: Project, year: int) -> tuple:
    """The year's declared estimates to 31/12 (``uoc_thuc_hien``, :mod:`baocao.estimates`);
    none without a metadata file."""
    from .narrative import META_FILE, load_meta

    if not (project.raw_dir(year) / META_FILE).is_file():
        return ()
    return load_meta(project, year).estimates


def named_at_cutoff(metrics: dict) -> dict:
    """A snapshot named "cuối năm" that was taken before the year ended is named by its date:
    "Tỷ lệ hộ nghèo tại ngày 20/11/2023" (the name as declared stays in ``year_end_name``,
    for next year's targets, which are set for the year's end)."""
    period = metrics.get("period") or {}
    if period.get("whole_year", True):
        return metrics
    at = "tại ngày " + vn.fmt_date_short(dt.date.fromisoformat(period["cutoff"]))
    indicators = {
        code: {
            **e,
            "year_end_name": e["name"],
            **{k: e[k].replace("cuối năm", at) for k in ("name", "short", "text") if isinstance(e.get(k), str)},
        }
        for code, e in metrics["indicators"].items()
    }
    return {**metrics, "indicators": indicators}


def date_column(spec: TableSpec) -> tuple[str, str] | None:
    """(name, type) of the column that dates a row of this table, or None (a snapshot)."""
    for col in spec.columns:
        if col.type in ("date", "month") and not col.any_year:
            return col.name, col.type
    return None


def after_mask(frame: pd.DataFrame, spec: TableSpec, period: Period) -> pd.Series:
    """True for the rows dated after the cut-off."""
    found = date_column(spec)
    if found is None or not len(frame):
        return pd.Series(False, index=frame.index, dtype=bool)
    name, kind = found
    if kind == "month":
        months = pd.to_numeric(frame[name], errors="coerce")
        limit = 12 if period.whole_year else period.cutoff.month
        return (months > limit).fillna(False).astype(bool)
    dates = pd.to_datetime(frame[name], errors="coerce")
    return (dates > pd.Timestamp(period.cutoff)).fillna(False).astype(bool)


def before_mask(frame: pd.DataFrame, spec: TableSpec, period: Period) -> pd.Series:
    """True for the rows dated before the period's start (a unit formed during the year)."""
    found = date_column(spec)
    if period.start is None or found is None or not len(frame):
        return pd.Series(False, index=frame.index, dtype=bool)
    name, kind = found
    if kind == "month":
        months = pd.to_numeric(frame[name], errors="coerce")
        return (months < period.start.month).fillna(False).astype(bool)
    dates = pd.to_datetime(frame[name], errors="coerce")
    return (dates < pd.Timestamp(period.start)).fillna(False).astype(bool)


def within(project: Project, tables: Tables, period: Period) -> Tables:
    """The tables with only the rows of the period (the tables themselves are not changed)."""
    out: Tables = {}
    for name, frame in tables.items():
        spec = project.reference.tables.get(name)
        out[name] = (
            frame if spec is None else frame[~(after_mask(frame, spec, period) | before_mask(frame, spec, period))]
        )
    return out


def rows_after(project: Project, tables: Tables, period: Period, mask=after_mask) -> list[dict]:
    """Every row dated after the cut-off (``mask=before_mask``: before the period's start):
    table, file, sheet, row and its date, in file order."""
    found: list[dict] = []
    for name, frame in tables.items():
        spec = project.reference.tables.get(name)
        if spec is None:
            continue
        late = frame[mask(frame, spec, period)]
        col = date_column(spec)
        for _i, row in late.iterrows():
            assert col is not None  # only a dated table has rows outside the period
            found.append(
                {
                    "table": name,
                    "table_title": spec.title_vi,
                    "file": str(row.get("source_file", "")),
                    "sheet": str(row.get("source_sheet", "")),
                    "row": None if pd.isna(row.get("source_row")) else int(row["source_row"]),
                    "column": spec.column(col[0]).header,
                    "date": _shown_date(row[col[0]], col[1], period.year),
                }
            )
    return sorted(found, key=lambda r: (r["file"], r["sheet"], r["row"] or 0))


def _shown_date(value, kind: str, year: int) -> str:
    if kind == "month":
        return f"tháng {int(value)}/{year}"
    return vn.fmt_date_short(pd.Timestamp(value).date())


def cutoff_warnings(project: Project, tables: Tables, period: Period) -> list[Reject]:
    """One warning per row dated after the cut-off, or before a unit formed during the year
    came into being (file, sheet, row, date), saying it is not counted: what ``validate``
    prints and the data-quality record lists."""

    def warning(r: dict, why_vi: str, why_en: str, whose_vi: str = "", whose_en: str = "") -> Reject:
        return Reject(
            r["file"],
            r["sheet"],
            r["row"],
            r["column"],
            r["date"],
            f"ghi ngày {r['date']}, {why_vi}: không tính vào báo cáo năm {period.year}{whose_vi}",
            f"dated {r['date']}, {why_en}: not counted in the {period.year} report{whose_en}",
            "warning",
        )

    early = []
    if period.start is not None:
        formed = vn.fmt_date_short(period.start)
        early = [
            warning(
                r,
                f"trước ngày đơn vị được thành lập {formed}",
                f"before the unit was formed on {formed}",
                " (báo cáo của đơn vị tiền thân tính)",
                " (its predecessors' reports count it)",
            )
            for r in rows_after(project, tables, period, before_mask)
        ]
    cut = vn.fmt_date_short(period.cutoff)
    return early + [
        warning(r, f"sau ngày chốt số liệu {cut}", f"after the data cut-off {cut}")
        for r in rows_after(project, tables, period)
    ]
