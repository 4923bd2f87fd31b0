"""Does a bag carry code other than the installed project's?

A bag is data from elsewhere. Rebuilding it runs its notebooks (Python), its Lua filters and
templates (pandoc, typst, Jinja2), its ``_quarto.yml`` (which names filters) and the row
rules of its ``data/reference/inputs.yml`` (Python expressions). Each of those files is
compared, by SHA-256, with the same file of the installed project, and the package code
digest the build recorded with the installed ``baocao``'s. ``reproduce`` refuses a bag with
any difference unless it is told ``--trust-bag-code``; ``verify`` lists them as information.

The installed project is, in this order: ``--project DIR``; the project the command runs in
(a ``baocao.yml`` here or above); the source tree the installed ``baocao`` package comes from
(an editable install, as the README's ``make`` sets up). With none of these, nothing can be
compared and every code file of the bag counts as different.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import CONFIG_NAME, Project
from ..errors import ConfigError, UsageError
from ..steps import code_digest
from .layout import files, sha256

PACKAGE_CODE = "baocao (mã gói / package code)"


def is_code(rel: str) -> bool:
    """A project-relative path whose content is run or interpreted by a build."""
    return (
        rel.startswith("notebooks/")
        or (rel.startswith("report/") and not rel.startswith("report/fonts/"))
        or rel in ("_quarto.yml", "data/reference/inputs.yml")
    )


@dataclass(frozen=True)
class CodeDifference:
    path: str  # the bag's file (data/source/…), or PACKAGE_CODE
    in_bag: str | None  # sha256 (None: not recorded)
    installed: str | None  # sha256 (None: no such file installed)

    def line(self) -> str:
        none = "(không có / none)"
        return (
            f"  {self.path}: trong túi / in the bag {self.in_bag or none}, "
            f"cài ở đây / installed {self.installed or none}"
        )


def _within(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def installed_project(explicit: Path | str | None = None, bag_dir: Path | None = None) -> Path | None:
    """The folder of the project whose code is trusted (see the module's docstring). A project
    inside the bag being judged (``cd bag/data/source``) is never its own reference."""
    if explicit:
        root = Project.find(Path(explicit)).root
        if bag_dir is not None and _within(root, bag_dir):
            raise UsageError(
                f"--project {explicit} nằm trong chính túi lưu trữ: không dùng để so sánh",
                f"--project {explicit} is inside the bag itself: it cannot be the reference",
                hint_vi="chỉ ra dự án baocao cài ở máy này",
                hint_en="give the baocao project installed here",
            )
        return root
    try:
        here = Project.find(None).root
    except ConfigError:
        here = None
    if here is not None and not (bag_dir is not None and _within(here, bag_dir)):
        return here
    source = Path(__file__).resolve().parents[3]  # src/baocao/archive/trust.py → the checkout
    if (source / CONFIG_NAME).is_file() and (source / "notebooks").is_dir():
        return source
    return None


def code_differences(bag_dir: Path, manifest: dict, reference: Path | None) -> list[CodeDifference]:
    """Every code file of the bag that the installed project does not have byte for byte,
    and the package code when the bag's build recorded another (or none)."""
    source = bag_dir / "data" / "source"
    found = []
    for p in files(source) if source.is_dir() else []:
        rel = p.relative_to(source).as_posix()
        if not is_code(rel):
            continue
        mine = reference / rel if reference is not None else None
        installed = sha256(mine) if mine is not None and mine.is_file() else None
        theirs = sha256(p)
        if theirs != installed:
            found.append(CodeDifference(f"data/source/{rel}", theirs, installed))
    recorded = manifest.get("baocao_code")
    if recorded != code_digest():
        found.append(CodeDifference(PACKAGE_CODE, recorded if isinstance(recorded, str) else None, code_digest()))
    return found
