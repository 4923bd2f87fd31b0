"""Environment failures (exit 3) are one bilingual message, never a traceback: a build folder
that is not a folder or cannot be written, for build and validate alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import copy_project, run_cli


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("env") / "p", years=[2022, 2023])


@pytest.mark.parametrize("where", ["under-a-file", "not-writable"])
def test_a_bad_build_dir_is_exit_3_with_one_message(project, tmp_path, where):
    if where == "under-a-file":
        (tmp_path / "a-file").write_text("x", encoding="utf-8")
        build_dir = tmp_path / "a-file" / "build"
    else:
        build_dir = Path("/sys/kernel/baocao-build")  # not writable even as root
        if not Path("/sys/kernel").is_dir():
            pytest.skip("no /sys/kernel here")
    proc = run_cli(
        "--build-dir", str(build_dir), "build", "--year", "2023", "--renderer", "pandoc", cwd=project, check=False
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "không ghi được" in proc.stderr and "cannot write" in proc.stderr and "--build-dir" in proc.stderr
    assert "Lỗi 1/1" in proc.stdout and "done in" not in proc.stdout
