"""Where a notebook writes: the build's staging folder, or a scratch folder of its own.

The notebooks' parameters cell holds ``year`` and ``unit``; ``project_dir`` and ``build_dir``
are empty unless the build passes them. Run by the build (``baocao build``, ``quarto render``
at the project root), the build passes its staging folder, which replaces ``build/<year>/``
only when every step succeeded. Run by hand (Papermill, "Run All" in JupyterLab, ``quarto
render … --execute``), ``build_dir`` is empty and the notebook writes into
``scratch/<year>/`` (``scratch/<unit>/<year>/`` in a multi-unit project), derived from
``year`` and ``unit`` alone: changing ``year`` never touches another year, and nothing run by
hand ever reaches a published ``build/<year>/``, which has a lock, a staging folder and a
manifest that a hand run would bypass. A ``build_dir`` that names a published build folder is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import Project
from .errors import UsageError

SCRATCH = "scratch"


@dataclass(frozen=True)
class NotebookFolders:
    """The folders one notebook run reads and writes."""

    project_dir: str  # the project root (holds baocao.yml)
    build_dir: str  # where the notebook's outputs go
    by_hand: bool  # True when no build passed a folder: a scratch folder


def scratch_dir(project: Project, year: int) -> Path:
    """``scratch/<year>/`` (``scratch/<unit>/<year>/`` in a multi-unit project)."""
    base = project.root / SCRATCH
    if project.unit_id and project.multi_unit:
        base = base / project.unit_id
    return base / str(int(year))


def notebook_folders(year: int, unit: str = "", project_dir: str = "", build_dir: str = "") -> NotebookFolders:
    """The folders for a notebook's parameters: the project found from ``project_dir`` (or
    from the working folder, so a notebook runs from ``notebooks/`` or from the root), and
    ``build_dir`` as given or, when empty, the scratch folder of ``year`` and ``unit``."""
    project = Project.find(Path(project_dir) if project_dir else None)
    if unit:
        project = project.for_unit(unit)
    if not build_dir:
        target = scratch_dir(project, year)
        target.mkdir(parents=True, exist_ok=True)
        published = project.rel(project.build_dir(year))
        print(
            f"Chạy tay (không qua baocao build): kết quả ghi vào {project.rel(target)}/, "
            f"không bao giờ vào {published}/\n"
            f"Run by hand (not by baocao build): writing into {project.rel(target)}/, never into {published}/"
        )
        return NotebookFolders(str(project.root), str(target), True)
    target = Path(build_dir)
    if not target.is_absolute():
        target = Path.cwd() / target
    _refuse_published(project, target.resolve(), year)
    return NotebookFolders(str(project.root), str(target), False)


def _refuse_published(project: Project, target: Path, year: int) -> None:
    years = set(project.years_available()) | {int(year)}
    published = {project.build_dir(y).resolve() for y in years} | {project.build_root.resolve()}
    if target in published:
        raise UsageError(
            f"build_dir = {project.rel(target)} là thư mục báo cáo đã công bố: notebook chạy tay không ghi vào đó",
            f"build_dir = {project.rel(target)} is a published build folder: a notebook run by hand never writes there",
            hint_vi=f"bỏ tham số build_dir (kết quả vào {SCRATCH}/{year}/), hoặc dựng năm đó bằng "
            f"`baocao build --year {year}`",
            hint_en=f"leave build_dir out (the outputs go to {SCRATCH}/{year}/), or build the year with "
            f"`baocao build --year {year}`",
        )
