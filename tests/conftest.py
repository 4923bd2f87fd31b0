"""Shared fixtures. Each sample year is built at most once per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("baocao.yml", "_quarto.yml", "requirements.lock")
PROJECT_DIRS = ("data", "notebooks", "report")


def copy_project(dest: Path, years: list[int] | None = None) -> Path:
    """A project tree as a user has it (config, data, notebooks, templates), without build/."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, dest / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    if years is not None:
        for path in (dest / "data" / "raw").iterdir():
            if path.is_dir() and path.name.isdigit() and int(path.name) not in years:
                shutil.rmtree(path)
    return dest


def load_script(path: Path):
    """A script (scripts/make_sample_data.py, tests/data/bad/make_corpus.py) as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def run_cli(*args: str, cwd: Path, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m baocao …` as a user runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "baocao", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"baocao {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


RENDERERS = ("pandoc", "quarto")
NO_QUARTO = (
    "Quarto is not installed here (`quarto` is not on PATH); .ci/run installs Quarto 1.7.34 "
    "from ../shared/quarto/ before the tests"
)


def quarto_available() -> bool:
    return shutil.which("quarto") is not None


@pytest.fixture(scope="session", params=RENDERERS)
def renderer(request) -> str:
    """Each end-to-end test runs once per renderer present: pandoc + typst, and real Quarto."""
    if request.param == "quarto" and not quarto_available():
        pytest.skip(NO_QUARTO)
    return request.param


_SAMPLE_BUILDS: dict[str, Path] = {}


def sample_build(tmp_path_factory, renderer: str) -> Path:
    """The sample project with 2023 built by ``renderer``: at most once per test session."""
    if renderer not in _SAMPLE_BUILDS:
        project = copy_project(tmp_path_factory.mktemp(f"project-{renderer}") / "binh-ngoc")
        proc = run_cli("build", "--year", "2023", "--renderer", renderer, cwd=project)
        project.joinpath("build-2023.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        _SAMPLE_BUILDS[renderer] = project
    return _SAMPLE_BUILDS[renderer]


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory, renderer) -> Path:
    """A copy of the repository's project with the four sample years, 2023 built once per
    renderer through the CLI as a user builds it (staging, lock, incremental state)."""
    return sample_build(tmp_path_factory, renderer)


@pytest.fixture(scope="session")
def build_2023(sample_project) -> Path:
    return sample_project / "build" / "2023"


def clone_tree(dest: Path, venv: bool = True) -> Path:
    """A fresh clone of this tree as it stands (every file git tracks or would track, with its
    working content), committed, with the project's .venv beside it as `make report` leaves it."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], cwd=dest, check=True)
    if venv:
        (dest / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return dest
