"""Command line: ``baocao build | validate | …`` (also ``python -m baocao``).

Exit codes: 0 ok, 1 bad input data, 2 usage, 3 environment (missing tool or font, locked).
Expected failures print one bilingual message and no traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .errors import BaocaoError, UsageError


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


class StepPrinter:
    """One line per step and job; the same on a terminal and in CI logs, and from many
    processes at once (events arrive through one queue)."""

    def __init__(self, console):
        self.console = console

    def __call__(self, label: object, step: str, state: str, seconds: float) -> None:
        from .pipeline import STEP_LABELS

        name = STEP_LABELS.get(step, step)
        if state == "start":
            self.console.print(f"[{label}] {name} …", markup=False)
        elif state == "skip":
            self.console.print(f"[{label}] {name}: không đổi, bỏ qua / unchanged, skipped", markup=False)
        elif state == "failed":
            self.console.print(f"[{label}] lỗi / failed", markup=False)
        else:
            self.console.print(f"[{label}] {name}: xong / done ({seconds:.1f} s)", markup=False)


def _project(args):
    from .config import Project

    return Project.find(Path(args.project) if args.project else None, Path(args.build_dir) if args.build_dir else None)


def _years(args, project) -> list[int]:
    available = project.years_available()
    if getattr(args, "all", False):
        if not available:
            raise UsageError("không có năm nào trong data/raw/", "no year folders in data/raw/")
        return available
    years = args.year or [project.unit.default_year]
    return sorted(set(years))


# ---------------------------------------------------------------------------- commands
def cmd_build(args) -> int:
    from .batch import plan_jobs, run_jobs

    console = _console()
    project = _project(args)
    if args.jobs < 1:
        raise UsageError("--jobs phải ≥ 1", "--jobs must be at least 1")
    jobs = plan_jobs(project, args.year, all_years=args.all, unit=args.unit, renderer=args.renderer,
                     force=args.force, wait=args.wait)
    if not jobs:
        raise UsageError("không có năm nào để build trong data/raw/", "nothing to build: no year folders in data/raw/")
    t0 = time.perf_counter()
    results = run_jobs(jobs, n_jobs=args.jobs, scheduler=args.scheduler, on_event=StepPrinter(console))
    elapsed = time.perf_counter() - t0
    failed = [r for r in results if r["exit_code"]]
    fresh = [r for r in results if not r["exit_code"] and r["up_to_date"]]
    for r in fresh:
        console.print(f"[{r['label']}] không có gì thay đổi: báo cáo đã cập nhật / nothing changed, up to date",
                      markup=False)
    built = len(results) - len(failed) - len(fresh)
    console.print(f"Xong {len(results) - len(failed)}/{len(results)} (build {built}, không đổi {len(fresh)}) "
                  f"trong {elapsed:.1f} s / done in {elapsed:.1f} s", markup=False)
    for r in results:
        if r.get("rejected_rows"):
            data_dir = Path(r["outputs"]["qmd"]).parent / "data" / "rejects.csv"
            console.print(f"[{r['label']}] {r['rejected_rows']} dòng số liệu bị loại / rows rejected: "
                          f"{project.rel(data_dir)}", markup=False)
    records = {}
    for r in results:
        if r["exit_code"]:
            continue
        folder = Path(r["outputs"]["qmd"]).parent
        record = folder / f"chat-luong-so-lieu-{r['job']['year']}.html"
        mismatches = _reconciliation_mismatches(folder)
        if record.exists():
            records[r["label"]] = record
        if mismatches:
            console.print(f"[{r['label']}] {mismatches} số liệu không khớp khi đối chiếu với dòng tổng cộng hoặc "
                          f"năm trước / figure(s) that do not reconcile: {project.rel(record)}", markup=False)
    for r in failed:
        print(f"[{r['label']}]\n{r['error']}", file=sys.stderr)
    ok = [r for r in results if not r["exit_code"]]
    if ok:
        console.print("Tệp đã tạo / files produced:")
        for r in ok:
            if r["label"] in records:
                console.print(f"  {project.rel(records[r['label']])}", markup=False)
            for fmt in ("html", "pdf"):
                if fmt in r["outputs"]:
                    console.print(f"  {project.rel(Path(r['outputs'][fmt]))}", markup=False)
    return max((r["exit_code"] for r in failed), default=0)


def _reconciliation_mismatches(build_dir: Path) -> int:
    """Totals and continuity checks of a finished build that do not agree."""
    import csv
    import json

    count = 0
    path = build_dir / "data" / "reconciliation.csv"
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            count += sum(1 for row in csv.DictReader(fh) if row["status"] in ("mismatch", "explained"))
    try:
        metrics = json.loads((build_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return count
    return count + sum(1 for c in metrics.get("checks", {}).get("continuity", [])
                       if c["status"] in ("mismatch", "explained"))


def cmd_validate(args) -> int:
    """Check a year's inputs only: a short table per file, then one line per problem.

    Exit 0 when the data can build (rejected rows and warnings allowed), 1 when it cannot
    (a file, sheet or column that cannot be read, or a broken metadata/narrative file);
    ``--strict`` also fails on any rejected row.
    """
    from rich import box
    from rich.table import Table

    from .clean import clean_year, file_summary, problem_lines
    from .errors import InputError, Location
    from .io import InputProblems
    from .metrics import history_year
    from .narrative import load_meta, load_narrative
    from .reconcile import continuity_checks

    def pd_isna(value) -> bool:
        return value is None or (isinstance(value, float) and value != value)

    console = _console()
    if not console.is_terminal:
        console.width = max(console.width, 120)
    project = _project(args)
    unit = getattr(args, "unit", None)
    projects = [project.for_unit(unit)] if unit else project.units()
    status = 0
    for p in projects:
        for year in _years(args, p):
            label = f"{p.unit_id} {year}" if p.unit_id else str(year)
            try:
                result, errors = clean_year(p, year), []
            except InputProblems as exc:
                result, errors = exc.partial, list(exc.errors)
            if p.raw_dir(year).is_dir():
                for loader in (load_meta, load_narrative):
                    try:
                        loader(p, year)
                    except InputError as exc:
                        errors.append(exc)
                    except BaocaoError as exc:
                        errors.append(InputError(Location(p.rel(p.raw_dir(year))), exc.message_vi, exc.message_en,
                                                 hint_vi=exc.hint_vi, hint_en=exc.hint_en))
            # This year against last year: the Quỹ's opening balance, the households at the
            # start of the year, the targets set for this year (baocao.reconcile).
            continuity = []
            if result is not None and not errors:
                previous, _notes = history_year(p, year - 1)
                continuity = [c for c in continuity_checks(p, year, result.tables, previous) if c.is_warning]
                result.warnings.extend(c.warning() for c in continuity)
            summary = file_summary(result, errors)
            table = Table(title=f"Năm {label} ({p.rel(p.raw_dir(year))}/): số dòng theo tệp / rows per file",
                          box=box.SQUARE, title_justify="left")
            table.add_column("Tệp / file", no_wrap=True)
            for head in ("Đọc", "Dùng", "Loại", "Trống", "Tổng", "Cảnh báo"):
                table.add_column(head, justify="right")
            table.add_column("Kết quả", no_wrap=True)
            for row in summary.itertuples():
                counts = [row.read, row.kept, row.rejected, row.blank, row.total]
                shown = ["—" if pd_isna(v) else str(int(v)) for v in counts]
                if row.errors:
                    state = "LỖI / ERROR"
                elif not pd_isna(row.rejected) and row.rejected:
                    state = "có dòng loại / rejects"
                else:
                    state = "ok"
                table.add_row(row.file, *shown, str(row.warnings), state)
            console.print(table)
            console.print("Đọc = Dùng + Loại + Trống + Tổng (dòng tổng cộng, không cộng lại) / "
                          "read = kept + rejected + blank + total rows (never summed again)", markup=False)
            rejects = result.rejects if result is not None else []
            warnings = result.warnings if result is not None else []
            checks = [w for w in warnings if w.extra.get("check")]  # totals and continuity that do not agree
            lines = problem_lines(errors, rejects, [w for w in warnings if not w.extra.get("check")])
            for line in problem_lines([], [], checks):  # "a warning, an error with --strict"
                lines.append(line.replace("CẢNH BÁO / WARNING", "LỖI / ERROR", 1) if args.strict else line)
            if lines:
                console.print(f"Vấn đề / problems ({len(lines)}):", markup=False)
                for line in lines:
                    console.print(line, markup=False, soft_wrap=True)
            rejected = result.rows_rejected if result is not None else 0
            fails = bool(errors) or (args.strict and (rejected > 0 or bool(checks)))
            status = max(status, 1 if fails else 0)
            verdict = "chưa dùng được / cannot build" if fails else "dùng được / can build"
            why = ""
            if args.strict and not errors and (rejected or checks):
                why = (f" (--strict: {rejected} dòng bị loại, {len(checks)} số liệu đối chiếu bị lệch / "
                       f"{rejected} row(s) rejected, {len(checks)} figure(s) that do not reconcile)")
            console.print(f"Năm {label}: {len(errors)} lỗi, {rejected} dòng bị loại, {len(warnings)} cảnh báo / "
                          f"{len(errors)} error(s), {rejected} row(s) rejected, {len(warnings)} warning(s): "
                          f"{verdict}{why}", markup=False)
    return status


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baocao",
        description="Báo cáo tổng kết năm từ số liệu: làm sạch, tính chỉ tiêu, xuất HTML và PDF, lưu trữ. "
        "Yearly reports from office data: clean, compute, render to HTML and PDF, archive.",
    )
    parser.add_argument("--version", action="version", version=f"baocao {__version__}")
    parser.add_argument("--project", metavar="DIR", help="project folder (holds baocao.yml); default: here or above")
    parser.add_argument("--build-dir", metavar="DIR", help="where builds go (default: <project>/build)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def years(p, allow_all=True):
        p.add_argument("--year", type=int, nargs="+", metavar="Y", help="year(s) to process (default: baocao.yml default_year)")
        if allow_all:
            p.add_argument("--all", action="store_true", help="every year folder in data/raw/")

    p = sub.add_parser("build", help="build the report of one or more years")
    years(p)
    p.add_argument("--renderer", choices=("auto", "quarto", "pandoc"), default="auto",
                   help="auto: Quarto if installed, else pandoc + typst")
    p.add_argument("--wait", action="store_true", help="wait for another build of the same year instead of failing")
    p.add_argument("--force", action="store_true", help="run every step, even those whose inputs did not change")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="build N unit-years in parallel processes")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the jobs on a Dask cluster (tcp://host:8786)")
    p.add_argument("--unit", metavar="ID", help="one unit of a multi-unit baocao.yml (default: all units)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="check a year's input files only")
    years(p)
    p.add_argument("--strict", action="store_true",
                   help="fail when any row is rejected or a total or last year's figure does not reconcile")
    p.set_defaults(func=cmd_validate)

    p.add_argument("--unit", metavar="ID", help="one unit of a multi-unit baocao.yml (default: every unit)")

    from . import archive, templates

    templates.add_commands(sub)  # new-year Y [--force] [--unit ID]
    archive.add_commands(sub)  # archive --year Y, verify PATH, reproduce PATH
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BaocaoError as exc:
        if args.debug:
            raise
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Đã dừng / interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
