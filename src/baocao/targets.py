"""A figure against its target, judged at full precision: "vượt", "đạt" or "chưa đạt", and
how many decimals to print so that rounding never turns a miss into "đạt" (0,42% against a
ceiling of 0,4% stays 0,42%, never 0,4%)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

#: Tolerance of "equal" when a result is judged against its target (sums of decimal amounts).
_EPS = 1e-9
#: Most decimals a value or a percentage of the plan is ever printed with.
MAX_DECIMALS = 4


def clean_number(value: float | None, digits: int = 6) -> float | int | None:
    """JSON-stable numbers: ints stay ints, floats are rounded (no 0.30000000000000004)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) or float(value).is_integer():
        return int(value)
    return round(float(value), digits)


def round_half_up(value: float, decimals: int) -> Decimal:
    q = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP)


def judge(value: float | None, target: float | None, direction: str) -> str | None:
    """ "vượt", "đạt" or "chưa đạt", at full precision; for a ceiling only "đạt" or "chưa đạt"."""
    if value is None or target is None:
        return None
    diff = float(value) - float(target)
    if abs(diff) <= _EPS * max(1.0, abs(float(target))):
        return "đạt"
    if direction == "lower":  # a ceiling ("không quá"): staying under it is meeting it, never "vượt"
        return "đạt" if diff < 0 else "chưa đạt"
    return "vượt" if diff > 0 else "chưa đạt"


def exact_decimals(value: float, least: int = 0) -> int:
    """Decimals that print a set number (a target) exactly: 5 → 0, 0,4 → 1, 72 → 0."""
    for d in range(least, MAX_DECIMALS + 1):
        if abs(float(round_half_up(value, d)) - float(value)) <= _EPS:
            return d
    return MAX_DECIMALS


def target_decimals(target: float | None, ind_kind: str) -> int:
    if target is None:
        return 0
    return exact_decimals(target, 1 if ind_kind == "percent" else 0)


def shown_decimals(value: float | None, target: float | None, direction: str, decimals: int, kind: str) -> int:
    """The declared decimals, or more where the printed result against the printed target
    would tell another verdict than the full-precision one."""
    d = decimals
    if value is None or target is None:
        return d
    truth = judge(value, target, direction)
    shown_target = float(round_half_up(target, target_decimals(target, kind)))
    while d < MAX_DECIMALS and judge(float(round_half_up(value, d)), shown_target, direction) != truth:
        d += 1
    return d


def achievement_decimals(pct: float | None, status: str | None) -> int:
    """1 decimal, or more where 1 would print a miss as 100,0% (or a result above plan as 100,0%)."""
    d = 1
    if pct is None:
        return d
    while d < MAX_DECIMALS:
        printed = round_half_up(pct, d)
        if (status == "chưa đạt" and printed >= 100) or (status == "vượt" and printed <= 100):
            d += 1
            continue
        break
    return d


def compare_with_target(value: float | None, target: float | None, kind: str, direction: str) -> dict:
    """The verdict at full precision, and the result as a percentage of the plan (for counts
    and amounts that should be high; none for a rate, whose plan is itself a rate, nor for a
    ceiling such as the poverty rate)."""
    status = judge(value, target, direction)
    if status is None or value is None:
        return {"achievement_pct": None, "status": None}
    pct = float(value) / float(target) * 100 if direction == "higher" and kind != "percent" and target else None
    return {"achievement_pct": clean_number(pct, 6), "status": status}


def sum_decimals(parts: list[float], total: float, least: int) -> int:
    """The fewest decimals (at least ``least``) at which the printed parts add up to the
    printed total: 6,46 + 7,34 + 6,31 + 7,55 = 27,66 is printed 6,46 … 27,66, never
    6,5 + 7,3 + 6,3 + 7,6 over 27,7 (a reviewer adds the column)."""
    d = least
    while d < MAX_DECIMALS:
        if sum(round_half_up(p, d) for p in parts) == round_half_up(total, d):
            return d
        d += 1
    return d
