"""A typo in a configuration or metadata file never changes a report silently, and no YAML
file can exhaust the machine: every file is checked against its declared schema
(baocao.configschema) and read by the guarded reader (baocao.yamlfile), through the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_cli

META = "data/raw/2023/thong-tin-bao-cao.yml"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("schema") / "p", years=[2022, 2023])


@pytest.fixture
def edit(project):
    """Edit a project file for one test; put it back afterwards."""
    saved: dict[Path, bytes] = {}

    def change(rel: str, old: str, new: str, count: int = 1) -> int:
        path = project / rel
        saved.setdefault(path, path.read_bytes())
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        line = text[: text.index(old)].count("\n") + 1
        path.write_text(text.replace(old, new, count), encoding="utf-8")
        return line

    yield change
    for path, data in saved.items():
        path.write_bytes(data)


def _fails(project: Path, *args: str) -> str:
    proc = run_cli(*args, cwd=project, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out, out
    assert not (project / "build" / "2023").exists(), "nothing may be built"
    return out


@pytest.mark.parametrize(
    ("rel", "old", "new", "typo", "meant"),
    [
        ("data/reference/indicators.yml", "\nchi_tieu:", "\nchi_tieuu:", "chi_tieuu", "chi_tieu"),
        ("data/reference/inputs.yml", "required: false", "requred: false", "requred", "required"),
        ("data/reference/inputs.yml", "header: ", "headr: ", "headr", "header"),
        ("data/reference/catalogues.yml", "aliases:", "alias:", "alias", "aliases"),
        ("baocao.yml", "compare_years:", "compare_year:", "compare_year", "compare_years"),
        ("baocao.yml", "\nsigner:", "\nsigher:", "sigher", "signer"),
        ("baocao.yml", "\nrecipients:", "\nrecipents:", "recipents", "recipients"),
        (META, "nguoi_ky:", "nguoi_kyy:", "nguoi_kyy", "nguoi_ky"),
        (META, "ho_ten:", "ho_tne:", "ho_tne", "ho_ten"),
        (META, "noi_nhan:", "noi_nhann:", "noi_nhann", "noi_nhan"),
    ],
)
def test_a_misspelt_key_is_named_with_its_line_and_close_match(project, edit, rel, old, new, typo, meant):
    line = edit(rel, old, new) + old.startswith("\n")
    out = _fails(project, "validate", "--year", "2023")
    name = Path(rel).name
    assert re.search(rf"{re.escape(name)}, (dòng|line) {line}\b", out) or (
        name in out and re.search(rf"(dòng|row|line) {line}\b", out)
    ), out
    assert f"'{typo}'" in out and f"'{meant}'" in out, out
    assert "did you mean" in out and "ý bạn là" in out, out


def test_a_misspelt_quarto_option_is_refused_before_a_build(project, edit):
    line = edit("_quarto.yml", "  formats:", "  fromats:")
    out = _fails(project, "build", "--year", "2023")
    assert f"_quarto.yml, line {line}, key 'baocao.fromats'" in out, out
    assert "did you mean 'formats'?" in out and "ý bạn là 'formats'?" in out, out


def test_every_problem_of_the_reference_is_in_one_message(project, edit):
    edit("data/reference/indicators.yml", "\nchi_tieu:", "\nchi_tieuu:")
    edit("data/reference/inputs.yml", "required: false", "requred: false")
    edit("data/reference/indicators.yml", "kind: percent", "kind: procent")
    edit("data/reference/indicators.yml", "decimals: 0", "decimals: zero")
    out = _fails(project, "validate", "--year", "2023")
    for said in (
        "'chi_tieuu'",
        "'requred'",
        "kind must be one of count, money, percent, number (value 'procent'; did you mean 'percent'?)",
        "decimals': Input should be a valid integer",
    ):
        assert said in out, out
    assert "chi_tieu': required key is missing" not in out, "a misspelt key is named once, as misspelt"


def test_a_wrong_type_in_baocao_yml_is_named(project, edit):
    line = edit("baocao.yml", "compare_years: 3", "compare_years: three")
    out = _fails(project, "validate", "--year", "2023")
    assert f"baocao.yml, line {line}, key 'unit.compare_years'" in out, out


def _bomb(root: str) -> str:
    lines = [f"{root}a0: &a0 [" + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"{root}a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rel", [META, "baocao.yml", "data/reference/catalogues.yml"])
def test_a_yaml_alias_bomb_is_refused_before_it_expands(project, edit, rel):
    line = edit(rel, "\n", "\n" + _bomb(""), count=1) + 2  # the first alias: line of a1
    out = _fails(project, "validate", "--year", "2023")
    assert "'*a0'" in out and f"{line}" in out, out
    assert "alias" in out and "bí danh" in out, out


def test_an_oversize_metadata_file_is_refused(project, edit):
    edit(META, "\n", "\n# " + "x" * (2 << 20) + "\n")
    out = _fails(project, "validate", "--year", "2023")
    assert "1024 KiB" in out, out
