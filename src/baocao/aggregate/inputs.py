"""Which files an aggregate unit's year reads: its members' bags where they are expected, its
own files, its project files. Used by its build (:mod:`.build`: the manifest's inputs and the
incremental key), by ``baocao archive`` (the bag holds them) and by the intake (:mod:`.intake`)."""

from __future__ import annotations

from pathlib import Path

from ..config import BuildFiles, Project


def bag_path(project: Project, member: str, year: int) -> Path:
    """Where the member's bag of ``year`` is expected: ``data/raw/<aggregate>/<year>/<member>-<year>.zip``."""
    from ..archive.layout import bag_name

    return project.raw_dir(year) / f"{bag_name(member, year)}.zip"


def unexpected_files(project: Project, year: int) -> list[str]:
    """Files of the aggregate's year folder that are neither a member's bag nor the
    aggregate's own metadata: named in the data-quality record, never read."""
    from .targets import TARGETS_FILE

    expected = {bag_path(project, m.id, year).name for m in project.unit.members}
    expected |= {"thong-tin-bao-cao.yml", "nhan-dinh.md", TARGETS_FILE}
    folder = project.raw_dir(year)
    return sorted(p.name for p in folder.iterdir() if p.name not in expected) if folder.is_dir() else []


#: The project files the compiled report is made with: inputs like the members' reports (its
#: key: any change rebuilds it; its bag: a project tree ``baocao reproduce`` builds again).
PROJECT_FILES = ("report/tong-hop.qmd.j2", "report/html", "report/typst", "report/word", "report/filters",
                 "report/fonts", "_quarto.yml", "data/reference", "baocao.yml", "requirements.lock")  # fmt: skip


def input_files(project: Project, year: int) -> list[Path]:
    """Every file the aggregate's build reads (hashed for its manifest and its incremental key;
    packed into its bag by ``baocao archive``)."""
    from ..steps import files_under
    from .targets import TARGETS_FILE

    found = []
    for rel in PROJECT_FILES:
        path = project.root / rel
        found += files_under(path) if path.is_dir() else ([path] if path.is_file() else [])
    folder = project.raw_dir(year)
    found += [folder / n for n in ("thong-tin-bao-cao.yml", "nhan-dinh.md", TARGETS_FILE) if (folder / n).is_file()]
    members = {u.id for u in project.all_units if not u.is_aggregate}
    for m in project.unit.members:
        bag = bag_path(project, m.id, year)
        if bag.is_file():
            found.append(bag)
        elif m.id in members:
            build = project.for_unit(m.id).build_dir(year)
            found += [
                p
                for p in (
                    build / BuildFiles.MANIFEST,
                    build / BuildFiles.METRICS,
                    build / BuildFiles.DATA / BuildFiles.WARNINGS,
                )
                if p.is_file()
            ]
        if m.key and (project.root / m.key).is_file():
            found.append(project.root / m.key)
    return sorted(dict.fromkeys(found))
