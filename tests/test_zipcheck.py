"""The one-pass check of a zipped bag (archive/zipcheck.py, the aggregate's intake) against
``baocao verify`` (extract, then check the folder): each kind of damage that verify finds must
refuse the bag here too, and an intact bag gives the very bytes of its files."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from baocao.archive import keygen, load_private_key, load_public_key, make_archive, verify
from baocao.archive.zipcheck import check_zip
from tests.test_archive import NAME, YEAR, make_fake_project

METRICS = "data/report/metrics.json"


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    project = make_fake_project(tmp_path_factory.mktemp("fake") / "project")
    out = tmp_path_factory.mktemp("archive")
    return make_archive(project, YEAR, out, out=lambda s: None)


def rezip(src: Path, dest: Path, edit=lambda name, data: data, extra=()) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
        for name, data in extra:
            zout.writestr(name, data)
    return dest


def _relisted(manifest: bytes, rel: str, data: bytes, alg: str) -> bytes:
    """A manifest with ``rel``'s line made to match ``data``."""
    out = []
    for line in manifest.decode().splitlines():
        digest, _, path = line.partition("  ")
        out.append(f"{hashlib.new(alg, data).hexdigest()}  {path}" if path == rel else line)
    return ("\n".join(out) + "\n").encode()


def rebag(src: Path, dest: Path, rel: str, new: bytes) -> Path:
    """``rel`` replaced by ``new`` and every BagIt manifest made again to match: BagIt alone
    cannot tell; only the build's own manifest.json can."""
    with zipfile.ZipFile(src) as zf:
        files = {i.filename[len(NAME) + 1 :]: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    files[rel] = new
    for alg in ("sha256", "sha512"):
        files[f"manifest-{alg}.txt"] = _relisted(files[f"manifest-{alg}.txt"], rel, new, alg)
    for alg in ("sha256", "sha512"):
        for m in ("manifest-sha256.txt", "manifest-sha512.txt"):
            files[f"tagmanifest-{alg}.txt"] = _relisted(files[f"tagmanifest-{alg}.txt"], m, files[m], alg)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in files.items():
            zout.writestr(f"{NAME}/{name}", data)
    return dest


def _edit(target: str, change):
    return lambda name, data: change(data) if name == f"{NAME}/{target}" else data


DAMAGE = {
    "payload changed": dict(edit=_edit("data/processed/rejects.csv", lambda d: d + b"x,y,1\n")),
    "metrics changed": dict(edit=_edit(METRICS, lambda d: d.replace(b"2023", b"2024"))),
    "metrics removed": dict(edit=_edit(METRICS, lambda d: None)),
    "payload extra": dict(extra=[(f"{NAME}/data/report/them.txt", b"x")]),
    "outside the bag folder": dict(extra=[("ngoai-tui.txt", b"y")]),
    "tag file extra": dict(extra=[(f"{NAME}/ghi-chu.txt", b"y")]),
    "bag-info edited": dict(edit=_edit("bag-info.txt", lambda d: d + b"Contact-Name: X\n")),
    "manifest edited": dict(edit=_edit("manifest-sha256.txt", lambda d: d.replace(b"a", b"b", 1))),
    "tag manifest removed": dict(edit=_edit("tagmanifest-sha512.txt", lambda d: None)),
    "bagit.txt removed": dict(edit=_edit("bagit.txt", lambda d: None)),
    "bagit.txt wrong": dict(edit=_edit("bagit.txt", lambda d: b"BagIt-Version: 9\n")),
    "manifest points outside": dict(
        edit=_edit("manifest-sha256.txt", lambda d: d + b"0" * 64 + b"  data/../../etc/passwd\n")
    ),
    "build manifest removed": dict(edit=_edit("data/report/manifest.json", lambda d: None)),
    "sha256 manifest removed": dict(edit=_edit("manifest-sha256.txt", lambda d: None)),
}


def test_an_intact_bag_passes_and_gives_its_bytes(archived):
    assert verify(archived.zip_path) == []
    found = check_zip(archived.zip_path, keep=[METRICS])
    assert found.problems == []
    assert found.signature is not None and found.signature.state == "unsigned"
    assert found.manifest is not None and found.manifest["year"] == YEAR
    with zipfile.ZipFile(archived.zip_path) as zf:
        assert found.kept == {METRICS: zf.read(f"{NAME}/{METRICS}")}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_what_verify_refuses_is_refused(archived, tmp_path, damage):
    z = rezip(archived.zip_path, tmp_path / "t.zip", **DAMAGE[damage])
    refused_by_verify = verify(z)
    assert refused_by_verify, damage  # the damage is real
    found = check_zip(z, keep=[METRICS])
    assert found.problems, damage
    assert found.kept == {}  # nothing of a refused bag is handed over
    named = {p.path for p in found.problems}
    assert named & {p.path for p in refused_by_verify} or damage.startswith(("bagit.txt", "manifest points")), (
        named,
        refused_by_verify,
    )


def test_a_consistent_rebag_of_an_edited_report_is_refused(archived, tmp_path):
    """BagIt's manifests made again around an edited metrics.json: the build's manifest.json catches it."""
    with zipfile.ZipFile(archived.zip_path) as zf:
        edited = zf.read(f"{NAME}/{METRICS}").replace(b"2023", b"2024")
    z = rebag(archived.zip_path, tmp_path / "t.zip", METRICS, edited)
    assert [(p.kind, p.path) for p in verify(z)] == [("inconsistent", METRICS)]
    found = check_zip(z, keep=[METRICS])
    assert [(p.kind, p.path) for p in found.problems] == [("inconsistent", METRICS)]
    assert found.kept == {}


def test_a_damaged_entry_is_unreadable(archived, tmp_path):
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(archived.zip_path.read_bytes())
    with zipfile.ZipFile(damaged) as zf:
        info = zf.getinfo(f"{NAME}/data/report/bao-cao-{YEAR}.pdf")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(damaged.read_bytes())
    data[start + info.compress_size // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert [(p.kind, p.path) for p in check_zip(damaged).problems] == [
        ("unreadable", f"data/report/bao-cao-{YEAR}.pdf")
    ]


def test_signature_checked_with_the_declared_key(tmp_path):
    project = make_fake_project(tmp_path / "project")
    private, public, _ = keygen(tmp_path / "keys", "Bình Ngọc")
    _, other, _ = keygen(tmp_path / "other", "Khác")
    result = make_archive(project, YEAR, tmp_path / "out", out=lambda s: None, key=load_private_key(private))
    good = check_zip(result.zip_path, key=load_public_key(public))
    assert good.problems == [] and good.signature is not None and good.signature.state == "valid"
    bad = check_zip(result.zip_path, key=load_public_key(other))
    assert bad.problems and bad.signature is not None and bad.signature.state == "invalid"
    unchecked = check_zip(result.zip_path).signature
    assert unchecked is not None and unchecked.state == "unchecked"
