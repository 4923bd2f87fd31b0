"""Speed-ups of issue 14 that must not change a byte or lose an error: the PNG copies rasterised
by typst, and formats rendered side by side with their checks."""

from __future__ import annotations

import re
import time

import pytest

from baocao import figures


def test_each_chart_png_is_its_svg_at_print_resolution(build_2023):
    from PIL import Image

    svgs = sorted((build_2023 / "figures").glob("*.svg"))
    assert len(svgs) == len(figures.CHARTS)
    for svg in svgs:
        with Image.open(svg.with_suffix(".png")) as im:
            assert im.info["dpi"] == pytest.approx((figures.PNG_DPI, figures.PNG_DPI), abs=0.01), svg.name
            width_pt = float(re.search(r'width="([\d.]+)pt"', svg.read_text(encoding="utf-8")[:3000])[1])
            assert abs(im.width - width_pt / 72 * figures.PNG_DPI) <= 1, svg.name
            darkest, lightest = im.convert("L").getextrema()
            assert lightest == 255 and darkest < 100, f"{svg.name}: a chart in ink on white"


def test_a_png_says_its_dpi_and_keeps_its_pixels():
    import io

    from PIL import Image

    source = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(source, format="PNG")
    Image.open(source).load()
    once = figures.png_with_dpi(source.getvalue(), 200)
    assert once.count(b"pHYs") == 1 and figures.png_with_dpi(once, 200) == once  # the same bytes again
    with Image.open(io.BytesIO(once)) as im, Image.open(source) as before:
        assert im.info["dpi"] == pytest.approx((200, 200), abs=0.01)
        assert im.size == before.size and im.tobytes() == before.convert(im.mode).tobytes()


def test_formats_side_by_side_raise_the_first_failure_in_order_after_all_ended():
    from baocao.render.pandoc import side_by_side

    ended: list[str] = []

    def slow_ok():
        time.sleep(0.2)
        ended.append("docx")
        return b"docx"

    def fails(name):
        def job():
            ended.append(name)
            raise RuntimeError(name)

        return job

    seen = []
    with pytest.raises(RuntimeError, match="^html$"):
        side_by_side({"html": fails("html"), "pdf": fails("pdf"), "docx": slow_ok}, meanwhile=lambda: seen.append(1))
    assert sorted(ended) == ["docx", "html", "pdf"] and seen == [1]
    assert side_by_side({"pdf": lambda: b"p", "html": lambda: b"h"}) == {"pdf": b"p", "html": b"h"}
