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
        from .steps import step_labels

        name = step_labels().get(step, step)
        if state == "start":
            self.console.print(f"[{label}] {name} …", markup=False)
        elif state == "skip":
            self.console.print(f"[{label}] {name}: không đổi, bỏ qua / unchanged, skipped", markup=False)
        elif state.startswith("changed:"):
            files = state.split(":", 1)[1]
            self.console.print(f"[{label}] {name}: tệp đầu ra bị sửa hoặc thiếu ({files}), chạy lại "
                               f"/ output changed or missing, running again", markup=False)
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
    for r in failed:
        print(f"[{r['label']}]\n{r['error']}", file=sys.stderr)
    counts = f"(build {built}, không đổi {len(fresh)}"
    if failed:
        # the outcome first (the errors above), then a summary that does not say "done"
        console.print(f"Lỗi {len(failed)}/{len(results)}, xong {len(results) - len(failed)}/{len(results)} "
                      f"{counts}) trong {elapsed:.1f} s / {len(failed)} of {len(results)} failed", markup=False)
    else:
        console.print(f"Xong {len(results)}/{len(results)} {counts}) trong {elapsed:.1f} s / done in {elapsed:.1f} s",
                      markup=False)
    for r in results:
        if r.get("rejected_rows"):
            data_dir = Path(r["outputs"]["qmd"]).parent / "data" / "rejects.csv"
            console.print(f"[{r['label']}] {r['rejected_rows']} dòng số liệu bị loại / rows rejected: "
                          f"{project.rel(data_dir)}", markup=False)
    ok = [r for r in results if not r["exit_code"]]
    if ok:
        console.print("Tệp đã tạo / files produced:")
        for r in ok:
            for fmt in ("html", "pdf", "docx"):
                if fmt in r["outputs"]:
                    note = ""
                    if fmt == "pdf":
                        standard = r.get("pdf_standard")
                        note = (f"  (PDF/{standard[0].upper()}{standard[1:]})" if standard
                                else "  (PDF thường, không phải PDF/A / a plain PDF, not PDF/A)")
                    console.print(f"  {project.rel(Path(r['outputs'][fmt]))}{note}", markup=False)
    return max((r["exit_code"] for r in failed), default=0)


def cmd_validate(args) -> int:
    """Check a year's inputs only: a short table per file, then one line per problem.

    Exit 0 when the data can build (rejected rows and warnings allowed), 1 when it cannot
    (a file, sheet or column that cannot be read, or a broken metadata/narrative file);
    ``--strict`` also fails on any rejected row.
    """
    from rich import box
    from rich.table import Table

    from .clean import clean_year
    from .errors import InputError, InputProblems, Location
    from .narrative import load_meta, load_narrative
    from .summary import file_summary, problem_lines

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
            lines = problem_lines(errors, rejects, warnings)
            if lines:
                console.print(f"Vấn đề / problems ({len(lines)}):", markup=False)
                for line in lines:
                    console.print(line, markup=False, soft_wrap=True)
            rejected = result.rows_rejected if result is not None else 0
            fails = bool(errors) or (args.strict and rejected > 0)
            status = max(status, 1 if fails else 0)
            verdict = "chưa dùng được / cannot build" if fails else "dùng được / can build"
            why = " (--strict: có dòng bị loại / rows were rejected)" if args.strict and rejected and not errors else ""
            console.print(f"Năm {label}: {len(errors)} lỗi, {rejected} dòng bị loại, {len(warnings)} cảnh báo / "
                          f"{len(errors)} error(s), {rejected} row(s) rejected, {len(warnings)} warning(s): "
                          f"{verdict}{why}", markup=False)
    return status


def cmd_new_year(args) -> int:
    from .templates import make_templates

    console = _console()
    project = _project(args)
    projects = [project.for_unit(args.unit)] if args.unit else project.units()
    written: list[Path] = []
    for p in projects:
        written += make_templates(p, args.new_year, force=args.force,
                                  log=lambda msg: console.print(msg, markup=False))
    console.print("Tệp đã tạo / files created:")
    for path in written:
        console.print(f"  {project.rel(path)}", markup=False)
    console.print(
        f"Tiếp theo: gửi các tệp .xlsx cho các đơn vị, điền thong-tin-bao-cao.yml và nhan-dinh.md, rồi chạy "
        f"'baocao validate --year {args.new_year}' / next: fill them in, then run 'baocao validate --year {args.new_year}'",
        markup=False,
    )
    return 0


# ---------------------------------------------------------------------------- archive commands
def _unit_project(args):
    """The project, narrowed to ``--unit`` when one is given."""
    project = _project(args)
    unit = getattr(args, "unit", None)
    return project.for_unit(unit) if unit else project


def cmd_archive(args) -> int:
    from .archive import human_size, load_private_key, make_archive

    project = _unit_project(args)
    year = args.year or project.unit.default_year
    key = load_private_key(Path(args.sign)) if getattr(args, "sign", None) else None
    print(f"[{year}] Đóng gói lưu trữ / archiving …")
    res = make_archive(project, year, Path(args.out) if args.out else None, key=key)
    print(f"[{year}] Túi BagIt / bag: {project.rel(res.bag_dir)} ({res.files} tệp / files, "
          f"{human_size(res.payload_bytes)} dữ liệu / payload) trong {res.seconds:.1f} s")
    if key is not None:
        who = f"{key.signer} " if key.signer else ""
        print(f"[{year}] Đã ký / signed: {who}(khóa / key {key.fingerprint})")
    print("Tệp đã tạo / files produced:")
    print(f"  {project.rel(res.bag_dir)}/")
    print(f"  {project.rel(res.zip_path)} ({human_size(res.zip_bytes)})")
    return 0


def cmd_verify(args) -> int:
    """Exit 0 when intact (and, with --key, signed by that key); 1 when not, with one line per
    problem. An intact bag's signature state and its code that differs from the installed
    project are stated too, as information."""
    from .archive import BagDamagedError, load_public_key
    from .archive.verification import inspect

    path = Path(args.path)
    t0 = time.perf_counter()
    key = load_public_key(Path(args.key)) if getattr(args, "key", None) else None
    found = inspect(path, key=key, project_dir=getattr(args, "project", None))
    if found.problems:  # stdout: one line per problem, nothing else
        for p in found.problems:
            print(p.line())
        raise BagDamagedError(path, found.problems)
    if found.code:
        print(f"Thông tin / note: mã trong túi khác với dự án cài ở đây / the bag's code differs from the "
              f"installed project ({found.reference or 'không tìm thấy / none found'}); "
              f"'reproduce' sẽ từ chối nếu không có --trust-bag-code / will refuse without --trust-bag-code:")
        for diff in found.code:
            print(diff.line())
    if found.signature is not None:
        print(found.signature.line())
    print(f"Nguyên vẹn / intact: {path} (sha256 + sha512 khớp mọi tệp / match every file; "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0


def cmd_reproduce(args) -> int:
    from .archive import ReproduceMismatchError, reproduce

    res = reproduce(Path(args.path), keep=getattr(args, "keep", False),
                    trust_bag_code=getattr(args, "trust_bag_code", False), project_dir=getattr(args, "project", None))
    total = len(res.identical) + len(res.different) + len(res.missing) + len(res.new)
    if not res.ok:
        bad = res.different + res.missing + res.new
        raise ReproduceMismatchError(
            f"dựng lại năm {res.year}: {len(bad)}/{total} tệp khác bản lưu trữ: {', '.join(bad)}",
            f"rebuilding {res.year}: {len(bad)}/{total} file(s) differ from the archive: {', '.join(bad)}",
            hint_vi="so sánh phiên bản công cụ ở cảnh báo trên (nếu có); dùng --keep để giữ bản dựng lại mà xem",
            hint_en="compare the tool versions warned about above (if any); --keep keeps the rebuild to inspect",
        )
    print(f"Dựng lại khớp hoàn toàn / reproduced exactly: {len(res.identical)}/{total} tệp giống hệt / files "
          f"identical ({res.seconds:.1f} s)")
    return 0


def cmd_keygen(args) -> int:
    from .archive import keygen

    private, public, fingerprint = keygen(Path(args.out or "."), args.name or "")
    print(f"Khóa ký Ed25519 / Ed25519 signing key: {fingerprint}")
    print(f"  {private}  BÍ MẬT, chỉ người ký giữ / PRIVATE, the signer alone keeps it (0600)")
    print(f"  {public}  công khai, đưa cho người kiểm tra / public, for whoever verifies")
    print("Tệp đã tạo / files produced:")
    print(f"  {private}")
    print(f"  {public}")
    return 0


def add_archive_commands(sub) -> None:
    """``archive``, ``verify``, ``reproduce`` and ``keygen`` (the archive package holds the work)."""
    p = sub.add_parser("archive", help="pack a year's build and its sources into a BagIt bag and a .zip")
    p.add_argument("--year", type=int, metavar="Y", help="the year (default: baocao.yml default_year)")
    p.add_argument("--out", metavar="DIR", help="where the bag and zip go (default: <project>/archive/)")
    p.add_argument("--unit", metavar="ID", help="one unit of a multi-unit baocao.yml")
    p.add_argument("--sign", metavar="KEY", help="sign the bag with this Ed25519 private key (baocao keygen)")
    p.set_defaults(func=cmd_archive)

    p = sub.add_parser("verify", help="check a bag folder or its .zip; one line per damaged file")
    p.add_argument("path", metavar="PATH", help="bag folder or .zip")
    p.add_argument("--key", metavar="PUB", help="check the bag's signature with this public key (exit 1 if not)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("reproduce", help="rebuild an archived year from the bag's own sources and compare")
    p.add_argument("path", metavar="PATH", help="bag folder or .zip")
    p.add_argument("--keep", action="store_true", help="keep the temporary rebuild folder")
    p.add_argument("--trust-bag-code", action="store_true",
                   help="run the bag's notebooks, templates and filters even where they differ from the installed project")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("keygen", help="make an Ed25519 key pair for signing archives")
    p.add_argument("--out", metavar="DIR", help="where the two key files go (default: here)")
    p.add_argument("--name", metavar="SIGNER", help="who signs with it, e.g. the committee's name")
    p.set_defaults(func=cmd_keygen)


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
    p.add_argument("--strict", action="store_true", help="fail when any row is rejected")
    p.set_defaults(func=cmd_validate)

    p.add_argument("--unit", metavar="ID", help="one unit of a multi-unit baocao.yml (default: every unit)")

    p = sub.add_parser(
        "new-year",
        help="create data/raw/Y/ with the office templates (xlsx), the metadata and narrative skeletons",
    )
    p.add_argument("new_year", type=int, metavar="Y", help="the report year to prepare")
    p.add_argument("--force", action="store_true", help="overwrite files that already exist in data/raw/Y/")
    p.add_argument("--unit", metavar="ID", help="one unit of a multi-unit baocao.yml (default: every unit)")
    p.set_defaults(func=cmd_new_year)

    add_archive_commands(sub)  # archive, verify, reproduce, keygen
    return parser


class Stopped(BaseException):
    """SIGTERM, raised where the process is so that every `finally` runs (the staging folder
    is removed, the lock released) and the last good report stays."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise Stopped()


STOPPED = "báo cáo tốt gần nhất được giữ nguyên / the last good report is kept"


def main(argv: list[str] | None = None) -> int:
    import signal

    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return args.func(args)
    except BaocaoError as exc:
        if args.debug:
            raise
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"Đã dừng (Ctrl-C) / interrupted; {STOPPED}", file=sys.stderr)
        return 130
    except Stopped:
        print(f"Đã dừng (SIGTERM) / terminated; {STOPPED}", file=sys.stderr)
        return 143
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
