"""Render tests: the pandoc backend end to end on tests/data/render/sample.qmd, read back the
way a reviewer would (pypdf for the PDF, the HTML source), plus the Quarto backend where
Quarto is installed.

The fixture exercises every composer convention: parts and part titles, numbered headings,
pipe tables with right-aligned numbers and escaped data (``\\<script\\>``, ``\\*``, ``\\|``),
an SVG figure, a landscape appendix table and the `baocao:` header/signature metadata.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from baocao.errors import ConfigError, InputError, ToolMissingError
from baocao.render import RenderOptions, get_renderer
from baocao.render.pandoc import PandocRenderer, check_image_target

PROJECT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "data" / "render"
A4 = (595.0, 842.0)
TOP_MARGIN_PT = 20 / 25.4 * 72  # 20 mm

TITLE = "Báo cáo tổng kết công tác Mặt trận năm 2023, phương hướng nhiệm vụ năm 2024"
SUBTITLE = "Tổng kết công tác Mặt trận năm 2023, phương hướng nhiệm vụ năm 2024"
AUTHOR = "Ủy ban MTTQ Việt Nam phường Bình Ngọc"


def norm(text: str) -> str:
    """NFC, one space between words (PDF extraction breaks lines anywhere)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    return dest / "sample.qmd"


@pytest.fixture(scope="module")
def options() -> RenderOptions:
    return RenderOptions.from_project(PROJECT)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, options) -> dict[str, Path]:
    qmd = copy_fixture(tmp_path_factory.mktemp("render-a") / "doc")
    return PandocRenderer().render(qmd, ("html", "pdf"), options=options)


@pytest.fixture(scope="module")
def rendered_again(tmp_path_factory, options) -> dict[str, Path]:
    qmd = copy_fixture(tmp_path_factory.mktemp("render-b") / "another-folder")
    return PandocRenderer().render(qmd, ("html", "pdf"), options=options)


@pytest.fixture(scope="module")
def pdf(rendered) -> PdfReader:
    return PdfReader(rendered["pdf"])


@pytest.fixture(scope="module")
def pdf_text(pdf) -> str:
    return norm(" ".join(page.extract_text() for page in pdf.pages))


@pytest.fixture(scope="module")
def html(rendered) -> str:
    return rendered["html"].read_text(encoding="utf-8")


def top_margin_text(page) -> str:
    """Text drawn in the page's top margin (where Nghị định 30 puts the page number)."""
    height = float(page.mediabox.height)
    found: list[str] = []

    def visit(text, cm, tm, font_dict, font_size):
        y = tm[5] * cm[3] + cm[5] if cm[3] else tm[5]
        if text.strip() and y > height - TOP_MARGIN_PT:
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return " ".join(found)


# --- outputs ------------------------------------------------------------------------------


def test_outputs_are_written_next_to_the_document(rendered):
    assert rendered["html"].name == "sample.html"
    assert rendered["pdf"].name == "sample.pdf"
    assert rendered["html"].parent == rendered["pdf"].parent
    leftovers = [p.name for p in rendered["pdf"].parent.iterdir() if p.name.startswith(".baocao-tmp-")]
    assert leftovers == []


# --- PDF ----------------------------------------------------------------------------------


def test_pdf_is_a4_portrait_with_a_landscape_appendix_page(pdf):
    first = pdf.pages[0].mediabox
    assert abs(float(first.width) - A4[0]) <= 1 and abs(float(first.height) - A4[1]) <= 1
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pdf.pages}
    assert (842, 595) in sizes, f"no landscape page: {sizes}"
    # The landscape page holds the appendix heading and its table.
    landscape = [p for p in pdf.pages if float(p.mediabox.width) > float(p.mediabox.height)]
    text = norm(landscape[0].extract_text())
    assert "Phụ lục" in text and "Bảng 2" in text and "Tổng cộng" in text


def test_pdf_text_keeps_every_diacritic(pdf_text):
    for expected in (
        "BÁO CÁO",
        SUBTITLE,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN MTTQ VIỆT NAM",
        "PHƯỜNG BÌNH NGỌC",
        "Số: 45/BC-MTTQ-BTT",
        "Bình Ngọc, ngày 05 tháng 12 năm 2023",
        "Phần thứ nhất",
        "KẾT QUẢ CÔNG TÁC MẶT TRẬN NĂM 2023",
        "Bảng 1: Kết quả thực hiện chỉ tiêu năm 2023",
        "Biểu đồ 1",
        "a) Tuyên truyền chủ trương, chính sách",  # bold italic
        "b) Ngày hội Đại đoàn kết toàn dân tộc",
        "TM. BAN THƯỜNG TRỰC",
        "CHỦ TỊCH",
        "Khổng Minh Nguyên",
        "Nơi nhận:",
        "- Lưu: VT.",
    ):
        assert norm(expected) in pdf_text, expected


def test_pdf_escaped_data_stays_text(pdf_text):
    assert "<script>alert(1)</script>" in pdf_text
    assert "*not bold*" in pdf_text
    assert "a | b" in pdf_text


def test_pdf_page_numbers_in_the_top_margin_but_not_on_page_1(pdf):
    assert top_margin_text(pdf.pages[0]) == ""
    assert top_margin_text(pdf.pages[1]) == "2"


def test_pdf_metadata_and_pdfa(pdf):
    meta = pdf.metadata
    assert norm(meta.title) == norm(TITLE)
    assert norm(meta.author) == norm(AUTHOR)
    # The creation date is the report's date (00:00 UTC: the same day in Việt Nam), never
    # the clock.
    assert meta["/CreationDate"].startswith("D:20231205000000")
    xmp = pdf.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp


@pytest.mark.parametrize("family", ["Liberation Serif", "Libertinus Serif"])
def test_every_vietnamese_letter_survives_every_style_of_the_layout(family):
    """Fonts can lack letters without typst warning (Libertinus Serif Bold Italic has no
    ơ/ư/ủ…): typeset all 134 letters in every style the layout uses (regular, bold, italic,
    bold italic, headings) with the default font (Liberation Serif, from report/fonts) and the
    fallback (Libertinus Serif, built into typst), and read them back."""
    import io

    import typst

    base = "aăâeêioôơuưy"
    tones = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]
    letters = "".join(unicodedata.normalize("NFC", b + t) for b in base for t in tones) + "đ"
    letters += letters.upper()
    template = (PROJECT / "report" / "typst" / "typst-template.typ").read_text(encoding="utf-8")
    styles = ["{}", "*{}*", "_{}_", "*_{}_*", "_*{}*_", "\n==== {}\n", "\n== _{}_\n"]
    body = "\n\n".join(s.format(letters) for s in styles)
    source = template + f'\n#show: doc => baocao-report(font: ("{family}",), doc)\n' + body
    pdf, warnings = typst.compile_with_warnings(
        source.encode("utf-8"), format="pdf", ignore_system_fonts=True, font_paths=[str(PROJECT / "report" / "fonts")]
    )
    assert warnings == []
    used = {
        str(f.get_object()["/BaseFont"]).split("+")[-1]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for f in (page["/Resources"].get_object().get("/Font") or {}).values()
    }
    assert used and all(name.startswith(family.replace(" ", "")) for name in used), used
    text = unicodedata.normalize("NFC", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == [letters] * len(styles)


# --- HTML ---------------------------------------------------------------------------------


def test_html_is_vietnamese_self_contained_and_offline(html):
    assert re.search(r'<html[^>]*\blang="vi"', html)
    assert "<table" in html and "Bảng 1: Kết quả thực hiện chỉ tiêu năm 2023" in html
    assert re.search(r'<img[^>]+src="data:image/svg\+xml;base64,', html)
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    assert refs, "expected some src/href attributes"
    assert not [r for r in refs if re.match(r"\s*['\"]?(https?:)?//", r)]
    assert "Content-Security-Policy" in html and "default-src &#39;none&#39;" in html
    assert "Mục lục" in html


def test_html_escaped_data_stays_text(html):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<script", html, re.IGNORECASE)
    assert "*not bold*" in html
    assert not re.search(r"<(strong|em)>not bold", html)
    assert ">a | b<" in html


def test_html_header_and_signature_blocks(html):
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 45/BC-MTTQ-BTT",
        "Khổng Minh Nguyên",
        "Nơi nhận:",
    ):
        assert expected in html, expected
    # The signature comes before the appendix part.
    assert html.index('class="signature"') < html.index("Phụ lục</h1>")
    assert 'class="table-wrap"' in html


# --- determinism and safety --------------------------------------------------------------


def test_two_renders_in_different_folders_are_byte_identical(rendered, rendered_again):
    assert rendered["html"].read_bytes() == rendered_again["html"].read_bytes()
    assert rendered["pdf"].read_bytes() == rendered_again["pdf"].read_bytes()


def test_image_outside_figures_is_refused(tmp_path, options):
    qmd = copy_fixture(tmp_path / "doc")
    (tmp_path / "secret.txt").write_text("secret-token-123", encoding="utf-8")
    text = qmd.read_text(encoding="utf-8")
    qmd.write_text(text + "\n![x](../secret.txt)\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        PandocRenderer().render(qmd, ("html",), options=options)
    assert "../secret.txt" in str(err.value)
    assert not qmd.with_suffix(".html").exists()


@pytest.mark.parametrize(
    "target",
    [
        "../../secret.txt",
        "figures/../../secret.txt",
        "/etc/passwd",
        "https://example.com/x.png",
        "data:image/png;base64,AAAA",
        "figures/missing.svg",
        "figures/quy-vnn.svg?x=1",
        "secret.svg",
        "figures/notes.txt",
    ],
)
def test_image_targets_refused(target, tmp_path):
    qmd = copy_fixture(tmp_path / "doc")
    (qmd.parent / "figures" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError):
        check_image_target(target, qmd.parent, qmd)


def test_image_symlink_out_of_figures_is_refused(tmp_path):
    qmd = copy_fixture(tmp_path / "doc")
    (tmp_path / "outside.svg").write_text("<svg/>", encoding="utf-8")
    (qmd.parent / "figures" / "link.svg").symlink_to(tmp_path / "outside.svg")
    with pytest.raises(InputError):
        check_image_target("figures/link.svg", qmd.parent, qmd)
    assert check_image_target("figures/quy-vnn.svg", qmd.parent, qmd) == "figures/quy-vnn.svg"


def test_missing_font_is_an_environment_error(tmp_path, options):
    qmd = copy_fixture(tmp_path / "doc")
    only_tnr = dataclasses.replace(options, fonts=("A Font Nobody Has",), font_paths=())
    with pytest.raises(ToolMissingError) as err:
        PandocRenderer().render(qmd, ("pdf",), options=only_tnr)
    assert err.value.exit_code == 3
    assert not qmd.with_suffix(".pdf").exists()


def test_a_font_the_user_adds_is_used_in_the_order_configured(tmp_path, options):
    """`baocao.fonts` is a preference list: a family whose files the user drops into the
    font folder (here DejaVu Serif from the matplotlib wheel, standing in for Times New
    Roman) is used; families nobody has are skipped without a typst warning."""
    import matplotlib

    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for name in ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf"):
        shutil.copy(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name, fonts / name)
    qmd = copy_fixture(tmp_path / "doc")
    wanted = dataclasses.replace(
        options, fonts=("Times New Roman", "DejaVu Serif", "Libertinus Serif"), font_paths=(fonts,)
    )
    assert PandocRenderer()._fonts(wanted, {}) == ("DejaVu Serif", "Libertinus Serif")
    out = PandocRenderer().render(qmd, ("pdf",), options=wanted)
    reader = PdfReader(out["pdf"])
    used = set()
    for page in reader.pages:
        for font in (page["/Resources"].get_object().get("/Font") or {}).values():
            used.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert used and all(name.startswith("DejaVuSerif") for name in used), used
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in norm(" ".join(p.extract_text() for p in reader.pages))


# --- options and backend choice -------------------------------------------------------


def test_options_come_from_quarto_yml(options):
    assert options.lang == "vi"
    assert options.papersize == "a4"
    assert options.fontsize == "13pt"
    assert options.toc is True and options.toc_title == "Mục lục" and options.toc_depth == 3
    assert options.typst_toc is False
    assert options.pdf_standard == "a-2b"
    assert [p.name for p in options.filters] == ["baocao.lua"]
    assert {p.name for p in options.typst_partials} == {"typst-template.typ", "typst-show.typ"}


def test_formats_and_the_word_layout_come_from_quarto_yml(options, tmp_path):
    assert options.formats == ("html", "pdf", "docx")
    assert options.reference_doc == PROJECT / "report" / "word" / "reference.docx"
    assert options.reference_doc in options.assets()  # copied into Quarto's scratch project
    assert options.fonts[:3] == ("Times New Roman", "Liberation Serif", "Libertinus Serif")
    # then the fallbacks for pasted text (report/fonts/README.md)
    assert options.fonts[3:] == (
        "Noto Sans Symbols",
        "Noto Sans Symbols2",
        "Noto Emoji",
        "Noto Sans CJK SC",
        "Noto Serif Khmer",
        "Noto Serif Lao",
    )
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "report", project / "report")
    config = yaml.safe_load((PROJECT / "_quarto.yml").read_text(encoding="utf-8"))

    def with_formats(value) -> RenderOptions:
        config["baocao"]["formats"] = value
        (project / "_quarto.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        return RenderOptions.from_project(project)

    assert with_formats(["pdf", "HTML"]).formats == ("html", "pdf")
    for wrong in (["html", "odt"], [], "none"):
        with pytest.raises(ConfigError) as err:
            with_formats(wrong)
        assert "baocao.formats" in str(err.value)
    del config["format"]["docx"]
    with pytest.raises(ConfigError, match="format.docx"):
        with_formats(["html", "docx"])
    del config["baocao"]["formats"]
    (project / "_quarto.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert RenderOptions.from_project(project).formats == ("html", "pdf")  # no format.docx: no Word


def test_quarto_renders_only_the_wanted_formats_in_one_call(options):
    """The scratch project's _quarto.yml lists only the wanted formats, so that one `quarto
    render` writes them all and nothing else (Quarto 1.7 takes one --to per call)."""
    from baocao.render.quarto import workspace_config

    original = yaml.safe_load(options.config_file.read_text(encoding="utf-8"))
    every = yaml.safe_load(workspace_config(options, ("html", "pdf", "docx")).decode("utf-8"))
    assert every["format"] == original["format"]
    narrowed = yaml.safe_load(workspace_config(options, ("docx", "html")).decode("utf-8"))
    assert list(narrowed["format"]) == ["html", "docx"]
    site_keys = ("format", "project", "metadata-files")
    assert {k: v for k, v in narrowed.items() if k not in site_keys} == {
        k: v for k, v in original.items() if k not in site_keys
    }


def test_a_reports_scratch_project_has_none_of_the_sites_keys(options):
    """The project's _quarto.yml is a website with a pre-render step and a page list: a
    report's scratch project is a default project without them (else Quarto would run the
    site's build from inside a report's render, or skip the report as not in the list)."""
    from baocao.render.quarto import workspace_config

    original = yaml.safe_load(options.config_file.read_text(encoding="utf-8"))
    assert original["project"]["type"] == "website" and "pre-render" in original["project"]
    scratch = yaml.safe_load(workspace_config(options, ("html", "pdf", "docx")).decode("utf-8"))
    assert scratch["project"] == {"type": "default"}
    assert "metadata-files" not in scratch


def test_a_wrong_key_in_quarto_yml_is_named(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "report", project / "report")
    config = yaml.safe_load((PROJECT / "_quarto.yml").read_text(encoding="utf-8"))
    config["format"]["typst"]["fontsize"] = "big"
    (project / "_quarto.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        RenderOptions.from_project(project)
    assert "_quarto.yml" in str(err.value) and "format.typst.fontsize" in str(err.value)

    del config["format"]["html"]["css"]
    config["format"]["typst"]["fontsize"] = "13pt"
    (project / "_quarto.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="format.html.css"):
        RenderOptions.from_project(project)


def test_renderer_choice_without_quarto(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert get_renderer("auto").name == "pandoc"
    with pytest.raises(ToolMissingError) as err:
        get_renderer("quarto")
    assert err.value.exit_code == 3
    assert "--renderer pandoc" in str(err.value) and "Quarto" in str(err.value)


def test_pandoc_versions():
    versions = PandocRenderer().versions()
    assert versions["pandoc"] and versions["typst"]


# --- Quarto ---------------------------------------------------------------------------------

FAKE_QUARTO = """#!/bin/sh
# Stands in for `quarto render` of a project: writes each document's outputs next to it, as a
# Quarto that ignores _quarto.yml would (no header, no CSP, no TOC, not a PDF, not a .docx).
if [ "$1" = "--version" ]; then echo 9.9.9; exit 0; fi
if [ "$1" = "--paths" ] || [ "$1" = "pandoc" ] || [ "$1" = "typst" ]; then exit 1; fi
[ -n "$FAIL_TO" ] && { echo "ERROR: boom in $(ls */*.qmd)" >&2; exit 1; }
echo "$*" >> "${CALLS:-/dev/null}"
seen="$(ls | tr '\\n' ' ')"
for doc in */*.qmd; do
  stem="${doc%.qmd}"
  echo "<html>$SOURCE_DATE_EPOCH $(basename "$PWD"): $seen| $(ls "$(dirname "$doc")" | tr '\\n' ' ')</html>" > "$stem.html"
  printf '%%PDF-fake' > "$stem.pdf"
  printf 'PK-fake' > "$stem.docx"
done
"""


def test_quarto_backend_plumbing_with_a_stand_in(tmp_path, monkeypatch, options):
    """The Quarto backend's own logic, with a shell script standing in for Quarto: a scratch
    project of its own (wherever the document is), one call for both formats, errors, and
    the output checks: a render that ignored _quarto.yml fails with exit 3, and nothing of
    the previous outputs is replaced."""
    from baocao.errors import RenderCheckError
    from baocao.render import RenderError
    from baocao.render.quarto import RENDER_TIME, WORKSPACE, QuartoRenderer

    fake = tmp_path / "quarto"
    fake.write_text(FAKE_QUARTO, encoding="utf-8")
    fake.chmod(0o755)
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "report", project / "report")
    shutil.copy(PROJECT / "_quarto.yml", project / "_quarto.yml")
    # a staging folder under a dot folder, as real builds use: Quarto would leave it out of the project
    qmd = copy_fixture(project / "build" / ".2023.staging")
    assert (qmd.parent / "figures").is_dir()
    opts = RenderOptions.from_project(project)
    renderer = QuartoRenderer(executable=str(fake))
    assert renderer.versions() == {"pandoc": "unknown", "quarto": "9.9.9", "typst": "unknown"}
    assert renderer.pdf_standard(opts) == "a-2b"  # Quarto passes pdf-standard on from 1.9 …
    monkeypatch.setattr("baocao.render.quarto._tool_versions", lambda q: (("quarto", "1.7.34"),))
    assert renderer.pdf_standard(opts) is None  # … and not before

    for path in (qmd.with_suffix(".html"), qmd.with_suffix(".pdf"), qmd.with_suffix(".docx")):
        path.write_text("previous", encoding="utf-8")
    with pytest.raises(RenderCheckError) as err:
        renderer.render(qmd, options=opts)
    assert err.value.exit_code == 3
    message = str(err.value)
    assert "'quarto'" in message and "_quarto.yml" in message
    for finding in (
        "unreadable PDF",
        "Content-Security-Policy",
        "table of contents",
        "header blocks",
        "unreadable .docx",
    ):
        assert finding in message, finding
    assert all(qmd.with_suffix(s).read_text() == "previous" for s in (".html", ".pdf", ".docx"))
    assert sorted(p.name for p in qmd.parent.iterdir() if p.is_file()) == [
        "sample.docx",
        "sample.html",
        "sample.pdf",
        "sample.qmd",
    ]

    # What the stand-in saw: one call, in a visible scratch project holding _quarto.yml and the
    # assets it names, the document and its figures in a folder of their own (checked here
    # without the output checks), SOURCE_DATE_EPOCH the one time of every render.
    monkeypatch.setattr(QuartoRenderer, "finish", lambda self, q, produced, o: produced)
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS", str(calls))
    produced = renderer.render(qmd, options=opts)
    html = produced["html"].decode()
    assert html.startswith(f"<html>{int(RENDER_TIME.timestamp())} {WORKSPACE}: ")
    at_root, in_folder = html.split(": ", 1)[1].split("|")
    assert at_root.split() == ["_quarto.yml", "report", "sample"]
    assert in_folder.split()[:2] == ["figures", "sample.qmd"]
    assert produced["pdf"] == b"%PDF-fake" and produced["docx"] == b"PK-fake"
    assert calls.read_text().splitlines() == ["render"]

    monkeypatch.setenv("FAIL_TO", "1")
    with pytest.raises(RenderError, match="boom"):
        renderer.render(qmd, options=opts)
    assert qmd.with_suffix(".html").read_text() == "previous"


@pytest.mark.skipif(shutil.which("quarto") is None, reason="Quarto is not installed (quarto not on PATH)")
def test_quarto_backend_renders_the_same_document(tmp_path):
    # A throwaway project: Quarto reads the nearest _quarto.yml above the document.
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "report", project / "report")
    shutil.copy(PROJECT / "_quarto.yml", project / "_quarto.yml")
    qmd = copy_fixture(project / "build" / "2023")
    renderer = get_renderer("quarto")
    outputs = renderer.render(qmd, ("html", "pdf"), options=RenderOptions.from_project(project))
    reader = PdfReader(outputs["pdf"])
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - A4[0]) <= 1 and abs(float(box.height) - A4[1]) <= 1
    text = norm(" ".join(p.extract_text() for p in reader.pages))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Khổng Minh Nguyên" in text
    html = outputs["html"].read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="vi"', html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r'(src|href)="https?://', html)
    assert sorted(p.name for p in qmd.parent.iterdir() if p.is_file()) == ["sample.html", "sample.pdf", "sample.qmd"]


def test_the_docx_check_sees_letter_paper_and_missing_header_blocks(options):
    """render/checks.py on a .docx as Word would lay it out without the reference document:
    US Letter (or no page size at all) and no NĐ 30 header."""
    from baocao.render.checks import docx_problems
    from baocao.render.docx import write_zip

    front = {"baocao": {"nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "number": "Số: 45/BC-MTTQ-BTT"}}
    body = '<w:p><w:r><w:t xml:space="preserve">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</w:t></w:r></w:p>'

    def docx(sect: str, text: str = body) -> bytes:
        return write_zip([("word/document.xml", f"<w:document><w:body>{text}{sect}</w:body></w:document>".encode())])

    a4 = '<w:sectPr><w:pgSz w:h="16838" w:w="11906"/></w:sectPr>'
    letter = '<w:sectPr><w:pgSz w:w="12240" w:h="15840"/></w:sectPr>'
    assert docx_problems(docx(a4, body.replace("VIỆT NAM", "VIỆT NAM Số: 45/BC-MTTQ-BTT")), front, options) == []
    problems = docx_problems(docx(letter), front, options)
    assert any("paper is not a4" in p for p in problems) and any("Số: 45/BC-MTTQ-BTT" in p for p in problems)
    # a landscape section of its own that lost the page size (what Quarto 1.7 writes for a
    # landscape div) is named too
    lost = "<w:p><w:pPr><w:sectPr></w:sectPr></w:pPr></w:p>"
    assert any("section 1 has no page size" in p for p in docx_problems(docx(a4, lost + body), front, options))
    assert docx_problems(b"PK not a zip", front, options)[0].startswith(".docx không đọc được / unreadable .docx")
