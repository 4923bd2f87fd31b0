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
    """ "vượt", "đạt" or "chưa đạt", at full precision."""
    if value is None or target is None:
        return None
    diff = float(value) - float(target)
    if abs(diff) <= _EPS * max(1.0, abs(float(target))):
        return "đạt"
    better = diff > 0 if direction == "higher" else diff < 0
    return "vượt" if better else "chưa đạt"


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
    """The verdict at full precision, and the result as a percentage of the plan (for results
    that should be high; none for a ceiling such as the poverty rate)."""
    status = judge(value, target, direction)
    if status is None or value is None:
        return {"achievement_pct": None, "status": None}
    pct = float(value) / float(target) * 100 if direction == "higher" and target else None
    return {"achievement_pct": clean_number(pct, 6), "status": status}
