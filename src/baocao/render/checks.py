"""After every render: does the output hold what `_quarto.yml` and the document ask for?

A renderer that silently ignores the project's configuration (Quarto rendering a file it
does not count as part of the project, say) writes a plausible report in the wrong layout:
US Letter, no header blocks, an HTML that points into a folder that no longer exists. These
checks read what was produced, with the same libraries a reviewer's tools use (pypdf for
the PDF, an HTML parser for the page), and fail the build (exit 3) naming the renderer and
each difference; the pipeline then keeps the last good report.

The Word document is a zip of XML parts: its page size is the last `w:sectPr` of
`word/document.xml` (what `report/word/reference.docx` sets), and its header blocks are text
of that part.

They are cheap (a few tens of milliseconds for the sample report): page sizes, the first
page's text, the PDF's XMP, one pass over the HTML's tags, and two parts of the .docx.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from baocao.errors import RenderCheckError
from baocao.render.options import RenderOptions

# Paper sizes typst knows by name, in points (1 mm = 72 / 25.4 pt).
_MM = 72 / 25.4
PAPER_PT = {
    "a3": (297 * _MM, 420 * _MM),
    "a4": (210 * _MM, 297 * _MM),
    "a5": (148 * _MM, 210 * _MM),
    "us-letter": (612.0, 792.0),
    "us-legal": (612.0, 1008.0),
}
# The header blocks (thể thức, NĐ 30) the first page must show, from the front matter.
HEADER_KEYS = ("body-name", "number", "nation", "motto", "place-date")
# The page's one Content-Security-Policy (report/html/metadata.html): nothing loads or runs.
CSP_REQUIRED = "default-src 'none'"
_URL_ATTRS = {"src", "href", "data", "poster", "srcset", "xlink:href", "action", "formaction"}


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def missing_header_blocks(front: Mapping, text: str) -> list[str]:
    """The header-block values of the front matter (thể thức) that ``text`` (normalised) lacks."""
    baocao: Any = front.get("baocao") if isinstance(front.get("baocao"), Mapping) else {}
    return [str(baocao[k]) for k in HEADER_KEYS if baocao.get(k) and _norm(str(baocao[k])) not in text]


def pdf_problems(pdf: bytes, front: Mapping, options: RenderOptions, pdf_standard: str | None) -> list[str]:
    """What differs between the PDF and what was asked (empty: nothing)."""
    from pypdf import PdfReader

    problems: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(pdf))
        pages = reader.pages
        first_text = pages[0].extract_text() if len(pages) else ""
    except Exception as exc:  # a PDF pypdf cannot read is itself the finding
        return [f"PDF không đọc được / unreadable PDF: {exc}"]
    want = PAPER_PT.get(options.papersize)
    if want is not None:
        wrong = []
        for number, page in enumerate(pages, 1):
            box = page.mediabox
            size = sorted((float(box.width), float(box.height)))
            if abs(size[0] - min(want)) > 1 or abs(size[1] - max(want)) > 1:
                wrong.append(f"{number} ({float(box.width):.0f} × {float(box.height):.0f} pt)")
        if wrong:
            problems.append(
                f"khổ giấy không phải {options.papersize} ở trang / paper is not {options.papersize} on page "
                + ", ".join(wrong[:5])
                + (" …" if len(wrong) > 5 else "")
            )
    text = _norm(first_text)
    missing = missing_header_blocks(front, text)
    if missing:
        problems.append("trang 1 thiếu phần thể thức / page 1 lacks the header blocks: " + "; ".join(missing))
    if pdf_standard:
        part, conformance = _pdfa_id(reader)
        claimed = f"{part}{conformance}".lower()
        if claimed != pdf_standard.lower().removeprefix("a-"):
            problems.append(
                f"PDF không khai báo PDF/{pdf_standard.upper()} (XMP pdfaid: {claimed or 'không có / none'}) "
                f"/ the PDF does not declare PDF/{pdf_standard.upper()}"
            )
    return problems


def _pdfa_id(reader) -> tuple[str, str]:
    """(part, conformance) from the PDF's XMP packet, e.g. ("2", "B"); ("", "") when absent."""
    try:
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    except Exception:
        return "", ""

    def field(name: str) -> str:
        m = re.search(rf"pdfaid:{name}\s*=\s*[\"']([^\"']+)", xmp) or re.search(
            rf"<pdfaid:{name}>([^<]+)</pdfaid:{name}>", xmp
        )
        return m.group(1).strip() if m else ""

    return field("part"), field("conformance")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.csp: list[str] = []
        self.ids: set[str] = set()
        self.classes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(values.get("content", ""))
        if "id" in values:
            self.ids.add(values["id"])
        self.classes.update(values.get("class", "").split())
        for key, value in values.items():
            value = value.strip()
            if key in _URL_ATTRS and value and not value.startswith(("data:", "#")):
                if tag == "a" and key == "href":
                    continue  # a link loads nothing by itself; the CSP covers navigation targets
                self.refs.append(f'<{tag} {key}="{value[:80]}">')


def html_problems(html: bytes, options: RenderOptions) -> list[str]:
    parser = _Tags()
    parser.feed(html.decode("utf-8", errors="replace"))
    problems: list[str] = []
    if parser.refs:
        problems.append(
            "HTML không tự chứa, còn tham chiếu tệp ngoài / the HTML is not self-contained, it refers to: "
            + ", ".join(sorted(set(parser.refs))[:5])
        )
    if not any(CSP_REQUIRED in c for c in parser.csp):
        problems.append("HTML thiếu Content-Security-Policy / the HTML has no Content-Security-Policy")
    if options.toc and "TOC" not in parser.ids:
        problems.append("HTML thiếu mục lục / the HTML has no table of contents")
    if "baocao-header" not in parser.classes:
        problems.append("HTML thiếu phần thể thức (title-block.html) / the HTML lacks the header blocks")
    return problems


def docx_problems(docx: bytes, front: Mapping, options: RenderOptions) -> list[str]:
    """What differs between the Word document and what was asked (empty: nothing)."""
    from baocao.render.docx import document_text, page_size_twips, read_parts, sections

    try:
        parts = read_parts(docx)
        document = parts["word/document.xml"].decode("utf-8")
    except Exception as exc:  # a .docx that is not a zip with a document is itself the finding
        return [f".docx không đọc được / unreadable .docx: {exc}"]
    problems: list[str] = []
    want = PAPER_PT.get(options.papersize)
    if want is not None:
        twips = sorted(round(v * 20) for v in want)
        for number, section in enumerate(sections(document), 1):
            size = page_size_twips(section)
            if size is None:
                problems.append(
                    f"phần {number} không khai báo khổ giấy (w:pgSz), Word sẽ dùng khổ mặc định "
                    f"/ section {number} has no page size (w:pgSz): Word would use its default, "
                    f"not {options.papersize}"
                )
            elif any(abs(a - b) > 20 for a, b in zip(sorted(size), twips, strict=True)):
                problems.append(
                    f"khổ giấy phần {number} không phải {options.papersize} / section {number}'s paper "
                    f"is not {options.papersize} ({size[0] / 20:.0f} × {size[1] / 20:.0f} pt)"
                )
    text = _norm(document_text(document))
    missing = missing_header_blocks(front, text)
    if missing:
        problems.append("thiếu phần thể thức / lacks the header blocks: " + "; ".join(missing))
    return problems


def check_outputs(
    renderer: str,
    outputs: Mapping[str, bytes],
    front: Mapping,
    options: RenderOptions,
    pdf_standard: str | None,
) -> None:
    """Raise :class:`RenderCheckError` naming ``renderer`` and every difference."""
    problems = [
        p
        for fmt in ("pdf", "html", "docx")
        if fmt in outputs
        for p in format_problems(fmt, outputs[fmt], front, options, pdf_standard)
    ]
    if problems:
        raise RenderCheckError(renderer, problems, options.config_file.name)


def format_problems(
    fmt: str, data: bytes, front: Mapping, options: RenderOptions, pdf_standard: str | None
) -> list[str]:
    """What differs between one output and what was asked, each named by its format."""
    if fmt == "pdf":
        return [f"PDF: {p}" for p in pdf_problems(data, front, options, pdf_standard)]
    if fmt == "html":
        return [f"HTML: {p}" for p in html_problems(data, options)]
    if fmt == "docx":
        return [f"DOCX: {p}" for p in docx_problems(data, front, options)]
    raise ValueError(f"no checks for {fmt!r}")


def prepare() -> None:
    """Import what the checks read the outputs with (pypdf), e.g. while the tools run."""
    import pypdf  # noqa: F401
