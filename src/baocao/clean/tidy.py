"""The tidy tables as CSV files (UTF-8 with a BOM, so that Excel shows Vietnamese right;
deterministic) and back, with their dtypes. A text cell that a spreadsheet would read as a
formula is neutralised (:mod:`baocao.cells`) and restored when read back here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..cells import csv_rows, neutralise, restore
from ..config import BuildFiles, Project, TableSpec
from ..errors import Reject

if TYPE_CHECKING:  # pragma: no cover
    from .year import CleanResult

#: Where a kept row comes from: the file as named in the folder, its sheet and Excel row, and the
#: expected input the file was read as (``source_input``: its role and khu, decided once when the
#: folder is read; the figures select files by it, never by the file's own name).
PROVENANCE = ["source_file", "source_sheet", "source_row", "source_input"]
REJECT_COLUMNS = ["file", "sheet", "row", "column", "value", "reason_vi", "reason_en"]
ACCOUNTING_COLUMNS = ["file", "sheet", "table", "header_row", "read", "kept", "rejected", "blank", "total"]

DTYPES = {
    "text": "string",
    "area": "string",
    "organisation": "string",
    "category": "string",
    "integer": "Int64",
    "money": "Int64",
    "year": "Int64",
    "month": "Int64",
    "number": "Float64",
    "yesno": "boolean",
}


def typed_frame(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    out = frame.copy()
    for col in spec.columns:
        if col.type == "date":
            out[col.name] = pd.to_datetime(out[col.name]).astype("datetime64[ns]")
        else:
            out[col.name] = out[col.name].astype(DTYPES[col.type])
    out["source_file"] = out["source_file"].astype("string")
    out["source_sheet"] = out["source_sheet"].astype("string")
    out["source_row"] = out["source_row"].astype("Int64")
    out["source_input"] = out["source_input"].astype("string")
    return out


def problems_frame(problems: list[Reject]) -> pd.DataFrame:
    frame = pd.DataFrame([p.as_record() for p in problems], columns=REJECT_COLUMNS)
    return frame.astype({"row": "string"}).fillna("")


def write_clean(result: CleanResult, out_dir: Path) -> list[Path]:
    """Tidy tables, rejects, warnings and accounting as UTF-8 CSV (atomic, deterministic)."""
    from ..atomic import write_text
    from ..reconcile import frame_of as reconcile_frame

    written = []
    for name, frame in sorted(result.tables.items()):
        written.append(write_text(out_dir / f"{name}.csv", _to_csv(frame)))
    written.append(write_text(out_dir / BuildFiles.REJECTS, _to_csv(result.rejects_frame())))
    written.append(write_text(out_dir / BuildFiles.WARNINGS, _to_csv(result.warnings_frame())))
    written.append(write_text(out_dir / BuildFiles.RECONCILIATION, _to_csv(reconcile_frame(result.checks))))
    written.append(write_text(out_dir / BuildFiles.ACCOUNTING, _to_csv(result.accounting)))
    return written


def _to_csv(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return BOM + out.to_csv(index=False, lineterminator="\n")


BOM = "\ufeff"


def read_csv(path: Path, **options) -> pd.DataFrame:
    """A CSV this module wrote (BOM or not), its text cells as they were before neutralising."""
    frame = pd.read_csv(path, encoding="utf-8-sig", **options)
    for col in frame.columns:
        if pd.api.types.is_object_dtype(frame[col]) or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].map(lambda v: restore(v) if isinstance(v, str) else v)
    return frame


def csv_records(path: Path) -> list[dict[str, str]]:
    """The rows of such a CSV as text (``csv.DictReader``), restored."""
    return csv_rows(path.read_bytes().decode("utf-8-sig"))


def read_clean(data_dir: Path, project: Project) -> dict[str, pd.DataFrame]:
    """Tidy tables back from build/<year>/data, with their dtypes."""
    tables = {}
    for name, spec in project.reference.tables.items():
        path = data_dir / f"{name}.csv"
        frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        for col in spec.columns:
            if col.type == "date":
                frame[col.name] = pd.to_datetime(frame[col.name], format="%Y-%m-%d").astype("datetime64[ns]")
            elif col.type == "yesno":
                frame[col.name] = frame[col.name].map({"True": True, "False": False}).astype("boolean")
            elif DTYPES[col.type] in ("Int64", "Float64"):
                frame[col.name] = pd.to_numeric(frame[col.name]).astype(DTYPES[col.type])
            else:
                frame[col.name] = frame[col.name].astype("string")
        frame["source_row"] = pd.to_numeric(frame["source_row"]).astype("Int64")
        for where in ("source_file", "source_sheet", "source_input"):
            frame[where] = frame[where].astype("string")
        tables[name] = frame
    return tables
