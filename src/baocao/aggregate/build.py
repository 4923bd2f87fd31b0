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
from ..errors import InputError, InputsChangedError, Location
from ..pipeline import BuildResult, Progress, promote_folder, refuse_linked_build, write_manifest
from ..steps import code_digest, file_digest, files_under
from .intake import input_files, read_members, unexpected_files
from .report import compose_aggregate, render_record
from .rollup import compile_metrics
from .targets import load_targets

STATE = BuildFiles.STATE
#: The project files the compiled report is made with (its key: any change rebuilds it).
_PROJECT_FILES = ("report/tong-hop.qmd.j2", "report/html", "report/typst", "report/word", "report/filters",
                  "report/fonts", "_quarto.yml", "data/reference", "baocao.yml")  # fmt: skip
STEP_INTAKE = "nhận và kiểm báo cáo của các đơn vị (intake)"
STEP_COMPILE = "tổng hợp số liệu (compile)"
STEP_COMPOSE = "soạn văn bản báo cáo tổng hợp (.qmd)"
STEP_RENDER = "xuất HTML, PDF, Word"


def input_digests(project: Project, year: int) -> dict[str, str]:
    """SHA-256 of every file the aggregate's year reads, by path relative to the project."""
    return {p.relative_to(project.root).as_posix(): file_digest(p) for p in input_files(project, year)}


def _key(project: Project, year: int, inputs: dict[str, str], renderer, formats: Sequence[str]) -> str:
    h = hashlib.sha256()
    project_files = {}
    for rel in _PROJECT_FILES:
        path = project.root / rel
        for p in files_under(path) if path.is_dir() else ([path] if path.is_file() else []):
            project_files[p.relative_to(project.root).as_posix()] = file_digest(p)
    record = {
        "year": year,
        "unit": project.unit_fingerprint(),
        "inputs": inputs,
        "project": project_files,
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
) -> BuildResult:
    """Build the aggregate unit's ``year`` (see the module's docstring)."""
    from ..render import get_renderer
    from ..render.options import RenderOptions

    progress = progress or (lambda *a: None)
    if not project.raw_dir(year).is_dir():
        raise InputError(
            Location(project.rel(project.raw_dir(year))),
            f"không có thư mục năm {year} của đơn vị tổng hợp (nơi nhận túi báo cáo của các đơn vị, "
            "thong-tin-bao-cao.yml, nhan-dinh.md)",
            f"no {year} folder of the aggregate unit (where the members' bags, thong-tin-bao-cao.yml "
            "and nhan-dinh.md go)",
            hint_vi=f"tạo thư mục {project.rel(project.raw_dir(year))}/ và đặt vào đó các tệp trên",
            hint_en=f"create {project.rel(project.raw_dir(year))}/ and put those files in it",
        )
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
            _run(project, year, renderer, options, formats, inputs, key, progress, result)
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


def _run(project, year, renderer, options, formats, inputs, key, progress, result) -> None:
    from ..narrative import load_meta, load_narrative

    staging = project.build_root / f".{year}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        meta = load_meta(project, year)  # the aggregate's own metadata and narrative, checked first
        narrative = load_narrative(project, year)
        targets, next_targets = load_targets(project, year)
        with _timed(progress, year, STEP_INTAKE, result):
            members = read_members(project, year)
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
        write_json(staging / STATE, {"key": key, "outputs": _outputs(staging)})
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
