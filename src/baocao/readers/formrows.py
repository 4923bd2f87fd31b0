"""Parts of a printed form that are not data: the header repeated at a page break, a page line
("Trang 2/3"), the column-number row under a header ("(1) (2) (3)…", "A B 1 2 3", "(3)=(1)x(2)"),
notes under a table ("Ghi chú:", "(*) …", "Nguồn: …") and section rows between activities
("I | QUÝ I", "A. Hoạt động của Ban CTMT").

Such rows are skipped and counted with the other non-data rows (the sheet's accounting), never
rejected. Finding them costs little: only rows with at most two filled cells, or a text cell where
a date or a number belongs, are looked at one by one (:func:`suspect_value`); a data row is
neither.
"""

from __future__ import annotations

import re

from ..parse import is_blank
from ..textenc import fold_key, remove_diacritics

#: Kinds of skipped rows, as the data-quality record names them.
REPEATED_HEADER = "repeated header"
PAGE_LINE = "page line"
COLUMN_NUMBERS = "column numbers"
NOTE = "note"
SECTION = "section"

#: Column types where a text starting with a letter or "(" marks a row to look at.
TYPED_COLUMNS = ("date", "integer", "number", "money", "month", "year")

_PAGE = re.compile(r"(?:trang|tr\.?|page)\s*\d{1,3}(?:\s*(?:/|tren|of)\s*\d{1,3})?|-\s*\d{1,3}\s*-")
_NOTE = re.compile(r"(?:\(\s*\*+\s*\)|\*+|ghi chu|chu thich|chu y|luu y|nguon|ghi chu\s*:)(?:\W|$)")
_BULLET = re.compile(r"\s*(?:[-+•*–]|\(?\d{1,2}[).]|[a-z][).])\s*\S")
_ROMAN = r"(?:x{0,2}(?:ix|iv|v?i{0,3}))"
_SECTION_MARK = re.compile(rf"(?:{_ROMAN}|[a-h])[.)]?", re.IGNORECASE)
_SECTION_TEXT = re.compile(
    rf"(?:(?:{_ROMAN}|[a-h])[.)]\s+\S.*"
    rf"|(?:quy|phan|muc|dot|giai doan)\s+(?:{_ROMAN}|\d{{1,2}})\b.*)",
    re.IGNORECASE,
)
_COLUMN_LABEL = re.compile(r"\(?\s*(\d{1,2}|[a-z])\s*\)?")
_COLUMN_FORMULA = re.compile(r"\(?\s*\d{1,2}\s*\)?(?:\s*[=x×*+\-/:]\s*\(?\s*\d{1,2}\s*\)?)+")
_TWO_LEVEL = {fold_key(t) for t in ("Tổng số", "Tổng", "Số lượng", "Trong đó: nữ", "Trong đó nữ", "Trong đó", "Nữ")}


def suspect_value(value: object, kind: str) -> bool:
    """Whether a cell of a typed column holds what a form's furniture holds rather than data:
    text starting with a letter or "(" ("Số cuộc", "(7)", "Trang 2"), or a small whole number
    in a date column (a column number, never a date of the report)."""
    if isinstance(value, str):
        text = value.lstrip()
        if not text:
            return False
        first = text[0]
        if kind == "date" and (first.isdigit() or text[:2].lower() in ("ng",)):
            return not first.isdigit() or len(text) <= 2
        return not (first.isdigit() or first in "+-.,")
    if kind == "date" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0 <= value < 100
    return False


def _key(value: object) -> str:
    return remove_diacritics(str(value)).lower().strip() if isinstance(value, str) else ""


def classify(cells: list[object], header_keys: frozenset[str], in_notes: bool) -> str | None:
    """The kind of form part a row is, or None for a row that may be data.

    ``cells`` are the row's cells, ``header_keys`` the folded headers (and aliases) of the table,
    ``in_notes`` whether a note line came just before (a note goes on over single-cell lines)."""
    filled = [c for c in cells if not is_blank(c)]
    if not filled:
        return None
    texts = [c for c in filled if isinstance(c, str)]
    keys = [_key(c) for c in texts]
    if len(filled) <= 2 and len(texts) == len(filled):
        if any(_PAGE.fullmatch(k) for k in keys):
            return PAGE_LINE
        if _NOTE.match(keys[0]) or (in_notes and len(filled) == 1 and _BULLET.match(keys[0])):
            return NOTE
        if any(_SECTION_TEXT.fullmatch(k) for k in keys) or (
            len(filled) == 2 and _SECTION_MARK.fullmatch(keys[0]) and not any(ch.isdigit() for ch in keys[1])
        ):
            return SECTION
        if len(filled) == 1 and _SECTION_MARK.fullmatch(keys[0]) and keys[0] not in ("a", "i"):
            return SECTION
    folded = [fold_key(str(c)) for c in filled]
    known = all(k in header_keys or k in _TWO_LEVEL or k in ("stt", "tt") for k in folded)
    if known and sum(k in header_keys for k in folded) >= 2:
        return REPEATED_HEADER
    if len(filled) >= 3 and _column_numbers(filled):
        return COLUMN_NUMBERS
    return None


def _column_numbers(filled: list[object]) -> bool:
    """Every filled cell a column label ("(1)", "1", "A", "(3)=(1)x(2)"), the numbers increasing
    (one by one when the row holds bare numbers only)."""
    numbers = []
    for cell in filled:
        if isinstance(cell, bool):
            return False
        if isinstance(cell, (int, float)):
            if not float(cell).is_integer() or not 0 < cell < 100:
                return False
            numbers.append(int(cell))
            continue
        text = _key(cell)
        m = _COLUMN_LABEL.fullmatch(text)
        if m:
            if m.group(1).isdigit():
                numbers.append(int(m.group(1)))
            continue
        f = _COLUMN_FORMULA.fullmatch(text)
        if not f:
            return False
        numbers.append(int(re.match(r"\(?\s*(\d+)", text).group(1)))  # type: ignore[union-attr]
    steps = [b - a for a, b in zip(numbers, numbers[1:], strict=False)]
    if len(numbers) == len(filled):  # bare numbers only: the columns counted one by one, 1 2 3 …
        return len(numbers) >= 3 and all(step == 1 for step in steps)
    return len(numbers) >= 2 and all(step > 0 for step in steps)
