"""Speed-ups of issue 14 that must not change a byte or lose an error: a sidecar process that
checks the schemas and draws half of the charts, the PNG copies rasterised by typst, formats
rendered side by side with their checks, and the collector's pace during a job."""

from __future__ import annotations

import gc
import hashlib
import json
import re
import time
import zlib
from pathlib import Path

import pytest

from baocao import figures, sidecar
from baocao.batch import Job, run_job


def _ready(car) -> None:
    """Wait for the sidecar to have warmed up (a build never waits: it does the work itself)."""
    deadline = time.monotonic() + 60
    while not car.ready():
        assert time.monotonic() < deadline, "the sidecar did not start"
        time.sleep(0.05)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def metrics_2023(build_2023) -> dict:
    return json.loads((build_2023 / "metrics.json").read_text(encoding="utf-8"))


def test_charts_drawn_with_a_sidecar_are_the_bytes_drawn_alone(build_2023, metrics_2023, tmp_path):
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    alone.mkdir()
    shared.mkdir()
    drawn_alone = figures.make_figures(metrics_2023, alone)
    with sidecar.started(True) as car:
        assert car is not None and car.process.poll() is None and sidecar.current() is car
        _ready(car)
        drawn_shared = figures.make_figures(metrics_2023, shared, car)
    assert car.process.poll() == 0 and sidecar.current() is None
    assert drawn_shared == drawn_alone
    assert _digests(shared) == _digests(alone)
    # and the build's own charts (the CLI builds with a sidecar) are these bytes too
    assert _digests(build_2023 / "figures") == _digests(alone)


def test_charts_are_drawn_here_when_the_sidecar_is_gone(metrics_2023, tmp_path):
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    alone.mkdir()
    shared.mkdir()
    figures.make_figures(metrics_2023, alone)
    with sidecar.started(True) as car:
        _ready(car)
        car.process.kill()
        car.process.wait()
        drawn = figures.make_figures(metrics_2023, shared, car)
    assert len(drawn) == len(figures.CHARTS)
    assert _digests(shared) == _digests(alone)


def test_work_that_fails_in_the_sidecar_is_done_again_here(metrics_2023, tmp_path):
    years = [2021, 2022, 2023]
    with sidecar.started(True) as car:
        _ready(car)
        assert not car.submit("no-such-task")
        assert car.submit("charts", ("_no_such_chart",), metrics_2023, years, str(tmp_path))
        assert not car.submit("charts", ("_fund_by_year",), metrics_2023, years, str(tmp_path)), "one at a time"
        assert car.result() == (False, None)
        with pytest.raises(ValueError, match="_no_such_chart"):  # what the build then does itself
            figures.draw_charts(("_no_such_chart",), metrics_2023, years, str(tmp_path))
        # the sidecar is still there for the next request
        assert car.submit("charts", ("_fund_by_year",), metrics_2023, years, str(tmp_path))
        ok, drawn = car.result()
        assert ok and set(drawn) == {"_fund_by_year"} and (tmp_path / "quy-vnn.png").is_file()


def test_the_sidecar_checks_the_schemas_as_the_build_would(sample_project):
    from baocao.clean import clean_year
    from baocao.config import Project
    from baocao.errors import SchemaViolation
    from baocao.schema import validate_result

    project = Project.find(sample_project)
    result = clean_year(project, 2023)
    with sidecar.started(True) as car:
        _ready(car)
        assert car.submit("validate", str(project.root), None, 2023, *result.frames())
        assert car.result() == (True, True)
        tables, accounting, rejects, warnings = result.frames()
        broken = dict(tables)
        broken["activity"] = broken["activity"].drop(columns=["source_row"])
        assert car.submit("validate", str(project.root), None, 2023, broken, accounting, rejects, warnings)
        assert car.result() == (False, None)
    result.tables = broken
    with pytest.raises(SchemaViolation):  # and the build, checking again, says why
        validate_result(project, result, 2023)


def test_the_build_never_waits_for_its_sidecar_to_start(metrics_2023, tmp_path):
    t0 = time.monotonic()
    with sidecar.started(True) as car:
        assert not car.ready() and not car.submit("charts", ("_fund_by_year",), metrics_2023, [2023], str(tmp_path))
    assert time.monotonic() - t0 < 1.0, "a sidecar still warming up is stopped at once"
    assert car.process.poll() is not None


def test_serial_builds_share_one_sidecar():
    with sidecar.kept():
        with sidecar.started(True) as first:
            pass
        assert first.process.poll() is None, "kept for the next build"
        with sidecar.started(True) as second:
            assert second is first
        with sidecar.started(False) as none:
            assert none is None
    assert first.process.wait(timeout=10) is not None and sidecar.current() is None


def test_no_sidecar_when_not_asked():
    with sidecar.started(False) as car:
        assert car is None and sidecar.current() is None


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


def test_a_png_gets_its_dpi_once():
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
    png += bytes.fromhex("0000000049454e44ae426082")
    once = figures.png_with_dpi(png, 200)
    assert once.count(b"pHYs") == 1 and figures.png_with_dpi(once, 200) == once
    # a pHYs that comes after a long chunk (an ICC profile) is found too: never two
    text = b"tEXt" + b"Comment\x00" + b"x" * 100
    crc = zlib.crc32(text).to_bytes(4, "big")
    long_first = once[:33] + (len(text) - 4).to_bytes(4, "big") + text + crc + once[33:]
    assert figures.png_with_dpi(long_first, 200) == long_first
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(once)).info["dpi"] == pytest.approx((200, 200), abs=0.01)


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


def test_a_job_keeps_the_callers_collector_pace(tmp_path, monkeypatch):
    import baocao.pipeline

    during = []

    def build_year(*args, **kwargs):
        during.append(gc.get_threshold())
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(baocao.pipeline, "build_year", build_year)
    before = gc.get_threshold()
    try:
        gc.set_threshold(1234, 5, 6)
        result = run_job(Job(str(tmp_path), str(tmp_path / "build"), None, 2023))
        assert gc.get_threshold() == (1234, 5, 6)
    finally:
        gc.set_threshold(*before)
    assert result["exit_code"] == 3 and during == [(50_000, 20, 100)]
