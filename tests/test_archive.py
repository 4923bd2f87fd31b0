"""Archive, verify and reproduce on a small fake build (no notebooks run here).

A fake project (the real configuration, notebooks and templates; two tiny raw-data years) and
a fake ``build/2023/`` with a real ``manifest.json`` are bagged with :func:`make_archive`;
then each kind of tampering is applied to a copy of the bag or its zip and must be caught
and named. The end-to-end tests on a real build are in test_integrity.py.
"""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import bagit
import pytest

from baocao import archive, cli, cliarchive
from baocao.archive import (
    BagDamagedError,
    BuildChangedError,
    StaleBuildError,
    make_archive,
    payload_path_for_output,
    reproduction,
    verify,
    zip_entry_problems,
)
from baocao.config import BuildFiles, Project
from baocao.errors import BuildLockedError, UsageError

REPO = Path(__file__).resolve().parents[1]
YEAR = 2023
NAME = f"binh-ngoc-{YEAR}"


class FakeRenderer:
    name = "pandoc"

    def versions(self):
        return {"pandoc": "3.9", "typst": "0.15.1"}

    def pdf_standard(self, options):
        return "a-2b"


def make_fake_project(root: Path) -> Project:
    root.mkdir(parents=True)
    for name in ("baocao.yml", "_quarto.yml", "requirements.lock"):
        shutil.copy(REPO / name, root / name)
    for name in ("notebooks", "report", "data/reference"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for year in (2022, YEAR):
        raw = root / "data" / "raw" / str(year)
        raw.mkdir(parents=True)
        (raw / "thong-tin-bao-cao.yml").write_text(
            f"so: '45'\nngay_bao_cao: '05/12/{year}'\nhoi_nghi: Hội nghị tổng kết\n", encoding="utf-8"
        )
        (raw / "nhan-dinh.md").write_text("## Tình hình chung\n\nỔn định.\n", encoding="utf-8")
        (raw / "mttq-phường.csv").write_text(f"năm,quỹ\n{year},1.234.567\n", encoding="utf-8")
    project = Project(root, root / "build")
    from baocao.manifest import write_manifest

    build = project.build_dir(YEAR)
    files = {
        f"bao-cao-{YEAR}.html": "<html><body>Báo cáo</body></html>\n",
        f"bao-cao-{YEAR}.pdf": "%PDF-1.7 fake\n" + "x" * 5000,
        f"bao-cao-{YEAR}.qmd": "---\ntitle: Báo cáo\n---\n",
        "metrics.json": '{"year": 2023}\n',
        "figures/quy.svg": "<svg/>\n",
        "data/hoat-dong.csv": "khu,so\nKhu 1,3\n",
        "data/rejects.csv": "file,sheet,row\n",
        "data/accounting.csv": "file,rejected\nx,0\n",
        "notebooks/01_clean.ipynb": "{}\n",
        "notebooks/02_analyze.ipynb": "{}\n",
    }
    for rel, text in files.items():
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_text(text, encoding="utf-8")
    write_manifest(project, YEAR, build, FakeRenderer())
    return project


@pytest.fixture(scope="module")
def fake_project(tmp_path_factory) -> Project:
    return make_fake_project(tmp_path_factory.mktemp("fake") / "project")


@pytest.fixture(scope="module")
def archived(fake_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("archive")
    return make_archive(fake_project, YEAR, out, out=lambda s: None)


@pytest.fixture
def bag_copy(archived, tmp_path) -> Path:
    dest = tmp_path / NAME
    shutil.copytree(archived.bag_dir, dest)
    return dest


def lines(problems) -> list[str]:
    return [p.line() for p in problems]


# ---------------------------------------------------------------------------- the bag itself
def test_bag_layout_and_bagit_accepts_it(archived):
    bag_dir = archived.bag_dir
    assert bag_dir.name == NAME and archived.zip_path.name == f"{NAME}.zip"
    bag = bagit.Bag(str(bag_dir))
    bag.validate(fast=False)  # bagit's own validator, full fixity
    assert bag.is_valid()
    assert set(bag.algorithms) >= {"sha256", "sha512"}
    assert (bag_dir / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    data = bag_dir / "data"
    for rel in (
        f"report/bao-cao-{YEAR}.html",
        f"report/bao-cao-{YEAR}.pdf",
        f"report/bao-cao-{YEAR}.qmd",
        "report/manifest.json",
        "report/metrics.json",
        "report/figures/quy.svg",
        "processed/hoat-dong.csv",
        "processed/rejects.csv",
        "notebooks/executed/01_clean.ipynb",
        "source/baocao.yml",
        "source/_quarto.yml",
        "source/requirements.lock",
        "source/notebooks/01_clean.ipynb",
        "source/report/bao-cao.qmd.j2",
        "source/data/reference/inputs.yml",
        f"source/data/raw/{YEAR}/mttq-phường.csv",
        "source/data/raw/2022/mttq-phường.csv",
        "ro-crate-metadata.json",
    ):
        assert (data / rel).is_file(), rel
    readme = (bag_dir / "README.txt").read_text(encoding="utf-8")
    assert "Kiểm tra tính nguyên vẹn" in readme and "Verify" in readme and "baocao reproduce" in readme
    assert "README.txt" in (bag_dir / "tagmanifest-sha256.txt").read_text()


def test_bag_info(archived):
    info = bagit.Bag(str(archived.bag_dir)).info
    assert info["Source-Organization"] == "Ủy ban MTTQ Việt Nam phường Bình Ngọc"
    assert info["Bagging-Date"] == f"{YEAR}-12-05"  # the report's date, not today
    assert info["Bag-Group-Identifier"] == NAME
    assert info["External-Identifier"] == "45/BC-MTTQ-BTT"
    assert "Báo cáo tổng kết" in info["External-Description"]
    assert info["Payload-Oxum"].endswith(f".{archived.files - 7}")  # 7 tag files outside data/


def ids(refs) -> set[str]:
    """The @ids an RO-Crate property refers to (one reference or a list)."""
    return {r["@id"] for r in (refs if isinstance(refs, list) else [refs])}


def test_ro_crate_provenance(archived):
    crate = json.loads((archived.bag_dir / "data" / "ro-crate-metadata.json").read_text(encoding="utf-8"))
    graph = {e["@id"]: e for e in crate["@graph"]}
    root = graph["./"]
    assert root["datePublished"] == f"{YEAR}-12-05"
    assert root["creator"] == {"@id": "#binh-ngoc"} and graph["#binh-ngoc"]["@type"] == "Organization"
    clean, analyze, render = graph["#clean"], graph["#analyze"], graph["#render"]
    assert "source/notebooks/01_clean.ipynb" in ids(clean["instrument"])
    assert f"source/data/raw/{YEAR}/mttq-ph%C6%B0%E1%BB%9Dng.csv" in ids(clean["object"])
    assert "processed/hoat-dong.csv" in ids(clean["result"])
    assert "source/data/raw/2022/mttq-ph%C6%B0%E1%BB%9Dng.csv" in ids(analyze["object"])  # compared year
    assert "report/metrics.json" in ids(analyze["result"])
    assert ids(render["result"]) == {f"report/bao-cao-{YEAR}.html", f"report/bao-cao-{YEAR}.pdf"}
    assert all(graph[a]["agent"] == {"@id": "#binh-ngoc"} for a in ("#clean", "#analyze", "#compose", "#render"))
    # every payload file is described
    for p in (archived.bag_dir / "data").rglob("*"):
        if p.is_file() and p.name != "ro-crate-metadata.json":
            rel = p.relative_to(archived.bag_dir / "data").as_posix()
            assert any(i == rel or i.replace("%C6%B0%E1%BB%9D", "ườ") == rel for i in graph), rel


def test_a_step_added_to_the_table_has_its_ro_crate_action(tmp_path, monkeypatch):
    """The crate's actions come from the step table: a new step (a function that writes one
    file from metrics.json with a project template) is an action with its label, its template
    as instrument, metrics.json as object and its file as result, touching no other module."""
    from baocao import steps
    from baocao.manifest import write_manifest

    def summary(project, year, build_dir):
        (build_dir / f"tom-tat-{year}.txt").write_text("tóm tắt\n", encoding="utf-8")

    extra = steps.Step(
        "summary",
        "tóm tắt (thử)",
        run=summary,
        writes=("tom-tat-{year}.txt",),
        reads=("build:metrics.json", "project:report/bao-cao.qmd.j2", "libs:jinja2"),
    )
    monkeypatch.setattr(steps, "STEPS", [*steps.STEPS[:3], extra, *steps.STEPS[3:]])
    project = make_fake_project(tmp_path / "project")
    build = project.build_dir(YEAR)
    extra.run(project, YEAR, build)
    write_manifest(project, YEAR, build, FakeRenderer())
    result = make_archive(project, YEAR, tmp_path / "out", out=lambda s: None)
    crate = json.loads((result.bag_dir / "data" / "ro-crate-metadata.json").read_text(encoding="utf-8"))
    graph = {e["@id"]: e for e in crate["@graph"]}
    action = graph["#summary"]
    assert action["@type"] == "CreateAction" and action["name"] == "tóm tắt (thử)"
    assert ids(action["result"]) == {f"report/tom-tat-{YEAR}.txt"}
    assert "report/metrics.json" in ids(action["object"]) and "source/baocao.yml" in ids(action["object"])
    assert {"source/report/bao-cao.qmd.j2", "#tool-jinja2", "#baocao"} <= ids(action["instrument"])
    assert action["agent"] == {"@id": "#binh-ngoc"}
    assert {a for a, e in graph.items() if e.get("@type") == "CreateAction"} == {
        "#clean",
        "#analyze",
        "#compose",
        "#summary",
        "#render",
    }


def test_archive_is_deterministic(fake_project, archived, tmp_path):
    again = make_archive(fake_project, YEAR, tmp_path / "again", out=lambda s: None)
    assert again.zip_path.read_bytes() == archived.zip_path.read_bytes()
    for p in archived.bag_dir.rglob("*"):
        if p.is_file():
            assert (again.bag_dir / p.relative_to(archived.bag_dir)).read_bytes() == p.read_bytes(), p


def test_zip_is_deterministic_and_tidy(archived):
    with zipfile.ZipFile(archived.zip_path) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert all(n.startswith(f"{NAME}/") for n in names)
    assert {i.date_time for i in infos} == {(YEAR, 12, 5, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {stat.S_IFREG | 0o644}


def test_rearchive_replaces_the_previous_bag(fake_project, tmp_path):
    first = make_archive(fake_project, YEAR, tmp_path, out=lambda s: None)
    (first.bag_dir / "data" / "junk").write_text("x")
    second = make_archive(fake_project, YEAR, tmp_path, out=lambda s: None)
    assert not (second.bag_dir / "data" / "junk").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME, f"{NAME}.zip"]  # no staging left


# ---------------------------------------------------------------------------- verify: intact
def test_verify_intact_folder_and_zip(archived):
    assert verify(archived.bag_dir) == []
    assert verify(archived.zip_path) == []


def test_cmd_verify_exit_codes(archived, bag_copy, capsys):
    args = type("A", (), {"path": str(archived.zip_path)})
    assert cliarchive.cmd_verify(args) == 0
    out = capsys.readouterr().out
    assert "intact" in out and archive.SignatureStatus("unsigned").line() in out
    (bag_copy / "data" / "report" / f"bao-cao-{YEAR}.pdf").unlink()
    with pytest.raises(BagDamagedError) as exc:
        cliarchive.cmd_verify(type("A", (), {"path": str(bag_copy)}))
    assert exc.value.exit_code == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        f"THIẾU / MISSING  data/report/bao-cao-{YEAR}.pdf: có trong manifest nhưng không có trong túi "
        f"/ listed in the manifest but not in the bag"
    ]


def test_verify_missing_path_is_usage_error(tmp_path):
    with pytest.raises(UsageError):
        verify(tmp_path / "nothing.zip")


# ---------------------------------------------------------------------------- verify: tampering
def flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if offset is None else offset
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_byte_is_named(bag_copy):
    flip_byte(bag_copy / "data" / "report" / f"bao-cao-{YEAR}.pdf")
    problems = verify(bag_copy)
    assert [(p.kind, p.path) for p in problems] == [("changed", f"data/report/bao-cao-{YEAR}.pdf")]
    assert "sha256, sha512" in problems[0].line()
    assert not bagit.Bag(str(bag_copy)).is_valid()


def test_flipped_byte_in_source_data_is_named(bag_copy):
    flip_byte(bag_copy / "data" / "source" / "data" / "raw" / str(YEAR) / "mttq-phường.csv")
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("changed", f"data/source/data/raw/{YEAR}/mttq-phường.csv")]


def test_missing_file_is_named(bag_copy):
    (bag_copy / "data" / "processed" / "hoat-dong.csv").unlink()
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("missing", "data/processed/hoat-dong.csv")]


def test_extra_payload_file_is_named(bag_copy):
    (bag_copy / "data" / "report" / "ghi-chu.txt").write_text("thêm vào", encoding="utf-8")
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("extra", "data/report/ghi-chu.txt")]


def test_extra_tag_file_is_named(bag_copy):
    (bag_copy / "notes.txt").write_text("x")
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("extra", "notes.txt")]


def test_several_problems_one_line_each(bag_copy):
    flip_byte(bag_copy / "data" / "report" / "metrics.json", 2)
    (bag_copy / "data" / "report" / "figures" / "quy.svg").unlink()
    (bag_copy / "data" / "extra.csv").write_text("a\n")
    problems = verify(bag_copy)
    assert sorted((p.kind, p.path) for p in problems) == [
        ("changed", "data/report/metrics.json"),
        ("extra", "data/extra.csv"),
        ("missing", "data/report/figures/quy.svg"),
    ]
    assert len({p.line() for p in problems}) == 3


def test_edited_bag_info_is_named(bag_copy):
    info = bag_copy / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8").replace("Bình Ngọc", "Bình Ngoc"), encoding="utf-8")
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("changed", "bag-info.txt")]


def test_edited_manifest_is_named(bag_copy):
    m = bag_copy / "manifest-sha256.txt"
    text = m.read_text()
    m.write_text(text.replace(text[0], "f" if text[0] != "f" else "e", 1))
    problems = verify(bag_copy)
    assert ("changed", "manifest-sha256.txt") in [(p.kind, p.path) for p in problems]


def test_deleted_tagmanifest_and_bagit_txt(bag_copy):
    (bag_copy / "tagmanifest-sha256.txt").unlink()
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("missing", "tagmanifest-sha256.txt")]
    (bag_copy / "bagit.txt").unlink()
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("missing", "bagit.txt")]


def test_consistent_rebag_of_an_edited_report_is_caught(bag_copy):
    """Someone edits the PDF and re-makes every BagIt manifest: BagIt is happy, but the
    build's manifest.json still names the original; verify says so."""
    flip_byte(bag_copy / "data" / "report" / f"bao-cao-{YEAR}.pdf")
    bag = bagit.Bag(str(bag_copy))
    bag.save(manifests=True)
    assert bag.is_valid()
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("inconsistent", f"data/report/bao-cao-{YEAR}.pdf")]


def test_symlink_in_bag_folder_is_refused(bag_copy):
    (bag_copy / "data" / "report" / "passwd").symlink_to("/etc/passwd")
    assert [(p.kind, p.path) for p in verify(bag_copy)] == [("unsafe", "data/report/passwd")]


def test_manifest_path_outside_bag_is_refused(bag_copy):
    with open(bag_copy / "manifest-sha256.txt", "a") as fh:
        fh.write("0" * 64 + "  data/../../etc/passwd\n")
    problems = verify(bag_copy)
    assert [(p.kind, p.path) for p in problems] == [("unsafe", "manifest-sha256.txt")]
    assert "../../etc/passwd" in problems[0].line()


# ---------------------------------------------------------------------------- verify: zips
def rezip(src: Path, dest: Path, edit=None, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> Path:
    """Copy a zip entry by entry, optionally editing entries and adding others."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if edit:
                data = edit(info.filename, data)
                if data is None:
                    continue
            zout.writestr(info, data)
        for info, data in extra:
            zout.writestr(info, data)
    return dest


def test_zip_flipped_byte_in_entry_data_is_named(archived, tmp_path):
    """A byte flipped inside the zip's compressed data: the entry cannot be read (CRC)."""
    damaged = tmp_path / "damaged.zip"
    shutil.copy(archived.zip_path, damaged)
    with zipfile.ZipFile(damaged) as zf:
        info = zf.getinfo(f"{NAME}/data/report/bao-cao-{YEAR}.pdf")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    flip_byte(damaged, start + info.compress_size // 2)
    problems = verify(damaged)
    assert [(p.kind, p.path) for p in problems] == [("unreadable", f"data/report/bao-cao-{YEAR}.pdf")]


def test_zip_changed_entry_is_named(archived, tmp_path):
    target = f"{NAME}/data/processed/rejects.csv"
    z = rezip(archived.zip_path, tmp_path / "t.zip", edit=lambda n, d: d + b"x,y,1\n" if n == target else d)
    assert [(p.kind, p.path) for p in verify(z)] == [("changed", "data/processed/rejects.csv")]


def test_zip_missing_and_extra_entries_are_named(archived, tmp_path):
    target = f"{NAME}/data/report/metrics.json"
    z = rezip(
        archived.zip_path,
        tmp_path / "t.zip",
        edit=lambda n, d: None if n == target else d,
        extra=[(f"{NAME}/data/report/them.txt", b"x"), ("ngoai-tui.txt", b"y")],
    )
    assert sorted((p.kind, p.path) for p in verify(z)) == [
        ("extra", "data/report/them.txt"),
        ("extra", "ngoai-tui.txt"),
        ("missing", "data/report/metrics.json"),
    ]


@pytest.mark.parametrize("name", ["../x", f"{NAME}/../../x", f"{NAME}/data/../../../etc/x"])
def test_zip_dotdot_is_refused(archived, tmp_path, name):
    z = rezip(archived.zip_path, tmp_path / "t.zip", extra=[(name, b"pwned")])
    problems = verify(z)
    assert [(p.kind, p.path) for p in problems] == [("unsafe", name)]
    assert not (tmp_path / "x").exists() and not Path("/etc/x").exists()


@pytest.mark.parametrize("name", ["/tmp/baocao-abs-test", "C:/Windows/x", "\\evil", f"{NAME}\\..\\x"])
def test_zip_absolute_or_windows_path_is_refused(archived, tmp_path, name):
    z = rezip(archived.zip_path, tmp_path / "t.zip", extra=[(name, b"pwned")])
    assert [(p.kind, p.path) for p in verify(z)] == [("unsafe", name)]
    assert not Path("/tmp/baocao-abs-test").exists()


def test_zip_symlink_entry_is_refused(archived, tmp_path):
    link = zipfile.ZipInfo(f"{NAME}/data/report/lien-ket")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = rezip(archived.zip_path, tmp_path / "t.zip", extra=[(link, b"/etc/passwd")])
    problems = verify(z)
    assert [(p.kind, p.path) for p in problems] == [("unsafe", f"{NAME}/data/report/lien-ket")]
    assert "symbolic link" in problems[0].line()


def test_zip_duplicate_entry_is_refused(archived, tmp_path):
    with pytest.warns(UserWarning):
        z = rezip(archived.zip_path, tmp_path / "t.zip", extra=[(f"{NAME}/bagit.txt", b"BagIt-Version: 1.0\n")])
    assert [(p.kind, p.path) for p in verify(z)] == [("unsafe", f"{NAME}/bagit.txt")]


def test_not_a_zip(tmp_path):
    z = tmp_path / "x.zip"
    z.write_bytes(b"not a zip at all")
    assert [(p.kind, p.path) for p in verify(z)] == [("unreadable", "x.zip")]


def test_zip_entry_checker_accepts_the_archive(archived):
    with zipfile.ZipFile(archived.zip_path) as zf:
        assert zip_entry_problems(zf) == []


# ---------------------------------------------------------------------------- archive refusals
def test_archive_refuses_without_build(fake_project, tmp_path):
    with pytest.raises(UsageError) as exc:
        make_archive(fake_project, 2022, tmp_path, out=lambda s: None)
    assert exc.value.exit_code == 2 and "baocao build --year 2022" in exc.value.render()


def test_archive_refuses_edited_build(tmp_path):
    project = make_fake_project(tmp_path / "p")
    flip_byte(project.build_dir(YEAR) / BuildFiles.report(YEAR, ".pdf"))
    with pytest.raises(BuildChangedError) as exc:
        make_archive(project, YEAR, tmp_path / "out", out=lambda s: None)
    assert f"bao-cao-{YEAR}.pdf" in exc.value.render() and exc.value.exit_code == 1
    assert not (tmp_path / "out" / NAME).exists()


def test_archive_refuses_stale_inputs(tmp_path):
    project = make_fake_project(tmp_path / "p")
    (project.raw_dir(YEAR) / "mttq-phường.csv").write_text("năm,quỹ\n2023,9\n", encoding="utf-8")
    (project.raw_dir(YEAR) / "moi.csv").write_text("a\n", encoding="utf-8")
    with pytest.raises(StaleBuildError) as exc:
        make_archive(project, YEAR, tmp_path / "out", out=lambda s: None)
    text = exc.value.render()
    assert f"data/raw/{YEAR}/mttq-phường.csv" in text and f"data/raw/{YEAR}/moi.csv" in text
    assert exc.value.exit_code == 2


def test_archive_refuses_out_inside_sources(fake_project):
    with pytest.raises(UsageError):
        make_archive(fake_project, YEAR, fake_project.root / "data" / "raw", out=lambda s: None)


def test_archive_waits_for_no_build(fake_project, tmp_path):
    from filelock import FileLock

    lock = FileLock(str(fake_project.build_root / f".{YEAR}.lock"))
    with lock, pytest.raises(BuildLockedError) as exc:
        make_archive(fake_project, YEAR, tmp_path, out=lambda s: None)
    assert exc.value.exit_code == 3


def test_archive_recovers_after_a_kill_between_renames(fake_project, archived, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(archived.bag_dir, out / f".{NAME}.old")  # killed after moving the old bag away
    (out / f".{NAME}.staging-abc").mkdir()
    archive.recover_out(out, NAME)
    assert (out / NAME / "bagit.txt").is_file() and not (out / f".{NAME}.staging-abc").exists()


# ---------------------------------------------------------------------------- CLI wiring
def test_the_cli_registers_the_archive_commands():
    parser = cli.build_parser()
    a = parser.parse_args(["archive", "--year", "2023", "--out", "x", "--sign", "k.key"])
    assert (a.func, a.year, a.out, a.sign) == (cliarchive.cmd_archive, 2023, "x", "k.key")
    v = parser.parse_args(["verify", "b.zip", "--key", "k.pub"])
    assert (v.func, v.path, v.key) == (cliarchive.cmd_verify, "b.zip", "k.pub")
    r = parser.parse_args(["reproduce", "b.zip", "--keep", "--trust-bag-code"])
    assert (r.func, r.path, r.keep, r.trust_bag_code) == (cliarchive.cmd_reproduce, "b.zip", True, True)
    k = parser.parse_args(["keygen", "--out", "d", "--name", "Ban Thường trực"])
    assert (k.func, k.out, k.name) == (cliarchive.cmd_keygen, "d", "Ban Thường trực")


def test_cmd_archive_prints_the_files(fake_project, tmp_path, capsys):
    args = type("A", (), {"project": str(fake_project.root), "build_dir": None, "year": YEAR, "out": str(tmp_path)})
    assert cliarchive.cmd_archive(args) == 0
    out = capsys.readouterr().out
    assert f"{NAME}.zip" in out and "files produced" in out


def test_reproduce_refuses_a_damaged_bag(bag_copy, capsys):
    flip_byte(bag_copy / "data" / "source" / "baocao.yml")
    with pytest.raises(BagDamagedError):
        archive.reproduce(bag_copy, out=print)
    assert "data/source/baocao.yml" in capsys.readouterr().out


def test_tool_differences():
    assert archive.tool_differences(
        {"pandas": "3.1.1", "typst": "0.15.1"}, {"pandas": "3.1.2", "typst": "0.15.1", "numpy": "2"}
    ) == [("numpy", None, "2"), ("pandas", "3.1.1", "3.1.2")]


def test_payload_mapping():
    assert payload_path_for_output("data/rejects.csv") == "processed/rejects.csv"
    assert payload_path_for_output("notebooks/01_clean.ipynb") == "notebooks/executed/01_clean.ipynb"
    assert payload_path_for_output("figures/a.svg") == "report/figures/a.svg"
    assert payload_path_for_output("bao-cao-2023.pdf") == "report/bao-cao-2023.pdf"


# ---------------------------------------------------------------------------- reproduce (no real build)
def fake_rebuild(bag_dir: Path, change: str | None = None):
    """A stand-in for build_year that 'rebuilds' by copying the bag's own outputs."""

    def rebuild(root, build_root, year, unit, renderer_name, env, out):
        manifest = json.loads((bag_dir / "data" / "report" / "manifest.json").read_text(encoding="utf-8"))
        build_dir = Project(root, build_root).build_dir(year)
        for rel in manifest["outputs"]:
            dest = build_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(bag_dir / "data" / payload_path_for_output(rel), dest)
            if rel == change:
                dest.write_bytes(dest.read_bytes() + b" ")
        (build_dir / "manifest.json").write_text("{}")
        assert (root / "baocao.yml").is_file() and root != REPO  # built from the bag's sources

    return rebuild


@pytest.fixture(scope="module")
def old_tools_bag(tmp_path_factory) -> Path:
    """A bag whose manifest says it was made by another baocao and another pandas."""
    project = make_fake_project(tmp_path_factory.mktemp("old") / "p")
    m_path = project.manifest_path(YEAR)
    m = json.loads(m_path.read_text(encoding="utf-8"))
    m["baocao_version"] = m["tools"]["baocao"] = "0.0.9"
    m["tools"]["pandas"] = "1.5.3"
    m_path.write_text(json.dumps(m), encoding="utf-8")
    return make_archive(project, YEAR, tmp_path_factory.mktemp("old-out"), out=lambda s: None).zip_path


def test_reproduce_warns_naming_other_versions(old_tools_bag, monkeypatch, capsys):
    with zipfile.ZipFile(old_tools_bag) as zf, tempfile.TemporaryDirectory() as tmp:
        zf.extractall(tmp)
        bag_dir = Path(tmp) / NAME
        monkeypatch.setattr(reproduction, "rebuild", fake_rebuild(bag_dir))
        result = archive.reproduce(old_tools_bag, out=print)
    out = capsys.readouterr().out
    assert result.ok and len(result.identical) == 8  # 10 outputs minus 2 executed notebooks
    assert "WARNING" in out
    assert "  baocao: trong túi / in the bag 0.0.9, ở đây / here 0.1.0" in out
    assert "  pandas: trong túi / in the bag 1.5.3, ở đây / here " in out
    assert {d[0] for d in result.tool_differences} >= {"baocao", "pandas"}
    assert out.count("giống / identical") == 8


def test_reproduce_names_a_different_file(archived, monkeypatch, capsys):
    monkeypatch.setattr(reproduction, "rebuild", fake_rebuild(archived.bag_dir, change="metrics.json"))
    with pytest.raises(archive.ReproduceMismatchError) as exc:
        cliarchive.cmd_reproduce(type("A", (), {"path": str(archived.bag_dir), "keep": False}))
    out = capsys.readouterr().out
    assert "KHÁC / DIFFERENT   metrics.json" in out
    assert out.count("giống / identical") == 7
    assert exc.value.exit_code == 1 and "metrics.json" in exc.value.render()
