"""The command line as a new user meets it, through `python -m baocao`: help in Vietnamese with
the English beside it, usage mistakes answered in both languages with the likely fix (exit 2),
outside a project exit 3, paths relative to the folder the user stands in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import run_cli

COMMANDS = ("build", "validate", "new-year", "archive", "verify", "reproduce", "keygen")
VIETNAMESE = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)


def option_helps(text: str) -> dict[str, str]:
    """Each option or argument of a --help page and its help text (wrapped lines joined)."""
    body = text.split("\n\n", 2)[-1]
    helps: dict[str, str] = {}
    current = None
    for line in body.splitlines():
        m = re.match(r"^  (\S.*?)(?:\s{2,}(\S.*))?$", line)
        if m and not line.startswith("    ") and (m[1].startswith("-") or m[1].isupper() or "/" in m[1]):
            current = m[1]
            helps[current] = m[2] or ""
        elif current and line.startswith(" " * 10):
            helps[current] += " " + line.strip()
        elif not line.strip():
            current = None
    return helps


@pytest.mark.parametrize("command", ("",) + COMMANDS)
def test_every_help_is_vietnamese_with_english_beside_it(command, tmp_path):
    args = (command, "--help") if command else ("--help",)
    proc = run_cli(*args, cwd=tmp_path)  # help works anywhere, even outside a project
    text = proc.stdout
    assert text.startswith("Cách dùng / usage: baocao")
    assert "tùy chọn / options:" in text
    description = text.split("\n\n")[1]
    assert VIETNAMESE.search(description.splitlines()[0]), description
    assert re.search(r"^[A-Z][a-z].*[a-z]", description.splitlines()[-1]), "English on the line after"
    helps = {k: v for k, v in option_helps(text).items() if not k.startswith("LỆNH")}
    assert helps, text
    for option, help_text in helps.items():
        vi, sep, en = help_text.partition(" / ")
        assert sep and VIETNAMESE.search(vi) and re.search(r"[a-z]{3}", en), (option, help_text)


def test_a_year_without_year_says_use_year(tmp_path):
    proc = run_cli("build", "2023", cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert "dùng --year 2023" in proc.stderr and "use --year 2023" in proc.stderr
    assert "baocao build --year 2023" in proc.stderr
    assert proc.stderr.startswith("Lỗi: ") and "\nError: " in proc.stderr
    assert "usage:" not in proc.stderr.replace("Cách dùng / usage:", "") and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_a_two_digit_year_suggests_four_digits_never_new_year(tmp_path):
    for args in (("build", "--year", "23"), ("build", "23"), ("validate", "--year", "23"), ("new-year", "23")):
        proc = run_cli(*args, cwd=tmp_path, check=False)
        assert proc.returncode == 2, args
        assert "2023" in proc.stderr and "4 chữ số" in proc.stderr or "--year 2023" in proc.stderr, proc.stderr
        assert "new-year 23" not in proc.stderr, proc.stderr


def test_other_mistakes_are_one_bilingual_message_with_exit_2(tmp_path):
    cases = {
        ("biuld",): ("không có lệnh 'biuld'", "did you mean 'build'?"),
        ("build", "--renderer", "quatro"): ("không có lựa chọn 'quatro'", "did you mean 'quarto'?"),
        ("verify",): ("thiếu tham số bắt buộc", "missing the required argument"),
        ("build", "--jobs", "x"): ("không phải số nguyên", "is not a whole number"),
        ("build", "--year"): ("cần một giá trị", "needs a value"),
        ("build", "--force=1"): ("--force không nhận giá trị ('1')", "--force takes no value ('1')"),
        ("sign", "--year", "2023"): ("cần một trong các tham số --p12", "one of the arguments --p12"),
        ("site", "--renderer", "pandok"): ("không có lựa chọn 'pandok'", "did you mean 'pandoc'?"),
    }
    for args, (vi, en) in cases.items():
        proc = run_cli(*args, cwd=tmp_path, check=False)
        assert proc.returncode == 2, args
        assert vi in proc.stderr and en in proc.stderr, proc.stderr
        assert proc.stderr.count("Lỗi: ") == 1 and proc.stderr.count("Error: ") == 1
        assert "Traceback" not in proc.stderr


def test_outside_a_project_is_an_environment_error(tmp_path):
    proc = run_cli("build", "--year", "2023", cwd=tmp_path, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "không phải thư mục dự án" in proc.stderr and "not a baocao project" in proc.stderr
    assert "--project" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("--project", str(tmp_path), "validate", cwd=tmp_path, check=False)
    assert proc.returncode == 3


def test_paths_are_relative_to_the_folder_the_user_stands_in(sample_project, renderer):
    inside = run_cli("build", "--year", "2023", "--renderer", renderer, cwd=sample_project / "data")
    assert "\n  ../build/2023/bao-cao-2023.html\n" in inside.stdout, inside.stdout
    above = run_cli(
        "--project", sample_project.name, "build", "--year", "2023", "--renderer", renderer, cwd=sample_project.parent
    )
    assert f"\n  {sample_project.name}/build/2023/bao-cao-2023.docx" in above.stdout, above.stdout


def test_project_rel(tmp_path, monkeypatch):
    from baocao.config import Project

    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    project = Project(root, root / "build")
    target = root / "build" / "2023" / "x.pdf"
    for here, shown in (
        (root, "build/2023/x.pdf"),
        (root / "data", "../build/2023/x.pdf"),
        (tmp_path, "p/build/2023/x.pdf"),
    ):
        monkeypatch.chdir(here)
        assert project.rel(target) == shown
    other = tmp_path.parent / "elsewhere"
    other.mkdir(exist_ok=True)
    monkeypatch.chdir(other)
    assert project.rel(target) == str(Path(target).resolve())
