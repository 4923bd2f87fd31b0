"""Many units and years: the job matrix, merger history, parallel = serial = Dask cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from baocao.batch import plan_jobs, run_jobs
from baocao.config import Project
from baocao.history import load_history
from baocao.metrics import indicator_values

from .conftest import ROOT, copy_project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def multi(tmp_path_factory) -> Project:
    """Two wards (the sample data twice) merged into a new ward from 1 January 2024."""
    root = copy_project(tmp_path_factory.mktemp("multi") / "tinh", years=[])
    raw = root / "data" / "raw"
    for unit, years in (("binh-ngoc", (2022, 2023)), ("tran-phu", (2023,)), ("mong-cai-1", (2024,))):
        for year in years:
            shutil.copytree(ROOT / "data" / "raw" / str(year), raw / unit / str(year))
    config = yaml.safe_load((ROOT / "baocao.yml").read_text(encoding="utf-8"))
    base = config.pop("unit")
    config["unit"] = {k: v for k, v in base.items() if k not in ("id", "name", "body_name", "place", "ward")}
    config["units"] = [
        {
            "id": "binh-ngoc",
            "name": "Ủy ban MTTQ Việt Nam phường Bình Ngọc",
            "body_name": "PHƯỜNG BÌNH NGỌC",
            "place": "Bình Ngọc",
            "merged_into": "mong-cai-1",
            "valid_to": "2023-12-31",
        },
        {
            "id": "tran-phu",
            "name": "Ủy ban MTTQ Việt Nam phường Trần Phú",
            "body_name": "PHƯỜNG TRẦN PHÚ",
            "place": "Trần Phú",
            "merged_into": "mong-cai-1",
            "valid_to": "2023-12-31",
        },
        {
            "id": "mong-cai-1",
            "name": "Ủy ban MTTQ Việt Nam phường Móng Cái 1",
            "body_name": "PHƯỜNG MÓNG CÁI 1",
            "place": "Móng Cái",
            "predecessors": ["binh-ngoc", "tran-phu"],
            "valid_from": "2024-01-01",
        },
    ]
    (root / "baocao.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Project(root, root / "build")


def test_all_plans_the_unit_year_matrix(multi):
    jobs = plan_jobs(multi, None, all_years=True, unit=None, renderer="pandoc", force=False, wait=False)
    assert [j.label for j in jobs] == ["binh-ngoc/2022", "binh-ngoc/2023", "tran-phu/2023", "mong-cai-1/2024"]
    assert {Path(j.build_root).name for j in jobs} == {"binh-ngoc", "tran-phu", "mong-cai-1"}


def test_merged_unit_compares_with_the_sum_of_its_predecessors(multi):
    mong_cai = multi.for_unit("mong-cai-1")
    history, notes = load_history(mong_cai, 2024)
    assert sorted(history) == [2023]  # 2022: only one predecessor has data, so it is not compared
    assert notes == [
        "2022: thiếu số liệu của tran-phu; không so sánh năm này / no 2022 data for tran-phu; year not compared"
    ]
    combined = indicator_values(history[2023])
    one, _ = load_history(multi.for_unit("tran-phu"), 2024)
    single = indicator_values(one[2023])
    assert combined["quy_vnn_thu"] == pytest.approx(2 * single["quy_vnn_thu"])
    assert combined["mo_hinh_dang_ky"] == 2 * single["mo_hinh_dang_ky"]  # areas of two wards stay distinct


def _jobs(project: Project, build: Path):
    moved = Project(project.root, build)
    return [
        j
        for j in plan_jobs(moved, None, all_years=True, unit=None, renderer="pandoc", force=False, wait=False)
        if j.label in ("tran-phu/2023", "mong-cai-1/2024")
    ]


def _outputs(build: Path) -> dict[str, bytes]:
    return {
        p.relative_to(build).as_posix(): p.read_bytes()
        for p in sorted(build.rglob("*"))
        if p.is_file() and "notebooks" not in p.parts and not p.name.startswith(".") and p.name != "manifest.json"
    }


def _differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


@pytest.fixture(scope="module")
def serial(multi, tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("serial")
    results = run_jobs(_jobs(multi, build), n_jobs=1)
    assert all(r["exit_code"] == 0 for r in results), results
    return build


def test_parallel_build_is_byte_identical_to_serial(multi, serial, tmp_path_factory):
    build = tmp_path_factory.mktemp("parallel")
    events = []
    results = run_jobs(_jobs(multi, build), n_jobs=2, on_event=lambda *e: events.append(e))
    assert all(r["exit_code"] == 0 for r in results), results
    assert {e[0] for e in events} == {"tran-phu/2023", "mong-cai-1/2024"}, "one progress stream from both workers"
    assert _differing(_outputs(build), _outputs(serial)) == []
    assert (build / "mong-cai-1" / "2024" / "bao-cao-2024.pdf").is_file()


def test_dask_local_cluster_gives_the_same_outputs(multi, serial, tmp_path_factory):
    distributed = pytest.importorskip("dask.distributed")
    build = tmp_path_factory.mktemp("dask")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        results = run_jobs(_jobs(multi, build), scheduler=cluster.scheduler_address)
    assert all(r["exit_code"] == 0 for r in results), results
    assert _differing(_outputs(build), _outputs(serial)) == []


def test_merged_unit_report_states_the_comparison(serial):
    import json

    metrics = json.loads((serial / "mong-cai-1" / "2024" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["compared_years"] == [2023]
    assert metrics["indicators"]["quy_vnn_thu"]["previous"] is not None
