"""``baocao preview --year Y``: the year's report in the browser, rebuilt and reloaded on every
save (the server and the watcher are :mod:`baocao.preview`'s; this is the command line's side)."""

from __future__ import annotations

import sys
import time
import webbrowser

from .cliargs import StepPrinter, add_renderer, bi, command, make_console, project_of, year_value
from .errors import BaocaoError, UsageError

KEPT = "trang vẫn hiện báo cáo tốt gần nhất / the page keeps the last good report"


def _job(args, project):
    """The one unit-year to preview (a multi-unit project needs ``--unit``)."""
    from .batch import plan_jobs

    if not args.unit and project.multi_unit:
        known = ", ".join(u.id for u in project.all_units)
        raise UsageError(
            f"dự án có nhiều đơn vị: chọn một bằng --unit (có: {known})",
            f"the project has several units: choose one with --unit (known: {known})",
        )
    years = [args.year] if args.year else None
    (job,) = plan_jobs(project, years, all_years=False, unit=args.unit, renderer=args.renderer, force=False, wait=True)
    return job


def _serve(folder, report, title, reloads, port):
    """The preview's HTTP server on 127.0.0.1; a port that cannot be had is a usage error."""
    from .preview import start_server

    try:
        return start_server(folder, report, title, reloads, port)
    except OSError as exc:  # the port is taken (another preview?) or not allowed
        raise UsageError(
            f"không mở được cổng {port} trên 127.0.0.1 ({exc.strerror})",
            f"cannot listen on 127.0.0.1 port {port} ({exc.strerror})",
            hint_vi="chọn cổng khác bằng --port, hoặc bỏ --port để dùng một cổng còn trống",
            hint_en="choose another with --port, or leave --port out to take a free one",
        ) from exc


def cmd_preview(args) -> int:
    from .batch import DirectQueue, run_job
    from .preview import Reloads, early_page, watch_and_rebuild, watched_paths
    from .scratch import scratch_dir
    from .steps import BuildFiles

    console = make_console()
    project = project_of(args)
    job = _job(args, project)
    unit_project = job.project()
    folder = unit_project.build_dir(job.year)
    report = BuildFiles.report(job.year, ".html")
    reloads = Reloads()
    server = _serve(folder, report, f"{unit_project.unit.name} – {job.year}", reloads, args.port)
    url = f"http://127.0.0.1:{server.server_port}/"
    printer = StepPrinter(console)

    early_folder = scratch_dir(unit_project, job.year) / "preview"

    def on_save() -> bool:
        """The page ahead of the build, when only the narrative or metadata changed; False
        when what was saved cannot be composed (the build would stop on the same message)."""
        t0 = time.perf_counter()
        try:
            early = early_page(unit_project, job.year, args.renderer, early_folder)
        except BaocaoError as exc:
            print(f"[{job.label}]\n{exc.render()}", file=sys.stderr)
            console.print(f"[{job.label}] {KEPT}", markup=False)
            reloads.publish(error=exc.render(), changed=False)
            return False
        except OSError:  # the build folder was being replaced by the build that just ended
            early = None
        if early is not None:
            reloads.publish(error=None, changed=True, page=early)
            seconds = time.perf_counter() - t0
            console.print(f"[{job.label}] HTML trong {seconds:.1f} s / HTML shown in {seconds:.1f} s", markup=False)
        return True

    def build(superseded) -> None:
        reloads.building()
        t0 = time.perf_counter()
        result = run_job(job, queue=DirectQueue(printer))
        seconds = time.perf_counter() - t0
        if superseded():
            return  # a newer save's page is shown; its build follows
        if result["exit_code"]:
            print(f"[{job.label}]\n{result['error']}", file=sys.stderr)
            console.print(f"[{job.label}] {KEPT}", markup=False)
        elif result["up_to_date"]:
            console.print(f"[{job.label}] không có gì thay đổi / nothing changed", markup=False)
        else:
            console.print(f"[{job.label}] đã dựng lại trong {seconds:.1f} s / rebuilt in {seconds:.1f} s", markup=False)
        # the build's page replaces the one shown ahead of it; the same bytes need no reload
        early = reloads.state.page
        built = folder / report
        same = early is not None and not result["exit_code"] and built.read_bytes() == early.read_bytes()
        changed = not result["exit_code"] and not result["up_to_date"] and not same
        reloads.publish(error=result.get("error"), changed=changed, page=early if same else None)

    console.print(
        f"Xem trước / preview: {url}  (Ctrl-C để dừng / to stop)\n"
        f"Sửa và lưu tệp trong {project.rel(project.root / 'data')}/ hoặc {project.rel(unit_project.report_dir)}/: "
        "năm được dựng lại và trang tự tải lại / save a file there: the year is rebuilt and the page reloads",
        markup=False,
    )
    if not args.no_browser:
        webbrowser.open(url)
    try:
        watch_and_rebuild(watched_paths(project.root, unit_project.report_dir), on_save, build)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    console.print(f"Đã dừng xem trước / preview stopped; báo cáo ở / the report is in {project.rel(folder)}")
    return 0


def add_preview_command(sub) -> None:
    p = command(
        sub,
        "preview",
        "xem trước báo cáo một năm trong trình duyệt; lưu tệp số liệu hay nhận định là dựng lại và tải lại trang",
        "preview one year's report in the browser; saving a data or narrative file rebuilds it and reloads the page",
    )
    p.add_argument(
        "--year",
        type=year_value,
        metavar="NĂM/YEAR",
        help=bi(
            "năm cần xem (mặc định: default_year trong baocao.yml)", "the year (default: default_year in baocao.yml)"
        ),
    )
    p.add_argument(
        "--unit",
        metavar="MÃ/ID",
        help=bi("đơn vị (bắt buộc khi baocao.yml có nhiều đơn vị)", "the unit (required when baocao.yml has several)"),
    )
    add_renderer(p)
    p.add_argument(
        "--port",
        type=int,
        default=0,
        metavar="CỔNG/PORT",
        help=bi("cổng trên 127.0.0.1 (mặc định: một cổng còn trống)", "port on 127.0.0.1 (default: a free one)"),
    )
    p.add_argument(
        "--no-browser",
        action="store_true",
        help=bi("không tự mở trình duyệt", "do not open a browser"),
    )
    p.set_defaults(func=cmd_preview)
