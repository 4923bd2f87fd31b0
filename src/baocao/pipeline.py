"""One year, end to end: clean → analyze (Papermill notebooks) → compose → render → manifest.

A build is staged: every output of the year is written into ``build/.<year>.staging/`` and
the finished folder replaces ``build/<year>/`` only when every step succeeded, so a failed or
killed build leaves the last good report in place. One build per year at a time (a file
lock). The notebook steps call :func:`clean_step` and :func:`analyze_step`, which hold the
logic; the notebooks are the readable record of what they did.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .atomic import write_json
from .config import Project
from .errors import BaocaoError, BuildLockedError, ToolMissingError

STEP_LABELS = {
    "clean": "làm sạch, kiểm tra số liệu (01_clean.ipynb)",
    "analyze": "tính chỉ tiêu, vẽ biểu đồ (02_analyze.ipynb)",
    "compose": "soạn văn bản báo cáo (.qmd)",
    "html": "xuất HTML",
    "pdf": "xuất PDF (typst, PDF/A-2b)",
    "manifest": "ghi manifest.json",
}
NOTEBOOKS = {"clean": "01_clean.ipynb", "analyze": "02_analyze.ipynb"}

Progress = Callable[[int, str, str, float], None]  # year, step, "start"|"done", seconds


# ---------------------------------------------------------------------------- notebook steps
def _step_project(project_dir: str | Path, unit: str | None) -> Project:
    project = Project.find(Path(project_dir))
    return project.for_unit(unit) if unit else project


def clean_step(project_dir: str | Path, year: int, build_dir: str | Path, unit: str | None = None):
    """Read, clean and validate the year's raw data; write build_dir/data/. Returns CleanResult."""
    from .clean import clean_year, write_clean
    from .schema import validate_result

    project = _step_project(project_dir, unit)
    result = clean_year(project, year)
    validate_result(project, result, year)
    write_clean(result, Path(build_dir) / "data")
    return result


def analyze_step(project_dir: str | Path, year: int, build_dir: str | Path, unit: str | None = None) -> dict:
    """Metrics and figures from the tidy tables (and earlier years' raw data)."""
    import pandas as pd

    from .clean import read_clean
    from .figures import make_figures
    from .metrics import compute_metrics, load_history

    project = _step_project(project_dir, unit)
    build_dir = Path(build_dir)
    data = build_dir / "data"
    tables = read_clean(data, project)
    history, notes = load_history(project, year)

    def frame(name: str) -> pd.DataFrame:
        return pd.read_csv(data / name, dtype=str, keep_default_na=False)

    accounting = pd.read_csv(data / "accounting.csv")
    metrics = compute_metrics(project, year, tables, history, accounting, frame("rejects.csv"), frame("warnings.csv"))
    metrics["history_notes"] = notes
    figures = make_figures(metrics, build_dir / "figures")
    metrics["figures"] = [f.__dict__ for f in figures]
    write_json(build_dir / "metrics.json", metrics)
    return metrics


# ---------------------------------------------------------------------------- papermill
def run_notebook(project: Project, name: str, year: int, build_dir: Path) -> Path:
    """Execute notebooks/<name> with Papermill into build_dir/notebooks/<name>."""
    import papermill as pm

    source = project.notebooks_dir / name
    target = build_dir / "notebooks" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    # Paths relative to the project (the kernel runs there): the record holds no machine's paths.
    params = {"year": year, "project_dir": ".", "build_dir": os.path.relpath(build_dir, project.root),
              "unit": project.unit_id or ""}
    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=params,
            kernel_name="python3",
            cwd=str(project.root),
            progress_bar=False,
            log_output=False,
            record_timing=False,
            # the kernel talks to us over loopback only; its "TCP without encryption" warning is noise
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except pm.PapermillExecutionError as exc:
        _normalise_notebook(target)
        raise NotebookFailed(name, year, target, exc, project.rel(project.raw_dir(year))) from None
    _normalise_notebook(target)
    return target


class NotebookFailed(BaocaoError):
    """A notebook step failed; if the cause was bad input, say that, not a traceback."""

    def __init__(self, name: str, year: int, executed: Path, exc: Exception, raw: str = ""):
        raw = raw or f"data/raw/{year}"
        self.notebook = name
        self.executed = executed
        self.cause = exc
        ename = getattr(exc, "ename", type(exc).__name__)
        evalue = getattr(exc, "evalue", str(exc))
        if ename in ("InputProblems", "InputError", "ConfigError"):
            self.exit_code = 1
            # InputProblems already reads as one message (each file, what is wrong, how to fix it,
            # in Vietnamese then English): show it as it is, then what to do next.
            self._detail = evalue.strip() if ename == "InputProblems" and evalue.lstrip().startswith("Lỗi:") else ""
            super().__init__(
                f"số liệu năm {year} chưa dùng được:\n{evalue}",
                f"the {year} data cannot be used (see the Vietnamese lines above)",
                hint_vi=f"sửa các tệp trong {raw}/ theo từng dòng trên, rồi chạy lại; "
                f"'baocao validate --year {year}' chỉ kiểm tra số liệu",
                hint_en=f"fix the files in {raw}/ as each line says, then run again; "
                f"'baocao validate --year {year}' checks the data only",
            )
        else:
            self.exit_code = 1
            super().__init__(
                f"sổ tay {name} năm {year} lỗi: {ename}: {evalue}",
                f"notebook {name} for {year} failed: {ename}: {evalue}",
                hint_vi="xem chi tiết với --debug",
                hint_en="run with --debug for the traceback",
            )

    def render(self) -> str:
        detail = getattr(self, "_detail", "")
        if not detail:
            return super().render()
        return f"{detail}\nTiếp theo: {self.hint_vi}\nNext: {self.hint_en}"


def _normalise_notebook(path: Path) -> None:
    """Strip Papermill's volatile metadata so the record reads the same from run to run."""
    if not path.exists():
        return
    nb = json.loads(path.read_text(encoding="utf-8"))
    pm_meta = nb.get("metadata", {}).get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        pm_meta.pop(key, None)
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"cell-{i}"
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            meta.get("papermill", {}).pop(key, None)
    from .atomic import write_text

    write_text(path, json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------- a year's build
STATE_FILE = ".baocao-state.json"
RUN_STEPS = ("clean", "analyze", "compose", "html", "pdf")
STEP_OUTPUTS = {
    "clean": ("data", "notebooks/01_clean.ipynb"),
    "analyze": ("metrics.json", "figures", "notebooks/02_analyze.ipynb"),
    "compose": ("bao-cao-{year}.qmd",),
    "html": ("bao-cao-{year}.html",),
    "pdf": ("bao-cao-{year}.pdf",),
}


@dataclass
class BuildResult:
    year: int
    outputs: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    rejected_rows: int = 0
    up_to_date: bool = False
    unit: str = ""


def _lock(project: Project, year: int, wait: bool):
    from filelock import FileLock, Timeout

    project.build_root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(project.build_root / f".{year}.lock"))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise BuildLockedError(
            f"một lệnh build khác đang chạy cho năm {year}",
            f"another build of {year} is running",
            hint_vi="đợi lệnh kia chạy xong, hoặc dùng --wait để tự đợi",
            hint_en="wait for it to finish, or pass --wait to queue behind it",
        ) from None
    return lock


# ---------------------------------------------------------------------------- step keys
_DIGESTS: dict[tuple, str] = {}


def file_digest(path: Path) -> str:
    """SHA-256 of a file, memoised on (path, size, mtime) within the process."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256(path)
    return _DIGESTS[key]


def _tree(base: Path, rel: str) -> dict[str, str]:
    """Digests of a file or of every file below a folder, keyed by path relative to base."""
    path = base / rel
    if path.is_file():
        return {rel: file_digest(path)}
    return {p.relative_to(base).as_posix(): file_digest(p) for p in _files_under(path)}


_CODE: str | None = None


def code_digest() -> str:
    """The package's own code: any change to it re-runs every step."""
    global _CODE
    if _CODE is None:
        package = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for p in sorted(package.rglob("*.py")):
            h.update(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
        _CODE = h.hexdigest()
    return _CODE


_PY_LIBS = ("pandas", "numpy", "openpyxl", "pandera", "papermill", "nbclient", "ipykernel", "matplotlib", "jinja2", "pyyaml")


def _lib_versions(names: Sequence[str]) -> dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def renderer_fingerprint(renderer) -> dict[str, str]:
    """What decides the rendered bytes; cheap for the pandoc backend (pinned wheels)."""
    if renderer.name == "pandoc":
        return {"renderer": "pandoc", **_lib_versions(("pypandoc_binary", "typst"))}
    return {"renderer": renderer.name, **renderer.versions()}


def _raw_inputs(project: Project, year: int) -> dict[str, str]:
    """The year's data files and metadata (which says what the year has not), not its narrative."""
    from .narrative import NARRATIVE_FILE

    folder = project.raw_dir(year)
    return {f"raw/{year}/{k}": v for k, v in _tree(folder, ".").items() if Path(k).name != NARRATIVE_FILE} \
        if folder.is_dir() else {}


def step_key(step: str, project: Project, year: int, build_dir: Path, renderer) -> str:
    """Hash of everything ``step`` reads: input files, parameters, code and tool versions."""
    from .narrative import META_FILE, NARRATIVE_FILE

    root, raw = project.root, project.raw_dir(year)
    parts: dict[str, object] = {"step": step, "year": year, "code": code_digest(), "unit": project.unit_fingerprint()}
    reference = _tree(root, "data/reference")
    if step == "clean":
        parts.update(raw=_raw_inputs(project, year), ref=reference, nb=_tree(root, "notebooks/01_clean.ipynb"),
                     libs=_lib_versions(_PY_LIBS))
    elif step == "analyze":
        history = {}
        for y in range(year - project.unit.compare_years, year):
            for source in project.history_sources(y):
                history.update(_raw_inputs(source, y))
        parts.update(data=_tree(build_dir, "data"), history=history, ref=reference,
                     nb=_tree(root, "notebooks/02_analyze.ipynb"), libs=_lib_versions(_PY_LIBS))
    elif step == "compose":
        parts.update(metrics=_tree(build_dir, "metrics.json"), template=_tree(root, "report/bao-cao.qmd.j2"),
                     meta={k: file_digest(raw / k) for k in (META_FILE, NARRATIVE_FILE) if (raw / k).exists()},
                     libs=_lib_versions(("jinja2",)))
    elif step in ("html", "pdf"):
        assets = ("report/html", "report/filters") if step == "html" else ("report/typst", "report/filters", "report/fonts")
        parts.update(qmd=_tree(build_dir, f"bao-cao-{year}.qmd"), figures=_tree(build_dir, "figures"),
                     assets={a: _tree(root, a) for a in assets}, quarto=_tree(root, "_quarto.yml"),
                     renderer=renderer_fingerprint(renderer))
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _load_state(build_dir: Path) -> dict:
    try:
        return json.loads((build_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _outputs_exist(step: str, year: int, build_dir: Path) -> bool:
    return all((build_dir / o.format(year=year)).exists() for o in STEP_OUTPUTS[step])


def stale_steps(project: Project, year: int, build_dir: Path, renderer, formats: Sequence[str]) -> list[str]:
    """Steps whose inputs changed since the build in ``build_dir`` (empty: nothing to do)."""
    state = _load_state(build_dir)
    wanted = [s for s in RUN_STEPS if s not in ("html", "pdf") or s in formats]
    stale = []
    for step in wanted:
        if stale or state.get(step) != step_key(step, project, year, build_dir, renderer) \
                or not _outputs_exist(step, year, build_dir):
            stale.append(step)
    return stale


def build_year(
    project: Project,
    year: int,
    *,
    renderer_name: str = "auto",
    formats: Sequence[str] = ("html", "pdf"),
    progress: Progress | None = None,
    wait: bool = False,
    force: bool = False,
) -> BuildResult:
    """Build one year: only the steps whose inputs changed (all with ``force``), staged and
    promoted at the end, under the year's lock."""
    from .render import get_renderer

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
    final = project.build_dir(year)
    result = BuildResult(year, unit=project.unit.id)

    def finish(folder: Path) -> BuildResult:
        result.outputs = {fmt: folder / f"bao-cao-{year}.{fmt}" for fmt in formats}
        result.outputs["qmd"] = folder / f"bao-cao-{year}.qmd"
        result.rejected_rows = _rejected_rows(folder)
        return result

    lock = _lock(project, year, wait)
    try:
        return _build_locked(project, year, renderer, formats, progress, force, final, result, finish)
    except BaocaoError as exc:
        if final.is_dir():
            exc.hint_vi = (exc.hint_vi + "; " if exc.hint_vi else "") + f"báo cáo tốt gần nhất trong {project.rel(final)} được giữ nguyên"
            exc.hint_en = (exc.hint_en + "; " if exc.hint_en else "") + f"the last good report in {project.rel(final)} is untouched"
        raise
    finally:
        lock.release()


def _build_locked(project: Project, year: int, renderer, formats: Sequence[str], progress: Progress, force: bool,
                  final: Path, result: BuildResult, finish: Callable[[Path], BuildResult]) -> BuildResult:
    """The build itself, once the year's lock is held."""
    from .atomic import sweep_temporaries
    from .render.options import RenderOptions

    _recover(project, year)
    sweep_temporaries(final)
    if not force and final.is_dir() and not stale_steps(project, year, final, renderer, formats):
        result.up_to_date = True
        return finish(final)
    options = RenderOptions.from_project(project.root)
    # One fixed name (the year's lock makes it ours): the executed notebooks record it as their
    # build_dir, so the same build reads the same in the record every time.
    staging = project.build_root / f".{year}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        if final.is_dir() and not force:
            shutil.copytree(final, staging, dirs_exist_ok=True)  # reuse what is still up to date
        state = {} if force else _load_state(staging)
        for name in RUN_STEPS:
            if name in ("html", "pdf") and name not in formats:
                continue
            # Keys are computed on the staged files, so a step whose inputs came out
            # byte-identical from a re-run earlier step is still skipped.
            key = step_key(name, project, year, staging, renderer)
            if state.get(name) == key and _outputs_exist(name, year, staging):
                progress(year, name, "skip", 0.0)
                continue
            for out in STEP_OUTPUTS[name]:
                target = staging / out.format(year=year)
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
            progress(year, name, "start", 0.0)
            t0 = time.perf_counter()
            _run_step(name, project, year, staging, renderer, options)
            result.timings[name] = time.perf_counter() - t0
            result.ran.append(name)
            progress(year, name, "done", result.timings[name])
            state[name] = key
        write_json(staging / STATE_FILE, state)
        progress(year, "manifest", "start", 0.0)
        t0 = time.perf_counter()
        write_manifest(project, year, staging, renderer)
        progress(year, "manifest", "done", time.perf_counter() - t0)
        _promote(project, year, staging)
        staging = None
        return finish(final)
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _run_step(name: str, project: Project, year: int, build_dir: Path, renderer, options) -> None:
    if name in NOTEBOOKS:
        run_notebook(project, NOTEBOOKS[name], year, build_dir)
    elif name == "compose":
        compose_step(project, year, build_dir)
    else:
        renderer.render(build_dir / f"bao-cao-{year}.qmd", (name,), options=options)


def compose_step(project: Project, year: int, build_dir: Path) -> Path:
    from .atomic import write_text
    from .compose import compose
    from .figures import Figure
    from .narrative import load_meta, load_narrative

    metrics = json.loads((build_dir / "metrics.json").read_text(encoding="utf-8"))
    figures = [Figure(**f) for f in metrics["figures"]]
    meta = load_meta(project, year)
    narrative = load_narrative(project, year)
    text = compose(project, metrics, meta, narrative, figures)
    return write_text(build_dir / f"bao-cao-{year}.qmd", text)


def _rejected_rows(build_dir: Path) -> int:
    import csv

    path = build_dir / "data" / "accounting.csv"
    with open(path, encoding="utf-8") as fh:
        return sum(int(r["rejected"]) for r in csv.DictReader(fh))


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
def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if folder.is_dir() else []


def input_files(project: Project, year: int) -> list[Path]:
    """Everything a year's build reads: raw data (this and compared years), config, code."""
    files: list[Path] = []
    for y in range(year - project.unit.compare_years, year):
        for source in project.history_sources(y):  # a merged unit's history: its predecessors
            files += _files_under(source.raw_dir(y))
    files += _files_under(project.raw_dir(year))
    files += _files_under(project.root / "data" / "reference")
    files += [project.root / n for n in ("baocao.yml", "_quarto.yml", "requirements.lock") if (project.root / n).exists()]
    files += _files_under(project.notebooks_dir)
    files += _files_under(project.report_dir)
    return files


def _dependency_closure(root: str = "baocao") -> dict[str, str]:
    """Every installed package baocao depends on, directly or not, with its version."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = canonicalize_name(dist.metadata["Name"])
        if key in seen:
            continue
        seen[key] = dist.version
        for spec in dist.requires or ():
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    seen.pop("baocao", None)
    return seen


def tool_versions(renderer) -> dict[str, str]:
    versions = {"python": sys.version.split()[0], "baocao": __version__}
    versions.update(_dependency_closure())
    versions.update({f"renderer:{k}": v for k, v in renderer.versions().items()})
    versions["renderer"] = renderer.name
    return dict(sorted(versions.items()))


def _git_commit(root: Path) -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def write_manifest(project: Project, year: int, build_dir: Path, renderer) -> Path:
    """SHA-256 of every input and output, tool versions, parameters. Outputs are relative to
    build/<year>/; executed notebooks are listed but are records (not byte-stable)."""
    inputs = {p.relative_to(project.root).as_posix(): sha256(p) for p in input_files(project, year)}
    outputs = {}
    for p in _files_under(build_dir):
        rel = p.relative_to(build_dir).as_posix()
        if rel == "manifest.json" or Path(rel).name.startswith("."):
            continue
        outputs[rel] = sha256(p)
    manifest = {
        "baocao_version": __version__,
        "baocao_code": code_digest(),
        "year": year,
        "unit": project.unit.id,
        "parameters": {"year": year, "renderer": renderer.name, "compare_years": project.unit.compare_years},
        "git_commit": _git_commit(project.root),
        "tools": tool_versions(renderer),
        "inputs": inputs,
        "outputs": outputs,
        "records": sorted(k for k in outputs if k.startswith("notebooks/")),
    }
    return write_json(build_dir / "manifest.json", manifest)
