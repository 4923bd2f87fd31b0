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


def _csv_columns(text: str, dialect) -> tuple[list[list[object]], Columns]:
    """A CSV text's first rows (empty cells as None) and all its rows column by column."""
    import pandas as pd

    reader = csv.reader(_text_lines(text), dialect)
    head: list[list[object]] = []
    chunks: list[tuple[int, list[tuple[np.ndarray, np.ndarray]]]] = []  # (rows, per column (codes, uniques))
    nrows = 0
    width = 0
    while True:
        chunk = list(itertools.islice(reader, _CSV_CHUNK_ROWS))
        if not chunk:
            break
        if len(head) < HEADER_SEARCH_ROWS:
            head.extend([c if c != "" else None for c in r] for r in chunk[: HEADER_SEARCH_ROWS - len(head)])
        columns = []
        for column in itertools.zip_longest(*chunk):
            values = np.empty(len(chunk), dtype=object)
            values[:] = column
            codes, uniques = pd.factorize(values)  # None (past a row's end) → -1
            columns.append((codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)))
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


