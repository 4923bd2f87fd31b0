"""`baocao preview --year Y` (issue 19, item 3), through the real path: the command started as a
user starts it in a fresh clone, the page opened in Chromium, the narrative saved by hand; the
page reloads by itself, a failing build shows its error over the last good report, and Ctrl-C
stops the preview with nothing left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import clone_tree
from tests.test_site import CHROMIUM, CHROMIUM_ARGS, git_status, wait_for

pytestmark = pytest.mark.e2e

MARKER = "MARKER-PREVIEW-4412"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    project = clone_tree(tmp_path_factory.mktemp("preview") / "binh-ngoc")
    log = project.parent / "preview.log"
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "baocao", "preview", "--year", "2023", "--renderer", "pandoc"]
            + ["--no-browser", "--port", str(port)],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: "rebuilt in" in log.read_text(encoding="utf-8"), 600, log)
        yield project, port, server, log
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def test_a_saved_narrative_shows_in_the_open_page(preview):
    project, port, server, log = preview
    from playwright.sync_api import sync_playwright

    narrative = project / "data" / "raw" / "2023" / "nhan-dinh.md"
    original = narrative.read_text(encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
        assert page.url.endswith("/bao-cao-2023.html")
        assert "BÁO CÁO" in page.inner_text("body") and MARKER not in page.inner_text("body")
        page.wait_for_timeout(500)  # the page's event stream is open

        # a sentence saved: the page reloads by itself (no reload from the test)
        narrative.write_text(original.replace("\n\n", f"\n\nCâu mới {MARKER} của Ban Thường trực.\n\n", 1), "utf-8")
        wait_for(lambda: MARKER in page.inner_text("body"), 300, log, lambda: page.wait_for_timeout(100))
        # the page shows the HTML first; the year's full build (PDF and Word too) follows
        wait_for(lambda: log.read_text(encoding="utf-8").count("rebuilt in") == 2, 300, log)
        page.wait_for_timeout(300)  # a reload, if the build had changed the page, has happened
        assert MARKER in page.inner_text("body")
        assert MARKER in (project / "build" / "2023" / "bao-cao-2023.html").read_text(encoding="utf-8")

        # markup the narrative may not hold: the build fails, the page keeps the last good
        # report and says why, naming the file
        narrative.write_text(original.replace("\n\n", "\n\nXem ảnh ![ảnh](anh.png).\n\n", 1), "utf-8")
        alert = page.locator("[role=alert]")
        wait_for(lambda: alert.count() == 1, 300, log, lambda: page.wait_for_timeout(100))
        assert "nhan-dinh.md" in alert.inner_text() and "báo cáo tốt gần nhất" in alert.inner_text()
        assert MARKER in page.inner_text("body")

        # put right: the page reloads with the report, and the message is gone
        narrative.write_text(original, "utf-8")
        wait_for(lambda: MARKER not in page.inner_text("body"), 300, log, lambda: page.wait_for_timeout(100))
        page.wait_for_load_state("load")
        assert page.locator("[role=alert]").count() == 0
        wait_for(lambda: log.read_text(encoding="utf-8").count("rebuilt in") == 3, 300, log)
        # the report's own policy still forbids any other script or fetch: nothing was refused
        assert errors == [], errors
        browser.close()
    built = (project / "build" / "2023" / "bao-cao-2023.html").read_text(encoding="utf-8")
    assert "__baocao" not in built and MARKER not in built  # the script is added as served, not to the file
    # each narrative edit showed its HTML ahead of the build, the same bytes as the build's
    assert log.read_text(encoding="utf-8").count("HTML shown in") == 2
    early = project / "scratch" / "2023" / "preview" / "bao-cao-2023.html"
    assert early.read_bytes() == (project / "build" / "2023" / "bao-cao-2023.html").read_bytes()


def test_ctrl_c_stops_the_preview_and_leaves_the_clone_clean(preview):
    project, _port, server, log = preview
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=60) == 0, log.read_text(encoding="utf-8")[-3000:]
    assert "Đã dừng xem trước / preview stopped" in log.read_text(encoding="utf-8")
    assert "Traceback" not in log.read_text(encoding="utf-8")
    time.sleep(0.1)
    assert git_status(project) == ""


def test_a_port_in_use_is_named_with_what_to_do():
    """Before anything is built: the port, the system's reason and the fix, no traceback."""
    from tests.conftest import ROOT

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "baocao", "--project", str(ROOT), "preview", "--no-browser", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert f"cổng {port}" in proc.stderr and "--port" in proc.stderr and "Traceback" not in proc.stderr
