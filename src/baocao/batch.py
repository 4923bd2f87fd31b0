"""Many builds: the unit × year matrix, serially, in parallel processes, or on a Dask cluster.

Years and units are independent jobs (a year's build reads its earlier years' raw data, never
another job's outputs), so they can run anywhere in any order and give the same bytes as a
serial build. The one thing jobs share is the content-addressed cache of tidy tables
(``build/.cache/``, :mod:`baocao.tidycache`): a year cleaned by one job is read, not cleaned
again, by the later years' jobs, and an entry is the same whoever made it. So that the later
years find their history there, parallel jobs are started year by year (every unit's first
year, then every unit's next one); results come back in the planned order.

Serially, the notebooks of every job run in one Jupyter kernel (:class:`baocao.notebooks.NotebookKernel`,
its session reset between notebooks); with a renderer that renders many documents with one
start-up (Quarto), the wards' years are built together (:func:`run_serial`,
:func:`build_years_together`): every year up to its render, one Quarto process
for every year's document, then every year's checks and promotion; the same bytes as each year
built alone.

``--jobs N`` uses a process pool on this machine: each of its N workers takes the next planned
job until none is left, and runs the notebooks of all its jobs in one Jupyter kernel it keeps,
so the libraries the notebooks import are imported once per worker; each job renders its own
document. ``--scheduler ADDRESS`` sends the same jobs to a ``dask.distributed`` cluster whose
workers see the project and build folders at the same paths (shared storage); there too each
worker keeps one kernel for the run (:mod:`baocao.daskworker`, a worker plugin). No home-made
scheduler.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import year_lock
from .config import Project
from .errors import BaocaoError, EnvironmentWriteError
from .notebooks import NotebookKernel

if TYPE_CHECKING:
    from .pipeline import BuildResult, PendingRender, YearBuild

ProgressEvent = Callable[[str, str, str, float], None]  # job label, step, state, seconds


@dataclass(frozen=True)
class Job:
    root: str
    build_root: str
    unit_id: str | None
    year: int
    renderer: str = "auto"
    force: bool = False
    wait: bool = False
    jobs: int = 1  # an aggregate's job checks this many member bags side by side (--jobs)

    @property
    def label(self) -> str:
        return f"{self.unit_id}/{self.year}" if self.unit_id else str(self.year)

    def project(self) -> Project:
        return Project(Path(self.root), Path(self.build_root), self.unit_id)


def plan_jobs(
    project: Project,
    years: Sequence[int] | None,
    *,
    all_years: bool,
    unit: str | None,
    renderer: str,
    force: bool,
    wait: bool,
) -> list[Job]:
    """The jobs a command line asks for, in a stable order (unit, then year)."""
    projects = [project.for_unit(unit)] if unit else project.units()
    jobs = []
    for p in projects:
        wanted = p.years_available() if all_years else (list(years) if years else [p.unit.default_year])
        for year in sorted(set(wanted)):
            if all_years or p.raw_dir(year).is_dir() or len(projects) == 1:
                jobs.append(Job(str(p.root), str(p.build_root), p.unit_id, year, renderer, force, wait))
    return jobs


def _quiet_kernel_client_logs() -> None:
    """The Jupyter client's event loop (tornado, zmq) logs a traceback of its own on stderr when
    a notebook fails and its kernel is shut down ("Uncaught exception in ZMQStream callback"),
    and nbclient, through Papermill's logger, "Kernel died while waiting for execute reply."
    when Ctrl-C reaches the kernel too. The failure itself reaches the user as one message; the
    libraries' log is noise here."""
    import logging

    for name in ("tornado", "asyncio", "traitlets", "papermill"):
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def start_order(jobs: Sequence[Job]) -> list[int]:
    """Indices of ``jobs`` in the order to start them in parallel: by year, then as planned."""
    return sorted(range(len(jobs)), key=lambda i: (jobs[i].year, i))


def run_job(job: Job, queue=None, kernel: NotebookKernel | None = None) -> dict:
    """Build one unit-year; returns a picklable summary (errors included, never raised).
    ``kernel``: the notebooks' kernel, kept by the caller for its next jobs."""
    from .pipeline import build_year

    _quiet_kernel_client_logs()
    try:
        # an aggregate unit's year is compiled from its members' reports (baocao.aggregate)
        project = job.project()
        if project.unit_id and project.unit.is_aggregate:
            from .aggregate import build_aggregate

            result = build_aggregate(
                project,
                job.year,
                renderer_name=job.renderer,
                progress=_progress(job, queue),
                wait=job.wait,
                force=job.force,
                jobs=job.jobs,
            )
        else:
            result = build_year(
                project,
                job.year,
                renderer_name=job.renderer,
                progress=_progress(job, queue),
                wait=job.wait,
                force=job.force,
                kernel=kernel,
            )
    except (BaocaoError, OSError) as exc:
        return summary(job, exc)
    return summary(job, result)


def run_together(jobs: Sequence[Job], queue=None, kernel: NotebookKernel | None = None) -> list[dict]:
    """Wards' unit-years built together, their documents rendered in one call of the renderer
    (one Quarto process: :func:`build_years_together`); the summaries of
    :func:`run_job`, in order. ``kernel``: the notebooks' kernel, kept by the caller."""
    from .pipeline import open_year

    _quiet_kernel_client_logs()
    summaries: dict[int, dict] = {}
    builds = {}
    for i, job in enumerate(jobs):
        try:
            builds[i] = open_year(
                job.project(),
                job.year,
                renderer_name=job.renderer,
                progress=_progress(job, queue),
                force=job.force,
                kernel=kernel,
            )
        except (BaocaoError, OSError) as exc:
            summaries[i] = summary(job, exc)
    outcomes = build_years_together(list(builds.values()), wait=all(jobs[i].wait for i in builds))
    summaries.update((i, summary(jobs[i], outcome)) for i, outcome in zip(builds, outcomes, strict=True))
    return [summaries[i] for i in range(len(jobs))]


def build_years_together(builds: Sequence[YearBuild], *, wait: bool = False) -> list[BuildResult | Exception]:
    """Several years' builds whose renders are one call of the renderer (for Quarto: one
    process for every year's document, :meth:`Renderer.render_many`), in three phases: each
    year prepared under its lock (every stale step before the render), then one render of
    every year's document, then each year completed (the output checks were made for each
    document; the manifest; the promotion). A year that fails, in any phase, fails alone, with
    the message its own build gives; the others go on. For each build: its result, or the
    error that stopped it."""
    outcomes: dict[int, BuildResult | Exception] = {}
    pending: dict[int, PendingRender] = {}
    locks = {}
    try:
        for i, build in enumerate(builds):  # 1. each year up to its render, under its lock
            try:
                locks[i] = year_lock(build.project, build.year, wait)
            except (BaocaoError, OSError) as exc:  # held by another build: said as `build --year` says it
                outcomes[i] = exc
                continue
            try:
                if (render := build.prepare()) is not None:
                    pending[i] = render
            except (BaocaoError, OSError) as exc:
                build.discard()
                outcomes[i] = build.failed(exc)
        rendered = _render_together(builds, pending)  # 2. one render of every year's document
        for i, build in enumerate(builds):  # 3. each year's manifest and promotion
            if i in outcomes:
                continue
            try:
                if i in pending:
                    build.record(pending[i].steps, pending[i].keys, rendered[i])
                outcomes[i] = build.complete()
            except (BaocaoError, OSError) as exc:
                build.discard()
                outcomes[i] = build.failed(exc)
    finally:
        for i, build in enumerate(builds):
            build.discard()
            if i in locks:
                locks[i].release()
    return [outcomes[i] for i in range(len(builds))]


def _render_together(builds: Sequence[YearBuild], pending: dict[int, PendingRender]) -> dict[int, float | Exception]:
    """The pending renders of :func:`build_years_together`, one :meth:`Renderer.render_many`
    per project folder (its `_quarto.yml`): for each year, its share of the time, or the error
    that stopped its render."""
    done: dict[int, float | Exception] = {}
    by_root: dict[Path, list[int]] = {}
    for i in pending:
        by_root.setdefault(builds[i].project.root, []).append(i)
    for indices in by_root.values():
        for i in indices:
            builds[i].started(pending[i].steps)
        first = builds[indices[0]]
        t0 = time.perf_counter()
        try:
            found = first.renderer.render_many(
                [(pending[i].qmd, pending[i].formats) for i in indices], options=first.options
            )
        except (BaocaoError, OSError):  # the call as a whole: each year's own render says why, for that year
            found = [_render_alone(builds[i], pending[i]) for i in indices]
        share = (time.perf_counter() - t0) / len(indices)
        done.update((i, r if isinstance(r, Exception) else share) for i, r in zip(indices, found, strict=True))
    return done


def _render_alone(build: YearBuild, render: PendingRender) -> dict[str, Path] | Exception:
    try:
        return build.renderer.render(render.qmd, render.formats, options=build.options)
    except (BaocaoError, OSError) as exc:
        return exc


def run_serial(jobs: Sequence[Job], queue, kernel: NotebookKernel | None = None) -> list[dict]:
    """One job after another. Where the renderer renders many documents with one start-up
    (Quarto), the wards' years are built together (:func:`run_together`), which pays Quarto's
    start-up once rather than once a year; an aggregate's year, or a lone year, alone."""
    together = [i for i, job in enumerate(jobs) if _renders_together(job)]
    if len(together) < 2:
        return [run_job(job, queue, kernel) for job in jobs]
    done = dict(zip(together, run_together([jobs[i] for i in together], queue, kernel), strict=True))
    return [done[i] if i in done else run_job(job, queue, kernel) for i, job in enumerate(jobs)]


def _renders_together(job: Job) -> bool:
    """Whether ``job`` is a ward's year whose renderer renders many documents at once."""
    from .render import get_renderer

    try:
        project = job.project()
        return not (project.unit_id and project.unit.is_aggregate) and get_renderer(job.renderer).renders_many_at_once
    except (BaocaoError, OSError):
        return False  # the job's own build says what is wrong


def _progress(job: Job, queue):
    def progress(year: int, step: str, state: str, seconds: float) -> None:
        if queue is not None:
            queue.put((job.label, step, state, seconds))

    return progress


def summary(job: Job, outcome) -> dict:
    """A job's picklable summary: its build's result (a :class:`baocao.pipeline.BuildResult`),
    or the error that stopped it (an OSError, such as a full disk, shown as exit 3)."""
    if isinstance(outcome, OSError):  # disk full, permissions, a path that is not a folder: exit 3, no traceback
        outcome = EnvironmentWriteError.from_oserror(outcome)
    if isinstance(outcome, BaocaoError):
        return {"job": asdict(job), "label": job.label, "error": outcome.render(), "exit_code": outcome.exit_code}
    return {
        "job": asdict(job),
        "label": job.label,
        "outputs": {k: str(v) for k, v in outcome.outputs.items()},
        "timings": outcome.timings,
        "ran": outcome.ran,
        "up_to_date": outcome.up_to_date,
        "rejected_rows": outcome.rejected_rows,
        "pdf_standard": outcome.pdf_standard,
        "exit_code": 0,
    }


class DirectQueue:
    """A queue stand-in for in-process runs: events are shown as they happen."""

    def __init__(self, on_event: ProgressEvent):
        self.on_event = on_event

    def put(self, event: tuple) -> None:
        self.on_event(*event)


def _drain(queue, on_event: ProgressEvent, stop: threading.Event) -> None:
    import queue as queue_mod

    while not stop.is_set() or not queue.empty():
        try:
            event = queue.get(timeout=0.1)
        except queue_mod.Empty:
            continue
        except (EOFError, OSError):
            return
        on_event(*event)


def run_local(jobs: Sequence[Job], n_jobs: int, on_event: ProgressEvent) -> list[dict]:
    """Serially (n_jobs == 1: :func:`run_serial`) or in a pool of processes, with one progress
    stream. In the pool, and on a Dask cluster (:func:`run_dask`), each job renders its own
    document (one Quarto process per year): the jobs are apart by design."""
    if n_jobs <= 1 or len(jobs) <= 1:
        with NotebookKernel() as kernel:
            return run_serial(jobs, DirectQueue(on_event), kernel)

    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("spawn")  # fresh interpreters: no inherited locks, kernels or threads
    with mp.Manager() as manager:
        q = manager.Queue()
        todo = manager.Queue()
        for i in start_order(jobs):
            todo.put(i)
        stop = threading.Event()
        drainer = threading.Thread(target=_drain, args=(q, on_event, stop), daemon=True)
        drainer.start()
        try:
            workers = min(n_jobs, len(jobs))
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                shares = [pool.submit(run_worker, jobs, todo, q) for _ in range(workers)]
                by_index = dict(pair for share in shares for pair in share.result())
            results = [by_index[i] for i in range(len(jobs))]
        finally:
            stop.set()
            drainer.join()
    return results


def run_worker(jobs: Sequence[Job], todo, queue) -> list[tuple[int, dict]]:
    """One pool worker's share of ``jobs``: the next planned index from ``todo`` until none is
    left, the notebooks of every build in the one kernel the worker keeps (stopped at the end)."""
    import queue as queue_mod

    done: list[tuple[int, dict]] = []
    with NotebookKernel() as kernel:
        while True:
            try:
                i = todo.get_nowait()
            except queue_mod.Empty:
                return done
            done.append((i, run_job(jobs[i], queue, kernel)))


def run_job_on_worker(job: Job) -> dict:
    """:func:`run_job` on a Dask worker, in the notebook kernel the worker keeps for the run."""
    from .daskworker import borrowed_kernel

    with borrowed_kernel() as kernel:
        return run_job(job, None, kernel)


def run_dask(jobs: Sequence[Job], address: str, on_event: ProgressEvent) -> list[dict]:
    """The same jobs on a dask.distributed cluster; progress per finished job."""
    from .daskworker import Client, KeptKernel, as_completed  # says so when dask.distributed is not installed
    from .errors import ToolMissingError

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ToolMissingError(
            f"không kết nối được bộ lập lịch Dask tại {address}: {exc}",
            f"cannot reach the Dask scheduler at {address}: {exc}",
            hint_vi="kiểm tra địa chỉ (tcp://máy:8786) và bộ lập lịch đang chạy",
            hint_en="check the address (tcp://host:8786) and that the scheduler is running",
        ) from None
    try:
        client.register_plugin(KeptKernel())  # one notebook kernel per worker, for this run
        futures = {}
        for n, i in enumerate(start_order(jobs)):
            key = f"baocao-{jobs[i].label}-{i}"
            futures[client.submit(run_job_on_worker, jobs[i], key=key, pure=False, priority=-n)] = jobs[i]
        by_label: dict[str, dict] = {}
        for future in as_completed(futures):
            job = futures[future]
            result = future.result()
            by_label[job.label] = result
            on_event(
                job.label,
                "job",
                "done" if result["exit_code"] == 0 else "failed",
                sum(result.get("timings", {}).values()),
            )
        return [by_label[j.label] for j in jobs]
    finally:
        with contextlib.suppress(Exception):  # a cluster that is gone has no kernel left to stop
            client.unregister_worker_plugin(KeptKernel.name)
        client.close()


def _level(job: Job) -> int:
    """0 for a ward's job; for an aggregate unit's (baocao.aggregate), one more than the deepest
    of its members that are units of the same project: it reads their builds."""
    project = job.project()
    if not project.unit_id:
        return 0
    units = {u.id: u for u in project.all_units}

    def depth(unit_id: str, seen: frozenset = frozenset()) -> int:
        unit = units.get(unit_id)
        if unit is None or not unit.is_aggregate or unit_id in seen:
            return 0
        return 1 + max((depth(m.id, seen | {unit_id}) for m in unit.members), default=0)

    return depth(project.unit_id)


def run_jobs(
    jobs: Iterable[Job], *, n_jobs: int = 1, scheduler: str | None = None, on_event: ProgressEvent | None = None
) -> list[dict]:
    jobs = [replace(j, jobs=max(1, n_jobs)) for j in jobs]
    on_event = on_event or (lambda *a: None)
    # --- baocao.aggregate: members first, then the units compiled from them (one phase per level)
    levels = [_level(j) for j in jobs]
    results: list[dict | None] = [None] * len(jobs)
    for level in sorted(set(levels)):
        phase = [i for i in range(len(jobs)) if levels[i] == level]
        batch = [jobs[i] for i in phase]
        done = run_dask(batch, scheduler, on_event) if scheduler else run_local(batch, n_jobs, on_event)
        for i, r in zip(phase, done, strict=True):
            results[i] = r
    return [r for r in results if r is not None]
