"""An aggregate unit's year, end to end: intake → compile → compose → render → manifest.

Built like any unit's year (``baocao build --unit mong-cai --year 2023``, ``--all``, ``--jobs``,
``--scheduler``: :mod:`baocao.batch` sends an aggregate's job here), with the same rules:
staged in ``build/<unit>/.<year>.staging/`` and promoted only when every step succeeded, one
build of a year at a time (the year's lock), every input hashed before it is read and again
before promotion, the same renderers and output checks, and a ``manifest.json`` of the same
shape, so that ``baocao archive`` packs it like a ward's year (its bag then holds the member
bags it was compiled from, which are inputs of the year). Incremental as a whole: when
nothing it reads changed (inputs, templates, code, renderer) and its outputs are as written,
the build says so and does nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from ..atomic import write_json, write_text, year_lock
from ..config import BuildFiles, Project
from ..errors import InputError, InputProblems, InputsChangedError
from ..pipeline import BuildResult, Progress, promote_folder, refuse_linked_build, write_manifest
from ..steps import code_digest, file_digest, files_under
from .check import missing_folder, own_inputs
from .inputs import input_files, unexpected_files
from .intake import read_members, verified_records
from .report import compose_aggregate, render_record
from .rollup import compile_metrics
from .verified import STATE_KEY, load_records

STATE = BuildFiles.STATE
STEP_INTAKE = "nhận và kiểm báo cáo của các đơn vị (intake)"
STEP_COMPILE = "tổng hợp số liệu (compile)"
STEP_COMPOSE = "soạn văn bản báo cáo tổng hợp (.qmd)"
STEP_RENDER = "xuất HTML, PDF, Word"


def input_digests(project: Project, year: int) -> dict[str, str]:
    """SHA-256 of every file the aggregate's year reads, by path relative to the project."""
    return {p.relative_to(project.root).as_posix(): file_digest(p) for p in input_files(project, year)}


def _key(project: Project, year: int, inputs: dict[str, str], renderer, formats: Sequence[str]) -> str:
    """The build's key: its inputs (the project files among them), unit, code, renderer, formats."""
    h = hashlib.sha256()
    record = {
        "year": year,
        "unit": project.unit_fingerprint(),
        "inputs": inputs,
        "code": code_digest(),
        "renderer": renderer.name,
        "formats": list(formats),
    }
    h.update(json.dumps(record, sort_keys=True).encode())
    return h.hexdigest()


def _outputs(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): file_digest(p)
        for p in files_under(folder)
        if not p.name.startswith(".") and p.name != BuildFiles.MANIFEST
    }


def _up_to_date(final: Path, key: str) -> bool:
    try:
        state = json.loads((final / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and state.get("key") == key and state.get("outputs") == _outputs(final)


def build_aggregate(
    project: Project,
    year: int,
    *,
    renderer_name: str = "auto",
    formats: Sequence[str] | None = None,
    progress: Progress | None = None,
    wait: bool = False,
    force: bool = False,
    jobs: int = 1,
) -> BuildResult:
    """Build the aggregate unit's ``year`` (see the module's docstring); ``jobs``: member
    bags checked side by side (threads: hashing and inflating run outside Python's lock)."""
    from ..render import get_renderer
    from ..render.options import RenderOptions

    progress = progress or (lambda *a: None)
    if not project.raw_dir(year).is_dir():
        raise missing_folder(project, year)
    refuse_linked_build(project, year)
    renderer = get_renderer(renderer_name)
    options = RenderOptions.from_project(project.root)
    formats = list(formats or options.formats)
    final = project.build_dir(year)
    result = BuildResult(year, unit=project.unit.id)
    lock = year_lock(project, year, wait)
    try:
        inputs = input_digests(project, year)
        key = _key(project, year, inputs, renderer, formats)
        if not force and final.is_dir() and _up_to_date(final, key):
            result.up_to_date = True
        else:
            records = {} if force else load_records(final)  # bags an earlier build verified
            _run(project, year, renderer, options, formats, inputs, key, progress, result, jobs, records)
    finally:
        lock.release()
    result.outputs = {fmt: final / BuildFiles.report(year, f".{fmt}") for fmt in formats}
    result.outputs["qmd"] = final / BuildFiles.report(year, ".qmd")
    try:
        manifest = json.loads((final / BuildFiles.MANIFEST).read_text(encoding="utf-8"))
        result.pdf_standard = (manifest.get("renderer") or {}).get("pdf_standard")
    except (OSError, ValueError):
        result.pdf_standard = None
    return result


def _timed(progress: Progress, year: int, name: str, result: BuildResult):
    class _Step:
        def __enter__(self):
            progress(year, name, "start", 0.0)
            self.t0 = time.perf_counter()

        def __exit__(self, kind, *_):
            if kind is None:
                seconds = time.perf_counter() - self.t0
                result.timings[name] = seconds
                result.ran.append(name)
                progress(year, name, "done", seconds)

    return _Step()


def _raise(project: Project, year: int, errors: list) -> None:
    """The errors of the aggregate's own files (the ones validate lists) stop the build."""
    if len(errors) > 1 and all(isinstance(e, InputError) for e in errors):
        raise InputProblems(errors, folder=project.rel(project.raw_dir(year)))
    if errors:
        raise errors[0]


def _run(project, year, renderer, options, formats, inputs, key, progress, result, jobs, records) -> None:
    staging = project.build_root / f".{year}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        own = own_inputs(project, year)  # its own metadata, narrative and targets, checked first
        _raise(project, year, own.errors)
        assert own.meta is not None  # no error: it was read
        meta, narrative, targets, next_targets = own.meta, own.narrative, own.targets, own.next_targets
        with _timed(progress, year, STEP_INTAKE, result):
            members = read_members(project, year, jobs, records)
        with _timed(progress, year, STEP_COMPILE, result):
            metrics = compile_metrics(project, year, members, targets, next_targets, unexpected_files(project, year))
            write_json(staging / BuildFiles.METRICS, metrics)
            _write_warnings(staging / BuildFiles.DATA, members)
            write_text(staging / BuildFiles.quality(year), render_record(project, metrics, members))
        with _timed(progress, year, STEP_COMPOSE, result):
            qmd = staging / BuildFiles.report(year, ".qmd")
            write_text(qmd, compose_aggregate(project, metrics, meta, narrative))
        with _timed(progress, year, STEP_RENDER, result):
            renderer.render(qmd, tuple(formats), options=options)
        now = input_digests(project, year)
        changed = sorted(k for k in inputs.keys() | now.keys() if inputs.get(k) != now.get(k))
        if changed:
            raise InputsChangedError(changed)
        write_manifest(project, year, staging, renderer, options, inputs=inputs)
        state = {"key": key, "outputs": _outputs(staging), STATE_KEY: verified_records(members)}
        write_json(staging / STATE, state)
        _promote(project, year, staging)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _write_warnings(folder: Path, members) -> None:
    """Every member's warnings in one table (member, then its own columns): the record's source."""
    import csv
    import io

    folder.mkdir(parents=True, exist_ok=True)
    from ..cells import neutralise

    rows = [
        {"member": m.id, **{k: neutralise(str(v)) for k, v in w.items()}}
        for m in members
        if m.reported
        for w in m.warnings
    ]
    columns = ["member"] + sorted({k for r in rows for k in r if k != "member"})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(folder / BuildFiles.WARNINGS, "\ufeff" + buf.getvalue())


def _promote(project: Project, year: int, staging: Path) -> None:
    promote_folder(staging, project.build_dir(year), project.build_root / f".{year}.old")
