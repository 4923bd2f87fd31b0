"""One Quarto start-up per render, not per year (issue 19, item 2): the years' documents of a
serial multi-year build are rendered in one `quarto render`, and come out the same bytes as
each rendered alone. Counted through real Quarto (a wrapper on PATH that logs each call and
runs the real one), never a stand-in; where Quarto is absent only the .docx dating runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from baocao.render import FORMATS, RenderOptions
from baocao.render.docx import redate
from baocao.render.quarto import RENDER_TIME, QuartoRenderer

from .conftest import NO_QUARTO, ROOT, copy_project, quarto_available, run_cli

FIXTURE = ROOT / "tests" / "data" / "render"
needs_quarto = pytest.mark.skipif(not quarto_available(), reason=NO_QUARTO)


def logging_quarto(folder: Path) -> tuple[Path, Path]:
    """A `quarto` that logs "<working folder> <arguments>" of each call and runs the real one
    (unless told by FAIL_DOC to fail)."""
    real = shutil.which("quarto")
    assert real is not None
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.log"
    wrapper = folder / "quarto"
    wrapper.write_text(
        f'#!/bin/sh\necho "$(pwd) $*" >> "{log}"\n'
        # FAIL_DOC: a render whose scratch project holds that document fails, as Quarto does on a bad one
        'if [ -n "$FAIL_DOC" ] && [ -d "$FAIL_DOC" ]; then echo "ERROR: $FAIL_DOC: boom" >&2; exit 1; fi\n'
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper, log


def renders(log: Path) -> list[str]:
    """The `quarto render` calls the log holds (not `--version`, `--paths`)."""
    return [line for line in log.read_text(encoding="utf-8").splitlines() if " render" in line] if log.exists() else []


def epoch(day: dt.date | dt.datetime) -> int:
    when = day if isinstance(day, dt.datetime) else dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int(when.timestamp())


# ---------------------------------------------------------------------------- the .docx's date
def test_a_redated_docx_is_the_docx_pandoc_writes_on_the_reports_day(tmp_path):
    """One Quarto process has one SOURCE_DATE_EPOCH for every report; each .docx is given its
    report's date afterwards, and is then the very bytes pandoc writes with SOURCE_DATE_EPOCH
    set to that date (zip entries and docProps/core.xml), the reference document's parts
    keeping their own date."""
    import pypandoc

    source = tmp_path / "doc.md"
    source.write_text("---\ntitle: Báo cáo năm 2023\nlang: vi\n---\n\nMột đoạn văn có dấu.\n", encoding="utf-8")
    reference = ROOT / "report" / "word" / "reference.docx"

    def docx(seconds: int) -> bytes:
        out = tmp_path / f"{seconds}.docx"
        subprocess.run(
            [pypandoc.get_pandoc_path(), str(source), "-o", str(out), "--reference-doc", str(reference)],
            env={**os.environ, "SOURCE_DATE_EPOCH": str(seconds)},
            check=True,
            timeout=120,
        )
        return out.read_bytes()

    day = dt.date(2023, 11, 24)
    on_the_day, at_render_time = docx(epoch(day)), docx(epoch(RENDER_TIME))
    assert at_render_time != on_the_day
    assert redate(at_render_time, RENDER_TIME, day) == on_the_day

    with zipfile.ZipFile(io.BytesIO(redate(at_render_time, RENDER_TIME, day))) as zf:
        dates = {info.date_time for info in zf.infolist()}
        core = zf.read("docProps/core.xml").decode("utf-8")
    assert dates == {(2023, 11, 24, 0, 0, 0), (1980, 1, 1, 0, 0, 0)}  # pandoc's parts, the reference's
    assert core.count("2023-11-24T00:00:00Z") == 2 and "1980" not in core
    assert redate(b"not a zip", RENDER_TIME, day) == b"not a zip"  # left to the output checks


# ---------------------------------------------------------------------------- the renderer
def fixture_copy(dest: Path, date: str | None = None, typst: str | None = None) -> Path:
    shutil.copytree(FIXTURE, dest)
    qmd = dest / "sample.qmd"
    text = qmd.read_text(encoding="utf-8")
    if date:
        text = text.replace('date: "2023-12-05"', f'date: "{date}"', 1)
        assert date in text
    if typst:
        text += f"\n\n```{{=typst}}\n{typst}\n```\n"
    qmd.write_text(text, encoding="utf-8")
    return qmd


@needs_quarto
def test_reports_rendered_together_are_the_reports_rendered_alone(tmp_path):
    """Two reports in one `quarto render` (one call of real Quarto), the same bytes as each in
    its own, each .docx with its own date; a report Quarto fails on, rendered with a good one,
    is named with Quarto's message while the good one is written."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "report", project / "report")
    shutil.copy(ROOT / "_quarto.yml", project / "_quarto.yml")
    options = RenderOptions.from_project(project)
    wrapper, log = logging_quarto(tmp_path / "bin")
    renderer = QuartoRenderer(executable=str(wrapper))
    first = fixture_copy(project / "build" / ".2023.staging")  # where builds render: a dot folder
    second = fixture_copy(project / "build" / ".2024.staging", date="2024-11-25")

    together = renderer.render_many([(first, FORMATS), (second, FORMATS)], options=options)
    assert len(renders(log)) == 1
    assert all(isinstance(outputs, dict) for outputs in together)
    made = {(q, f): q.with_suffix(f".{f}").read_bytes() for q in (first, second) for f in FORMATS}
    for qmd in (first, second):
        renderer.render(qmd, FORMATS, options=options)
        assert {f: qmd.with_suffix(f".{f}").read_bytes() == made[qmd, f] for f in FORMATS} == dict.fromkeys(
            FORMATS, True
        )
    assert len(renders(log)) == 3
    with zipfile.ZipFile(second.with_suffix(".docx")) as zf:
        assert "2024-11-25T00:00:00Z" in zf.read("docProps/core.xml").decode("utf-8")

    broken = fixture_copy(project / "build" / ".2022.staging" / "x", typst='#panic("hỏng / broken")')
    log.unlink()
    outcomes = renderer.render_many([(first, ("pdf",)), (broken, ("pdf",))], options=options)
    assert isinstance(outcomes[0], dict) and outcomes[0]["pdf"] == first.with_suffix(".pdf")
    assert first.with_suffix(".pdf").read_bytes() == made[first, "pdf"]
    failure = str(outcomes[1])
    assert "sample.qmd" in failure and "broken" in failure and "quarto render" in failure
    assert not broken.with_suffix(".pdf").exists()
    assert len(renders(log)) == 3  # the shared render, then each report alone


# ---------------------------------------------------------------------------- the build
@needs_quarto
@pytest.mark.e2e
def test_a_multi_year_quarto_build_starts_quarto_once(tmp_path):
    """`baocao build --all --renderer quarto`: one `quarto render` for every year's report, each
    the same bytes as `baocao build --year Y --renderer quarto --force` gives; a year that fails
    fails alone, with the message of its own build, and the other years are promoted."""
    project = copy_project(tmp_path / "binh-ngoc", years=[2021, 2022])
    wrapper, log = logging_quarto(tmp_path / "bin")
    env = {"PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}
    run_cli("build", "--all", "--renderer", "quarto", cwd=project, env=env)
    assert len(renders(log)) == 1, renders(log)
    years = (2021, 2022)
    together = {(y, f): (project / "build" / str(y) / f"bao-cao-{y}.{f}").read_bytes() for y in years for f in FORMATS}
    for year in years:
        run_cli("build", "--year", str(year), "--renderer", "quarto", "--force", cwd=project, env=env)
        alone = {f: (project / "build" / str(year) / f"bao-cao-{year}.{f}").read_bytes() for f in FORMATS}
        assert [f for f in FORMATS if alone[f] != together[year, f]] == [], year
    assert len(renders(log)) == 3

    (project / "data" / "raw" / "2022" / "nhan-dinh.md").unlink()  # compose stops (before the render)
    kept = (project / "build" / "2022" / "bao-cao-2022.pdf").read_bytes()
    both = run_cli("build", "--all", "--renderer", "quarto", "--force", cwd=project, env=env, check=False)
    assert both.returncode == 1, both.stderr
    alone = run_cli("build", "--year", "2022", "--renderer", "quarto", cwd=project, env=env, check=False)
    assert alone.returncode == 1
    message = alone.stderr.strip()  # "[2022]", then the error in Vietnamese and English
    assert message.startswith("[2022]\nLỗi") and "nhan-dinh.md" in message and message in both.stderr
    assert "[2021]" not in both.stderr
    assert (project / "build" / "2022" / "bao-cao-2022.pdf").read_bytes() == kept  # the last good report
    assert (project / "build" / "2021" / "bao-cao-2021.html").read_bytes() == together[2021, "html"]
    assert not list((project / "build").glob(".*.staging"))

    # A report Quarto fails on, in the shared render: each is rendered again alone; that year
    # fails naming its document and Quarto's message, the other is promoted.
    shutil.copy(ROOT / "data" / "raw" / "2022" / "nhan-dinh.md", project / "data" / "raw" / "2022")
    with (project / "_quarto.yml").open("a", encoding="utf-8") as config:
        config.write("\n# edited: every render step is stale, nothing before it\n")
    log.unlink()
    failing = run_cli(
        "build", "--all", "--renderer", "quarto", cwd=project, env={**env, "FAIL_DOC": "bao-cao-2022"}, check=False
    )
    assert failing.returncode == 1, failing.stderr
    assert len(renders(log)) == 3  # the shared render, then each report alone
    assert (
        "[2022]" in failing.stderr and "bao-cao-2022.qmd" in failing.stderr and "bao-cao-2022: boom" in failing.stderr
    )
    assert "[2021]" not in failing.stderr and "xuất HTML: xong" in failing.stdout
    assert (project / "build" / "2022" / "bao-cao-2022.pdf").read_bytes() == kept
    manifest = (project / "build" / "2021" / "manifest.json").read_text(encoding="utf-8")
    assert hashlib.sha256((project / "_quarto.yml").read_bytes()).hexdigest() in manifest  # promoted
