"""The record of the bags an earlier build verified (aggregate/verified.py): a bag is checked in
full again whenever its bytes, its declared key or the code changed; a recorded bag is still
read through every check but the fixity of the payload files the compile never reads; and a
record edited by hand cannot bring in an altered figure.

The bags are the fake ward's of tests/test_archive.py (fast); tests/test_aggregate.py makes the
same checks through ``baocao build`` on the example's real bags."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from baocao.aggregate import verified
from baocao.aggregate.intake import read_members, verified_records
from baocao.archive import keygen, load_private_key, make_archive
from baocao.archive import zipcheck as zipcheck_module
from baocao.archive.zipcheck import check_zip
from baocao.config import BuildFiles, Project
from tests.test_archive import NAME, YEAR, make_fake_project
from tests.test_zipcheck import DAMAGE, METRICS, rebag, rezip

MEMBER = "binh-ngoc"


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The ward's bag signed with its key: (bag, its public key, another key's public file)."""
    tmp = tmp_path_factory.mktemp("signed")
    project = make_fake_project(tmp / "project")
    private, public, _ = keygen(tmp / "keys", "Bình Ngọc")
    _, other, _ = keygen(tmp / "other", "Khác")
    result = make_archive(project, YEAR, tmp / "out", out=lambda s: None, key=load_private_key(private))
    return result.zip_path, public, other


def _province(root: Path, bag: Path, key: Path | None) -> Project:
    """A province of one member, its bag dropped in, its key declared (or not)."""
    root.mkdir(parents=True, exist_ok=True)
    member = {"id": MEMBER, "name": "Ủy ban MTTQ Việt Nam phường Bình Ngọc"}
    if key is not None:
        (root / "khoa").mkdir(exist_ok=True)
        shutil.copy(key, root / "khoa" / f"{MEMBER}.pub")
        member["key"] = f"khoa/{MEMBER}.pub"
    unit = {"id": "tinh", "kind": "aggregate", "name": "Ủy ban MTTQ Việt Nam tỉnh Mẫu", "body_name": "TỈNH MẪU"}
    config = {
        "body_parent": "ỦY BAN MTTQ VIỆT NAM",
        "signer": {"on_behalf": "TM. BAN THƯỜNG TRỰC", "title": "CHỦ TỊCH", "name": "Nguyễn Văn Mẫu"},
        "recipients": ["Lưu: VT."],
        "units": [{**unit, "place": "Mẫu", "members": [member]}],
    }
    (root / "baocao.yml").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    folder = root / "data" / "raw" / "tinh" / str(YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(bag, folder / f"{MEMBER}-{YEAR}.zip")
    return Project(root, root / "build").for_unit("tinh")


@pytest.fixture
def spy(monkeypatch) -> list[bool]:
    """Each bag check's ``known_intact``, in order."""
    calls: list[bool] = []
    real = zipcheck_module.check_zip

    def check(*args, **kwargs):
        calls.append(bool(kwargs.get("known_intact")))
        return real(*args, **kwargs)

    monkeypatch.setattr(zipcheck_module, "check_zip", check)
    return calls


def _bag_of(project: Project) -> Path:
    return project.raw_dir(YEAR) / f"{MEMBER}-{YEAR}.zip"


def test_a_recorded_bag_gives_the_same_report_without_its_payload_inflated(signed, tmp_path, spy):
    bag, public, _ = signed
    project = _province(tmp_path / "p", bag, public)
    first = read_members(project, YEAR)
    assert [m.status for m in first] == ["reported"] and first[0].signature == "valid"
    records = verified_records(first)
    assert records == {first[0].sha256: {"key": first[0].key_digest, "code": verified.stamp("")["code"]}}
    again = read_members(project, YEAR, records=records)
    assert spy == [False, True]
    assert again[0].as_record() == first[0].as_record()
    assert (again[0].metrics_bytes, again[0].warnings) == (first[0].metrics_bytes, first[0].warnings)


def test_a_tampered_bag_under_the_same_name_is_verified_in_full_and_refused(signed, tmp_path, spy):
    bag, public, _ = signed
    project = _province(tmp_path / "p", bag, public)
    records = verified_records(read_members(project, YEAR))
    edit = lambda name, data: data.replace(b"2023", b"2024") if name == f"{NAME}/{METRICS}" else data  # noqa: E731
    rezip(bag, _bag_of(project), edit=edit)
    [member] = read_members(project, YEAR, records=records)
    assert spy == [False, False]  # another zip: the record does not apply
    assert member.status == "refused" and any(METRICS in p for p in member.problems), member.problems
    assert member.metrics == {} and member.metrics_bytes == b""


def test_a_record_edited_by_hand_cannot_bring_in_an_altered_figure(signed, tmp_path, spy):
    """Forged records naming the tampered zips' SHA-256: the figures the compile reads are
    still hashed against the manifests, the tag manifests and the signature."""
    bag, public, _ = signed
    project = _province(tmp_path / "p", bag, public)
    read_members(project, YEAR)
    with zipfile.ZipFile(bag) as zf:
        edited = zf.read(f"{NAME}/{METRICS}").replace(b"2023", b"2024")
    edit = lambda name, data: edited if name == f"{NAME}/{METRICS}" else data  # noqa: E731
    for tampered in (rezip(bag, tmp_path / "a.zip", edit=edit), rebag(bag, tmp_path / "b.zip", METRICS, edited)):
        shutil.copy(tampered, _bag_of(project))
        [member] = read_members(project, YEAR)  # verified in full: refused, so not recorded
        assert member.status == "refused" and verified_records([member]) == {}
        forged = {member.sha256: verified.stamp(member.key_digest)}
        [member] = read_members(project, YEAR, records=forged)
        assert spy[-1] is True  # the forged record was taken at its word …
        assert member.status == "refused" and member.metrics_bytes == b"", member.problems  # … and still refused


def test_a_changed_key_or_code_verifies_again(signed, tmp_path, spy, monkeypatch):
    bag, public, other = signed
    project = _province(tmp_path / "p", bag, public)
    records = verified_records(read_members(project, YEAR))
    assert read_members(project, YEAR, records=records)[0].reported and spy[-1] is True
    # the key declared for the member replaced by another: checked in full, and refused
    project = _province(tmp_path / "p", bag, other)
    [member] = read_members(project, YEAR, records=records)
    assert spy[-1] is False and member.status == "refused"
    # no key declared any more: checked in full (and accepted, its signature unchecked)
    (tmp_path / "p" / "khoa" / f"{MEMBER}.pub").unlink()
    project = _province(tmp_path / "q", bag, None)
    [member] = read_members(project, YEAR, records=records)
    assert spy[-1] is False and member.reported and member.signature == "unchecked"
    # another version of baocao: checked in full
    records = verified_records([member])
    assert read_members(project, YEAR, records=records)[0].reported and spy[-1] is True
    monkeypatch.setattr(verified, "code_digest", lambda: "0" * 64)
    assert read_members(project, YEAR, records=records)[0].reported and spy[-1] is False


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_known_intact_still_refuses_every_damage_of_test_zipcheck(signed, tmp_path, damage):
    """Taken at its word (a forged record), ``known_intact`` still refuses every damage of
    test_zipcheck.py (its "payload changed" by the Payload-Oxum, the size it adds); what it
    does not see is in the next test."""
    bag, public, _ = signed
    z = rezip(bag, tmp_path / "t.zip", **DAMAGE[damage])
    found = check_zip(z, keep=[METRICS], known_intact=True)
    assert found.problems and found.kept == {}, damage


def test_known_intact_does_not_inflate_the_payload_the_compile_never_reads(signed, tmp_path):
    """The one thing a record saves, and so the one thing a forged record could hide: an
    altered payload file that is not kept. This is why the record is keyed by the SHA-256
    of the whole zip and written only by a build that checked the bag in full."""
    bag, _, _ = signed
    pdf = f"{NAME}/data/report/bao-cao-{YEAR}.pdf"  # one byte of the report's PDF, its size kept
    z = rezip(bag, tmp_path / "t.zip", edit=lambda name, data: data.replace(b"x", b"y", 1) if name == pdf else data)
    assert [p.path for p in check_zip(z, keep=[METRICS]).problems] == [f"data/report/bao-cao-{YEAR}.pdf"]
    found = check_zip(z, keep=[METRICS], known_intact=True)
    assert found.problems == [] and METRICS in found.kept
    intact = check_zip(bag, keep=[METRICS])
    assert check_zip(bag, keep=[METRICS], known_intact=True).kept == intact.kept


def test_a_record_of_another_shape_is_no_record(tmp_path):
    folder = tmp_path / "build"
    folder.mkdir()
    assert verified.load_records(folder) == {}
    state = folder / BuildFiles.STATE
    for text in ("not json", "[]", '{"verified_bags": []}', '{"verified_bags": {"abc": {"key": 1, "code": "x"}}}'):
        state.write_text(text, encoding="utf-8")
        assert verified.load_records(folder) == {}, text
    state.write_text('{"verified_bags": {"abc": {"key": "", "code": "x", "more": 1}}}', encoding="utf-8")
    assert verified.load_records(folder) == {"abc": {"key": "", "code": "x"}}
    assert not verified.is_known(verified.load_records(folder), "abc", "")  # another code's record
