"""The offices' own totals and last year's figures: `validate` and `build` name every mismatch.

Each case edits one value in a copy of the sample data (openpyxl, as an office would in Excel)
and checks that `baocao validate` names the file, sheet, row and column, the office's value,
the computed value and the difference; `--strict` makes it an error. The sample years
themselves reconcile everywhere.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from baocao.clean import clean_year
from baocao.config import Project
from baocao.history import history_year
from baocao.reconcile import continuity_checks

from .conftest import ROOT, copy_project, run_cli


def _cell(ws, label: str, header: str):
    """The cell of the row whose first text is ``label`` (or of the first data row when label is
    None) under the column headed ``header``."""
    head_row = next(r for r in range(1, 12) if any(c.value == header for c in ws[r]))
    col = next(c.column for c in ws[head_row] if c.value == header)
    if label is None:
        return ws.cell(row=head_row + 1, column=col)
    row = next(r for r in range(head_row + 1, ws.max_row + 1) if any(c.value == label for c in ws[r]))
    return ws.cell(row=row, column=col)


def _edit(path: Path, sheet: str, label: str | None, header: str, value) -> int:
    wb = openpyxl.load_workbook(path)
    cell = _cell(wb[sheet], label, header)
    cell.value = value
    wb.save(path)
    return cell.row


@pytest.fixture()
def copy(tmp_path) -> Path:
    return copy_project(tmp_path / "project", years=[2022, 2023])


def _validate(root: Path, year: int, *extra: str):
    proc = run_cli("validate", "--year", str(year), *extra, cwd=root, check=False)
    return proc.returncode, re.sub(r"[ \t]+", " ", proc.stdout + proc.stderr)


def _line(out: str, *needles: str) -> str:
    lines = [ln for ln in out.splitlines() if all(n in ln for n in needles)]
    assert len(lines) == 1, f"{needles} in:\n{out}"
    return lines[0]


def test_an_edited_total_row_is_named_with_both_values_and_the_difference(copy):
    raw = copy / "data" / "raw" / "2023"
    row = _edit(raw / "ban-ctmt-khu-1.xlsx", "Hoạt động", "Tổng cộng", "Số cuộc", "87")
    code, out = _validate(copy, 2023)
    assert code == 0, out  # a warning: the year can still build
    line = _line(out, "ban-ctmt-khu-1.xlsx", "dòng tổng cộng")
    for needle in (
        "CẢNH BÁO / WARNING",
        "sheet 'Hoạt động'",
        f"dòng {row}",
        "cột 'Số cuộc'",
        "đơn vị ghi 87",
        "tính được 76",  # the 57 activity rows of khu 1 in 2023 (to the cut-off) add up to 76 cuộc
        "chênh lệch +11",
        "the office wrote 87, computed 76, difference +11",
    ):
        assert needle in line, needle
    assert "1 cảnh báo" in out
    code, out = _validate(copy, 2023, "--strict")
    assert code == 1 and "cannot build" in out
    assert "LỖI / ERROR" in _line(out, "ban-ctmt-khu-1.xlsx", "dòng tổng cộng")


def test_an_opening_balance_unlike_last_years_closing_is_named(copy):
    """Last year's data to 31/12: this year's opening balance must be its closing balance.
    (The sample's 2022 data end at the 20/11/2022 cut-off, so there the opening is shown, not
    warned about: test_the_sample_years_reconcile_everywhere.)"""
    raw = copy / "data" / "raw" / "2023"
    meta = copy / "data" / "raw" / "2022" / "thong-tin-bao-cao.yml"
    text = meta.read_text(encoding="utf-8")
    for old, new in (('"25/11/2022"', '"31/12/2022"'), ('"20/11/2022"', '"31/12/2022"')):
        assert old in text
        text = text.replace(old, new)
    meta.write_text(text, encoding="utf-8")
    wb = openpyxl.load_workbook(raw / "mttq-phuong.xlsx")
    ws = wb["Số dư quỹ"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, (int, float)))
    # the 2022 closing balance in the office's cash book at 31/12/2022; the 2022 data (to the
    # cut-off) give 258.500.000 + 460.500.000 − 538.500.000 = 180.500.000
    assert cell.value == 235_800_000
    cell.value = 179_300_000
    wb.save(raw / "mttq-phuong.xlsx")
    code, out = _validate(copy, 2023)
    assert code == 0, out
    line = _line(out, "mttq-phuong.xlsx", "Số dư quỹ")
    for needle in (
        f"dòng {cell.row}",
        "cột 'Số dư đầu năm (đồng)'",
        "đơn vị ghi 179.300.000",
        "tính được 180.500.000",
        "chênh lệch −1.200.000",
        "số dư cuối năm 2022",
    ):
        assert needle in line, needle
    assert _validate(copy, 2023, "--strict")[0] == 1


def test_poor_households_and_targets_unlike_last_years_are_named(copy):
    raw = copy / "data" / "raw" / "2023"
    _edit(raw / "ban-ctmt-khu-2.xlsx", "Hộ gia đình", None, "Hộ nghèo đầu năm", 9)
    wb = openpyxl.load_workbook(raw / "chi-tieu.xlsx")
    ws = wb["Chỉ tiêu"]
    head = next(r for r in range(1, 12) if any(c.value == "Mã chỉ tiêu" for c in ws[r]))
    cols = {c.value: c.column for c in ws[head] if c.value}
    row = next(
        r
        for r in range(head + 1, ws.max_row + 1)
        if ws.cell(r, cols["Mã chỉ tiêu"]).value == "nha_ddk" and str(ws.cell(r, cols["Năm"]).value) == "2023"
    )
    ws.cell(row, cols["Kế hoạch"]).value = 4
    wb.save(raw / "chi-tieu.xlsx")
    previous, _ = history_year(Project.find(copy), 2022)
    khu2_end = int(previous["households"].set_index("area").loc["khu-2", "poor_end"])
    code, out = _validate(copy, 2023)
    assert code == 0, out
    line = _line(out, "ban-ctmt-khu-2.xlsx", "Hộ nghèo đầu năm")
    assert "đơn vị ghi 9" in line and f"tính được {khu2_end}" in line and f"chênh lệch +{9 - khu2_end}" in line
    line = _line(out, "chi-tieu.xlsx", 'Nhà "Đại đoàn kết"')
    assert f"dòng {row}" in line and "đơn vị ghi 4" in line and "tính được 5" in line and "chênh lệch −1" in line


def test_a_total_that_counts_a_rejected_row_is_explained_by_it(tmp_path):
    root = copy_project(tmp_path / "project", years=[2022])
    path = root / "data" / "raw" / "2022" / "ban-ctmt-khu-2.xlsx"
    row = _edit(path, "Hoạt động", None, "Ngày", "15/06/2021")  # the first activity, now outside the year
    code, out = _validate(root, 2022)
    assert code == 0, out
    assert "không thuộc năm báo cáo 2022" in _line(out, "LOẠI / REJECTED", "ban-ctmt-khu-2.xlsx")
    line = _line(out, "ban-ctmt-khu-2.xlsx", "dòng tổng cộng", "cột 'Số cuộc'")
    assert f"chênh lệch đúng bằng dòng bị loại: dòng {row}" in line


@pytest.mark.e2e
def test_build_lists_the_mismatch_in_the_data_quality_record(copy):
    raw = copy / "data" / "raw" / "2023"
    _edit(raw / "ban-ctmt-khu-1.xlsx", "Hoạt động", "Tổng cộng", "Số cuộc", "87")
    proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=copy)
    assert "1 số liệu không khớp" in proc.stdout and "chat-luong-so-lieu-2023.html" in proc.stdout
    build = copy / "build" / "2023"
    totals = (build / "data" / "reconciliation.csv").read_text(encoding="utf-8")
    assert "ban-ctmt-khu-1.xlsx,Hoạt động,63,Số cuộc" in totals and ",87,76,11,mismatch," in totals
    record = re.sub(r"<[^>]+>", " ", (build / "chat-luong-so-lieu-2023.html").read_text(encoding="utf-8"))
    record = re.sub(r"\s+", " ", record)
    assert "ban-ctmt-khu-1.xlsx Hoạt động 63 Số cuộc 87 76 +11 Lệch" in record


@pytest.mark.parametrize("year", (2021, 2022, 2023, 2024))
def test_the_sample_years_reconcile_everywhere(year):
    """0 unexplained warnings: every total row agrees, and every year continues the last."""
    project = Project(ROOT, ROOT / "build")
    result = clean_year(project, year)
    totals = {(c.file, c.sheet) for c in result.checks}
    assert result.checks and all(c.status == "ok" for c in result.checks), [
        c for c in result.checks if c.status != "ok"
    ]
    acc = result.accounting
    assert totals == {(r.file, r.sheet) for r in acc.itertuples() if r.total}, "every sheet with a total row is checked"
    previous, _ = history_year(project, year - 1)
    checks = continuity_checks(project, year, result.tables, previous)
    if year == 2021:
        assert previous is None and checks == []
    else:
        kinds = {c.column for c in checks}
        assert {"Số dư đầu năm (đồng)", "Hộ nghèo đầu năm", "Hộ cận nghèo đầu năm", "Kế hoạch"} <= kinds
        # last year's data end at its cut-off (late November): the Quỹ's receipts and payments of
        # its last weeks are in no year's data, so the opening balance is shown, not warned about
        fund = [c for c in checks if c.column == "Số dư đầu năm (đồng)"]
        assert [c.status for c in fund] == ["not_checked"] and "31/12" in fund[0].note_vi
        assert all(c.status == "ok" for c in checks if c not in fund), [
            c.as_record() for c in checks if c.status != "ok"
        ]
    assert result.warnings == []


def test_validate_of_the_sample_year_has_no_warning(tmp_path):
    root = copy_project(tmp_path / "project", years=[2022, 2023])
    code, out = _validate(root, 2023)
    assert code == 0 and "0 cảnh báo" in out, out
    shutil.rmtree(root)
