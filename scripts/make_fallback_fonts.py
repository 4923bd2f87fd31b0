"""Make the Noto fallback fonts of report/fonts/ (see its README.md) from their packages.

The PDF's main font (Liberation Serif) has no emoji, symbols such as ★ ✓ ①, Chinese, Khmer or Lao
letters; offices paste them into names and descriptions. These OFL fonts follow it in
``baocao.fonts`` (_quarto.yml). Sources, unpacked beforehand (``apt-get download`` and
``dpkg-deb -x``; ``pip download --no-deps manimgx-fonts==2026.9.26.post1`` and unzip):

- Debian fonts-noto-core 20201225-1: NotoSansSymbols-Regular.ttf, NotoSansSymbols2-Regular.ttf,
  NotoSerifKhmer-Regular.ttf, NotoSerifLao-Regular.ttf (copied unmodified);
- Debian fonts-noto-cjk 1:20220127+repack1-1: NotoSansCJK-Regular.ttc, whose "Noto Sans CJK SC"
  face is subset to GB 2312 level 1 (the 3,755 most common characters), kana, CJK punctuation
  and full-width forms (1.7 MB instead of 19 MB);
- manimgx-fonts 2026.9.26.post1 (PyPI): NotoEmoji[wght].ttf, instanced at weight 400.

Usage::

    .venv/bin/python scripts/make_fallback_fonts.py DEBIAN_ROOT WHEEL_DIR [--out report/fonts]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from fontTools.varLib import instancer

COPIED = (
    "NotoSansSymbols-Regular.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "NotoSerifKhmer-Regular.ttf",
    "NotoSerifLao-Regular.ttf",
)


def gb2312_level1() -> set[int]:
    out = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                out.add(ord(bytes([hi, lo]).decode("gb2312")))
    return out


def cjk_subset(ttc: Path, dest: Path) -> None:
    collection = TTCollection(str(ttc))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    keep = gb2312_level1() | set(range(0x3000, 0x3100)) | set(range(0xFF00, 0xFFF0))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(keep))
    subsetter.subset(font)
    font.save(str(dest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("debian_root", type=Path, help="where the two Debian packages are unpacked")
    parser.add_argument("wheel_dir", type=Path, help="where the manimgx-fonts wheel is unzipped")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "report" / "fonts")
    args = parser.parse_args(argv)
    noto = args.debian_root / "usr" / "share" / "fonts"
    for name in COPIED:
        shutil.copy2(noto / "truetype" / "noto" / name, args.out / name)
    cjk_subset(noto / "opentype" / "noto" / "NotoSansCJK-Regular.ttc", args.out / "NotoSansCJKsc-Regular-subset.otf")
    emoji = instancer.instantiateVariableFont(
        TTFont(str(args.wheel_dir / "manimgx_fonts" / "NotoEmoji[wght].ttf")), {"wght": 400}
    )
    emoji.save(str(args.out / "NotoEmoji-Regular.ttf"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
