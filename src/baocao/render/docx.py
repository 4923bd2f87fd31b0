"""The Word document: what both backends' .docx must hold, and zip writing without a clock.

A .docx is a zip of XML parts. Its layout comes from ``report/word/reference.docx`` (made by
``scripts/make_reference_docx.py``): page size and margins in the last ``w:sectPr`` of
``word/document.xml``, fonts and paragraph styles in ``word/styles.xml``, the page number in
``word/header1.xml``. Both pandoc and Quarto (which runs pandoc) copy those parts into the
report's .docx; :func:`docx_problems` (render/checks.py) reads them back.

Zip entries carry a modification time. pandoc takes it from ``SOURCE_DATE_EPOCH``, for the
entries it writes and for ``docProps/core.xml``'s created and modified dates. The pandoc
backend sets it to the report's date; the Quarto backend renders several reports in one
process (one environment), so it sets a fixed time and :func:`redate` gives each .docx its
report's date afterwards. :func:`write_zip` writes a zip whose every entry has a given fixed
time, for the reference document itself.
"""

from __future__ import annotations

import datetime as dt
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


def redate(docx: bytes, was: dt.datetime, day: dt.date) -> bytes:
    """``docx`` as if pandoc had written it on ``day`` (00:00 UTC) rather than at ``was`` (the
    SOURCE_DATE_EPOCH of its render, UTC): the zip entries dated ``was`` take ``day`` (the parts
    copied from the reference document keep their own date), and ``dcterms:created`` and
    ``dcterms:modified`` of ``docProps/core.xml`` are replaced in its text (the rest of the
    part keeps pandoc's bytes). Entries keep their order, compression, flags and attributes:
    pandoc's .docx of the same document rendered on ``day`` is the same bytes."""
    old = was.timetuple()[:6]
    new = (day.year, day.month, day.day, 0, 0, 0)
    stamp = re.escape(was.strftime("%Y-%m-%dT%H:%M:%SZ").encode())
    core = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)" + stamp + rb"(</dcterms:\2>)")
    if not zipfile.is_zipfile(io.BytesIO(docx)):
        return docx  # not a .docx at all: the output checks say so (render/checks.py)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as zin, zipfile.ZipFile(buffer, "w") as zout:
        for entry in zin.infolist():
            data = zin.read(entry)
            if entry.filename == "docProps/core.xml":
                data = core.sub(rb"\g<1>" + f"{day.isoformat()}T00:00:00Z".encode() + rb"\g<3>", data)
            info = zipfile.ZipInfo(entry.filename, date_time=new if entry.date_time == old else entry.date_time)
            info.compress_type = entry.compress_type
            info.create_system, info.create_version = entry.create_system, entry.create_version
            info.internal_attr, info.comment, info.extra = entry.internal_attr, entry.comment, entry.extra
            with zout.open(info, "w") as out:
                # pandoc's flags (UTF-8 names, maximum compression) and attributes (none), which
                # zipfile replaces when it opens the entry: its header is written again when it
                # closes, and the central directory when the zip closes, with these
                info.flag_bits, info.external_attr = entry.flag_bits, entry.external_attr
                out.write(data)
        zout.comment = zin.comment
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
