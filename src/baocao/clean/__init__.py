"""Cleaning: the readers' rows → typed, validated tidy tables, rejects and row accounting.

Nothing is lost: for every file and sheet, rows read = kept + rejected + blank + total (totals,
subtotals and signature blocks), and every rejected row is in ``rejects.csv`` with its file,
sheet, row, column, value and a reason in Vietnamese and English. Rows kept with a remark are
listed in ``warnings.csv``.

- :mod:`.convert`: one cell → its typed value (pure);
- :mod:`.table`: a table's rows from all its sheets (rules, duplicates, one row per khu);
- :mod:`.year`: a year (:func:`clean_year`, :class:`CleanResult`);
- :mod:`.tidy`: the tidy tables as CSV files and back.
"""

from __future__ import annotations

from .convert import LONG_TEXT, WHOLE_UNIT, CleanContext, convert_cell
from .table import clean_table
from .tidy import ACCOUNTING_COLUMNS, DTYPES, PROVENANCE, REJECT_COLUMNS, read_clean, write_clean
from .year import CleanResult, clean_year

__all__ = [
    "ACCOUNTING_COLUMNS",
    "DTYPES",
    "LONG_TEXT",
    "PROVENANCE",
    "REJECT_COLUMNS",
    "WHOLE_UNIT",
    "CleanContext",
    "CleanResult",
    "clean_table",
    "clean_year",
    "convert_cell",
    "read_clean",
    "write_clean",
]
