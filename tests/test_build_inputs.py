"""A build's report comes from the bytes its manifest names, and a build never writes into
what it reads: through the CLI, as a careless user or an attacker would try it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_cli


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("inputs") / "p", years=[2022, 2023])


def test_an_input_replaced_during_the_build_is_named_and_nothing_is_promoted(project, tmp_path):
    """The attack of issue 22: an office file replaced (atomic rename) while the build runs.
    The file is replaced when the build reports that cleaning is done, so the report would
    have come from the old bytes; the build must name the file and promote nothing."""
    raw = project / "data" / "raw" / "2023"
    edited = tmp_path / "mttq-phuong.xlsx"
    import openpyxl

    openpyxl.load_workbook(raw / "mttq-phuong.xlsx").save(edited)  # the same sheets, other bytes
    assert edited.read_bytes() != (raw / "mttq-phuong.xlsx").read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "baocao", "build", "--year", "2023", "--renderer", "pandoc"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "01_clean.ipynb): xong / done" in line:
            os.replace(edited, raw / "mttq-phuong.xlsx")  # as `mv` does
            break
    out = "".join(seen) + proc.stdout.read()
    assert proc.wait(timeout=600) == 1, out
    assert "data/raw/2023/mttq-phuong.xlsx" in out and "changed while" in out, out
    assert "Traceback" not in out, out
    assert not (project / "build" / "2023").exists(), "a build whose inputs changed is never promoted"
    # built again, the manifest names the bytes now in place
    run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=project)
    manifest = json.loads((project / "build" / "2023" / "manifest.json").read_text(encoding="utf-8"))
    now = hashlib.sha256((raw / "mttq-phuong.xlsx").read_bytes()).hexdigest()
    assert manifest["inputs"]["data/raw/2023/mttq-phuong.xlsx"] == now


@pytest.mark.parametrize(
    ("build_dir", "named"),
    [("data/raw", "data/raw"), ("data", "data"), ("data/reference", "data/reference"), (".", "."), ("src", "src")],
)
def test_a_build_dir_inside_the_inputs_is_refused_naming_the_folder(project, build_dir, named):
    before = sorted(p.relative_to(project).as_posix() for p in (project / "data").rglob("*"))
    proc = run_cli("--build-dir", build_dir, "build", "--year", "2023", cwd=project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert f"lies in '{named}'" in out and f"nằm trong '{named}'" in out, out
    assert sorted(p.relative_to(project).as_posix() for p in (project / "data").rglob("*")) == before
    assert not (project / "2023").exists()


def test_a_global_option_after_the_command_says_where_it_goes(project):
    proc = run_cli("build", "--year", "2023", "--build-dir", "elsewhere", cwd=project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "goes BEFORE the command: baocao --build-dir elsewhere build --year 2023" in out, out
