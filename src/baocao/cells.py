"""Text that a spreadsheet opens is never a formula (formula injection, OWASP "CSV Injection").

A label carried from last year's workbook into next year's template, or a cell of a tidy
table or of ``rejects.csv``, may begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return: Excel and LibreOffice would run it (``=HYPERLINK(…)``, ``=1+1``). Into a workbook,
:func:`text_cell` writes text as a string cell, never a formula (and marks it quote-prefixed,
as Excel does for text typed after an apostrophe). Into a CSV, :func:`neutralise` puts an
apostrophe before such text, as OWASP describes; :func:`restore` takes it away again when
baocao reads its own CSV, so nothing is lost. A number (``-5``, ``+1,5``) stays a number.
"""

from __future__ import annotations

import re

#: What makes a spreadsheet read a cell as a formula (OWASP).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_TO_NEUTRALISE = re.compile(r"'*[=+\-@\t\r]")


def text_cell(ws, row: int, column: int, value: object):
    """``ws.cell(row, column, value)``, a text value always a string cell (never a formula)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(TRIGGERS):
            cell.quotePrefix = True
    return cell


def neutralise(text: str) -> str:
    """Text for a CSV cell a spreadsheet opens: an apostrophe before text that would be read
    as a formula (and before such text that already begins with apostrophes, so that
    :func:`restore` gives back exactly what was written). A plain number is left alone."""
    if _TO_NEUTRALISE.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given."""
    return text[1:] if _NEUTRALISED.match(text) else text


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV the build wrote (text, its BOM allowed), each cell restored."""
    import csv
    import io

    rows = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    return [{k: restore(v) for k, v in row.items()} for row in rows]
