"""Data never becomes markup: escaping for Markdown, checked through pandoc itself."""

import json
import subprocess

import pypandoc
import pytest

from baocao.compose import Md, environment, md_escape, table, yaml_str


def pandoc_html(markdown: str) -> str:
    return subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown-raw_html-raw_attribute-raw_tex", "-t", "html", "--sandbox"],
        input=markdown, capture_output=True, text=True, check=True,
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
    assert json.loads(s) == 'Ban \\"A\\" \\*B\\*'


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
