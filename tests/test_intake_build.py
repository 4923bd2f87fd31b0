"""Issue 21, class 2: whatever ``validate`` accepts, ``build`` builds. Text offices paste (an
emoji from Zalo, ★ ✓ ① ™, Chinese in a business name, Khmer and Lao in people's names) is set in
the PDF, still PDF/A-2b, by the Noto fallback fonts of report/fonts; the HTML and the Word file
carry it as typed. What no font has is refused by ``validate`` (tests/data/bad/text-unprintable-char)."""

from __future__ import annotations

import html as htmllib
import json
import re
import unicodedata
import zipfile

import pytest
from pypdf import PdfReader

from .conftest import copy_project, run_cli
from .test_report_pdf import glyph_problems

PASTED = "Mô hình 🌸 ★ ✓ ① ™ 新华贸易 ខ្មែរ ລາວ"


@pytest.fixture(scope="module")
def built_with_pasted_text(tmp_path_factory):
    """The sample project with a model name ('Tên mô hình', printed in the report's table of
    models) holding pasted characters, built once (2023, pandoc + typst)."""
    import openpyxl

    from baocao.templates import deterministic_bytes

    root = copy_project(tmp_path_factory.mktemp("pasted") / "project")
    path = root / "data" / "raw" / "2023" / "ban-ctmt-khu-1.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Mô hình thi đua"]
    header_row = next(r for r in range(1, 10) if any(c.value == "Tên mô hình" for c in ws[r]))
    col = next(c.column for c in ws[header_row] if c.value == "Tên mô hình")
    ws.cell(row=header_row + 1, column=col, value=PASTED)
    path.write_bytes(deterministic_bytes(wb, 2023))
    validate = run_cli("validate", "--year", "2023", cwd=root, check=False)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    problems = [line for line in validate.stdout.splitlines() if line.startswith(("LOẠI", "LỖI", "CẢNH BÁO"))]
    assert len(problems) == 2 and not any("Mô hình thi đua" in line for line in problems), problems  # the sample's own
    proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "build" / "2023"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def test_pasted_characters_are_printed_in_the_pdf_still_pdf_a(built_with_pasted_text):
    build = built_with_pasted_text
    reader = PdfReader(build / "bao-cao-2023.pdf")
    problems, covered = glyph_problems(reader)
    assert not problems, "\n".join(problems)  # no character drawn as an empty box
    wanted = set(PASTED.replace(" ", ""))
    assert wanted <= covered, sorted(wanted - covered)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["renderer"]["pdf_standard"] == "a-2b"


def test_pasted_characters_reach_the_html_and_the_word_file(built_with_pasted_text):
    build = built_with_pasted_text
    page = htmllib.unescape(re.sub(r"<[^>]+>", " ", (build / "bao-cao-2023.html").read_text(encoding="utf-8")))
    assert PASTED in _flat(page)
    with zipfile.ZipFile(build / "bao-cao-2023.docx") as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    assert PASTED in _flat(htmllib.unescape(re.sub(r"<[^>]+>", "", xml)))
