"""The parts of a printed form that are not data (baocao.readers.formrows): found by their shape,
and a row of data is never one of them, even a short one (issue 21, class 7)."""

from __future__ import annotations

import datetime as dt

import pytest

from baocao.readers.formrows import COLUMN_NUMBERS, NOTE, PAGE_LINE, REPEATED_HEADER, SECTION, classify, suspect_value
from baocao.textenc import fold_key

HEADERS = frozenset(fold_key(h) for h in ("Ngày", "Khu", "Lĩnh vực", "Nội dung", "Số cuộc", "Số lượt người"))


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (["Trang 2/3"], PAGE_LINE),
        ([None, None, "- 2 -"], PAGE_LINE),
        (["Ghi chú:"], NOTE),
        (["(*) Số liệu tính đến 30/11"], NOTE),
        ([None, "Nguồn: Văn phòng"], NOTE),
        (["I", "QUÝ I"], SECTION),
        (["II. Hoạt động phối hợp"], SECTION),
        (["Ngày", "Khu", "Lĩnh vực", "Nội dung", "Số cuộc", "Số lượt người"], REPEATED_HEADER),
        (["(1)", "(2)", "(3)", "(4)", "(5)=(3)x(4)"], COLUMN_NUMBERS),
        (["A", "B", 1, 2, 3], COLUMN_NUMBERS),
        ([1, 2, 3, 4, 5, 6], COLUMN_NUMBERS),
    ],
)
def test_form_parts_are_found(cells, kind):
    assert classify(cells, HEADERS, in_notes=False) == kind


@pytest.mark.parametrize(
    "cells",
    [
        ["Tháng 5", "Đơn thư"],  # a petitions row with values missing: data, rejected as such
        ["Khu 1", 620],
        [dt.datetime(2025, 4, 5), "Khu 2", "Tuyên truyền", "Họp dân", 1, 60],
        ["Tổng cộng", None, None, None, 12, 900],  # a total row: the readers' own rule counts it
        [3, 5, 9, 12],  # counts that happen to increase: not the columns counted one by one
        ["- Số liệu tính đến 30/11"],  # a bullet line is a note only under a note
    ],
)
def test_data_rows_are_not_form_parts(cells):
    assert classify(cells, HEADERS, in_notes=False) is None


def test_a_note_goes_on_over_its_bullet_lines():
    assert classify(["- Số liệu tính đến 30/11"], HEADERS, in_notes=True) == NOTE


def test_suspect_cells_are_furniture_where_dates_and_numbers_belong():
    assert suspect_value("Số cuộc", "integer") and suspect_value("(7)", "integer") and suspect_value(2, "date")
    assert not suspect_value("1.200", "integer") and not suspect_value(dt.datetime(2025, 1, 2), "date")
    assert not suspect_value("05/03/2025", "date") and not suspect_value(45123, "date")
