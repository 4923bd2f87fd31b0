"""The step table: every step of a year's build, declared once.

Each :class:`Step` says what it is called, how it shows in progress lines, what runs it (a
notebook, a function, or the renderer), what it reads and what it writes. Everything else is
derived from this table: the incremental key of each step (:func:`step_key`), the files a
build's manifest lists as inputs (:func:`input_files`), the outputs each step records in the
state (pipeline), the progress labels (:data:`STEP_LABELS`), and the RO-Crate actions of an
archive. Adding a step here is enough for all of them to know it.

What a step reads is a list of sources, each a short string:

- ``"project:<path>"``  a file or folder of the project (``data/reference``, ``report/html`` …);
- ``"build:<path>"``    an output of an earlier step, in the build folder (``{year}`` allowed);
- ``"raw"``             the year's data files and metadata (``data/raw/<year>/``, not its narrative);
- ``"history"``         the data files of the years the report compares with;
- ``"meta"``            the year's ``thong-tin-bao-cao.yml`` and ``nhan-dinh.md``;
- ``"libs:<a>,<b>"``    versions of these Python packages;
- ``"renderer"``        the render backend and the versions of the tools it runs.

Every key also holds the step's name, the year, the package's code digest and the unit's
configuration (``baocao.yml``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import is_temporary
from .config import BuildFiles, Project

PY_LIBS = "libs:pandas,numpy,openpyxl,pandera,papermill,nbclient,ipykernel,matplotlib,jinja2,pyyaml"
RENDER_ASSETS = ("project:report/filters", "project:_quarto.yml", "renderer")


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]  # relative to the build folder; "{year}" is the year
    notebook: str | None = None  # notebooks/<notebook>, run by Papermill
    render: str | None = None  # an output format, made by the renderer
    # any other step: a function (project, year, build_dir) -> None
    run: Callable[[Project, int, Path], object] | None = field(default=None, compare=False)

    def outputs(self, year: int) -> tuple[str, ...]:
        extra = (f"{BuildFiles.NOTEBOOKS}/{self.notebook}",) if self.notebook else ()
        return tuple(w.format(year=year) for w in self.writes) + extra


def compose_step(project: Project, year: int, build_dir: Path) -> Path:
    """metrics.json + the year's metadata and narrative → bao-cao-<year>.qmd (Jinja2)."""
    from .atomic import write_text
    from .compose import compose
    from .figures import Figure
    from .narrative import load_meta, load_narrative

    metrics = json.loads((build_dir / BuildFiles.METRICS).read_text(encoding="utf-8"))
    figures = [Figure(**f) for f in metrics["figures"]]
    meta = load_meta(project, year)
    narrative = load_narrative(project, year)
    text = compose(project, metrics, meta, narrative, figures)
    return write_text(build_dir / BuildFiles.report(year, ".qmd"), text)


QMD = BuildFiles.REPORT + ".qmd"  # the composed report, which every render step reads
STEPS: list[Step] = [
    Step(
        "clean",
        "làm sạch, kiểm tra số liệu (01_clean.ipynb)",
        notebook="01_clean.ipynb",
        reads=("raw", "project:data/reference", PY_LIBS),
        writes=(BuildFiles.DATA,),
    ),
    Step(
        "analyze",
        "tính chỉ tiêu, vẽ biểu đồ (02_analyze.ipynb)",
        notebook="02_analyze.ipynb",
        reads=("build:" + BuildFiles.DATA, "raw", "history", "project:data/reference", PY_LIBS),
        writes=(BuildFiles.METRICS, BuildFiles.FIGURES, BuildFiles.QUALITY),
    ),
    Step(
        "compose",
        "soạn văn bản báo cáo (.qmd)",
        run=compose_step,
        reads=("build:" + BuildFiles.METRICS, "project:report/bao-cao.qmd.j2", "meta", "libs:jinja2"),
        writes=(QMD,),
    ),
    Step(
        "html",
        "xuất HTML",
        render="html",
        reads=("build:" + QMD, "build:" + BuildFiles.FIGURES, "project:report/html", *RENDER_ASSETS),
        writes=(BuildFiles.REPORT + ".html",),
    ),
    Step(
        "pdf",
        "xuất PDF (typst)",
        render="pdf",
        reads=(
            "build:" + QMD,
            "build:" + BuildFiles.FIGURES,
            "project:report/typst",
            "project:report/fonts",
            *RENDER_ASSETS,
        ),
        writes=(BuildFiles.REPORT + ".pdf",),
    ),
    Step(
        "docx",
        "xuất Word (.docx)",
        render="docx",
        reads=("build:" + QMD, "build:" + BuildFiles.FIGURES, "project:report/word", *RENDER_ASSETS),
        writes=(BuildFiles.REPORT + ".docx",),
    ),
]
# Not a step of the table: written after every build from all of the above.
MANIFEST_LABEL = f"ghi {BuildFiles.MANIFEST}"


def steps() -> list[Step]:
    return list(STEPS)


def step(name: str) -> Step:
    for s in STEPS:
        if s.name == name:
            return s
    raise KeyError(name)


def step_labels() -> dict[str, str]:
    return {**{s.name: s.label for s in STEPS}, "manifest": MANIFEST_LABEL}


def run_steps() -> tuple[str, ...]:
    return tuple(s.name for s in STEPS)


def render_steps() -> tuple[str, ...]:
    return tuple(s.name for s in STEPS if s.render)


# ---------------------------------------------------------------------------- digests
_DIGESTS: dict[tuple, str] = {}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, memoised within the process on (path, inode, size, mtime, ctime): every
    output is written to a new file and renamed into place, so a rewrite is a new inode."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256(path)
    return _DIGESTS[key]


def files_under(folder: Path) -> list[Path]:
    """The files below ``folder``, without caches and without the temporaries a killed run
    left (``.baocao-tmp-*``: half-written, never an input, swept by the next run)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and not is_temporary(p))


def tree(base: Path, rel: str) -> dict[str, str]:
    """Digests of a file or of every file below a folder, keyed by path relative to base."""
    path = base / rel
    if path.is_file():
        return {rel: file_digest(path)}
    return {p.relative_to(base).as_posix(): file_digest(p) for p in files_under(path)}


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


def lib_versions(names: Sequence[str]) -> dict[str, str]:
    """Versions of these installed packages (read once per process: the modules a process has
    imported are the versions it runs, whatever is installed later)."""
    return dict(_lib_versions(tuple(names)))


@functools.cache
def _lib_versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return tuple(out.items())


def renderer_fingerprint(renderer) -> dict[str, str]:
    """What decides the rendered bytes; cheap for the pandoc backend (pinned wheels)."""
    if renderer.name == "pandoc":
        return {"renderer": "pandoc", **lib_versions(("pypandoc_binary", "typst"))}
    return {"renderer": renderer.name, **renderer.versions()}


def _data_files(project: Project, year: int) -> list[Path]:
    """The year's data files and its metadata (which says what the year has not: a khu with
    no activity, a file not sent), not its narrative, which only compose reads."""
    from .narrative import NARRATIVE_FILE

    return [p for p in files_under(project.raw_dir(year)) if p.name != NARRATIVE_FILE]


def source_files(source: str, project: Project, year: int) -> list[Path]:
    """The project files a declared source stands for: a ``project:`` file or folder, the
    year's data (``raw``), the compared years' data (``history``: for a merged unit, its
    predecessors'), the year's metadata and narrative (``meta``). Empty for the sources that
    are not project files (``build:``, ``libs:``, ``renderer``)."""
    from .narrative import META_FILE, NARRATIVE_FILE

    kind, _, arg = source.partition(":")
    if kind == "project":
        path = project.root / arg
        return [path] if path.is_file() else files_under(path)
    if kind == "raw":
        return _data_files(project, year)
    if kind == "history":
        years = range(year - project.unit.compare_years, year)
        return [p for y in years for src in project.history_sources(y) for p in _data_files(src, y)]
    if kind == "meta":
        raw = project.raw_dir(year)
        return [raw / k for k in (META_FILE, NARRATIVE_FILE) if (raw / k).is_file()]
    return []


def _relative(project: Project, path: Path) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:  # a unit whose data folder lies outside the project
        return path.as_posix()


def data_files(project: Project, year: int) -> dict[str, str]:
    """The digests of the year's data files and metadata (what the ``raw`` source reads), keyed
    by path: what the cache of tidy tables (tidycache.py) keys a cleaned year by."""
    return {_relative(project, p): file_digest(p) for p in _data_files(project, year)}


def read_source(source: str, project: Project, year: int, build_dir: Path, renderer) -> object:
    """The content-addressed value of one declared source (see the module docstring)."""
    kind, _, arg = source.partition(":")
    if kind in ("project", "raw", "history", "meta"):
        return {_relative(project, p): file_digest(p) for p in source_files(source, project, year)}
    if kind == "build":
        return tree(build_dir, arg.format(year=year))
    if kind == "libs":
        return lib_versions(arg.split(","))
    if kind == "renderer":
        return renderer_fingerprint(renderer)
    raise ValueError(f"unknown source {source!r} in the step table")


def step_key(name: str, project: Project, year: int, build_dir: Path, renderer) -> str:
    """Hash of everything step ``name`` reads: its declared sources, plus the year, the code
    and the unit's configuration."""
    s = step(name)
    parts: dict[str, object] = {"step": name, "year": year, "code": code_digest(), "unit": project.unit_fingerprint()}
    if s.notebook:
        parts["notebook"] = tree(project.root, f"notebooks/{s.notebook}")
    for source in s.reads:
        parts[source] = read_source(source, project, year, build_dir, renderer)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def input_files(project: Project, year: int) -> list[Path]:
    """Every project file a year's build reads, from the step table: the year's raw folder
    (data, metadata and narrative), the compared years' data, every project file or folder a
    step declares, the notebooks, and the unit's configuration and the environment lock."""
    files: list[Path] = []
    for y in range(year - project.unit.compare_years, year):
        for unit in project.history_sources(y):
            files += files_under(unit.raw_dir(y))
    files += files_under(project.raw_dir(year))
    for s in STEPS:
        if s.notebook:
            files.append(project.notebooks_dir / s.notebook)
        files += [p for source in s.reads if source.startswith("project:") for p in source_files(source, project, year)]
    files += [project.root / n for n in ("baocao.yml", "requirements.lock") if (project.root / n).exists()]
    return sorted(dict.fromkeys(files))


def input_digests(project: Project, year: int) -> dict[str, str]:
    """SHA-256 of every file the year's build reads, by path relative to the project."""
    return {p.relative_to(project.root).as_posix(): file_digest(p) for p in input_files(project, year)}


def unchanged_since(project: Project, year: int, before: dict[str, str]) -> None:
    """:class:`InputsChangedError` naming every input added, removed or changed since ``before``
    (hashed again: a file replaced, even by an atomic rename, is a new file)."""
    from .errors import InputsChangedError

    now = input_digests(project, year)
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    if changed:
        raise InputsChangedError(changed)
