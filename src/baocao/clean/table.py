"""A table's rows from all its sheets: each cell converted, row rules checked, exact duplicates
across files rejected (counted once), one row per khu (or organisation) where the table says so,
and the kept rows as a typed frame. Nothing is lost: every row is kept or rejected, with reasons.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from ..config import TableSpec
from ..errors import Reject, show_value
from ..readers import SheetRead, no_gc
from .convert import CleanContext, convert_uniques
from .tidy import DTYPES, PROVENANCE, typed_frame


@functools.cache
def _compiled(rule: str):
    return compile(rule, f"<inputs.yml check: {rule}>", "eval")


class _TableRows:
    """A table's data rows from all its reads, column by column: per read, codes into typed values."""

    def __init__(self, spec: TableSpec):
        self.spec = spec
        self.typed: list[list[np.ndarray]] = [[] for _ in spec.columns]  # per read: typed distinct values
        self.codes: list[list[np.ndarray]] = [[] for _ in spec.columns]  # per read: codes into them (-1: failed)
        self.read_of: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.clean: list[np.ndarray] = []


def _convert_read(
    read: SheetRead,
    r: int,
    spec: TableSpec,
    ctx: CleanContext,
    table: _TableRows,
    problems: dict[int, list],
    remarks: dict[int, list],
) -> None:
    n = read.n_rows
    rows = read.row_numbers.tolist()
    failed = np.zeros(n, dtype=bool)
    for j, col in enumerate(spec.columns):
        header = read.headers.get(col.name, col.header)
        codes, uniques = read.cells.get(col.name) or (np.zeros(n, dtype=np.int64), [None])
        if not n:
            codes, uniques = np.zeros(0, dtype=np.int64), []
        conv = convert_uniques(uniques, col, ctx, header)
        table.typed[j].append(conv.values)
        table.codes[j].append(np.where(conv.ok[codes], codes, -1) if conv.reasons else codes)
        if conv.reasons:
            row_bad = ~conv.ok[codes]
            failed |= row_bad
            shown: dict[int, str] = {}
            for i in np.flatnonzero(row_bad).tolist():
                k = int(codes[i])
                if k not in shown:
                    shown[k] = show_value(uniques[k])
                problems.setdefault(i, []).append(
                    Reject(read.file, read.sheet, rows[i], header, shown[k], *conv.reasons[k])
                )
        if conv.remarks:
            noted = np.zeros(len(uniques), dtype=bool)
            noted[list(conv.remarks)] = True
            for i in np.flatnonzero(noted[codes]).tolist():
                remarks.setdefault(i, []).extend(
                    dataclasses.replace(w, file=read.file, sheet=read.sheet, row=rows[i])
                    for w in conv.remarks[int(codes[i])]
                )
    # row rules, over the rows whose every cell could be read
    if spec.checks and n:
        clean_rows = np.flatnonzero(~failed).tolist()
        here = [table.codes[j][-1] for j in range(len(spec.columns))]
        typed = [table.typed[j][-1] for j in range(len(spec.columns))]
        for check in spec.checks:
            code = _compiled(check.rule)
            names = _names(code)
            needed = [j for j, c in enumerate(spec.columns) if c.name in names]
            combos: dict[tuple, bool] = {}
            for i in clean_rows:
                combo = tuple(int(here[j][i]) for j in needed)
                ok = combos.get(combo)
                if ok is None:
                    env = {c.name: typed[j][here[j][i]] for j, c in enumerate(spec.columns)}
                    try:
                        ok = bool(eval(code, {"__builtins__": {}}, env))  # noqa: S307 - rules come from data/reference, not data
                    except TypeError:
                        ok = True  # a value the rule needs is missing; the required-value check speaks for it
                    combos[combo] = ok
                if not ok:
                    problem = Reject(read.file, read.sheet, rows[i], "", "", check.vi, check.en, check.severity)
                    if check.severity == "error":
                        problems.setdefault(i, []).append(problem)
                        failed[i] = True
                    else:
                        remarks.setdefault(i, []).append(problem)
    table.read_of.append(np.full(n, r, dtype=np.int64))
    table.rows.append(read.row_numbers)
    table.clean.append(~failed)


def _names(code) -> set[str]:
    """Every name a compiled rule reads, nested code included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def _typed_codes(table: _TableRows, j: int, offsets_u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(all typed distinct values of column j over the reads, per-row codes into them), rows in reading order."""
    values = np.concatenate(table.typed[j]) if table.typed[j] else np.empty(0, dtype=object)
    parts = [np.where(c >= 0, c + off, -1) for c, off in zip(table.codes[j], offsets_u, strict=True)]
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return values, codes


def _equal_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """One code per distinct typed value, equal values (as Python compares them) sharing it."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), 0
    if len(values) > 1000 and set(map(type, values)) <= {str, type(None)}:
        # text (and empty cells): pandas' hash table gives the same partition as a dict, in C
        try:
            codes, uniques = pd.factorize(values)  # None → -1
        except (TypeError, ValueError, UnicodeError):  # pragma: no cover - e.g. a lone surrogate
            pass
        else:
            card = len(uniques)
            if (codes < 0).any():
                codes = np.where(codes < 0, card, codes)
                card += 1
            return codes.astype(np.int64, copy=False), card
    index: dict = {}
    try:
        codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))
    except TypeError:  # pragma: no cover - typed values are hashable
        codes = np.arange(len(values), dtype=np.int64)
        return codes, len(values)
    return codes, len(index)


def _row_keys(codes: list[np.ndarray], cards: list[int]) -> np.ndarray:
    """One integer per row, equal for rows whose typed values are all equal."""
    n = len(codes[0]) if codes else 0
    key = np.zeros(n, dtype=np.int64)
    card = 1
    for c, m in zip(codes, cards, strict=True):
        m = max(m, 1)
        if card * m >= 2**62:
            _u, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64)
            card = int(key.max()) + 1 if n else 1
        key = key * m + c
        card *= m
    return key


def clean_table(spec: TableSpec, reads: list[SheetRead], ctx: CleanContext) -> tuple[pd.DataFrame, list[Reject], dict]:
    with no_gc():
        return _clean_table(spec, reads, ctx)


def _clean_table(spec: TableSpec, reads: list[SheetRead], ctx: CleanContext) -> tuple[pd.DataFrame, list[Reject], dict]:
    rejects: list[Reject] = []
    kept_per_read: dict[tuple[str, str], int] = defaultdict(int)
    rejected_per_read: dict[tuple[str, str], set[int]] = defaultdict(set)
    table = _TableRows(spec)
    per_read: list[tuple[dict, dict]] = []
    for r, read in enumerate(reads):
        problems: dict[int, list] = {}
        remarks: dict[int, list] = {}
        _convert_read(read, r, spec, ctx, table, problems, remarks)
        per_read.append((problems, remarks))

    ncols = len(spec.columns)
    offsets = np.cumsum([0] + [read.n_rows for read in reads])
    total = int(offsets[-1])
    typed, codes, cards = [], [], []
    for j in range(ncols):
        offsets_u = np.cumsum([0] + [len(t) for t in table.typed[j]])[:-1]
        values, c = _typed_codes(table, j, offsets_u)
        equal, card = _equal_codes(values)
        typed.append(values)
        codes.append(c)
        cards.append((equal, card))
    read_of = np.concatenate(table.read_of) if reads else np.zeros(0, dtype=np.int64)
    rows = np.concatenate(table.rows) if reads else np.zeros(0, dtype=np.int64)
    clean = np.concatenate(table.clean) if reads else np.zeros(0, dtype=bool)

    # exact duplicates and one row per unit, over the rows with no problem so far, in reading order
    candidates = np.flatnonzero(clean)
    if len(candidates):
        origin = _Found(reads, read_of, rows, offsets, per_read)
        keys = _row_keys([eq[c[candidates]] for c, (eq, _n) in zip(codes, cards, strict=True)], [m for _eq, m in cards])
        if spec.one_row_per:
            j_unit = next(j for j, c in enumerate(spec.columns) if c.name == spec.one_row_per)
            _one_row_each(spec, candidates, keys, codes[j_unit], cards[j_unit][0], origin)
        else:
            _u, first_pos, inverse = np.unique(keys, return_index=True, return_inverse=True)
            first = candidates[first_pos[inverse.reshape(-1)]]
            for pos in np.flatnonzero(first != candidates).tolist():
                _duplicate(int(candidates[pos]), int(first[pos]), reads, read_of, rows, offsets, per_read)

    # problems and remarks in reading order, row by row
    kept = np.ones(total, dtype=bool)
    for r, (read, (problems, remarks)) in enumerate(zip(reads, per_read, strict=True)):
        key = (read.file, read.sheet)
        for i in sorted(set(problems) | set(remarks)):
            ctx.warnings.extend(remarks.get(i, ()))
            found = problems.get(i)
            if found:
                rejects.extend(found)
                rejected_per_read[key].add(int(read.row_numbers[i]))
                kept[offsets[r] + i] = False
        kept_per_read[key] += read.n_rows - sum(1 for p in problems.values() if p)

    frame = _frame(spec, reads, typed, codes, read_of, rows, np.flatnonzero(kept))
    counts = {"kept": kept_per_read, "rejected": {k: len(v) for k, v in rejected_per_read.items()}}
    return frame, rejects, counts


@dataclasses.dataclass(frozen=True)
class _Found:
    """Where each row of a table comes from (its read, its row number, its read's first
    index in the table) and the problems found so far, per read."""

    reads: list
    read_of: np.ndarray
    rows: np.ndarray
    offsets: np.ndarray
    per_read: list


def _one_row_each(spec: TableSpec, candidates, keys, unit_codes, unit_equal, found: _Found) -> None:
    """Tables of one row per unit (``one_row_per``): a second row for a unit is rejected,
    naming the first; exact duplicates as elsewhere."""
    reads, read_of, rows, offsets, per_read = found.reads, found.read_of, found.rows, found.offsets, found.per_read
    seen: dict[int, int] = {}
    seen_one: dict[int, int] = {}
    for pos, g in enumerate(candidates.tolist()):
        _duplicate(g, seen.get(int(keys[pos])), reads, read_of, rows, offsets, per_read)
        read = reads[read_of[g]]
        i = g - offsets[read_of[g]]
        problems = per_read[read_of[g]][0]
        if i not in problems:
            unit_key = int(unit_equal[unit_codes[g]])
            first: Any = seen_one.get(unit_key)
            if first is not None:
                header = read.headers.get(spec.one_row_per, spec.one_row_per)
                cells = read.cells.get(spec.one_row_per)
                raw = cells[1][cells[0][i]] if cells else None
                where = (reads[read_of[first]].file, int(rows[first]))
                problems.setdefault(i, []).append(
                    Reject(
                        read.file,
                        read.sheet,
                        int(rows[g]),
                        header,
                        show_value(raw),
                        f"'{show_value(raw)}' đã có số liệu ở dòng {where[1]} của tệp {where[0]}; mỗi đơn vị chỉ một dòng",
                        f"'{show_value(raw)}' already has a row ({where[0]}, row {where[1]}); one row each",
                    )
                )
            else:
                seen_one[unit_key] = g
        if i not in problems:
            seen.setdefault(int(keys[pos]), g)


def _duplicate(g: int, first: int | None, reads, read_of, rows, offsets, per_read) -> None:
    """Row ``g`` has the same values as the kept row ``first`` (if any): rejected across files, a remark within one."""
    if first is None:
        return
    r = int(read_of[g])
    read = reads[r]
    i = int(g - offsets[r])
    problems, remarks = per_read[r]
    where = (reads[read_of[first]].file, reads[read_of[first]].sheet, int(rows[first]))
    if where[0] != read.file:
        problems.setdefault(i, []).append(
            Reject(
                read.file,
                read.sheet,
                int(rows[g]),
                "",
                "",
                f"trùng hoàn toàn với dòng {where[2]} của tệp {where[0]} (sheet '{where[1]}'); không tính hai lần",
                f"exact duplicate of row {where[2]} of {where[0]} (sheet '{where[1]}'); not counted twice",
            )
        )
    else:
        remarks.setdefault(i, []).append(
            Reject(
                read.file,
                read.sheet,
                int(rows[g]),
                "",
                "",
                f"giống hệt dòng {where[2]} cùng sheet; vẫn tính, hãy kiểm tra có nhập trùng không",
                f"identical to row {where[2]} of the same sheet; kept, check it is not typed twice",
                "warning",
            )
        )


def _frame(
    spec: TableSpec,
    reads: list[SheetRead],
    typed_values: list[np.ndarray],
    codes: list[np.ndarray],
    read_of: np.ndarray,
    rows: np.ndarray,
    kept: np.ndarray,
) -> pd.DataFrame:
    """The kept rows as a typed frame, sorted by source file, sheet and row."""
    columns = [c.name for c in spec.columns] + PROVENANCE
    if not len(kept):
        return typed_frame(pd.DataFrame([], columns=columns), spec)
    files = sorted({read.file for read in reads})
    sheets = sorted({read.sheet for read in reads})
    file_rank = np.array([files.index(read.file) for read in reads], dtype=np.int64)
    sheet_rank = np.array([sheets.index(read.sheet) for read in reads], dtype=np.int64)
    k_read, k_rows = read_of[kept], rows[kept]
    order = np.lexsort((k_rows, sheet_rank[k_read], file_rank[k_read]))
    k_read, k_rows, kept = k_read[order], k_rows[order], kept[order]
    data = {}
    for j, col in enumerate(spec.columns):
        used, inverse = np.unique(codes[j][kept], return_inverse=True)
        values = pd.Series(typed_values[j][used].tolist())  # inferred as pd.DataFrame(records) would
        if col.type == "date":
            typed = pd.to_datetime(values).astype("datetime64[ns]")
        else:
            typed = values.astype(DTYPES[col.type])
        data[col.name] = pd.Series(typed.array.take(inverse.reshape(-1)))
    data["source_file"] = pd.Series(pd.array([reads[r].file for r in range(len(reads))], dtype="string").take(k_read))
    data["source_sheet"] = pd.Series(pd.array([reads[r].sheet for r in range(len(reads))], dtype="string").take(k_read))
    data["source_row"] = pd.Series(pd.array(k_rows.astype(np.int64, copy=False), dtype="Int64"))
    inputs = [read.input_name or read.file for read in reads]
    data["source_input"] = pd.Series(pd.array(inputs, dtype="string").take(k_read))
    return pd.DataFrame(data, columns=columns, copy=False)  # the columns are new: no copy needed
