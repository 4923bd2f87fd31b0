"""Command line: ``baocao build | validate | …`` (also ``python -m baocao``).

Exit codes: 0 ok, 1 bad input data, 2 usage, 3 environment (missing tool or font, locked).
Expected failures print one bilingual message and no traceback (``--debug`` shows it).
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from . import __version__
from .cliarchive import add_archive_commands
from .cliargs import (
    ArgumentMistake,
    BilingualParser,
    ClosedPipeGuard,
    StepPrinter,
    add_jobs,
    add_renderer,
    bi,
    command,
    make_console,
    parse,
    project_of,
    usage_error,
    year_value,
)
from .clipreview import add_preview_command
from .clisite import add_site_command
from .config import BuildFiles
from .errors import BaocaoError, Stopped, UsageError


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

    console = make_console()
    project = project_of(args)
    if args.jobs < 1:
        raise UsageError("--jobs phải ≥ 1", "--jobs must be at least 1")
    jobs = plan_jobs(
        project, args.year, all_years=args.all, unit=args.unit, renderer=args.renderer, force=args.force, wait=args.wait
    )
    if not jobs:
        raise UsageError("không có năm nào để build trong data/raw/", "nothing to build: no year folders in data/raw/")
    t0 = time.perf_counter()
    results = run_jobs(jobs, n_jobs=args.jobs, scheduler=args.scheduler, on_event=StepPrinter(console))
    elapsed = time.perf_counter() - t0
    failed = [r for r in results if r["exit_code"]]
    fresh = [r for r in results if not r["exit_code"] and r["up_to_date"]]
    for r in fresh:
        console.print(
            f"[{r['label']}] không có gì thay đổi: báo cáo đã cập nhật / nothing changed, up to date", markup=False
        )
    built = len(results) - len(failed) - len(fresh)
    for r in failed:
        print(f"[{r['label']}]\n{r['error']}", file=sys.stderr)
    counts = f"(build {built}, không đổi {len(fresh)}"
    if failed:
        # the outcome first (the errors above), then a summary that does not say "done"
        console.print(
            f"Lỗi {len(failed)}/{len(results)}, xong {len(results) - len(failed)}/{len(results)} "
            f"{counts}) trong {elapsed:.1f} s / {len(failed)} of {len(results)} failed",
            markup=False,
        )
    else:
        console.print(
            f"Xong {len(results)}/{len(results)} {counts}) trong {elapsed:.1f} s / done in {elapsed:.1f} s",
            markup=False,
        )
    for r in results:
        if r.get("rejected_rows"):
            data_dir = Path(r["outputs"]["qmd"]).parent / BuildFiles.DATA / BuildFiles.REJECTS
            console.print(
                f"[{r['label']}] {r['rejected_rows']} dòng số liệu bị loại / rows rejected: {project.rel(data_dir)}",
                markup=False,
            )
    records = {}
    for r in results:
        if r["exit_code"]:
            continue
        folder = Path(r["outputs"]["qmd"]).parent
        record = folder / BuildFiles.quality(r["job"]["year"])
        mismatches = _reconciliation_mismatches(folder)
        if record.exists():
            records[r["label"]] = record
        if mismatches:
            console.print(
                f"[{r['label']}] {mismatches} số liệu không khớp khi đối chiếu với dòng tổng cộng hoặc "
                f"năm trước / figure(s) that do not reconcile: {project.rel(record)}",
                markup=False,
            )
    ok = [r for r in results if not r["exit_code"]]
    if ok:
        console.print("Tệp đã tạo / files produced:")
        for r in ok:
            if r["label"] in records:
                console.print(f"  {project.rel(records[r['label']])}", markup=False)
            for fmt in ("html", "pdf", "docx"):
                if fmt in r["outputs"]:
                    note = ""
                    if fmt == "pdf":
                        standard = r.get("pdf_standard")
                        note = (
                            f"  (PDF/{standard[0].upper()}{standard[1:]})"
                            if standard
                            else "  (PDF thường, không phải PDF/A / a plain PDF, not PDF/A)"
                        )
                    console.print(f"  {project.rel(Path(r['outputs'][fmt]))}{note}", markup=False)
    return max((r["exit_code"] for r in failed), default=0)


def _reconciliation_mismatches(build_dir: Path) -> int:
    """Totals and continuity checks of a finished build that do not agree."""
    import json

    from .clean.tidy import csv_records

    count = 0
    path = build_dir / BuildFiles.DATA / BuildFiles.RECONCILIATION
    if path.exists():
        count += sum(1 for row in csv_records(path) if row["status"] in ("mismatch", "explained"))
    try:
        metrics = json.loads((build_dir / BuildFiles.METRICS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return count
    return count + sum(
        1 for c in metrics.get("checks", {}).get("continuity", []) if c["status"] in ("mismatch", "explained")
    )


def cmd_validate(args) -> int:
    """Check a year's inputs only: a short table per file, then one line per problem.

    Exit 0 when the data can build (rejected rows and warnings allowed), 1 when it cannot
    (a file, sheet or column that cannot be read, or a broken metadata/narrative file);
    ``--strict`` also fails on any rejected row.
    """
    console = make_console()
    if not console.is_terminal:
        console.width = max(console.width, 120)
    project = project_of(args)
    if args.jobs < 1:
        raise UsageError("--jobs phải ≥ 1", "--jobs must be at least 1")
    unit = getattr(args, "unit", None)
    projects = [project.for_unit(unit)] if unit else project.units()
    status = 0
    for p in projects:
        for year in _years(args, p):
            if p.unit_id and p.unit.is_aggregate:  # its members' bags and its own files (baocao.aggregate)
                from .aggregate.check import validate_aggregate

                status = max(status, validate_aggregate(p, year, console, strict=args.strict, jobs=args.jobs))
                continue
            label = f"{p.unit_id} {year}" if p.unit_id else str(year)
            result, errors = _checked_year(p, year)
            _print_rows_per_file(console, label, p.rel(p.raw_dir(year)), result, errors)
            status = max(status, _print_problems(console, label, result, errors, args.strict))
    return status


def _checked_year(p, year: int) -> tuple:
    """The year cleaned (what could be), the errors that stop a build, and this year's
    continuity with last year (the Quỹ's opening balance, the households at the start of the
    year, the targets set for this year: baocao.reconcile) added to its warnings."""
    from .clean import clean_year
    from .errors import InputError, InputProblems, Location
    from .history import history_year
    from .narrative import load_meta, load_narrative
    from .reconcile import continuity_checks

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
            except InputProblems as exc:  # a metadata file's schema: every key it finds wrong
                errors.extend(exc.errors)
            except BaocaoError as exc:
                where = Location(p.rel(p.raw_dir(year)))
                errors.append(
                    InputError(where, exc.message_vi, exc.message_en, hint_vi=exc.hint_vi, hint_en=exc.hint_en)
                )
    if result is not None and not errors:
        previous, _notes = history_year(p, year - 1)
        continuity = [c for c in continuity_checks(p, year, result.tables, previous) if c.is_warning]
        result.warnings.extend(c.warning() for c in continuity)
    return result, errors


def _print_rows_per_file(console, label: str, raw: str, result, errors: list) -> None:
    from rich import box
    from rich.table import Table

    from .summary import file_summary

    def missing(value) -> bool:
        return value is None or (isinstance(value, float) and value != value)

    table = Table(title=f"Năm {label} ({raw}/): số dòng theo tệp / rows per file", box=box.SQUARE, title_justify="left")
    table.add_column("Tệp / file", no_wrap=True)
    for head in ("Đọc", "Dùng", "Loại", "Trống", "Tổng", "Cảnh báo"):
        table.add_column(head, justify="right")
    table.add_column("Kết quả", no_wrap=True)
    for row in file_summary(result, errors).itertuples():
        counts = [row.read, row.kept, row.rejected, row.blank, row.total]
        shown = ["—" if missing(v) else str(int(v)) for v in counts]
        if row.errors:
            state = "LỖI / ERROR"
        elif not missing(row.rejected) and row.rejected:
            state = "có dòng loại / rejects"
        else:
            state = "ok"
        table.add_row(row.file, *shown, str(row.warnings), state)
    console.print(table)
    console.print(
        "Đọc = Dùng + Loại + Trống + Tổng (dòng tổng cộng, không cộng lại) / "
        "read = kept + rejected + blank + total rows (never summed again)",
        markup=False,
    )


def _print_problems(console, label: str, result, errors: list, strict: bool) -> int:
    """One line per problem, then the verdict; the exit status (1: cannot build)."""
    from .summary import problem_lines

    rejects = result.rejects if result is not None else []
    warnings = result.warnings if result is not None else []
    checks = [w for w in warnings if w.extra.get("check")]  # totals and continuity that do not agree
    lines = problem_lines(errors, rejects, [w for w in warnings if not w.extra.get("check")])
    for line in problem_lines([], [], checks):  # "a warning, an error with --strict"
        lines.append(line.replace("CẢNH BÁO / WARNING", "LỖI / ERROR", 1) if strict else line)
    if lines:
        console.print(f"Vấn đề / problems ({len(lines)}):", markup=False)
        for line in lines:
            console.print(line, markup=False, soft_wrap=True)
    rejected = result.rows_rejected if result is not None else 0
    fails = bool(errors) or (strict and (rejected > 0 or bool(checks)))
    verdict = "chưa dùng được / cannot build" if fails else "dùng được / can build"
    why = ""
    if strict and not errors and (rejected or checks):
        why = (
            f" (--strict: {rejected} dòng bị loại, {len(checks)} số liệu đối chiếu bị lệch / "
            f"{rejected} row(s) rejected, {len(checks)} figure(s) that do not reconcile)"
        )
    console.print(
        f"Năm {label}: {len(errors)} lỗi, {rejected} dòng bị loại, {len(warnings)} cảnh báo / "
        f"{len(errors)} error(s), {rejected} row(s) rejected, {len(warnings)} warning(s): "
        f"{verdict}{why}",
        markup=False,
    )
    return 1 if fails else 0


def cmd_new_year(args) -> int:
    from .templates import make_templates

    console = make_console()
    project = project_of(args)
    projects = [project.for_unit(args.unit)] if args.unit else project.units()
    written: list[Path] = []
    for p in projects:
        written += make_templates(p, args.new_year, force=args.force, log=lambda msg: console.print(msg, markup=False))
    console.print("Tệp đã tạo / files created:")
    for path in written:
        console.print(f"  {project.rel(path)}", markup=False)
    console.print(
        f"Tiếp theo: gửi các tệp .xlsx cho các đơn vị, điền thong-tin-bao-cao.yml và nhan-dinh.md, rồi chạy "
        f"'baocao validate --year {args.new_year}' / next: fill them in, then run 'baocao validate --year {args.new_year}'",
        markup=False,
    )
    return 0


# ---------------------------------------------------------------------------- parser
# Every help text is Vietnamese first, then English ("… / …"); every usage mistake becomes one
# bilingual UsageError (exit 2) with the likely fix (see cliargs.usage_error).


def add_unit(p) -> None:
    """``--unit``: one unit of a multi-unit baocao.yml (every unit when not given)."""
    p.add_argument(
        "--unit",
        metavar="MÃ/ID",
        help=bi(
            "một đơn vị của baocao.yml nhiều đơn vị (mặc định: mọi đơn vị)",
            "one unit of a multi-unit baocao.yml (default: every unit)",
        ),
    )


def build_parser() -> BilingualParser:
    parser = BilingualParser(
        prog="baocao",
        description="Báo cáo tổng kết năm từ số liệu: làm sạch, tính chỉ tiêu, xuất HTML, PDF và Word, lưu trữ.\n"
        "Yearly reports from office data: clean, compute, render to HTML, PDF and Word, archive.",
        epilog="Mã thoát / exit codes: 0 xong / ok, 1 số liệu sai / bad input data, 2 dùng sai lệnh / usage, "
        "3 môi trường (thiếu công cụ, phông, không tìm thấy dự án) / environment (missing tool or font, "
        "no project).\nTrợ giúp của một lệnh / help of a command: baocao LỆNH --help, e.g. baocao build --help",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"baocao {__version__}",
        help=bi("in phiên bản rồi thoát", "print the version and exit"),
    )
    parser.add_argument(
        "--project",
        metavar="THƯ_MỤC/DIR",
        help=bi(
            "thư mục dự án (có baocao.yml); mặc định: thư mục hiện tại hoặc thư mục cha",
            "project folder (holds baocao.yml); default: here or above",
        ),
    )
    parser.add_argument(
        "--build-dir",
        metavar="THƯ_MỤC/DIR",
        help=bi("nơi ghi các bản dựng (mặc định: <dự án>/build)", "where builds go (default: <project>/build)"),
    )
    parser.add_argument("--debug", action="store_true", help=bi("hiện traceback khi lỗi", "show tracebacks"))
    sub = parser.add_subparsers(dest="command", metavar="LỆNH/COMMAND", title="lệnh / commands")
    _add_build(sub)
    _add_validate(sub)
    _add_new_year(sub)
    add_archive_commands(sub)  # archive, verify, reproduce, keygen
    add_site_command(sub)
    add_preview_command(sub)
    return parser


def _add_years(p, allow_all: bool = True) -> None:
    p.add_argument(
        "--year",
        type=year_value,
        nargs="+",
        metavar="NĂM/YEAR",
        help=bi(
            "năm cần làm, có 4 chữ số, một hoặc nhiều (mặc định: default_year trong baocao.yml)",
            "year(s) to process, 4 digits (default: default_year in baocao.yml)",
        ),
    )
    if allow_all:
        p.add_argument(
            "--all",
            action="store_true",
            help=bi("mọi năm có thư mục trong data/raw/", "every year folder in data/raw/"),
        )


def _add_build(sub) -> None:
    p = command(
        sub,
        "build",
        "dựng báo cáo của một hoặc nhiều năm (HTML, PDF, Word)",
        "build the report of one or more years (HTML, PDF, Word)",
    )
    _add_years(p)
    add_renderer(p)
    p.add_argument(
        "--wait",
        action="store_true",
        help=bi(
            "chờ bản dựng khác của cùng năm xong thay vì báo lỗi",
            "wait for another build of the same year instead of failing",
        ),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=bi(
            "chạy mọi bước, kể cả bước có đầu vào không đổi", "run every step, even those whose inputs did not change"
        ),
    )
    add_jobs(p)
    p.add_argument(
        "--scheduler",
        metavar="ĐỊA_CHỈ/ADDRESS",
        help=bi("chạy trên cụm Dask (tcp://máy:8786)", "run the jobs on a Dask cluster (tcp://host:8786)"),
    )
    add_unit(p)
    p.set_defaults(func=cmd_build)


def _add_validate(sub) -> None:
    p = command(sub, "validate", "chỉ kiểm tra các tệp số liệu của một năm", "check a year's input files only")
    _add_years(p)
    p.add_argument(
        "--strict",
        action="store_true",
        help=bi(
            "báo lỗi cả khi có dòng bị loại, hoặc dòng tổng cộng hay số năm trước không khớp",
            "fail when any row is rejected or a total or last year's figure does not reconcile",
        ),
    )
    add_jobs(
        p,
        "đơn vị tổng hợp: kiểm N túi báo cáo của các đơn vị thành viên song song",
        "an aggregate unit: check N of its members' bags side by side",
    )
    add_unit(p)
    p.set_defaults(func=cmd_validate)


def _add_new_year(sub) -> None:
    p = command(
        sub,
        "new-year",
        "tạo data/raw/NĂM/ với các mẫu biểu (xlsx), tệp thông tin và khung nhận định",
        "create data/raw/YEAR/ with the office templates (xlsx), the metadata and narrative skeletons",
    )
    p.add_argument(
        "new_year",
        type=year_value,
        metavar="NĂM/YEAR",
        help=bi("năm báo cáo cần chuẩn bị", "the report year to prepare"),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=bi("ghi đè các tệp đã có trong data/raw/NĂM/", "overwrite files that already exist in data/raw/YEAR/"),
    )
    add_unit(p)
    p.set_defaults(func=cmd_new_year)


def _on_sigterm(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise Stopped()


STOPPED = "báo cáo tốt gần nhất được giữ nguyên / the last good report is kept"


def _closed_early(args, code: int) -> str:
    """What stderr says when the reader of stdout went away (``| head``) and the command ran on."""
    outcome_vi = "lệnh vẫn chạy đến hết" + ("" if code else ", không lỗi")
    outcome_en = "the command still ran to its end" + (f" (exit {code})" if code else ", without error")
    return (
        f"Lưu ý: nơi nhận đầu ra (stdout) đã đóng giữa chừng (ví dụ '| head'); {outcome_vi}, phần đầu ra còn lại "
        f"bị bỏ / note: standard output was closed early (e.g. '| head'); {outcome_en}; the rest of its "
        f"output was dropped (baocao {args.command})"
    )


def main(argv: list[str] | None = None) -> int:
    import signal

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse(parser, argv)
    except ArgumentMistake as mistake:
        error = usage_error(mistake, parser, argv)
        if "--debug" in argv:
            raise error from mistake
        print(error.render(), file=sys.stderr)
        return error.exit_code
    if not args.command:
        parser.print_help()
        return 2
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    stdout = ClosedPipeGuard(sys.stdout)
    try:
        with contextlib.redirect_stdout(stdout):
            code = args.func(args)
        if stdout.closed_early:
            print(_closed_early(args, code), file=sys.stderr)
        return code
    except BaocaoError as exc:
        if args.debug:
            raise
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # disk full, permissions, a path that is not a folder: the environment
        if args.debug:
            raise
        from .errors import EnvironmentWriteError

        print(EnvironmentWriteError.from_oserror(exc).render(), file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"Đã dừng (Ctrl-C) / interrupted; {STOPPED}", file=sys.stderr)
        return 130
    except Stopped:
        print(f"Đã dừng (SIGTERM) / terminated; {STOPPED}", file=sys.stderr)
        return 143
    finally:
        signal.signal(signal.SIGTERM, previous)


def run() -> None:  # pragma: no cover - the console script; tests run it as a subprocess
    """``baocao`` on the command line."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
