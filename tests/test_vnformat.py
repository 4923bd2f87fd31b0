import datetime as dt

import pytest

from baocao import vnformat as vn


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        (0, 0, "0"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
        (1234567, 0, "1.234.567"),
        (-1234567, 0, "-1.234.567"),
        (12.5, 1, "12,5"),
        (1234.55, 1, "1.234,6"),  # half-up, not banker's rounding
        (0.25, 1, "0,3"),
        (2.5, 0, "3"),
        (-0.04, 1, "0,0"),  # no "-0,0"
    ],
)
def test_fmt_number(value, decimals, expected):
    assert vn.fmt_number(value, decimals) == expected


def test_fmt_number_trim():
    assert vn.fmt_number(12.0, 1, trim=True) == "12"
    assert vn.fmt_number(12.25, 1, trim=True) == "12,3"


def test_percent_money_and_units():
    assert vn.fmt_percent(95.456) == "95,5%"
    assert vn.fmt_dong(170_000_000) == "170.000.000 đồng"
    assert vn.fmt_million(425_300_000) == "425,3 triệu đồng"
    assert vn.fmt_million(2_360_000_000) == "2.360 triệu đồng"
    assert vn.fmt_amount(48, "cuộc") == "48 cuộc"
    assert vn.fmt_amount(5802, "lượt người") == "5.802 lượt người"
    assert vn.fmt_amount(3.25, "tấn") == "3,3 tấn"


@pytest.mark.parametrize(
    "pct, expected",
    [(12.46, "tăng 12,5%"), (-3, "giảm 3,0%"), (0.04, "không đổi"), (None, "không so sánh được")],
)
def test_fmt_change(pct, expected):
    assert vn.fmt_change(pct) == expected


@pytest.mark.parametrize(
    "date, expected",
    [
        (dt.date(2023, 12, 5), "ngày 05 tháng 12 năm 2023"),
        (dt.date(2024, 2, 5), "ngày 05 tháng 02 năm 2024"),  # NĐ 30: months 1 and 2 padded
        (dt.date(2023, 3, 15), "ngày 15 tháng 3 năm 2023"),
        (dt.date(2023, 11, 29), "ngày 29 tháng 11 năm 2023"),
    ],
)
def test_fmt_date_long(date, expected):
    assert vn.fmt_date_long(date) == expected


def test_short_date_ratio_roman_parts():
    assert vn.fmt_date_short(dt.date(2023, 3, 5)) == "05/03/2023"
    assert vn.fmt_ratio(4, 4) == "4/4"
    assert [vn.roman(n) for n in (1, 4, 9, 14)] == ["I", "IV", "IX", "XIV"]
    assert vn.part_label(1) == "Phần thứ nhất" and vn.part_label(2) == "Phần thứ hai"
