"""Incremental builds: a step runs again only when what it reads changed."""

from __future__ import annotations

import os
import time

import openpyxl
import pytest

from baocao.config import Project
from baocao.pipeline import build_year
from baocao.steps import run_steps

from .conftest import copy_project, run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = copy_project(tmp_path_factory.mktemp("incremental") / "p", years=[2022, 2023])
    project = Project(root, root / "build")
    first = build_year(project, 2023, renderer_name="pandoc")
    assert first.ran == list(run_steps())
    return project


def test_noop_rebuild_runs_nothing(project):
    before = (project.build_dir(2023) / "bao-cao-2023.pdf").stat().st_mtime_ns
    result = build_year(project, 2023, renderer_name="pandoc")
    assert result.up_to_date and result.ran == []
    assert (project.build_dir(2023) / "bao-cao-2023.pdf").stat().st_mtime_ns == before


def test_noop_cli_says_nothing_changed(project):
    proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=project.root)
    assert "không có gì thay đổi" in proc.stdout and "nothing changed" in proc.stdout
    assert "build/2023/bao-cao-2023.pdf  (PDF/A-2b)\n" in proc.stdout
    assert proc.stdout.strip().endswith("build/2023/bao-cao-2023.docx")


def test_touching_a_file_without_changing_it_is_a_noop(project):
    path = project.raw_dir(2023) / "chi-tieu.xlsx"
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert build_year(project, 2023, renderer_name="pandoc").ran == []


def test_narrative_edit_reruns_only_compose_and_render(project):
    path = project.raw_dir(2023) / "nhan-dinh.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMột câu mới được thêm vào cuối.\n", encoding="utf-8")
    result = build_year(project, 2023, renderer_name="pandoc")
    assert result.ran == ["compose", "html", "pdf", "docx"]


def test_css_edit_reruns_only_the_html(project):
    css = project.root / "report" / "html" / "baocao.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    assert build_year(project, 2023, renderer_name="pandoc").ran == ["html"]


def test_earlier_year_data_reruns_analysis_not_cleaning(project):
    """2022's raw data feeds 2023's comparisons, not 2023's tidy tables."""
    path = project.raw_dir(2022) / "mttq-phuong.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Khen thưởng"]
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) and cell.column > 1:
                cell.value = cell.value + 1
                break
        else:
            continue
        break
    wb.save(path)
    result = build_year(project, 2023, renderer_name="pandoc")
    assert "clean" not in result.ran and "analyze" in result.ran


def test_force_runs_every_step(project):
    assert build_year(project, 2023, renderer_name="pandoc", force=True).ran == list(run_steps())


# --- outputs are verified, not assumed (the state records what each step wrote) -------------


def _hash(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", ["truncate-pdf", "replace-html", "edit-metrics", "delete-figure", "edit-tidy-table"])
def test_a_damaged_output_is_made_again_never_up_to_date(project, damage):
    build = project.build_dir(2023)
    assert build_year(project, 2023, renderer_name="pandoc").up_to_date
    target, step = {
        "truncate-pdf": (build / "bao-cao-2023.pdf", "pdf"),
        "replace-html": (build / "bao-cao-2023.html", "html"),
        "edit-metrics": (build / "metrics.json", "analyze"),
        "delete-figure": (sorted((build / "figures").glob("*.svg"))[0], "analyze"),
        "edit-tidy-table": (build / "data" / "accounting.csv", "clean"),
    }[damage]
    good = _hash(target)
    if damage == "truncate-pdf":
        target.write_bytes(target.read_bytes()[:1000])
    elif damage == "replace-html":
        target.write_text("<html><body>thay thế</body></html>", encoding="utf-8")
    elif damage == "edit-metrics":
        target.write_text(
            target.read_text(encoding="utf-8").replace('"year": 2023', '"year": 2023 ', 1) + " ", encoding="utf-8"
        )
    elif damage == "delete-figure":
        target.unlink()
    else:
        target.write_text(target.read_text(encoding="utf-8").replace(",0,", ",9,", 1) + "\n", encoding="utf-8")
    events = []
    result = build_year(project, 2023, renderer_name="pandoc", progress=lambda *e: events.append(e))
    assert not result.up_to_date and step in result.ran
    changed = [e for e in events if e[1] == step and e[2].startswith("changed:")]
    assert changed and target.name in changed[0][2]
    assert _hash(target) == good  # made again, byte for byte as before
    assert build_year(project, 2023, renderer_name="pandoc").up_to_date


def test_a_corrupt_state_file_means_a_rebuild_not_a_traceback(project):
    (project.build_dir(2023) / ".baocao-state.json").write_text('{"clean": ', encoding="utf-8")
    result = build_year(project, 2023, renderer_name="pandoc")
    assert result.ran == list(run_steps())


def test_the_cli_says_which_output_it_makes_again(project):
    pdf = project.build_dir(2023) / "bao-cao-2023.pdf"
    pdf.write_bytes(pdf.read_bytes()[:1000])
    proc = run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=project.root)
    assert "bao-cao-2023.pdf" in proc.stdout and "output changed or missing, running again" in proc.stdout
    assert "nothing changed" not in proc.stdout


def test_a_step_added_to_the_table_is_keyed_run_recorded_and_listed(tmp_path, monkeypatch):
    """The step table is the one declaration: a new step (here a function that writes one
    file from metrics.json) gets its incremental key, runs in order, has its outputs recorded
    and listed in the manifest, and shows with its label, touching no other module."""
    import json

    from baocao import steps

    root = copy_project(tmp_path / "p", years=[2022, 2023])
    project = Project(root, root / "build")

    def summary(project, year, build_dir):
        metrics = json.loads((build_dir / "metrics.json").read_text(encoding="utf-8"))
        (build_dir / f"tom-tat-{year}.txt").write_text(f"{len(metrics)} khóa\n", encoding="utf-8")

    extra = steps.Step(
        "summary", "tóm tắt (thử)", reads=("build:metrics.json",), writes=("tom-tat-{year}.txt",), run=summary
    )
    monkeypatch.setattr(steps, "STEPS", [*steps.STEPS[:3], extra, *steps.STEPS[3:]])
    events = []
    result = build_year(project, 2023, renderer_name="pandoc", progress=lambda *e: events.append(e))
    assert result.ran == ["clean", "analyze", "compose", "summary", "html", "pdf", "docx"]
    build = project.build_dir(2023)
    state = json.loads((build / ".baocao-state.json").read_text(encoding="utf-8"))
    assert set(state["summary"]["outputs"]) == {"tom-tat-2023.txt"}
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert "tom-tat-2023.txt" in manifest["outputs"]
    assert steps.step_labels()["summary"] == "tóm tắt (thử)"
    assert build_year(project, 2023, renderer_name="pandoc").up_to_date
    (build / "tom-tat-2023.txt").write_text("sửa tay\n", encoding="utf-8")
    assert build_year(project, 2023, renderer_name="pandoc").ran == ["summary"]


def test_archive_refuses_an_intermediate_edited_after_its_step(project, tmp_path):
    """An edited metrics.json whose manifest.json was rewritten to match: archive refuses it."""
    import hashlib
    import json

    assert build_year(project, 2023, renderer_name="pandoc").up_to_date
    build = project.build_dir(2023)
    metrics = build / "metrics.json"
    metrics.write_text(metrics.read_text(encoding="utf-8").replace("2023", "2O23", 1), encoding="utf-8")
    manifest_path = build / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["outputs"]["metrics.json"] = hashlib.sha256(metrics.read_bytes()).hexdigest()
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    proc = run_cli("archive", "--year", "2023", "--out", str(tmp_path / "out"), cwd=project.root, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "metrics.json" in proc.stderr and "not what its build step wrote" in proc.stderr
    assert "Traceback" not in proc.stderr
    build_year(project, 2023, renderer_name="pandoc")  # made again: the next tests see a good build
