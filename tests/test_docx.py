"""The 2023 Word document, opened the way an office opens it: LibreOffice (headless) converts
it to PDF, and poppler reads that PDF (A4, the NĐ 30 blocks, "BÁO CÁO", the tables, "Nơi
nhận", the page numbers); the .docx's own XML is read for what Word uses (page size and
margins, styles, fonts). Once per renderer (the sample build of conftest.py).

Expected words come from the project's configuration (as in test_report_pdf.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest

from baocao.render import RenderOptions, get_renderer
from baocao.render.docx import document_text, margins_mm, page_size_twips, read_parts, sections

from .conftest import ROOT, copy_project, load_script, run_cli

pytestmark = pytest.mark.e2e

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FONT = "Times New Roman"
A4_TWIPS = (11906, 16838)
# Nghị định 30: top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGIN_MM = {"top": (20, 25), "bottom": (20, 25), "left": (30, 35), "right": (15, 20)}

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice is not installed (`soffice` not on PATH); .ci/run installs libreoffice-writer-nogui",
)
needs_poppler = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdfinfo", "pdftotext")), reason="poppler-utils is not installed"
)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@pytest.fixture(scope="module")
def docx(build_2023) -> Path:
    return build_2023 / "bao-cao-2023.docx"


@pytest.fixture(scope="module")
def parts(docx) -> dict[str, str]:
    return {k: v.decode("utf-8") for k, v in read_parts(docx.read_bytes()).items() if k.endswith((".xml", ".rels"))}


@pytest.fixture(scope="module")
def expected(sample_project) -> dict:
    from baocao import vnformat as vn
    from baocao.config import Project
    from baocao.narrative import load_meta

    project = Project.find(sample_project)
    meta = load_meta(project, 2023)
    unit = project.unit
    return {
        "body_parent": unit.body_parent,
        "body_name": unit.body_name,
        "number": f"Số: {meta.number}/{unit.symbol}",
        "place_date": f"{unit.place}, {vn.fmt_date_long(meta.date)}",
        "signer": [meta.signer_on_behalf, meta.signer_title, meta.signer_name],
        "recipients": list(meta.recipients),
        "title": "Báo cáo tổng kết công tác Mặt trận năm 2023",
        "author": unit.name,
    }


@pytest.fixture(scope="module")
def libreoffice_pdf(docx, tmp_path_factory) -> Path:
    """The .docx as LibreOffice lays it out and prints it (its own profile, no network)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed (`soffice` not on PATH); .ci/run installs libreoffice-writer-nogui")
    out = tmp_path_factory.mktemp("libreoffice")
    profile = out / "profile"
    proc = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(docx),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    pdf = out / "bao-cao-2023.pdf"
    assert proc.returncode == 0 and pdf.is_file(), proc.stdout + proc.stderr
    return pdf


def pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [unicodedata.normalize("NFC", p) for p in text.split("\f")][:-1]


# --- what the build says ------------------------------------------------------------------


def test_docx_is_built_listed_and_checked(build_2023, docx):
    manifest = json.loads((build_2023 / "manifest.json").read_text(encoding="utf-8"))
    assert "bao-cao-2023.docx" in manifest["outputs"]
    with zipfile.ZipFile(docx) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        # the zip's times are the report's date (the parts pandoc copies from reference.docx
        # keep that file's fixed 1980-01-01), never the clock
        assert {info.date_time for info in zf.infolist()} <= {(2023, 11, 24, 0, 0, 0), (1980, 1, 1, 0, 0, 0)}
    assert names[0] == "[Content_Types].xml" and "word/document.xml" in names
    # every chart the report shows embedded, as PNG (an SVG would need rsvg-convert, and Word
    # < 2016 shows none): the very PNG copies of the build's charts (figures/ also keeps the
    # charts drawn for the analyst's notebook that the report leaves out, issue 20)
    media = [n for n in names if n.startswith("word/media/")]
    qmd = (build_2023 / "bao-cao-2023.qmd").read_text(encoding="utf-8")
    shown = sorted(set(re.findall(r"figures/([\w-]+)\.svg", qmd)))
    assert len(shown) >= 2 and len(media) == len(shown) and all(n.endswith(".png") for n in media)
    with zipfile.ZipFile(docx) as zf:
        embedded = {hashlib.sha256(zf.read(n)).hexdigest() for n in media}
    assert embedded == {hashlib.sha256((build_2023 / "figures" / f"{s}.png").read_bytes()).hexdigest() for s in shown}


# --- the XML Word reads -------------------------------------------------------------------


def test_page_a4_with_nd30_margins_and_numbers_from_page_2(parts):
    document = parts["word/document.xml"]
    found = sections(document)
    assert len(found) == 1, "one section: every page A4 portrait"
    assert page_size_twips(found[0]) == A4_TWIPS
    margins = margins_mm(found[0])
    for side, (low, high) in MARGIN_MM.items():
        assert low - 0.1 <= margins[side] <= high + 0.1, (side, margins[side])
    # Page number centred in the top margin, none on page 1 (a first-page header of its own).
    assert "<w:titlePg" in found[0]
    refs = dict(
        (kind, rid)
        for rid, kind in re.findall(r'<w:headerReference r:id="([^"]+)" w:type="(\w+)"', found[0])
        + [(rid, kind) for kind, rid in re.findall(r'<w:headerReference w:type="(\w+)" r:id="([^"]+)"', found[0])]
    )
    assert set(refs) >= {"default", "first"}
    rels = dict(
        re.findall(r'Id="([^"]+)" Target="([^"]+)"', parts["word/_rels/document.xml.rels"])
        + [(i, t) for t, i in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', parts["word/_rels/document.xml.rels"])]
    )
    default, first = (parts["word/" + rels[refs[k]]] for k in ("default", "first"))
    assert "PAGE" in default and 'w:val="center"' in parts["word/styles.xml"]
    assert "PAGE" not in first and document_text(first) == ""


def test_fonts_are_times_new_roman_13pt(parts):
    styles = parts["word/styles.xml"]
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S)[0]
    assert re.search(rf'w:ascii="{FONT}"', defaults) and re.search(rf'w:hAnsi="{FONT}"', defaults)
    assert re.search(r'<w:sz w:val="26"\s*/>', defaults), "13 pt"
    # No other font named for text, in the styles (but code's, which the report never uses)
    # and in the document.
    prose = re.sub(r'<w:style\b[^>]*w:styleId="(VerbatimChar|SourceCode)"[^>]*>.*?</w:style>', "", styles, flags=re.S)
    named = set()
    for xml in (prose, parts["word/document.xml"]):
        for fonts in re.findall(r"<w:rFonts\b[^>]*>", xml):
            named |= set(re.findall(r'w:(?:ascii|hAnsi|cs|eastAsia)="([^"]+)"', fonts))
    assert named == {FONT}, named
    assert not re.search(r"w:(ascii|hAnsi)Theme=", styles + parts["word/document.xml"]) or set(
        re.findall(r'<a:latin typeface="([^"]*)"', parts["word/theme/theme1.xml"])
    ) == {FONT}


def test_styles_headings_captions_and_the_nd30_blocks(parts, expected):
    styles = parts["word/styles.xml"]
    document = parts["word/document.xml"]

    def style(style_id: str) -> str:
        m = re.search(rf'<w:style\b[^>]*w:styleId="{style_id}"[^>]*>.*?</w:style>', styles, re.S)
        assert m, f"style {style_id} missing"
        return m[0]

    for heading in ("Heading1", "Heading2", "Heading3", "Heading4"):
        assert "<w:b/>" in style(heading) or "<w:b />" in style(heading)
    assert 'w:val="center"' in style("Heading1"), "Phần thứ …: centred"
    assert re.search(r"<w:i\s*/>", style("Caption")) and 'w:val="center"' in style("TableCaption")
    body = style("BodyText")
    assert 'w:val="both"' in body and 'w:firstLine="567"' in body, "justified, first line 1 cm"
    # The document uses them: a heading per part, captioned tables, the NĐ 30 blocks.
    used = set(re.findall(r'<w:pStyle w:val="([^"]+)"', document))
    assert {
        "Heading1",
        "Heading2",
        "Heading3",
        "TableCaption",
        "ImageCaption",
        "IssuerName",
        "NationalTitle",
        "Motto",
        "PlaceAndDate",
        "DocumentType",
        "RecipientsTitle",
        "SignerName",
    } <= used, used
    # The header blocks and the signature are borderless tables of two columns.
    tables = re.findall(r"<w:tbl>.*?</w:tbl>", document, re.S)
    header, signature = tables[0], [t for t in tables if "RecipientsTitle" in t][0]
    for block in (header, signature):
        assert block.count("<w:tc>") == 2 and 'w:val="nil"' in block
    header_text = norm(document_text(header))
    for value in (
        expected["body_parent"],
        expected["body_name"],
        expected["number"],
        NATION,
        MOTTO,
        expected["place_date"],
    ):
        assert norm(value) in header_text, value
    # Document properties: the title and the issuing body (pandoc's title block, hidden).
    core = parts["docProps/core.xml"]
    assert expected["title"] in core and expected["author"] in core
    assert "<w:vanish" in style("Title")


# --- opened by LibreOffice ----------------------------------------------------------------


@needs_soffice
@needs_poppler
def test_libreoffice_opens_it_as_an_a4_report(libreoffice_pdf, expected):
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(libreoffice_pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    assert pages >= 8
    assert len(re.findall(r"Page\s+\d+ size:.*\(A4\)", info)) == pages, "every page A4"
    text = pages_text(libreoffice_pdf)
    first = norm(text[0])
    for value in (
        NATION,
        MOTTO,
        expected["body_parent"],
        expected["body_name"],
        expected["number"],
        expected["place_date"],
        "BÁO CÁO",
        "Phần thứ nhất",
    ):
        assert norm(value) in first, value
    # the hidden title block prints nothing
    assert first.index(norm(expected["body_parent"])) < 40
    everything = norm(" ".join(text))
    numbers = [int(m) for m in re.findall(r"Bảng (\d+):", everything)]
    assert numbers[:3] == [1, 2, 3] and numbers == sorted(set(numbers)) and len(numbers) >= 10
    assert len(set(re.findall(r"Biểu đồ (\d+):", everything))) >= 2
    assert "Nơi nhận:" in everything and "Phụ lục" in everything
    for value in expected["signer"]:
        assert norm(value) in everything, value
    # a recipient may wrap in its column ("… Việt Nam thành" / "phố (b/c);"): read in reading order
    reading = norm(subprocess.run(["pdftotext", str(libreoffice_pdf), "-"], capture_output=True, text=True).stdout)
    for value in expected["recipients"]:
        assert norm("- " + value) in reading, value
    # The page number heads every page but the first.
    assert not re.match(r"\s*\d+\s*$", text[0].strip().splitlines()[0])
    for number, page in enumerate(text[1:], start=2):
        assert page.strip().splitlines()[0].strip() == str(number), (number, page[:80])


@needs_soffice
def test_libreoffice_uses_times_or_its_metric_twin(libreoffice_pdf):
    rows = subprocess.run(["pdffonts", str(libreoffice_pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
    fonts = {row.split()[0].split("+")[-1] for row in rows}
    text_fonts = {f for f in fonts if "Symbol" not in f}
    assert text_fonts and all(f.startswith(("TimesNewRoman", "LiberationSerif")) for f in text_fonts), fonts
    assert any("Bold" in f for f in text_fonts) and any("Italic" in f for f in text_fonts)


# --- deterministic --------------------------------------------------------------------------


def test_rendering_again_elsewhere_gives_the_same_bytes(build_2023, docx, renderer, tmp_path, sample_project):
    """The same document and figures rendered again, in another folder: the same .docx."""
    doc = tmp_path / "again" / "bao-cao-2023.qmd"
    doc.parent.mkdir()
    shutil.copy(build_2023 / "bao-cao-2023.qmd", doc)
    shutil.copytree(build_2023 / "figures", doc.parent / "figures")
    out = get_renderer(renderer).render(doc, ("docx",), options=RenderOptions.from_project(sample_project))
    assert out["docx"].read_bytes() == docx.read_bytes()


def test_reference_docx_is_what_its_script_makes():
    """report/word/reference.docx is scripts/make_reference_docx.py's output for the pinned
    pandoc (run the script again after changing pandoc)."""
    script = load_script(ROOT / "scripts" / "make_reference_docx.py")
    made = read_parts(script.build(script.pandoc_default()))
    committed = read_parts((ROOT / "report" / "word" / "reference.docx").read_bytes())
    assert made == committed


# --- the `formats` setting ---------------------------------------------------------------


def test_formats_setting_turns_the_docx_off_and_on(sample_project, tmp_path, renderer):
    """`baocao.formats: [html, pdf]` in _quarto.yml: no .docx, and one written before goes
    (with its manifest entry); back to the default, it is written again."""
    project = copy_project(tmp_path / "p", years=[2021, 2022, 2023])
    shutil.copytree(sample_project / "build", project / "build")  # incremental: only the render steps run
    config = project / "_quarto.yml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("  formats: [html, pdf, docx]", "  formats: [html, pdf]"), encoding="utf-8")
    assert "formats: [html, pdf]\n" in config.read_text(encoding="utf-8")
    proc = run_cli("build", "--year", "2023", "--renderer", renderer, cwd=project)
    build = project / "build" / "2023"
    assert not (build / "bao-cao-2023.docx").exists() and ".docx" not in proc.stdout
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert "bao-cao-2023.docx" not in manifest["outputs"] and "bao-cao-2023.pdf" in manifest["outputs"]
    config.write_text(original, encoding="utf-8")
    proc = run_cli("build", "--year", "2023", "--renderer", renderer, cwd=project)
    assert proc.stdout.strip().endswith("build/2023/bao-cao-2023.docx")
    assert (build / "bao-cao-2023.docx").read_bytes() == (
        sample_project / "build" / "2023" / "bao-cao-2023.docx"
    ).read_bytes()
