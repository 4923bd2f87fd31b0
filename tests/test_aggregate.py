"""The level above (issue 24): a city's report compiled from its wards' reports and bags.

The example project examples/mong-cai/ is built through the CLI (six wards and the city, two
years, --jobs 2); the city's figures are checked against an independent recomputation from the
wards' own metrics.json; the bag-only city (what a city office really has) names a ward whose
bag is missing and refuses a tampered one; a 2025 merger is compiled without double counting.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from baocao.aggregate.intake import MemberReport
from baocao.aggregate.rollup import compile_values
from baocao.config import Project

from .conftest import ROOT, load_script, run_cli

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "mong-cai"
WARDS = ["binh-ngoc", "tran-phu", "hai-hoa", "hai-xuan", "tra-co", "ka-long"]


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """The example project as a user has it after `make_example_mong_cai.py --project-files-only`."""
    root = tmp_path_factory.mktemp("example") / "mong-cai"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("build", "archive", "_site", "scratch"))
    load_script(ROOT / "scripts" / "make_example_mong_cai.py").install_project_files(root)
    run_cli("build", "--all", "--jobs", "2", "--renderer", "pandoc", cwd=root)
    return root


def _metrics(root: Path, unit: str, year: int) -> dict:
    return json.loads((root / "build" / unit / str(year) / "metrics.json").read_text(encoding="utf-8"))


def test_build_all_builds_six_wards_and_the_city(example):
    for year in (2023, 2024):
        for unit in [*WARDS, "mong-cai"]:
            folder = example / "build" / unit / str(year)
            for suffix in (".html", ".pdf", ".docx"):
                assert (folder / f"bao-cao-{year}{suffix}").is_file(), (unit, year, suffix)
        city = _metrics(example, "mong-cai", year)
        assert city["coverage"] == {"expected": 6, "reported": 6, "missing": [], "refused": [], "partial": False}
        assert [c["status"] for c in city["checks"]["member_equality"]] == ["ok"] * 6
        text = (example / "build" / "mong-cai" / str(year) / f"bao-cao-{year}.qmd").read_text(encoding="utf-8")
        assert "6/6 đơn vị đã gửi báo cáo" in text


def test_the_site_lists_the_city_beside_its_wards(example):
    """`baocao site` (what `quarto render` runs first): every unit is up to date, and the site
    lists the city and each ward with their years."""
    proc = run_cli("site", "--renderer", "pandoc", cwd=example)
    assert proc.stdout.count("nothing changed, up to date") == 2 * (len(WARDS) + 1), proc.stdout
    index = (example / "_site" / "index.html").read_text(encoding="utf-8")
    assert "Ủy ban MTTQ Việt Nam thành phố Móng Cái" in " ".join(index.split())  # pandoc wraps lines
    for unit in [*WARDS, "mong-cai"]:
        for year in (2023, 2024):
            assert f'href="build/{unit}/{year}/bao-cao-{year}.pdf"' in index, (unit, year)
            assert (example / "_site" / "build" / unit / str(year) / f"bao-cao-{year}.pdf").is_file()
        assert (example / "_site" / "don-vi" / f"{unit}.html").is_file()


@pytest.mark.parametrize("year", [2023, 2024])
def test_city_figures_equal_an_independent_recomputation(example, year):
    wards = [_metrics(example, w, year)["indicators"] for w in WARDS]
    city = _metrics(example, "mong-cai", year)["indicators"]

    def total(code: str) -> float:
        return sum(w[code]["value"] for w in wards)

    assert city["quy_vnn_thu"]["value"] == pytest.approx(total("quy_vnn_thu"))
    assert city["tuyen_truyen_cuoc"]["value"] == total("tuyen_truyen_cuoc")
    poor_rate = 100 * total("ho_ngheo_cuoi") / total("so_ho")
    assert city["ty_le_ho_ngheo"]["value"] == pytest.approx(poor_rate, abs=1e-9)
    assert city["ty_le_gdvh"]["value"] == pytest.approx(100 * total("ho_gdvh") / total("so_ho"), abs=1e-9)
    mean = sum(w["ty_le_ho_ngheo"]["value"] for w in wards) / len(wards)
    assert city["ty_le_ho_ngheo"]["value"] != pytest.approx(mean, abs=1e-12), "a rate is never a mean of rates"
    # members that met their own target: a count of the wards' own verdicts
    met = [w for w in WARDS if _metrics(example, w, year)["indicators"]["quy_vnn_thu"]["status"] in ("đạt", "vượt")]
    assert city["quy_vnn_thu"]["members"]["met"] == met
    # year on year: the same wards' own figures for last year (the example has no 2022)
    if year == 2024:
        previous = sum(w["quy_vnn_thu"]["history"][str(year - 1)] for w in wards)
        assert city["quy_vnn_thu"]["previous"] == pytest.approx(previous)
        parts = [w["ho_ngheo_cuoi"]["history"]["2023"] for w in wards], [w["so_ho"]["history"]["2023"] for w in wards]
        assert city["ty_le_ho_ngheo"]["previous"] == pytest.approx(100 * sum(parts[0]) / sum(parts[1]), abs=1e-9)
    else:
        assert city["quy_vnn_thu"]["previous"] is None


@pytest.fixture(scope="module")
def bags(example, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bags")
    for ward in WARDS:
        run_cli("archive", "--unit", ward, "--year", "2023", "--out", str(out), cwd=example)
    return out


def _city_office(tmp: Path, bags: Path, leave_out: str = "", tamper: str = "") -> Path:
    """A city office's own project: only the aggregate unit; the bags as they arrived."""
    root = tmp / "city"
    root.mkdir()
    load_script(ROOT / "scripts" / "make_example_mong_cai.py").install_project_files(root)
    config = yaml.safe_load((EXAMPLE / "baocao.yml").read_text(encoding="utf-8"))
    names = {u["id"]: u["name"] for u in config["units"]}
    config["units"] = [u for u in config["units"] if u["id"] == "mong-cai"]
    # the wards are not units of this project: the city names them (a missing ward is named so)
    config["units"][0]["members"] = [{"id": w, "name": names[w]} for w in WARDS]
    (root / "baocao.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    year = root / "data" / "raw" / "mong-cai" / "2023"
    shutil.copytree(EXAMPLE / "data" / "raw" / "mong-cai" / "2023", year)
    for ward in WARDS:
        if ward != leave_out:
            shutil.copy2(bags / f"{ward}-2023.zip", year / f"{ward}-2023.zip")
    if not tamper:
        return root
    _tamper(year / f"{tamper}-2023.zip")
    return root


def test_missing_bag_is_named_and_a_tampered_bag_refused(bags, tmp_path):
    root = _city_office(tmp_path, bags, leave_out="hai-xuan", tamper="tra-co")
    run_cli("build", "--unit", "mong-cai", "--year", "2023", "--renderer", "pandoc", cwd=root)
    metrics = _metrics(root, "mong-cai", 2023)
    assert metrics["coverage"]["missing"] == ["hai-xuan"]
    assert metrics["coverage"]["refused"] == ["tra-co"]
    assert metrics["coverage"]["partial"] is True
    refused = next(m for m in metrics["members"] if m["id"] == "tra-co")
    assert any("metrics.json" in p for p in refused["problems"]), refused["problems"]
    text = (root / "build" / "mong-cai" / "2023" / "bao-cao-2023.qmd").read_text(encoding="utf-8")
    assert "4/6 đơn vị đã gửi báo cáo; chưa gửi: phường Hải Xuân" in text
    assert "không sử dụng: phường Trà Cổ" in text
    assert "chưa đầy đủ" in text
    record = (root / "build" / "mong-cai" / "2023" / "chat-luong-so-lieu-2023.html").read_text(encoding="utf-8")
    assert "tra-co" in record and "refused" in record
    # the refused ward's figures are nowhere in the compiled figures
    assert [r["id"] for r in metrics["member_rows"]] == ["binh-ngoc", "tran-phu", "hai-hoa", "ka-long"]


def test_validate_checks_what_the_build_checks(bags, tmp_path):
    """`validate` of the city: the members missing and refused named (the build goes on, its
    report partial; --strict fails), and an error in the city's own files fails validate and
    the build alike, naming the file."""
    root = _city_office(tmp_path, bags, leave_out="hai-xuan", tamper="tra-co")
    args = ("validate", "--unit", "mong-cai", "--year", "2023")
    out = run_cli(*args, cwd=root).stdout
    assert "CHƯA GỬI / MISSING  Ủy ban MTTQ Việt Nam phường Hải Xuân (hai-xuan)" in out, out
    refused = [line for line in out.splitlines() if line.startswith("KHÔNG SỬ DỤNG / REFUSED")]
    assert refused and all("(tra-co)" in line for line in refused), out
    assert any("metrics.json" in line for line in refused), refused
    assert "4/6" in out and "dùng được / can build" in out
    assert run_cli(*args, "--strict", cwd=root, check=False).returncode == 1
    (root / "data" / "raw" / "mong-cai" / "2023" / "chi-tieu.yml").write_text("nam_nay:\n  khong_co: 1\n", "utf-8")
    checked = run_cli(*args, cwd=root, check=False)
    assert checked.returncode == 1 and "chi-tieu.yml" in checked.stdout, checked.stdout
    built = run_cli("build", "--unit", "mong-cai", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    assert built.returncode == 1 and "chi-tieu.yml" in built.stdout + built.stderr
    assert "Traceback" not in built.stdout + built.stderr + checked.stdout + checked.stderr


def test_the_city_archive_holds_its_members_bags_verifies_and_reproduces(bags, tmp_path):
    root = _city_office(tmp_path, bags)
    run_cli("build", "--unit", "mong-cai", "--year", "2023", "--renderer", "pandoc", cwd=root)
    out = tmp_path / "out"
    run_cli("archive", "--unit", "mong-cai", "--year", "2023", "--out", str(out), cwd=root)
    bag = out / "mong-cai-2023.zip"
    with zipfile.ZipFile(bag) as zf:
        names = set(zf.namelist())
        for ward in WARDS:  # the member bags, byte for byte as they arrived
            inner = f"mong-cai-2023/data/source/data/raw/mong-cai/2023/{ward}-2023.zip"
            assert zf.read(inner) == (bags / f"{ward}-2023.zip").read_bytes(), ward
    for rel in ("README.txt", "data/ro-crate-metadata.json", "data/report/metrics.json", "data/source/baocao.yml"):
        assert f"mong-cai-2023/{rel}" in names, rel
    with zipfile.ZipFile(bag) as zf:
        readme = zf.read("mong-cai-2023/README.txt").decode("utf-8")
    assert "baocao build --unit mong-cai --year 2023" in readme
    assert all(f"data/source/data/raw/mong-cai/2023/{ward}-2023.zip" in readme for ward in WARDS), readme
    assert "Nguyên vẹn / intact" in run_cli("verify", str(bag), cwd=tmp_path).stdout
    reproduced = run_cli("reproduce", str(bag), cwd=tmp_path).stdout
    assert "reproduced exactly" in reproduced, reproduced


def test_the_outputs_are_the_same_wherever_the_build_runs(bags, tmp_path):
    """A member's bag is recorded relative to the project, not to the current folder: a build
    from a subfolder (or on a Dask worker, whose folder is its own) writes the same bytes."""
    root = _city_office(tmp_path, bags)
    args = ("build", "--unit", "mong-cai", "--year", "2023", "--renderer", "pandoc", "--force")
    run_cli(*args, cwd=root)
    first = (root / "build" / "mong-cai" / "2023" / "metrics.json").read_bytes()
    assert b'"path": "data/raw/mong-cai/2023/binh-ngoc-2023.zip"' in first
    run_cli(*args, cwd=root / "data")
    assert (root / "build" / "mong-cai" / "2023" / "metrics.json").read_bytes() == first


def _member(id_: str, values: dict, previous: dict, cutoff: str, **dates) -> MemberReport:
    indicators = {
        code: {"value": v, "history": {"2024": previous.get(code)}, "decimals": 0, "status": None}
        for code, v in values.items()
    }
    m = MemberReport(id_, id_, "reported", metrics={"indicators": indicators, "period": {"cutoff": cutoff}}, **dates)
    return m


def test_a_2025_merger_is_compiled_without_double_counting():
    declared = Project(ROOT, ROOT / "build").reference.declared
    base = {c: 0 for c, i in declared.items() if i.rollup not in ("formula", "none")}

    def figures(**kw):
        return {**base, **kw}

    # binh-ngoc ceased on 30/06/2025 (its report covers 01/01-30/06); mong-cai-1 succeeded it
    # on 01/07/2025 (its report covers the rest); tra-co is unchanged.
    ceased = _member(
        "binh-ngoc",
        figures(quy_vnn_thu=100, so_ho=1000, ho_ngheo_cuoi=10, ho_ngheo_dau=12, quy_vnn_so_du_dau=50),
        figures(quy_vnn_thu=180, so_ho=990, ho_ngheo_cuoi=12),
        "2025-06-30",
        valid_to="2025-06-30",
        merged_into="mong-cai-1",
    )
    successor = _member(
        "mong-cai-1",
        figures(quy_vnn_thu=120, so_ho=1010, ho_ngheo_cuoi=9, ho_ngheo_dau=10, quy_vnn_so_du_dau=70),
        figures(quy_vnn_thu=180, so_ho=990, ho_ngheo_cuoi=12),  # its predecessors' 2024, as its report states
        "2025-12-31",
        valid_from="2025-07-01",
    )
    other = _member(
        "tra-co",
        figures(quy_vnn_thu=300, so_ho=2000, ho_ngheo_cuoi=20, ho_ngheo_dau=25, quy_vnn_so_du_dau=40),
        figures(quy_vnn_thu=280, so_ho=1980, ho_ngheo_cuoi=24),
        "2025-12-31",
    )
    members = [ceased, successor, other]
    values, _notes = compile_values(declared, members, 2025)
    assert values["quy_vnn_thu"] == 100 + 120 + 300  # each half-year once
    assert values["so_ho"] == 1010 + 2000  # households at the year's end: the successor, not the ceased ward
    assert values["ho_ngheo_dau"] == 12 + 25  # at 1 January: the ward that then existed
    assert values["quy_vnn_so_du_dau"] == 50 + 40
    assert values["ty_le_ho_ngheo"] == pytest.approx(100 * (9 + 20) / (1010 + 2000))
    previous, _ = compile_values(declared, members, 2025, past=2024)
    assert previous["quy_vnn_thu"] == 180 + 280  # the same territory in 2024, the ceased ward not twice
    assert previous["so_ho"] == 990 + 1980


def _tamper(bag: Path) -> None:
    """One figure of the ward's metrics.json changed inside its zip, the manifests untouched."""
    with zipfile.ZipFile(bag) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(bag, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            if info.filename.endswith("data/report/metrics.json"):
                data = data.replace(b'"value": ', b'"value": 1', 1)
            zf.writestr(info, data)


def test_rebuilds_as_the_bags_arrive_reuse_what_was_verified_never_a_changed_bag(bags, tmp_path):
    """The December pattern: a bag more, a rebuild (the bags verified before are not inflated
    again: aggregate/verified.py); the same bytes as a build that verifies every bag; a bag
    replaced by a tampered one under the same name, even with the record edited by hand to
    vouch for it, is refused."""
    root = _city_office(tmp_path, bags, leave_out="hai-xuan")
    year = root / "data" / "raw" / "mong-cai" / "2023"
    state = root / "build" / "mong-cai" / "2023" / ".baocao-state.json"
    args = ("build", "--unit", "mong-cai", "--year", "2023", "--renderer", "pandoc")

    def recorded() -> dict:
        return json.loads(state.read_text(encoding="utf-8"))["verified_bags"]

    run_cli(*args, cwd=root)
    sha = {m["id"]: m["sha256"] for m in _metrics(root, "mong-cai", 2023)["members"]}
    assert set(recorded()) == {sha[w] for w in WARDS if w != "hai-xuan"}
    shutil.copy2(bags / "hai-xuan-2023.zip", year / "hai-xuan-2023.zip")
    run_cli(*args, cwd=root)
    assert len(recorded()) == 6 and _metrics(root, "mong-cai", 2023)["coverage"]["reported"] == 6
    outputs = ("metrics.json", "data/warnings.csv", "bao-cao-2023.qmd", "chat-luong-so-lieu-2023.html", "manifest.json")
    reused = {rel: (root / "build" / "mong-cai" / "2023" / rel).read_bytes() for rel in outputs}
    run_cli(*args, "--force", cwd=root)  # --force: every bag verified in full
    for rel in outputs:
        assert (root / "build" / "mong-cai" / "2023" / rel).read_bytes() == reused[rel], rel
    # tra-co's bag replaced by a tampered one under the same name: verified in full, refused
    _tamper(year / "tra-co-2023.zip")
    run_cli(*args, cwd=root)
    metrics = _metrics(root, "mong-cai", 2023)
    assert metrics["coverage"]["refused"] == ["tra-co"]
    tampered = next(m["sha256"] for m in metrics["members"] if m["id"] == "tra-co")
    assert tampered not in recorded() and len(recorded()) == 5
    # the record edited by hand to vouch for the tampered bag: still refused (its figures are
    # hashed against its manifests whatever the record says)
    edited = json.loads(state.read_text(encoding="utf-8"))
    edited["verified_bags"][tampered] = next(iter(edited["verified_bags"].values()))
    state.write_text(json.dumps(edited), encoding="utf-8")
    with open(year / "nhan-dinh.md", "a", encoding="utf-8") as fh:
        fh.write("\nBổ sung.\n")  # an input changed: the build runs again (not --force: the record is read)
    run_cli(*args, cwd=root)
    metrics = _metrics(root, "mong-cai", 2023)
    assert metrics["coverage"]["refused"] == ["tra-co"]
    assert "tra-co" not in [r["id"] for r in metrics["member_rows"]]
    out = run_cli("validate", "--unit", "mong-cai", "--year", "2023", "--jobs", "2", cwd=root).stdout
    assert "KHÔNG SỬ DỤNG / REFUSED" in out and "(tra-co)" in out and "5/6" in out, out
