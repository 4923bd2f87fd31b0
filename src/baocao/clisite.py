"""``baocao site``: every report of the project built, and a site of them in ``_site/``.

The site's pages are :mod:`baocao.site`'s; this module is their command-line side (part of
the CLI, which owns every command). Three ways in, one result:

- ``quarto render`` / ``quarto preview`` at the project root: `_quarto.yml` runs
  ``baocao site --quarto-pre-render`` (build every unit × year, write the pages) before Quarto
  renders the pages, and ``--quarto-post-render`` after (exit 1 naming each year that failed);
- ``baocao site``, where Quarto is absent: the same builds and pages, rendered with pandoc.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .cliargs import StepPrinter, add_jobs, add_renderer, bi, command, make_console, project_of
from .errors import UsageError


def _build_everything(args, project, console) -> list:
    """Every unit × year through the same pipeline as ``baocao build --all``; the site's units."""
    from .batch import plan_jobs, run_jobs
    from .site import collect

    jobs = plan_jobs(project, None, all_years=True, unit=None, renderer=args.renderer, force=False, wait=True)
    results = run_jobs(jobs, n_jobs=args.jobs, on_event=StepPrinter(console)) if jobs else []
    for r in results:
        if not r["exit_code"] and r["up_to_date"]:
            console.print(f"[{r['label']}] không có gì thay đổi / nothing changed, up to date", markup=False)
    outcomes = {(r["job"]["unit_id"] or project.unit.id, r["job"]["year"]): r for r in results}
    return collect(project, outcomes)


def _report_failures(units, project, console) -> int:
    failed = [e for u in units for e in u.years if e.outcome.startswith("failed")]
    for e in failed:
        kept = (
            "giữ báo cáo tốt gần nhất / the last good report is kept"
            if e.has_report
            else "chưa có báo cáo / no report yet"
        )
        print(f"[{e.unit_id}/{e.year}] không dựng được / could not be built ({kept}):\n{e.error}", file=sys.stderr)
    return max((e.exit_code for e in failed), default=0)


def cmd_site(args) -> int:
    from .site import PAGES, SITE_OUT, STATUS, render_with_pandoc, write_sources

    console = make_console()
    project = project_of(args)
    if args.jobs < 1:
        raise UsageError("--jobs phải ≥ 1", "--jobs must be at least 1")
    if args.quarto_post_render:
        return _post_render(project.root / PAGES / STATUS, preview=args.quarto_preview)
    units = _build_everything(args, project, console)
    site_pages = write_sources(project, units)
    code = _report_failures(units, project, console)
    if args.quarto_pre_render:
        return 0  # Quarto renders the pages; the post-render step fails the render if a year failed
    out = render_with_pandoc(project, site_pages, units)
    console.print(f"Trang tổng hợp / the site: {project.rel(out / 'index.html')}", markup=False)
    if code:
        console.print(
            f"Lỗi: có năm không dựng được (xem trên) / some years could not be built (see above); {SITE_OUT}/ "
            "vẫn liệt kê báo cáo tốt gần nhất của chúng / still lists their last good reports",
            markup=False,
        )
    return code


def _post_render(status_file: Path, preview: bool = False) -> int:
    """After Quarto rendered the pages: name each year the pre-render step could not build, and
    exit 1 (``quarto render`` fails). For ``quarto preview`` (``preview``) exit 0: the preview
    goes on serving the site, which lists the year's last good report marked as not rebuilt."""
    try:
        failed = json.loads(status_file.read_text(encoding="utf-8"))["failed"]
    except (OSError, ValueError, KeyError):
        return 0
    for f in failed:
        kept = (
            "trang vẫn liệt kê báo cáo tốt gần nhất, đánh dấu chưa dựng lại / the site lists its last good report, marked as not rebuilt"
            if f["last_good"]
            else "chưa có báo cáo / no report yet"
        )
        print(f"[{f['unit']}/{f['year']}] không dựng được / could not be built; {kept}:\n{f['error']}", file=sys.stderr)
    if failed and preview:
        print(
            "quarto preview vẫn chạy: sửa lỗi trên rồi lưu tệp để dựng lại năm đó / "
            "quarto preview goes on: fix the problem above and save the file to build that year again",
            file=sys.stderr,
        )
        return 0
    return 1 if failed else 0


def add_site_command(sub) -> None:
    p = command(
        sub,
        "site",
        "dựng mọi báo cáo (mọi đơn vị, mọi năm) rồi làm trang tổng hợp _site/ (không cần Quarto)",
        "build every report (every unit and year), then the site of them in _site/ (no Quarto needed)",
    )
    add_renderer(p)
    add_jobs(p)
    stage = p.add_mutually_exclusive_group()
    stage.add_argument(
        "--quarto-pre-render",
        action="store_true",
        help=bi(
            "bước trước khi Quarto dựng trang (do _quarto.yml gọi): dựng báo cáo, viết các trang",
            "the step before Quarto renders the pages (run by _quarto.yml): build the reports, write the pages",
        ),
    )
    stage.add_argument(
        "--quarto-post-render",
        action="store_true",
        help=bi(
            "bước sau khi Quarto dựng trang (do _quarto.yml gọi): báo lỗi các năm không dựng được",
            "the step after Quarto rendered the pages (run by _quarto.yml): report the years that failed",
        ),
    )
    p.add_argument(
        "--quarto-preview",
        action="store_true",
        help=bi(
            "cùng --quarto-post-render, khi Quarto chạy `quarto preview`: năm lỗi được báo nhưng không dừng xem trước",
            "with --quarto-post-render, under `quarto preview`: a failed year is told without stopping the preview",
        ),
    )
    p.set_defaults(func=cmd_site)
