"""`baocao new-year`: the office templates follow the input spec, read back with no reject once
filled in, carry last year's targets, never overwrite by surprise and never touch other years."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

from baocao.clean import clean_year
from baocao.config import Project
from baocao.errors import InputError, UsageError
from baocao.narrative import SECTIONS, load_meta, load_narrative
from baocao.templates import HEADER_ROW, make_templates

from .conftest import ROOT, load_script

YEAR = 2025


def load_corpus_maker():
    return load_script(ROOT / "tests" / "data" / "bad" / "make_corpus.py")


def small_project(dest: Path, years: tuple[int, ...] = (2024,)) -> Project:
    """Config, reference lists and the given sample years only."""
    import shutil

    dest.mkdir(parents=True)
    shutil.copy2(ROOT / "baocao.yml", dest / "baocao.yml")
    shutil.copytree(ROOT / "data" / "reference", dest / "data" / "reference")
    for y in years:
        shutil.copytree(ROOT / "data" / "raw" / str(y), dest / "data" / "raw" / str(y))
    return Project.find(dest)


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    project = small_project(tmp_path_factory.mktemp("t") / "project")
    before = digest(project.raw_dir(2024))
    notes: list[str] = []
    paths = make_templates(project, YEAR, log=notes.append)
    return project, paths, before, notes


def test_one_file_per_input_and_khu(made):
    project, paths, _before, _notes = made
    names = [p.name for p in paths]
    areas = [f"ban-ctmt-khu-{i}.xlsx" for i in range(1, len(project.unit.areas) + 1)]
    assert names == [
        *areas,
        "mttq-phuong.xlsx",
        "to-chuc-thanh-vien.xlsx",
        "chi-tieu.xlsx",
        "thong-tin-bao-cao.yml",
        "nhan-dinh.md",
    ]
    assert all(p.parent == project.raw_dir(YEAR) for p in paths)


def test_workbooks_follow_the_spec(made):
    project, paths, _before, _notes = made
    ref = project.reference
    for path in paths:
        if path.suffix != ".xlsx":
            continue
        key = next(k for k, f in ref.files.items() if path.match(f.pattern))
        tables = [t for t in ref.tables.values() if any(s.file == key for s in t.sources)]
        wb = openpyxl.load_workbook(path)
        sheets = [next(s.sheet for s in t.sources if s.file == key) for t in tables]
        assert wb.sheetnames == ["Hướng dẫn", *sheets, "Danh mục"], path.name
        assert wb["Danh mục"].sheet_state == "hidden"
        assert wb["Hướng dẫn"].sheet_state == "visible"
        for table, sheet in zip(tables, sheets, strict=True):
            ws = wb[sheet]
            header = [c.value for c in ws[HEADER_ROW]]
            assert header == [c.header for c in table.columns], (path.name, sheet)
            assert all(c.font.b for c in ws[HEADER_ROW])
            assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
            validations = {
                str(dv.sqref).split(":")[0][: -len(str(HEADER_ROW + 1))]: dv
                for dv in ws.data_validations.dataValidation
            }
            for j, col in enumerate(table.columns):
                letter = openpyxl.utils.get_column_letter(j + 1)
                fmt = ws.column_dimensions[letter].number_format
                if col.type in ("area", "organisation", "category", "yesno"):
                    dv = validations[letter]
                    assert dv.type == "list" and dv.formula1.startswith("'Danh mục'!"), (sheet, col.name)
                    assert dv.errorStyle == "warning"  # other accepted spellings may be typed
                elif col.type == "date":
                    assert fmt == "dd/mm/yyyy" and validations[letter].type == "date"
                elif col.type in ("integer", "money"):
                    assert fmt == "#,##0" and validations[letter].type == "whole"
                elif col.type == "month":
                    assert (validations[letter].formula1, validations[letter].formula2) == ("1", "12")


def test_dropdown_lists_hold_the_units_khu_organisations_and_catalogues(made):
    project, paths, _before, _notes = made
    wb = openpyxl.load_workbook(next(p for p in paths if p.name == "ban-ctmt-khu-1.xlsx"))
    lists = {}
    ws = wb["Danh mục"]
    for col in ws.iter_cols(values_only=True):
        lists[col[0]] = [v for v in col[1:] if v is not None]
    assert lists["Khu dân cư"] == [a.name for a in project.unit.areas]
    assert lists["Khu dân cư, toàn phường"] == [a.name for a in project.unit.areas] + ["Toàn phường"]
    assert lists["Lĩnh vực"] == project.reference.catalogues["activity_fields"].names()
    assert lists["Tổ chức"] == [o.name for o in project.unit.organisations]
    assert lists["Có/Không"] == ["Có", "Không"]
    targets = openpyxl.load_workbook(next(p for p in paths if p.name == "chi-tieu.xlsx"))["Danh mục"]
    columns = {c[0]: [v for v in c[1:] if v] for c in targets.iter_cols(values_only=True)}
    assert columns["Mã chỉ tiêu"] == list(project.reference.indicators)
    assert set(columns["Đơn vị tính"]) == {i.unit for i in project.reference.indicators.values()}


def test_instructions_are_in_vietnamese(made):
    _project, paths, _before, _notes = made
    ws = openpyxl.load_workbook(next(p for p in paths if p.name == "mttq-phuong.xlsx"))["Hướng dẫn"]
    text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)
    for needle in (
        "HƯỚNG DẪN NHẬP SỐ LIỆU NĂM 2025",
        "ngày/tháng/năm",
        "Số tiền ghi bằng đồng",
        "Tổng cộng",
        "Unicode",
        "Sheet 'Quỹ Vì người nghèo'",
        "Bắt buộc",
        "baocao validate --year 2025",
    ):
        assert needle in text, needle


def test_targets_are_carried_over_from_last_year(made):
    project, paths, _before, notes = made
    last = clean_year(project, 2024).tables["targets"]
    expected = last[last["year"] == YEAR][["indicator", "target"]].reset_index(drop=True)
    assert len(expected) > 0
    ws = openpyxl.load_workbook(next(p for p in paths if p.name == "chi-tieu.xlsx"))["Chỉ tiêu"]
    rows = [r for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if any(v is not None for v in r)]
    assert [r[0] for r in rows] == [YEAR] * len(expected)
    assert [r[1] for r in rows] == list(expected["indicator"])
    assert [float(r[4]) for r in rows] == [float(v) for v in expected["target"]]
    assert all(r[2] and r[3] for r in rows), "label and unit filled in"
    assert any("2024" in n for n in notes)


def test_targets_fall_back_to_last_years_own_rows(tmp_path):
    project = small_project(tmp_path / "p", years=())
    corpus = load_corpus_maker()
    base = project.raw_dir(YEAR)
    base.mkdir(parents=True)
    made = make_templates(project, YEAR)
    targets = next(p for p in made if p.name == "chi-tieu.xlsx")
    only_this_year = {"Chỉ tiêu": [r for r in corpus.TARGET_ROWS["Chỉ tiêu"] if r["Năm"] == YEAR]}
    targets.write_bytes(corpus.fill_workbook(targets.read_bytes(), only_this_year))
    make_templates(project, YEAR + 1)
    ws = openpyxl.load_workbook(project.raw_dir(YEAR + 1) / "chi-tieu.xlsx")["Chỉ tiêu"]
    rows = [r for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if any(v is not None for v in r)]
    assert [(r[0], r[1], r[4]) for r in rows] == [
        (YEAR + 1, r["Mã chỉ tiêu"], r["Kế hoạch"]) for r in only_this_year["Chỉ tiêu"]
    ]


def test_the_same_templates_byte_for_byte(made, tmp_path):
    project, paths, _before, _notes = made
    again = small_project(tmp_path / "again")
    for path in make_templates(again, YEAR):
        assert path.read_bytes() == (project.raw_dir(YEAR) / path.name).read_bytes(), path.name


def test_never_overwrites_unless_forced_and_never_touches_other_years(made):
    project, paths, before, _notes = made
    now = digest(project.raw_dir(YEAR))
    with pytest.raises(UsageError) as info:
        make_templates(project, YEAR)
    assert info.value.exit_code == 2 and "--force" in info.value.render()
    assert digest(project.raw_dir(YEAR)) == now
    (project.raw_dir(YEAR) / "nhan-dinh.md").write_text("## Tình hình chung\n\nĐã viết.\n", encoding="utf-8")
    make_templates(project, YEAR, force=True)
    assert digest(project.raw_dir(YEAR)) == now
    assert digest(project.raw_dir(2024)) == before


def test_skeletons_tell_what_to_fill_in(made):
    project, _paths, _before, _notes = made
    text = (project.raw_dir(YEAR) / "nhan-dinh.md").read_text(encoding="utf-8")
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == [h for h, _ in SECTIONS.values()]
    with pytest.raises(InputError, match="Tình hình chung"):
        load_narrative(project, YEAR)
    with pytest.raises(InputError, match="'so'"):
        load_meta(project, YEAR)
    meta = (project.raw_dir(YEAR) / "thong-tin-bao-cao.yml").read_text(encoding="utf-8")
    assert 'nhiem_ky: "2024-2029"' in meta  # carried over from last year, to be checked


def test_empty_templates_read_back_with_no_reject(made):
    project, _paths, _before, _notes = made
    result = clean_year(project, YEAR)
    assert result.rejects == []
    assert sum(len(t) for name, t in result.tables.items() if name != "targets") == 0
    assert {w.reason_en.split(" data for ")[0] for w in result.warnings} == {"no 'households'", "no 'mediation'"}


def test_filled_templates_read_back_with_zero_rejects(tmp_path):
    """Templates filled in as an office does (rows under the header) pass validate --strict."""
    from baocao.cli import build_parser

    corpus = load_corpus_maker()
    project = small_project(tmp_path / "p")
    made = {p.name: p for p in make_templates(project, YEAR)}
    # Filled in as an office does, the year continuing the last: the Quỹ opens at 2024's closing
    # balance and each khu starts with 2024's poor and near-poor households (baocao.reconcile).
    last = clean_year(project, YEAR - 1).tables
    fund = last["fund_txn"]
    closing = int(
        last["fund_balance"]["opening"].sum()
        + fund.loc[fund["direction"] == "thu", "amount"].sum()
        - fund.loc[fund["direction"] == "chi", "amount"].sum()
    )
    ward = {**corpus.WARD_ROWS, "Số dư quỹ": [{"Số dư đầu năm (đồng)": closing}]}
    ends = last["households"].set_index("area")

    def khu(n: int) -> dict[str, list[dict]]:
        rows = corpus.khu_rows(n)
        end = ends.loc[f"khu-{n}"]
        rows["Hộ gia đình"] = [
            {**r, "Hộ nghèo đầu năm": int(end["poor_end"]), "Hộ cận nghèo đầu năm": int(end["near_poor_end"])}
            for r in rows["Hộ gia đình"]
        ]
        return rows

    rows_of = {
        "mttq-phuong.xlsx": ward,
        "to-chuc-thanh-vien.xlsx": corpus.ORG_ROWS,
        "chi-tieu.xlsx": {"Chỉ tiêu": [r for r in corpus.TARGET_ROWS["Chỉ tiêu"] if r["Năm"] == YEAR + 1]},
    }
    for name, path in made.items():
        if path.suffix == ".xlsx":
            rows = rows_of.get(name) or khu(int(name.removeprefix("ban-ctmt-khu-").removesuffix(".xlsx")))
            path.write_bytes(corpus.fill_workbook(path.read_bytes(), rows))
    made["thong-tin-bao-cao.yml"].write_text(corpus.META, encoding="utf-8")
    made["nhan-dinh.md"].write_text(corpus.narrative_text(), encoding="utf-8")
    result = clean_year(project, YEAR)
    assert result.rejects == [] and result.warnings == []
    targets = result.tables["targets"]
    assert set(targets["year"]) == {YEAR, YEAR + 1}, "last year's targets for this year + next year's typed in"
    acc = result.accounting
    assert (acc["read"] == acc["kept"]).all()

    parser = build_parser()
    args = parser.parse_args(["--project", str(project.root), "validate", "--year", str(YEAR), "--strict"])
    assert args.func(args) == 0


def test_no_doubled_word_in_sheet_titles(made):
    """ "SỐ DƯ QUỸ … ĐẦU NĂM 2025", never "ĐẦU NĂM NĂM 2025" (issue 10)."""
    _project, paths, _before, _notes = made
    for path in paths:
        if path.suffix != ".xlsx":
            continue
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows(max_row=4, values_only=True):
                for value in row:
                    words = str(value or "").upper().split()
                    assert not any(a == b and not a.isdigit() for a, b in zip(words, words[1:], strict=False)), (
                        path.name,
                        value,
                    )
    wb = openpyxl.load_workbook(next(p for p in paths if p.name == "mttq-phuong.xlsx"))
    titles = [c for row in wb["Số dư quỹ"].iter_rows(max_row=4, values_only=True) for c in row if c]
    assert f'SỐ DƯ QUỸ "VÌ NGƯỜI NGHÈO" ĐẦU NĂM {YEAR}' in titles


def test_new_year_command(tmp_path, capsys):
    from baocao.cli import build_parser

    project = small_project(tmp_path / "p")
    parser = build_parser()
    args = parser.parse_args(["--project", str(project.root), "new-year", str(YEAR)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "data/raw/2025/mttq-phuong.xlsx" in out and "baocao validate --year 2025" in out
    args = parser.parse_args(["--project", str(project.root), "new-year", str(YEAR)])
    with pytest.raises(UsageError):
        args.func(args)
