"""CSV files as grids: UTF-8 (with or without BOM), UTF-16 with BOM, legacy Vietnamese encodings
(converted, the encoding kept on the grid for a warning), separated by ``,``, ``;`` or tabs."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import InputError, Location
from ..textenc import decode_csv_bytes
from .grid import HEADER_SEARCH_ROWS, Columns, Grid, no_gc


def open_csv(path: Path, rel: str) -> list[Grid]:
    data = path.read_bytes()
    if not data.strip():
        return [Grid("", [])]
    try:
        text, encoding = decode_csv_bytes(data)
    except ValueError as exc:
        raise InputError(
            Location(rel),
            getattr(exc, "reason_vi", f"không đọc được bảng mã của tệp CSV: {exc}"),
            getattr(exc, "reason_en", f"cannot decode the CSV file: {exc}"),
            hint_vi="lưu lại tệp dưới dạng CSV UTF-8",
            hint_en="save the file again as CSV UTF-8",
        ) from None
    del data
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    with no_gc():
        head, columns = _csv_columns(text, dialect)
    return [Grid("", head, columns=columns, encoding=encoding)]


_CSV_CHUNK_ROWS = 50_000
_TEXT_PIECE = 1 << 20


def _text_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as ``io.StringIO(text)`` gives them, without copying all of it at once."""

    def pieces() -> Iterator[str]:
        start, n = 0, len(text)
        while start < n:
            end = text.find("\n", start + _TEXT_PIECE)
            end = n if end < 0 else end + 1
            yield text[start:end]
            start = end

    return itertools.chain.from_iterable(map(io.StringIO, pieces()))


_SEP = "\x1f"  # a separator to split on: the unit separator, which no office text holds


def _compact(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """The same strings, made again one after another in memory.

    csv.reader makes a row's cells together, so the cells of one column lie scattered among
    the others'; every later pass over a column of a million distinct cells (hashing, type and
    length checks, copies) then misses the processor's caches on each of them, and the cost
    per row grows with the file (1M rows cost 12-15× what 100k rows cost). Joined and split
    again, the column's strings are laid out in order and those passes stream through memory.
    """
    present = np.flatnonzero(~missing)
    strings = values[present].tolist()
    joined = _SEP.join(strings)
    if joined.count(_SEP) != len(strings) - 1:
        return values  # a cell holds the separator itself: keep the cells as they are
    out = values.copy()
    out[present] = joined.split(_SEP) if strings else []
    return out


def _csv_columns(text: str, dialect) -> tuple[list[list[object]], Columns]:
    """A CSV text's first rows (empty cells as None) and all its rows column by column."""
    import pandas as pd

    reader = csv.reader(_text_lines(text), dialect)
    head: list[list[object]] = []
    chunks: list[tuple[int, list[tuple[np.ndarray, np.ndarray]]]] = []  # (rows, per column (codes, uniques))
    nrows = 0
    width = 0
    distinct: set[int] = set()  # columns whose first chunk was more than half distinct values
    while True:
        chunk = list(itertools.islice(reader, _CSV_CHUNK_ROWS))
        if not chunk:
            break
        if len(head) < HEADER_SEARCH_ROWS:
            head.extend([c if c != "" else None for c in r] for r in chunk[: HEADER_SEARCH_ROWS - len(head)])
        columns = []
        for j, column in enumerate(itertools.zip_longest(*chunk)):
            values = np.empty(len(chunk), dtype=object)
            values[:] = column
            if j in distinct:
                # nearly every cell different (a row number, free text): deduplicating the chunk
                # first would only be done again below; each cell stands for itself until then
                codes = np.arange(len(chunk), dtype=np.int64)
                missing = pd.isna(values)
                codes[missing] = -1  # None (past a row's end) → -1, as factorize gives
                columns.append((codes, _compact(values, missing)))
                continue
            codes, uniques = pd.factorize(values)  # None (past a row's end) → -1
            uniques = np.asarray(uniques, dtype=object)
            if not chunks and len(chunk) >= 1000 and len(uniques) > len(chunk) // 2:
                distinct.add(j)
                uniques = _compact(uniques, np.zeros(len(uniques), dtype=bool))
            columns.append((codes.astype(np.int64, copy=False), uniques))
        chunks.append((len(chunk), columns))
        nrows += len(chunk)
        width = max(width, len(columns))
        del chunk
    all_codes, all_uniques = [], []
    for j in range(width):
        parts = [cols[j][1] for _n, cols in chunks if j < len(cols)]
        merged = np.concatenate(parts) if parts else np.empty(0, dtype=object)
        to_global, uniques = pd.factorize(merged)
        uniques = list(np.asarray(uniques, dtype=object))
        none = len(uniques)
        uniques.append(None)
        if "" in uniques[:-1]:  # an empty cell is None, as in a workbook
            to_global = np.where(to_global == uniques.index(""), none, to_global)
        to_global = np.append(to_global, none)  # index -1 → None
        codes = np.empty(nrows, dtype=np.int64)
        start = offset = 0
        for n, cols in chunks:
            if j < len(cols):
                local, local_uniques = cols[j]
                local = np.where(local < 0, len(to_global) - 1 - offset, local)
                codes[start : start + n] = to_global[local + offset]
                offset += len(local_uniques)
            else:
                codes[start : start + n] = none
            start += n
        all_codes.append(codes)
        all_uniques.append(uniques)
    return head, Columns(nrows, all_codes, all_uniques)
