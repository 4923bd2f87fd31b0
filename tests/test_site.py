"""The project as a Quarto project (issue 19), through the real path: `quarto render` and
`quarto preview` at the root of a fresh clone (real Quarto 1.7.34, which .ci/run installs),
`baocao site` where Quarto is absent, Papermill and hand runs of the notebooks, and the site
checked in Chromium, from file:// and from the preview server.

The clone holds two sample years (2023, 2024) to keep the suite's time: the site lists every
unit × year the project has, whatever their number."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import NO_QUARTO, clone_tree, quarto_available, run_cli

pytestmark = pytest.mark.e2e

YEARS = (2023, 2024)
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PAGES = ("index.html", "don-vi/binh-ngoc.html", "don-vi/binh-ngoc/2023.html", "don-vi/binh-ngoc/2024.html")


def fresh_clone(dest: Path) -> Path:
    project = clone_tree(dest)
    for path in (project / "data" / "raw").iterdir():
        if path.is_dir() and path.name.isdigit() and int(path.name) not in YEARS:
            shutil.rmtree(path)
    subprocess.run(["git", "commit", "-qam", "two years", "--no-gpg-sign"], cwd=project, check=True, env=_git_env())
    return project


def _git_env() -> dict:
    return {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"} | {
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }


def user_env() -> dict:
    """A user's shell: Quarto on PATH, the project's .venv not activated."""
    venv_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "QUARTO_PYTHON", "PYTHONPATH")}
    return {**env, "PATH": path}


def quarto(*args: str, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["quarto", *args], cwd=cwd, capture_output=True, text=True, env=user_env(), timeout=timeout)


def git_status(project: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True).stdout


def untracked_outside_outputs(project: Path) -> list[str]:
    """Every file git ignores or does not track, outside the folders a render may write."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    allowed = ("build/", "_site/", "don-vi/", ".quarto/", ".venv")
    return [line for line in out if not line[3:].startswith(allowed)]


# ---------------------------------------------------------------------------- quarto render
@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    if not quarto_available():
        pytest.skip(NO_QUARTO)
    project = fresh_clone(tmp_path_factory.mktemp("quarto-site") / "binh-ngoc")
    proc = quarto("render", cwd=project)
    return project, proc


def test_quarto_render_builds_every_year_and_the_site(rendered):
    project, proc = rendered
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for year in YEARS:
        folder = project / "build" / str(year)
        assert (folder / "manifest.json").is_file()  # the pipeline's: staging, state, manifest
        assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["renderer"]["name"] == "quarto"
        for suffix in (".html", ".pdf", ".docx"):
            built = folder / f"bao-cao-{year}{suffix}"
            assert (project / "_site" / "build" / str(year) / built.name).read_bytes() == built.read_bytes()
    for page in PAGES:
        assert (project / "_site" / page).is_file(), page
    index = (project / "_site" / "index.html").read_text(encoding="utf-8")
    assert "Ủy ban MTTQ Việt Nam phường Bình Ngọc" in index
    for year in YEARS:
        assert f'href="build/{year}/bao-cao-{year}.pdf"' in index
        assert f'href="build/{year}/chat-luong-so-lieu-{year}.html"' in index
    unit = (project / "_site" / "don-vi" / "binh-ngoc.html").read_text(encoding="utf-8")
    assert "Các chỉ tiêu chính qua các năm" in unit and "data:image/svg+xml" in unit


def test_nothing_outside_build_and_site_is_rendered_or_written(rendered):
    project, proc = rendered
    assert proc.returncode == 0
    assert git_status(project) == ""
    assert untracked_outside_outputs(project) == []
    # no source, script, notebook or test file was executed or rendered
    assert "prose.py" not in proc.stdout + proc.stderr and "01_clean.ipynb" not in proc.stderr
    assert not list(project.glob("notebooks/*.html")) and not list(project.glob("tests/**/*.html"))


def test_the_builds_are_those_of_baocao_build(rendered):
    """The same pipeline: `baocao build --all --renderer quarto` finds nothing to do."""
    project, _ = rendered
    proc = run_cli("build", "--all", "--renderer", "quarto", cwd=project)
    assert proc.stdout.count("không có gì thay đổi") == len(YEARS), proc.stdout


def test_a_second_render_costs_each_year_its_no_op(rendered):
    project, _ = rendered
    proc = quarto("render", cwd=project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "xong / done" not in proc.stdout
    assert proc.stdout.count("nothing changed, up to date") == len(YEARS), proc.stdout
    assert git_status(project) == ""


def test_the_site_in_chromium_from_file(rendered):
    project, _ = rendered
    for page in PAGES:
        visit = browse((project / "_site" / page).as_uri(), project / "_site")
        assert visit["errors"] == [], (page, visit["errors"])
        assert visit["failed"] == [], (page, visit["failed"])
        assert visit["links"], page


def test_a_year_that_fails(rendered):
    """quarto render exits non-zero naming the year and the problem; the site still lists that
    year's last good report, marked as not rebuilt."""
    project, _ = rendered
    workbook = project / "data" / "raw" / "2024" / "mttq-phuong.xlsx"
    original = workbook.read_bytes()
    workbook.write_text("not a workbook", encoding="utf-8")
    try:
        proc = quarto("render", cwd=project)
        assert proc.returncode != 0
        said = proc.stdout + proc.stderr
        assert "binh-ngoc/2024" in said and "mttq-phuong.xlsx" in said and "not an Excel workbook" in said
        index = (project / "_site" / "index.html").read_text(encoding="utf-8")
        assert 'href="build/2024/bao-cao-2024.pdf"' in index
        assert "chưa dựng lại được" in index and "đây là báo cáo tốt gần nhất" in index
        assert (project / "_site" / "build" / "2024" / "bao-cao-2024.pdf").is_file()
    finally:
        workbook.write_bytes(original)
    assert quarto("render", cwd=project).returncode == 0


# ---------------------------------------------------------------------------- quarto preview
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_quarto_preview(project: Path, port: int, log: Path) -> subprocess.Popen:
    """`quarto preview` at the project's root as a user starts it (no browser), its output in ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(
            ["quarto", "preview", "--no-browser", "--port", str(port)],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=user_env(),
            start_new_session=True,
        )


def test_quarto_preview_rebuilds_a_year_on_save_and_the_page_shows_it(rendered):
    project, _ = rendered
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    port = free_port()
    log = project.parent / "preview.log"
    server = start_quarto_preview(project, port, log)
    narrative = project / "data" / "raw" / "2023" / "nhan-dinh.md"
    original = narrative.read_text(encoding="utf-8")
    try:
        wait_for(lambda: "Browse at" in log.read_text(encoding="utf-8"), 600, log)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://localhost:{port}/don-vi/binh-ngoc/2023.html", wait_until="load")
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
            page.on("response", lambda r: errors.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
            assert "MARKER-PREVIEW-7351" not in report_text(page)
            page.wait_for_timeout(2000)
            narrative.write_text(
                original.replace("\n\n", "\n\nCâu mới MARKER-PREVIEW-7351 của Ban Thường trực.\n\n", 1),
                encoding="utf-8",
            )
            # the page reloads by itself (Quarto's preview client): no reload from the test
            wait_for(lambda: "MARKER-PREVIEW-7351" in report_text(page), 600, log, lambda: page.wait_for_timeout(500))
            assert errors == []
            browser.close()
    finally:
        narrative.write_text(original, encoding="utf-8")
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert "MARKER-PREVIEW-7351" in (project / "build" / "2023" / "bao-cao-2023.html").read_text(encoding="utf-8")


def test_quarto_preview_goes_on_serving_when_a_year_fails(rendered):
    """A year that cannot be built when `quarto preview` starts is named, and the preview goes
    on serving the site, which lists that year's last good report marked as not rebuilt
    (`quarto render` still exits non-zero on it: test_a_year_that_fails)."""
    import urllib.request

    project, _ = rendered
    workbook = project / "data" / "raw" / "2024" / "mttq-phuong.xlsx"
    original = workbook.read_bytes()
    workbook.write_text("not a workbook", encoding="utf-8")
    port = free_port()
    log = project.parent / "preview-failed.log"
    server = start_quarto_preview(project, port, log)
    try:
        wait_for(lambda: "Browse at" in log.read_text(encoding="utf-8") or server.poll() is not None, 600, log)
        said = log.read_text(encoding="utf-8")
        assert server.poll() is None, said[-3000:]
        assert "binh-ngoc/2024" in said and "mttq-phuong.xlsx" in said and "quarto preview goes on" in said
        with urllib.request.urlopen(f"http://localhost:{port}/index.html", timeout=60) as response:
            index = response.read().decode("utf-8")
        assert "chưa dựng lại được" in index and 'href="build/2024/bao-cao-2024.pdf"' in index
    finally:
        workbook.write_bytes(original)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def report_text(page) -> str:
    """The text of the report shown in the page's frame (nothing of a frame the page's reload
    has just detached)."""
    texts = []
    for frame in page.frames:
        if frame == page.main_frame or frame.is_detached():
            continue
        with contextlib.suppress(Exception):  # detached by the reload while being read
            texts.append(frame.inner_text("body"))
    return "\n".join(texts)


def wait_for(condition, seconds: float, log: Path, pause=lambda: time.sleep(0.5)) -> None:
    """Poll ``condition``; ``pause`` between polls (a page's own wait while a browser is open:
    Playwright's synchronous API handles the page's events only inside its own calls)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        pause()
    raise AssertionError(f"timed out after {seconds} s; preview log:\n{log.read_text(encoding='utf-8')[-4000:]}")


# ---------------------------------------------------------------------------- Chromium
def browse(url: str, site: Path) -> dict:
    """Load ``url`` offline in Chromium: console errors, failed requests, and every link of the
    page followed to a file inside the site that exists."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    failed: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.route(re.compile(r"^(https?|wss?)://"), lambda route: (failed.append(route.request.url), route.abort()))
        page.goto(url, wait_until="load")
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        browser.close()
    for link in links:
        target = urlparse(link)
        assert target.scheme == "file", link  # nothing from the network
        path = Path(unquote(target.path))
        assert path.is_file() and path.resolve().is_relative_to(site.resolve()), link
    return {"errors": errors, "failed": failed, "links": links}


# ---------------------------------------------------------------------------- without Quarto
def test_baocao_site_without_quarto(tmp_path):
    project = fresh_clone(tmp_path / "binh-ngoc")
    env = user_env()
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "quarto").exists())
    proc = run_cli("site", cwd=project, env=env)
    assert "_site/index.html" in proc.stdout
    for page in PAGES:
        assert (project / "_site" / page).is_file(), page
    for year in YEARS:
        manifest = json.loads((project / "build" / str(year) / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["renderer"]["name"] == "pandoc"
    assert git_status(project) == ""
    if CHROMIUM is not None:
        for page in PAGES:
            visit = browse((project / "_site" / page).as_uri(), project / "_site")
            assert visit["errors"] == [] and visit["failed"] == [], (page, visit)


# ---------------------------------------------------------------------------- notebooks by hand
def papermill(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "papermill", *args, "--log-level", "ERROR"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def digests(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_papermill_by_hand_never_touches_a_published_build(tmp_path):
    project = fresh_clone(tmp_path / "binh-ngoc")
    run_cli("build", "--year", "2023", "--renderer", "pandoc", cwd=project)
    published = digests(project / "build")
    # the Papermill habit, from notebooks/ and from the root: another year than the default
    out = tmp_path / "out.ipynb"
    first = papermill("01_clean.ipynb", str(out), "-p", "year", "2024", cwd=project / "notebooks")
    assert first.returncode == 0, first.stderr[-3000:]
    second = papermill("notebooks/02_analyze.ipynb", str(out), "-p", "year", "2024", cwd=project)
    assert second.returncode == 0, second.stderr[-3000:]
    assert digests(project / "build") == published  # build/2023 (and the cache) byte-identical
    assert (project / "scratch" / "2024" / "metrics.json").is_file()
    said = "".join(
        "".join(o.get("text", "")) for c in json.loads(out.read_text())["cells"] for o in c.get("outputs", [])
    )
    assert "scratch/2024/" in said and "never into" in said
    assert json.loads((project / "scratch/2024/metrics.json").read_text(encoding="utf-8"))["year"] == 2024
    assert git_status(project) == ""
    # a published folder named by hand is refused
    refused = papermill(
        "01_clean.ipynb", str(out), "-p", "year", "2023", "-p", "build_dir", "../build/2023", cwd=project / "notebooks"
    )
    assert refused.returncode != 0 and "published build folder" in refused.stderr + out.read_text()
    assert digests(project / "build") == published


def test_analyze_by_hand_before_clean_says_what_to_run(tmp_path):
    project = fresh_clone(tmp_path / "binh-ngoc")
    out = tmp_path / "out.ipynb"
    proc = papermill("02_analyze.ipynb", str(out), "-p", "year", "2024", cwd=project / "notebooks")
    assert proc.returncode != 0
    assert "run 01_clean.ipynb with the same year" in proc.stderr + out.read_text()
