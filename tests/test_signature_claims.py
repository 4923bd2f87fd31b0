"""Signatures as people read them: a key file's stated fingerprint and name must be its key's,
and ``verify`` says which unit and year a bag holds, warning when its name says otherwise."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_cli


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(project, its signed 2023 zip, the folder of two key pairs A and B)."""
    base = tmp_path_factory.mktemp("claims")
    project = copy_project(base / "p", years=[2022, 2023])
    keys = base / "keys"
    run_cli("keygen", "--out", str(keys / "a"), "--name", "Ban Thường trực A", cwd=base)
    run_cli("keygen", "--out", str(keys / "b"), "--name", "Ban Thường trực B", cwd=base)
    run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=project)
    run_cli("archive", "--year", "2023", "--sign", str(keys / "a" / "baocao-signing.key"), cwd=project)
    return project, project / "archive" / "binh-ngoc-2023.zip", keys


def _fingerprint(pub: Path) -> str:
    return re.search(r"Fingerprint: (\S+)", pub.read_text(encoding="utf-8")).group(1)


def test_a_public_key_file_stating_another_keys_fingerprint_is_refused(signed, tmp_path):
    project, bag, keys = signed
    a, b = keys / "a" / "baocao-signing.pub", keys / "b" / "baocao-signing.pub"
    forged = tmp_path / "forged.pub"  # B's key, presented with A's fingerprint and name
    forged.write_text(
        b.read_text(encoding="utf-8").replace(_fingerprint(b), _fingerprint(a)).replace("B", "A", 1),
        encoding="utf-8",
    )
    proc = run_cli("verify", str(bag), "--key", str(forged), cwd=project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert _fingerprint(a) in out and _fingerprint(b) in out and "states the fingerprint" in out, out


def test_a_public_key_file_naming_another_signer_is_an_error(signed, tmp_path):
    project, bag, keys = signed
    a = keys / "a" / "baocao-signing.pub"
    renamed = tmp_path / "renamed.pub"  # A's key under another committee's name
    renamed.write_text(
        a.read_text(encoding="utf-8").replace("Ban Thường trực A", "Ban Thường trực X"), encoding="utf-8"
    )
    proc = run_cli("verify", str(bag), "--key", str(renamed), cwd=project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "signed as 'Ban Thường trực A'" in out and "names 'Ban Thường trực X'" in out, out
    ok = run_cli("verify", str(bag), "--key", str(a), cwd=project)
    assert "signed by Ban Thường trực A" in ok.stdout


def test_verify_says_which_unit_and_year_and_warns_on_a_renamed_bag(signed, tmp_path):
    project, bag, _keys = signed
    proc = run_cli("verify", str(bag), cwd=project)
    assert "unit binh-ngoc, năm / year 2023" in proc.stdout and "WARNING" not in proc.stdout, proc.stdout
    renamed = tmp_path / "binh-ngoc-2022.zip"
    shutil.copyfile(bag, renamed)
    proc = run_cli("verify", str(renamed), cwd=project)
    assert "unit binh-ngoc, năm / year 2023" in proc.stdout, proc.stdout
    assert "WARNING" in proc.stdout and "binh-ngoc-2022.zip" in proc.stdout and "'binh-ngoc-2023'" in proc.stdout
