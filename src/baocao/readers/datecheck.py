"""A date column typed day first on a computer set to month first (a US-locale Excel).

Excel on such a computer reads what the office types, "05/03/2023" (5 March), as 3 May and
stores a real date; "25/03/2023" it cannot read as month first, so that cell stays text. The
column then holds real dates whose day is never above 12 and text dates whose first number is
always above 12. Read as it stands, every real date would be wrong (month and day swapped), so
such a column is refused, naming the file, sheet, column and an example of each kind of cell.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from ..config import TableSpec
from ..errors import InputError, Location
from .sheet import SheetRead

_DMY_TEXT = re.compile(r"\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})\s*")


def check_day_month(read: SheetRead, spec: TableSpec) -> None:
    """Raise InputError for a date column of ``read`` whose cells show the month-first swap."""
    for col in spec.columns:
        if col.type != "date" or col.name not in read.cells:
            continue
        codes, uniques = read.cells[col.name]
        real = [i for i, u in enumerate(uniques) if isinstance(u, (dt.datetime, dt.date))]
        if not real or any(uniques[i].day > 12 for i in real):
            continue
        texts = [(i, m) for i, u in enumerate(uniques) if isinstance(u, str) and (m := _DMY_TEXT.fullmatch(u))]
        if not texts or any(int(m.group(1)) <= 12 for _i, m in texts):
            continue
        _refuse(read, col.name, codes, uniques, real, [i for i, _m in texts])


def _first(read: SheetRead, codes: np.ndarray, uniques: list, which: list[int]) -> tuple[int, object]:
    """(Excel row, value) of the first cell holding one of the values ``which``."""
    i = int(np.flatnonzero(np.isin(codes, which))[0])
    return int(read.row_numbers[i]), uniques[int(codes[i])]


def _refuse(read: SheetRead, name: str, codes: np.ndarray, uniques: list, real: list[int], texts: list[int]) -> None:
    header = read.headers.get(name, name)
    n_real = int(np.isin(codes, real).sum())
    n_text = int(np.isin(codes, texts).sum())
    row, date = _first(read, codes, uniques, real)
    assert isinstance(date, dt.date)  # one of the real dates
    shown, meant = date.strftime("%d/%m/%Y"), f"{date.month:02d}/{date.day:02d}/{date.year}"
    text_row, text = _first(read, codes, uniques, texts)
    raise InputError(
        Location(read.file, read.sheet, row, header, shown),
        f"cột '{header}' bị đảo ngày và tháng: {n_real} ô là ngày của Excel và đều có ngày không quá 12 (dòng {row}: "
        f"Excel lưu {shown}, có lẽ đơn vị gõ {meant}), còn {n_text} ô có ngày lớn hơn 12 vẫn là chữ (dòng "
        f"{text_row}: '{text}'). Máy nhập liệu đặt định dạng tháng/ngày (kiểu Mỹ) nên Excel đã đọc ngày gõ "
        "ngày/tháng thành tháng/ngày; cột này không được đọc để không sai ngày",
        f"column '{header}' has day and month swapped: {n_real} cells are Excel dates, none with a day above 12 "
        f"(row {row}: Excel stores {shown}, probably typed {meant}), while {n_text} cells with a day above 12 stayed "
        f"text (row {text_row}: '{text}'). The computer was set to month/day (US) dates, so Excel read the "
        "day/month typed as month/day; the column is not read, so that no date is wrong",
        hint_vi="đặt định dạng vùng của Windows là Việt Nam (ngày/tháng/năm) rồi gõ lại các ngày của cột này (hoặc "
        "định dạng cột là Text và gõ dd/mm/yyyy), lưu và gửi lại tệp",
        hint_en="set Windows' region format to Vietnamese (day/month/year) and type the column's dates again (or "
        "format the column as Text and type dd/mm/yyyy), save and send the file again",
    )
