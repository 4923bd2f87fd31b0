"""The bad-input corpus (tests/data/bad/): every odd or broken office file gives exactly its
expected outcome, with a message that names the file, sheet, row and column, and no traceback.

Each case is placed into a copy of a small valid year (``tests/data/bad/_base/2025``, made from
the ``baocao new-year`` templates) and read by :func:`baocao.clean.clean_year`; a few go through
``baocao validate`` and ``baocao build`` as a user runs them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from baocao.clean import REJECT_COLUMNS, clean_year, write_clean
from baocao.config import Project
from baocao.errors import InputError, InputProblems
from baocao.narrative import load_meta, load_narrative
from baocao.schema import validate_result

from .conftest import ROOT, copy_project, load_script, run_cli

BAD = ROOT / "tests" / "data" / "bad"
YEAR = 2025
BASE = BAD / "_base" / str(YEAR)
EXPECTED = sorted(BAD.glob("*.expected.json"))
CASES = {p.name.removesuffix(".expected.json"): json.loads(p.read_text(encoding="utf-8")) for p in EXPECTED}


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.find(ROOT)


@pytest.fixture(scope="module", autouse=True)
def open_each_file_once():
    """The base files are the same in every case: parse each distinct file once per module.

    Only successful opens are remembered (by name and content); a file that fails to open is
    tried again every time, so every error path still runs for real.
    """
    import baocao.readers.year as bio

    real = bio.open_grids
    cache: dict[tuple[str, str], list] = {}

    def cached(path: Path, rel: str):
        key = (rel, hashlib.sha256(path.read_bytes()).hexdigest())
        if key not in cache:
            cache[key] = real(path, rel)
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bio, "open_grids", cached)
        yield


def place(case: dict, dest: Path) -> Path:
    """The base year with the case's file put in (and the files it replaces taken out)."""
    raw = dest / "data" / "raw" / str(YEAR)
    shutil.copytree(BASE, raw)
    for name in case["remove"]:
        (raw / name).unlink()
    shutil.copy2(BAD / case["case"], raw / case["place_as"])
    for extra in case.get("extra", []):
        shutil.copy2(BAD / extra["case_file"], raw / extra["place_as"])
    return raw


def run(project: Project, raw: Path):
    """(result, errors): what was read, and every error that stops the year (as validate sees it)."""
    try:
        result, errors = clean_year(project, YEAR, raw), []
    except InputProblems as exc:
        result, errors = exc.partial, list(exc.errors)
    for loader in (load_meta, load_narrative):
        try:
            loader(project, YEAR, raw)
        except InputError as exc:
            errors.append(exc)
        except InputProblems as exc:  # the metadata file's schema: every key it finds wrong (as cli.py)
            errors.extend(exc.errors)
    return result, errors


def where(problem) -> dict:
    return {"file": problem.file, "sheet": problem.sheet, "row": problem.row, "column": problem.column}


def expected_where(case: dict) -> dict:
    return {"file": case["file"], "sheet": case["sheet"], "row": case["row"], "column": case["column"] or ""}


def test_the_corpus_has_at_least_30_small_cases():
    assert len(CASES) >= 30
    outcomes = {c["outcome"] for c in CASES.values()}
    assert outcomes == {"ok", "warning", "rejected", "error"}
    for name, case in CASES.items():
        path = BAD / case["case"]
        assert path.is_file(), name
        assert path.stat().st_size < 64_000, f"{name} is not small"
        assert path.name.startswith(name), "each case file is named after its case"


def test_the_corpus_is_what_make_corpus_makes(tmp_path):
    module = load_script(BAD / "make_corpus.py")
    module.main(["--out", str(tmp_path)])
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(BAD)
        for p in BAD.rglob("*")
        if p.is_file() and p.name != "make_corpus.py" and "__pycache__" not in p.parts
    )
    assert made == committed, "run tests/data/bad/make_corpus.py and commit its output"
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (BAD / rel).read_bytes(), f"{rel} differs: run make_corpus.py"


def test_the_base_year_reads_back_with_no_reject_and_no_warning(project):
    result = clean_year(project, YEAR, BASE)
    assert result.rejects == [] and result.warnings == []
    validate_result(project, result, YEAR)
    assert all(len(result.tables[t]) for t in ("activity", "households", "fund_txn", "targets", "org_members"))
    load_meta(project, YEAR, BASE)
    load_narrative(project, YEAR, BASE)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name, project, tmp_path):
    case = CASES[name]
    raw = place(case, tmp_path)
    result, errors = run(project, raw)  # any other exception fails the test: no traceback for users
    outcome = case["outcome"]
    if outcome == "error":
        assert len(errors) == 1, [e.render() for e in errors]
        error = errors[0]
        loc = error.location
        assert {"file": loc.file, "sheet": loc.sheet, "row": loc.row, "column": loc.column} == expected_where(case)
        assert case["reason_contains"] in error.reason_vi
        message = InputProblems(errors, folder="data/raw/2025/").render()  # as validate and build show it
        assert case["file"] in message and "Traceback" not in message
        assert message.startswith("Lỗi: ") and "\nError: " in message
        return
    assert errors == [], [e.render() for e in errors]
    if outcome == "ok":
        assert result.rejects == [], [r.as_record() for r in result.rejects]
        assert result.warnings == [], [w.as_record() for w in result.warnings]
    elif outcome == "rejected":
        assert result.warnings == [], [w.as_record() for w in result.warnings]
        assert len(result.rejects) == 1, [r.as_record() for r in result.rejects]
        assert result.rows_rejected == 1
        reject = result.rejects[0]
        assert where(reject) == expected_where(case)
        assert reject.value == case["value"]
        assert case["reason_contains"] in reject.reason_vi and reject.reason_en
        # …and it lands in rejects.csv with exactly the documented columns
        written = write_clean(result, tmp_path / "out")
        rejects = pd.read_csv(next(p for p in written if p.name == "rejects.csv"), dtype=str, keep_default_na=False)
        assert list(rejects.columns) == REJECT_COLUMNS
        assert rejects.iloc[0]["row"] == (str(case["row"]) if case["row"] is not None else "")
        assert rejects.iloc[0]["file"] == case["file"] and rejects.iloc[0]["value"] == case["value"]
    elif outcome == "warning":
        assert result.rejects == [], [r.as_record() for r in result.rejects]
        assert len(result.warnings) == 1, [w.as_record() for w in result.warnings]
        warning = result.warnings[0]
        assert where(warning) == expected_where(case)
        if case["value"] is not None:
            assert warning.value == case["value"]
        assert case["reason_contains"] in warning.reason_vi and warning.reason_en
    else:  # pragma: no cover
        raise AssertionError(f"unknown outcome {outcome!r}")

    acc = result.accounting
    assert (acc["read"] == acc["kept"] + acc["rejected"] + acc["blank"] + acc["total"]).all()
    if "accounting" in case:
        want = case["accounting"]
        rows = acc[(acc["file"] == want["file"]) & (acc["sheet"] == want["sheet"])]
        assert len(rows) == 1, acc.to_string()
        got = rows.iloc[0]
        assert {k: (str(got[k]) if k in ("file", "sheet") else int(got[k])) for k in want} == want
    for check in case.get("kept", []):
        frame = result.tables[check["table"]]
        row = frame[(frame["source_file"] == check["source_file"]) & (frame["source_row"] == check["source_row"])]
        assert len(row) == 1, f"{check}: no such kept row"
        value = row.iloc[0][check["column"]]
        if isinstance(value, (pd.Timestamp, dt.date)):
            value = value.strftime("%Y-%m-%d")
        elif isinstance(value, str):
            assert unicodedata.is_normalized("NFC", value)
        else:
            value = value.item() if hasattr(value, "item") else value
        assert value == check["value"], check
    if case.get("figures"):  # the figures count the case's file as what it was read as
        from baocao.metrics import Evaluator

        evaluator = Evaluator(project.reference, result.tables)
        assert {code: evaluator.value(code) for code in case["figures"]} == case["figures"]
    validate_result(project, result, YEAR)


# ---------------------------------------------------------------------------- through the CLI
@pytest.fixture()
def case_project(tmp_path):
    """A project folder (config + reference lists) whose data/raw/2025 holds one case."""

    def make(name: str) -> Path:
        root = tmp_path / name
        (root / "data").mkdir(parents=True)
        shutil.copy2(ROOT / "baocao.yml", root / "baocao.yml")
        shutil.copytree(ROOT / "data" / "reference", root / "data" / "reference")
        place(CASES[name], root)
        return root

    return make


def test_validate_names_a_mistyped_khu_in_one_line(case_project):
    root = case_project("unknown-khu")
    proc = run_cli("validate", "--year", str(YEAR), cwd=root, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # rejected rows still build
    lines = [line for line in proc.stdout.splitlines() if "Khu 7" in line]
    assert len(lines) == 1, proc.stdout
    line = lines[0]
    for part in (
        "to-chuc-thanh-vien.xlsx",
        "sheet 'Hoạt động'",
        "dòng 8",
        "cột 'Khu'",
        "'Khu 7'",
        "không có trong danh sách khu dân cư",
        "unknown area",
    ):
        assert part in line, (part, line)
    assert "Traceback" not in proc.stdout + proc.stderr
    # a short table per file, not per sheet
    assert sum("to-chuc-thanh-vien.xlsx" in ln and "│" in ln for ln in proc.stdout.splitlines()) == 1

    strict = run_cli("validate", "--year", str(YEAR), "--strict", cwd=root, check=False)
    assert strict.returncode == 1
    assert "Traceback" not in strict.stdout + strict.stderr


def test_validate_exits_1_on_an_unreadable_file_with_one_message(case_project):
    root = case_project("truncated-workbook")
    proc = run_cli("validate", "--year", str(YEAR), cwd=root, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    assert "to-chuc-thanh-vien.xlsx" in out and "không mở được tệp Excel" in out and "cannot open" in out
    # the other files are still shown, so the user sees what else is fine
    assert "mttq-phuong.xlsx" in out


def test_validate_allows_warnings_even_when_strict(case_project, capsys):
    from baocao.cli import main

    root = case_project("tcvn3-file")
    assert main(["--project", str(root), "validate", "--year", str(YEAR), "--strict"]) == 0
    out = capsys.readouterr().out
    assert "TCVN3" in out and "to-chuc-thanh-vien--hoat-dong.csv" in out


def test_validate_reports_a_missing_sheet_in_one_line(case_project, capsys):
    from baocao.cli import main

    root = case_project("sheet-missing")
    assert main(["--project", str(root), "validate", "--year", str(YEAR)]) == 1
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if "không có sheet 'Hoạt động'" in ln]
    assert len(lines) == 1 and "to-chuc-thanh-vien.xlsx" in lines[0] and "no sheet 'Hoạt động'" in lines[0]


# ---------------------------------------------------------------------------- through a build
SCRIPT = "<script>alert('xss')</script> **in đậm** _nghiêng_ [liên kết](http://example.com)"


@pytest.fixture(scope="module")
def built_with_markup(tmp_path_factory):
    """The sample project with a row whose 'Lĩnh vực' holds HTML and Markdown, built once (2023)."""
    import openpyxl

    from baocao.templates import deterministic_bytes

    root = copy_project(tmp_path_factory.mktemp("markup") / "project")
    path = root / "data" / "raw" / "2023" / "to-chuc-thanh-vien.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Hoạt động"]
    header_row = next(r for r in range(1, 10) if any(c.value == "Lĩnh vực" for c in ws[r]))
    cols = {c.value: c.column for c in ws[header_row] if c.value}
    row = ws.max_row + 1
    for header, value in {
        "Ngày": "15/06/2023",
        "Khu": "Khu 1",
        "Tổ chức": "Hội Nông dân",
        "Lĩnh vực": SCRIPT,
        "Nội dung": SCRIPT,
        "Số cuộc": 1,
        "Số lượt người": 20,
    }.items():
        ws.cell(row=row, column=cols[header], value=value)
    path.write_bytes(deterministic_bytes(wb, 2023))
    proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, row


def _flat(text: str) -> str:
    """Text as a reader compares it: NFC, single spaces, typographic apostrophes as "'"."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text)


def test_markup_in_data_stays_plain_text_in_html_and_pdf(built_with_markup):
    import html as htmllib

    from pypdf import PdfReader

    root, row = built_with_markup
    build = root / "build" / "2023"
    rejects = pd.read_csv(build / "data" / "rejects.csv", dtype=str, keep_default_na=False)
    ours = rejects[(rejects["file"] == "to-chuc-thanh-vien.xlsx") & (rejects["row"] == str(row))]
    assert list(ours["value"]) == [SCRIPT], "the cell is kept as evidence, verbatim"
    shown = "<script>alert('xss')</script> **in đậm** _nghiêng_"  # the part the reason quotes
    # Rejected rows and their reasons are listed in the data-quality record, not in the signed
    # report (issue 10): there the value is plain text, escaped, never markup.
    record = (build / "chat-luong-so-lieu-2023.html").read_text(encoding="utf-8")
    assert "<script" not in record.lower()
    text = _flat(htmllib.unescape(re.sub(r"<[^>]+>", " ", record)))
    assert shown in text, "the reason with the value appears as plain text in the data-quality record"
    assert "<strong>in đậm</strong>" not in record and "<em>nghiêng</em>" not in record
    for page in ((build / "bao-cao-2023.html").read_text(encoding="utf-8"),):
        assert "<script" not in page.lower()
        assert "<strong>in đậm</strong>" not in page and "<em>nghiêng</em>" not in page
        assert "xss" not in page, "a rejected row leaves no trace in the signed report"
    pdf = _flat("\n".join(p.extract_text() for p in PdfReader(build / "bao-cao-2023.pdf").pages))
    assert "xss" not in pdf and "nghiêng" not in pdf


def test_a_build_whose_input_cannot_be_read_keeps_the_last_good_report(built_with_markup):
    root, _row = built_with_markup
    build = root / "build" / "2023"
    before = {p.relative_to(build): hashlib.sha256(p.read_bytes()).hexdigest() for p in build.rglob("*") if p.is_file()}
    path = root / "data" / "raw" / "2023" / "mttq-phuong.xlsx"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    try:
        proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    finally:
        path.write_bytes(data)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    assert "mttq-phuong.xlsx" in proc.stderr and "không mở được tệp Excel" in proc.stderr
    assert proc.stderr.count("mttq-phuong.xlsx") <= 3, proc.stderr  # one message (vi, en), not a dump
    after = {p.relative_to(build): hashlib.sha256(p.read_bytes()).hexdigest() for p in build.rglob("*") if p.is_file()}
    assert after == before, "the last good outputs are untouched"
