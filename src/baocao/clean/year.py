"""A year: every table read and cleaned, with the row accounting (nothing lost) and the remarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import Project
from ..errors import InputError, InputProblems, Location, Reject
from ..period import cutoff_warnings, read_period
from ..readers import YearReader
from ..readers.files import read_declared
from ..reconcile import check_totals
from .convert import CleanContext
from .overlap import likely_double_counts
from .table import clean_table
from .tidy import ACCOUNTING_COLUMNS, problems_frame


@dataclass
class CleanResult:
    year: int
    tables: dict[str, pd.DataFrame]
    rejects: list[Reject]
    warnings: list[Reject]
    accounting: pd.DataFrame
    #: the sheets' own total rows compared with the kept rows (baocao.reconcile.Check)
    checks: list = field(default_factory=list)

    def rejects_frame(self) -> pd.DataFrame:
        return problems_frame(self.rejects)

    def warnings_frame(self) -> pd.DataFrame:
        return problems_frame(self.warnings)

    def frames(self) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """What the schemas check (baocao.schema): the tables, accounting, rejects, warnings."""
        return self.tables, self.accounting, self.rejects_frame(), self.warnings_frame()

    @property
    def rows_rejected(self) -> int:
        return int(self.accounting["rejected"].sum()) if len(self.accounting) else 0


# ---------------------------------------------------------------------------- a year
def clean_year(project: Project, year: int, raw_dir: Path | None = None) -> CleanResult:
    """Read and clean every table of ``year``; raise InputProblems on structural errors.

    The InputProblems carries what could be read anyway (``partial``), for ``baocao validate``.
    """
    ref = project.reference
    raw_dir = raw_dir or project.raw_dir(year)
    folder = _display_folder(project, raw_dir)
    declared, declared_problems = read_declared(raw_dir, ref, project.unit.areas)
    reader = YearReader(raw_dir, ref, project.unit.areas, declared, year)
    reader.problems.extend(declared_problems)
    ctx = CleanContext(year=year, project=project, catalogues=ref.catalogues)
    if not raw_dir.is_dir():
        raise InputProblems(
            [
                InputError(
                    Location(folder),
                    f"không có thư mục dữ liệu của năm {year}",
                    f"no data folder for year {year}",
                    hint_vi=f"tạo thư mục bằng lệnh 'baocao new-year {year}' rồi chép các tệp số liệu vào đó",
                    hint_en=f"create it with 'baocao new-year {year}' and copy the year's files into it",
                )
            ],
            folder=folder,
        )
    reader.check_files()
    tables: dict[str, pd.DataFrame] = {}
    rejects: list[Reject] = []
    checks: list = []
    accounting_rows = []
    for name, spec in ref.tables.items():
        reads = reader.read_table(spec)
        frame, table_rejects, counts = clean_table(spec, reads, ctx)
        tables[name] = frame
        if len({read.input_name for read in reads}) > 1:  # one event in two files
            headers = {k: v for read in reversed(reads) for k, v in read.headers.items()}
            ctx.warnings.extend(likely_double_counts(spec, frame, headers))
        rejects.extend(table_rejects)
        checks.extend(check_totals(spec, reads, frame))
        for read in reads:
            k = (read.file, read.sheet)
            for header in read.extra_headers:
                ctx.warnings.append(
                    Reject(
                        read.file,
                        read.sheet,
                        read.header_row,
                        header,
                        "",
                        "cột không có trong mẫu, bỏ qua",
                        "column not in the template, ignored",
                        "warning",
                    )
                )
            accounting_rows.append(
                {
                    "file": read.file,
                    "sheet": read.sheet,
                    "table": name,
                    "header_row": read.header_row,
                    "read": read.rows_read,
                    "kept": counts["kept"].get(k, 0),
                    "rejected": counts["rejected"].get(k, 0),
                    "blank": read.blank_rows,
                    "total": read.non_data_rows,
                }
            )
    reader.check_unused()
    accounting = pd.DataFrame(accounting_rows, columns=ACCOUNTING_COLUMNS)
    accounting = accounting.sort_values(["file", "sheet"], kind="stable").reset_index(drop=True)
    _check_accounting(accounting)
    ctx.warnings.extend(c.warning() for c in checks if c.is_warning)
    if not reader.problems:
        _warn_missing_areas(project, tables, ctx, set(declared.areas))
    # rows dated after the report's data cut-off: named here, never counted (baocao.period)
    ctx.warnings.extend(cutoff_warnings(project, tables, read_period(project, year, raw_dir, strict=False)))
    result = CleanResult(year, tables, rejects, reader.notes + ctx.warnings, accounting, checks)
    if reader.problems:
        raise InputProblems(reader.problems, folder=folder, partial=result)
    return result


def _display_folder(project: Project, raw_dir: Path) -> str:
    """The year's folder as people should read it: relative to the project when inside it."""
    try:
        return raw_dir.resolve().relative_to(project.root.resolve()).as_posix() + "/"
    except ValueError:
        return raw_dir.as_posix() + "/"


def _check_accounting(accounting: pd.DataFrame) -> None:
    """Nothing lost: read = kept + rejected + blank + total, for every file and sheet."""
    parts = accounting["kept"] + accounting["rejected"] + accounting["blank"] + accounting["total"]
    bad = accounting[accounting["read"] != parts]
    if len(bad):  # pragma: no cover - a bug in baocao, never a data error
        raise AssertionError(f"row accounting does not balance:\n{bad.to_string(index=False)}")


def _warn_missing_areas(
    project: Project, tables: dict[str, pd.DataFrame], ctx: CleanContext, declared: set[str]
) -> None:
    """A khu without its row in a one-row-per-khu table (unless declared with no activity)."""
    ref = project.reference
    for name, spec in ref.tables.items():
        if spec.one_row_per != "area":
            continue
        present = set(tables[name]["area"].dropna())
        for area in project.unit.areas:
            if area.id not in present and area.id not in declared:
                ctx.warnings.append(
                    Reject(
                        "",
                        spec.sources[0].sheet,
                        None,
                        "",
                        area.name,
                        f"chưa có số liệu '{spec.title_vi}' của {area.name}",
                        f"no '{spec.name}' data for {area.name}",
                        "warning",
                    )
                )
