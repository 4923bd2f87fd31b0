"""Cell value parsers following Vietnamese conventions.

Each parser takes a raw cell value as openpyxl or pandas give it (``str``, ``int``, ``float``,
``datetime.datetime``, ``datetime.date`` or ``None``) and returns a typed value, or raises
:class:`ValueParseError` with a short, specific reason in Vietnamese and in English.

Conventions (CLDR ``vi``; REPORT.md §5):

* Numbers: "," is the decimal mark and "." groups thousands ("1.234,5"), but files typed on
  English-locale machines use the opposite ("1,234.5"). A dot followed by groups of exactly three
  digits groups thousands ("1.500" = 1500); one comma followed by exactly three digits ("1,500")
  is ambiguous: :func:`parse_number` refuses it, :func:`parse_integer` and :func:`parse_money`
  read it as thousands.
* Money is whole đồng; "1,5 triệu", "2tr", "500k", "1,2 tỷ", "1 triệu 500 nghìn" are understood.
* Dates are always day first ("05/03/2023" is 5 March); ISO "2023-03-05" and Excel serial
  numbers (1900 date system) are accepted as well, and so is "ngày 05 tháng 3 năm 2023".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from .errors import ValueParseError, show_value
from .textenc import normalize_text, remove_diacritics

__all__ = [
    "is_blank",
    "is_missing",
    "excel_error",
    "parse_date",
    "parse_month",
    "parse_number",
    "parse_integer",
    "parse_money",
]


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)


# ---------------------------------------------------------------------------- blanks, errors


def is_blank(value: object) -> bool:
    """None, NaN/NaT/NA, "" and whitespace-only (incl. NBSP and zero-width characters)."""
    if value.__class__ is str:
        if value[:1].isalnum():  # fast path: most cells start with a letter or a digit
            return False
        return normalize_text(value) == ""
    if is_missing(value):
        return True
    return isinstance(value, str) and normalize_text(value) == ""


_EXCEL_ERRORS = (
    "#REF!",
    "#VALUE!",
    "#DIV/0!",
    "#N/A",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
)
_EXCEL_ERROR_KEYS = {code.upper(): code for code in _EXCEL_ERRORS}


def excel_error(value: object) -> str | None:
    """The Excel error literal held by the cell ("#REF!", "#N/A", …), or None."""
    if not isinstance(value, str):
        return None
    return _EXCEL_ERROR_KEYS.get(value.strip().upper())


def _blank_error(value: object, what_vi: str, what_en: str) -> ValueParseError:
    return ValueParseError(f"ô trống, cần {what_vi}", f"the cell is empty; {what_en} is needed", value)


def _bool_error(value: object, what_vi: str, what_en: str) -> ValueParseError:
    return ValueParseError(
        f"giá trị đúng/sai '{value}' không phải {what_vi}", f"the true/false value '{value}' is not {what_en}", value
    )


# ---------------------------------------------------------------------------- dates

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # 1900 date system, past the fictitious 29/02/1900
_SERIAL_MIN = (dt.date(1990, 1, 1) - _EXCEL_EPOCH).days
_SERIAL_MAX = (dt.date(2100, 12, 31) - _EXCEL_EPOCH).days
_TIME = r"(?:\s*[ t]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_DATE_DMY = re.compile(r"(?:ngày\s*)?(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})" + _TIME)
_DATE_LONG = re.compile(
    r"(?:[^,]*,\s*)?(?:ngày\s*)?(\d{1,2})\s*tháng\s*(\d{1,2})\s*(?:,\s*)?(?:năm\s*|[,/]\s*)?(\d{4})"
)
_SERIAL_TEXT = re.compile(r"\d+(?:[.,]0+)?")


def _date_error(value: object, detail_vi: str, detail_en: str) -> ValueParseError:
    shown = show_value(value, 60)
    return ValueParseError(
        f"không đọc được ngày '{shown}' ({detail_vi})", f"cannot read the date '{shown}' ({detail_en})", value
    )


def _from_serial(serial: float, value: object) -> dt.date:
    if not math.isfinite(serial):
        raise _date_error(value, "không phải số ngày", "not a day number")
    day = math.floor(serial)
    if not _SERIAL_MIN <= day <= _SERIAL_MAX:
        raise _date_error(
            value,
            "số này không phải ngày Excel nào trong khoảng năm 1990–2100; hãy viết dạng dd/mm/yyyy",
            "this number is no Excel date between 1990 and 2100; write it as dd/mm/yyyy",
        )
    return _EXCEL_EPOCH + dt.timedelta(days=day)


def _make_date(year: int, month: int, day: int, value: object) -> dt.date:
    if not 1900 <= year <= 2100:
        raise _date_error(value, f"năm {year} không hợp lý", f"the year {year} is implausible")
    if not 1 <= month <= 12:
        if 1 <= day <= 12:
            raise _date_error(
                value,
                f"không có tháng {month}; ngày phải viết trước tháng: dd/mm/yyyy",
                f"there is no month {month}; write the day first: dd/mm/yyyy",
            )
        raise _date_error(value, f"không có tháng {month}", f"there is no month {month}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _date_error(value, "ngày không tồn tại", "no such day") from None


def parse_date(value: object) -> dt.date:
    """A date from a date/datetime, an Excel serial number or a day-first text."""
    if is_missing(value) or (isinstance(value, str) and not normalize_text(value)):
        raise _blank_error(value, "một ngày", "a date")
    if isinstance(value, bool):
        raise _bool_error(value, "ngày", "a date")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return _from_serial(float(value), value)
    if not isinstance(value, str):
        raise _date_error(value, "kiểu dữ liệu lạ", "unexpected data type")
    text = normalize_text(value).lower()
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(float(text.replace(",", ".")), value)
    m = _DATE_ISO.fullmatch(text)
    if m:
        return _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)), value)
    m = _DATE_DMY.fullmatch(text)
    if m:
        year = int(m.group(4))
        if len(m.group(4)) == 2:
            year += 2000
        return _make_date(year, int(m.group(3)), int(m.group(1)), value)
    m = _DATE_LONG.fullmatch(text)
    if m:
        return _make_date(int(m.group(3)), int(m.group(2)), int(m.group(1)), value)
    raise _date_error(value, "hãy viết dạng dd/mm/yyyy, ví dụ 05/03/2023", "write it as dd/mm/yyyy, e.g. 05/03/2023")


# ---------------------------------------------------------------------------- months

_MONTH_WORD = re.compile(r"(?:tháng|thang|th|t)\s*\.?\s*(\d{1,2})(?:\s*(?:[/\-.]|năm|,)\s*(\d{4}))?")
_MONTH_BARE = re.compile(r"(\d{1,2})(?:\.0+)?")
_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[/\-.]\s*(\d{4})")
_YEAR_MONTH = re.compile(r"(\d{4})\s*[/\-.]\s*(\d{1,2})")


def _check_month(month: int, named_year: int | None, year: int | None, value: object) -> int:
    shown = show_value(value, 60)
    if not 1 <= month <= 12:
        raise ValueParseError(
            f"không có tháng {month} ('{shown}'); tháng phải từ 1 đến 12",
            f"there is no month {month} ('{shown}'); months run from 1 to 12",
            value,
        )
    if year is not None and named_year is not None and named_year != year:
        raise ValueParseError(
            f"'{shown}' là tháng của năm {named_year}, không phải năm báo cáo {year}",
            f"'{shown}' is a month of {named_year}, not of the report year {year}",
            value,
        )
    return month


def parse_month(value: object, year: int | None = None) -> int:
    """A month number 1..12. When ``year`` is given, a value naming another year is an error."""
    if is_missing(value) or (isinstance(value, str) and not normalize_text(value)):
        raise _blank_error(value, "một tháng", "a month")
    if isinstance(value, bool):
        raise _bool_error(value, "tháng", "a month")
    if isinstance(value, (dt.date, dt.datetime)):
        return _check_month(value.month, value.year, year, value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
            raise ValueParseError(
                f"'{show_value(value, 60)}' không phải số tháng (1–12)",
                f"'{show_value(value, 60)}' is not a month number (1–12)",
                value,
            )
        return _check_month(int(value), None, year, value)
    text = normalize_text(str(value)).lower()
    for pattern, month_group, year_group in (
        (_MONTH_BARE, 1, None),
        (_MONTH_WORD, 1, 2),
        (_MONTH_YEAR, 1, 2),
        (_YEAR_MONTH, 2, 1),
    ):
        m = pattern.fullmatch(text)
        if m:
            named = m.group(year_group) if year_group else None
            return _check_month(int(m.group(month_group)), int(named) if named else None, year, value)
    try:
        date = parse_date(value)
    except ValueParseError:
        pass
    else:
        return _check_month(date.month, date.year, year, value)
    shown = show_value(value, 60)
    raise ValueParseError(
        f"không đọc được tháng '{shown}' (hãy viết số tháng 1–12, ví dụ 'Tháng 3' hoặc '03/2023')",
        f"cannot read the month '{shown}' (write a month number 1–12, e.g. 'Tháng 3' or '03/2023')",
        value,
    )


# ---------------------------------------------------------------------------- numbers

_SPACE_GROUPS = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?e[+-]?\d+")
_NUMBER_CHARS = re.compile(r"[\d.,]+")
_MINUS = "-\u2212\u2013"


def _number_error(value: object) -> ValueParseError:
    shown = show_value(value, 60)
    return ValueParseError(f"không đọc được số '{shown}'", f"cannot read the number '{shown}'", value)


def _grouped(body: str, sep: str) -> bool:
    return re.fullmatch(r"[1-9]\d{0,2}(?:" + re.escape(sep) + r"\d{3})+", body) is not None


def _digits(body: str, value: object, *, comma_thousands: bool) -> Decimal:
    """Digits with "." and "," → Decimal, by the rules in the module docstring."""
    if not body or not _NUMBER_CHARS.fullmatch(body) or not any(c.isdigit() for c in body):
        raise _number_error(value)
    if body.isdigit():
        return Decimal(body)
    shown = show_value(value, 60)
    misplaced = ValueParseError(
        f"không đọc được số '{shown}' (dấu chấm/dấu phẩy phân cách hàng nghìn đặt sai chỗ)",
        f"cannot read the number '{shown}' (misplaced thousands separators)",
        value,
    )
    if "." in body and "," in body:
        last = max(body.rfind("."), body.rfind(","))
        dec_sep = body[last]
        group_sep = "," if dec_sep == "." else "."
        whole, frac = body[:last], body[last + 1 :]
        if not frac.isdigit() or dec_sep in whole or not _grouped(whole, group_sep):
            raise misplaced
        return Decimal(whole.replace(group_sep, "") + "." + frac)
    sep = "." if "." in body else ","
    parts = body.split(sep)
    if len(parts) > 2:
        if _grouped(body, sep):
            return Decimal(body.replace(sep, ""))
        raise misplaced
    whole, frac = parts
    if not frac.isdigit() or (whole and not whole.isdigit()):
        raise _number_error(value)
    if len(frac) == 3 and re.fullmatch(r"[1-9]\d{0,2}", whole):
        if sep == "." or comma_thousands:
            return Decimal(whole + frac)
        decimal = f"{whole},{frac.rstrip('0')}".rstrip(",")
        raise ValueParseError(
            f"số '{shown}' không rõ nghĩa: {decimal} hay {whole}{frac}? (dấu phẩy trong tiếng Việt là dấu thập phân); "
            f"hãy viết {whole}.{frac} hoặc {whole}{frac} nếu là hàng nghìn, {decimal} nếu là số thập phân",
            f"the number '{shown}' is ambiguous: {decimal.replace(',', '.')} or {whole}{frac}? (in Vietnamese the comma "
            f"is the decimal mark); write {whole}.{frac} or {whole}{frac} for thousands, {decimal} for a decimal",
            value,
        )
    return Decimal((whole or "0") + "." + frac)


def _split_sign(text: str) -> tuple[int, str]:
    text = text.strip()
    if text[:1] in _MINUS:
        return -1, text[1:].strip()
    if text[:1] == "+":
        return 1, text[1:].strip()
    return 1, text


def _to_decimal(text: str, value: object, *, comma_thousands: bool) -> Decimal:
    sign, body = _split_sign(text)
    body = _SPACE_GROUPS.sub("", body)
    if _SCIENTIFIC.fullmatch(body.lower()):
        try:
            return sign * Decimal(body.lower().replace(",", "."))
        except InvalidOperation:
            raise _number_error(value) from None
    return sign * _digits(body, value, comma_thousands=comma_thousands)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueParseError(
            f"'{show_value(value, 60)}' không phải là số (NaN hoặc vô cực)",
            f"'{show_value(value, 60)}' is not a number (NaN or infinity)",
            value,
        )
    return value


def parse_number(value: object) -> float:
    """A number; decimal comma or dot, thousands dots/commas, an optional trailing "%"."""
    if is_missing(value) or (isinstance(value, str) and not normalize_text(value)):
        if isinstance(value, float) and math.isnan(value):
            _finite(value)
        raise _blank_error(value, "một số", "a number")
    if isinstance(value, bool):
        raise _bool_error(value, "số", "a number")
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, Decimal):
        return _finite(float(value))
    if not isinstance(value, str):
        raise _number_error(value)
    text = normalize_text(value)
    if text.endswith("%"):
        text = text[:-1].rstrip()
    return float(_to_decimal(text, value, comma_thousands=False))


def _not_whole(value: object, what_vi: str = "số nguyên", what_en: str = "a whole number") -> ValueParseError:
    shown = show_value(value, 60)
    return ValueParseError(f"'{shown}' không phải {what_vi}", f"'{shown}' is not {what_en}", value)


def _whole_float(value: float, what_vi: str, what_en: str, tolerance: float) -> int:
    _finite(value)
    nearest = round(value)
    if abs(value - nearest) > tolerance:
        raise _not_whole(value, what_vi, what_en)
    return int(nearest)


def parse_integer(value: object) -> int:
    """A whole number; "." and "," both group thousands ("1,500" = "1.500" = 1500)."""
    if is_missing(value) or (isinstance(value, str) and not normalize_text(value)):
        raise _blank_error(value, "một số nguyên", "a whole number")
    if isinstance(value, bool):
        raise _bool_error(value, "số nguyên", "a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _whole_float(value, "số nguyên", "a whole number", 1e-9 * max(1.0, abs(value)))
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise _not_whole(value)
        return int(value)
    if not isinstance(value, str):
        raise _number_error(value)
    number = _to_decimal(normalize_text(value), value, comma_thousands=True)
    if number != number.to_integral_value():
        raise _not_whole(value)
    return int(number)


# ---------------------------------------------------------------------------- money

_SCALES = {
    "k": 1_000, "nghin": 1_000, "ngan": 1_000,
    "tr": 1_000_000, "trieu": 1_000_000,
    "ty": 1_000_000_000, "ti": 1_000_000_000,
    "nghin ty": 1_000_000_000_000, "ngan ty": 1_000_000_000_000,
    "nghin ti": 1_000_000_000_000, "ngan ti": 1_000_000_000_000,
}  # fmt: skip
_SCALE_WORDS = "|".join(
    sorted(
        {*_SCALES, "nghìn tỷ", "nghìn tỉ", "ngàn tỷ", "ngàn tỉ", "nghìn", "ngàn", "triệu", "tỷ", "tỉ"},
        key=len,
        reverse=True,
    )
)
_CURRENCY_PREFIX = re.compile(r"^(?:₫|vnđ|vnd)\s*")
_CURRENCY_SUFFIX = re.compile(r"\s*(?:₫|đồng|đ|vnđ|vnd)$")
_MONEY_PART = re.compile(r"\s*([+\-\u2212\u2013]?\s*[\d.,]*\d[\d.,]*)\s*(" + _SCALE_WORDS + r")?(?![^\W\d_])")


def _money_error(value: object) -> ValueParseError:
    shown = show_value(value, 60)
    return ValueParseError(
        f"không đọc được số tiền '{shown}' (hãy viết số đồng, ví dụ 1.500.000 hoặc '1,5 triệu')",
        f"cannot read the amount '{shown}' (write it in đồng, e.g. 1.500.000 or '1,5 triệu')",
        value,
    )


def parse_money(value: object) -> int:
    """Whole đồng from "1.500.000 đ", "1,5 triệu", "2tr", "500k", "1,2 tỷ", "1 triệu 500 nghìn"…"""
    if is_missing(value) or (isinstance(value, str) and not normalize_text(value)):
        raise _blank_error(value, "một số tiền", "an amount")
    if isinstance(value, bool):
        raise _bool_error(value, "số tiền", "an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _whole_float(value, "số đồng chẵn", "a whole number of đồng", 1e-6)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise _not_whole(value, "số đồng chẵn", "a whole number of đồng")
        return int(value)
    if not isinstance(value, str):
        raise _money_error(value)
    text = normalize_text(value).lower()
    text = _CURRENCY_SUFFIX.sub("", _CURRENCY_PREFIX.sub("", text)).strip()
    text = _SPACE_GROUPS.sub("", text)
    parts: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(text):
        m = _MONEY_PART.match(text, pos)
        if not m or m.end() == pos:
            raise _money_error(value)
        parts.append((m.group(1), m.group(2)))
        pos = m.end()
    if not parts:
        raise _money_error(value)
    if len(parts) == 1 and parts[0][1] is None:
        amount = _to_decimal(parts[0][0], value, comma_thousands=True)
    else:
        amount = Decimal(0)
        sign = 1
        previous_scale = None
        for index, (number, unit) in enumerate(parts):
            if unit is None:
                raise _money_error(value)  # "1 triệu 500": 500 what?
            scale = _SCALES[remove_diacritics(unit)]
            if previous_scale is not None and scale >= previous_scale:
                raise _money_error(value)
            previous_scale = scale
            part_sign, digits = _split_sign(number)
            if index == 0:
                sign = part_sign
            elif part_sign < 0 or number.strip()[:1] == "+":
                raise _money_error(value)
            amount += _digits(digits, value, comma_thousands=False) * scale
        amount *= sign
    if amount != amount.to_integral_value():
        raise _not_whole(value, "số đồng chẵn", "a whole number of đồng")
    return int(amount)
