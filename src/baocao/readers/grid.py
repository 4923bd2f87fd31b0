"""A sheet as the readers hold it: its rows of cell values, and the same rows column by column.

A workbook's grid holds only the rows that have a cell with a value (a sheet whose used range
reaches row 1,048,576 because of one stray cell costs what its data costs), each with the row
number Excel shows; a CSV file's rows are numbered 1, 2, 3…
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

#: Rows of a sheet searched for its header row (CSV and workbooks alike).
HEADER_SEARCH_ROWS = 20


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: reading a large file allocates millions of small
    objects and no cycles, and the collector's passes over them cost more than the reading."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def factorize(values: Sequence[object]) -> tuple[np.ndarray, list]:
    """(codes, distinct values): ``values[i]`` is ``uniques[codes[i]]``.

    Values are told apart by class as well as by value (1, 1.0 and True are three values);
    an unhashable value is its own distinct value.
    """
    index: dict = {}
    uniques: list = []
    codes = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        key: tuple[type, object] | None = (value.__class__, value)
        try:
            code = index.get(key)
        except TypeError:
            code, key = None, None
        if code is None:
            code = len(uniques)
            uniques.append(value)
            if key is not None:
                index[key] = code
        codes[i] = code
    return codes, uniques


@dataclass
class Columns:
    """A sheet column by column: cell ``[r][j]`` is ``uniques[j][codes[j][r]]`` (None past a row's end)."""

    nrows: int
    codes: list[np.ndarray]
    uniques: list[list]

    @classmethod
    def from_rows(cls, rows: list[list[object]]) -> Columns:
        n = len(rows)
        codes, uniques = [], []
        for column in itertools.zip_longest(*rows):
            c, u = factorize(column)
            codes.append(c)
            uniques.append(u)
        return cls(n, codes, uniques)

    @property
    def width(self) -> int:
        return len(self.codes)

    def column(self, j: int, rows: np.ndarray | slice) -> tuple[np.ndarray, list]:
        """Column ``j`` at ``rows``, its codes renumbered over the values that occur there."""
        if j >= self.width:
            n = len(range(self.nrows)[rows]) if isinstance(rows, slice) else len(rows)
            return np.zeros(n, dtype=np.int64), [None]
        codes = self.codes[j][rows]
        uniques = self.uniques[j]
        if len(uniques) <= 1 or len(codes) == 0:
            return codes, uniques if len(codes) else []
        present = np.zeros(len(uniques), dtype=bool)
        present[codes] = True
        if present.all():
            return codes, uniques
        kept = np.flatnonzero(present).tolist()
        renumber = np.cumsum(present) - 1
        return renumber[codes], list(map(uniques.__getitem__, kept))


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell whose file holds no computed result (a workbook written by a program and
    never opened in Excel): its value is unknown, never empty."""

    cell: str  # "G8"
    formula: str  # "=SUM(G5:G7)"


@dataclass
class Grid:
    """A sheet as rows of cell values, with its merged ranges (for headers) and visibility."""

    name: str
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # min_row, min_col, max_row, max_col (1-based)
    encoding: str | None = None  # CSV only: the encoding the bytes were read with
    #: Every row column by column. A CSV file's grid holds only its first rows in ``rows`` (for
    #: the header search) and all of them here; a workbook's is made from ``rows`` when needed.
    columns: Columns | None = None
    #: The Excel row number of each entry of ``rows`` (None: the rows are 1, 2, 3…).
    row_numbers: list[int] | None = None
    hidden: bool = False  # a sheet hidden in Excel (never read as data)
    _index: dict[int, int] | None = field(default=None, repr=False)

    def columnar(self) -> Columns:
        if self.columns is None:
            self.columns = Columns.from_rows(self.rows)
        return self.columns

    def numbers(self) -> np.ndarray:
        """The Excel row number of each row of :meth:`columnar`."""
        if self.row_numbers is None:
            return np.arange(1, self.columnar().nrows + 1, dtype=np.int64)
        return np.asarray(self.row_numbers, dtype=np.int64)

    def row_at(self, index: int) -> list[object]:
        """The cells of Excel row ``index + 1`` ([] for a row with no cell)."""
        if self.row_numbers is None:
            return self.rows[index] if index < len(self.rows) else []
        if self._index is None:
            self._index = {n - 1: i for i, n in enumerate(self.row_numbers)}
        i = self._index.get(index)
        return self.rows[i] if i is not None else []

    @property
    def height(self) -> int:
        """Excel rows up to the last one with a cell."""
        if self.row_numbers is None:
            return len(self.rows)
        return self.row_numbers[-1] if self.row_numbers else 0
