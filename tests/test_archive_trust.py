"""Issue 12, the archive's part, through the command line as users run it.

- a bag whose notebook has an extra cell is refused by ``reproduce`` (the cell never runs)
  unless ``--trust-bag-code``, and then it runs in a clean environment;
- zip bombs, devices, FIFOs and manifest paths that leave the bag are refused before reading;
- ``keygen`` / ``archive --sign`` / ``verify --key``: an edited, re-manifested signed bag fails;
- unwritable folders, a full disk, a bag without manifest.json, bad paths: one bilingual
  message and an exit code, no traceback.

The signed and forged bags are archives of the session's sample build (conftest); the cases
whose content does not matter use test_archive's small fake project.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import bagit
import pytest

from baocao import cli
from baocao.archive import LIMITS, load_private_key, sign_bag, verify
from baocao.archive.signing import keygen

from .conftest import run_cli
from .test_archive import make_fake_project

YEAR = 2023
NAME = f"binh-ngoc-{YEAR}"
SIGNER = "Ban Thường trực Ủy ban MTTQ Việt Nam phường Bình Ngọc"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def remanifest(bag: Path, edits: dict[str, str | None] | None = None) -> None:
    """What a forger does after editing payload files: the build's manifest.json (outputs and
    inputs) and every BagIt manifest recomputed, so the bag is intact in itself."""
    m_path = bag / "data" / "report" / "manifest.json"
    manifest = json.loads(m_path.read_text(encoding="utf-8"))
    for section, prefix in (("outputs", "data/report/"), ("inputs", "data/source/")):
        for rel in list(manifest[section]):
            p = bag / (prefix + rel)
            if section == "outputs" and rel.startswith("data/"):
                p = bag / "data" / "processed" / rel[len("data/") :]
            elif section == "outputs" and rel.startswith("notebooks/"):
                p = bag / "data" / "notebooks" / "executed" / rel[len("notebooks/") :]
            if p.is_file():
                manifest[section][rel] = sha256(p)
    for rel, digest in (edits or {}).items():
        manifest["outputs"][rel] = digest
    m_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    b = bagit.Bag(str(bag))
    b.save(manifests=True)
    assert b.is_valid()


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    proc = run_cli("keygen", "--out", str(folder), "--name", SIGNER, cwd=folder)
    assert "sha256:" in proc.stdout
    return {"key": folder / "baocao-signing.key", "pub": folder / "baocao-signing.pub"}


@pytest.fixture(scope="module")
def sample_bags(sample_project, build_2023, keys, tmp_path_factory) -> dict[str, Path]:
    """The session's sample build archived twice: unsigned, and signed with ``keys``."""
    plain, signed = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("signed")
    run_cli("archive", "--year", str(YEAR), "--out", str(plain), cwd=sample_project)
    proc = run_cli("archive", "--year", str(YEAR), "--out", str(signed), "--sign", str(keys["key"]), cwd=sample_project)
    assert SIGNER in proc.stdout and "sha256:" in proc.stdout
    return {
        "plain": plain / NAME,
        "signed": signed / NAME,
        "signed_zip": signed / f"{NAME}.zip",
        "plain_zip": plain / f"{NAME}.zip",
    }


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> Path:
    """test_archive's small fake project (a real manifest.json, no notebooks run), archived."""
    project = make_fake_project(tmp_path_factory.mktemp("fake") / "project")
    run_cli("archive", "--year", str(YEAR), cwd=project.root)
    return project.root


def fake_bag(fake: Path, tmp_path: Path) -> Path:
    dest = tmp_path / NAME
    shutil.copytree(fake / "archive" / NAME, dest)
    return dest


# ---------------------------------------------------------------------------- 1. reproduce trusts nothing
FORGED_CELL = """\
import json, os, pathlib
pathlib.Path({marker!r}).write_text(json.dumps({{"env": dict(os.environ), "cwd": os.getcwd()}}))
"""


@pytest.fixture
def forged(sample_bags, tmp_path) -> tuple[Path, Path]:
    """The unsigned sample bag with one extra cell in its 01_clean.ipynb, manifests recomputed."""
    bag = tmp_path / NAME
    shutil.copytree(sample_bags["plain"], bag)
    marker = tmp_path / "the-bag-code-ran.json"
    nb_path = bag / "data" / "source" / "notebooks" / "01_clean.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "forged",
            "metadata": {},
            "outputs": [],
            "source": FORGED_CELL.format(marker=str(marker)),
        }
    )
    nb_path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    remanifest(bag)
    return bag, marker


@pytest.mark.e2e
def test_verify_names_the_foreign_code_as_information(forged, tmp_path):
    bag, _ = forged
    proc = run_cli("verify", str(bag), cwd=tmp_path)  # intact: exit 0
    nb = bag / "data" / "source" / "notebooks" / "01_clean.ipynb"
    installed = Path(__file__).resolve().parents[1] / "notebooks" / "01_clean.ipynb"
    assert "differs from the installed project" in proc.stdout
    assert (
        f"data/source/notebooks/01_clean.ipynb: trong túi / in the bag {sha256(nb)}, "
        f"cài ở đây / installed {sha256(installed)}" in proc.stdout
    )
    assert "unsigned" in proc.stdout and "intact" in proc.stdout


@pytest.mark.e2e
def test_reproduce_refuses_foreign_code_and_runs_none_of_it(forged, tmp_path):
    bag, marker = forged
    proc = run_cli("reproduce", str(bag), cwd=tmp_path, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "data/source/notebooks/01_clean.ipynb" in proc.stdout
    assert "--trust-bag-code" in proc.stderr and "Lỗi:" in proc.stderr and "Error:" in proc.stderr
    assert "nothing was run" in proc.stderr
    no_traceback(proc)
    assert not marker.exists()
    assert "identical" not in proc.stdout and "rebuilding" not in proc.stdout
    # run from inside the bag, its own project is not the reference either
    inside = run_cli("reproduce", str(bag), cwd=bag / "data" / "source", check=False)
    assert inside.returncode == 1 and "data/source/notebooks/01_clean.ipynb" in inside.stdout
    assert not marker.exists()


@pytest.mark.e2e
def test_reproduce_with_trust_runs_the_bag_code_in_a_clean_environment(forged, tmp_path):
    bag, marker = forged
    secret = {"BAOCAO_TEST_SECRET": "s3cret-token", "AWS_SECRET_ACCESS_KEY": "x"}
    proc = run_cli("reproduce", str(bag), "--trust-bag-code", cwd=tmp_path, env=secret)
    assert "WARNING: --trust-bag-code" in proc.stdout and "reproduced exactly" in proc.stdout
    seen = json.loads(marker.read_text(encoding="utf-8"))  # the cell ran
    env = seen["env"]
    assert not set(secret) & set(env)
    assert env["HOME"] != os.environ.get("HOME") and "baocao-reproduce-" in env["HOME"]
    assert "baocao-reproduce-" in seen["cwd"]
    assert not Path(env["HOME"]).exists()  # the temporary folders are gone


# ---------------------------------------------------------------------------- 2. limits on archive input
@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A ~3 MB zip whose one member is 3 GiB of zeros (streamed: tiny disk, a few seconds)."""
    path = tmp_path_factory.mktemp("bomb") / f"{NAME}.zip"
    chunk = bytes(1 << 24)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(f"{NAME}/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        with zf.open(f"{NAME}/data/report/bao-cao-{YEAR}.pdf", "w", force_zip64=True) as fh:
            for _ in range(3 * 64):
                fh.write(chunk)
    assert path.stat().st_size < 20 << 20
    return path


def test_zip_bomb_is_refused_before_extraction_with_bounded_memory(bomb, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    t0 = time.perf_counter()
    proc = run_cli("verify", str(bomb), cwd=tmp_path, check=False, env={"TMPDIR": str(tmpdir)})
    seconds = time.perf_counter() - t0
    assert proc.returncode == 1
    assert f"QUÁ LỚN / TOO LARGE  {NAME}/data/report/bao-cao-{YEAR}.pdf: giải nén ra 3.2 GB" in proc.stdout
    assert "NOT intact" in proc.stderr
    no_traceback(proc)
    assert list(tmpdir.iterdir()) == []  # nothing was extracted, not even a folder made
    tracemalloc.start()
    problems = verify(bomb)  # in this process, to measure its memory
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [p.kind for p in problems] == ["too-large"] and peak < 10 << 20
    print(f"zip bomb refused: {seconds:.2f} s through the CLI, {peak / 1e6:.1f} MB peak in process")


def test_highly_compressed_member_is_refused_by_ratio(tmp_path):
    path = tmp_path / "ratio.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{NAME}/bagit.txt", "BagIt-Version: 1.0\n")
        zf.writestr(f"{NAME}/data/a.csv", bytes(50 << 20))  # 50 MB of zeros, below the size limit
    proc = run_cli("verify", str(path), cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert f"{NAME}/data/a.csv" in proc.stdout and f"over the {LIMITS.max_ratio}:1 limit" in proc.stdout


def test_lying_size_header_is_damage_not_a_flood(fake, tmp_path):
    """An entry that inflates to more than its header declares: never written past it."""
    src = fake / "archive" / f"{NAME}.zip"
    path = tmp_path / "lying.zip"
    target = f"{NAME}/data/report/bao-cao-{YEAR}.pdf"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, bytes(2 << 20) if info.filename == target else zin.read(info))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info, central = zf.getinfo(target), zf.start_dir
    declared = (1000).to_bytes(4, "little")  # the header says 1000 bytes; the data inflates to 2 MiB
    data[info.header_offset + 22 : info.header_offset + 26] = declared  # local header
    name = target.encode()
    while data[central + 46 : central + 46 + len(name)] != name:  # its central directory record
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 24 : central + 28] = declared
    path.write_bytes(bytes(data))
    proc = run_cli("verify", str(path), cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert f"KHÔNG ĐỌC ĐƯỢC / UNREADABLE  data/report/bao-cao-{YEAR}.pdf" in proc.stdout
    no_traceback(proc)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_verify_and_reproduce_refuse_special_files_promptly(tmp_path, kind):
    if kind == "fifo":
        target = tmp_path / "pipe.zip"
        os.mkfifo(target)
    else:
        target = Path("/dev/zero")
    for command in ("verify", "reproduce"):
        proc = subprocess.run(
            [sys.executable, "-m", "baocao", command, str(target)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        assert "is not a folder or a regular file" in proc.stderr and "không phải thư mục hay tệp thường" in proc.stderr
        no_traceback(proc)


def test_manifest_paths_outside_the_bag_are_refused_never_read(fake, tmp_path):
    bag = fake_bag(fake, tmp_path)
    fifo = tmp_path / "outside-fifo"
    os.mkfifo(fifo)  # reading it would hang the command: the test would time out
    through_fifo = os.path.relpath(fifo, bag / "data" / "report")
    remanifest(bag, {"../../../etc/hostname": "0" * 64, through_fifo: "0" * 64})
    for command in ("verify", "reproduce"):
        proc = subprocess.run(
            [sys.executable, "-m", "baocao", command, str(bag)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 1, proc.stderr
        assert "KHÔNG AN TOÀN / UNSAFE  data/report/manifest.json: " in proc.stdout
        assert "'../../../etc/hostname'" in proc.stdout and repr(through_fifo) in proc.stdout
        no_traceback(proc)


def test_special_file_inside_a_bag_folder_is_refused(fake, tmp_path):
    bag = fake_bag(fake, tmp_path)
    os.mkfifo(bag / "data" / "report" / "pipe")
    problems = verify(bag)
    assert [(p.kind, p.path) for p in problems] == [("unsafe", "data/report/pipe")]


# ---------------------------------------------------------------------------- 3. an external anchor
def test_keygen_writes_a_private_key_only_its_owner_reads(keys):
    assert stat.S_IMODE(keys["key"].stat().st_mode) == 0o600
    text = keys["key"].read_text(encoding="utf-8")
    assert "-----BEGIN PRIVATE KEY-----" in text and f"Signer: {SIGNER}" in text
    assert "-----BEGIN PUBLIC KEY-----" in keys["pub"].read_text(encoding="utf-8")
    again = run_cli("keygen", "--out", str(keys["key"].parent), cwd=keys["key"].parent, check=False)
    assert again.returncode == 2 and "never overwritten" in again.stderr  # never over an existing key


@pytest.mark.e2e
def test_signed_bag_verifies_with_its_key_and_names_the_signer(sample_bags, keys, tmp_path):
    for target in (sample_bags["signed"], sample_bags["signed_zip"]):
        proc = run_cli("verify", str(target), "--key", str(keys["pub"]), cwd=tmp_path)
        assert f"signature valid: ký bởi / signed by {SIGNER} (khóa / key sha256:" in proc.stdout
    plain = run_cli("verify", str(sample_bags["signed_zip"]), cwd=tmp_path)
    assert "signed but NOT checked" in plain.stdout and SIGNER in plain.stdout
    unsigned = run_cli("verify", str(sample_bags["plain_zip"]), cwd=tmp_path)
    assert "Chưa ký / unsigned" in unsigned.stdout
    demanded = run_cli("verify", str(sample_bags["plain_zip"]), "--key", str(keys["pub"]), cwd=tmp_path, check=False)
    assert demanded.returncode == 1 and "the bag is not signed" in demanded.stdout


@pytest.mark.e2e
def test_signed_zip_is_deterministic(sample_project, sample_bags, keys, tmp_path):
    run_cli("archive", "--year", str(YEAR), "--out", str(tmp_path), "--sign", str(keys["key"]), cwd=sample_project)
    assert (tmp_path / f"{NAME}.zip").read_bytes() == sample_bags["signed_zip"].read_bytes()


@pytest.mark.e2e
def test_edited_and_remanifested_signed_bag_fails_verify_key(sample_bags, keys, tmp_path):
    bag = tmp_path / NAME
    shutil.copytree(sample_bags["signed"], bag)
    html = bag / "data" / "report" / f"bao-cao-{YEAR}.html"
    html.write_text(
        html.read_text(encoding="utf-8").replace("</body>", "<p>Sửa sau khi ký</p></body>"), encoding="utf-8"
    )
    remanifest(bag)
    proc = run_cli("verify", str(bag), "--key", str(keys["pub"]), cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "CHỮ KÝ / SIGNATURE  baocao-signature.txt: tagmanifest-sha256.txt đã bị thay đổi sau khi ký" in proc.stdout
    no_traceback(proc)

    (bag / "baocao-signature.txt").unlink()  # the forger drops the signature …
    remanifest(bag)
    assert "Chưa ký / unsigned" in run_cli("verify", str(bag), cwd=tmp_path).stdout
    proc = run_cli("verify", str(bag), "--key", str(keys["pub"]), cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "the bag is not signed" in proc.stdout

    other = keygen(tmp_path / "forger", "Ban Thường trực")  # … or signs with a key of their own
    sign_bag(bag, load_private_key(other[0]))
    proc = run_cli("verify", str(bag), "--key", str(keys["pub"]), cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "signed with another key" in proc.stdout


# ---------------------------------------------------------------------------- 4. clear failures
def test_unwritable_archive_folder_is_exit_3(fake, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = run_cli("archive", "--year", str(YEAR), "--out", str(blocker / "archive"), cwd=fake, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "không ghi được" in proc.stderr and "cannot write" in proc.stderr
    no_traceback(proc)


def test_read_only_archive_folder_is_exit_3(fake, tmp_path):
    target = Path("/sys/baocao-archive-test")
    try:
        target.mkdir()
    except OSError:
        pass
    else:  # pragma: no cover - a machine where /sys is writable
        target.rmdir()
        pytest.skip("/sys is writable here")
    proc = run_cli("archive", "--year", str(YEAR), "--out", str(target), cwd=fake, check=False)
    assert proc.returncode == 3 and "cannot write" in proc.stderr
    no_traceback(proc)


def test_disk_full_while_archiving_is_exit_3(fake, tmp_path, monkeypatch, capsys):
    import baocao.archive.packing as packing

    def full(src, dst, *a, **kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(packing.shutil, "copyfile", full)
    code = cli.main(["--project", str(fake), "archive", "--year", str(YEAR), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 3
    assert "giải phóng chỗ trên đĩa" in err and "free some disk space" in err
    assert not (tmp_path / "out" / NAME).exists() and not list((tmp_path / "out").glob(".*staging*"))


def test_bag_without_build_manifest_is_named(fake, tmp_path):
    bag = fake_bag(fake, tmp_path)
    (bag / "data" / "report" / "manifest.json").unlink()
    bagit.Bag(str(bag)).save(manifests=True)
    for command in ("verify", "reproduce"):
        proc = run_cli(command, str(bag), cwd=tmp_path, check=False)
        assert proc.returncode == 1
        assert "THIẾU / MISSING  data/report/manifest.json" in proc.stdout and "not a baocao bag" in proc.stdout
        no_traceback(proc)


@pytest.mark.parametrize("what", ["missing", "not-a-bag", "not-a-zip", "bad-key"])
def test_bad_paths_are_one_message(fake, tmp_path, what):
    args = {
        "missing": ["verify", str(tmp_path / "nothing.zip")],
        "not-a-bag": ["reproduce", str(tmp_path)],
        "not-a-zip": ["reproduce", str(fake / "baocao.yml")],
        "bad-key": ["verify", str(fake / "archive" / f"{NAME}.zip"), "--key", str(fake / "baocao.yml")],
    }[what]
    proc = run_cli(*args, cwd=tmp_path, check=False)
    assert proc.returncode == {"missing": 2, "not-a-bag": 1, "not-a-zip": 1, "bad-key": 2}[what], proc.stderr
    assert "Lỗi:" in proc.stderr and "Error:" in proc.stderr
    no_traceback(proc)
