"""Both renderers give the same report: the sample 2023 report built by pandoc + typst and by
real Quarto (each built once per session, conftest.sample_build) has the same text, pages,
tables and captions, read with the tools reviewers use (pdftotext, an HTML parser). And a
Quarto that ignores `_quarto.yml` fails the build (exit 3) instead of replacing the report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import NO_QUARTO, copy_project, quarto_available, run_cli, sample_build

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not quarto_available(), reason=NO_QUARTO)]
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    return {r: sample_build(tmp_path_factory, r) / "build" / "2023" for r in ("pandoc", "quarto")}


def words(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def pdf_words(pdf: Path) -> list[str]:
    # -layout: words in the order they stand on the page. Without it pdftotext orders the
    # cells of a table row by baselines that differ by 1e-5 pt between typst 0.13 (Quarto
    # 1.7) and 0.15 (the pinned wheel), and a row can read in either order.
    return words(
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    )


def pdf_pages(pdf: Path) -> list[str]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"^Page\s+\d+ size:\s+(.*)$", info, re.M)


@needs_poppler
def test_the_two_pdfs_hold_the_same_text_on_the_same_pages(builds):
    a, b = (builds[r] / "bao-cao-2023.pdf" for r in ("pandoc", "quarto"))
    assert pdf_words(a) == pdf_words(b)
    pages_a, pages_b = pdf_pages(a), pdf_pages(b)
    assert len(pages_a) == len(pages_b) and all("(A4)" in p for p in pages_a + pages_b)
    for page in range(1, len(pages_a) + 1):
        one = [
            subprocess.run(
                ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(p), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for p in (a, b)
        ]
        assert words(one[0]) == words(one[1]), f"page {page} differs"


def test_every_table_caption_is_in_both_pdfs(builds):
    qmd = (builds["pandoc"] / "bao-cao-2023.qmd").read_text(encoding="utf-8")
    captions = re.findall(r"^: (Bảng \d+|Biểu số \d+):", qmd, re.M)  # the body's tables, the appendix's
    assert len(captions) >= 15
    for renderer in ("pandoc", "quarto"):
        text = " ".join(pdf_words(builds[renderer] / "bao-cao-2023.pdf"))
        assert [c for c in captions if f"{c}:" not in text] == [], renderer


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tables = 0
        self.wide = 0
        self.captions: list[str] = []
        self._in: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag == "table":
            self.tables += 1
        if tag == "div" and "table-wrap" in (attrs.get("class") or "").split():
            self.wide += "wide" in (attrs.get("class") or "").split()
        self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
            if self._in and self._in[-1] == "caption" and data.strip():
                self.captions.append(" ".join(data.split()))


def html_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_the_two_html_pages_hold_the_same_text_tables_and_captions(builds):
    qmd = (builds["pandoc"] / "bao-cao-2023.qmd").read_text(encoding="utf-8")
    a, b = (html_page(builds[r] / "bao-cao-2023.html") for r in ("pandoc", "quarto"))
    assert words(" ".join(a.text)) == words(" ".join(b.text))
    # every table with set column widths is a wide one, in both
    assert (a.tables, a.wide) == (b.tables, b.wide) and a.wide == qmd.count("{tbl-colwidths=") > 0
    assert a.captions == b.captions and len(a.captions) == len(re.findall(r"^: (?:Bảng|Biểu số) \d+:", qmd, re.M))


def test_the_quarto_manifest_names_what_quarto_ran(builds):
    import json

    manifest = json.loads((builds["quarto"] / "manifest.json").read_text(encoding="utf-8"))
    renderer = manifest["renderer"]
    assert renderer["name"] == "quarto"
    version = subprocess.run(["quarto", "--version"], capture_output=True, text=True).stdout.strip()
    assert renderer["tools"]["quarto"] == version
    assert re.fullmatch(r"\d+\.\d+(\.\d+)*", renderer["tools"]["pandoc"])
    assert re.fullmatch(r"\d+\.\d+(\.\d+)*", renderer["tools"]["typst"])
    pandoc = json.loads((builds["pandoc"] / "manifest.json").read_text(encoding="utf-8"))["renderer"]
    assert pandoc["name"] == "pandoc" and pandoc["pdf_standard"] == "a-2b"


def test_a_quarto_that_ignores_the_configuration_fails_the_build(builds, tmp_path):
    """A `quarto` on PATH that renders without the project's `_quarto.yml` (as Quarto does for
    a file it leaves out of the project): exit 3 naming the renderer and what differs, and
    the last good report is kept, byte for byte."""
    project = copy_project(tmp_path / "project", years=[2021, 2022, 2023])
    shutil.copytree(builds["quarto"], project / "build" / "2023")
    before = {p.name: p.read_bytes() for p in (project / "build" / "2023").glob("bao-cao-2023.*")}
    real = shutil.which("quarto")
    shim = tmp_path / "bin" / "quarto"
    shim.parent.mkdir()
    # Without _quarto.yml, `quarto render doc.qmd` renders HTML only: ask for every format, for
    # the document named or (a project render, as baocao asks) each document of the project.
    shim.write_text(
        f'#!/bin/sh\nif [ "$1" = render ]; then rm -f _quarto.yml\n'
        f"  for doc in ${{2:-*/*.qmd}}; do\n"
        f'    "{real}" render "$doc" --to html && "{real}" render "$doc" --to typst && '
        f'"{real}" render "$doc" --to docx || exit 1\n'
        f"  done\n  exit 0\nfi\n"
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
    env = {"PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}"}
    proc = run_cli("build", "--year", "2023", "--renderer", "quarto", "--force", cwd=project, env=env, check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "'quarto'" in proc.stderr and "_quarto.yml" in proc.stderr
    assert "paper is not a4" in proc.stderr and "Content-Security-Policy" in proc.stderr
    assert "DOCX: " in proc.stderr and "has no page size" in proc.stderr  # no reference.docx: Word's default
    assert "Traceback" not in proc.stderr
    # and one that writes no PDF at all (exit 0; without _quarto.yml, HTML alone): the same
    shim.write_text(
        f'#!/bin/sh\nif [ "$1" = render ]; then rm -f _quarto.yml\n'
        f'  for doc in ${{2:-*/*.qmd}}; do "{real}" render "$doc" || exit 1; done\n  exit 0\nfi\n'
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    proc = run_cli("build", "--year", "2023", "--renderer", "quarto", "--force", cwd=project, env=env, check=False)
    assert proc.returncode == 3 and "wrote no bao-cao-2023.pdf" in proc.stderr, proc.stdout + proc.stderr
    after = {p.name: p.read_bytes() for p in (project / "build" / "2023").glob("bao-cao-2023.*")}
    assert after == before
