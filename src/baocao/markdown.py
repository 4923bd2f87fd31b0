"""Markdown written from data: text that can never become markup (:func:`md_escape`), trusted
Markdown (:class:`Md`), JSON-quoted front-matter strings, pipe tables with their captions and
widths, figures, and the numbering of tables and figures ("Bảng 1", "Biểu đồ 1").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence

from . import vnformat as vn
from .figures import Figure

# ASCII punctuation that means something to pandoc's Markdown (or Quarto's) somewhere inline.
# Quotes are left alone: a pair of them becomes typographic quotes (“…”), as in the text of
# the template, so that "Ngày chủ nhật xanh" looks the same in a table as in a sentence.
_SPECIAL = set("\\`*_{}[]<>#!|~^$@&=")
_LIST_START = re.compile(r"^(\d+)([.)])")


class Md(str):
    """Trusted Markdown: printed as is by the template."""


def md_escape(value: object) -> str:
    """Plain text → Markdown that renders as exactly that text, on one line.

    Runs of white space become one space (a newline would end a table row or a paragraph);
    a space at either end is kept, so that ``"; "`` between two items stays a separator.
    """
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    core = " ".join(text.split())
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in core)
    out = _LIST_START.sub(r"\1\\\2", out)
    if out[:1] in ("-", "+", ":"):
        out = "\\" + out
    if core:
        out = (" " if text[:1].isspace() else "") + out + (" " if text[-1:].isspace() else "")
    elif text:
        out = " "
    return out


def finalize(value: object) -> str:
    if isinstance(value, Md):
        return value
    if isinstance(value, bool) or value is None:
        return md_escape(value if value is not None else "")
    if isinstance(value, int):
        return str(value)  # years, counts in running text: group digits with the `num` filter
    if isinstance(value, float):
        return vn.fmt_number(value, 0 if value.is_integer() else 1)
    return md_escape(value)


def yaml_str(value: object) -> Md:
    """A YAML (JSON) string whose content is escaped Markdown."""
    return Md(json.dumps(md_escape(value), ensure_ascii=False))


def yaml_list(values: Iterable[object]) -> Md:
    return Md("[" + ", ".join(yaml_str(v) for v in values) + "]")


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    align: str,
    caption: str,
    widths: Sequence[int] | None = None,
) -> Md:
    """A pipe table; ``align`` is one letter per column: l, r or c. Cells are escaped.

    ``widths`` (relative, one per column) make the table as wide as the text and size its
    columns so; they are written as Quarto's ``tbl-colwidths`` caption attribute, which
    Quarto applies itself and report/filters/baocao.lua applies in the pandoc backend.
    Without them a table is as wide as its content.
    """
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    if len(align) != len(headers) or (widths is not None and len(widths) != len(headers)):
        raise ValueError("one alignment letter and one width per column")
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(finalize(c) for c in row) + " |")
    lines.append("")
    attrs = ""
    if widths is not None:
        attrs = ' {tbl-colwidths="[' + ",".join(str(int(w)) for w in widths) + ']"}'
    lines.append(": " + md_escape(caption) + attrs)
    return Md("\n".join(lines))


class Numbering:
    """Bảng 1, 2 … and Biểu đồ 1, 2 … in document order (the renderers do not number)."""

    def __init__(self):
        self.tables = 0
        self.figures = 0
        self.appendix_keys: dict[str, int] = {}

    def ref(self, key: str) -> str:
        """The appendix's own number of a table ("Biểu số 01"), fixed at its first mention: the
        body refers to an appendix table before the appendix prints it."""
        number = self.appendix_keys.setdefault(key, len(self.appendix_keys) + 1)
        return f"Biểu số {number:02d}"

    def appendix(self, key: str, caption: str) -> str:
        """An appendix table's caption, numbered apart from the body's tables."""
        return f"{self.ref(key)}: {caption}"

    def table(self, caption: str) -> str:
        self.tables += 1
        return f"Bảng {self.tables}: {caption}"

    def figure(self, caption: str) -> str:
        self.figures += 1
        return f"Biểu đồ {self.figures}: {caption}"


def figure_md(figure: Figure, caption: str) -> Md:
    alt = figure.alt.replace('"', "'")
    return Md(f'![{md_escape(caption)}]({figure.file}){{fig-alt="{alt}" width="95%"}}')


def lower_first(text: object) -> str:
    """A name used inside a sentence: the first letter in lower case ("Tỷ lệ …" → "tỷ lệ …"),
    unless the first word is an abbreviation ("MTTQ chủ trì") or belongs to a proper name
    ("Ban Công tác Mặt trận …")."""
    text = str(text)
    words = text.split(" ", 2)
    if not text or (len(words) > 1 and words[1][:1].isupper()) or sum(c.isupper() for c in words[0]) > 1:
        return text
    return text[:1].lower() + text[1:]


def cell_number(value, decimals: int | None = None) -> Md:
    """A number in a table cell: "–" for none, whole numbers without decimals."""
    if value is None:
        return Md("–")
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    return Md(vn.fmt_number(value, decimals))
