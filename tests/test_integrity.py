"""Integrity end to end on the 2023 sample: deterministic builds, a killed build, the build
lock, and archive → verify → reproduce through the command line.

Builds are expensive (≈ 7–30 s), so: build A is the shared session build of conftest
(``sample_project``); build B is built once here, in another folder (a non-ASCII path with a
space), later, under another time zone, locale and hash seed. The kill and lock tests work
on copies of B (with its build), so no test needs a third from-scratch build of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from .conftest import copy_project as shared_copy_project

pytestmark = pytest.mark.e2e

YEAR = 2023
NAME = f"binh-ngoc-{YEAR}"
LOCK_MESSAGE = f"another build of {YEAR} is running"


def baocao(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "baocao", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def start_build(project: Path, renderer: str, *extra: str, own_group: bool = False) -> subprocess.Popen:
    """A real build in the background (``--force``: every step runs, even when up to date);
    ``own_group``: in a process group of its own, as a terminal runs it (Ctrl-C signals the group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "baocao", "build", "--year", str(YEAR), "--renderer", renderer, *extra],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=own_group,
    )


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the build and the Jupyter kernel it started (the kernel runs in its own session)."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.send_signal(signal.SIGKILL)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    psutil.wait_procs(children, timeout=30)


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the build ended (exit {proc.returncode}) before the point to stop it\n{out}\n{err}")
        if time.monotonic() > end:
            kill_tree(proc)
            raise AssertionError("timed out waiting for the build to reach the point to stop it")
        time.sleep(0.02)


def staging_has(project: Path, rel: str):
    return lambda: any((s / rel).exists() for s in (project / "build").glob(f".{YEAR}.staging*"))


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def copy_project(dest: Path, with_build_of: Path | None = None) -> Path:
    """conftest's project copy, optionally with the 2023 build of another copy."""
    shared_copy_project(dest)
    if with_build_of is not None:
        shutil.copytree(with_build_of / "build" / str(YEAR), dest / "build" / str(YEAR))
    return dest


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def project_b(tmp_path_factory, sample_project, renderer) -> Path:
    """Build B: after build A, with the same renderer, elsewhere, with another clock zone,
    locale and hash seed."""
    project = copy_project(tmp_path_factory.mktemp("integrity") / "dự án khác")
    env = {"TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [sys.executable, "-m", "baocao", "build", "--year", str(YEAR), "--renderer", renderer],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )
    ok(proc)
    return project


@pytest.fixture
def clone_b(project_b, tmp_path) -> Path:
    """A copy of project B with its last good build, for tests that break things."""
    return copy_project(tmp_path / "clone", with_build_of=project_b)


@pytest.fixture(scope="module")
def archived(project_b) -> dict:
    t0 = time.perf_counter()
    proc = ok(baocao("archive", "--year", str(YEAR), cwd=project_b))
    seconds = time.perf_counter() - t0
    return {
        "proc": proc,
        "bag": project_b / "archive" / NAME,
        "zip": project_b / "archive" / f"{NAME}.zip",
        "seconds": seconds,
    }


# ---------------------------------------------------------------------------- 1. determinism
def test_two_builds_in_two_folders_are_byte_identical(sample_project, project_b):
    a, b = sample_project / "build" / str(YEAR), project_b / "build" / str(YEAR)
    ha, hb = tree_hashes(a), tree_hashes(b)
    records = {k for k in ha if k.startswith("notebooks/")}  # executed notebooks: records, hold paths
    compared = sorted(set(ha) | set(hb))
    different = [
        k
        for k in compared
        if k not in records and k != "manifest.json" and not k.startswith(".") and ha.get(k) != hb.get(k)
    ]
    assert different == [], f"outputs that differ between two builds: {different}"
    names = set(ha)
    for must in (
        f"bao-cao-{YEAR}.pdf",
        f"bao-cao-{YEAR}.html",
        f"bao-cao-{YEAR}.docx",
        f"bao-cao-{YEAR}.qmd",
        "metrics.json",
        "data/rejects.csv",
    ):
        assert must in names
    assert any(k.startswith("figures/") for k in names) and sum(k.startswith("data/") for k in names) >= 3
    # the two manifests agree on every input and every non-record output
    ma, mb = (json.loads((d / "manifest.json").read_text(encoding="utf-8")) for d in (a, b))
    assert ma["inputs"] == mb["inputs"]
    assert {k: v for k, v in ma["outputs"].items() if k not in ma["records"]} == {
        k: v for k, v in mb["outputs"].items() if k not in mb["records"]
    }
    assert (b / f"bao-cao-{YEAR}.pdf").stat().st_mtime - (a / f"bao-cao-{YEAR}.pdf").stat().st_mtime >= 1


def test_outputs_hold_no_absolute_path_and_no_clock_date(project_b):
    build = project_b / "build" / str(YEAR)
    needles = [str(project_b).encode(), str(project_b.parent).encode(), os.environ.get("HOME", "/root").encode() + b"/"]
    for p in build.rglob("*"):
        if p.is_file() and "notebooks" not in p.relative_to(build).parts and p.name != "manifest.json":
            data = p.read_bytes()
            assert not any(n in data for n in needles), f"{p.name} holds an absolute path"
    # The PDF's creation and modification time is the report's day (one fixed instant), not the clock.
    from baocao.config import Project
    from baocao.narrative import load_meta

    day = load_meta(Project(project_b, project_b / "build"), YEAR).date
    pdf = (build / f"bao-cao-{YEAR}.pdf").read_bytes()
    xmp = {dt.datetime.fromisoformat(s.decode()) for s in re.findall(rb"<xmp:(?:CreateDate|ModifyDate)>([^<]+)<", pdf)}
    # "D:20231205000000Z" (typst 0.14+), or a date alone, "D:20231205" (typst 0.13, in Quarto 1.7)
    info = {
        dt.datetime.strptime(d.decode(), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
        if z
        else dt.datetime.strptime(d.decode(), "%Y%m%d")
        for d, z in re.findall(rb"/(?:CreationDate|ModDate)\s*\(D:(\d{14}|\d{8})(Z?)\)", pdf)
    }
    assert len(xmp) == 1 and xmp == info, (xmp, info)
    stamp = xmp.pop()
    if stamp.tzinfo is None:  # a date without a time: that day, wherever it is read
        assert stamp.date() == day and stamp.time() == dt.time(0)
    else:
        assert stamp.astimezone(dt.UTC).date() == day  # reads as the report's day in UTC …
        assert stamp.astimezone(dt.timezone(dt.timedelta(hours=7))).date() == day  # … and in Việt Nam


# ---------------------------------------------------------------------------- 3. atomic, killed, locked
@pytest.mark.parametrize(
    "stop_after", ["data/accounting.csv", f"bao-cao-{YEAR}.qmd"], ids=["after-clean", "before-render"]
)
def test_killed_build_leaves_the_last_good_report(clone_b, stop_after, renderer):
    build = clone_b / "build" / str(YEAR)
    before = tree_hashes(build)
    proc = start_build(clone_b, renderer, "--force")
    wait_for(staging_has(clone_b, stop_after), proc)
    kill_tree(proc)
    assert proc.returncode == -signal.SIGKILL
    assert tree_hashes(build) == before  # every file of the last good build, byte for byte
    # The next build cleans up after the killed one, succeeds, and complains about nothing.
    again = ok(
        subprocess.run(
            [sys.executable, "-m", "baocao", "build", "--year", str(YEAR), "--renderer", renderer, "--force"],
            cwd=clone_b,
            capture_output=True,
            text=True,
            timeout=600,
        )
    )
    assert again.stderr.strip() == "", again.stderr
    assert not re.search(r"Lỗi|Error|Traceback", again.stdout)
    assert list((clone_b / "build").glob(f".{YEAR}.staging*")) == []
    assert list((clone_b / "build").glob(f".{YEAR}.old")) == []
    after = tree_hashes(build)
    assert after[f"bao-cao-{YEAR}.pdf"] == before[f"bao-cao-{YEAR}.pdf"]  # deterministic, too
    assert not any(".baocao-tmp-" in k for k in after)


def test_failed_build_keeps_the_last_good_report(clone_b, renderer):
    """Broken input (and a previous run killed between the two renames of the promotion):
    the build fails with exit 1, and the last good report is there, byte for byte."""
    build_root = clone_b / "build"
    before = tree_hashes(build_root / str(YEAR))
    os.replace(build_root / str(YEAR), build_root / f".{YEAR}.old")  # killed mid-promotion
    (clone_b / "data" / "raw" / str(YEAR) / "chi-tieu.xlsx").write_bytes(b"not an xlsx")
    proc = subprocess.run(
        [sys.executable, "-m", "baocao", "build", "--year", str(YEAR), "--renderer", renderer],
        cwd=clone_b,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    assert "chi-tieu.xlsx" in proc.stderr and "Traceback" not in proc.stderr
    assert tree_hashes(build_root / str(YEAR)) == before
    assert not (build_root / f".{YEAR}.old").exists() and list(build_root.glob(f".{YEAR}.staging*")) == []


def test_second_build_of_the_year_exits_3_or_waits(clone_b, renderer):
    first = start_build(clone_b, renderer, "--force")
    try:
        wait_for(lambda: list((clone_b / "build").glob(f".{YEAR}.staging*")), first)
        second = subprocess.run(
            [sys.executable, "-m", "baocao", "build", "--year", str(YEAR)],
            cwd=clone_b,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 3, second.stderr
        assert LOCK_MESSAGE in second.stderr and "--wait" in second.stderr
        assert "Traceback" not in second.stderr
        third = start_build(clone_b, renderer, "--wait")
        time.sleep(1.0)
        assert third.poll() is None or first.poll() is not None  # queued behind the first one
        out1, err1 = first.communicate(timeout=600)
        assert first.returncode == 0, err1
        out3, err3 = third.communicate(timeout=600)
        assert third.returncode == 0, err3
    finally:
        for p in (first, locals().get("third")):
            if p is not None and p.poll() is None:
                kill_tree(p)


# ---------------------------------------------------------------------------- 4–6. archive, verify, reproduce
def test_archive_makes_a_bag_and_a_zip(archived):
    out = archived["proc"].stdout
    assert f"archive/{NAME}.zip" in out and f"archive/{NAME}" in out
    assert archived["bag"].is_dir() and archived["zip"].is_file()
    data = archived["bag"] / "data"
    for rel in (
        f"report/bao-cao-{YEAR}.pdf",
        f"report/bao-cao-{YEAR}.html",
        f"report/bao-cao-{YEAR}.docx",
        f"report/bao-cao-{YEAR}.qmd",
        "report/manifest.json",
        "report/metrics.json",
        "processed/rejects.csv",
        "notebooks/executed/01_clean.ipynb",
        "notebooks/executed/02_analyze.ipynb",
        f"source/data/raw/{YEAR}/mttq-phuong.xlsx",
        "source/data/raw/2021/mttq-phuong.xlsx",
        "source/notebooks/02_analyze.ipynb",
        "source/report/bao-cao.qmd.j2",
        "source/baocao.yml",
        "source/_quarto.yml",
        "source/requirements.lock",
        "ro-crate-metadata.json",
    ):
        assert (data / rel).is_file(), rel
    assert (archived["bag"] / "README.txt").is_file()


def test_bagit_validator_accepts_the_bag(archived):
    import bagit

    bag = bagit.Bag(str(archived["bag"]))
    bag.validate(fast=False)
    assert bag.info["Bagging-Date"] == f"{YEAR}-11-24"  # the report's date (ngay_bao_cao), not today
    proc = subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", "--quiet", str(archived["bag"])], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_archive_twice_is_byte_identical(project_b, archived, tmp_path):
    ok(baocao("archive", "--year", str(YEAR), "--out", str(tmp_path), cwd=project_b))
    assert (tmp_path / f"{NAME}.zip").read_bytes() == archived["zip"].read_bytes()


def test_verify_intact(archived):
    for target in (archived["zip"], archived["bag"]):
        proc = ok(baocao("verify", str(target), cwd=target.parent))
        assert "intact" in proc.stdout


def test_verify_names_each_tampered_file(archived, tmp_path):
    bag = tmp_path / NAME
    shutil.copytree(archived["bag"], bag)
    pdf = bag / "data" / "report" / f"bao-cao-{YEAR}.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pdf.write_bytes(bytes(data))
    (bag / "data" / "processed" / "rejects.csv").unlink()
    (bag / "data" / "source" / "data" / "raw" / str(YEAR) / "them.xlsx").write_bytes(b"x")
    proc = baocao("verify", str(bag), cwd=tmp_path)
    assert proc.returncode == 1
    assert sorted(proc.stdout.strip().splitlines()) == sorted(
        [
            f"SAI LỆCH / CHANGED  data/report/bao-cao-{YEAR}.pdf: nội dung đã bị thay đổi (sha256, sha512 không khớp) "
            f"/ contents changed (sha256, sha512 mismatch)",
            "THIẾU / MISSING  data/processed/rejects.csv: có trong manifest nhưng không có trong túi "
            "/ listed in the manifest but not in the bag",
            f"THỪA / EXTRA  data/source/data/raw/{YEAR}/them.xlsx: có trong túi nhưng không có trong manifest nào "
            f"/ in the bag but in no manifest",
        ]
    )
    assert "NOT intact: 3 problem(s)" in proc.stderr and "Traceback" not in proc.stderr


def test_verify_refuses_a_zip_that_escapes(archived, tmp_path):
    evil = tmp_path / "evil.zip"
    shutil.copy(archived["zip"], evil)
    with zipfile.ZipFile(evil, "a") as zf:
        zf.writestr(f"{NAME}/../../thoat-ra.txt", b"pwned")
    proc = baocao("verify", str(evil), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"KHÔNG AN TOÀN / UNSAFE  {NAME}/../../thoat-ra.txt" in proc.stdout
    assert not list(tmp_path.parent.rglob("thoat-ra.txt"))


def test_reproduce_rebuilds_identically(archived, tmp_path):
    t0 = time.perf_counter()
    proc = ok(baocao("reproduce", str(archived["zip"]), cwd=tmp_path))
    seconds = time.perf_counter() - t0
    lines = proc.stdout.splitlines()
    manifest = json.loads((archived["bag"] / "data" / "report" / "manifest.json").read_text(encoding="utf-8"))
    expected = sorted(k for k in manifest["outputs"] if k not in manifest["records"])
    assert sorted(ln.split()[-1] for ln in lines if ln.startswith("giống / identical")) == expected
    assert not any("DIFFERENT" in ln or "MISSING" in ln for ln in lines)
    assert "WARNING" not in proc.stdout  # same install, same tools
    assert f"{len(expected)}/{len(expected)}" in proc.stdout
    print(f"archive {archived['seconds']:.1f} s, reproduce {seconds:.1f} s, zip {archived['zip'].stat().st_size} bytes")


def test_reproduce_refuses_a_damaged_zip(archived, tmp_path):
    bad = tmp_path / f"{NAME}.zip"
    with zipfile.ZipFile(archived["zip"]) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("source/baocao.yml"):
                data = data.replace("Bình Ngọc".encode(), "Bình Ngọc!".encode(), 1)
            zout.writestr(info, data)
    proc = baocao("reproduce", str(bad), cwd=tmp_path)
    assert proc.returncode == 1
    assert "data/source/baocao.yml" in proc.stdout and "identical" not in proc.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_build_says_one_line_and_keeps_the_last_good_report(clone_b, renderer, sig):
    build = clone_b / "build" / str(YEAR)
    before = tree_hashes(build)
    proc = start_build(clone_b, renderer, "--force", own_group=True)
    wait_for(staging_has(clone_b, "data/accounting.csv"), proc)
    os.killpg(proc.pid, sig)  # the whole group, kernel included, as Ctrl-C in a terminal does
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130), err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "the last good report is kept" in lines[0], err
    assert tree_hashes(build) == before
    assert list((clone_b / "build").glob(f".{YEAR}.staging*")) == []
