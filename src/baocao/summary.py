"""What ``baocao validate`` prints: rows per file, then one line per problem (where, then why,
in Vietnamese and English)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .errors import Location, Reject

if TYPE_CHECKING:  # pragma: no cover
    from .clean import CleanResult


def file_summary(result: CleanResult | None, errors: list | None = None) -> pd.DataFrame:
    """Rows per file (not per sheet): read, kept, rejected, blank, total, warnings, errors.

    Files that could not be read (named by ``errors``) or were only warned about are listed too.
    """
    columns = ["file", "sheets", "read", "kept", "rejected", "blank", "total", "warnings", "errors"]
    rows: dict[str, dict] = {}
    if result is not None and len(result.accounting):
        grouped = result.accounting.groupby("file", sort=True)
        for file, part in grouped:
            rows[file] = {
                "file": file,
                "sheets": int(part["sheet"].nunique()),
                **{k: int(part[k].sum()) for k in ("read", "kept", "rejected", "blank", "total")},
                "warnings": 0,
                "errors": 0,
            }
    empty = {
        "sheets": 0,
        "read": None,
        "kept": None,
        "rejected": None,
        "blank": None,
        "total": None,
        "warnings": 0,
        "errors": 0,
    }
    for w in result.warnings if result is not None else []:
        if w.file:
            rows.setdefault(w.file, {"file": w.file, **empty})["warnings"] += 1
    for e in errors or []:
        file = e.location.file
        rows.setdefault(file, {"file": file, **empty})["errors"] += 1
    frame = pd.DataFrame(sorted(rows.values(), key=lambda r: r["file"]), columns=columns)
    return frame


def problem_lines(errors: list, rejects: list[Reject], warnings: list[Reject]) -> list[str]:
    """One line per problem: where (file, sheet, row, column, value), then why, in Vietnamese and English."""
    lines = []
    for e in errors:
        hint_vi = f" (cách sửa: {e.hint_vi})" if e.hint_vi else ""
        hint_en = f" (to fix: {e.hint_en})" if e.hint_en else ""
        lines.append(f"LỖI / ERROR  {e.location.describe_vi()}: {e.reason_vi}{hint_vi} / {e.reason_en}{hint_en}")
    for label, problems in (("LOẠI / REJECTED", rejects), ("CẢNH BÁO / WARNING", warnings)):
        for p in problems:
            loc = Location(p.file, p.sheet, p.row, p.column, p.value)
            where = loc.describe_vi()
            if not p.file:  # a remark about the year, not about one file
                where = where.removeprefix("tệp ").lstrip(", ") or "số liệu của năm"
            lines.append(f"{label}  {where}: {p.reason_vi} / {p.reason_en}")
    return lines
