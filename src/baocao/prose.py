"""Prose that people type (the narrative, nhan-dinh.md) → Markdown that renders as exactly that text.

The composed .qmd is read by pandoc *and* by Quarto, whose Markdown reader we cannot configure:
citations (``@name``), TeX math (``$5``), shortcodes (``{{< … >}}``), raw attributes, bracketed
spans (``[x]{onfocus=…}``), fenced divs (``::: {…}``), emoji codes (``:smile:``), raw HTML
(``<b>``), headings (``#`` at a line start)… So the narrative is not passed through: it is parsed
here into the few constructs it may use — paragraphs, ``-``/``*``/``+``/``•`` and ``1.`` lists
(one level of nesting), ``**strong**`` and ``*emphasis*``/``_emphasis_`` — and written out again
with every other character that means something to either reader escaped. Whatever ``validate``
accepts, ``build`` renders as typed.

Characters the PDF fonts cannot draw (emoji, pictographs…) are found before the build:
:func:`unprintable` checks each character outside the known-good set with typst itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from .textenc import VIETNAMESE_LETTERS

#: ASCII punctuation that means something to pandoc's or Quarto's Markdown somewhere in a line.
#: Quotes are left alone: a pair of them becomes typographic quotes, as in the template's text.
#: "%" is escaped so that "{%" (Jinja2) never appears in the composed document.
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>#!|~^$@&=:%")
_LINE_START = re.compile(r"^(\d+)([.)])")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<mark>[-*+•‣◦▪●]|\d{1,3}[.)])[ \t]+(?P<text>\S.*)$")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_EMPH = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])|(?<![_\w])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![_\w])")


def escape_text(text: str) -> str:
    """Plain text → Markdown for it inside a line (no line-start handling)."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text)


def inline(text: str) -> str:
    """One line of prose: ``**strong**`` and ``*emphasis*`` kept, everything else escaped."""
    out = []
    pos = 0
    while pos < len(text):
        found = [m for m in (_STRONG.search(text, pos), _EMPH.search(text, pos)) if m]
        if not found:
            break
        m = min(found, key=lambda m: (m.start(), -len(m.group(0))))
        inner = m.group(1) if m.group(1) is not None else m.group(2)
        mark = "**" if m.re is _STRONG else "*"
        out.append(escape_text(text[pos : m.start()]))
        out.append(mark + inline(inner) + mark)
        pos = m.end()
    out.append(escape_text(text[pos:]))
    return "".join(out)


def _line(text: str) -> str:
    """A line of a paragraph, safe at the start of a line as well."""
    body = inline(" ".join(text.split()))
    body = _LINE_START.sub(r"\1\\\2", body)
    return "\\" + body if body[:1] in ("-", "+") else body


@dataclass
class _Item:
    level: int
    ordered: str | None  # "3." for a numbered item, None for a bullet
    lines: list[str]


def to_markdown(lines: list[str]) -> str:
    """The lines of one narrative section → safe Markdown (paragraphs and lists)."""
    blocks: list[list[str] | _Item] = []
    current: list[str] | _Item | None = None
    for raw in lines:
        if not raw.strip():
            current = None
            continue
        item = _ITEM.match(raw)
        if item is not None:
            indent = len(item["indent"].expandtabs(4))
            level = 1 if indent >= 2 and isinstance(current, _Item) else 0
            mark = item["mark"]
            current = _Item(level, mark if mark[0].isdigit() else None, [item["text"]])
            blocks.append(current)
        elif current is None:
            current = [raw]
            blocks.append(current)
        else:  # the line goes on the paragraph or item above
            (current.lines if isinstance(current, _Item) else current).append(raw)
    out: list[str] = []
    previous: object = None
    for block in blocks:
        if isinstance(block, _Item):
            if not isinstance(previous, _Item) or (
                block.level == 0 and (previous.ordered is None) != (block.ordered is None)
            ):
                out.append("")
            mark = (block.ordered[:-1] + ".") if block.ordered else "-"
            pad = "    " * block.level
            out.append(f"{pad}{mark} {_line(' '.join(block.lines))}")
        else:
            out.append("")
            out.extend(_line(ln) for ln in block)
        previous = block
    return "\n".join(out).strip("\n")


# ---------------------------------------------------------------------------- characters the PDF can draw
_KNOWN_GOOD = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + list(VIETNAMESE_LETTERS)
    + list("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯư")
    + list("ÄÅÆÇËÎÏÑÖØÜßäåæçëîïñöøüÿ")
    + list("–—‘’‚“”„…•·°±×÷€£¥₫№§©®™‰′″«»¼½¾¹²³µ¶")
    + ["\u00a0"]
)


_UNUSUAL = re.compile("[^" + re.escape("".join(sorted(_KNOWN_GOOD))) + "\n]")


def unusual_at(text: str) -> list[int]:
    """Where ``text`` holds a character outside the set every PDF font draws (the ones to check
    with :func:`unprintable`): one search, cheap over a whole column of text joined by line breaks."""
    return [m.start() for m in _UNUSUAL.finditer(text)]


@dataclass(frozen=True)
class Unprintable:
    char: str
    line: int
    column: int

    @property
    def name(self) -> str:
        return unicodedata.name(self.char, f"U+{ord(self.char):04X}")

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"


def unprintable(
    lines: list[tuple[int, str]], fonts: tuple[str, ...], font_paths: tuple[str, ...] = ()
) -> list[Unprintable]:
    """The first place of each character of ``lines`` that the PDF fonts cannot draw."""
    first: dict[str, tuple[int, int]] = {}
    for lineno, text in lines:
        for col, ch in enumerate(text, start=1):
            if ch not in _KNOWN_GOOD and ch not in first:
                first[ch] = (lineno, col)
    if not first:
        return []
    drawn = _drawable(tuple(sorted(first)), fonts, font_paths)
    return [Unprintable(ch, *at) for ch, at in sorted(first.items(), key=lambda kv: kv[1]) if not drawn[ch]]


_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _drawable(chars: tuple[str, ...], fonts: tuple[str, ...], font_paths: tuple[str, ...]) -> dict[str, bool]:
    """Whether typst draws each character with the fonts (or their fallbacks), not as a missing-glyph box."""
    out = {ch: False for ch in chars if unicodedata.category(ch) in _INVISIBLE or ch == "\ufe0f"}
    todo = [ch for ch in chars if ch not in out]
    if todo:
        notdef = _glyph("\U000f0000", fonts, font_paths)  # a private-use character no font has
        for ch in todo:
            out[ch] = _glyph(ch, fonts, font_paths) != notdef
    return out


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, fonts: tuple[str, ...], font_paths: tuple[str, ...]) -> str:
    """The outline typst draws for one character (its SVG path)."""
    import typst

    family = ", ".join(_typst_string(f) for f in fonts) or '"Libertinus Serif"'
    source = f"#set page(width: auto, height: auto, margin: 0pt)\n#set text(font: ({family},))\n#{_typst_string(ch)}\n"
    # (typst's stubs tie font_paths to the input's type, bytes here: paths are str)
    svg = typst.compile(
        source.encode("utf-8"),
        format="svg",
        ignore_system_fonts=True,  # type: ignore[call-overload]
        font_paths=list(font_paths),
    ).decode("utf-8")
    return " ".join(re.findall(r'<symbol[^>]*>\s*<path d="([^"]*)"', svg)) or svg


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
