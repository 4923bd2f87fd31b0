"""pandera schemas of the tidy tables, derived from data/reference/inputs.yml.

The cleaner rejects bad rows one by one with a message for people; these schemas are the
contract that what it keeps is right (types, allowed values, ranges, provenance). A failure
here is a bug in baocao, not in the data, and says so.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .config import Project, TableSpec
from .errors import SchemaViolation


def _dtypes() -> dict[str, str]:
    from .clean import DTYPES  # one table of column types → dtypes, the cleaner's

    return {**DTYPES, "date": "datetime64[ns]"}


def table_schema(project: Project, spec: TableSpec, year: int | None = None) -> pa.DataFrameSchema:
    from .clean import WHOLE_UNIT

    columns: dict[str, pa.Column] = {}
    areas = [a.id for a in project.unit.areas]
    for col in spec.columns:
        checks = []
        if col.type in ("integer", "money", "number") and col.min is not None:
            checks.append(pa.Check.ge(col.min))
        if col.type == "month":
            checks.append(pa.Check.in_range(1, 12))
        if col.type == "area":
            checks.append(pa.Check.isin(areas + ([WHOLE_UNIT] if col.whole_unit else [])))
        if col.type == "organisation":
            checks.append(pa.Check.isin([o.id for o in project.unit.organisations]))
        if col.type == "category":
            checks.append(pa.Check.isin([i.id for i in project.reference.catalogue_for(col)]))
        if col.type == "date" and year is not None and not col.any_year:
            checks.append(pa.Check(lambda s, y=year: s.dt.year == y, name=f"in_year_{year}"))
        if col.type == "year" and year is not None:
            checks.append(pa.Check.isin([year, year + 1]))
        nullable = not col.required or (col.default is None and not col.required)
        if col.default is not None:
            nullable = False
        columns[col.name] = pa.Column(_dtypes()[col.type], checks=checks, nullable=nullable)
    columns["source_file"] = pa.Column("string", nullable=False)
    columns["source_sheet"] = pa.Column("string", nullable=False)
    columns["source_row"] = pa.Column("Int64", pa.Check.ge(1), nullable=False)
    columns["source_input"] = pa.Column("string", nullable=False)
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=spec.name)


def _validate(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> None:
    """Validate; a failure is a bug in baocao (the cleaner broke its own contract)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.head(5).to_string(index=False)
        raise SchemaViolation(
            f"bảng '{schema.name}' sau khi làm sạch không đúng lược đồ (lỗi của baocao, không phải của số liệu):\n{cases}",
            f"cleaned table '{schema.name}' violates its schema (a baocao bug, not a data error):\n{cases}",
            hint_vi="báo lỗi kèm thư mục số liệu",
            hint_en="report it with the data folder",
        ) from None


def validate_tables(project: Project, tables: dict[str, pd.DataFrame], year: int | None = None) -> None:
    for name, frame in tables.items():
        _validate(table_schema(project, project.reference.tables[name], year), frame)


# ---------------------------------------------------------------------------- around the tables
def _text(*checks: pa.Check) -> pa.Column:
    """A column of Python strings (object or string dtype), never missing."""
    is_str = pa.Check(lambda v: isinstance(v, str), element_wise=True, name="is_text")
    return pa.Column(checks=[is_str, *checks], nullable=False)


def accounting_schema() -> pa.DataFrameSchema:
    """build/<year>/data/accounting.csv: one row per file and sheet; nothing lost."""
    count = [pa.Check.ge(0)]
    return pa.DataFrameSchema(
        {
            "file": _text(),
            "sheet": _text(),
            "table": _text(),
            "header_row": pa.Column(int, pa.Check.ge(1)),
            **{name: pa.Column(int, count) for name in ("read", "kept", "rejected", "blank", "total")},
        },
        checks=pa.Check(
            lambda df: df["read"] == df["kept"] + df["rejected"] + df["blank"] + df["total"],
            name="read = kept + rejected + blank + total",
        ),
        strict=True,
        ordered=True,
        name="accounting",
    )


def problems_schema(name: str = "rejects") -> pa.DataFrameSchema:
    """rejects.csv and warnings.csv: exactly file, sheet, row, column, value, reason_vi, reason_en."""
    from .clean import REJECT_COLUMNS

    columns = {c: _text() for c in REJECT_COLUMNS}
    columns["row"] = _text(pa.Check.str_matches(r"^(\d+)?$"))
    columns["reason_vi"] = _text(pa.Check.str_length(min_value=1))
    columns["reason_en"] = _text(pa.Check.str_length(min_value=1))
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=name)


def validate_result(project: Project, result, year: int | None = None) -> None:
    """A CleanResult against every schema: the tidy tables, the accounting, rejects and warnings."""
    _validate_all(project, year if year is not None else result.year, *result.frames())


def _validate_all(project: Project, year: int, tables, accounting, rejects, warnings) -> None:
    validate_tables(project, tables, year)
    for schema, frame in (
        (accounting_schema(), accounting),
        (problems_schema("rejects"), rejects),
        (problems_schema("warnings"), warnings),
    ):
        _validate(schema, frame)
