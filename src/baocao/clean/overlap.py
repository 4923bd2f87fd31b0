"""Likely double counts: one event reported in two files (the ward's and a khu's), the same day,
khu and kind, with the wording and the figures a little different. Exact duplicates are rejected
by :mod:`.table`; these are not exact, so both rows are kept and a warning names both, for a
person to decide which file should hold the event.
"""

from __future__ import annotations

import re

import pandas as pd

from ..config import TableSpec
from ..errors import Reject
from ..textenc import remove_diacritics
from .convert import WHOLE_UNIT

#: Two descriptions share at least this part of their words (of the shorter one).
WORDS_SHARED = 0.5
#: …or every count of theirs differs by at most this part of the larger.
COUNTS_WITHIN = 0.2
_WORD = re.compile(r"[^\W_]+")


def _words(text: object) -> set[str]:
    return set(_WORD.findall(remove_diacritics(str(text)).lower())) if isinstance(text, str) else set()


def _alike(a: pd.Series, b: pd.Series, texts: list[str], counts: list[str]) -> bool:
    for col in texts:
        wa, wb = _words(a[col]), _words(b[col])
        if wa and wb and len(wa & wb) >= WORDS_SHARED * min(len(wa), len(wb)):
            return True
    pairs = [(a[col], b[col]) for col in counts if pd.notna(a[col]) and pd.notna(b[col])]
    return bool(pairs) and all(abs(x - y) <= COUNTS_WITHIN * max(x, y) for x, y in pairs)


def likely_double_counts(spec: TableSpec, frame: pd.DataFrame, headers: dict[str, str]) -> list[Reject]:
    """A warning for each pair of kept rows from two different files that report one event: the
    same date, the same khu (not the whole ward) and the same values in every category column,
    worded alike or with alike counts (every one within 20%)."""
    dates = [c.name for c in spec.columns if c.type == "date" and not c.any_year]
    areas = [c.name for c in spec.columns if c.type == "area"]
    if not dates or not areas or len(frame) < 2 or frame["source_input"].nunique() < 2:
        return []
    keys = dates[:1] + areas[:1] + [c.name for c in spec.columns if c.type in ("category", "organisation")]
    texts = [c.name for c in spec.columns if c.type == "text"]
    counts = [c.name for c in spec.columns if c.type == "integer"]
    rows = frame[frame[areas[0]] != WHOLE_UNIT].dropna(subset=dates[:1] + areas[:1])
    if rows.empty:
        return []
    repeated = rows[rows.duplicated(keys, keep=False)]
    out: list[Reject] = []
    for _key, group in repeated.groupby(keys, sort=False, dropna=False):
        records = list(group.sort_values(["source_file", "source_row"]).iterrows())
        for k, (_i, a) in enumerate(records):
            for _j, b in records[k + 1 :]:
                if a["source_input"] != b["source_input"] and _alike(a, b, texts, counts):
                    out.append(_warning(a, b, dates[0], headers))
    return out


def _warning(a: pd.Series, b: pd.Series, date_col: str, headers: dict[str, str]) -> Reject:
    when = a[date_col].strftime("%d/%m/%Y")
    where_a = f"{a['source_file']} (sheet '{a['source_sheet']}', dòng {a['source_row']})"
    where_b = f"{b['source_file']} (sheet '{b['source_sheet']}', dòng {b['source_row']})"
    where_b_en = f"{b['source_file']} (sheet '{b['source_sheet']}', row {b['source_row']})"
    return Reject(
        str(a["source_file"]),
        str(a["source_sheet"]),
        int(a["source_row"]),
        headers.get(date_col, date_col),
        when,
        f"có thể tính hai lần: dòng này và tệp {where_b} cùng ngày {when}, cùng khu, cùng loại hoạt động; cả hai "
        f"vẫn được tính. Nếu là một sự kiện, xóa dòng ở một trong hai tệp ({where_a} hoặc {where_b}) rồi gửi lại",
        f"possibly counted twice: this row and {where_b_en} have the same date {when}, khu and kind; both are "
        "counted. If they are one event, delete it from one of the two files and send that file again",
        "warning",
    )
