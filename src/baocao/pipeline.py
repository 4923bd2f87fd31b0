"""One year's build, from ``baocao build`` to the promoted folder: :func:`build_year`, then
:class:`YearBuild` read top to bottom (plan, stage, run the stale steps, promote).

A build is staged: every output of the year is written into ``build/.<year>.staging/`` and the
finished folder replaces ``build/<year>/`` only when every step succeeded, so a failed or
killed build leaves the last good report in place. One build per year at a time (a file lock).
What each step does is in the step table (:mod:`baocao.steps`: what it reads and writes) and
its body (:mod:`baocao.yearsteps`); the two notebook steps run through Papermill, one after
the other in one Jupyter kernel (:mod:`baocao.notebooks`: the build's own, or the one a batch
worker keeps for all its builds); the render steps that follow each other are one call of the
renderer (:mod:`baocao.render`). Besides the kernel, the one thing running beside the steps is
a thread that asks the tool versions for the manifest.

A build has three phases, which :meth:`YearBuild.run` calls in turn: ``prepare`` (plan, stage,
the steps before the render), the render, ``complete`` (the manifest, the promotion). A serial
multi-year Quarto build calls them itself (:func:`baocao.batch.build_years_together`): every
year prepared, then one Quarto process renders every year's document, then every year
completed; Quarto's start-up is paid once, not once a year.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import steps
from .atomic import sweep_temporaries, write_json, year_lock
from .config import BuildFiles, Project
from .errors import BaocaoError, InputError, Location
from .manifest import renderer_tools, write_manifest
from .narrative import NARRATIVE_FILE, check_narrative_size
from .notebooks import NotebookKernel
from .steps import input_digests, unchanged_since

if TYPE_CHECKING:
    from .render.options import RenderOptions

Progress = Callable[[int, str, str, float], None]  # year, step, "start"|"done"|"skip"|…, seconds
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


def build_year(
    project: Project,
    year: int,
    *,
    renderer_name: str = "auto",
    formats: Sequence[str] | None = None,
    progress: Progress | None = None,
    wait: bool = False,
    force: bool = False,
    kernel: NotebookKernel | None = None,
) -> BuildResult:
    """Build one year: only the steps whose inputs changed (all with ``force``), staged and
    promoted at the end, under the year's lock. ``formats``: the outputs to write (default:
    `baocao.formats` of _quarto.yml). ``wait``: wait for another build of the year to end.
    ``kernel``: the notebooks' kernel, kept by the caller for its next builds (default: one
    of the build's own, stopped at its end)."""
    build = open_year(
        project, year, renderer_name=renderer_name, formats=formats, progress=progress, force=force, kernel=kernel
    )
    lock = year_lock(project, year, wait)
    try:
        return build.run()
    except BaocaoError as exc:
        build.failed(exc)
        raise
    finally:
        lock.release()


def open_year(
    project: Project,
    year: int,
    *,
    renderer_name: str = "auto",
    formats: Sequence[str] | None = None,
    progress: Progress | None = None,
    force: bool = False,
    kernel: NotebookKernel | None = None,
) -> YearBuild:
    """The year's build, not started, after what is checked before anything is built: the
    year's data folder, a linked build folder, the narrative's size, the renderer's tools."""
    from .render import get_renderer
    from .render.options import RenderOptions

    if not project.raw_dir(year).is_dir():
        years = ", ".join(map(str, project.years_available()))
        raise InputError(
            Location(project.rel(project.raw_dir(year))),
            f"không có thư mục số liệu năm {year}",
            f"no data folder for {year}",
            hint_vi=f"tạo bằng 'baocao new-year {year}'; các năm có số liệu: " + (years or "chưa có"),
            hint_en=f"create it with 'baocao new-year {year}'; years with data: " + (years or "none"),
        )
    refuse_linked_build(project, year)
    narrative = project.raw_dir(year) / NARRATIVE_FILE
    if narrative.is_file():  # bounded before anything is built (a missing one: compose says so)
        check_narrative_size(narrative, project.rel(narrative))
    renderer = get_renderer(renderer_name)  # fail before any work when the tool is missing
    if formats is None:
        formats = RenderOptions.from_project(project.root).formats
    return YearBuild(project, year, renderer, formats, force=force, progress=progress, kernel=kernel)


@dataclass
class PendingRender:
    """The stale render steps of a year, once the steps before them ran: one render call."""

    qmd: Path
    steps: list[str]
    keys: dict[str, str]

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(str(steps.step(n).render) for n in self.steps)


class YearBuild:
    """One year's build, once the year's lock is held. :meth:`run` is the whole build."""

    def __init__(
        self,
        project: Project,
        year: int,
        renderer,
        formats: Sequence[str],
        *,
        force: bool = False,
        progress: Progress | None = None,
        kernel: NotebookKernel | None = None,
    ):
        self.project, self.year, self.renderer, self.force = project, year, renderer, force
        self.kernel = kernel
        self.formats = tuple(formats)
        self.progress: Progress = progress or (lambda *a: None)
        self.final = project.build_dir(year)  # build/<year>/: the last good build, replaced at the end
        # One fixed name (the year's lock makes it ours): the executed notebooks record it as
        # their build_dir, so the same build reads the same in the record every time.
        self.staging = project.build_root / f".{year}.staging"
        self.wanted = [s for s in steps.STEPS if not s.render or s.render in self.formats]
        self.result = BuildResult(year, unit=project.unit.id)
        # set by prepare(), read by complete()
        self.options: RenderOptions | None = None
        self.tools: Future[tuple[dict[str, str], dict[str, str]]] | None = None
        self.inputs: dict[str, str] = {}
        self.state: dict = {}

    def run(self) -> BuildResult:
        """Prepare (plan, stage, run the stale steps before the render), render, complete
        (check the inputs, write the manifest, promote). :func:`baocao.batch.build_years_together`
        calls the three phases itself, to render several years in one call of the renderer."""
        try:
            render = self.prepare()
            if render is not None:
                self.started(render.steps)
                t0 = time.perf_counter()
                self.renderer.render(render.qmd, render.formats, options=self.options)
                self.record(render.steps, render.keys, time.perf_counter() - t0)
            return self.complete()
        finally:
            self.discard()

    def prepare(self) -> PendingRender | None:
        """Plan, stage, run the stale steps before the render; the render left to make (None
        when there is none, or when the build is up to date)."""
        from .render.options import RenderOptions

        _recover(self.project, self.year)
        sweep_temporaries(self.final)
        planned = self.plan()
        if not planned and not _unwanted_outputs(self.year, self.final, self.formats):
            self.result.up_to_date = True
            return None
        self.options = RenderOptions.from_project(self.project.root)
        background = ThreadPoolExecutor(1, thread_name_prefix="baocao-tools")
        self.tools = background.submit(renderer_tools, self.renderer)  # for the manifest, while the steps run
        background.shutdown(wait=False)
        # What the build reads, hashed before any step reads it: the manifest names these bytes,
        # and the same files are hashed again before promotion (a change meanwhile stops it).
        self.inputs = input_digests(self.project, self.year)
        notebooks = [s.notebook for s in self.wanted if s.notebook and s.name in planned]
        groups = _groups(self.wanted)
        # The render steps (last in the table) are left to the caller: one render call, maybe for
        # several years. Were a step to follow them, they would be one of the groups run here.
        last = groups.pop() if steps.step(groups[-1][0]).render else []
        with nullcontext(self.kernel) if self.kernel else NotebookKernel() as kernel:
            if notebooks:
                kernel.start(self.project)  # it starts while the build stages
            self.state = self.stage()
            for group in groups:
                self.run_group(group, kernel)
        stale, keys = self.stale_in(last)
        return PendingRender(self.staging / BuildFiles.report(self.year, ".qmd"), stale, keys) if stale else None

    def complete(self) -> BuildResult:
        """Check that the inputs did not change, write the state and the manifest, promote."""
        if self.result.up_to_date:
            return self.finish()
        unchanged_since(self.project, self.year, self.inputs)
        write_json(self.staging / STATE_FILE, self.state)
        self.progress(self.year, "manifest", "start", 0.0)
        t0 = time.perf_counter()
        write_manifest(
            self.project,
            self.year,
            self.staging,
            self.renderer,
            self.options,
            tools=self.tools.result() if self.tools else None,
            inputs=self.inputs,
        )
        self.progress(self.year, "manifest", "done", time.perf_counter() - t0)
        self.promote()
        return self.finish()

    def discard(self) -> None:
        """A build that failed (or did not reach its promotion): the staging folder goes, the last good one stays."""
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)

    def failed(self, exc: Exception) -> Exception:
        """``exc``, whose message says that the last good report is untouched (there is one)."""
        if not isinstance(exc, BaocaoError) or not self.final.is_dir():
            return exc
        kept_vi = f"báo cáo tốt gần nhất trong {self.project.rel(self.final)} được giữ nguyên"
        kept_en = f"the last good report in {self.project.rel(self.final)} is untouched"
        exc.hint_vi = (exc.hint_vi + "; " if exc.hint_vi else "") + kept_vi
        exc.hint_en = (exc.hint_en + "; " if exc.hint_en else "") + kept_en
        return exc

    def plan(self) -> list[str]:
        """The steps this build may run: every wanted step with ``force`` or without a last
        build; else each step whose inputs or outputs changed since the last build, and every
        step after the first of them. Empty: nothing to make (the build is up to date unless
        it holds a format no longer asked for)."""
        if self.force or not self.final.is_dir():
            return [s.name for s in self.wanted]
        return stale_steps(self.project, self.year, self.final, self.renderer, self.formats)

    def stage(self) -> dict:
        """The staging folder, seeded with the last build (what is still up to date), and the
        state of that build without the formats no longer asked for."""
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        signed = self.final / BuildFiles.report(self.year, "-ky-so.pdf")
        if self.final.is_dir() and not self.force:
            shutil.copytree(self.final, self.staging, dirs_exist_ok=True)  # reuse what is still up to date
        elif signed.is_file():
            # --force remakes every output, never the committee's signed copy (baocao sign), which
            # `verify` checks against the report built now
            shutil.copy2(signed, self.staging)
        state = {} if self.force else _load_state(self.staging)
        for rel in _unwanted_outputs(self.year, self.staging, self.formats):  # a format no longer asked for
            (self.staging / rel).unlink()
        for s in steps.STEPS:
            if s.render and s.render not in self.formats:
                state.pop(s.name, None)
        return state

    def run_group(self, group: list[str], kernel: NotebookKernel) -> None:
        """Run the steps of ``group`` that are not up to date (one step, or render steps that
        follow each other: one render call) and record what they wrote."""
        stale, keys = self.stale_in(group)
        if not stale:
            return
        self.started(stale)
        t0 = time.perf_counter()
        first = steps.step(stale[0])
        if first.render:
            formats = tuple(str(steps.step(n).render) for n in stale)
            self.renderer.render(self.staging / BuildFiles.report(self.year, ".qmd"), formats, options=self.options)
        elif first.notebook:
            kernel.run(self.project, first.notebook, self.year, self.staging)
        elif first.run is not None:
            first.run(self.project, self.year, self.staging)
        self.record(stale, keys, time.perf_counter() - t0)

    def stale_in(self, group: list[str]) -> tuple[list[str], dict[str, str]]:
        """The steps of ``group`` that are not up to date, their outputs removed, and every
        step's key. Keys are computed on the staged files, so a step whose inputs came out
        byte-identical from a re-run earlier step is still skipped."""
        keys = {name: steps.step_key(name, self.project, self.year, self.staging, self.renderer) for name in group}
        stale = []
        for name in group:
            status, changed = _step_status(name, keys[name], self.state, self.year, self.staging)
            if status == "ok":
                self.progress(self.year, name, "skip", 0.0)
                continue
            if status == "changed":  # an output edited, truncated or deleted since its step wrote it
                shown = ", ".join(changed[:3]) + (" …" if len(changed) > 3 else "")
                self.progress(self.year, name, "changed:" + shown, 0.0)
            stale.append(name)
        for name in stale:
            for out in steps.step(name).outputs(self.year):
                target = self.staging / out
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
        return stale, keys

    def started(self, stale: list[str]) -> None:
        for name in stale:
            self.progress(self.year, name, "start", 0.0)

    def record(self, ran: list[str], keys: dict[str, str], outcome: float | Exception) -> None:
        """Record in the state what the steps ``ran`` wrote (``outcome``: the seconds they took
        together), or raise what stopped them."""
        if isinstance(outcome, Exception):
            raise outcome
        seconds = outcome / len(ran)
        for name in ran:
            self.result.timings[name] = seconds
            self.result.ran.append(name)
            self.progress(self.year, name, "done", seconds)
            self.state[name] = {"key": keys[name], "outputs": output_digests(name, self.year, self.staging)}

    def promote(self) -> None:
        """Put the finished build in place: build/<year> → .old, staging → build/<year>."""
        promote_folder(self.staging, self.final, self.project.build_root / f".{self.year}.old")

    def finish(self) -> BuildResult:
        """The result: where the outputs are, the rejected rows, the PDF's profile."""
        result, folder = self.result, self.final
        result.outputs = {fmt: folder / BuildFiles.report(self.year, f".{fmt}") for fmt in self.formats}
        result.outputs["qmd"] = folder / BuildFiles.report(self.year, ".qmd")
        result.rejected_rows = _rejected_rows(folder)
        try:
            manifest = json.loads((folder / BuildFiles.MANIFEST).read_text(encoding="utf-8"))
            result.pdf_standard = (manifest.get("renderer") or {}).get("pdf_standard")
        except (OSError, ValueError, AttributeError):
            result.pdf_standard = None
        return result


# ---------------------------------------------------------------------------- state of a build
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
    to do), and every step after the first of them."""
    state = _load_state(build_dir)
    stale: list[str] = []
    for s in steps.STEPS:
        if s.render and s.render not in formats:
            continue
        key = steps.step_key(s.name, project, year, build_dir, renderer)
        if stale or _step_status(s.name, key, state, year, build_dir)[0] != "ok":
            stale.append(s.name)
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
    render call: one Quarto start-up for HTML, PDF and Word), every other step is alone."""
    groups: list[list[str]] = []
    for s in table:
        if s.render and groups and steps.step(groups[-1][-1]).render:
            groups[-1].append(s.name)
        else:
            groups.append([s.name])
    return groups


def _rejected_rows(build_dir: Path) -> int:
    from .clean.tidy import csv_records

    return sum(int(r["rejected"]) for r in csv_records(build_dir / BuildFiles.DATA / BuildFiles.ACCOUNTING))


def promote_folder(staging: Path, final: Path, old: Path) -> None:
    """Put a finished build in place: ``final`` → ``old``, ``staging`` → ``final``, ``old`` removed."""
    remove_entry(old)
    if final.exists() or final.is_symlink():
        os.replace(final, old)
    os.replace(staging, final)
    remove_entry(old)


def remove_entry(path: Path) -> None:
    """Remove a folder, or a link (never what it points to), if there."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def refuse_linked_build(project: Project, year: int) -> None:
    """``build/<year>`` that is a symbolic link (or a Windows junction) to another folder is
    refused before anything is built: a build replaces the whole folder when it ends, so the
    link would become a plain folder and the folder it points to would keep the old report."""
    from .errors import UsageError

    final = project.build_dir(year)
    is_junction = getattr(os.path, "isjunction", lambda _p: False)  # Python 3.12+, Windows
    if not (final.is_symlink() or is_junction(final)):
        return
    shown = f"{project.rel(final.parent)}/{final.name}"
    target = Path(os.path.realpath(final))
    parent = target.parent if target.name == str(year) else "THƯ_MỤC/DIR"  # --build-dir X builds into X/<year>
    raise UsageError(
        f"{shown} là một liên kết (symlink) tới {target}: bản dựng thay cả thư mục {shown} khi xong, nên sẽ "
        "thay mất liên kết; không dựng gì",
        f"{shown} is a symbolic link to {target}: a build replaces the whole {shown} folder when it ends, "
        "which would replace the link; nothing was built",
        hint_vi=f"xóa liên kết; để các bản dựng nằm ở thư mục khác, dùng --build-dir (năm {year} vào "
        f"THƯ_MỤC/{year}): 'baocao --build-dir {parent} build --year {year}'",
        hint_en=f"remove the link; to keep the builds in another folder, use --build-dir (the {year} build "
        f"goes to DIR/{year}): 'baocao --build-dir {parent} build --year {year}'",
    )


def _recover(project: Project, year: int) -> None:
    """After a kill between the two renames of :meth:`YearBuild.promote`, put the last good
    build back; remove a staging folder a killed build left."""
    final = project.build_dir(year)
    old = project.build_root / f".{year}.old"
    if old.is_symlink():  # a linked build/<year> an earlier version turned aside: the link goes, its target stays
        old.unlink()
    elif old.exists() and not (final.exists() or final.is_symlink()):
        os.replace(old, final)
    else:
        remove_entry(old)
    for stale in project.build_root.glob(f".{year}.staging*"):
        shutil.rmtree(stale, ignore_errors=True)
