"""The Word document: what both backends' .docx must hold, and zip writing without a clock.

A .docx is a zip of XML parts. Its layout comes from ``report/word/reference.docx`` (made by
``scripts/make_reference_docx.py``): page size and margins in the last ``w:sectPr`` of
``word/document.xml``, fonts and paragraph styles in ``word/styles.xml``, the page number in
``word/header1.xml``. Both pandoc and Quarto (which runs pandoc) copy those parts into the
report's .docx; :func:`docx_problems` (render/checks.py) reads them back.

Zip entries carry a modification time. pandoc takes it from ``SOURCE_DATE_EPOCH`` (both
backends set it to the report's date); :func:`write_zip` writes a zip whose every entry has
a given fixed time, for the reference document itself.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Twentieths of a point (twips) per millimetre.
TWIPS_PER_MM = 1440 / 25.4
# A4 in twips, as Word writes it.
A4_TWIPS = (11906, 16838)
# The zip time of the reference document: the earliest a zip can hold.
EPOCH_1980 = (1980, 1, 1, 0, 0, 0)


def write_zip(
    entries: Iterable[tuple[str, bytes]], date_time: tuple[int, int, int, int, int, int] = EPOCH_1980
) -> bytes:
    """A zip of ``entries`` (in the order given), every entry dated ``date_time``, with no
    file-system attributes: the same bytes for the same entries on any machine and day."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, data)
    return buffer.getvalue()


def read_parts(docx: bytes) -> dict[str, bytes]:
    """Every part of a .docx, by name."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def document_text(document_xml: str) -> str:
    """The text of a WordprocessingML part: every ``w:t``, a space after each paragraph."""
    from html import unescape

    out: list[str] = []
    for m in re.finditer(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|</w:p>|<w:tab/>", document_xml):
        out.append(m.group(1) if m.group(1) is not None else " ")
    return " ".join(unescape("".join(out)).split())


def sections(document_xml: str) -> list[str]:
    """Every ``w:sectPr`` of the document, in order: one per section, the document's own
    (its last section's, from the reference document) last."""
    return re.findall(r"<w:sectPr\b[^>]*/>|<w:sectPr\b.*?</w:sectPr>", document_xml, re.S)


def last_section(document_xml: str) -> str:
    """The document's own (last) ``w:sectPr``: the page size and margins of its last section."""
    found = sections(document_xml)
    return found[-1] if found else ""


def _attributes(element: str) -> dict[str, str]:
    return dict(re.findall(r'\bw:(\w+)="([^"]*)"', element))


def page_size_twips(sect_pr: str) -> tuple[int, int] | None:
    """(width, height) of a section's page, in twips (attributes in any order)."""
    m = re.search(r"<w:pgSz\b[^>]*>", sect_pr)
    attrs = _attributes(m[0]) if m else {}
    try:
        return int(attrs["w"]), int(attrs["h"])
    except (KeyError, ValueError):
        return None


def margins_mm(sect_pr: str) -> dict[str, float]:
    """A section's margins (top, bottom, left, right, header, footer) in millimetres."""
    m = re.search(r"<w:pgMar\b[^>]*>", sect_pr)
    attrs = _attributes(m[0]) if m else {}
    return {
        k: int(v) / TWIPS_PER_MM
        for k, v in attrs.items()
        if k in ("top", "bottom", "left", "right", "header", "footer")
    }
