"""Make report/word/reference.docx: the Word layout of the report (Nghị định 30/2020/NĐ-CP).

Both render backends give it to pandoc (`--reference-doc`; Quarto: `reference-doc:` in
_quarto.yml), which takes from it the page set-up (the last `w:sectPr`), the styles and the
page header of the report's .docx; the body of this file is never used.

It starts from the default reference.docx of the pinned pandoc (`pandoc
--print-default-data-file reference.docx`), so that every style pandoc writes exists, and
changes:

- page: A4 portrait, margins top/bottom 20 mm, left 30 mm, right 15 mm (NĐ 30: 20–25,
  20–25, 30–35, 15–20 mm); header 10 mm from the edge;
- page number: centred in the top margin, 13 pt, from page 2 on (a first page of its own,
  with an empty header);
- fonts: Times New Roman everywhere (document defaults and the theme), 13 pt, black, so that
  Word uses the font NĐ 30 names where it is installed (LibreOffice: the metric-compatible
  Liberation Serif);
- body text: justified, first line indented 1 cm, 6 pt after each paragraph, 1.15 lines;
- headings: "Phần thứ …" (level 1) 14 pt bold centred; levels 2–3 13 pt bold; level 4 13 pt
  bold italic; all black;
- tables: grid lines 0.5 pt, 11.5 pt text, header row bold; "Table Caption" 12 pt italic
  centred above the table, kept with it; "Image Caption" 12 pt italic centred;
- the styles report/filters/baocao.lua gives the NĐ 30 blocks (custom-style): the issuing
  body, the number, the national title and motto, place and date, the document type and
  summary, part titles and notes, the signature block and "Nơi nhận".

The zip is written with fixed entry times (1980-01-01), so running the script twice gives the
same bytes. Run it again after changing the pinned pandoc (tests/test_docx.py says when):

    .venv/bin/python scripts/make_reference_docx.py
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

from lxml import etree

from baocao.render.docx import write_zip

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "report" / "word" / "reference.docx"
FONT = "Times New Roman"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def mm(value: float) -> int:
    """Millimetres in twips (1/20 pt)."""
    return round(value * 1440 / 25.4)


# Page: A4, margins (NĐ 30), the text width the header and signature tables use.
PAGE_W, PAGE_H = 11906, 16838
MARGIN = {"top": mm(20), "bottom": mm(20), "left": mm(30), "right": mm(15)}
TEXT_W = PAGE_W - MARGIN["left"] - MARGIN["right"]


def pt(size: float) -> str:
    """A font size as Word stores it (half points)."""
    half = round(size * 2)
    return f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>'


FONTS = f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'
BLACK = '<w:color w:val="000000"/>'
HIDDEN = "<w:vanish/><w:specVanish/>" + pt(1)


def style(
    style_id: str,
    name: str,
    *,
    kind: str = "paragraph",
    based: str | None = "Normal",
    ppr: str = "",
    rpr: str = "",
    extra: str = "",
    custom: bool = True,
    next_: str | None = None,
) -> str:
    attrs = f'w:type="{kind}"' + (' w:customStyle="1"' if custom else "") + f' w:styleId="{style_id}"'
    parts = [f'<w:name w:val="{name}"/>']
    if based:
        parts.append(f'<w:basedOn w:val="{based}"/>')
    if next_:
        parts.append(f'<w:next w:val="{next_}"/>')
    parts.append("<w:qFormat/>")
    parts.append(extra)
    if ppr:
        parts.append(f"<w:pPr>{ppr}</w:pPr>")
    if rpr:
        parts.append(f"<w:rPr>{rpr}</w:rPr>")
    return f"<w:style {attrs}>{''.join(parts)}</w:style>"


def centred(before: float = 0, after: float = 0, *, keep: bool = False) -> str:
    return (
        ("<w:keepNext/>" if keep else "")
        + f'<w:spacing w:before="{round(before * 20)}" w:after="{round(after * 20)}" w:line="240" w:lineRule="auto"/>'
        + '<w:ind w:firstLine="0"/><w:jc w:val="center"/>'
    )


def rule(width_mm: float, column_mm: float, before: float = 1, after: float = 2) -> str:
    """A short centred rule: an empty paragraph's bottom border, indented to ``width_mm``."""
    side = mm((column_mm - width_mm) / 2)
    return (
        f'<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="000000"/></w:pBdr>'
        f'<w:spacing w:before="{before * 20}" w:after="{after * 20}" w:line="120" w:lineRule="exact"/>'
        f'<w:ind w:left="{side}" w:right="{side}" w:firstLine="0"/>'
    )


TEXT_MM = 210 - 30 - 15
ISSUER_MM = TEXT_MM * 0.43

# Styles pandoc writes, replaced; the document's own styles, added.
REPLACED = {
    "Normal": style(
        "Normal",
        "Normal",
        based=None,
        custom=False,
        extra="",
        ppr='<w:spacing w:before="0" w:after="0" w:line="276" w:lineRule="auto"/>',
        rpr=FONTS + BLACK,
    ),
    "BodyText": style(
        "BodyText",
        "Body Text",
        custom=False,
        ppr='<w:spacing w:before="0" w:after="120" w:line="276" w:lineRule="auto"/>'
        '<w:ind w:firstLine="567"/><w:jc w:val="both"/>',
    ),
    "FirstParagraph": style("FirstParagraph", "First Paragraph", based="BodyText", next_="BodyText"),
    # Table cells and tight lists.
    "Compact": style(
        "Compact",
        "Compact",
        based="BodyText",
        ppr='<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/>'
        '<w:ind w:firstLine="0"/><w:jc w:val="left"/>',
    ),
    # pandoc's title block (title, subtitle, author, date) comes before the body, where NĐ 30
    # puts the header blocks: it is kept, for Word's document properties and navigation, but
    # hidden; the filter writes the visible heading ("BÁO CÁO" and the summary) in its place.
    "Title": style("Title", "Title", custom=False, next_="BodyText", ppr=centred(0, 0), rpr=HIDDEN),
    "Subtitle": style(
        "Subtitle", "Subtitle", custom=False, based="Title", next_="BodyText", ppr=centred(0, 0), rpr=HIDDEN
    ),
    "Author": style("Author", "Author", based="Title", next_="BodyText", ppr=centred(0, 0), rpr=HIDDEN),
    "Date": style("Date", "Date", custom=False, based="Title", next_="BodyText", ppr=centred(0, 0), rpr=HIDDEN),
    "Heading1": style(
        "Heading1",
        "heading 1",
        custom=False,
        next_="BodyText",
        ppr='<w:keepNext/><w:keepLines/><w:spacing w:before="360" w:after="60"/>'
        '<w:ind w:firstLine="0"/><w:jc w:val="center"/><w:outlineLvl w:val="0"/>',
        rpr="<w:b/><w:bCs/>" + BLACK + pt(14),
    ),
    "Heading2": style(
        "Heading2",
        "heading 2",
        custom=False,
        next_="BodyText",
        ppr='<w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="120"/>'
        '<w:ind w:firstLine="0"/><w:jc w:val="left"/><w:outlineLvl w:val="1"/>',
        rpr="<w:b/><w:bCs/>" + BLACK + pt(13),
    ),
    "Heading3": style(
        "Heading3",
        "heading 3",
        custom=False,
        next_="BodyText",
        ppr='<w:keepNext/><w:keepLines/><w:spacing w:before="180" w:after="120"/>'
        '<w:ind w:firstLine="0"/><w:jc w:val="left"/><w:outlineLvl w:val="2"/>',
        rpr="<w:b/><w:bCs/>" + BLACK + pt(13),
    ),
    "Heading4": style(
        "Heading4",
        "heading 4",
        custom=False,
        next_="BodyText",
        ppr='<w:keepNext/><w:keepLines/><w:spacing w:before="120" w:after="120"/>'
        '<w:ind w:firstLine="0"/><w:jc w:val="left"/><w:outlineLvl w:val="3"/>',
        rpr="<w:b/><w:bCs/><w:i/><w:iCs/>" + BLACK + pt(13),
    ),
    "Caption": style("Caption", "caption", custom=False, ppr=centred(6, 6), rpr="<w:i/>" + pt(12)),
    "TableCaption": style("TableCaption", "Table Caption", based="Caption", ppr=centred(12, 4, keep=True)),
    "ImageCaption": style("ImageCaption", "Image Caption", based="Caption", ppr=centred(2, 12)),
    "Figure": style("Figure", "Figure", ppr=centred(6, 0)),
    "CaptionedFigure": style("CaptionedFigure", "Captioned Figure", based="Figure", ppr=centred(6, 0, keep=True)),
    "Table": (
        '<w:style w:type="table" w:default="1" w:styleId="Table"><w:name w:val="Table"/>'
        '<w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/><w:qFormat/>'
        '<w:pPr><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/><w:ind w:firstLine="0"/></w:pPr>'
        f"<w:rPr>{pt(11.5)}</w:rPr>"
        '<w:tblPr><w:jc w:val="center"/><w:tblInd w:w="0" w:type="dxa"/><w:tblBorders>'
        + "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        + '</w:tblBorders><w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/>'
        '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr>'
        '<w:tblStylePr w:type="firstRow"><w:pPr><w:jc w:val="center"/></w:pPr><w:rPr><w:b/><w:bCs/></w:rPr>'
        '<w:tblPr/><w:trPr><w:tblHeader/></w:trPr><w:tcPr><w:vAlign w:val="center"/></w:tcPr></w:tblStylePr>'
        "</w:style>"
    ),
}

ADDED = [
    style("Header", "header", custom=False, ppr=centred(0, 0), rpr=pt(13)),
    # The header block (thể thức, NĐ 30 Phụ lục I): issuing body on the left, national title
    # on the right; each line centred in its column.
    style("IssuerParent", "Issuer Parent", ppr=centred(0, 0), rpr="<w:caps/>" + pt(12.5)),
    style("IssuerName", "Issuer Name", ppr=centred(0, 0), rpr="<w:b/><w:bCs/><w:caps/>" + pt(12.5)),
    style("IssuerRule", "Issuer Rule", ppr=rule(TEXT_MM * 0.22, ISSUER_MM, 0, 4), rpr=pt(6)),
    style("DocumentNumber", "Document Number", ppr=centred(2, 0), rpr=pt(13)),
    style("NationalTitle", "National Title", ppr=centred(0, 0), rpr="<w:b/><w:bCs/><w:caps/>" + pt(12)),
    style("Motto", "Motto", ppr=centred(0, 6), rpr='<w:b/><w:bCs/><w:u w:val="single"/>' + pt(13)),
    style("PlaceAndDate", "Place and Date", ppr=centred(0, 0), rpr="<w:i/><w:iCs/>" + pt(13)),
    style("DocumentType", "Document Type", ppr=centred(24, 0, keep=True), rpr="<w:b/><w:bCs/><w:caps/>" + pt(14)),
    style("DocumentSummary", "Document Summary", ppr=centred(0, 0, keep=True), rpr="<w:b/><w:bCs/>" + pt(14)),
    style("SummaryRule", "Summary Rule", ppr=rule(TEXT_MM * 0.25, TEXT_MM, 0, 18), rpr=pt(6)),
    # Parts: "Phần thứ …" is heading 1; its title and an appendix's note below it.
    style("PartTitle", "Part Title", ppr=centred(0, 12, keep=True), rpr="<w:b/><w:bCs/><w:caps/>" + pt(14)),
    style("PartNote", "Part Note", ppr=centred(0, 12, keep=True), rpr="<w:i/><w:iCs/>"),
    # Signature block (right) and Nơi nhận (left).
    style(
        "RecipientsTitle",
        "Recipients Title",
        ppr='<w:spacing w:before="0" w:after="0"/><w:ind w:firstLine="0"/>',
        rpr="<w:b/><w:bCs/><w:i/><w:iCs/>" + pt(12),
    ),
    style("Recipient", "Recipient", ppr='<w:spacing w:before="0" w:after="0"/><w:ind w:firstLine="0"/>', rpr=pt(11)),
    style("SignerTitle", "Signer Title", ppr=centred(0, 0, keep=True), rpr="<w:b/><w:bCs/><w:caps/>"),
    # Room for the signature and seal: about three blank lines above the name.
    style("SignerName", "Signer Name", ppr=centred(66, 0), rpr="<w:b/><w:bCs/>"),
]

DOC_DEFAULTS = (
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    + FONTS
    + pt(13)
    + '<w:lang w:val="vi-VN" w:eastAsia="en-US" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
    '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
    "</w:docDefaults>"
)

SECT_PR = (
    '<w:sectPr><w:headerReference w:type="default" r:id="rIdBaocaoHeader"/>'
    '<w:headerReference w:type="first" r:id="rIdBaocaoHeaderFirst"/>'
    '<w:footnotePr><w:numRestart w:val="eachSect"/></w:footnotePr>'
    f'<w:pgSz w:w="{PAGE_W}" w:h="{PAGE_H}" w:orient="portrait"/>'
    f'<w:pgMar w:top="{MARGIN["top"]}" w:right="{MARGIN["right"]}" w:bottom="{MARGIN["bottom"]}" '
    f'w:left="{MARGIN["left"]}" w:header="{mm(10)}" w:footer="{mm(10)}" w:gutter="0"/>'
    '<w:pgNumType w:start="1"/><w:cols w:space="720"/><w:titlePg/></w:sectPr>'
)

HEADER = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr {W} {R}><w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr>'
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    "</w:p></w:hdr>"
)
HEADER_FIRST = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr {W} {R}><w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr>'
    "</w:p></w:hdr>"
)
HEADER_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
HEADER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
TNR_PANOSE = "02020603050405020304"


def pandoc_default() -> bytes:
    import pypandoc

    return subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"], check=True, capture_output=True
    ).stdout


NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
}


def q(name: str) -> str:
    """``w:style`` as lxml names it (``{namespace}style``)."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def parse(xml: bytes) -> etree._Element:
    """A part of the default reference.docx (no entities resolved, nothing fetched)."""
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))


def fragment(xml: str) -> etree._Element:
    """One WordprocessingML element written above (a style, the document defaults)."""
    return etree.fromstring(f"<w:root {W} {R}>{xml}</w:root>")[0]


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def put_style(styles: etree._Element, new: etree._Element) -> None:
    """``new`` in place of the style with its id, or after the last style."""
    style_id = new.get(q("w:styleId"))
    old = styles.find(f"w:style[@w:styleId='{style_id}']", NS)
    if old is None:
        styles.append(new)
    else:
        old.getparent().replace(old, new)


def edit_styles(styles: etree._Element) -> None:
    defaults = styles.find("w:docDefaults", NS)
    defaults.getparent().replace(defaults, fragment(DOC_DEFAULTS))
    for new in [*REPLACED.values(), *ADDED]:
        put_style(styles, fragment(new))
    # Heading styles still name the theme's fonts in their character styles: Times New Roman.
    for fonts in styles.iter(q("w:rFonts")):
        if fonts.get(q("w:asciiTheme")) is not None or fonts.get(q("w:eastAsiaTheme")) is not None:
            fonts.getparent().replace(fonts, fragment(FONTS))
    for color in styles.iter(q("w:color")):
        if color.get(q("w:themeColor")) == "accent1" and color.get(q("w:themeShade")) == "BF":
            color.getparent().replace(color, fragment(BLACK))


def edit_theme(theme: etree._Element) -> None:
    for latin in theme.iter(q("a:latin")):
        if latin.get("panose") is not None:
            latin.set("typeface", FONT)
            latin.set("panose", TNR_PANOSE)


def edit_document(document: etree._Element) -> None:
    section = next(document.iter(q("w:sectPr")))
    section.getparent().replace(section, fragment(SECT_PR))


def add_headers(rels: etree._Element, types: etree._Element) -> None:
    for rel_id, target in (("rIdBaocaoHeader", "header1.xml"), ("rIdBaocaoHeaderFirst", "header2.xml")):
        etree.SubElement(rels, q("rel:Relationship"), Type=HEADER_REL, Id=rel_id, Target=target)
        etree.SubElement(types, q("ct:Override"), PartName=f"/word/{target}", ContentType=HEADER_TYPE)


def edit_core(core: etree._Element) -> None:
    core.find("dc:title", NS).text = "baocao: reference.docx (NĐ 30/2020)"
    for name in ("dcterms:created", "dcterms:modified"):
        core.find(name, NS).text = "2020-03-05T00:00:00Z"


def build(default: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(default)) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
        order = zf.namelist()
    trees = {
        name: parse(parts[name])
        for name in (
            "word/styles.xml",
            "word/theme/theme1.xml",
            "word/document.xml",
            "word/_rels/document.xml.rels",
            "[Content_Types].xml",
            "docProps/core.xml",
        )
    }
    edit_styles(trees["word/styles.xml"])
    edit_theme(trees["word/theme/theme1.xml"])
    edit_document(trees["word/document.xml"])
    add_headers(trees["word/_rels/document.xml.rels"], trees["[Content_Types].xml"])
    edit_core(trees["docProps/core.xml"])
    parts.update({name: serialise(root) for name, root in trees.items()})
    parts["word/header1.xml"] = HEADER.encode("utf-8")
    parts["word/header2.xml"] = HEADER_FIRST.encode("utf-8")

    names = order + [n for n in ("word/header1.xml", "word/header2.xml") if n not in order]
    return write_zip((name, parts[name]) for name in names)


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = build(pandoc_default())
    OUT.write_bytes(data)
    print(f"{OUT.relative_to(ROOT)} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
