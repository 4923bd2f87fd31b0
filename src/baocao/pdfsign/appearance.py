"""How a signature looks on the page: the images of Nghị định 30/2020/NĐ-CP, Phụ lục I.

* The signer's signature image (blue ink, PNG with transparency) sits between the title
  ("TM. BAN THƯỜNG TRỰC / CHỦ TỊCH") and the signer's name, centred on the block's column.
* The organisation's seal image (red, at its real size: 36-42 mm across, from the PNG's own
  resolution when it says one, else 40 mm) covers about the left third of the signature image,
  centred on it vertically.
* Without images: a text stamp (signer, organisation, time in ISO 8601 with +07:00) in the
  same room, in Liberation Serif from ``report/fonts`` (embedded, so the PDF stays PDF/A).

The images are drawn into one transparent picture at 300 dpi, in one box: the signature
field's appearance. Coordinates are PDF points (1/72 in) on the block's page.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import PdfSigningError
from .block import SignatureBlock

MM = 72 / 25.4  # points per millimetre
DPI = 300
SEAL_MM = 40.0  # the seal's diameter when its PNG does not say its resolution
SEAL_RANGE_MM = (30.0, 50.0)  # a resolution giving a size outside this is not trusted
SIGNATURE_MAX_MM = (70.0, 30.0)  # width, height
DEFAULT_SIGNATURE_MM = (50.0, 20.0)  # where the seal goes when no signature image is known
VN_TIME = dt.timezone(dt.timedelta(hours=7))
MODES = ("both", "signature", "seal", "text")


@dataclass(frozen=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def union(self, other: Rect) -> Rect:
        return Rect(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def outward(self) -> Rect:
        """The smallest rectangle of whole points around this one (pyHanko's field box)."""
        import math

        return Rect(math.floor(self.x0), math.floor(self.y0), math.ceil(self.x1), math.ceil(self.y1))


def open_png(path: Path, what_vi: str, what_en: str):
    """A PNG as an RGBA Pillow image, or a PdfSigningError naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                raise PdfSigningError(
                    f"{what_vi} {path} không phải ảnh PNG ({img.format})",
                    f"the {what_en} {path} is not a PNG ({img.format})",
                    hint_vi="lưu ảnh dạng PNG có nền trong suốt",
                    hint_en="save the image as a PNG with a transparent background",
                )
            img.load()
            dpi = img.info.get("dpi")
            rgba = img.convert("RGBA")
            rgba.info["dpi"] = dpi
            return rgba
    except (OSError, UnidentifiedImageError) as exc:
        raise PdfSigningError(
            f"không đọc được {what_vi} {path} ({exc.__class__.__name__})",
            f"cannot read the {what_en} {path} ({exc.__class__.__name__})",
            hint_vi="đưa đường dẫn tới một tệp PNG",
            hint_en="give the path of a PNG file",
        ) from None


def seal_diameter(seal) -> float:
    """The seal's real size in points: from the PNG's resolution when it gives 30-50 mm."""
    dpi = seal.info.get("dpi")
    if dpi and dpi[0]:
        mm = seal.width / float(dpi[0]) * 25.4
        if SEAL_RANGE_MM[0] <= mm <= SEAL_RANGE_MM[1]:
            return mm * MM
    return SEAL_MM * MM


def signature_rect(block: SignatureBlock, signature) -> Rect:
    """The signature image's place: as tall as the room between title and name allows (at
    most 30 mm), at most 70 mm wide, centred on the column and in the room."""
    bottom, top = block.gap
    if signature is None:
        width, height = DEFAULT_SIGNATURE_MM[0] * MM, DEFAULT_SIGNATURE_MM[1] * MM
    else:
        height = min(0.92 * (top - bottom), SIGNATURE_MAX_MM[1] * MM)
        width = height * signature.width / signature.height
        if width > SIGNATURE_MAX_MM[0] * MM:
            width, height = SIGNATURE_MAX_MM[0] * MM, SIGNATURE_MAX_MM[0] * MM * signature.height / signature.width
    cy = (bottom + top) / 2
    return Rect(block.centre_x - width / 2, cy - height / 2, block.centre_x + width / 2, cy + height / 2)


def seal_rect(sig: Rect, diameter: float) -> Rect:
    """The seal over the left third of the signature image, centred on it vertically."""
    right = sig.x0 + sig.width / 3
    cy = (sig.y0 + sig.y1) / 2
    return Rect(right - diameter, cy - diameter / 2, right, cy + diameter / 2)


def _paste(canvas, img, place: Rect, box: Rect) -> None:
    from PIL import Image

    scale = DPI / 72
    size = (max(1, round(place.width * scale)), max(1, round(place.height * scale)))
    resized = img.resize(size, Image.Resampling.LANCZOS)
    at = (round((place.x0 - box.x0) * scale), round((box.y1 - place.y1) * scale))
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    layer.paste(resized, at)
    canvas.alpha_composite(layer)


@dataclass(frozen=True)
class ImageAppearance:
    """The field's box on the page and the picture drawn into it."""

    box: Rect
    picture: object  # a Pillow RGBA image of the box at DPI


def image_appearance(block: SignatureBlock, signature, seal, mode: str) -> ImageAppearance:
    """The picture for ``mode`` "both", "signature" or "seal". ``signature``, ``seal``:
    RGBA images, or None (a seal placed without a signature image goes where a 50 × 20 mm one
    would be)."""
    from PIL import Image

    sig = signature_rect(block, signature)
    parts = []
    if mode in ("both", "signature") and signature is not None:
        parts.append((signature, sig))
    if mode in ("both", "seal") and seal is not None:
        parts.append((seal, seal_rect(sig, seal_diameter(seal))))
    if not parts:
        raise PdfSigningError(
            "không có ảnh chữ ký hay ảnh con dấu để đặt lên văn bản",
            "there is no signature or seal image to put on the document",
            hint_vi="thêm --signature-image/--seal-image, hoặc dùng --appearance text",
            hint_en="add --signature-image/--seal-image, or use --appearance text",
        )
    box = parts[0][1]
    for _, place in parts[1:]:
        box = box.union(place)
    box = box.outward()
    canvas = Image.new("RGBA", (round(box.width * DPI / 72), round(box.height * DPI / 72)), (0, 0, 0, 0))
    for img, place in parts:
        _paste(canvas, img, place, box)
    return ImageAppearance(box, canvas)


def image_style(picture):
    """The pyHanko stamp style that draws ``picture`` over its whole box, without a border."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.stamp import StaticStampStyle

    return StaticStampStyle(
        background=PdfImage(picture),
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
            inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
        ),
    )


def stamp_lines(signer: str, organisation: str, when: dt.datetime) -> list[str]:
    """The text stamp's lines: who signed, for which organisation, when (ISO 8601, +07:00)."""
    at = when.astimezone(VN_TIME).replace(microsecond=0).isoformat()
    lines = [f"Ký bởi / Signed by: {signer}"]
    if organisation:
        lines.append(f"Cơ quan / Organisation: {organisation}")
    lines.append(f"Thời gian / Time: {at}")
    return lines


def text_rect(block: SignatureBlock) -> Rect:
    bottom, top = block.gap
    return Rect(block.centre_x - 36 * MM, bottom, block.centre_x + 36 * MM, top).outward()


def _font_at_1000_upem(font_file: Path) -> bytes:
    """The font, rescaled to 1000 units per em: pyHanko writes a CID font's glyph widths
    (/W) in the font's own units, which PDF reads as thousandths of an em, so a 2048-unit
    font such as Liberation Serif would be spaced twice too wide."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(str(font_file))
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def _embedded_font_class():
    from pyhanko.pdf_utils.font.api import FontEngineFactory
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

    class _EmbeddedFont(FontEngineFactory):
        """pyHanko's font factory for a font held in memory (subset and embedded)."""

        def __init__(self, font_file: Path, size: int = 8):
            self.data = _font_at_1000_upem(font_file)
            self.size = size

        def create_font_engine(self, writer, obj_stream=None):
            return GlyphAccumulator(writer, io.BytesIO(self.data), self.size, obj_stream=obj_stream)

    return _EmbeddedFont


def EmbeddedFont(font_file: Path):  # noqa: N802 - builds the class once pyHanko is imported
    return _embedded_font_class()(font_file)


def text_style(lines: list[str], font_file: Path):
    """A bordered text stamp in ``font_file`` (embedded as a subset; PDF/A needs it)."""
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    text = "\n".join(line.replace("%", "%%") for line in lines)
    return TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(font=EmbeddedFont(font_file), font_size=8, leading=10),
        border_width=1,
        border_color=(0.1, 0.2, 0.6),
        background=None,
    )
