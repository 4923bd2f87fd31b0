"""The 2023 PDF, checked point by point against the issue and Nghị định 30/2020/NĐ-CP with
real PDF tools: poppler (pdfinfo, pdffonts, pdftotext -bbox-layout), pypdf (text runs with
their font and size, content streams, XMP), fontTools (the embedded font programs) and qpdf.

Expected words come from the project's baocao.yml and the year's thong-tin-bao-cao.yml,
never from this file. The report is built once per session (`build_2023`, conftest.py).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from baocao import vnformat as vn

pytestmark = pytest.mark.e2e

MM = 72 / 25.4
A4 = (595.28, 841.89)
# Nghị định 30: top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGIN_MM = {"top": (20, 25), "bottom": (20, 25), "left": (30, 35), "right": (15, 20)}
TOL = 1.5  # pt

needs_poppler = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdfinfo", "pdffonts", "pdftotext")),
    reason="poppler-utils (pdfinfo, pdffonts, pdftotext) is not installed",
)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


# --- what the report should say, from the project's own configuration ----------------------


@dataclass(frozen=True)
class Expected:
    unit_name: str
    body_parent: str
    body_name: str
    number_line: str
    place_date: str
    date_iso: str
    signer_on_behalf: str
    signer_title: str
    signer_name: str
    recipients: tuple[str, ...]
    fonts: tuple[str, ...]


@pytest.fixture(scope="module")
def expected(sample_project) -> Expected:
    import yaml

    from baocao.config import Project
    from baocao.narrative import load_meta

    project = Project.find(sample_project)
    meta = load_meta(project, 2023)
    unit = project.unit
    quarto = yaml.safe_load((sample_project / "_quarto.yml").read_text(encoding="utf-8"))
    return Expected(
        unit_name=unit.name,
        body_parent=unit.body_parent,
        body_name=unit.body_name,
        number_line=f"Số: {meta.number}/{unit.symbol}",
        place_date=f"{unit.place}, {vn.fmt_date_long(meta.date)}",
        date_iso=meta.date.isoformat(),
        signer_on_behalf=meta.signer_on_behalf,
        signer_title=meta.signer_title,
        signer_name=meta.signer_name,
        recipients=tuple(meta.recipients),
        fonts=tuple(quarto["baocao"]["fonts"]),
    )


# --- the PDF, read three ways ---------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A line of text as pdftotext -bbox-layout sees it (PDF points, origin top left)."""

    page: int  # 1-based
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Run:
    """A text run as drawn: its text, font, size and start (pypdf's visitor; PDF points,
    origin top left like `Line`)."""

    page: int
    text: str
    font: str
    size: float
    x: float
    y: float  # baseline

    def within(self, line: Line) -> bool:
        return self.page == line.page and line.y0 - 1 <= self.y <= line.y1 + 1 and line.x0 - 1 <= self.x <= line.x1 + 1


class Report:
    def __init__(self, pdf: Path):
        self.path = pdf
        self.reader = PdfReader(pdf)

    @cached_property
    def sizes(self) -> list[tuple[float, float]]:
        return [(float(p.mediabox.width), float(p.mediabox.height)) for p in self.reader.pages]

    def text_box(self, page: int) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 of the text area of a page, from the margins asked for."""
        w, h = self.sizes[page - 1]
        return (
            MARGIN_MM["left"][0] * MM,
            MARGIN_MM["top"][0] * MM,
            w - MARGIN_MM["right"][0] * MM,
            h - MARGIN_MM["bottom"][0] * MM,
        )

    @cached_property
    def lines(self) -> list[Line]:
        xhtml = run("pdftotext", "-bbox-layout", str(self.path), "-")
        xhtml = re.sub(r"<!DOCTYPE[^>]*>", "", xhtml)
        ns = {"x": "http://www.w3.org/1999/xhtml"}
        root = ET.fromstring(xhtml)
        out = []
        for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
            for line in page.iterfind(".//x:line", ns):
                words = [w.text or "" for w in line.iterfind("x:word", ns)]
                out.append(
                    Line(number, norm(" ".join(words)), *(float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                )
        return out

    def find(self, text: str, *, page: int | None = None) -> list[Line]:
        """Lines whose text starts with ``text`` (NFC, spaces normalised)."""
        text = norm(text)
        return [ln for ln in self.lines if ln.text.startswith(text) and (page is None or ln.page == page)]

    def one(self, text: str, *, page: int | None = None) -> Line:
        found = self.find(text, page=page)
        assert len(found) == 1, f"{text!r}: expected one line, found {[(f.page, f.text) for f in found]}"
        return found[0]

    @cached_property
    def runs(self) -> list[Run]:
        out: list[Run] = []
        for number, page in enumerate(self.reader.pages, start=1):
            height = float(page.mediabox.height)

            def visit(text, cm, tm, font_dict, font_size, number=number, height=height):
                if text.strip() and font_dict is not None:
                    scale = abs(tm[3] * cm[3]) or 1
                    x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                    y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                    out.append(
                        Run(
                            number,
                            unicodedata.normalize("NFC", text),
                            str(font_dict["/BaseFont"]),
                            round(font_size * scale, 2),
                            x,
                            height - y,
                        )
                    )

            page.extract_text(visitor_text=visit)
        return out

    def runs_in(self, line: Line) -> list[Run]:
        """The runs drawn on a line."""
        runs = [r for r in self.runs if r.within(line)]
        assert runs, f"no text run found on {line}"
        return runs

    @cached_property
    def text(self) -> str:
        return norm(" ".join(ln.text for ln in self.lines))

    @cached_property
    def landscape_pages(self) -> list[int]:
        return [i for i, (w, h) in enumerate(self.sizes, start=1) if w > h]


@pytest.fixture(scope="module")
def report(build_2023) -> Report:
    return Report(build_2023 / "bao-cao-2023.pdf")


# --- 1. paper, margins, page numbers --------------------------------------------------------


def test_every_page_is_a4_portrait_except_landscape_appendix_pages(report):
    assert report.landscape_pages, "the wide appendix table should be on a landscape page"
    for number, (w, h) in enumerate(report.sizes, start=1):
        expect = (A4[1], A4[0]) if number in report.landscape_pages else A4
        assert abs(w - expect[0]) < 1 and abs(h - expect[1]) < 1, (number, w, h)
    appendix = report.one("SỐ LIỆU CHI TIẾT").page
    assert min(report.landscape_pages) == appendix, "landscape pages belong to the appendix"


@needs_poppler
def test_poppler_sees_a4(report):
    sizes = re.findall(
        r"Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts \(A4\)", run("pdfinfo", "-f", "1", "-l", "999", str(report.path))
    )
    assert len(sizes) == len(report.sizes), "poppler names every page A4"


@needs_poppler
def test_margins(report):
    """Text stays inside 30 mm left, 15 mm right, 20 mm top/bottom (page numbers sit in the
    top margin), and the body text reaches both the left and the right margin (justified)."""
    for number, (w, h) in enumerate(report.sizes, start=1):
        x0, y0, x1, y1 = report.text_box(number)
        page_lines = [ln for ln in report.lines if ln.page == number]
        body = [ln for ln in page_lines if not re.fullmatch(r"\d+", ln.text)]
        assert body, f"page {number} is empty"
        assert min(ln.x0 for ln in body) >= x0 - TOL, (number, "left", min(ln.x0 for ln in body) / MM)
        assert max(ln.x1 for ln in body) <= x1 + TOL, (number, "right", (w - max(ln.x1 for ln in body)) / MM)
        assert min(ln.y0 for ln in body) >= y0 - TOL, (number, "top", min(ln.y0 for ln in body) / MM)
        assert max(ln.y1 for ln in body) <= y1 + TOL, (number, "bottom", (h - max(ln.y1 for ln in body)) / MM)
    portrait = [n for n in range(1, len(report.sizes) + 1) if n not in report.landscape_pages]
    lefts = [ln.x0 for ln in report.lines if ln.page in portrait]
    rights = [ln.x1 for ln in report.lines if ln.page in portrait]
    assert abs(min(lefts) - MARGIN_MM["left"][0] * MM) < TOL, "text starts at the 30 mm margin"
    assert abs(max(rights) - (A4[0] - MARGIN_MM["right"][0] * MM)) < TOL, "justified text ends at 15 mm"


@needs_poppler
def test_page_numbers_centred_in_the_top_margin_none_on_page_1(report):
    top = MARGIN_MM["top"][0] * MM
    assert not [ln for ln in report.lines if ln.page == 1 and ln.y1 <= top + TOL], "no number on page 1"
    for number in range(2, len(report.sizes) + 1):
        in_margin = [ln for ln in report.lines if ln.page == number and ln.y1 <= top + TOL]
        assert [ln.text for ln in in_margin] == [str(number)], (number, in_margin)
        x0, _, x1, _ = report.text_box(number)
        assert abs(in_margin[0].xc - (x0 + x1) / 2) < 2, f"page {number}: number not centred"
    sizes = {r.size for r in report.runs if r.page == 2 and r.text.strip() == "2"}
    assert sizes & {13.0, 14.0}, f"page number size {sizes}: Nghị định 30 asks for 13–14 pt"


# --- 2. the header block, title and parts ---------------------------------------------------


@needs_poppler
def test_header_block(report, expected):
    x0, _, x1, _ = report.text_box(1)
    middle = (x0 + x1) / 2
    left = [report.one(t, page=1) for t in (expected.body_parent, expected.body_name, expected.number_line)]
    right = [
        report.one(t, page=1)
        for t in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", expected.place_date)
    ]
    assert all(ln.x1 < middle for ln in left), "issuing body and number on the left"
    assert all(ln.x0 > middle - 30 for ln in right), "national title, motto, place and date on the right"
    # Each column is centred on itself, and the lines come in this order from the top.
    for column in (left, right):
        assert [ln.y0 for ln in column] == sorted(ln.y0 for ln in column)
        assert max(ln.xc for ln in column) - min(ln.xc for ln in column) < 3
    assert left[0].y0 == pytest.approx(right[0].y0, abs=2), "both columns start on the same line"
    # Weights, styles and sizes (NĐ 30, Phụ lục I).
    body_parent, body_name, number = (report.runs_in(ln) for ln in left)
    nation, motto, place_date = (report.runs_in(ln) for ln in right)
    assert all("Bold" not in r.font and r.size in (12, 12.5, 13) for r in body_parent)
    assert all("Bold" in r.font and r.size in (12, 12.5, 13) for r in body_name)
    assert all("Bold" not in r.font and r.size in (13, 14) for r in number)
    assert all("Bold" in r.font and r.size in (12, 12.5, 13) for r in nation)
    assert all("Bold" in r.font and r.size in (13, 14) for r in motto)
    assert all("Italic" in r.font and r.size in (13, 14) for r in place_date), "place and date in italics"


def test_the_date_line_follows_nd30(expected):
    # NĐ 30 (Phụ lục I): a leading zero for days < 10 and for months 1 and 2 only.
    assert re.search(r"ngày \d{2} tháng (0[12]|[3-9]|1[0-2]) năm \d{4}$", expected.place_date), expected.place_date


@needs_poppler
def test_title_and_parts_are_centred_headings(report):
    x0, _, x1, _ = report.text_box(1)
    for text in (
        "BÁO CÁO",
        "Phần thứ nhất",
        "KẾT QUẢ CÔNG TÁC MẶT TRẬN NĂM 2023",
        "Phần thứ hai",
        "PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2024",
    ):
        line = report.one(text)
        x0, _, x1, _ = report.text_box(line.page)
        assert abs(line.xc - (x0 + x1) / 2) < 3, f"{text!r} is not centred"
        runs = report.runs_in(line)
        assert all("Bold" in r.font for r in runs), f"{text!r} is not bold"
        assert {r.size for r in runs} <= {13.0, 14.0}, f"{text!r}: 13–14 pt"
    assert report.one("Phần thứ nhất").y0 < report.one("KẾT QUẢ CÔNG TÁC MẶT TRẬN NĂM 2023").y0


# --- 3. body text ---------------------------------------------------------------------------


@needs_poppler
def test_body_text_13pt_serif_justified_indented_spaced(report):
    chars = Counter()
    for r in report.runs:
        chars[(r.font.split("+")[-1], r.size)] += len(r.text)
    (font, size), _ = chars.most_common(1)[0]
    assert size in (13.0, 14.0), f"body text is {size} pt"
    assert "Serif" in font or "Times" in font, font
    # Paragraphs: the first line indented 1 cm, the lines after it at the margin.
    left = MARGIN_MM["left"][0] * MM
    portrait = [ln for ln in report.lines if ln.page not in report.landscape_pages]
    starts = Counter(round(ln.x0 - left) for ln in portrait)
    assert starts[0] > 50 and starts[round(10 * MM)] > 20, starts.most_common(5)
    # ≥ 6 pt between paragraphs: the gap above an indented line exceeds the usual line gap.
    # Body lines: wide lines set in the body size only (the box pdftotext gives a line depends
    # on the font's ascender and descender, so lines are picked by the size they are set in).
    body = sorted(
        (ln for ln in portrait if ln.x1 - ln.x0 > 200 and {r.size for r in report.runs_in(ln)} == {size}),
        key=lambda ln: (ln.page, ln.y0),
    )
    steps, para_steps = [], []
    for a, b in itertools.pairwise(body):
        if a.page != b.page or not 0 < b.y0 - a.y0 < 40:
            continue
        if abs(b.x0 - left - 10 * MM) < 1 and abs(a.x0 - left) < 1:
            # not after a heading: upright and regular ("LiberationSerif", "LibertinusSerif-Regular")
            if not any(re.search("Bold|Italic", r.font) for r in report.runs_in(a) + report.runs_in(b)):
                para_steps.append(b.y0 - a.y0)
        else:
            steps.append(b.y0 - a.y0)
    line_step = Counter(round(s, 1) for s in steps).most_common(1)[0][0]
    assert para_steps and min(para_steps) >= line_step + 6 - 0.5, (line_step, sorted(para_steps)[:5])


# --- 4. tables and charts -------------------------------------------------------------------


def _chart_heights(build: Path) -> list[float]:
    """Printed heights of the charts (drawn at 95% of the text width)."""
    printed = 0.95 * (A4[0] - (MARGIN_MM["left"][0] + MARGIN_MM["right"][0]) * MM)
    out = []
    for svg in sorted((build / "figures").glob("*.svg")):
        w, h = (
            float(v)
            for v in re.search(
                r'width="([\d.]+)pt" height="([\d.]+)pt"', svg.read_text(encoding="utf-8")[:600]
            ).groups()
        )
        out.append(h * printed / w)
    return out


@needs_poppler
def test_tables_and_charts_are_numbered_with_captions_that_stay_with_them(report, build_2023):
    shortest_chart = min(_chart_heights(build_2023))
    for label in ("Bảng", "Biểu đồ"):
        captions = [ln for ln in report.lines if re.match(rf"{label} \d+: \S", ln.text)]
        numbers = [int(re.match(rf"{label} (\d+):", ln.text)[1]) for ln in captions]
        assert numbers == list(range(1, len(numbers) + 1)), f"{label}: {numbers}"
        assert len(numbers) >= (4 if label == "Bảng" else 2)  # a chart that only repeats a table is not shown
        for cap in captions:
            page = sorted(
                (ln for ln in report.lines if ln.page == cap.page and not re.fullmatch(r"\d+", ln.text)),
                key=lambda ln: ln.y0,
            )
            rest = [ln for ln in page if ln.y0 > cap.y1 - 1 and ln is not cap]
            above = max(
                [ln.y1 for ln in page if ln.y1 < cap.y0 + 1 and ln is not cap], default=MARGIN_MM["top"][0] * MM
            )
            if label == "Bảng":  # caption above its table: the table starts on the same page
                assert rest, f"{cap.text!r} is the last line of page {cap.page}: its table is on the next page"
            else:  # caption below its chart (drawn as paths, no text): room for it above the caption
                assert cap.y0 - above >= 0.9 * shortest_chart, (
                    f"{cap.text!r}: no room for its chart above it on page {cap.page}"
                )


def test_charts_are_legible(build_2023):
    """Charts are drawn at the size they are printed (95% of the 165 mm text width), so their
    labels are printed at the size matplotlib set (≥ 9 pt), and no chart is taller than 12 cm."""
    for svg in sorted((build_2023 / "figures").glob("*.svg")):
        head = svg.read_text(encoding="utf-8")[:600]
        w, h = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', head).groups())
        printed = 0.95 * (A4[0] - (MARGIN_MM["left"][0] + MARGIN_MM["right"][0]) * MM)
        scale = printed / w
        assert 0.9 < scale < 1.15, f"{svg.name}: drawn {w / 72:.1f} in wide, printed {printed / 72:.1f} in"
        assert h * scale <= 12 * 10 * MM, f"{svg.name}: {h * scale / MM:.0f} mm tall"


@needs_poppler
def test_wide_table_on_a_landscape_page_with_a_total_row(report):
    caption = report.find("Biểu số")  # the appendix's own numbering (issue 20)
    wide = [c for c in caption if "theo khu dân cư" in c.text and c.page in report.landscape_pages]
    assert wide, "the per-khu table is on a landscape page"
    page = [ln for ln in report.lines if ln.page == wide[0].page]
    assert any(ln.text == "Cộng" or ln.text.startswith("Cộng ") for ln in page), "the wide table has a total row"


def test_content_reviewers_ask_for(report):
    text = report.text
    # Targets against results, in the words of a report.
    assert re.search(r"đạt \d{2,3},\d% kế hoạch", text)
    assert "Vượt" in text and "Chưa đạt" in text and "chưa đạt" in text
    assert re.search(r"\d+/\d+ chỉ tiêu đạt và vượt kế hoạch", text)
    # This year against each earlier year, with the change in %.
    # (header cells wrap: "So với" / "năm 2021" are separate lines for pdftotext)
    assert text.count("So với") >= 2 and "Năm 2021" in text and "Năm 2022" in text
    assert re.search(r"[+-]\d+,\d% ", text) and re.search(r"[+-]\d+,\d\sđiểm\s%", text)
    # Breakdowns per khu and per organisation, the registered models, next year's targets.
    # the abbreviation defined at its first use, and used after (issue 20)
    assert text.count("Ban Công tác Mặt trận (Ban CTMT)") == 1
    assert re.search(r"\d+/\d+ Ban CTMT đăng ký \d+ mô hình", text)
    for needle in (
        "Hoạt động của các Ban Công tác Mặt trận khu dân cư",
        "Hội viên, đoàn viên và hoạt động",
        "Số cuộc hoạt động theo đơn vị tổ chức và lĩnh vực",
        "Các chỉ tiêu chủ yếu năm 2024",
        "Chỉ tiêu 2024",
    ):
        assert needle in text, needle


# --- 5. signature block ---------------------------------------------------------------------


@needs_poppler
def test_signature_and_recipients(report, expected):
    on_behalf = report.one(expected.signer_on_behalf)
    title = report.one(expected.signer_title)
    name = report.one(expected.signer_name)
    recipients_title = report.one("Nơi nhận:")
    page = on_behalf.page
    assert {title.page, name.page, recipients_title.page} == {page}
    assert page < min(report.landscape_pages), "signed before the appendix"
    x0, _, x1, _ = report.text_box(page)
    middle = (x0 + x1) / 2
    assert min(on_behalf.x0, title.x0, name.x0) > middle - 10, "signer on the right"
    assert recipients_title.x1 < middle and abs(recipients_title.x0 - x0) < TOL, "Nơi nhận on the left"
    assert on_behalf.y0 < title.y0 < name.y0 and name.y0 - title.y1 > 3 * 13, "room to sign"
    assert abs(recipients_title.y0 - on_behalf.y0) < 3, "Nơi nhận level with the signer's title"
    # Sizes and styles: "Nơi nhận:" 12 pt bold italic, the list 11 pt, the signer bold.
    nn = report.runs_in(recipients_title)
    assert all(r.size == 12 and "Italic" in r.font and re.search("Bold|Semibold", r.font) for r in nn), nn
    # each recipient from its "- ", wrapped within the left column where it is long
    # ("- Ban Thường trực Ủy ban MTTQ Việt Nam thành" / "phố (b/c);"), all in 11 pt
    column = sorted(
        (ln for ln in report.lines if ln.page == page and ln.x1 < middle and ln.y0 > recipients_title.y0 + 1),
        key=lambda ln: ln.y0,
    )
    items: list[str] = []
    for line in column:
        assert abs(line.x0 - x0) < TOL and {r.size for r in report.runs_in(line)} == {11}, line.text
        if line.text.startswith("- ") or not items:
            items.append(line.text)
        else:
            items[-1] += " " + line.text
    assert items == ["- " + item for item in expected.recipients]
    for line in (on_behalf, title, name):
        assert all("Bold" in r.font and r.size in (13, 14) for r in report.runs_in(line)), line.text


# --- 6. fonts: embedded, configured, no missing glyph ---------------------------------------


@needs_poppler
def test_every_font_is_embedded_and_from_the_configured_list(report, expected):
    rows = run("pdffonts", str(report.path)).splitlines()[2:]
    assert rows
    families = {re.sub(r"[\s-]", "", f).lower() for f in expected.fonts}
    for row in rows:
        cols = row.split()
        # name type... emb sub uni object ID: emb is the 5th column from the end.
        assert cols[-5] == "yes", f"not embedded: {row}"
        base = cols[0].split("+")[-1].split("-")[0].lower()
        assert base in families, f"{cols[0]} is not one of {expected.fonts}"


def _to_unicode(font) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[int, str] = {}

    def chars(hexstr: str) -> str:
        return bytes.fromhex(hexstr).decode("utf-16-be")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = chars(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            base = int(dst, 16)
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(base + k)
    return out


def _used_glyphs(reader: PdfReader) -> dict[str, tuple[object, set[int]]]:
    """Base font name -> (font dictionary, CIDs drawn), from every content stream."""
    used: dict[str, tuple[object, set[int]]] = {}

    def walk(content, resources) -> None:
        fonts = resources.get("/Font", {})
        font = None
        saved = []  # the font is graphics state: `q` saves it, `Q` restores it (typst 0.13 relies on that)
        for operands, op in ContentStream(content, reader).operations:
            if op == b"q":
                saved.append(font)
            elif op == b"Q" and saved:
                font = saved.pop()
            elif op == b"Tf":
                font = fonts[operands[0]].get_object()
            elif op in (b"Tj", b"TJ", b"'", b'"'):
                items = operands[0] if op == b"TJ" else [operands[-1]]
                for item in items:
                    if isinstance(item, (int, float)):
                        continue
                    raw = item.get_original_bytes() if hasattr(item, "get_original_bytes") else bytes(item)
                    if raw[:2] == b"\xfe\xff" and len(raw) % 2 == 0:
                        # pypdf took the 2-byte codes for UTF-16 text and re-encodes them with
                        # a byte order mark; a subset font never has 65279 glyphs.
                        raw = raw[2:]
                    assert font["/Subtype"] == "/Type0", f"{font['/BaseFont']}: not a CID font"
                    entry = used.setdefault(str(font["/BaseFont"]), (font, set()))
                    entry[1].update(int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2))
        for xobject in resources.get("/XObject", {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                walk(xobject, xobject["/Resources"].get_object())

    for page in reader.pages:
        walk(page.get_contents(), page["/Resources"].get_object())
    return used


def _document_characters(qmd: Path) -> set[str]:
    """Every character the report prints: the text of its body (pandoc's reading of the
    .qmd: every Str, in paragraphs, headings, tables and captions) and the header and
    signature values of its front matter."""
    import json

    import pypandoc

    ast = json.loads(
        subprocess.run(
            [pypandoc.get_pandoc_path(), "-f", "markdown-raw_html-raw_attribute-raw_tex", "-t", "json"],
            input=qmd.read_text(encoding="utf-8"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    strings: list[str] = []

    def walk(node, in_meta=False) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x, in_meta)
        elif isinstance(node, dict):
            if node.get("t") == "Str":
                strings.append(node["c"])
            elif node.get("t") == "Image":
                walk(node["c"][1])  # the caption, not the file name or attributes
            elif node.get("t") == "MetaString":
                strings.append(node["c"])
            elif "c" in node:
                walk(node["c"], in_meta)
            elif "t" not in node:  # a MetaMap's entries
                walk(list(node.values()), in_meta)

    walk(ast["blocks"])
    meta = ast["meta"]
    walk([meta["subtitle"], meta["baocao"]])
    printed = unicodedata.normalize("NFC", "".join(strings))
    # Straight quotes come out typographic.
    return {c for c in printed if not c.isspace()} - set("\"'")


def _font_program(descriptor):
    """The embedded font program as (glyph name of a CID, draw(glyph, pen), glyph set):
    CFF (/FontFile3, as typst embeds an OpenType/CFF font such as Libertinus Serif) or
    TrueType (/FontFile2: Liberation Serif, Times New Roman)."""
    from fontTools.cffLib import CFFFontSet
    from fontTools.ttLib import TTFont

    if "/FontFile3" in descriptor:
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()), None)
        program = cff[cff.fontNames[0]]
        # A CID-keyed CFF names its glyphs by CID ("cid00097"); a name-keyed one (as typst
        # 0.13, inside Quarto 1.7, writes) is indexed by CID directly (CIDs are glyph ids).
        if hasattr(program, "ROS"):

            def name(cid: int) -> str | None:
                glyph = f"cid{cid:05d}"
                return glyph if glyph in program.CharStrings else None
        else:

            def name(cid: int) -> str | None:
                return program.charset[cid] if cid < len(program.charset) else None

        return name, lambda glyph, pen: program.CharStrings[glyph].draw(pen), None
    assert "/FontFile2" in descriptor, "expected an embedded CFF or TrueType font program"
    tt = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    order = tt.getGlyphOrder()
    glyphs = tt.getGlyphSet()
    # typst maps CIDs to glyph ids one to one (/CIDToGIDMap /Identity, or absent). Vietnamese
    # letters are mostly composite glyphs (a base letter and its marks): drawing them draws
    # their components from the same embedded program, so a subset that lost one shows.

    def name(cid: int) -> str | None:
        return order[cid] if cid < len(order) else None

    return name, lambda glyph, pen: glyphs[glyph].draw(pen), glyphs


def glyph_problems(reader: PdfReader) -> tuple[list[str], set[str]]:
    """Glyphs drawn that their embedded font lacks (.notdef, a CID outside the font program,
    an empty outline for a visible character), and the characters drawn properly."""
    from fontTools.pens.boundsPen import BoundsPen

    covered: set[str] = set()
    problems = []
    for name, (font, cids) in _used_glyphs(reader).items():
        if 0 in cids:
            problems.append(f"{name}: draws .notdef (a missing glyph)")
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        gid_map = descendant.get("/CIDToGIDMap")
        assert gid_map is None or gid_map == "/Identity", f"{name}: CIDs are not glyph ids ({gid_map})"
        glyph_name, draw, glyph_set = _font_program(descriptor)
        to_unicode = _to_unicode(font)
        for cid in sorted(cids - {0}):
            glyph = glyph_name(cid)
            char = to_unicode.get(cid, "")
            if glyph is None:
                problems.append(f"{name}: CID {cid} ({char!r}) is not in the embedded font")
                continue
            pen = BoundsPen(glyph_set)
            try:
                draw(glyph, pen)
            except KeyError as exc:
                problems.append(f"{name}: {char!r} refers to a glyph the embedded font lacks ({exc})")
                continue
            if char and not char.isspace() and pen.bounds is None:
                problems.append(f"{name}: {char!r} has an empty glyph")
                continue
            covered.update(char)
    return problems, covered


def test_no_missing_glyph_anywhere(report, build_2023):
    """No tofu: every glyph drawn exists in its embedded font (never .notdef, never an empty
    outline for a visible character), and every character of the report is drawn."""
    problems, covered = glyph_problems(report.reader)
    assert not problems, "\n".join(problems)
    wanted = _document_characters(build_2023 / "bao-cao-2023.qmd")
    assert set("CỘNGHÒAXÃỘIĐộclậpữ–") <= wanted, "the header and the body are both read"
    missing = wanted - covered
    assert not missing, f"characters of the report not drawn with any embedded font: {sorted(missing)}"


def test_the_glyph_check_sees_tofu():
    """The check above on a PDF with a character no font has (it is drawn as .notdef)."""
    import typst

    pdf = typst.compile(
        '#set text(font: "Libertinus Serif")\nỦy ban \u4e2d'.encode("utf-8"), format="pdf", ignore_system_fonts=True
    )
    problems, covered = glyph_problems(PdfReader(io.BytesIO(pdf)))
    assert any(".notdef" in p for p in problems)
    assert set("Ủyban") <= covered


def test_the_glyph_check_sees_tofu_in_a_truetype_font():
    """The same with the default font, Liberation Serif (TrueType, from report/fonts)."""
    import typst

    fonts = Path(__file__).resolve().parents[1] / "report" / "fonts"
    pdf = typst.compile(
        '#set text(font: "Liberation Serif")\nỦy ban *Mặt trận* _Tổ_ \U00013000'.encode("utf-8"),
        format="pdf",
        ignore_system_fonts=True,
        font_paths=[str(fonts)],
    )
    problems, covered = glyph_problems(PdfReader(io.BytesIO(pdf)))
    assert any(".notdef" in p for p in problems)
    assert set("ỦybanMặttrậnTổ") <= covered


def test_configured_fonts_are_found_without_typst_warnings(sample_project):
    """The pandoc backend keeps the configured families typst can find (Times New Roman only
    when its files are in report/fonts/), so typst never warns "unknown font family"."""
    import typst

    from baocao.render import RenderOptions
    from baocao.render.pandoc import PandocRenderer

    options = RenderOptions.from_project(sample_project)
    fonts = PandocRenderer()._fonts(options, {})
    assert fonts and set(fonts) <= set(options.fonts)
    template = (sample_project / "report" / "typst" / "typst-template.typ").read_text(encoding="utf-8")
    families = ", ".join(f'"{f}"' for f in fonts)
    source = template + f"\n#show: doc => baocao-report(font: ({families},), doc)\nỦy ban *Mặt trận* _Tổ quốc_\n"
    _pdf, warnings = typst.compile_with_warnings(
        source.encode("utf-8"), format="pdf", ignore_system_fonts=True, font_paths=[str(p) for p in options.font_paths]
    )
    assert warnings == []
    log = (sample_project / "build-2023.log").read_text(encoding="utf-8").lower()
    assert "unknown font" not in log and "warning" not in log


# --- 7. PDF/A-2b and document metadata ------------------------------------------------------

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}


def _xmp_values(report):
    xmp = report.reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    root = ET.fromstring(xmp[xmp.index("<x:xmpmeta") : xmp.index("</x:xmpmeta>") + len("</x:xmpmeta>")])

    def values(path: str) -> list[str]:
        return [norm(e.text or "") for e in root.iterfind(f".//{path}", NS)]

    return values


def test_pdf_a_is_claimed_only_where_true(report, build_2023, sample_project, renderer):
    """The pandoc backend writes PDF/A-2b. Quarto asks typst for it only from 1.9 on: with an
    older Quarto the PDF, the manifest and the build's message all say it is a plain PDF."""
    values = _xmp_values(report)
    manifest = json.loads((build_2023 / "manifest.json").read_text(encoding="utf-8"))
    claimed = manifest["renderer"]["pdf_standard"]
    log = (sample_project / "build-2023.log").read_text(encoding="utf-8")
    quarto = tuple(int(x) for x in manifest["renderer"]["tools"].get("quarto", "0.0").split(".")[:2])
    if renderer == "pandoc" or quarto >= (1, 9):
        assert claimed == "a-2b"
        assert values("pdfaid:part") == ["2"] and values("pdfaid:conformance") == ["B"]
        assert "bao-cao-2023.pdf  (PDF/A-2b)" in log
    else:
        assert claimed is None
        assert values("pdfaid:part") == [] and values("pdfaid:conformance") == []
        assert "bao-cao-2023.pdf  (PDF thường, không phải PDF/A / a plain PDF, not PDF/A)" in log


def test_xmp_metadata(report, expected):
    values = _xmp_values(report)
    assert values("dc:title/rdf:Alt/rdf:li")[0].startswith("Báo cáo tổng kết công tác Mặt trận năm 2023")
    assert values("dc:creator/rdf:Seq/rdf:li") == [expected.unit_name]
    assert values("dc:description/rdf:Alt/rdf:li") == [
        "Tổng kết công tác Mặt trận năm 2023, phương hướng nhiệm vụ năm 2024"
    ]
    assert values("dc:language/rdf:Bag/rdf:li") == ["vi"]
    keywords = values("pdf:Keywords")[0]
    assert "Mặt trận Tổ quốc" in keywords and "2023" in keywords
    assert values("xmp:CreateDate")[0].startswith(expected.date_iso), "created on the report's date"
    # The document information dictionary says the same (PDF/A requires it).
    info = report.reader.metadata
    assert norm(info.author) == expected.unit_name
    assert info.subject and info.keywords
    assert info["/CreationDate"].startswith("D:" + expected.date_iso.replace("-", ""))
    assert report.reader.trailer["/Root"].get("/Lang") == "vi"


@needs_poppler
def test_poppler_reads_the_metadata(report, expected):
    info = run("pdfinfo", "-isodates", str(report.path))
    assert re.search(rf"^CreationDate:\s+{expected.date_iso}T", info, re.M)
    assert re.search(rf"^Author:\s+{re.escape(expected.unit_name)}$", info, re.M)
    # typst tags PDFs from 0.14 on; the typst 0.13 inside Quarto 1.7 does not.
    manifest = json.loads((report.path.parent / "manifest.json").read_text(encoding="utf-8"))
    typst = tuple(int(x) for x in manifest["renderer"]["tools"]["typst"].split(".")[:2])
    assert re.search(rf"^Tagged:\s+{'yes' if typst >= (0, 14) else 'no'}$", info, re.M)


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_check_is_clean(report):
    proc = subprocess.run(["qpdf", "--check", str(report.path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No syntax or stream encoding errors found" in proc.stdout
