"""Earlier years' tidy tables, for "compared with last year".

Earlier years are cleaned in memory from their own raw folders (or read from the
content-addressed cache of tidy tables, :mod:`baocao.tidycache`), so that one year's build does
not depend on another year's build having run: years stay independent jobs.
"""

from __future__ import annotations

import pandas as pd

from .config import Project

Tables = dict[str, pd.DataFrame]


def history_year(project: Project, y: int) -> tuple[Tables | None, list[str]]:
    """One earlier year's tidy tables (None when there are none to compare with), and notes on
    why not: cleaned from its raw folder(s), or read from the cache of tidy tables when that year
    was cleaned before from exactly the same inputs (:mod:`baocao.tidycache`, content-addressed;
    the same tables either way).

    Before a unit was formed by a merger (``predecessors`` and ``valid_from`` in baocao.yml),
    an earlier year is the sum of the units merged into it, so that "compared with last year"
    compares like with like; their area ids are prefixed with the unit id to stay distinct.
    """
    from .errors import BaocaoError
    from .period import read_period, within
    from .tidycache import cleaned_tables

    sources = project.history_sources(y)
    missing = [s.unit.id for s in sources if not s.raw_dir(y).is_dir()]
    if not sources or len(missing) == len(sources):
        return None, []
    if missing:
        return None, [
            f"{y}: thiếu số liệu của {', '.join(missing)}; không so sánh năm này "
            f"/ no {y} data for {', '.join(missing)}; year not compared"
        ]
    parts: list[Tables] = []
    notes: list[str] = []
    for source in sources:
        try:
            tables = cleaned_tables(source, y)
        except BaocaoError as exc:
            notes.append(f"{y} ({source.unit.id}): {exc.message_vi}")
            continue
        tables = within(source, tables, read_period(source, y, strict=False))  # as reported that year
        if source.unit.id != project.unit.id:
            tables = {name: _prefix_areas(frame, source.unit.id) for name, frame in tables.items()}
        parts.append(tables)
    if len(parts) == len(sources):
        merged = (
            parts[0]
            if len(parts) == 1
            else {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}
        )
        return merged, notes
    if parts:
        notes.append(f"{y}: thiếu số liệu của một số đơn vị tiền thân; bỏ năm này khỏi so sánh")
    return None, notes


def load_history(project: Project, year: int) -> tuple[dict[int, Tables], list[str]]:
    """Earlier years' tidy tables (``compare_years`` of them), and notes on those left out."""
    history: dict[int, Tables] = {}
    notes: list[str] = []
    for y in range(year - project.unit.compare_years, year):
        tables, year_notes = history_year(project, y)
        notes.extend(year_notes)
        if tables is not None:
            history[y] = tables
    return history, notes


def _prefix_areas(frame: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    if "area" not in frame.columns:
        return frame
    out = frame.copy()
    out["area"] = (unit_id + ":" + out["area"].astype("string")).where(out["area"].notna())
    return out
