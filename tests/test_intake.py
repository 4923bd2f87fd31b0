"""Intake that never loses or invents data (issue 11), beyond one corpus file at a time:
validate and build agree on every corpus case, the documented input routes build, the
narrative renders as typed in both readers, and the reader's cost follows the data."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from baocao.config import Project
from baocao.errors import BaocaoError, InputError
from baocao.narrative import load_meta, load_narrative
from baocao.prose import inline, to_markdown
from baocao.readers import open_grids, read_sheet
from baocao.readers.workbook import check_zip_limits
from baocao.ziplimits import LIMITS

from .conftest import ROOT, copy_project, run_cli
from .test_bad_inputs import BAD, CASES, YEAR, place

READER = "markdown-raw_html-raw_attribute-raw_tex"  # the pandoc backend's reader (render/pandoc.py)
QUARTO_LIKE = "markdown+emoji+mark"  # pandoc's full Markdown, as Quarto reads it (raw HTML, spans, divs…)


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.find(ROOT)


# ---------------------------------------------------------------------------- validate = build
def _case_root(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    (root / "data").mkdir(parents=True)
    shutil.copy2(ROOT / "baocao.yml", root / "baocao.yml")
    shutil.copy2(ROOT / "_quarto.yml", root / "_quarto.yml")
    shutil.copytree(ROOT / "report" / "fonts", root / "report" / "fonts")  # what the PDF can print
    shutil.copytree(ROOT / "data" / "reference", root / "data" / "reference")
    place(CASES[name], root)
    return root


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_and_build_agree(name, tmp_path, capsys):
    """`validate` exits 0 exactly when the build's reading of the inputs succeeds: the clean
    step (clean, schema check, tidy CSV) and the compose step's metadata and narrative."""
    from baocao.cli import main
    from baocao.yearsteps import clean_step

    root = _case_root(tmp_path, name)
    validated = main(["--project", str(root), "validate", "--year", str(YEAR)]) == 0
    capsys.readouterr()
    project = Project.find(root)
    try:
        clean_step(root, YEAR, tmp_path / "build")
        load_meta(project, YEAR)
        narrative = load_narrative(project, YEAR)
        built = True
    except BaocaoError as exc:
        built = False
        assert "Traceback" not in exc.render()
    assert validated == built == (CASES[name]["outcome"] != "error"), name
    if built:
        for text in narrative.values():  # what compose prints: Markdown that pandoc reads as text
            assert "{{" not in text and "{%" not in text


# ---------------------------------------------------------------------------- the narrative
TYPED = [
    "Chi $5 cho @Nguyễn Văn A và @fig-1, tỷ lệ 50% (so với $10$).",
    '{{ mẫu }} {% raw %} {{% include x %}} [x]{onfocus=alert(1)} [y]{.lead style="color:red"}',
    "::: {onmouseover=alert(2)}",
    "&amp; &lt;i&gt; a\\b cuối dòng\\ ```{python} `mã`",
    "#1 việc, # không phải tiêu đề, | cột |, ~chỉ số dưới~, ^mũ^, ==đánh dấu==, :smile:, 12:30",
    "2*3*4 = 24; a_b_c; [@ref]; [^1]; ![ảnh](x.png)",
    "1) mục một không phải danh sách",
    "- gạch đầu dòng thật",
]


def _pandoc_json(markdown: str, reader: str) -> dict:
    import pypandoc

    return json.loads(pypandoc.convert_text(markdown, "json", format=reader))


def _plain(markdown: str, reader: str) -> str:
    import pypandoc

    return " ".join(pypandoc.convert_text(markdown, "plain", format=reader, extra_args=["--wrap=none"]).split())


ALLOWED = {
    "Str",
    "Space",
    "SoftBreak",
    "LineBreak",
    "Emph",
    "Strong",
    "Para",
    "Plain",
    "BulletList",
    "OrderedList",
    "Quoted",
    "DoubleQuote",
    "SingleQuote",
}  # quotes become typographic, as in the template


def _kinds(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        if "t" in node:
            found.add(node["t"])
        for value in node.values():
            found |= _kinds(value)
    elif isinstance(node, list):
        for value in node:
            found |= _kinds(value)
    return found


@pytest.mark.parametrize("reader", [READER, QUARTO_LIKE])
@pytest.mark.parametrize("text", TYPED[:-2])
def test_a_typed_line_reads_back_as_the_same_text(text, reader):
    """In the pandoc backend's reader and in full Markdown (what Quarto reads), the escaped line
    is that text: no math, citation, span, div, raw HTML, shortcode, heading or emoji."""
    markdown = to_markdown([text])
    assert _kinds(_pandoc_json(markdown, reader)["blocks"]) <= ALLOWED
    expected = " ".join(text.split())
    assert _plain(markdown, reader).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"') == expected


def test_lists_and_emphasis_are_kept_and_only_those():
    markdown = to_markdown(["Mở đầu **rất đậm** và *nghiêng*.", "", "- một", "  - con", "- hai", "", "1. số"])
    doc = _pandoc_json(markdown, QUARTO_LIKE)
    kinds = [b["t"] for b in doc["blocks"]]
    assert kinds == ["Para", "BulletList", "OrderedList"]
    assert {"Strong", "Emph"} <= _kinds(doc["blocks"][0])
    assert inline("**a** *b* _c_") == "**a** *b* *c*"
    assert to_markdown(["    thụt lề bốn dấu cách"]) == "thụt lề bốn dấu cách"  # not a code block
    item = _pandoc_json(to_markdown(["- 2. mục có số", "- + dấu cộng"]), QUARTO_LIKE)["blocks"]
    assert [b["t"] for b in item] == ["BulletList"] and _kinds(item) <= ALLOWED
    assert _plain(to_markdown(["- 2. mục có số"]), QUARTO_LIKE) == "- 2. mục có số"


@pytest.fixture(scope="module")
def built_with_typed_narrative(tmp_path_factory):
    """The 2023 sample with a narrative paragraph holding what offices type, built with pandoc."""
    root = copy_project(tmp_path_factory.mktemp("typed") / "project", years=[2023])
    path = root / "data" / "raw" / "2023" / "nhan-dinh.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("## Ưu điểm") + 1
    lines[at:at] = ["", *TYPED[:5], ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    validate = run_cli("validate", "--year", "2023", cwd=root, check=False)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "build" / "2023"


def _flat(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text.replace("\u201c", '"').replace("\u201d", '"'))


def test_typed_narrative_renders_as_typed_in_html_and_pdf(built_with_typed_narrative):
    from pypdf import PdfReader

    build = built_with_typed_narrative
    page = (build / "bao-cao-2023.html").read_text(encoding="utf-8")
    text = _flat(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))
    pdf = _flat("\n".join(p.extract_text() for p in PdfReader(build / "bao-cao-2023.pdf").pages))
    for line in TYPED[:5]:
        assert " ".join(line.split()) in text, line
    for part in ("Chi $5 cho @Nguyễn Văn A", "[x]{onfocus=alert(1)}", "::: {onmouseover=alert(2)}", "&lt;i&gt;"):
        assert part in pdf.replace("\u00a0", " "), part
    tags = " ".join(re.findall(r"<[^>]+>", page))
    for attribute in ("onfocus", "onmouseover", 'style="color:red"', 'class="lead"'):
        assert attribute not in tags, attribute


def test_a_character_no_font_has_is_refused_by_validate_and_build_alike(tmp_path):
    """An emoji is printed (report/fonts' fallbacks); a character no font has is refused by both."""
    root = copy_project(tmp_path / "project", years=[2023])
    path = root / "data" / "raw" / "2023" / "nhan-dinh.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("## Ưu điểm") + 2
    lines[at] = "Phong trào được hưởng ứng 𓀀 nhiệt tình."
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    where = f"tệp nhan-dinh.md, dòng {at + 1}, cột 27"
    validate = run_cli("validate", "--year", "2023", cwd=root, check=False)
    assert validate.returncode == 1 and where in validate.stdout, validate.stdout
    build = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    assert build.returncode == 1 and where in build.stderr and "Traceback" not in build.stderr, build.stderr


# ---------------------------------------------------------------------------- input routes
def test_the_documented_routes_build_xlsm_and_a_sheet_as_csv(tmp_path, build_2023):
    """data/README.md: `.xlsm` workbooks, and a sheet sent as `<file>--<sheet>.csv` next to its
    workbook. Built with both, the year's figures are those of the sample."""
    import csv

    import openpyxl

    from baocao.templates import deterministic_bytes

    root = copy_project(tmp_path / "project", years=[2021, 2022, 2023])
    raw = root / "data" / "raw" / "2023"
    wb = openpyxl.load_workbook(raw / "mttq-phuong.xlsx")
    ws = wb["Giám sát"]
    with open(raw / "mttq-phuong--giam-sat.csv", "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        for row in ws.iter_rows(values_only=True):
            writer.writerow(
                [v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else ("" if v is None else v) for v in row]
            )
    wb.remove(ws)
    (raw / "mttq-phuong.xlsm").write_bytes(deterministic_bytes(wb, 2023))
    (raw / "mttq-phuong.xlsx").unlink()
    proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=root, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = json.loads((root / "build" / "2023" / "metrics.json").read_text(encoding="utf-8"))
    want = json.loads((build_2023 / "metrics.json").read_text(encoding="utf-8"))
    assert got["indicators"] == want["indicators"]
    assert got["breakdowns"]["giam_sat_theo_hinh_thuc"] == want["breakdowns"]["giam_sat_theo_hinh_thuc"]
    assert got["fund"] == want["fund"]


# ---------------------------------------------------------------------------- the reader
def test_a_stray_cell_at_row_1048576_costs_nothing(project):
    """The grid holds only rows with values: the sheet's used range reaching Excel's last row
    does not make a million rows (the cost follows the data; the time is in benchmarks/)."""
    grids = open_grids(BAD / "stray-cell-row-1048576.xlsx", "to-chuc-thanh-vien.xlsx")
    sheet = next(g for g in grids if g.name == "Hoạt động")
    assert sheet.height == 1_048_576 and len(sheet.rows) < 20
    spec = project.reference.tables["activity"]
    read = read_sheet(sheet, spec, "to-chuc-thanh-vien.xlsx", spec.sources[2])
    assert (read.n_rows, read.blank_rows, read.rows_read) == (3, 0, 3)


def test_total_rows_keep_their_cells_for_checks(project):
    grids = open_grids(BAD / "subtotal-rows.xlsx", "to-chuc-thanh-vien.xlsx")
    spec = project.reference.tables["activity"]
    read = read_sheet(next(g for g in grids if g.name == "Hoạt động"), spec, "x.xlsx", spec.sources[2])
    assert [(t.row, t.label, t.cells["sessions"], t.cells["participants"]) for t in read.total_rows] == [
        (6, "Cộng", 1, 150),
        (9, "Tổng", 4, 275),
    ]


def test_a_member_beyond_the_ratio_limit_is_refused_before_it_is_read(tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (LIMITS.max_ratio * 200_000) + b"</a>")
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z, pytest.raises(InputError) as info:
        check_zip_limits(z, "x.xlsx")
    assert "xl/worksheets/sheet1.xml" in info.value.reason_vi and "Ctrl+End" in info.value.hint_vi


def test_an_entity_in_a_workbooks_xml_is_refused_never_expanded(tmp_path):
    """A sheet declaring entities (a "billion laughs") is refused as a damaged file: its XML is
    parsed with defusedxml, which expands no entity."""
    import zipfile

    import openpyxl

    from baocao.readers.workbook import open_xlsx

    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=1+1"
    wb.save(plain)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 6)
        )
        + b"]>"
    )
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = data.split(b"?>", 1)[-1]  # after the XML declaration, if any
                data = laughs + body.replace(b"<f>1+1</f>", b"<f>&lol5;</f>")
            dst.writestr(info.filename, data)
    with pytest.raises(InputError) as info:
        open_xlsx(bomb, "bomb.xlsx")
    assert "EntitiesForbidden" in info.value.reason_en or "DTDForbidden" in info.value.reason_en


def test_metadata_is_read_as_typed(project, tmp_path):
    raw = tmp_path / str(YEAR)
    shutil.copytree(BAD / "_base" / str(YEAR), raw)
    (raw / "thong-tin-bao-cao.yml").write_text(
        "so: 045\nngay_bao_cao: 2025-12-05\nhoi_nghi: yes\nnhiem_ky: 2024-2029\n", encoding="utf-8"
    )
    meta = load_meta(project, YEAR, raw)
    assert (meta.number, meta.conference, meta.term, meta.date.isoformat()) == ("045", "yes", "2024-2029", "2025-12-05")


def _rewrite_sheet(src: Path, dst: Path, edit) -> None:
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            zout.writestr(info.filename, data)


def test_cells_without_positions_are_read_where_excel_puts_them(tmp_path):
    """A sheet written by a program may leave out a row's or a cell's ``r`` (each then follows
    the one before it, as Excel reads it); a merged range may reach past the last cell. Every
    value is read at its place, as openpyxl's own public API reads the sheet."""
    import openpyxl

    from baocao.readers.workbook import open_xlsx

    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["Khu", "Số hộ"], ["Khu 1", 120], ["Khu 2", 95], ["Khu 3", 7]):
        ws.append(row)
    ws.merge_cells("C1:F9")
    wb.save(plain)
    bare = tmp_path / "bare.xlsx"

    def without_positions(data: bytes) -> bytes:
        head, rest = data.split(b"<sheetData>")
        body, tail = rest.split(b"</sheetData>")
        return head + b"<sheetData>" + re.sub(rb' r="[A-Z]*[0-9]+"', b"", body) + b"</sheetData>" + tail

    _rewrite_sheet(plain, bare, without_positions)
    (grid,) = open_xlsx(bare, "bare.xlsx")
    public = openpyxl.load_workbook(bare).active
    assert public.max_row == 9 and public["B3"].value == 95  # the file as openpyxl reads it
    want = [[c for c in row if c is not None] for row in public.iter_rows(values_only=True)]
    got = [[c for c in row if c is not None] for row in grid.rows]
    assert got == [row for row in want if row] == [["Khu", "Số hộ"], ["Khu 1", 120], ["Khu 2", 95], ["Khu 3", 7]]
    assert grid.row_numbers == [1, 2, 3, 4]


def test_a_sheet_without_positions_too_large_to_visit_is_refused_and_named(tmp_path):
    import openpyxl

    from baocao.readers.workbook import open_xlsx

    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Hộ nghèo"
    wb.active["A1"], wb.active["B1"], wb.active["A1048576"] = "Khu", "Số hộ", " "
    wb.save(plain)
    bare = tmp_path / "bare.xlsx"
    _rewrite_sheet(plain, bare, lambda data: re.sub(rb'(<c[^>]*?) r="[A-Z]+[0-9]+"', rb"\1", data))
    with pytest.raises(InputError) as info:
        open_xlsx(bare, "bare.xlsx")
    assert "Hộ nghèo" in info.value.reason_vi and "2.097.152 ô" in info.value.reason_vi
    assert "A1:B1048576" in info.value.reason_en and "save it again" in info.value.hint_en
