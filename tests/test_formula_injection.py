"""No cell can attack the person who opens baocao's workbooks and CSVs: text carried into next
year's templates stays a string cell, and the CSVs meant for spreadsheets are neutralised the
way OWASP describes (with a BOM; numbers stay numbers). The outputs are opened in LibreOffice,
as an office opens them, and no formula is found."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import copy_project, run_cli

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+([.,]\d*)?")
ATTACKS = ['=HYPERLINK("http://x","y")', "=1+1", "@SUM(1+1)", "+1+1", "-1+1"]


def _set_text(path: Path, sheet: str, header: str, values: list[str], where: tuple[str, object] | None = None) -> None:
    """Put text into the first rows of a column (those whose ``where`` column holds that
    value), as an office types it after an apostrophe."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    head = next(c for row in ws.iter_rows(max_row=10) for c in row if c.value == header)
    col = head.column
    rows = list(range(head.row + 1, ws.max_row + 1))
    if where is not None:
        key = next(c.column for c in ws[head.row] if c.value == where[0])
        rows = [r for r in rows if ws.cell(row=r, column=key).value == where[1]]
    for r, value in zip(rows, values, strict=False):
        cell = ws.cell(row=r, column=col)
        cell.value = value
        cell.data_type = "s"
    wb.save(path)


def _formulas_in_libreoffice(path: Path, tmp: Path) -> list[str]:
    """Open ``path`` in LibreOffice (CSV: UTF-8, comma) and save it as .xlsx: the formulas it made."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs it")
    out = tmp / "lo-out"
    out.mkdir(exist_ok=True)
    cmd = ["soffice", f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}", "--headless"]
    if path.suffix == ".csv":
        cmd.append("--infilter=CSV:44,34,76,1")
    subprocess.run([*cmd, "--convert-to", "xlsx", "--outdir", str(out), str(path)], check=True, timeout=300)
    if not (out / (path.stem + ".xlsx")).is_file():
        pytest.skip("LibreOffice Calc is not installed (libreoffice-calc-nogui): soffice cannot open spreadsheets")
    wb = openpyxl.load_workbook(out / (path.stem + ".xlsx"))
    return [
        f"{ws.title}!{c.coordinate}={c.value}" for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]


def test_a_label_carried_into_next_years_template_is_never_a_formula(tmp_path):
    project = copy_project(tmp_path / "p", years=[2023])
    _set_text(project / "data/raw/2023/chi-tieu.xlsx", "Chỉ tiêu", "Chỉ tiêu", ATTACKS, where=("Năm", 2024))
    run_cli("new-year", "2024", cwd=project)
    made = project / "data/raw/2024/chi-tieu.xlsx"
    wb = openpyxl.load_workbook(made)
    formulas = [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == [], formulas
    texts = {c.value for row in wb["Chỉ tiêu"].iter_rows() for c in row}
    assert set(ATTACKS) <= texts, "the labels are carried over as the text they are"
    assert _formulas_in_libreoffice(made, tmp_path) == []


def test_csv_outputs_hold_no_formula_and_numbers_stay_numbers(tmp_path):
    project = copy_project(tmp_path / "p", years=[2022, 2023])
    raw = project / "data/raw/2023"
    _set_text(raw / "ban-ctmt-khu-1.xlsx", "Hoạt động", "Nội dung", ATTACKS)
    _set_text(raw / "ban-ctmt-khu-2.xlsx", "Hoạt động", "Số cuộc", ["=2+2"])  # rejected: its value in rejects.csv
    run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=project)
    data = project / "build/2023/data"
    for name in ("activity.csv", "rejects.csv"):
        assert (data / name).read_bytes().startswith(b"\xef\xbb\xbf"), f"{name}: a UTF-8 BOM for Excel"
        with open(data / name, encoding="utf-8-sig", newline="") as fh:
            live = [f for row in csv.reader(fh) for f in row if f.startswith(TRIGGERS) and not NUMBER.fullmatch(f)]
        assert live == [], f"{name}: cells a spreadsheet would read as formulas: {live}"
    text = (data / "activity.csv").read_text(encoding="utf-8-sig")
    assert (
        "'=1+1" in text and "'@SUM(1+1)" in text and "'=2+2" in (data / "rejects.csv").read_text(encoding="utf-8-sig")
    )
    # baocao reads its own CSV back as the office typed it
    from baocao.clean.tidy import read_csv

    described = set(read_csv(data / "activity.csv", dtype=str, keep_default_na=False)["description"])
    assert set(ATTACKS) <= described
    # and LibreOffice, as an office opens the files, finds no formula; numbers stay numbers
    for name in ("activity.csv", "rejects.csv"):
        assert _formulas_in_libreoffice(data / name, tmp_path) == [], name
    ws = openpyxl.load_workbook(tmp_path / "lo-out" / "activity.xlsx").active
    header = [c.value for c in ws[1]]
    sessions = [r[header.index("sessions")] for r in ws.iter_rows(min_row=2, max_row=5)]
    assert all(c.data_type == "n" for c in sessions), "numbers stay numbers"
