"""The site: every unit and year of the project on a few pages, with their reports.

``quarto render`` at the project root (the project's `_quarto.yml` is a Quarto website) and
``baocao site`` (where Quarto is absent) make the same site in ``_site/``:

- ``index.html``: every unit and year, with the report (a page that shows it, and its HTML,
  PDF and Word files), its data-quality record, rows rejected and warnings, targets met and
  missed, the archive when there is one, when and with which renderer it was built, and
  whether this run rebuilt it (a year that failed keeps its last good report, marked so);
- ``don-vi/<unit>.html``: a unit's years side by side (the indicators with a target, across
  years, as a table and a chart);
- ``don-vi/<unit>/<year>.html``: one report, shown in the page, with its files.

The reports are the builds' own files (``build/…``), copied into ``_site/`` as they are.
Before the pages, every unit × year is built through the same pipeline as ``baocao build
--all`` (incremental: an unchanged year costs its no-op). What this module writes besides
``_site/`` is generated and ignored by git: the page bodies, charts and the run's outcome in
``build/site/`` and the pages Quarto renders in ``don-vi/``. ``build/site/watch.yml`` lists the
files a build reads; `_quarto.yml` names it in ``metadata-files``, so ``quarto preview``
watches them and runs the pre-render build again when one is saved (quarto-cli #4841: a
preview does not run pre-render scripts on a change of a file that is not a project input).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import vnformat as vn
from .atomic import write_text
from .config import CONFIG_NAME, BuildFiles, Project
from .markdown import md_escape

SITE_OUT = "_site"  # the site (Quarto's output-dir in _quarto.yml)
PAGES = "build/site"  # generated: page bodies, charts, status.json, watch.yml
UNIT_PAGES = "don-vi"  # generated: the unit and report pages Quarto renders (gitignored)
STATUS = "status.json"
WATCH = "watch.yml"
SITE_META = "report/site/site.yml"  # the site pages' format options (partials, CSS)
FORMAT_LABELS = {"html": "HTML", "pdf": "PDF", "docx": "Word"}

OUTCOME_VI = {
    "built": "dựng lại lần này",
    "unchanged": "không đổi",
    "failed": "LỖI: chưa dựng lại được; đây là báo cáo tốt gần nhất",
    "failed-none": "LỖI: chưa dựng được, chưa có báo cáo",
    "absent": "chưa dựng",
}


@dataclass
class YearEntry:
    """One unit-year as the site shows it: its build folder's files and the outcome of this run."""

    unit_id: str
    year: int
    folder: Path
    outcome: str  # built | unchanged | failed | failed-none | absent
    error: str = ""
    exit_code: int = 0
    files: dict[str, Path] = field(default_factory=dict)  # html, pdf, docx, quality
    archive: Path | None = None
    built_at: dt.datetime | None = None
    renderer: str = ""
    pdf_standard: str | None = None
    rejected: int | None = None
    warnings: int | None = None
    met: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    indicators: dict[str, dict] = field(default_factory=dict)

    @property
    def has_report(self) -> bool:
        return "html" in self.files or "pdf" in self.files


@dataclass
class UnitEntry:
    unit_id: str
    name: str
    years: list[YearEntry]


# ---------------------------------------------------------------------------- what there is
def collect(project: Project, outcomes: dict[tuple[str, int], dict]) -> list[UnitEntry]:
    """Every unit and year of the project, with what its build folder holds now and
    ``outcomes`` of this run (keyed by unit id and year: run_jobs' results)."""
    units = []
    for p in project.units():
        years = sorted(set(p.years_available()) | {y for (u, y) in outcomes if u == p.unit.id})
        entries = [_year_entry(p, y, outcomes.get((p.unit.id, y))) for y in years]
        units.append(UnitEntry(p.unit.id, p.unit.name, entries))
    return units


def _year_entry(project: Project, year: int, result: dict | None) -> YearEntry:
    folder = project.build_dir(year)
    entry = YearEntry(project.unit.id, year, folder, _outcome(result))
    if result is not None and result.get("exit_code"):
        entry.error, entry.exit_code = result.get("error", ""), int(result["exit_code"])
    for fmt in FORMAT_LABELS:
        path = folder / BuildFiles.report(year, "." + fmt)
        if path.is_file():
            entry.files[fmt] = path
    if (folder / BuildFiles.quality(year)).is_file():
        entry.files["quality"] = folder / BuildFiles.quality(year)
    if entry.outcome == "failed" and not entry.has_report:
        entry.outcome = "failed-none"
    _read_manifest(entry, folder / BuildFiles.MANIFEST)
    _read_metrics(entry, folder / BuildFiles.METRICS)
    from .archive.layout import bag_name

    archive = project.root / "archive" / f"{bag_name(project.unit.id, year)}.zip"
    entry.archive = archive if archive.is_file() else None
    return entry


def _outcome(result: dict | None) -> str:
    if result is None:
        return "absent"
    if result.get("exit_code"):
        return "failed"
    return "unchanged" if result.get("up_to_date") else "built"


def _read_manifest(entry: YearEntry, path: Path) -> None:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    renderer = manifest.get("renderer") or {}
    entry.renderer = str(renderer.get("name", ""))
    tools = renderer.get("tools") or {}
    if entry.renderer in tools:
        entry.renderer += f" {tools[entry.renderer]}"
    entry.pdf_standard = renderer.get("pdf_standard")
    # when the build that made this folder finished (the manifest is written last)
    entry.built_at = dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()


def _read_metrics(entry: YearEntry, path: Path) -> None:
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    quality = metrics.get("quality") if isinstance(metrics.get("quality"), dict) else {}
    entry.rejected = quality.get("rejected")
    entry.warnings = quality.get("warnings")
    indicators = metrics.get("indicators")
    entry.indicators = (
        {k: v for k, v in indicators.items() if isinstance(v, dict)} if isinstance(indicators, dict) else {}
    )
    for code, ind in entry.indicators.items():
        if ind.get("status") == "chưa đạt":
            entry.missed.append(ind.get("name", code))
        elif ind.get("status"):
            entry.met.append(ind.get("name", code))


# ---------------------------------------------------------------------------- the pages
@dataclass
class Page:
    """A page of the site: where its body goes, and the page Quarto renders around it."""

    rel: str  # the page, relative to the project root, without suffix: "index", "don-vi/binh-ngoc"
    title: str
    body: str

    @property
    def depth(self) -> int:
        return self.rel.count("/")


def pages(project: Project, units: Sequence[UnitEntry]) -> list[Page]:
    """The site's pages, in Markdown (every text from data escaped)."""
    out = [Page("index", f"Báo cáo tổng kết: {_project_title(units)}", index_body(project, units))]
    for unit in units:
        out.append(Page(f"{UNIT_PAGES}/{unit.unit_id}", unit.name, unit_body(project, unit)))
        for entry in unit.years:
            if entry.has_report:
                title = f"{unit.name}: báo cáo năm {entry.year}"
                out.append(Page(f"{UNIT_PAGES}/{unit.unit_id}/{entry.year}", title, report_body(project, entry)))
    return out


def _project_title(units: Sequence[UnitEntry]) -> str:
    return units[0].name if len(units) == 1 else f"{len(units)} đơn vị"


def _link(text: str, target: Path | str, project: Project, depth: int) -> str:
    """A Markdown link from a page ``depth`` folders below the root to a project file."""
    rel = (
        Path(target).resolve().relative_to(project.root.resolve()).as_posix() if Path(target).is_absolute() else target
    )
    return f"[{md_escape(text)}]({'../' * depth}{rel})"


def index_body(project: Project, units: Sequence[UnitEntry]) -> str:
    lines = [
        "Mỗi năm: báo cáo (xem trên trang, hoặc tải HTML, PDF, Word), hồ sơ chất lượng số liệu, "
        "số dòng bị loại và cảnh báo, chỉ tiêu đạt và chưa đạt, bản lưu trữ, thời điểm và bộ dựng.",
        "",
    ]
    failed = [e for u in units for e in u.years if e.outcome.startswith("failed")]
    if failed:
        names = ", ".join(f"{e.unit_id}/{e.year}" for e in failed)
        lines += [
            f"::: {{.site-failed}}\n**Chưa dựng lại được:** {md_escape(names)}. Xem thông báo lỗi bên dưới.\n:::",
            "",
        ]
    for unit in units:
        lines += [
            f"## {md_escape(unit.name)}",
            "",
            _link("Các chỉ tiêu chính qua các năm", f"{UNIT_PAGES}/{unit.unit_id}.html", project, 0),
            "",
        ]
        lines += _years_table(project, unit, 0)
    return "\n".join(lines) + "\n"


def _years_table(project: Project, unit: UnitEntry, depth: int) -> list[str]:
    head = "| Năm | Báo cáo | Hồ sơ chất lượng số liệu | Dòng bị loại | Cảnh báo | Chỉ tiêu đạt | Chưa đạt | Lưu trữ | Dựng lúc, bằng | Lần này |"
    lines = [head, "|---:|:---|:---|---:|---:|---:|---:|:---|:---|:---|"]
    for e in unit.years:
        report = " · ".join(
            [_link("Xem", f"{UNIT_PAGES}/{unit.unit_id}/{e.year}.html", project, depth)] * e.has_report
            + [_link(FORMAT_LABELS[f], e.files[f], project, depth) for f in FORMAT_LABELS if f in e.files]
        )
        quality = _link("Mở", e.files["quality"], project, depth) if "quality" in e.files else "–"
        archive = _link(e.archive.name, e.archive, project, depth) if e.archive else "–"
        built = f"{e.built_at:%d/%m/%Y %H:%M}, {md_escape(e.renderer)}" if e.built_at else "–"
        cells = [
            str(e.year),
            report or "–",
            quality,
            _count(e.rejected),
            _count(e.warnings),
            _count(len(e.met) if e.indicators else None),
            _count(len(e.missed) if e.indicators else None),
            archive,
            built,
            md_escape(OUTCOME_VI[e.outcome]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for e in unit.years:
        if e.error:
            lines += [f"**Lỗi năm {e.year}:**", "", "```", e.error.replace("```", "'''"), "```", ""]
    return lines


def _count(value: int | None) -> str:
    return "–" if value is None else vn.fmt_int(value)


def unit_body(project: Project, unit: UnitEntry) -> str:
    """A unit's years side by side: every indicator with a target in some year, across years."""
    years = [e for e in unit.years if e.indicators]
    lines = [_link("← Tất cả đơn vị", "index.html", project, 1), "", "## Các năm", ""]
    lines += _years_table(project, unit, 1)
    codes = main_indicators(years)
    if not codes:
        return "\n".join(lines + ["Chưa có năm nào được dựng."]) + "\n"
    lines += ["## Các chỉ tiêu chính qua các năm", ""]
    lines.append("| Chỉ tiêu | Đơn vị | " + " | ".join(str(e.year) for e in years) + " |")
    lines.append("|:---|:---|" + "---:|" * len(years))
    for code in codes:
        first = next(e.indicators[code] for e in years if code in e.indicators)
        cells = [md_escape(first.get("name", code)), md_escape(first.get("unit", ""))]
        cells += [_value(e.indicators.get(code)) for e in years]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", ": Mỗi ô: số đã nêu trong báo cáo của năm đó (trong ngoặc: kế hoạch; đánh giá)", ""]
    lines += [f"![Các chỉ tiêu chính qua các năm]({'../' * 1}{PAGES}/{UNIT_PAGES}/{unit.unit_id}.svg)", ""]
    return "\n".join(lines) + "\n"


def main_indicators(years: Sequence[YearEntry]) -> list[str]:
    """The indicators that had a target in any of the years, in the order of the declarations."""
    codes: list[str] = []
    for e in years:
        for code, ind in e.indicators.items():
            if ind.get("target") is not None and code not in codes:
                codes.append(code)
    return codes


def _indicator_name(years: Sequence[YearEntry], code: str) -> str:
    return next(e.indicators[code].get("name", code) for e in years if code in e.indicators)


def _value(ind: dict | None) -> str:
    if ind is None or ind.get("value") is None:
        return "–"
    text = vn.fmt_number(ind["value"], int(ind.get("decimals") or 0))
    if ind.get("target") is not None:
        target = vn.fmt_number(ind["target"], int(ind.get("target_decimals") or 0))
        text += f" ({target}; {ind.get('status') or ''})"
    return md_escape(text)


def report_body(project: Project, entry: YearEntry) -> str:
    """One report shown in the page (an iframe of its HTML), with its files."""
    depth = 2
    links = [_link("← " + entry.unit_id, f"{UNIT_PAGES}/{entry.unit_id}.html", project, depth)]
    links += [_link(FORMAT_LABELS[f], entry.files[f], project, depth) for f in FORMAT_LABELS if f in entry.files]
    if "quality" in entry.files:
        links.append(_link("Hồ sơ chất lượng số liệu", entry.files["quality"], project, depth))
    lines = [" · ".join(links), "", f"Tình trạng: {md_escape(OUTCOME_VI[entry.outcome])}", ""]
    if "html" in entry.files:
        # embedded in the page (--embed-resources): the page changes, and a preview reloads it,
        # whenever the report does; the report keeps its own Content-Security-Policy inside
        src = "../" * depth + entry.files["html"].resolve().relative_to(project.root.resolve()).as_posix()
        title = md_escape(f"Báo cáo năm {entry.year}")
        lines.append(f'```{{=html}}\n<iframe class="site-report" src="{src}" title="{title}"></iframe>\n```')
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- writing them
def write_sources(project: Project, units: Sequence[UnitEntry]) -> list[Page]:
    """The page bodies (``build/site/``), the pages Quarto renders (``index.qmd`` is the
    project's own; ``don-vi/`` is generated), the charts, the outcome and the watch list.
    A file is rewritten only when its content changes (Quarto's preview re-renders on change)."""
    from .figures import years_chart

    out = project.root / PAGES
    site_pages = pages(project, units)
    keep = {project.root / UNIT_PAGES / f"{p.rel.removeprefix(UNIT_PAGES + '/')}.qmd" for p in site_pages[1:]}
    for page in site_pages:
        _write_if_changed(out / f"{page.rel}.md", page.body)
        if page.rel != "index":
            _write_if_changed(project.root / f"{page.rel}.qmd", _wrapper(project, page))
    _remove_stale(project.root / UNIT_PAGES, keep)
    for unit in units:
        years = [e for e in unit.years if e.indicators]
        codes = main_indicators(years)
        if codes:
            series = {
                _indicator_name(years, c): {e.year: e.indicators.get(c, {}).get("value") for e in years} for c in codes
            }
            years_chart(series, out / UNIT_PAGES / f"{unit.unit_id}.svg")
    _write_if_changed(out / STATUS, json.dumps(status(units), ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    _write_if_changed(out / WATCH, watch_list(project))
    return site_pages


def _wrapper(project: Project, page: Page) -> str:
    """The page Quarto renders: front matter with the site's options of ``report/site/site.yml``
    (its paths made relative to the page: Quarto reads a page's paths from where it is), then
    the body in full (the page is generated, like its body)."""
    from .yamlfile import load_yaml

    up = "../" * page.depth
    options = load_yaml(project.root / SITE_META) or {}
    html = dict(options["format"]["html"])
    html["template-partials"] = [up + p for p in html["template-partials"]]
    html["css"] = up + html["css"]
    front = {"title": page.title, "format": {"html": html}, "shortcodes": [up + s for s in options["shortcodes"]]}
    return "---\n" + json.dumps(front, ensure_ascii=False, indent=1) + "\n---\n\n" + page.body


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    """Pages of units or years no longer in the project (the folder is generated)."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*.qmd")):
        if path not in keep:
            path.unlink()


def status(units: Sequence[UnitEntry]) -> dict:
    """This run's outcome per unit and year (what the post-render step reports)."""
    return {
        "failed": [
            {"unit": e.unit_id, "year": e.year, "error": e.error, "last_good": e.has_report}
            for u in units
            for e in u.years
            if e.outcome.startswith("failed")
        ]
    }


def watch_list(project: Project) -> str:
    """Every file a build reads, for `quarto preview` to watch (a YAML list of paths)."""
    files: list[Path] = [project.root / CONFIG_NAME]
    for p in project.units():
        files += sorted(x for x in p.raw_root.rglob("*") if x.is_file())
    files += sorted(x for x in (project.root / "data" / "reference").rglob("*") if x.is_file())
    files += sorted(x for x in (project.root / "report").rglob("*") if x.is_file() and "site" not in x.parts)
    rels = [f.relative_to(project.root).as_posix() for f in files]
    head = "# Generated by baocao site: the files `quarto preview` watches (see _quarto.yml)\n"
    return head + "baocao-watch:\n" + "".join(f"  - {json.dumps(r, ensure_ascii=False)}\n" for r in rels)


def resources(units: Iterable[UnitEntry]) -> list[Path]:
    """The files the pages link to (copied into ``_site/`` at the same relative paths)."""
    out: list[Path] = []
    for unit in units:
        for e in unit.years:
            out += list(e.files.values()) + ([e.archive] if e.archive else [])
    return out


# ---------------------------------------------------------------------------- without Quarto
def render_with_pandoc(project: Project, site_pages: Sequence[Page], units: Sequence[UnitEntry]) -> Path:
    """``_site/`` made with pandoc: each page's body in the site's template, and the files they
    link to. Made in a staging folder and swapped in whole."""
    import tempfile

    import pypandoc

    root = project.root.resolve()
    css = [root / "report" / "html" / "baocao.css", root / "report" / "site" / "site.css"]
    final = root / SITE_OUT
    staging = Path(tempfile.mkdtemp(prefix=".site.staging-", dir=root))
    try:
        for page in site_pages:
            target = staging / f"{page.rel}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            args = ["--standalone", "--embed-resources", f"--metadata=title:{page.title}", "--metadata=lang:vi"]
            args += [f"--css={c}" for c in css] + [f"--resource-path={(root / page.rel).parent}"]
            pypandoc.convert_text(
                page.body, "html5", format="markdown", outputfile=str(target), extra_args=args, sandbox=False
            )
        for path in resources(units):
            dest = staging / path.resolve().relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        old = root / ".site.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
