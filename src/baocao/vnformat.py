"""Vietnamese forms of numbers, money, percentages and dates.

CLDR ``vi``: grouping ".", decimal ","; money in words ("đồng", "triệu đồng"); dates as
Nghị định 30/2020 writes them ("ngày 05 tháng 02 năm 2024": a leading zero for days below 10
and for months 1 and 2). Rounding is half-up, as people round by hand, not banker's rounding.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "fmt_int",
    "fmt_number",
    "fmt_percent",
    "fmt_dong",
    "fmt_million",
    "fmt_amount",
    "fmt_change",
    "fmt_date_long",
    "fmt_date_short",
    "fmt_ratio",
    "roman",
    "part_label",
]


def _round(value: float | int | Decimal, decimals: int) -> Decimal:
    q = Decimal(1).scaleb(-decimals)
    return Decimal(str(value)).quantize(q, rounding=ROUND_HALF_UP)


def fmt_number(value: float | int | Decimal, decimals: int = 0, *, trim: bool = False) -> str:
    """``1234567.891, 1 -> "1.234.567,9"``. ``trim`` drops a zero fraction ("12,0" -> "12")."""
    d = _round(value, decimals)
    sign = "-" if d < 0 else ""
    d = abs(d)
    text = f"{d:.{decimals}f}"
    whole, _, frac = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = ".".join(groups)
    if frac and not (trim and set(frac) == {"0"}):
        out += "," + frac
    if out in ("0", "0,0") or set(out.replace(",", "").replace(".", "")) == {"0"}:
        sign = ""
    return sign + out


def fmt_int(value: float | int | Decimal) -> str:
    return fmt_number(value, 0)


def fmt_percent(value: float | int | Decimal, decimals: int = 1) -> str:
    """``95.456 -> "95,5%"`` (the value is already in percent)."""
    return fmt_number(value, decimals) + "%"


def fmt_dong(amount: int | float) -> str:
    """``170000000 -> "170.000.000 đồng"``."""
    return f"{fmt_int(amount)} đồng"


def fmt_million(amount: int | float, decimals: int = 1) -> str:
    """Amount in đồng shown in triệu đồng: ``425_300_000 -> "425,3 triệu đồng"``."""
    return f"{fmt_number(Decimal(str(amount)) / Decimal(1_000_000), decimals, trim=True)} triệu đồng"


def fmt_amount(value: float | int, unit: str) -> str:
    """A value followed by its unit of measure, money converted to the unit named."""
    if unit == "triệu đồng":
        return fmt_million(value)
    if unit == "đồng":
        return fmt_dong(value)
    if unit == "%":
        return fmt_percent(value)
    if unit == "tấn":
        return f"{fmt_number(value, 1, trim=True)} tấn"
    return f"{fmt_number(value, 0 if float(value).is_integer() else 1)} {unit}".rstrip()


def fmt_change(pct: float | None, decimals: int = 1) -> str:
    """``12.46 -> "tăng 12,5%"``, ``-3 -> "giảm 3,0%"``, ``0 -> "không đổi"``."""
    if pct is None:
        return "không so sánh được"
    rounded = _round(pct, decimals)
    if rounded == 0:
        return "không đổi"
    word = "tăng" if rounded > 0 else "giảm"
    return f"{word} {fmt_percent(abs(rounded), decimals)}"


def _pad_day(day: int) -> str:
    return f"{day:02d}"


def _pad_month(month: int) -> str:
    # NĐ 30/2020, Phụ lục I: months 1 and 2 take a leading zero; the others do not.
    return f"{month:02d}" if month < 3 else str(month)


def fmt_date_long(date: dt.date) -> str:
    """``2023-12-05 -> "ngày 05 tháng 12 năm 2023"``; ``2024-02-05 -> "ngày 05 tháng 02 năm 2024"``."""
    return f"ngày {_pad_day(date.day)} tháng {_pad_month(date.month)} năm {date.year}"


def fmt_date_short(date: dt.date) -> str:
    """``2023-03-05 -> "05/03/2023"``."""
    return f"{date.day:02d}/{date.month:02d}/{date.year}"


def fmt_ratio(part: int, whole: int) -> str:
    """``(4, 4) -> "4/4"``."""
    return f"{part}/{whole}"


_ROMAN = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def roman(n: int) -> str:
    if not 0 < n < 40:
        raise ValueError(n)
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out += letters
            n -= value
    return out


_ORDINALS = {1: "nhất", 2: "hai", 3: "ba", 4: "tư", 5: "năm"}


def part_label(n: int) -> str:
    """``1 -> "Phần thứ nhất"``, ``2 -> "Phần thứ hai"``."""
    return f"Phần thứ {_ORDINALS[n]}"
