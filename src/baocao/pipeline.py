"""One year, end to end: clean → analyze (Papermill notebooks) → compose → render → manifest.

A build is staged: every output of the year is written into ``build/.<year>.staging/`` and
the finished folder replaces ``build/<year>/`` only when every step succeeded, so a failed or
killed build leaves the last good report in place. One build per year at a time (a file
lock). The notebook steps call :func:`clean_step` and :func:`analyze_step`, which hold the
logic; the notebooks are the readable record of what they did. Papermill runs them in this
process, each in a namespace of its own (:mod:`baocao.notebooks`); the earlier years a report
compares with come from the cache of tidy tables (:mod:`baocao.tidycache`); the pandoc
backend renders HTML and PDF side by side; the tool versions the manifest records are asked in
the background while the steps run.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, steps
from .atomic import write_json, year_lock
from .config import BuildFiles, Project
from .errors import BaocaoError, UsageError
from .notebooks import run_notebook  # the notebook steps run through Papermill there
from .steps import code_digest, file_digest, files_under, input_digests, unchanged_since

Progress = Callable[[int, str, str, float], None]  # year, step, "start"|"done", seconds


# ---------------------------------------------------------------------------- notebook steps
def _step_project(project_dir: str | Path, unit: str | None, build_dir: str | Path) -> Project:
    """The project a notebook step works in. A notebook run by hand writes into ``scratch/``
    (:mod:`baocao.scratch`), and keeps its cache of tidy tables there too: nothing it does
    reaches ``build/``."""
    from .scratch import SCRATCH

    project = Project.find(Path(project_dir))
    scratch = project.root / SCRATCH
    if Path(build_dir).resolve().is_relative_to(scratch.resolve()):
        project = Project(project.root, scratch)
    return project.for_unit(unit) if unit else project


def clean_step(project_dir: str | Path, year: int, build_dir: str | Path, unit: str | None = None):
    """Read, clean and validate the year's raw data; write build_dir/data/. Returns CleanResult."""
    from . import sidecar
    from .clean import clean_year, write_clean
    from .tidycache import store_from

    project = _step_project(project_dir, unit, build_dir)
    result = clean_year(project, year)
    # The schemas checked by the build's sidecar, if it has one, while the tables are written;
    # here otherwise (or again, when the sidecar could not say: the error then reads as always).
    car = sidecar.current()
    checking = car is not None and car.submit("validate", str(project.root), unit, year, *result.frames())
    if not checking:
        _validate(project, result, year)
    write_clean(result, Path(build_dir) / BuildFiles.DATA)
    if car is not None and checking and not car.result()[0]:
        _validate(project, result, year)
    store_from(project, year, Path(build_dir) / BuildFiles.DATA)  # for the years that compare with this one
    return result


def _validate(project: Project, result, year: int) -> None:
    from .schema import validate_result

    validate_result(project, result, year)


def analyze_step(project_dir: str | Path, year: int, build_dir: str | Path, unit: str | None = None) -> dict:
    """Metrics and figures from the tidy tables (and earlier years' raw data)."""
    import pandas as pd

    from . import sidecar
    from .clean import read_clean
    from .clean.tidy import read_csv
    from .figures import make_figures
    from .metrics import compute_metrics, load_history

    project = _step_project(project_dir, unit, build_dir)
    build_dir = Path(build_dir)
    data = build_dir / BuildFiles.DATA
    if not (data / BuildFiles.ACCOUNTING).is_file():
        raise UsageError(
            f"chưa có số liệu sạch của năm {year} trong {project.rel(data)}/",
            f"no cleaned data of {year} in {project.rel(data)}/",
            hint_vi="chạy 01_clean.ipynb với cùng year (và unit) trước 02_analyze.ipynb",
            hint_en="run 01_clean.ipynb with the same year (and unit) before 02_analyze.ipynb",
        )
    tables = read_clean(data, project)
    history, notes = load_history(project, year)

    def frame(name: str) -> pd.DataFrame:
        return read_csv(data / name, dtype=str, keep_default_na=False)

    accounting = read_csv(data / BuildFiles.ACCOUNTING)
    rejects, warnings = frame(BuildFiles.REJECTS), frame(BuildFiles.WARNINGS)
    metrics = compute_metrics(project, year, tables, history, accounting, rejects, warnings)
    metrics["history_notes"] = notes
    figures = make_figures(metrics, build_dir / BuildFiles.FIGURES, sidecar.current())
    metrics["figures"] = [f.__dict__ for f in figures]
    write_json(build_dir / BuildFiles.METRICS, metrics)
    return metrics


# ---------------------------------------------------------------------------- a year's build
STATE_FILE = BuildFiles.STATE


@dataclass
class BuildResult:
    year: int
    outputs: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    rejected_rows: int = 0
    up_to_date: bool = False
    unit: str = ""
    pdf_standard: str | None = None  # the PDF's profile, as the manifest records it


def _load_state(build_dir: Path) -> dict:
    try:
        return json.loads((build_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


MISSING = "missing"


def output_digests(step: str, year: int, build_dir: Path) -> dict[str, str]:
    """SHA-256 of every file ``step`` wrote (a folder: each file below it), keyed by path
    relative to ``build_dir``; an output that is not there is recorded as "missing"."""
    digests: dict[str, str] = {}
    for rel in steps.step(step).outputs(year):
        found = steps.tree(build_dir, rel) if (build_dir / rel).exists() else {}
        digests.update(found or {rel: MISSING})
    return digests


def changed_outputs(step: str, year: int, build_dir: Path, recorded: object) -> list[str]:
    """The outputs of ``step`` that differ from what the step recorded when it ran (edited,
    truncated, deleted or added since): empty when every output is as the step wrote it."""
    if not isinstance(recorded, dict):
        return list(steps.step(step).outputs(year))
    now = output_digests(step, year, build_dir)
    return sorted(k for k in set(now) | set(recorded) if now.get(k) != recorded.get(k))


def _step_status(step: str, key: str, state: dict, year: int, build_dir: Path) -> tuple[str, list[str]]:
    """("ok", []) when the step can be skipped; ("stale", []) when its inputs changed;
    ("changed", files) when its inputs did not change but its outputs did."""
    entry = state.get(step)
    if not isinstance(entry, dict) or entry.get("key") != key:
        return "stale", []
    changed = changed_outputs(step, year, build_dir, entry.get("outputs"))
    return ("changed", changed) if changed else ("ok", [])


def stale_steps(project: Project, year: int, build_dir: Path, renderer, formats: Sequence[str]) -> list[str]:
    """Steps whose inputs or outputs changed since the build in ``build_dir`` (empty: nothing
    to do). A step counts as changed when any of its outputs is not what it wrote."""
    state = _load_state(build_dir)
    wanted = [s.name for s in steps.STEPS if not s.render or s.render in formats]
    stale: list[str] = []
    for name in wanted:
        if (
            stale
            or _step_status(name, steps.step_key(name, project, year, build_dir, renderer), state, year, build_dir)[0]
            != "ok"
        ):
            stale.append(name)
    return stale


def verify_outputs(project: Project, year: int) -> list[str]:
    """Outputs and intermediates of the year's build that do not match what their steps
    recorded (for `archive`): "<file>" per difference, empty when the build is as built."""
    build_dir = project.build_dir(year)
    state = _load_state(build_dir)
    problems: list[str] = []
    for step in steps.run_steps():
        if step in state:
            problems += changed_outputs(
                step, year, build_dir, state[step].get("outputs") if isinstance(state[step], dict) else None
            )
    return problems


def build_year(
    project: Project,
    year: int,
    *,
    renderer_name: str = "auto",
    formats: Sequence[str] | None = None,
    progress: Progress | None = None,
    wait: bool = False,
    force: bool = False,
    sidecar: bool = False,
) -> BuildResult:
    """Build one year: only the steps whose inputs changed (all with ``force``), staged and
    promoted at the end, under the year's lock. ``formats``: the outputs to write (default:
    `baocao.formats` of _quarto.yml). ``sidecar``: give work to a second process (see
    :mod:`baocao.sidecar`; for a build that has the machine to itself)."""
    from .render import get_renderer
    from .render.options import RenderOptions

    progress = progress or (lambda *a: None)
    if not project.raw_dir(year).is_dir():
        from .errors import InputError, Location

        raise InputError(
            Location(project.rel(project.raw_dir(year))),
            f"không có thư mục số liệu năm {year}",
            f"no data folder for {year}",
            hint_vi=f"tạo bằng 'baocao new-year {year}'; các năm có số liệu: "
            + (", ".join(map(str, project.years_available())) or "chưa có"),
            hint_en=f"create it with 'baocao new-year {year}'; years with data: "
            + (", ".join(map(str, project.years_available())) or "none"),
        )
    renderer = get_renderer(renderer_name)  # fail before any work when the tool is missing
    if formats is None:
        formats = RenderOptions.from_project(project.root).formats
    final = project.build_dir(year)
    result = BuildResult(year, unit=project.unit.id)

    def finish(folder: Path) -> BuildResult:
        result.outputs = {fmt: folder / BuildFiles.report(year, f".{fmt}") for fmt in formats}
        result.outputs["qmd"] = folder / BuildFiles.report(year, ".qmd")
        result.rejected_rows = _rejected_rows(folder)
        try:
            manifest = json.loads((folder / BuildFiles.MANIFEST).read_text(encoding="utf-8"))
            result.pdf_standard = (manifest.get("renderer") or {}).get("pdf_standard")
        except (OSError, ValueError, AttributeError):
            result.pdf_standard = None
        return result

    lock = year_lock(project, year, wait)
    try:
        return _build_locked(project, year, renderer, formats, progress, force, final, result, finish, sidecar)
    except BaocaoError as exc:
        if final.is_dir():
            exc.hint_vi = (
                exc.hint_vi + "; " if exc.hint_vi else ""
            ) + f"báo cáo tốt gần nhất trong {project.rel(final)} được giữ nguyên"
            exc.hint_en = (
                exc.hint_en + "; " if exc.hint_en else ""
            ) + f"the last good report in {project.rel(final)} is untouched"
        raise
    finally:
        lock.release()


def _build_locked(
    project: Project,
    year: int,
    renderer,
    formats: Sequence[str],
    progress: Progress,
    force: bool,
    final: Path,
    result: BuildResult,
    finish: Callable[[Path], BuildResult],
    sidecar: bool = False,
) -> BuildResult:
    """The build itself, once the year's lock is held."""
    from .atomic import sweep_temporaries
    from .sidecar import started

    _recover(project, year)
    sweep_temporaries(final)
    stale = None if force or not final.is_dir() else stale_steps(project, year, final, renderer, formats)
    if stale is not None and not stale and not _unwanted_outputs(year, final, formats):
        result.up_to_date = True
        return finish(final)
    with started(sidecar and (stale is None or "clean" in stale or "analyze" in stale)) as car:
        return _run_build(project, year, renderer, formats, progress, force, final, result, finish, car)


def _run_build(
    project: Project,
    year: int,
    renderer,
    formats: Sequence[str],
    progress: Progress,
    force: bool,
    final: Path,
    result: BuildResult,
    finish: Callable[[Path], BuildResult],
    car=None,
) -> BuildResult:
    """Stage, run the steps that are not up to date, write the manifest and promote. The
    sidecar ``car``, if any, has finished before the staging folder is removed."""
    from .render.options import RenderOptions

    options = RenderOptions.from_project(project.root)
    from concurrent.futures import ThreadPoolExecutor

    background = ThreadPoolExecutor(1, thread_name_prefix="baocao-tools")
    tools = background.submit(renderer_tools, renderer)  # for the manifest, while the steps run
    background.shutdown(wait=False)
    # One fixed name (the year's lock makes it ours): the executed notebooks record it as their
    # build_dir, so the same build reads the same in the record every time.
    staging: Path | None
    staging = project.build_root / f".{year}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    # What the build reads, hashed before any step reads it: the manifest names these bytes,
    # and the same files are hashed again before promotion (a change meanwhile stops it).
    inputs = input_digests(project, year)
    try:
        state = _staged_state(year, final, staging, formats, force)
        for group in _groups([s for s in steps.STEPS if not s.render or s.render in formats]):
            # Keys are computed on the staged files, so a step whose inputs came out
            # byte-identical from a re-run earlier step is still skipped.
            keys = {name: steps.step_key(name, project, year, staging, renderer) for name in group}
            stale = []
            for name in group:
                status, changed = _step_status(name, keys[name], state, year, staging)
                if status == "ok":
                    progress(year, name, "skip", 0.0)
                    continue
                if status == "changed":
                    # an output edited, truncated or deleted since its step wrote it: made again
                    progress(year, name, "changed:" + ", ".join(changed[:3]) + (" …" if len(changed) > 3 else ""), 0.0)
                stale.append(name)
            if not stale:
                continue
            for name in stale:
                for out in steps.step(name).outputs(year):
                    target = staging / out
                    shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
                progress(year, name, "start", 0.0)
            t0 = time.perf_counter()
            _run_steps(stale, project, year, staging, renderer, options)
            seconds = (time.perf_counter() - t0) / len(stale)
            for name in stale:
                result.timings[name] = seconds
                result.ran.append(name)
                progress(year, name, "done", seconds)
                state[name] = {"key": keys[name], "outputs": output_digests(name, year, staging)}
        unchanged_since(project, year, inputs)
        write_json(staging / STATE_FILE, state)
        progress(year, "manifest", "start", 0.0)
        t0 = time.perf_counter()
        write_manifest(project, year, staging, renderer, options, tools=tools.result(), inputs=inputs)
        progress(year, "manifest", "done", time.perf_counter() - t0)
        _promote(project, year, staging)
        staging = None
        return finish(final)
    finally:
        if car is not None:
            car.settle()  # nothing of it may still be writing into the staging folder
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _staged_state(year: int, final: Path, staging: Path, formats: Sequence[str], force: bool) -> dict:
    """The staging folder seeded with the last build (what is still up to date), and its state
    without the formats no longer asked for."""
    if final.is_dir() and not force:
        shutil.copytree(final, staging, dirs_exist_ok=True)  # reuse what is still up to date
    elif (final / BuildFiles.report(year, "-ky-so.pdf")).is_file():
        # --force remakes every output, never the committee's signed copy (baocao sign), which
        # `verify` checks against the report built now
        shutil.copy2(final / BuildFiles.report(year, "-ky-so.pdf"), staging)
    state = {} if force else _load_state(staging)
    for rel in _unwanted_outputs(year, staging, formats):  # a format no longer asked for
        (staging / rel).unlink()
    for s in steps.STEPS:
        if s.render and s.render not in formats:
            state.pop(s.name, None)
    return state


def _unwanted_outputs(year: int, build_dir: Path, formats: Sequence[str]) -> list[str]:
    """Outputs in ``build_dir`` of render steps whose format is not wanted (an earlier build
    wrote them): they would describe an older report, so they go."""
    return [
        rel
        for s in steps.STEPS
        if s.render and s.render not in formats
        for rel in s.outputs(year)
        if (build_dir / rel).is_file()
    ]


def _groups(table: list[steps.Step]) -> list[list[str]]:
    """Step names in table order; render steps that follow each other form one group (one
    render call: one Quarto start-up for HTML and PDF), every other step is alone."""
    groups: list[list[str]] = []
    for s in table:
        if s.render and groups and steps.step(groups[-1][-1]).render:
            groups[-1].append(s.name)
        else:
            groups.append([s.name])
    return groups


def _run_steps(names: list[str], project: Project, year: int, build_dir: Path, renderer, options) -> None:
    """Run one step, or several render steps in one render call."""
    first = steps.step(names[0])
    if first.render:
        formats = tuple(str(steps.step(n).render) for n in names)
        renderer.render(build_dir / BuildFiles.report(year, ".qmd"), formats, options=options)
    elif first.notebook:
        run_notebook(project, first.notebook, year, build_dir)
    elif first.run is not None:
        first.run(project, year, build_dir)


def _rejected_rows(build_dir: Path) -> int:
    from .clean.tidy import csv_records

    return sum(int(r["rejected"]) for r in csv_records(build_dir / BuildFiles.DATA / BuildFiles.ACCOUNTING))


def _promote(project: Project, year: int, staging: Path) -> None:
    """Put the finished build in place: build/<year> → .old, staging → build/<year>."""
    final = project.build_dir(year)
    old = project.build_root / f".{year}.old"
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _recover(project: Project, year: int) -> None:
    """After a kill between the two renames of _promote, put the last good build back."""
    final = project.build_dir(year)
    old = project.build_root / f".{year}.old"
    if old.exists() and not final.exists():
        os.replace(old, final)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)
    for stale in project.build_root.glob(f".{year}.staging*"):
        shutil.rmtree(stale, ignore_errors=True)


# ---------------------------------------------------------------------------- manifest
@functools.cache
def _dependency_closure_cached(root: str) -> tuple[tuple[str, str], ...]:
    return tuple(_dependency_closure_uncached(root).items())


def _dependency_closure(root: str = "baocao") -> dict[str, str]:
    """Every installed package baocao depends on, directly or not, with its version (read once
    per process: a batch worker builds many years with the same installed packages)."""
    return dict(_dependency_closure_cached(root))


def _dependency_closure_uncached(root: str = "baocao") -> dict[str, str]:
    from packaging.requirements import Requirement

    installed = _installed_distributions()
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        found = installed.get(_canonical(todo.pop()))
        if found is None:
            continue
        key, version, requires = found
        if key in seen:
            continue
        seen[key] = version
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    seen.pop("baocao", None)
    return seen


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def _installed_distributions() -> dict[str, tuple[str, str, list[str]]]:
    """Each installed distribution (the first on sys.path, as ``metadata.distribution`` finds
    it): canonical name → (canonical name, version, Requires-Dist). One pass over the
    metadata files, reading only their headers (the email parser that ``dist.metadata`` runs
    on every file costs ~1 ms each)."""
    from importlib import metadata

    out: dict[str, tuple[str, str, list[str]]] = {}
    name: str | None
    for dist in metadata.distributions():
        text = dist.read_text("METADATA")
        if text is None:  # an .egg-info: the slow, general way
            meta = dist.metadata
            name, version, requires = meta["Name"], dist.version, list(dist.requires or ())
        else:
            headers = _metadata_headers(text)
            name = next(iter(headers.get("Name", ())), None)
            version = (headers.get("Version") or [""])[0]
            requires = headers.get("Requires-Dist", [])
        if not name:
            continue
        key = _canonical(name)
        out.setdefault(key, (key, version, requires))
    return out


def _metadata_headers(text: str) -> dict[str, list[str]]:
    """The header fields of a METADATA file (RFC 822 style, up to the first empty line)."""
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            break  # the body (a line of white space only is a folded header's, as email reads it)
        if line[:1] in (" ", "\t"):
            if last is None:
                continue
            last[-1] += "\n" + line
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = headers.setdefault(key.strip(), [])
        last.append(value.strip())
    return headers


def tool_versions(renderer, renderer_versions: dict[str, str] | None = None) -> dict[str, str]:
    versions = {"python": sys.version.split()[0], "baocao": __version__}
    versions.update(_dependency_closure())
    if renderer_versions is None:
        renderer_versions = renderer.versions()
    versions.update({f"renderer:{k}": v for k, v in renderer_versions.items()})
    versions["renderer"] = renderer.name
    return dict(sorted(versions.items()))


def _git_commit(root: Path) -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def renderer_tools(renderer) -> tuple[dict[str, str], dict[str, str]]:
    """(the renderer's tool versions, every tool version) for the manifest: asked once per
    build, in the background while the steps run (:func:`_build_locked`)."""
    renderer_versions = renderer.versions()  # once: for Quarto each call starts Quarto
    return renderer_versions, tool_versions(renderer, renderer_versions)


def write_manifest(
    project: Project,
    year: int,
    build_dir: Path,
    renderer,
    options=None,
    tools: tuple[dict[str, str], dict[str, str]] | None = None,
    inputs: dict[str, str] | None = None,
) -> Path:
    """SHA-256 of every input and output, tool versions, parameters. Outputs are relative to
    build/<year>/; executed notebooks are listed but are records (not byte-stable).

    ``renderer`` names what made the HTML and PDF: the backend, the versions of the tools it
    ran (for Quarto: the pandoc and typst that Quarto itself runs, not the project's pinned
    wheels, which only the pandoc backend uses), and the PDF profile the PDF conforms to
    (``pdf_standard``: e.g. "a-2b", or null for a plain PDF)."""
    from .render.options import RenderOptions

    options = options or RenderOptions.from_project(project.root)
    renderer_versions, all_tools = tools or renderer_tools(renderer)
    # file_digest: the same SHA-256, not read again when the step keys already hashed the file
    if inputs is None:
        inputs = input_digests(project, year)
    outputs = {}
    for p in files_under(build_dir):
        rel = p.relative_to(build_dir).as_posix()
        if rel == BuildFiles.MANIFEST or Path(rel).name.startswith(".") or rel == BuildFiles.report(year, "-ky-so.pdf"):
            # the signed report (baocao sign) stays beside the build but is not one of its outputs
            continue
        outputs[rel] = file_digest(p)
    manifest = {
        "baocao_version": __version__,
        "baocao_code": code_digest(),
        "year": year,
        "unit": project.unit.id,
        "parameters": {"year": year, "renderer": renderer.name, "compare_years": project.unit.compare_years},
        "git_commit": _git_commit(project.root),
        "tools": all_tools,
        "renderer": {
            "name": renderer.name,
            "tools": dict(sorted(renderer_versions.items())),
            "pdf_standard": renderer.pdf_standard(options),
        },
        "inputs": inputs,
        "outputs": outputs,
        "records": sorted(k for k in outputs if k.startswith("notebooks/")),
    }
    return write_json(build_dir / BuildFiles.MANIFEST, manifest)
