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


#: The namespaces of WordprocessingML parts, for a fragment cut out of one (a ``w:tbl``).
NAMESPACES = {
    "w": W_NS,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "o": "urn:schemas-microsoft-com:office:office",
    "v": "urn:schemas-microsoft-com:vml",
}


def _parse(xml: str | bytes):
    """A WordprocessingML part, or a fragment of one, as an lxml tree (no entities resolved,
    nothing fetched)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    if data.lstrip().startswith(b"<?xml") or b"xmlns:w=" in data[:2000]:
        return etree.fromstring(data, parser)
    declared = " ".join(f'xmlns:{k}="{v}"' for k, v in NAMESPACES.items())
    return etree.fromstring(f"<fragment {declared}>".encode() + data + b"</fragment>", parser)


def _w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


def document_text(document_xml: str) -> str:
    """The text of a WordprocessingML part: every ``w:t``, a space for a tab in a run and
    after each paragraph."""
    from lxml import etree

    out: list[str] = []
    for event, el in etree.iterwalk(_parse(document_xml), events=("start", "end")):
        if event == "start" and el.tag == _w("t"):
            out.append(el.text or "")
        elif (event, el.tag) == ("end", _w("p")) or (event == "start" and el.tag == _w("tab") and _in_run(el)):
            out.append(" ")
    return " ".join("".join(out).split())


def _in_run(el) -> bool:
    parent = el.getparent()
    return parent is not None and parent.tag == _w("r")


def sections(document_xml: str) -> list[str]:
    """Every ``w:sectPr`` of the document as XML text, in order: one per section, the
    document's own (its last section's, from the reference document) last."""
    from lxml import etree

    return [etree.tostring(el, encoding="unicode") for el in _parse(document_xml).iter(_w("sectPr"))]


def last_section(document_xml: str) -> str:
    """The document's own (last) ``w:sectPr``: the page size and margins of its last section."""
    found = sections(document_xml)
    return found[-1] if found else ""


def _attributes(sect_pr: str, name: str) -> dict[str, str]:
    """The ``w:`` attributes of the section's ``w:<name>`` element, by local name."""
    from lxml import etree

    found = _parse(sect_pr).find(_w(name)) if sect_pr else None
    if found is None:
        return {}
    return {etree.QName(k).localname: v for k, v in found.attrib.items() if etree.QName(k).namespace == W_NS}


def page_size_twips(sect_pr: str) -> tuple[int, int] | None:
    """(width, height) of a section's page, in twips."""
    attrs = _attributes(sect_pr, "pgSz")
    try:
        return int(attrs["w"]), int(attrs["h"])
    except (KeyError, ValueError):
        return None


def margins_mm(sect_pr: str) -> dict[str, float]:
    """A section's margins (top, bottom, left, right, header, footer) in millimetres."""
    attrs = _attributes(sect_pr, "pgMar")
    return {
        k: int(v) / TWIPS_PER_MM
        for k, v in attrs.items()
        if k in ("top", "bottom", "left", "right", "header", "footer")
    }
