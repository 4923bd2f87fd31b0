"""A 2025 merger compiled through the CLI (issue 24, "Done when"): ``baocao build --all`` on a
project where two wards ceased on 30/06/2025 and merged into a ward formed on 01/07/2025, and
a third ward is unchanged; the city compiles the four wards' own reports.

The wards' 2025 data are the example's 2024 files moved to 2025 (each date a year on): the
ceased wards' reports count to 30/06/2025 (their data cut-off: the rows after it are named and
not counted by their own builds); the successor's report counts from the day it was formed,
01/07/2025 (its files also hold rows of the months before, which its predecessors' reports
count: named, not counted), to 31/12/2025, and the unchanged ward's the whole year. The city's
figures must count each ward's report once, by each figure's rule, cover the whole year, and
compare with the same territory's 2024.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from baocao.config import Project

from .conftest import ROOT, load_script, run_cli

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "mong-cai"
CEASED, SUCCESSOR, OTHER = ("binh-ngoc", "tran-phu"), "mong-cai-1", "tra-co"
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(2024)\b")


def _day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _moved(value):
    """A cell of 2024 as it reads in 2025."""
    if isinstance(value, dt.datetime | dt.date) and value.year == 2024:
        moved = _day(2025, value.month, value.day)
        return dt.datetime.combine(moved, dt.time()) if isinstance(value, dt.datetime) else moved
    if isinstance(value, str):
        value = _DATE.sub(lambda m: _day(2025, int(m.group(2)), int(m.group(1))).strftime("%d/%m/%Y"), value)
        return re.sub(r"\b2024\b", "2025", re.sub(r"\b2025\b", "2026", value))
    return value


def _year_2025(src: Path, dest: Path, *, cutoff: str, report_day: str) -> None:
    """A ward's 2024 folder written as its 2025 folder."""
    import openpyxl

    dest.mkdir(parents=True)
    for path in sorted(src.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if (moved := _moved(cell.value)) != cell.value:
                        cell.value = moved
        wb.save(dest / path.name)
    meta = yaml.safe_load((src / "thong-tin-bao-cao.yml").read_text(encoding="utf-8"))
    meta.update(ngay_bao_cao=report_day, ngay_chot_so_lieu=cutoff, hoi_nghi="Hội nghị tổng kết năm 2025")
    (dest / "thong-tin-bao-cao.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    shutil.copy(src / "nhan-dinh.md", dest / "nhan-dinh.md")


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("merger") / "mong-cai"
    root.mkdir()
    load_script(ROOT / "scripts" / "make_example_mong_cai.py").install_project_files(root)
    config = yaml.safe_load((EXAMPLE / "baocao.yml").read_text(encoding="utf-8"))
    units = {u["id"]: u for u in config["units"]}
    ceased = [{**units[w], "merged_into": SUCCESSOR, "valid_to": "2025-06-30"} for w in CEASED]
    successor = {
        "id": SUCCESSOR,
        "name": "Ủy ban MTTQ Việt Nam phường Móng Cái 1",
        "body_name": "PHƯỜNG MÓNG CÁI 1",
        "place": "Móng Cái 1",
        "ward": "phường Móng Cái 1",
        "predecessors": list(CEASED),
        "valid_from": "2025-07-01",
    }
    city = {**units["mong-cai"], "members": [*CEASED, SUCCESSOR, OTHER]}
    config["units"] = [*ceased, successor, units[OTHER], city]
    (root / "baocao.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    raw, example = root / "data" / "raw", EXAMPLE / "data" / "raw"
    for ward in (*CEASED, OTHER):  # their own 2024, as reported that year
        shutil.copytree(example / ward / "2024", raw / ward / "2024")
    for ward in CEASED:
        _year_2025(
            example / ward / "2024",
            raw / ward / "2025",
            cutoff="30/06/2025",
            report_day="05/07/2025",
        )
    # the new ward's files: another ward's year, its first half included (what its office typed
    # in from before it was formed: the predecessors' reports count those months)
    _year_2025(
        example / "hai-hoa" / "2024",
        raw / SUCCESSOR / "2025",
        cutoff="31/12/2025",
        report_day="31/12/2025",
    )
    _year_2025(example / OTHER / "2024", raw / OTHER / "2025", cutoff="31/12/2025", report_day="31/12/2025")
    city_year = raw / "mong-cai" / "2025"
    shutil.copytree(example / "mong-cai" / "2024", city_year)
    for name in ("thong-tin-bao-cao.yml", "nhan-dinh.md", "chi-tieu.yml"):
        text = (city_year / name).read_text(encoding="utf-8")
        (city_year / name).write_text(re.sub(r"\b2024\b", "2025", re.sub(r"\b2025\b", "2026", text)), "utf-8")
    run_cli("build", "--all", "--jobs", "2", "--renderer", "pandoc", cwd=root)
    return root


def _metrics(root: Path, unit: str, year: int) -> dict:
    return json.loads((root / "build" / unit / str(year) / "metrics.json").read_text(encoding="utf-8"))


def test_each_ward_counted_once_by_each_rule(merged):
    own = {w: _metrics(merged, w, 2025)["indicators"] for w in (*CEASED, SUCCESSOR, OTHER)}
    city = _metrics(merged, "mong-cai", 2025)
    assert city["coverage"]["reported"] == 4 and city["coverage"]["partial"] is False
    assert [c["status"] for c in city["checks"]["member_equality"]] == ["ok"] * 4
    whose = {
        "sum": [*CEASED, SUCCESSOR, OTHER],  # each half-year once: the ceased wards' to 30/06, the successor's after
        "opening": [*CEASED, OTHER],  # on 1 January: the wards that then existed
        "closing": [SUCCESSOR, OTHER],  # on 31 December: the wards that still exist
    }
    checked = set()
    declared = Project(merged, merged / "build").reference.declared
    for code, ind in declared.items():
        entry = city["indicators"][code]
        if ind.rollup in whose:
            assert entry["contributors"] == whose[ind.rollup], code
            parts = [own[w][code]["value"] for w in whose[ind.rollup]]
            assert None not in parts, (code, parts)
            assert entry["value"] == pytest.approx(sum(parts), abs=1e-6), code
            checked.add(ind.rollup)
    assert checked == set(whose)
    so_ho = sum(own[w]["so_ho"]["value"] for w in whose["closing"])
    poor = sum(own[w]["ho_ngheo_cuoi"]["value"] for w in whose["closing"])
    assert city["indicators"]["ty_le_ho_ngheo"]["value"] == pytest.approx(100 * poor / so_ho, abs=1e-9)


def test_the_ceased_wards_report_their_half_year_and_the_city_the_whole_year(merged):
    for ward in CEASED:  # its rows after 30/06 named by its own build, and not counted
        assert _metrics(merged, ward, 2025)["period"]["cutoff"] == "2025-06-30"
        after = [r for r in _rows(merged, ward, "warnings") if "after the data cut-off 30/06/2025" in r["reason_en"]]
        assert after, ward
        record = (merged / "build" / ward / "2025" / "chat-luong-so-lieu-2025.html").read_text(encoding="utf-8")
        assert "ghi ngày ngoài kỳ số liệu, không được tính (mục 8)" in record
    city = _metrics(merged, "mong-cai", 2025)["period"]
    assert city["start"] == "2025-01-01" and city["cutoffs"] == ["2025-06-30", "2025-12-31"]
    assert city["whole_year"] is True


def test_the_successor_counts_from_the_day_it_was_formed(merged):
    """Its rows dated before 01/07/2025 are named and not counted (period.py): its
    tuyên truyền sessions equal a recomputation from its tidy rows of July to December."""
    metrics = _metrics(merged, SUCCESSOR, 2025)
    assert metrics["period"]["start"] == "2025-07-01" and metrics["period"]["cutoff"] == "2025-12-31"
    early = {(r["file"], r["sheet"], r["row"]) for r in metrics["period"]["rows_before"]}
    named = [
        r for r in _rows(merged, SUCCESSOR, "warnings") if "before the unit was formed on 01/07/2025" in r["reason_en"]
    ]
    assert early and {(r["file"], r["sheet"], int(r["row"])) for r in named} == early
    before = 0
    for table, column in DATED.items():
        rows = [r for r in _rows(merged, SUCCESSOR, table) if r[column]]
        before += sum(1 for r in rows if (int(r[column]) < 7 if column == "month" else r[column] < "2025-07-01"))
    assert before == len(early)
    sessions = sum(
        int(float(r["sessions"] or 0))
        for r in _rows(merged, SUCCESSOR, "activity")
        if r["field"] == "tuyen_truyen" and "2025-07-01" <= r["date"] <= "2025-12-31"
    )
    whole_year = sum(
        int(float(r["sessions"] or 0)) for r in _rows(merged, SUCCESSOR, "activity") if r["field"] == "tuyen_truyen"
    )
    assert metrics["indicators"]["tuyen_truyen_cuoc"]["value"] == sessions < whole_year
    # the data-quality record says so: these rows are not counted, whatever "warning" suggests
    record = (merged / "build" / SUCCESSOR / "2025" / "chat-luong-so-lieu-2025.html").read_text(encoding="utf-8")
    assert f"trừ {len(early)} dòng\nghi ngày ngoài kỳ số liệu, không được tính" in record
    assert "Đơn vị thành lập trong năm" in record and record.count("không tính vào báo cáo / not counted") == len(early)


DATED = {"activity": "date", "fund_txn": "date", "gifts": "date", "supervision": "date", "houses": "started"}
DATED |= {"critique": "date", "petitions": "month", "emulation_models": "registered_on"}  # inputs.yml's date columns


def _rows(root: Path, unit: str, table: str) -> list[dict]:
    import csv

    with open(root / "build" / unit / "2025" / "data" / f"{table}.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_last_year_is_the_same_territory_each_ward_once(merged):
    city = _metrics(merged, "mong-cai", 2025)["indicators"]
    before = {w: _metrics(merged, w, 2024)["indicators"] for w in (*CEASED, OTHER)}
    successor = _metrics(merged, SUCCESSOR, 2025)["indicators"]
    for code in ("tuyen_truyen_cuoc", "quy_vnn_thu", "so_ho", "ho_ngheo_cuoi"):
        # the successor's report states its predecessors' sum for 2024 (the ward-level merger support) …
        predecessors = sum(before[w][code]["value"] for w in CEASED)
        assert successor[code]["history"]["2024"] == pytest.approx(predecessors), code
        # … and the city adds it once, with the unchanged ward: the ceased wards are not counted again
        territory = predecessors + before[OTHER][code]["value"]
        assert city[code]["previous"] == pytest.approx(territory), code
    rate = (
        100
        * sum(before[w]["ho_ngheo_cuoi"]["value"] for w in before)
        / sum(before[w]["so_ho"]["value"] for w in before)
    )
    assert city["ty_le_ho_ngheo"]["previous"] == pytest.approx(rate, abs=1e-9)
