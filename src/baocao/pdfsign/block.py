"""Where the signature block is on the built PDF, read from the PDF itself.

The typst layout (``report/typst/typst-template.typ``) sets the signature block as a centred
column: the "thay mặt" line ("TM. BAN THƯỜNG TRỰC"), the title ("CHỦ TỊCH"), room for the
signature and seal, and the signer's name. This module finds those lines in the PDF's text
(pypdf's text positions), so the built report is signed exactly as it is, without a marker
added to it. The lines are measured with the report's own fonts (``report/fonts``, the fonts
the build used) to find the column's centre; a font the project does not hold falls back to
an average letter width.

Coordinates are PDF points, origin at the page's lower left.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import PdfSigningError

AVERAGE_EM = 0.5  # width of a letter, in em, when the font is not among the project's


@dataclass(frozen=True)
class TextRun:
    text: str
    x: float  # start of the baseline
    y: float  # baseline
    size: float  # font size in points
    font: str  # the PDF font's BaseFont, without its subset prefix


@dataclass(frozen=True)
class SignatureBlock:
    """The block on ``page`` (0-based): the centre line of its column, the baseline of its last
    title line and of the signer's name, and the font size."""

    page: int
    centre_x: float
    title_baseline: float
    name_baseline: float
    size: float

    @property
    def gap(self) -> tuple[float, float]:
        """(bottom, top) of the free room between the title and the name: under the title's
        descenders, over the name's capitals."""
        return self.name_baseline + 0.72 * self.size, self.title_baseline - 0.25 * self.size


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def page_runs(page) -> list[TextRun]:
    """The text runs of a pypdf page, with their positions in page space."""
    runs: list[TextRun] = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text.strip():
            return
        a, b, c, d, e, f = cm
        x = tm[4] * a + tm[5] * c + e
        y = tm[4] * b + tm[5] * d + f
        scale = abs(tm[3] * d) or 1.0
        base = str(font_dict.get("/BaseFont", "")) if font_dict else ""
        runs.append(TextRun(text.strip(), x, y, font_size * scale, base.lstrip("/").split("+")[-1]))

    page.extract_text(visitor_text=visit)
    return runs


@cache
def _font_widths(font_file: Path):
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_file), lazy=True)
    return font.getBestCmap(), font["hmtx"].metrics, font["head"].unitsPerEm


def _fonts(fonts_dir: Path) -> dict[str, Path]:
    """PostScript name → font file, for the project's fonts."""
    from fontTools.ttLib import TTFont

    found = {}
    for p in sorted(fonts_dir.glob("*.[ot]tf")) if fonts_dir.is_dir() else []:
        name = TTFont(str(p), lazy=True)["name"].getDebugName(6)
        if name:
            found[name] = p
    return found


def text_width(run: TextRun, fonts_dir: Path) -> float:
    """The run's width in points: from the project's font of that name, else an estimate."""
    file = _fonts(fonts_dir).get(run.font)
    if file is None:
        return len(run.text) * AVERAGE_EM * run.size
    cmap, metrics, upem = _font_widths(file)
    units = 0
    for ch in unicodedata.normalize("NFC", run.text):
        glyph = cmap.get(ord(ch))
        units += metrics[glyph][0] if glyph in metrics else upem * AVERAGE_EM
    return units * run.size / upem


def _find_on_page(runs: list[TextRun], titles: list[str], name: str) -> tuple[list[TextRun], TextRun] | None:
    names = [r for r in runs if _norm(r.text) == name]
    for who in names:
        above = [r for r in runs if r.y > who.y and _norm(r.text) in titles and abs(r.size - who.size) < 0.5]
        if above:
            return above, who
    return None


def find_block(reader, titles: list[str], name: str, fonts_dir: Path) -> SignatureBlock:
    """The signature block of the PDF opened by ``reader`` (pypdf): the last page where the
    signer's ``name`` stands under one of the ``titles`` lines. Raises PdfSigningError when
    no page has it."""
    wanted = [_norm(t) for t in titles if t.strip()]
    for index in range(len(reader.pages) - 1, -1, -1):
        found = _find_on_page(page_runs(reader.pages[index]), wanted, _norm(name))
        if found is None:
            continue
        above, who = found
        lines = [*above, who]
        centres = [r.x + text_width(r, fonts_dir) / 2 for r in lines]
        return SignatureBlock(
            page=index,
            centre_x=sum(centres) / len(centres),
            title_baseline=min(r.y for r in above),
            name_baseline=who.y,
            size=who.size,
        )
    shown = " / ".join(t for t in titles if t.strip())
    raise PdfSigningError(
        f"không tìm thấy khối chữ ký ({shown}, {name}) trong PDF",
        f"the signature block ({shown}, {name}) is not in the PDF",
        hint_vi="kiểm tra 'nguoi_ky' trong thong-tin-bao-cao.yml rồi dựng lại: 'baocao build --year …'",
        hint_en="check 'nguoi_ky' in thong-tin-bao-cao.yml and rebuild: 'baocao build --year …'",
    )
