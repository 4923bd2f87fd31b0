"""Declared estimates to the year's end ("ước thực hiện cả năm").

A report signed in late November counts what the office held on its data cut-off
(:mod:`baocao.period`). The committee may want some chỉ tiêu judged against the year's plan as
an estimate to 31/12; it then declares, in the year's ``thong-tin-bao-cao.yml``, which figures
and by which rule, never a silent extrapolation::

    uoc_thuc_hien:
      quy_vnn_thu:
        quy_tac: ke_hoach_con_lai     # the result at the cut-off + what is planned after it
        con_lai: "40"                 # in the figure's unit (here triệu đồng)
        can_cu: "kế hoạch vận động tháng 12 của các khu"
      tuyen_truyen_cuoc:
        quy_tac: ty_le_thoi_gian      # the result at the cut-off × days of the year / days to the cut-off

Rules (``RULES``): ``ke_hoach_con_lai`` (the result at the cut-off plus the rest of the year's
plan the office entered, ``con_lai``), ``ty_le_thoi_gian`` (the result at the cut-off in
proportion to the days of the year, stated as such), ``giu_nguyen`` (the result at the cut-off:
nothing more is expected before 31/12). Only a chỉ tiêu that is a count or a sum of the year's
rows can be estimated (a rate, a stock or a balance cannot). The report states each estimate
and its rule in its opening, marks the estimated figures "ước" in its sentences and tables, and
says that a verdict against the target rests on the estimate. Every other figure is the result
at the cut-off.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import vnformat as vn
from .errors import InputError, Location, ValueParseError
from .indicators import Indicator
from .parse import parse_number

RULES = {
    "ke_hoach_con_lai": "số thực hiện đến ngày chốt số liệu cộng số dự kiến thực hiện đến hết năm theo kế hoạch",
    "ty_le_thoi_gian": "số thực hiện đến ngày chốt số liệu tính theo tỷ lệ thời gian cả năm",
    "giu_nguyen": "số thực hiện đến ngày chốt số liệu, không dự kiến phát sinh thêm đến hết năm",
}


@dataclass(frozen=True)
class Estimate:
    """One declared estimate: the figure, its rule and (``ke_hoach_con_lai``) what is planned
    from the day after the cut-off to 31/12, in the figure's unit."""

    code: str
    rule: str
    remaining: float | None = None
    basis: str = ""


def estimable(ind: Indicator) -> bool:
    """A chỉ tiêu whose value is a count or a sum of the year's rows: it can grow to 31/12."""
    return (
        ind.chi_tieu
        and ind.table is not None
        and ind.aggregate in ("sum", "count")
        and ind.kind in ("count", "money", "number")
        and ind.rollup == "sum"
    )


def read_estimates(
    declared: dict[str, Indicator], raw: object, lines: dict, rel: str, *, whole_year: bool = False
) -> tuple[Estimate, ...]:
    """``uoc_thuc_hien:`` as the schema checked it (a map of code → {quy_tac, con_lai, can_cu}),
    with the codes and numbers checked against the declared figures: a list of InputErrors
    naming the file, line and key, or the estimates."""
    if not raw:
        return ()
    assert isinstance(raw, dict)  # configschema.MetaFile checked its shape
    if whole_year:
        raise InputError(
            Location(rel, row=lines.get(("uoc_thuc_hien",)), column="uoc_thuc_hien"),
            "số liệu đã tính đến ngày 31/12 (ngày chốt số liệu), không có gì phải ước: bỏ khóa 'uoc_thuc_hien'",
            "the data run to 31/12 (the data cut-off): nothing to estimate; remove 'uoc_thuc_hien'",
        )
    errors: list[InputError] = []
    found: list[Estimate] = []
    allowed = sorted(code for code, ind in declared.items() if estimable(ind))
    for code, decl in raw.items():
        key = f"uoc_thuc_hien.{code}"
        line = lines.get(("uoc_thuc_hien", code))
        ind = declared.get(str(code))
        if ind is None or not estimable(ind):
            close = difflib.get_close_matches(str(code), allowed, n=1, cutoff=0.6) if ind is None else []
            maybe_vi, maybe_en = (f": ý bạn là '{close[0]}'?", f": did you mean '{close[0]}'?") if close else ("", "")
            why_vi = (
                f"không có chỉ tiêu này{maybe_vi}"
                if ind is None
                else f"'{ind.name}' là tỷ lệ, số dư hoặc số tại một thời điểm, không ước được"
            )
            why_en = (
                f"no such chỉ tiêu{maybe_en}"
                if ind is None
                else f"'{ind.name}' is a rate, a balance or a stock: it cannot be estimated"
            )
            errors.append(
                InputError(
                    Location(rel, row=line, column=key, value=code),
                    f"{why_vi} (các chỉ tiêu ước được: {', '.join(allowed)})",
                    f"{why_en} (chỉ tiêu that can be estimated: {', '.join(allowed)})",
                )
            )
            continue
        rule = str(decl["quy_tac"])
        remaining_raw = decl.get("con_lai", "")
        remaining = None
        if rule == "ke_hoach_con_lai":
            line_cl = lines.get(("uoc_thuc_hien", code, "con_lai"), line)
            try:
                if remaining_raw in (None, ""):
                    raise ValueParseError("thiếu số dự kiến", "the planned figure is missing")
                remaining = parse_number(remaining_raw)
                if remaining < 0:
                    raise ValueParseError("số âm", "a negative number")
            except ValueParseError as exc:
                errors.append(
                    InputError(
                        Location(rel, row=line_cl, column=f"{key}.con_lai", value=remaining_raw),
                        f"quy tắc 'ke_hoach_con_lai' cần 'con_lai': số dự kiến thực hiện từ sau ngày chốt số liệu "
                        f"đến 31/12, tính bằng {ind.unit} ({exc.reason_vi})",
                        f"rule 'ke_hoach_con_lai' needs 'con_lai': what is planned from the day after the cut-off "
                        f"to 31/12, in {ind.unit} ({exc.reason_en})",
                    )
                )
                continue
        elif remaining_raw not in (None, ""):
            errors.append(
                InputError(
                    Location(rel, row=lines.get(("uoc_thuc_hien", code, "con_lai"), line), column=f"{key}.con_lai"),
                    f"'con_lai' chỉ dùng với quy tắc 'ke_hoach_con_lai' (quy tắc đã ghi: '{rule}')",
                    f"'con_lai' belongs only to rule 'ke_hoach_con_lai' (rule given: '{rule}')",
                )
            )
            continue
        found.append(Estimate(str(code), rule, remaining, str(decl.get("can_cu") or "").strip()))
    if errors:
        from .errors import InputProblems

        raise InputProblems(errors, folder=rel)
    return tuple(found)


def _days(year: int, cutoff: dt.date, start: dt.date | None) -> tuple[int, int]:
    """(days from the period's start to the cut-off inclusive, days from its start to 31/12):
    the start is 01/01, or the day a unit formed during the year came into being."""
    start = start or dt.date(year, 1, 1)
    return (cutoff - start).days + 1, (dt.date(year, 12, 31) - start).days + 1


def estimated_value(
    est: Estimate, ind: Indicator, at_cutoff: float | None, year: int, cutoff: dt.date, start: dt.date | None = None
) -> float | None:
    """The declared rule applied to the result at the cut-off, rounded as the figure is printed
    (a count to a whole number). ``start``: the period's first day when it is not 01/01."""
    if at_cutoff is None:
        return None
    if est.rule == "giu_nguyen":
        return at_cutoff
    if est.rule == "ke_hoach_con_lai":
        assert est.remaining is not None  # read_estimates requires it
        value = Decimal(str(at_cutoff)) + Decimal(str(est.remaining))
    else:
        done, days = _days(year, cutoff, start)
        value = Decimal(str(at_cutoff)) * days / done
    places = Decimal(1).scaleb(-(0 if ind.kind == "count" else ind.decimals))
    rounded = value.quantize(places, rounding=ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def rule_text(est: Estimate, ind: Indicator, year: int, cutoff: dt.date, start: dt.date | None = None) -> str:
    """How the estimate was made, in the report's words (after the figure's name)."""
    cut = vn.fmt_date_short(cutoff)
    if est.rule == "giu_nguyen":
        return f"số thực hiện đến ngày {cut}, không dự kiến phát sinh thêm đến hết năm"
    if est.rule == "ke_hoach_con_lai":
        assert est.remaining is not None
        amount = vn.fmt_number(est.remaining, 0 if float(est.remaining).is_integer() else ind.decimals)
        basis = f" ({est.basis})" if est.basis else ""
        return f"số thực hiện đến ngày {cut} cộng {amount} {ind.unit} dự kiến thực hiện đến ngày 31/12/{year} theo kế hoạch{basis}"
    done, days = _days(year, cutoff, start)
    whole = f"số ngày từ ngày {vn.fmt_date_short(start)} đến hết năm" if start else "số ngày cả năm"
    return f"số thực hiện đến ngày {cut} nhân với {days}/{done} ({whole} trên số ngày đã qua đến ngày chốt số liệu)"


def as_record(
    est: Estimate, ind: Indicator, at_cutoff: float | None, year: int, cutoff: dt.date, start: dt.date | None = None
) -> dict:
    """What metrics.json keeps of an estimate, beside the figure's (estimated) value."""
    return {
        "rule": est.rule,
        "remaining": est.remaining,
        "basis": est.basis,
        "at_cutoff": at_cutoff,
        "how": rule_text(est, ind, year, cutoff, start),
    }
