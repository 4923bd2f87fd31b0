"""One table read from one sheet: its header found, and every row below it sorted into data,
blank, total and other non-data rows (signature blocks), each counted; the data rows are kept
column by column, each distinct value once."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import SourceSpec, TableSpec
from ..errors import InputError, Location
from ..labels import TOTAL_LABEL_STARTS, is_signature_label, is_total_row_label
from ..parse import is_blank
from ..textenc import fold_key
from .formrows import TYPED_COLUMNS, classify, suspect_value
from .grid import HEADER_SEARCH_ROWS, Columns, FormulaWithoutValue, Grid, no_gc
from .headers import HeaderMatch, find_header


@dataclass
class TotalRow:
    """A total or subtotal row ("Tổng cộng", "Cộng tháng 1"…): never summed, kept for checks."""

    row: int  # as Excel shows it
    label: str
    cells: dict[str, object]  # spec column name -> raw cell value


@dataclass
class SheetRead:
    """One table read from one sheet (or CSV file), with its row accounting.

    The data rows are kept column by column: ``row_numbers`` (as Excel shows them) and, per spec
    column found in the header, ``cells[name] = (codes, uniques)``. Rows read = data rows +
    blank rows + total rows + other non-data rows (signature blocks).
    """

    table: str
    file: str  # relative to the year's raw folder
    sheet: str
    header_row: int
    headers: dict[str, str]
    extra_headers: list[str] = field(default_factory=list)
    row_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cells: dict[str, tuple[np.ndarray, list]] = field(default_factory=dict)
    blank_rows: int = 0
    total_rows: list[TotalRow] = field(default_factory=list)
    other_rows: list[int] = field(default_factory=list)  # signature blocks and what follows them
    #: The expected input this file was read as ("ban-ctmt-khu-2.xlsx" for "Ban CTMT khu 2.xlsx"):
    #: decided once, when the folder is read, and what every figure uses, never the name again.
    input_name: str = ""

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)

    @property
    def non_data_rows(self) -> int:
        """Total, subtotal and signature rows: counted as "total" in the accounting."""
        return len(self.total_rows) + len(self.other_rows)

    @property
    def rows_read(self) -> int:
        return self.n_rows + self.blank_rows + self.non_data_rows


def read_sheet(grid: Grid, spec: TableSpec, rel: str, source: SourceSpec) -> SheetRead:
    match = find_header(grid, spec)
    sheet_label = grid.name or source.sheet
    if match is None:
        expected = ", ".join(f"'{c.header}'" for c in spec.columns if c.required)
        raise InputError(
            Location(rel, grid.name),
            f"không tìm thấy dòng tiêu đề của bảng '{spec.title_vi}' trong {HEADER_SEARCH_ROWS} dòng đầu "
            f"(cần các cột {expected})",
            f"no header row of table '{spec.name}' in the first {HEADER_SEARCH_ROWS} rows (expected columns {expected})",
            hint_vi="đặt các tiêu đề cột như trong mẫu (baocao new-year) ở một dòng phía trên dữ liệu",
            hint_en="put the column headers of the template (baocao new-year) on one row above the data",
        )
    missing = [c for c in spec.columns if c.required and c.name not in match.headers]
    if missing:
        col = missing[0]
        names = ", ".join(f"'{c.header}'" for c in missing)
        aliases = "; ".join(f"{c.header}: {', '.join(c.aliases) or '—'}" for c in missing)
        raise InputError(
            Location(rel, grid.name, match.row + 1, col.header),
            f"thiếu cột bắt buộc {names} ở dòng tiêu đề",
            f"required column(s) {names} missing from the header row",
            hint_vi=f"thêm cột với đúng tiêu đề (các tên khác được chấp nhận: {aliases})",
            hint_en=f"add the column with that header (other accepted names: {aliases})",
        )
    read = SheetRead(
        table=spec.name,
        file=rel,
        sheet=sheet_label,
        header_row=match.row + 1,
        headers=match.headers,
        extra_headers=match.extra,
    )
    with no_gc():
        classify_rows(grid.columnar(), grid.numbers(), match, read)
    _refuse_formulas_without_value(read, rel, grid.name)
    return read


def _refuse_formulas_without_value(read: SheetRead, rel: str, sheet: str) -> None:
    """Data cells whose formula has no result in the file: the whole sheet waits for Excel."""
    found: list[tuple[int, str, FormulaWithoutValue]] = []
    for name, (codes, uniques) in read.cells.items():
        if not any(issubclass(t, FormulaWithoutValue) for t in set(map(type, uniques))):
            continue  # the common case, found without a loop in Python
        marked = [k for k, u in enumerate(uniques) if isinstance(u, FormulaWithoutValue)]
        if not marked:
            continue
        hit = np.flatnonzero(np.isin(codes, marked)).tolist()
        found.extend((int(read.row_numbers[i]), name, uniques[codes[i]]) for i in hit)
    if not found:
        return
    found.sort(key=lambda f: (f[0], f[2].cell))
    row, name, first = found[0]
    header = read.headers.get(name, name)
    raise InputError(
        Location(rel, sheet, row, header, first.formula),
        f"{len(found)} ô có công thức nhưng tệp không lưu kết quả (ô {first.cell}: {first.formula}): tệp được tạo "
        "bằng chương trình và chưa từng được mở bằng Excel, nên không biết giá trị",
        f"{len(found)} cell(s) hold a formula whose result the file does not store (cell {first.cell}: "
        f"{first.formula}): the file was written by a program and never opened in Excel, so the values are unknown",
        hint_vi="mở tệp bằng Excel và lưu lại (Excel tính các công thức), rồi chép lại vào thư mục số liệu",
        hint_en="open the file in Excel and save it (Excel computes the formulas), then copy it back into the "
        "data folder",
    )


# ---------------------------------------------------------------------------- rows
#: Column types in which a total label ("Tổng cộng") marks a total row; in a number column it is a bad number.
TOTAL_LABEL_TYPES = ("text", "area", "category", "organisation", "date", "month")


def _per_value(uniques: list, test, needs_test: re.Pattern[str]) -> np.ndarray:
    """``test`` of each value; text whose start ``needs_test`` does not match is False untested."""
    return _per_values(uniques, [(test, needs_test)])[0]


def _per_values(uniques: list, tests: Sequence[tuple[Callable[[object], bool], re.Pattern[str]]]) -> list[np.ndarray]:
    """:func:`_per_value` for several tests of the same values: the texts are gathered and
    joined once for all of them (a column of a million distinct cells costs that once)."""
    n = len(uniques)
    if n <= 64:
        outs = []
        for test, _needs in tests:
            out = np.zeros(n, dtype=bool)
            for i, u in enumerate(uniques):
                out[i] = test(u)
            outs.append(out)
        return outs
    values = np.empty(n, dtype=object)
    values[:] = uniques
    is_text = np.fromiter(map(type, uniques), dtype=object, count=n) == str
    texts = np.flatnonzero(is_text)
    strings = values[texts].tolist()
    joined = "\n".join(strings)
    non_text = np.flatnonzero(~is_text).tolist()
    one_line = joined.count("\n") == len(strings) - 1  # no text holds a line break: one search over all
    starts: np.ndarray | None = None
    if one_line and strings:
        starts = np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)) + 1) - 1
    outs = []
    for test, needs_test in tests:
        out = np.zeros(n, dtype=bool)
        check = list(non_text)
        if one_line:
            found = [m.start() + 1 for m in needs_test.finditer(joined)]  # a separator, then the text
            if strings:
                found.insert(0, 0)  # the first text has no separator before it: always tested
                assert starts is not None  # set with the joined texts above
                check += texts[np.searchsorted(starts, found)].tolist()
        else:
            check += texts.tolist()
        for i in check:
            out[i] = test(uniques[i])
        outs.append(out)
    return outs


# Text that may be blank (not starting with a letter or digit), a total label, or a signature line.
_MAYBE_BLANK = re.compile(r"\n(?![^\W_])")
_MAYBE_TOTAL = re.compile(r"\n(?:[" + TOTAL_LABEL_STARTS + r"]|(?![^\W_]))")
_MAYBE_SIGNATURE = re.compile(r"\n(?:[NnKkTtXxCcPpBb(]|[^\W\d_]+, )")
_WORDS_ONLY = re.compile(r"[^\W\d_][^\d]*")


def _is_total_cell(value: object) -> bool:
    return isinstance(value, str) and is_total_row_label(value)


def _is_words(value: object) -> bool:
    """Text without a digit (a signer's name under a signature line)."""
    return isinstance(value, str) and _WORDS_ONLY.fullmatch(value.strip()) is not None


def classify_rows(table: Columns, numbers: np.ndarray, match: HeaderMatch, read: SheetRead) -> None:
    """The rows below the header, as data, blank, total or non-data (signature block) rows.

    The one place that decides which rows are totals: :attr:`SheetRead.total_rows` keeps their
    cells (for checks against the data), and nothing sums them.
    """
    header_row = match.row + 1
    start = int(np.searchsorted(numbers, header_row, side="right"))
    n = max(table.nrows - start, 0)
    below = slice(start, start + n)
    blank = np.ones(n, dtype=bool)  # every cell of the row blank
    total = np.zeros(n, dtype=bool)  # a total label in a text position
    signed = np.zeros(n, dtype=bool)  # a signature line somewhere in the row
    table_blank = np.ones(n, dtype=bool)  # every cell in the table's columns blank
    filled = np.zeros(n, dtype=np.int16)  # cells with a value
    suspect = np.zeros(n, dtype=bool)  # furniture of a form where a date or number belongs
    for j in range(table.width):
        codes, uniques = table.column(j, below)
        if not len(codes):
            continue
        col = match.columns.get(j)
        if col is not None and col.type in TYPED_COLUMNS:
            kind = col.type
            suspect |= np.fromiter((suspect_value(u, kind) for u in uniques), dtype=bool, count=len(uniques))[codes]
        with_total = col is None or col.type in TOTAL_LABEL_TYPES
        tests = [(is_blank, _MAYBE_BLANK), (is_signature_label, _MAYBE_SIGNATURE)]
        if with_total:
            tests.append((_is_total_cell, _MAYBE_TOTAL))
        found = _per_values(uniques, tests)
        is_blank_here = found[0][codes]
        blank &= is_blank_here
        filled += ~is_blank_here
        if j in match.columns:
            table_blank &= is_blank_here
        if with_total:
            total |= found[2][codes]
        signed |= found[1][codes]
    # Rows up to the last non-empty one; trailing empty rows are not data.
    nonblank = np.flatnonzero(~blank)
    last = int(nonblank[-1]) + 1 if len(nonblank) else 0
    blank, total, table_blank = blank[:last], total[:last], table_blank[:last]
    signed = signed[:last]
    form = _form_rows(table, start, match, ~blank & ((filled[:last] <= 2) | suspect[:last]))
    is_total = ~blank & total & ~form
    # A signature block: its first line, and the names and titles under it (text without digits).
    first_signed = np.flatnonzero(signed & ~is_total)
    footer = np.zeros(last, dtype=bool)
    if len(first_signed):
        first = int(first_signed[0])
        footer[first:] = signed[first:] | _words_only(table, slice(start + first, start + last))
    is_other = (~blank & ~is_total & footer) | form
    is_data = ~blank & ~is_total & ~is_other & ~table_blank
    rows = np.flatnonzero(is_data) + start
    read.row_numbers = numbers[rows]
    read.cells = {col.name: table.column(i, rows) for i, col in match.columns.items()}
    read.total_rows = _total_rows(table, numbers, match, np.flatnonzero(is_total) + start)
    read.other_rows = numbers[np.flatnonzero(is_other) + start].tolist()
    last_row = int(numbers[start + last - 1]) if last else header_row
    # Every Excel row between the header and the last filled row is one of these (rows with no
    # cell at all, and rows with only a note outside the table's columns, are blank).
    read.blank_rows = (last_row - header_row) - read.n_rows - read.non_data_rows


def _form_rows(table: Columns, start: int, match: HeaderMatch, candidates: np.ndarray) -> np.ndarray:
    """The rows that are parts of the form, not data (baocao.readers.formrows), among the candidates."""
    out = np.zeros(len(candidates), dtype=bool)
    at = np.flatnonzero(candidates)
    if not len(at):
        return out
    keys = {k for col in match.columns.values() for k in col.header_keys()}
    keys |= {fold_key(h) for h in (*match.headers.values(), *match.extra)}
    header_keys = frozenset(keys)
    columns = []
    for j in range(table.width):
        codes, uniques = table.column(j, at + start)
        columns.append([uniques[c] for c in codes.tolist()])
    in_notes = False
    previous = -2
    for k, i in enumerate(at.tolist()):
        kind = classify([col[k] for col in columns], header_keys, in_notes and previous == i - 1)
        out[i] = kind is not None
        in_notes = kind == "note" or (in_notes and kind is not None)
        previous = i
    return out


def _words_only(table: Columns, rows: slice) -> np.ndarray:
    """Rows whose every cell is blank or text without a digit."""
    n = len(range(table.nrows)[rows])
    out = np.ones(n, dtype=bool)
    for j in range(table.width):
        codes, uniques = table.column(j, rows)
        if len(codes):
            out &= np.fromiter((is_blank(u) or _is_words(u) for u in uniques), dtype=bool, count=len(uniques))[codes]
    return out


def _total_rows(table: Columns, numbers: np.ndarray, match: HeaderMatch, at: np.ndarray) -> list[TotalRow]:
    if not len(at):
        return []
    columns = {}
    for j in range(table.width):
        codes, uniques = table.column(j, at)
        columns[j] = [uniques[c] for c in codes.tolist()]
    out = []
    for k, i in enumerate(at.tolist()):
        values = [columns[j][k] for j in range(table.width)]
        label = next((v for j, v in enumerate(values) if _is_total_cell(v)), "")
        cells = {col.name: values[j] for j, col in match.columns.items() if j < len(values)}
        out.append(TotalRow(int(numbers[i]), str(label).strip(), cells))
    return out
