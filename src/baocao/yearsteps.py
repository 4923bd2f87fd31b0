"""The bodies of the two notebook steps of the step table (:mod:`baocao.steps`).

``clean_step`` and ``analyze_step`` are what the notebooks call (``01_clean.ipynb``,
``02_analyze.ipynb``): the notebook is the readable record, the logic is here. (The compose
step's body, ``steps.compose_step``, sits beside the table.) Each reads and writes only the
build folder it is given: the staging folder of ``baocao build``, or ``scratch/<year>/`` when a
notebook is run by hand.
"""

from __future__ import annotations

from pathlib import Path

from .atomic import write_json
from .config import BuildFiles, Project
from .errors import UsageError


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
    from .clean import clean_year, write_clean
    from .schema import validate_result
    from .tidycache import store_from

    project = _step_project(project_dir, unit, build_dir)
    result = clean_year(project, year)
    validate_result(project, result, year)
    write_clean(result, Path(build_dir) / BuildFiles.DATA)
    store_from(project, year, Path(build_dir) / BuildFiles.DATA)  # for the years that compare with this one
    return result


def analyze_step(project_dir: str | Path, year: int, build_dir: str | Path, unit: str | None = None) -> dict:
    """Metrics, figures and the data-quality record from the tidy tables (and earlier years')."""
    import pandas as pd

    from .clean import read_clean
    from .clean.tidy import read_csv
    from .figures import make_figures
    from .history import load_history
    from .metrics import compute_metrics
    from .quality import write_record

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
    figures = make_figures(metrics, build_dir / BuildFiles.FIGURES)
    metrics["figures"] = [f.__dict__ for f in figures]
    write_json(build_dir / BuildFiles.METRICS, metrics)
    write_record(project, year, build_dir)  # chat-luong-so-lieu-<year>.html, for the analyst
    return metrics
