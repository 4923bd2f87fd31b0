"""Issue 22, the points left of "smaller" (item 7) and a hostile bag's YAML, through the command
line as a user (or an attacker) runs it:

- ``new-year`` killed midway: its temporaries never survive a rerun, and are never inputs;
- standard output closed early (``baocao build | head -1``): the command runs to its end and says
  so on stderr;
- a year held by another command: the refused one says which (build or archive, its command
  line, pid and start);
- ``build/<year>`` that is a symbolic link: refused, nothing left dangling;
- a narrative too large (a 5 MB paragraph): refused, naming the file, before anything is built;
- a YAML bomb, an oversize YAML file or a JSON nested past Python's limit inside a bag:
  ``reproduce`` refuses it with a message, in bounded memory, and runs nothing.

A kill -9 cannot be timed inside ``new-year`` (it writes a few small files in milliseconds), so
the first test lays out exactly what one leaves (a half-written temporary, the files not yet
written). The lock tests hold the year deterministically: a real ``baocao build`` whose standard
output is a pipe already full blocks at its first line, with the lock held.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import copy_project, run_cli

YEAR = 2023
NAME = f"binh-ngoc-{YEAR}"
CLOSED_EARLY = "standard output was closed early"


def no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".baocao-tmp-*"))


def run_with_closed_stdout(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``baocao …`` whose reader has gone (``| head`` after its line): the first write to
    standard output finds the pipe closed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "baocao", *args],
            cwd=cwd,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    finally:
        os.close(write_end)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", proc.stderr)


# ---------------------------------------------------------------------------- new-year killed midway
def test_new_year_killed_midway_leaves_nothing_a_rerun_keeps(tmp_path):
    project = copy_project(tmp_path / "p", years=[2024])
    raw = project / "data" / "raw" / "2025"
    run_cli("new-year", "2025", cwd=project)
    whole = {p.name: p.read_bytes() for p in raw.iterdir()}

    def killed_midway() -> None:
        """What a kill -9 inside new-year leaves: the file being written half-way under its
        temporary name, and the files after it not written at all."""
        (raw / ".baocao-tmp-k9x2ab.xlsx").write_bytes(whole["chi-tieu.xlsx"][:1000])
        for name in ("chi-tieu.xlsx", "thong-tin-bao-cao.yml", "nhan-dinh.md"):
            (raw / name).unlink(missing_ok=True)

    # Run again as it was: the files the killed run wrote are as this run writes them, so the
    # folder is completed (not refused), and the temporary removed, named.
    killed_midway()
    rerun = run_cli("new-year", "2025", cwd=project)
    assert temporaries(raw) == [] and ".baocao-tmp-k9x2ab.xlsx" in rerun.stdout, rerun.stdout
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == whole

    # A file edited since is never overwritten without --force; with it, the temporary goes too.
    killed_midway()
    (raw / "mttq-phuong.xlsx").write_bytes(b"edited since")
    refused = run_cli("new-year", "2025", cwd=project, check=False)
    assert refused.returncode == 2 and "mttq-phuong.xlsx" in refused.stderr, refused.stderr
    assert (raw / "mttq-phuong.xlsx").read_bytes() == b"edited since" and temporaries(raw) == []
    killed_midway()
    forced = run_cli("new-year", "2025", "--force", cwd=project)
    assert temporaries(raw) == [], forced.stdout
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == whole


# ---------------------------------------------------------------------------- stdout closed early
def test_a_closed_stdout_does_not_stop_a_command(tmp_path):
    project = copy_project(tmp_path / "p", years=[2022, 2023])
    proc = run_with_closed_stdout("validate", "--year", str(YEAR), cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert CLOSED_EARLY in proc.stderr and "baocao validate" in proc.stderr, proc.stderr
    no_traceback(proc)


@pytest.mark.e2e
def test_build_piped_into_head_completes_and_reads_no_temporary(sample_project, renderer, tmp_path):
    """``baocao build | head -1`` ends with a whole build and a word on stderr. The same build
    meets a temporary a killed run left among the inputs (never read, never in the manifest)
    and a ``.2023.old`` link an older version left (removed, its target untouched). The session's
    sample build, copied, with its narrative edited: the steps from compose on run again."""
    project = copy_project(tmp_path / "p")
    shutil.copytree(sample_project / "build" / str(YEAR), project / "build" / str(YEAR))
    raw = project / "data" / "raw" / str(YEAR)
    (raw / ".baocao-tmp-4f2.xlsx").write_bytes(b"PK\x03\x04 half")
    narrative = raw / "nhan-dinh.md"
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\nThêm một câu.\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("kept", encoding="utf-8")
    (project / "build" / f".{YEAR}.old").symlink_to(elsewhere, target_is_directory=True)

    proc = run_with_closed_stdout("build", "--year", str(YEAR), "--renderer", renderer, cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert CLOSED_EARLY in proc.stderr and "without error" in proc.stderr, proc.stderr
    no_traceback(proc)

    build = project / "build" / str(YEAR)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert "data/raw/2023/nhan-dinh.md" in manifest["inputs"]
    assert not [k for k in manifest["inputs"] if ".baocao-tmp-" in k]
    assert "Thêm một câu." in (build / f"bao-cao-{YEAR}.qmd").read_text(encoding="utf-8")
    again = run_cli("build", "--year", str(YEAR), "--renderer", renderer, cwd=project)
    assert "nothing changed, up to date" in again.stdout  # the build is whole: every output as recorded
    old = project / "build" / f".{YEAR}.old"
    assert not old.exists() and not old.is_symlink()
    assert (elsewhere / "keep.txt").read_text(encoding="utf-8") == "kept"


# ---------------------------------------------------------------------------- who holds the year
def full_pipe() -> tuple[int, int]:
    """A pipe whose buffer is full: a process writing to it blocks until it is read."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write_end, b"x" * 4096)
    os.set_blocking(write_end, True)
    return read_end, write_end


def kill_tree(proc: subprocess.Popen) -> None:
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.kill()
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    proc.wait(timeout=30)
    psutil.wait_procs(children, timeout=30)


def wait_for_holder(record: Path, proc: subprocess.Popen, timeout: float = 120) -> dict:
    """The lock's record once ``proc`` holds the year (it writes the record right after)."""
    end = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError):
            found = json.loads(record.read_text(encoding="utf-8"))
            if found.get("pid") == proc.pid:
                return found
        assert proc.poll() is None, f"exit {proc.returncode} before holding the year"
        assert time.monotonic() < end, "the holder never recorded itself beside the lock"
        time.sleep(0.05)


@pytest.mark.skipif(sys.platform == "win32", reason="a full pipe as standard output: POSIX here")
def test_a_year_held_by_a_build_names_that_build(tmp_path):
    project = copy_project(tmp_path / "p", years=[2022, 2023])
    read_end, write_end = full_pipe()
    holder = subprocess.Popen(
        [sys.executable, "-m", "baocao", "build", "--year", str(YEAR), "--force", "--renderer", "pandoc"],
        cwd=project,
        stdout=write_end,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    os.close(write_end)
    try:
        wait_for_holder(project / "build" / f".{YEAR}.lock.json", holder)
        for command, fix in (("build", "--wait"), ("archive", "then run again")):
            proc = run_cli(command, "--year", str(YEAR), cwd=project, check=False)
            assert proc.returncode == 3, proc.stderr
            said = f"another build of {YEAR} is running ('baocao build --year {YEAR} --force --renderer pandoc', "
            assert said in proc.stderr and f"pid {holder.pid}, started " in proc.stderr, proc.stderr
            assert fix in proc.stderr, proc.stderr
            no_traceback(proc)
    finally:
        kill_tree(holder)
        os.close(read_end)


def test_a_year_held_by_an_archive_says_archive(tmp_path):
    """What ``archive`` records when it takes the year (the same call), held by a helper."""
    project = copy_project(tmp_path / "p", years=[2023])
    helper = (
        "import sys\n"
        "from pathlib import Path\n"
        "from baocao.atomic import year_lock\n"
        "from baocao.config import Project\n"
        "p = Path(sys.argv[1])\n"
        f"lock = year_lock(Project(p, p / 'build'), {YEAR}, wait=False, command='archive')\n"
        "sys.stdin.read()\n"
        "lock.release()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", helper, str(project)], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_holder(project / "build" / f".{YEAR}.lock.json", holder)
        proc = run_cli("build", "--year", str(YEAR), cwd=project, check=False)
        assert proc.returncode == 3, proc.stderr
        assert f"an archive of {YEAR} is running (pid {holder.pid}, started " in proc.stderr, proc.stderr
        assert f"lệnh lưu trữ (archive) năm {YEAR} đang chạy" in proc.stderr
        assert "another build" not in proc.stderr
    finally:
        holder.communicate("", timeout=30)
    assert holder.returncode == 0


# ---------------------------------------------------------------------------- build/<year> as a link
def test_a_symlinked_build_folder_is_refused_and_nothing_dangles(tmp_path):
    project = copy_project(tmp_path / "p", years=[2023])
    target = tmp_path / "shared" / str(YEAR)
    target.mkdir(parents=True)
    (target / "bao-cao-2023.pdf").write_bytes(b"%PDF-1.7 the last good report")
    (project / "build").mkdir()
    link = project / "build" / str(YEAR)
    link.symlink_to(target, target_is_directory=True)

    proc = run_cli("build", "--year", str(YEAR), "--renderer", "pandoc", cwd=project, check=False)
    assert proc.returncode == 2, proc.stderr
    assert f"build/{YEAR} is a symbolic link to {target}" in proc.stderr, proc.stderr
    assert f"--build-dir {target.parent} build --year {YEAR}" in proc.stderr
    no_traceback(proc)
    assert link.is_symlink() and (target / "bao-cao-2023.pdf").read_bytes() == b"%PDF-1.7 the last good report"
    left = sorted(p.name for p in (project / "build").iterdir() if not p.name.startswith(f".{YEAR}.lock"))
    assert left == [str(YEAR)], left  # no .2023.old, no staging folder


# ---------------------------------------------------------------------------- a narrative too large
def test_a_huge_narrative_paragraph_is_refused_before_anything_is_built(tmp_path):
    project = copy_project(tmp_path / "p", years=[2022, 2023])
    narrative = project / "data" / "raw" / str(YEAR) / "nhan-dinh.md"
    text = narrative.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n\n")
    narrative.write_text(head + "\n\n" + "Phong trào phát triển mạnh. " * 180_000 + "\n\n" + rest, encoding="utf-8")
    assert narrative.stat().st_size > 5_000_000

    for command in ("validate", "build"):
        proc = run_cli(command, "--year", str(YEAR), cwd=project, check=False)
        assert proc.returncode == 1, proc.stderr
        said = proc.stdout + proc.stderr
        assert "nhan-dinh.md" in said and "over the narrative's limit of 256 KiB" in said, said
        no_traceback(proc)
    assert not (project / "build" / str(YEAR)).exists()
    assert not list((project / "build").glob(f".{YEAR}.staging*"))


def test_a_long_paragraph_is_named_by_its_line_and_a_long_list_is_not(tmp_path):
    project = copy_project(tmp_path / "p", years=[2022, 2023])
    narrative = project / "data" / "raw" / str(YEAR) / "nhan-dinh.md"
    original = narrative.read_text(encoding="utf-8")
    lines = original.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("## ")) + 1
    items = [f"- Khu {i}: tổ chức " + "các hoạt động an sinh, " * 20 for i in range(40)]  # ≈ 20,000 characters
    narrative.write_text("\n".join([*lines[:at], "", *items, "", *lines[at:]]) + "\n", encoding="utf-8")
    listed = run_cli("validate", "--year", str(YEAR), cwd=project, check=False)
    assert "longer than 10,000 characters" not in listed.stdout + listed.stderr

    paragraph = "Các khu dân cư tích cực hưởng ứng cuộc vận động. " * 250  # 12,500 characters, one line
    narrative.write_text("\n".join([*lines[:at], "", paragraph, "", *lines[at:]]) + "\n", encoding="utf-8")
    proc = run_cli("validate", "--year", str(YEAR), cwd=project, check=False)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 1, said
    assert f"the paragraph that starts on line {at + 2} is longer than 10,000 characters" in said, said
    no_traceback(proc)


# ---------------------------------------------------------------------------- a hostile bag's YAML
def _bomb() -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def fake_archive(tmp_path_factory) -> Path:
    """test_archive's small fake project (a real manifest.json, no notebooks run), archived."""
    from .test_archive import make_fake_project

    project = make_fake_project(tmp_path_factory.mktemp("fake") / "project")
    run_cli("archive", "--year", str(YEAR), cwd=project.root)
    return project.root / "archive" / NAME


def _limited_memory():  # pragma: no cover - runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


@pytest.mark.skipif(sys.platform == "win32", reason="the memory bound is set with setrlimit (POSIX)")
@pytest.mark.parametrize(
    ("rel", "edit", "said"),
    [
        ("data/source/data/raw/2023/thong-tin-bao-cao.yml", "bomb", "the YAML alias '*a0' is not allowed"),
        ("data/source/baocao.yml", "bomb", "the YAML alias '*a0' is not allowed"),
        ("data/source/data/raw/2023/thong-tin-bao-cao.yml", "huge", "the file is larger than 1024 KiB"),
        ("data/report/manifest.json", "deep", "not valid JSON"),
        ("data/report/manifest.json", "huge", "too large"),
    ],
    ids=["meta-bomb", "config-bomb", "meta-67MB", "manifest-nested", "manifest-40MB"],
)
def test_reproduce_refuses_a_hostile_file_in_an_intact_bag(fake_archive, tmp_path, rel, edit, said):
    import bagit

    bag = tmp_path / NAME
    shutil.copytree(fake_archive, bag)
    path = bag / rel
    if edit == "bomb":
        path.write_text(path.read_text(encoding="utf-8") + _bomb(), encoding="utf-8")
    elif edit == "deep":
        path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    elif path.suffix == ".json":
        manifest = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**manifest, "pad": "x" * (40 << 20)}), encoding="utf-8")
    else:
        path.write_text(path.read_text(encoding="utf-8") + "# " + "x" * (67 << 20) + "\n", encoding="utf-8")
    if rel.startswith("data/source/"):  # the build's manifest names the sources' bytes too
        m_path = bag / "data" / "report" / "manifest.json"
        manifest = json.loads(m_path.read_text(encoding="utf-8"))
        import hashlib

        manifest["inputs"][rel.removeprefix("data/source/")] = hashlib.sha256(path.read_bytes()).hexdigest()
        m_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    bagit.Bag(str(bag)).save(manifests=True)  # intact in itself: an unsigned bag proves nothing more

    proc = subprocess.run(
        [sys.executable, "-m", "baocao", "reproduce", str(bag)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_limited_memory,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert said in out and Path(rel).name in out, out
    assert "rebuilding" not in out  # nothing ran
    no_traceback(proc)
