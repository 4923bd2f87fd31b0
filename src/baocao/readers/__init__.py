"""Readers: the offices' workbooks and CSV files, as a person sees them.

A reader finds each expected file exactly once in the year's folder (:mod:`.files`), opens it
(:mod:`.workbook`, :mod:`.csvfile`) into grids of cell values (:mod:`.grid`), finds each table's
sheet and header row (:mod:`.headers`), and sorts the rows below it into data, blank, total and
other non-data rows, each counted (:mod:`.sheet`). :class:`YearReader` (:mod:`.year`) does it for
every table of a year. Row-level problems are the cleaner's (:mod:`baocao.clean`).
"""

from __future__ import annotations

from .files import Declared, name_key
from .grid import HEADER_SEARCH_ROWS, Columns, FormulaWithoutValue, Grid, no_gc
from .sheet import SheetRead, TotalRow, read_sheet
from .year import YearReader, open_grids

__all__ = [
    "Columns",
    "Declared",
    "FormulaWithoutValue",
    "Grid",
    "HEADER_SEARCH_ROWS",
    "SheetRead",
    "TotalRow",
    "YearReader",
    "name_key",
    "no_gc",
    "open_grids",
    "read_sheet",
]
