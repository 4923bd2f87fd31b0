"""Cleaning details the corpus does not show one file at a time: remembered conversions, the
messages people read, missing inputs, and errors that cross process boundaries."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from baocao.clean import clean_year
from baocao.config import Project
from baocao.errors import InputError, InputProblems, Location, Reject
from baocao.summary import file_summary, problem_lines
from baocao.templates import HEADER_ROW, deterministic_bytes
from baocao.textenc import encode_tcvn3

from .conftest import ROOT

YEAR = 2025
BASE = ROOT / "tests" / "data" / "bad" / "_base" / str(YEAR)


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.find(ROOT)


@pytest.fixture()
def raw(tmp_path) -> Path:
    folder = tmp_path / str(YEAR)
    shutil.copytree(BASE, folder)
    return folder


def add_rows(path: Path, sheet: str, records: list[dict]) -> list[int]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    cols = {c.value: c.column for c in ws[HEADER_ROW] if c.value}
    rows = []
    for record in records:
        row = ws.max_row + 1
        for header, value in record.items():
            ws.cell(row=row, column=cols[header], value=value)
        rows.append(row)
    path.write_bytes(deterministic_bytes(wb, YEAR))
    return rows


ACTIVITY = {
    "Ngày": "12/04/2025",
    "Khu": "Khu 4",
    "Tổ chức": "Hội Nông dân",
    "Lĩnh vực": "Tuyên truyền, vận động",
    "Nội dung": "Tuyên truyền kỹ thuật trồng rau sạch",
    "Số cuộc": 1,
    "Số lượt người": 35,
}


def test_a_value_means_what_its_column_says_even_when_remembered(project, raw):
    """'Toàn phường' is a place for an activity, but not a khu with households."""
    add_rows(raw / "to-chuc-thanh-vien.xlsx", "Hoạt động", [{**ACTIVITY, "Khu": "Toàn phường"}])
    (row,) = add_rows(
        raw / "ban-ctmt-khu-1.xlsx",
        "Hộ gia đình",
        [
            {
                "Khu": "Toàn phường",
                "Số hộ": 2400,
                "Số nhân khẩu": 9000,
                "Hộ nghèo đầu năm": 1,
                "Hộ nghèo cuối năm": 1,
                "Hộ cận nghèo đầu năm": 1,
                "Hộ cận nghèo cuối năm": 1,
                "Hộ đăng ký gia đình văn hóa": 1,
                "Hộ đạt gia đình văn hóa": 1,
                "Khu dân cư văn hóa": "Có",
            }
        ],
    )
    result = clean_year(project, YEAR, raw)
    assert [(r.file, r.sheet, r.row, r.column) for r in result.rejects] == [
        ("ban-ctmt-khu-1.xlsx", "Hộ gia đình", row, "Khu")
    ]
    assert "toan-phuong" in set(result.tables["activity"]["area"])


def test_remembered_conversions_still_warn_on_every_row(project, raw):
    legacy = encode_tcvn3("Tuyên truyền, vận động")
    rows = add_rows(
        raw / "to-chuc-thanh-vien.xlsx", "Hoạt động", [{**ACTIVITY, "Lĩnh vực": legacy, "Số cuộc": n} for n in (1, 2)]
    )
    result = clean_year(project, YEAR, raw)
    assert result.rejects == []
    assert [(w.row, w.column, w.value) for w in result.warnings] == [(r, "Lĩnh vực", legacy) for r in rows]
    assert all("TCVN3" in w.reason_vi for w in result.warnings)


def test_a_missing_input_file_is_an_error_unless_declared(project, raw):
    (raw / "chi-tieu.xlsx").unlink()
    with pytest.raises(InputProblems) as info:
        clean_year(project, YEAR, raw)
    assert [e.location.file for e in info.value.errors] == ["chi-tieu.xlsx"]
    assert info.value.errors[0].reason_en.startswith("the input file 'chi-tieu.xlsx' is missing")
    assert "tep_khong_gui" in info.value.errors[0].hint_vi
    # the office says there is no such file this year: the rest is read, with a remark
    meta = raw / "thong-tin-bao-cao.yml"
    meta.write_text(meta.read_text(encoding="utf-8") + 'tep_khong_gui: ["chi-tieu.xlsx"]\n', encoding="utf-8")
    result = clean_year(project, YEAR, raw)
    assert [w.file for w in result.warnings] == ["chi-tieu.xlsx"]
    assert len(result.tables["targets"]) == 0 and len(result.tables["activity"]) > 0


def test_a_broken_file_stops_the_year_but_the_rest_is_still_shown(project, raw):
    (raw / "mttq-phuong.xlsx").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(InputProblems) as info:
        clean_year(project, YEAR, raw)
    problems = info.value
    assert [e.location.file for e in problems.errors] == ["mttq-phuong.xlsx"]
    summary = file_summary(problems.partial, problems.errors)
    broken = summary[summary["file"] == "mttq-phuong.xlsx"].iloc[0]
    assert broken["errors"] == 1 and pd.isna(broken["read"])
    assert summary[summary["file"] == "to-chuc-thanh-vien.xlsx"].iloc[0]["read"] == 6  # 3 organisations, 3 activities
    text = problems.render()
    assert text.splitlines()[0].startswith("Lỗi: số liệu trong ") and "mttq-phuong.xlsx" in text
    assert "Cách sửa:" in text and "To fix:" in text


def test_input_problems_cross_process_boundaries():
    error = InputError(
        Location("a.xlsx", "Hoạt động", 4, "Khu"), "thiếu cột", "missing column", hint_vi="thêm cột", hint_en="add it"
    )
    problems = InputProblems([error], folder="data/raw/2025/")
    again = pickle.loads(pickle.dumps(problems))
    assert again.render() == problems.render()
    assert again.errors[0].location.row == 4


def test_one_line_per_problem_naming_where_and_why():
    error = InputError(
        Location("mttq-phuong.xlsx", "Giám sát"),
        "không có sheet",
        "no sheet",
        hint_vi="đổi tên sheet",
        hint_en="rename it",
    )
    reject = Reject("ban-ctmt-khu-2.xlsx", "Hoạt động", 17, "Khu", "Khu 7", "khu 'Khu 7' không có", "unknown area")
    warning = Reject("", "Hộ gia đình", None, "", "Khu 3", "chưa có số liệu", "no data", "warning")
    lines = problem_lines([error], [reject], [warning])
    assert lines == [
        "LỖI / ERROR  tệp mttq-phuong.xlsx, sheet 'Giám sát': không có sheet (cách sửa: đổi tên sheet) / "
        "no sheet (to fix: rename it)",
        "LOẠI / REJECTED  tệp ban-ctmt-khu-2.xlsx, sheet 'Hoạt động', dòng 17, cột 'Khu', giá trị 'Khu 7': "
        "khu 'Khu 7' không có / unknown area",
        "CẢNH BÁO / WARNING  sheet 'Hộ gia đình', giá trị 'Khu 3': chưa có số liệu / no data",
    ]
    long = Reject("a.xlsx", "S", 5, "Nội dung", "x" * 5000, "r", "r")
    assert len(problem_lines([], [long], [])[0]) < 200, "long values are shortened on screen"
