"""The four sample years: nothing lost (read = kept + rejected + blank + total for every file),
exactly the rows listed in EXPECTED_REJECTS of scripts/make_sample_data.py rejected, total rows
recognised where the generator wrote them, and every schema holding."""

from __future__ import annotations

import pytest

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
    expected = [{k: v for k, v in e.items() if k != "year"} for e in GENERATOR.EXPECTED_REJECTS if e["year"] == year]
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
