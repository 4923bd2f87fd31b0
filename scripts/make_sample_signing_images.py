"""Make the sample unit's made-up signature and seal images (data/ky-so-mau/).

They are clearly samples: the signature is a drawn scribble with "MẪU / SAMPLE" written
across it, and the seal says "MẪU - KHÔNG CÓ GIÁ TRỊ" ("sample, of no value") in its centre.
Neither belongs to a real person or office. Both are PNGs with a transparent background at
300 dpi; the seal is 40 mm across at that resolution (its real size, as Nghị định 30/2020
Phụ lục I asks), in red; the signature is in blue ink.

Run again after changing it: `.venv/bin/python scripts/make_sample_signing_images.py`
(deterministic: the same bytes every time).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "ky-so-mau"
FONTS = ROOT / "report" / "fonts"
DPI = 300
BLUE = (20, 40, 160, 255)
RED = (210, 20, 30, 255)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def signature() -> Image.Image:
    """A 50 × 20 mm scribble in blue, with "MẪU / SAMPLE" across it."""
    w, h = round(50 / 25.4 * DPI), round(20 / 25.4 * DPI)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = []
    for i in range(240):
        t = i / 239
        x = 0.06 * w + 0.88 * w * t
        y = h * (0.55 - 0.22 * math.sin(t * 9 * math.pi) * (1 - 0.5 * t) - 0.1 * math.sin(t * 2 * math.pi))
        points.append((x, y))
    draw.line(points, fill=BLUE, width=7, joint="curve")
    draw.line([(0.18 * w, 0.82 * h), (0.9 * w, 0.7 * h)], fill=BLUE, width=5)
    label = "MẪU / SAMPLE"
    font = _font("LiberationSerif-Italic.ttf", 58)
    box = draw.textbbox((0, 0), label, font=font)
    draw.text(((w - (box[2] - box[0])) / 2, 0.02 * h), label, font=font, fill=BLUE)
    return img


def seal() -> Image.Image:
    """A 40 mm round seal in red: two rings, a star, and "MẪU - KHÔNG CÓ GIÁ TRỊ"."""
    size = round(40 / 25.4 * DPI)
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    for r, width in ((c - 6, 12), (c - 58, 5)):
        draw.ellipse([c - r, c - r, c + r, c + r], outline=RED, width=width)
    star = []
    for i in range(10):
        radius = 46 if i % 2 == 0 else 19
        a = -math.pi / 2 + i * math.pi / 5
        star.append((c + radius * math.cos(a), c - 95 + radius * math.sin(a)))
    draw.polygon(star, fill=RED)
    for text, dy, pts in (("MẪU", 5, 78), ("KHÔNG CÓ GIÁ TRỊ", 95, 28), ("SAMPLE", 140, 34)):
        font = _font("LiberationSerif-Bold.ttf", pts)
        box = draw.textbbox((0, 0), text, font=font)
        draw.text((c - (box[2] - box[0]) / 2, c - 40 + dy - (box[3] - box[1]) / 2), text, font=font, fill=RED)
    ring = "ỦY BAN MTTQ VIỆT NAM PHƯỜNG BÌNH NGỌC (MẪU)"
    font = _font("LiberationSerif-Bold.ttf", 30)
    radius = c - 36
    for i, ch in enumerate(ring):
        a = math.pi + (i + 0.5) * (2 * math.pi * 0.92) / len(ring) + 0.04 * math.pi
        glyph = Image.new("RGBA", (44, 44), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((22, 22), ch, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.Resampling.BICUBIC)
        img.alpha_composite(glyph, (round(c + radius * math.cos(a) - 22), round(c + radius * math.sin(a) - 22)))
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, img in (("chu-ky-mau.png", signature()), ("con-dau-mau.png", seal())):
        img.save(OUT / name, dpi=(DPI, DPI), optimize=True)
        print(f"{(OUT / name).relative_to(ROOT)} ({(OUT / name).stat().st_size} B)")


if __name__ == "__main__":
    main()
