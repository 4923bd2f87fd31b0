"""The four sample years: what scripts/make_sample_data.py makes (the committed files are its
output), nothing lost (read = kept + rejected + blank + total for every file), exactly the rows
listed in scripts/sample/expected-rejects.yml rejected, total rows recognised where the
generator wrote them, and every schema holding."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from baocao.clean import clean_year
from baocao.config import Project
from baocao.schema import validate_result
from baocao.summary import file_summary

from .conftest import ROOT, load_script

YEARS = (2021, 2022, 2023, 2024)


def _generator():
    return load_script(ROOT / "scripts" / "make_sample_data.py")


GENERATOR = _generator()


@pytest.fixture(scope="module")
def results():
    project = Project.find(ROOT)
    return project, {year: clean_year(project, year) for year in YEARS}


@pytest.mark.parametrize("year", YEARS)
def test_row_accounting_holds_for_every_file(results, year):
    _project, by_year = results
    result = by_year[year]
    acc = result.accounting
    assert len(acc) > 0
    assert (acc["read"] == acc["kept"] + acc["rejected"] + acc["blank"] + acc["total"]).all()
    files = file_summary(result)
    assert set(files["file"]) == {p.name for p in (ROOT / "data" / "raw" / str(year)).glob("*.xlsx")}
    assert (files["read"] == files["kept"] + files["rejected"] + files["blank"] + files["total"]).all()
    for table, frame in result.tables.items():  # what is kept is what the accounting says
        kept = acc[acc["table"] == table]["kept"].sum()
        assert len(frame) == kept, table


@pytest.mark.parametrize("year", YEARS)
def test_exactly_the_expected_rejects(results, year):
    _project, by_year = results
    got = [
        {"file": r.file, "sheet": r.sheet, "row": r.row, "column": r.column, "value": r.value}
        for r in by_year[year].rejects
    ]
    listed = yaml.safe_load((ROOT / "scripts" / "sample" / "expected-rejects.yml").read_text(encoding="utf-8"))
    expected = [{k: v for k, v in e.items() if k != "year"} for e in listed if e["year"] == year]
    assert got == expected
    assert by_year[year].rows_rejected == len(expected)
    assert by_year[year].warnings == []


@pytest.mark.parametrize("year", YEARS)
def test_total_rows_are_recognised_and_not_summed(results, year):
    _project, by_year = results
    acc = by_year[year].accounting
    per_file = acc.groupby("file")["total"].sum().to_dict()
    for file, total in per_file.items():
        stem = file.removesuffix(".xlsx")
        if (year, stem) in GENERATOR.TOTAL_ROWS:
            # the "Hoạt động" sheet, and in mttq-phuong.xlsx also the "Quỹ Vì người nghèo" sheet
            assert total == (2 if stem == "mttq-phuong" else 1), file
        else:
            assert total == 0, file


@pytest.mark.parametrize("year", YEARS)
def test_every_schema_holds(results, year):
    project, by_year = results
    validate_result(project, by_year[year], year)


def _workbook_content(path: Path) -> list:
    """What a person opening the workbook sees: each sheet's name and visibility, merged
    ranges and every cell's value (not the zip's bytes, which depend on whether openpyxl
    writes with lxml)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return [
        (
            ws.title,
            ws.sheet_state,
            sorted(str(r) for r in ws.merged_cells.ranges),
            [(c.coordinate, c.value) for row in ws.iter_rows() for c in row if c.value is not None],
        )
        for ws in wb.worksheets
    ]


def test_the_committed_samples_are_what_the_generator_makes(tmp_path):
    GENERATOR.main(["--out", str(tmp_path)])
    for year in YEARS:
        made, committed = tmp_path / str(year), ROOT / "data" / "raw" / str(year)
        assert sorted(p.name for p in made.iterdir()) == sorted(p.name for p in committed.iterdir()), year
        for path in sorted(made.iterdir()):
            if path.suffix == ".xlsx":
                assert _workbook_content(path) == _workbook_content(committed / path.name), path.name
            else:
                assert path.read_bytes() == (committed / path.name).read_bytes(), path.name
