"""Data never becomes markup: escaping for Markdown, checked through pandoc itself."""

import json
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pypandoc
import pytest

from baocao.compose import (
    Tables,
    _change_vs,
    _lower_first,
    _pct_of_plan,
    _remarks,
    _target_with_unit,
    _vs_plan,
    _with_unit,
    environment,
)
from baocao.markdown import Md, md_escape, table, yaml_str


def pandoc_html(markdown: str) -> str:
    return subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown-raw_html-raw_attribute-raw_tex", "-t", "html", "--sandbox"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


NASTY = [
    "<script>alert(1)</script>",
    "*not bold* and _not italic_",
    "a | b",
    "[link](javascript:alert(3))",
    "![img](secret.txt)",
    "# not a heading",
    "1. not a list",
    "- not a list",
    "$x^2$ and @cite and ~sub~ and ^sup^",
    "`code` and \\backslash",
    "&lt; stays as typed",
    "{.class} and {=html}",
]


@pytest.mark.parametrize("text", NASTY)
def test_escaped_text_renders_as_itself(text):
    html = pandoc_html("Trước " + md_escape(text) + " sau\n")
    assert "<script" not in html and "<a " not in html and "<img" not in html and "<em>" not in html
    assert "<code>" not in html and "<h1" not in html and "<ol" not in html and "<ul" not in html
    # the visible text is exactly the input (HTML-escaped by pandoc's writer)
    import html as htmllib

    visible = htmllib.unescape(html.replace("<p>", "").replace("</p>", "")).strip()
    assert visible == f"Trước {text} sau"


def test_table_cells_are_escaped_and_keep_their_column():
    md = table(["Tên", "Số"], [["a | b <b>x</b>", Md("1.234")]], "lr", "Bảng 1: thử")
    html = pandoc_html(md)
    assert "a | b &lt;b&gt;x&lt;/b&gt;" in html
    assert html.count("<td") == 2


def test_newlines_in_data_do_not_break_tables():
    md = table(["Tên"], [["dòng một\ndòng hai"]], "l", "c")
    assert "dòng một dòng hai" in md


def test_yaml_str_is_valid_json_and_escaped():
    s = yaml_str('Ban "A" *B*')
    assert json.loads(s) == 'Ban "A" \\*B\\*'


def test_template_output_is_escaped_by_default(tmp_path):
    (tmp_path / "t.j2").write_text("{{ data }} {{ trusted }} {{ year }} {{ big | num }}", encoding="utf-8")
    env = environment(tmp_path)
    out = env.get_template("t.j2").render(data="<b>*x*</b>", trusted=Md("**đậm**"), year=2023, big=1234567)
    assert out == "\\<b\\>\\*x\\*\\</b\\> **đậm** 2023 1.234.567"


def test_undefined_variables_fail(tmp_path):
    import jinja2

    (tmp_path / "t.j2").write_text("{{ missing }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        environment(tmp_path).get_template("t.j2").render()


# --- sentences and tables of the report ----------------------------------------------------

FILTER = Path(__file__).resolve().parents[1] / "report" / "filters" / "baocao.lua"


def test_spaces_at_the_ends_of_a_value_are_kept():
    """`{{ "; " if not loop.last }}` separates items: the space must survive."""
    assert md_escape("; ") == "; "
    assert md_escape("  a \n b ") == " a b "
    assert md_escape(" ") == " " and md_escape("") == ""
    html = pandoc_html("tập thể: 5" + md_escape("; ") + "cá nhân: 13\n")
    assert "tập thể: 5; cá nhân: 13" in html


def test_quotes_in_data_become_typographic_like_the_text_around_them():
    html = pandoc_html("Phong trào " + md_escape('"Ngày chủ nhật xanh" <b>') + "\n")
    assert "“Ngày chủ nhật xanh”" in html and "&lt;b&gt;" in html


def ind(**kw) -> dict:
    base = {
        "code": "x",
        "name": "Chỉ tiêu",
        "unit": "cuộc",
        "kind": "count",
        "direction": "higher",
        "value": 165,
        "target": 145,
        "achievement_pct": 113.7931,
        "status": "vượt",
        "change": 22.2222,
        "change_is_points": False,
        "history": {},
        "next_target": None,
    }
    base.update(kw)
    return base


def test_results_against_the_plan_read_like_a_report():
    assert _vs_plan(ind()) == "đạt 113,8% kế hoạch"
    # office numbers (issue 20): "đạt 100%", "80%", never "100,0%", "80,0%"
    assert _vs_plan(ind(value=145, achievement_pct=100, status="đạt")) == "đạt 100% kế hoạch"
    assert _vs_plan(ind(value=4, target=5, achievement_pct=80, status="chưa đạt")) == "mới đạt 80% kế hoạch"
    # The verdict with the numbers that explain it (issue 10), in a sentence, never in a
    # machine-made bracket (issue 20): a ceiling, a rate, a count.
    lower = ind(
        kind="percent",
        unit="%",
        direction="lower",
        value=0.85,
        target=1,
        achievement_pct=None,
        status="đạt",  # staying under a ceiling meets it, never "vượt" (issue 20)
        decimals=1,
        target_decimals=1,
    )
    assert _vs_plan(lower) == "đạt chỉ tiêu không quá 1%"
    miss = ind(
        kind="percent",
        unit="%",
        direction="lower",
        value=0.42,
        target=0.4,
        achievement_pct=None,
        status="chưa đạt",
        decimals=2,
        target_decimals=1,
    )
    assert _with_unit(miss) == "0,42%" and _vs_plan(miss) == "chưa đạt chỉ tiêu không quá 0,4%"
    # a rate against a rate: the verdict and the target, no "% kế hoạch" (issue 20)
    rate = ind(
        kind="percent",
        unit="%",
        value=68.75,
        target=72,
        achievement_pct=None,
        status="chưa đạt",
        decimals=1,
        target_decimals=1,
    )
    assert _with_unit(rate) == "68,8%" and _vs_plan(rate) == "chưa đạt chỉ tiêu 72%"
    assert _pct_of_plan(rate) == "–" and "kế hoạch" not in _vs_plan(rate)
    above = ind(kind="percent", unit="%", value=94.07, target=93, achievement_pct=None, decimals=1, target_decimals=1)
    assert _vs_plan(above) == "vượt chỉ tiêu 93%"
    # an amount: its % of plan at full precision, 68,75 / 72 = 95,5, not 68,8 / 72 = 95,6
    money = ind(
        kind="money",
        unit="triệu đồng",
        value=68.75,
        target=72,
        achievement_pct=95.486111,
        status="chưa đạt",
        decimals=1,
        target_decimals=0,
    )
    assert _with_unit(money) == "68,8 triệu đồng" and _pct_of_plan(money) == "95,5%"
    assert _vs_plan(money) == "mới đạt 95,5% kế hoạch"
    almost = ind(value=99.96, target=100, achievement_pct=99.96, status="chưa đạt", achievement_decimals=2)
    assert _vs_plan(almost) == "mới đạt 99,96% kế hoạch"
    assert _vs_plan(ind(target=None, status=None, achievement_pct=None)) == ""
    # the plan and last year as a clause after the value, from the printed values
    assert _remarks(ind(previous=135), 2023) == ", đạt 113,8% kế hoạch, tăng 22,2% so với năm 2022"
    assert _remarks(ind(previous=135)) == ", đạt 113,8% kế hoạch"
    assert _remarks(ind(target=None, status=None, achievement_pct=None, previous=None), 2023) == ""
    points = ind(kind="percent", unit="%", value=94.1, target=None, status=None, previous=93.0)
    assert _remarks(points, 2023) == ", tăng 1,1 điểm phần trăm so với năm 2022"
    assert _remarks(ind(value=4, target=None, status=None, previous=4), 2023) == ", không thay đổi so với năm 2022"
    assert "(" not in _remarks(ind(previous=135), 2023)


def test_change_against_each_earlier_year():
    assert _change_vs(ind(value=165), 135) == "+22,2%"
    # from the printed values (issue 20): 473,5 against 499,8 triệu đồng; the minus sign, the
    # same in HTML and PDF
    money = ind(kind="money", unit="triệu đồng", value=473.45, decimals=1, declared_decimals=1)
    assert _change_vs(money, 499.8) == "\u22125,3%"
    assert _change_vs(ind(value=4), 4) == "0%"  # "0%", never "0,0%" (issue 20)
    assert _change_vs(ind(value=4), None) == "–" and _change_vs(ind(value=4), 0) == "–"
    assert _change_vs(ind(kind="percent", value=94.07), 92.0) == "+2,1\u00a0điểm\u00a0%"
    assert _change_vs(ind(kind="percent", value=0.85), 1.38) == "\u22120,5\u00a0điểm\u00a0%"
    # a printed difference is the difference of the printed values (issue 20): 1,1% → 0,9% is
    # −0,2 điểm (never −0,3 from 1,149 − 0,852); 92,0% → 94,1% is +2,1 (never +2,0)
    assert _change_vs(ind(kind="percent", value=0.852), 1.149) == "\u22120,2\u00a0điểm\u00a0%"
    assert _change_vs(ind(kind="percent", value=94.06), 92.04) == "+2,1\u00a0điểm\u00a0%"
    # a whole difference of points without its ",0", as an office writes it: 92% → 95,0% is "+3 điểm %"
    assert _change_vs(ind(kind="percent", value=95.04), 92.0) == "+3\u00a0điểm\u00a0%"


def test_names_inside_sentences():
    assert _lower_first("Tỷ lệ hòa giải thành") == "tỷ lệ hòa giải thành"
    assert _lower_first('Nhà "Đại đoàn kết" xây mới') == 'nhà "Đại đoàn kết" xây mới'
    assert _lower_first("Ban Công tác Mặt trận đăng ký") == "Ban Công tác Mặt trận đăng ký"
    assert _lower_first("MTTQ chủ trì") == "MTTQ chủ trì" and _lower_first("Nhân dân") == "nhân dân"
    assert _target_with_unit(ind(target=5, unit="căn")) == "5 căn"
    assert _target_with_unit(ind(kind="percent", unit="%", target=61.5)) == "61,5%"


def test_column_widths_are_an_attribute_that_never_shows():
    md = table(["TT", "Chỉ tiêu"], [[Md("1"), "a {b} [c]"]], "rl", "Bảng 1: thử {x}", widths=[10, 90])
    assert md.splitlines()[-1] == ': Bảng 1: thử \\{x\\} {tbl-colwidths="[10,90]"}'
    html = subprocess.run(
        [
            pypandoc.get_pandoc_path(),
            "-f",
            "markdown-raw_html-raw_attribute-raw_tex",
            "-t",
            "html",
            "--sandbox",
            "--lua-filter",
            str(FILTER),
        ],
        input=md,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Bảng 1: thử {x}" in html and "tbl-colwidths" not in html
    assert '<col style="width: 10%" />' in html and 'class="table-wrap wide"' in html
    typ = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "typst", "--lua-filter", str(FILTER)],
        input=md,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "columns: (10%, 90%)" in typ
    with pytest.raises(ValueError):
        table(["a", "b"], [], "l", "c")


def test_history_table_compares_with_every_earlier_year():
    indicators = {
        "cuoc": ind(code="cuoc", name="Số cuộc", value=165, history={"2021": 137, "2022": 135}),
        "ty_le": ind(
            code="ty_le", name="Tỷ lệ", kind="percent", unit="%", value=94.07, history={"2021": 92.0, "2022": None}
        ),
    }
    project = SimpleNamespace(reference=SimpleNamespace(indicators={"cuoc": None, "ty_le": None}))
    metrics = {"year": 2023, "compared_years": [2021, 2022], "indicators": indicators}
    md = Tables(project, metrics).history("Bảng 9: so sánh")
    rows = [re.split(r"\s*\|\s*", line.strip("| ")) for line in md.splitlines() if line.startswith("|")]
    assert rows[0] == [
        "TT",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Năm 2021",
        "Năm 2022",
        "Năm 2023",
        "So với năm 2021",
        "So với năm 2022",
    ]
    assert rows[2] == ["1", "Số cuộc", "cuộc", "137", "135", "165", "+20,4%", "+22,2%"]
    # "92%", never "92,0%" (issue 20); the difference is that of the printed values
    assert rows[3] == ["2", "Tỷ lệ", "%", "92%", "–", "94,1%", "+2,1\u00a0điểm\u00a0%", "–"]
