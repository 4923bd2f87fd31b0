"""Tests for baocao.parse: blanks, Excel errors, dates, months, numbers, money and labels."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from decimal import Decimal

import pytest

from baocao.labels import area_number, is_total_row_label, is_whole_unit
from baocao.parse import (
    ValueParseError,
    excel_error,
    is_blank,
    parse_date,
    parse_integer,
    parse_money,
    parse_month,
    parse_number,
)

NAN = float("nan")


def _vi_en(err: ValueParseError, *fragments: str) -> None:
    """Both messages exist, the Vietnamese one is NFC with diacritics, each names the fragments."""
    assert isinstance(err, ValueError)
    assert err.reason_vi and err.reason_en and err.reason_vi != err.reason_en
    assert unicodedata.is_normalized("NFC", err.reason_vi)
    assert any(ord(c) > 0x7F for c in err.reason_vi)
    for fragment in fragments:
        assert fragment in err.reason_vi, (fragment, err.reason_vi)
        assert fragment in err.reason_en, (fragment, err.reason_en)


# ---------------------------------------------------------------------------- blanks, Excel errors


@pytest.mark.parametrize("value", [None, NAN, "", " ", "\u00a0", "\t\n", "\u200b", " \u00a0\u200b "])
def test_is_blank(value: object) -> None:
    assert is_blank(value)


@pytest.mark.parametrize("value", [0, 0.0, "0", "x", "-", dt.date(2023, 1, 1), False])
def test_is_not_blank(value: object) -> None:
    assert not is_blank(value)


def test_is_blank_pandas_missing() -> None:
    pd = pytest.importorskip("pandas")
    assert is_blank(pd.NA) and is_blank(pd.NaT)


@pytest.mark.parametrize(
    "code",
    ["#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!", "#GETTING_DATA"],
)
def test_excel_error(code: str) -> None:
    assert excel_error(code) == code
    assert excel_error(f" {code} ") == code
    assert excel_error(code.lower()) == code


@pytest.mark.parametrize("value", [None, 0, 1.5, "", "REF", "#", "#REF", "N/A", "#hashtag", dt.date(2023, 1, 1)])
def test_not_excel_error(value: object) -> None:
    assert excel_error(value) is None


# ---------------------------------------------------------------------------- dates

D = dt.date(2023, 3, 5)


@pytest.mark.parametrize(
    "value",
    [
        D,
        dt.datetime(2023, 3, 5),
        dt.datetime(2023, 3, 5, 14, 30, 15),
        "05/03/2023",
        "5/3/2023",
        "5/3/23",
        "05/03/23",
        "05-03-2023",
        "05.03.2023",
        " 05 / 03 / 2023 ",
        "2023-03-05",
        "2023/03/05",
        "2023-03-05 00:00:00",
        "2023-03-05T08:15",
        "05/03/2023 14:30",
        "ngày 05 tháng 3 năm 2023",
        "Ngày 5 tháng 03 năm 2023",
        "NGÀY 05 THÁNG 03 NĂM 2023",
        "5 tháng 3 năm 2023",
        "ngày 05/03/2023",
        "Móng Cái, ngày 05 tháng 3 năm 2023",
        unicodedata.normalize("NFD", "ngày 05 tháng 3 năm 2023"),
        "ngày\u00a005 tháng\u00a03 năm 2023",
    ],
)
def test_parse_date(value: object) -> None:
    assert parse_date(value) == D


def test_parse_date_is_day_first() -> None:
    assert parse_date("03/05/2023") == dt.date(2023, 5, 3)
    assert parse_date("12/11/2023") == dt.date(2023, 11, 12)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (45000, dt.date(2023, 3, 15)),
        (45000.0, dt.date(2023, 3, 15)),
        (45000.75, dt.date(2023, 3, 15)),
        ("45000", dt.date(2023, 3, 15)),
        (44927, dt.date(2023, 1, 1)),
        (32874, dt.date(1990, 1, 1)),
        (73415, dt.date(2100, 12, 31)),
    ],
)
def test_parse_date_excel_serial(serial: object, expected: dt.date) -> None:
    assert parse_date(serial) == expected


@pytest.mark.parametrize(
    ("value", "fragment_vi", "fragment_en"),
    [
        ("31/02/2023", "ngày không tồn tại", "no such day"),
        ("29/02/2023", "ngày không tồn tại", "no such day"),
        ("32/01/2023", "ngày không tồn tại", "no such day"),
        ("00/01/2023", "ngày không tồn tại", "no such day"),
        ("15/13/2023", "không có tháng 13", "no month 13"),
        ("03/25/2023", "ngày phải viết trước tháng", "day first"),
        ("abc", "dd/mm/yyyy", "dd/mm/yyyy"),
        ("2023", "1990", "1990"),
        ("05/03", "dd/mm/yyyy", "dd/mm/yyyy"),
        (2023, "1990", "1990"),
        (12, "1990", "1990"),
        (99999, "2100", "2100"),
        ("05/03/1850", "năm 1850", "year 1850"),
    ],
)
def test_parse_date_errors(value: object, fragment_vi: str, fragment_en: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_date(value)
    err = info.value
    _vi_en(err, str(value))
    assert "không đọc được ngày" in err.reason_vi and "cannot read the date" in err.reason_en
    assert fragment_vi in err.reason_vi and fragment_en in err.reason_en


def test_parse_date_error_message_exact() -> None:
    with pytest.raises(ValueParseError) as info:
        parse_date("31/02/2023")
    assert info.value.reason_vi == "không đọc được ngày '31/02/2023' (ngày không tồn tại)"
    assert info.value.reason_en == "cannot read the date '31/02/2023' (no such day)"


@pytest.mark.parametrize("value", [None, NAN, "", "  ", True, [2023], NAN])
def test_parse_date_rejects_blank_and_odd_types(value: object) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_date(value)
    assert info.value.reason_vi and info.value.reason_en


def test_leap_day() -> None:
    assert parse_date("29/02/2024") == dt.date(2024, 2, 29)


# ---------------------------------------------------------------------------- months


@pytest.mark.parametrize(
    "value",
    [1, 1.0, "1", "01", "Tháng 1", "tháng 01", "THÁNG 1", "T1", "t1", "T.1", "T 1", "Th.1", "Th 01",
     "01/2023", "1/2023", "01-2023", "01.2023", "2023-01", "2023/1", "Tháng 01/2023", "Tháng 1 năm 2023",
     "T1/2023", dt.date(2023, 1, 20), dt.datetime(2023, 1, 31, 12), "20/01/2023", "2023-01-20"],
)  # fmt: skip
def test_parse_month(value: object) -> None:
    assert parse_month(value) == 1
    assert parse_month(value, 2023) == 1


@pytest.mark.parametrize(("value", "month"), [(12, 12), ("Tháng 12", 12), ("T.10", 10), ("09/2023", 9), ("2023-07", 7)])
def test_parse_month_values(value: object, month: int) -> None:
    assert parse_month(value, 2023) == month


@pytest.mark.parametrize(
    ("value", "other"),
    [
        ("01/2022", "2022"),
        ("2024-01", "2024"),
        ("Tháng 1/2022", "2022"),
        (dt.date(2022, 1, 5), "2022"),
        ("05/01/2022", "2022"),
    ],
)
def test_parse_month_other_year(value: object, other: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_month(value, 2023)
    _vi_en(info.value, other, "2023")
    # Without a year to check against, the month is read.
    assert parse_month(value) == 1


@pytest.mark.parametrize("value", [0, 13, "13", "Tháng 13", "T0", "13/2023", 12.5, "abc", "Tháng", "", None, True])
def test_parse_month_errors(value: object) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_month(value, 2023)
    err = info.value
    assert err.reason_vi and err.reason_en
    if value not in ("", None, True):
        _vi_en(err, str(value))


# ---------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12,5", 12.5),
        ("12.5", 12.5),
        ("1.500", 1500),
        ("1.500.000", 1500000),
        ("1,500,000", 1500000),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234.567,89", 1234567.89),
        ("1,234,567.89", 1234567.89),
        ("95,5%", 95.5),
        ("95,5 %", 95.5),
        ("100%", 100),
        (" 12 ", 12),
        ("\u00a012,5\u00a0", 12.5),
        ("+3", 3),
        ("-2,5", -2.5),
        ("- 2,5", -2.5),
        ("\u22122,5", -2.5),
        ("-1.500", -1500),
        ("0,5", 0.5),
        (",5", 0.5),
        ("0,500", 0.5),
        ("1234,567", 1234.567),
        ("12,50", 12.5),
        ("1.5000", 1.5),
        ("1 500 000", 1500000),
        ("1,5E+06", 1500000),
        ("1.5e6", 1500000),
        ("0", 0),
        (12, 12),
        (12.5, 12.5),
        (-3, -3),
        (Decimal("2.5"), 2.5),
    ],
)
def test_parse_number(value: object, expected: float) -> None:
    out = parse_number(value)
    assert isinstance(out, float)
    assert out == pytest.approx(expected)


@pytest.mark.parametrize("value", ["1,500", "12,000", "999,999", "-1,500"])
def test_parse_number_ambiguous_comma(value: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_number(value)
    err = info.value
    _vi_en(err, value)
    assert "không rõ nghĩa" in err.reason_vi and "ambiguous" in err.reason_en


@pytest.mark.parametrize(
    "value", ["abc", "1.2.3", "1,2,3", "12,5.3", "1.23,456.7", "12a", "1..5", ".", "%", "1.500 đ", "--1"]
)
def test_parse_number_errors(value: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_number(value)
    _vi_en(info.value, value)


@pytest.mark.parametrize("value", [NAN, math.inf, -math.inf, None, "", " ", True])
def test_parse_number_rejects_nan_blank_bool(value: object) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_number(value)
    assert info.value.reason_vi and info.value.reason_en


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,500", 1500),
        ("1.500", 1500),
        ("1.500.000", 1500000),
        ("1,500,000", 1500000),
        ("12", 12),
        (" 12 ", 12),
        ("12,0", 12),
        ("12.00", 12),
        ("1 500", 1500),
        ("-3", -3),
        ("+7", 7),
        (12, 12),
        (12.0, 12),
        (1500.0000000001, 1500),
        (Decimal("4"), 4),
    ],
)
def test_parse_integer(value: object, expected: int) -> None:
    out = parse_integer(value)
    assert isinstance(out, int) and not isinstance(out, bool)
    assert out == expected


@pytest.mark.parametrize("value", [12.5, "12,5", "12.5", "1.500,5", "0,1", Decimal("1.5")])
def test_parse_integer_not_whole(value: object) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_integer(value)
    err = info.value
    assert "không phải số nguyên" in err.reason_vi and "not a whole number" in err.reason_en
    _vi_en(err, str(value))


@pytest.mark.parametrize("value", ["abc", "12 người", "95%", "1.2.3", NAN, None, "", True])
def test_parse_integer_errors(value: object) -> None:
    with pytest.raises(ValueParseError):
        parse_integer(value)


# ---------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1500000", 1_500_000),
        ("1.500.000 đ", 1_500_000),
        ("1.500.000đ", 1_500_000),
        ("1.500.000 đồng", 1_500_000),
        ("1.500.000 Đồng", 1_500_000),
        ("1.500.000 VND", 1_500_000),
        ("1.500.000 VNĐ", 1_500_000),
        ("1.500.000 ₫", 1_500_000),
        ("₫1.500.000", 1_500_000),
        ("VND 1.500.000", 1_500_000),
        ("1.500.000,00 ₫", 1_500_000),
        ("1,500,000.00", 1_500_000),
        ("1 500 000", 1_500_000),
        ("1,500", 1_500),
        ("1,5 triệu", 1_500_000),
        ("1,5 TRIỆU", 1_500_000),
        ("1.5 triệu", 1_500_000),
        ("1,5tr", 1_500_000),
        ("2tr", 2_000_000),
        ("2 tr", 2_000_000),
        ("2 triệu đồng", 2_000_000),
        ("2 trieu", 2_000_000),
        ("2.360 triệu đồng", 2_360_000_000),
        ("1,2 tỷ", 1_200_000_000),
        ("1,2 tỉ", 1_200_000_000),
        ("1,2 tỷ đồng", 1_200_000_000),
        ("500 nghìn", 500_000),
        ("500 ngàn", 500_000),
        ("500 nghìn đồng", 500_000),
        ("500k", 500_000),
        ("500K", 500_000),
        ("1 triệu 500 nghìn", 1_500_000),
        ("1 tỷ 200 triệu", 1_200_000_000),
        ("1tr500k", 1_500_000),
        ("-1.500.000", -1_500_000),
        ("-2 triệu", -2_000_000),
        (1_500_000, 1_500_000),
        (1_500_000.0, 1_500_000),
        (0.1 * 3 * 10_000_000, 3_000_000),
        (-500_000, -500_000),
        (Decimal("1500000"), 1_500_000),
        ("0", 0),
    ],
)
def test_parse_money(value: object, expected: int) -> None:
    out = parse_money(value)
    assert isinstance(out, int) and not isinstance(out, bool)
    assert out == expected


@pytest.mark.parametrize("value", [1_500_000.5, "1,5 đồng", "1.500.000,50", "0,5", "1,0000005 triệu"])
def test_parse_money_not_whole(value: object) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_money(value)
    err = info.value
    assert "số đồng chẵn" in err.reason_vi and "whole number of đồng" in err.reason_en
    _vi_en(err, str(value))


@pytest.mark.parametrize(
    "value",
    ["abc", "2 tr 500", "500 nghìn 1 triệu", "1 triệu 2 triệu", "1,500 triệu", "triệu", "1.500.000 USD", "1 triệu -500 nghìn",
     "1.2.3 đ", NAN, None, "", True],
)  # fmt: skip
def test_parse_money_errors(value: object) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_money(value)
    err = info.value
    assert err.reason_vi and err.reason_en
    if isinstance(value, str) and value:
        _vi_en(err, value)


# ---------------------------------------------------------------------------- areas and labels


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Khu 1", 1),
        ("khu 01", 1),
        ("KHU I", 1),
        ("Khu IV", 4),
        ("Khu IX", 9),
        ("Khu XII", 12),
        ("Khu XX", 20),
        ("K1", 1),
        ("K.1", 1),
        ("K 12", 12),
        ("KDC số 1", 1),
        ("KDC 1", 1),
        ("Khu dân cư số 1", 1),
        ("Khu dân cư 05", 5),
        ("Khu phố 1", 1),
        ("KP 3", 3),
        ("Ban CTMT khu 1", 1),
        ("Ban Công tác Mặt trận khu dân cư số 2", 2),
        ("Thôn 4", 4),
        ("Tổ dân phố 7", 7),
        ("Ấp 2", 2),
        ("Khóm 6", 6),
        ("khu1", 1),
        ("Khu 3 - Trà Cổ", 3),
        ("Khu 3 (Trà Cổ)", 3),
        ("1", 1),
        ("01", 1),
        (1, 1),
        (3.0, 3),
        (" Khu\u00a02 ", 2),
    ],
)
def test_area_number(text: object, number: int) -> None:
    assert area_number(text) == number


@pytest.mark.parametrize(
    "text",
    ["Toàn phường", "Khu công nghiệp", "Khu", "Phường 1", "Khu 0", "Khu XXI", "Khu 1, 2", "I", "X", "abc", "",
     None, True, 0, 2.5, "Khu A", "Tổng cộng"],
)  # fmt: skip
def test_area_number_none(text: object) -> None:
    assert area_number(text) is None


@pytest.mark.parametrize(
    "text",
    ["Toàn phường", "toàn phường", "TOÀN PHƯỜNG", "Phường", "Cả phường", "Chung", "Toàn xã", "Xã", "Cả xã",
     "Toàn phường Móng Cái 1", "Toàn đơn vị", "Toàn thị trấn", "Đặc khu", " toàn\u00a0phường: "],
)  # fmt: skip
def test_is_whole_unit(text: str) -> None:
    assert is_whole_unit(text)


@pytest.mark.parametrize(
    "text", ["Khu 1", "Phường 1", "Phường Móng Cái 1", "Toàn", "Chung cư", "Tổng cộng", "", None, 1]
)
def test_is_not_whole_unit(text: object) -> None:
    assert not is_whole_unit(text)


@pytest.mark.parametrize(
    "text",
    ["Tổng cộng", "TỔNG CỘNG", "Tổng", "Cộng", "Tổng số", "Cộng:", "Tổng cộng:", "Cộng khu 1", "Tổng cộng (I+II)",
     "  tổng cộng  ", "Tổng cộng toàn phường", "Cộng các khu", "Tổng (đồng)", "Cộng I + II", "Cộng chung",
     "Tong cong", "TOTAL", "Tổng cộng năm 2023", unicodedata.normalize("NFD", "Tổng cộng")],
)  # fmt: skip
def test_is_total_row_label(text: str) -> None:
    assert is_total_row_label(text)


@pytest.mark.parametrize(
    "text",
    ["Tổng kết năm 2023", "Tổng vệ sinh", "Cộng đồng", "Cộng đồng dân cư", "Tổng số hộ", "Tổng hợp",
     "Công tác", "Cổng", "Khu 1", "Tổngcộng đồng", "", None, 12],
)  # fmt: skip
def test_is_not_total_row_label(text: object) -> None:
    assert not is_total_row_label(text)


# ---------------------------------------------------------------------------- issue 11: no guessing
@pytest.mark.parametrize(
    ("text", "kind", "numbers"),
    [("Khu 1", "khu", (1,)), ("KDC số 2", "khu", (2,)), ("K.3", "khu", (3,)), ("khu IV", "khu", (4,)), ("1", None, (1,)),
     ("Tổ 3", "to", (3,)), ("Thôn 2", "thon", (2,)), ("Khu 1-2", "khu", (1, 2)), ("Khu 1, 2", "khu", (1, 2)),
     ("Khu 1 và khu 3", "khu", (1, 3)), ("Khu 1 (cũ)", "khu", (1,)), ("Khu 1 - Vĩ Dạ", "khu", (1,))],
)  # fmt: skip
def test_area_reference_says_kind_and_every_number(text, kind, numbers):
    from baocao.labels import area_reference

    ref = area_reference(text)
    assert (ref.kind, ref.numbers) == (kind, numbers)


@pytest.mark.parametrize(
    "text",
    ["Cộng tháng 1", "Cộng quý II", "Lũy kế từ đầu năm", "Luỹ kế đến tháng 6", "Cộng phát sinh", "Cộng phát sinh trong kỳ",
     "Tổng thu", "Tổng chi", "Tồn quỹ cuối năm", "Số dư đầu kỳ", "TỔNG CỘNG", "Cong thang 2"],
)  # fmt: skip
def test_subtotal_and_balance_labels_are_totals(text):
    assert is_total_row_label(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Người lập biểu", True), ("NGƯỜI LẬP BIỂU", True), ("(Ký, ghi rõ họ tên)", True), ("Ký tên, đóng dấu", True),
     ("TM. BAN THƯỜNG TRỰC", True), ("KT. CHỦ TỊCH", True), ("TRƯỞNG BAN", True), ("Kế toán", True),
     ("Bình Ngọc, ngày 05 tháng 12 năm 2023", True), ("Xác nhận của UBND phường", True),
     ("Chủ tịch Hội Nông dân dự hội nghị", False), ("ngày 05 tháng 3 năm 2025", False), ("Nguyễn Văn An", False),
     ("Tuyên truyền", False), ("Người cao tuổi", False), (12, False)],
)  # fmt: skip
def test_signature_lines(text, expected):
    from baocao.labels import is_signature_label

    assert is_signature_label(text) is expected
