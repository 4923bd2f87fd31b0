"""``baocao preview``: one year's report in the browser, rebuilt each time an input is saved.

Quarto's own ``quarto preview`` serves the site (see :mod:`baocao.site`), but it rebuilds a report
only when the browser asks for a page again, starting Python, the year's build and Quarto each
time (quarto-cli #4841: it never re-runs the pre-render step on a save). This preview keeps one
process warm instead:

- the year is built through the same pipeline as ``baocao build`` (:func:`baocao.batch.run_job`:
  only the steps whose inputs changed, staged, checked and promoted into the year's build
  folder), once at the start and again whenever a file under ``data/`` or ``report/``, or
  ``baocao.yml`` / ``_quarto.yml``, changes (:mod:`watchfiles`: the operating system's file
  events, on Windows as elsewhere);
- the standard library's HTTP server serves that build folder on 127.0.0.1; every HTML page it
  serves carries a small script that listens to ``/__baocao/events`` (Server-Sent Events) and
  reloads the page after a rebuild, or shows the build's error over the last good report.

Nothing is written outside the build folder: the script is added to the page as it is served,
never to the file.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from watchfiles import DefaultFilter

EVENTS = "/__baocao/events"
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class State:
    """What the pages know: the generation (one more each time what a page shows changed), the
    error of the last build if it failed, and the report page to serve when it is not the build
    folder's own (the HTML shown ahead of the year's build)."""

    generation: int = 0
    error: str | None = None
    building: bool = False
    page: Path | None = None


class Reloads:
    """The current :class:`State`, and a way to wait for the next one (one per page's stream)."""

    def __init__(self) -> None:
        self._state = State()
        self._changed = threading.Condition()

    @property
    def state(self) -> State:
        with self._changed:
            return self._state

    def publish(self, *, error: str | None, changed: bool, page: Path | None = None) -> None:
        """After a build (or the HTML ahead of it): a new generation when what a page shows changed."""
        with self._changed:
            old = self._state
            renew = changed or error != old.error or page != old.page
            self._state = State(old.generation + renew, error, building=False, page=page)
            self._changed.notify_all()

    def building(self) -> None:
        with self._changed:
            self._state = replace(self._state, building=True)
            self._changed.notify_all()

    def wait_after(self, seen: State | None, timeout: float) -> State:
        """The state once it differs from ``seen`` (or after ``timeout``, unchanged)."""
        with self._changed:
            self._changed.wait_for(lambda: self._state != seen, timeout=timeout)
            return self._state


# The page's side: reload on a new generation; the build's error over the page while it lasts.
CLIENT = """
(function () {
  var seen = %(generation)d;
  var box = null;
  function show(text, building) {
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:60%%;overflow:auto;" +
        "margin:0;padding:1em 1.5em;background:#fff4f4;color:#600;border-top:3px solid #b00;" +
        "font:14px/1.5 system-ui,sans-serif;white-space:pre-wrap;z-index:2147483647";
      document.body.appendChild(box);
    }
    box.textContent = (building ? "Đang dựng lại… / rebuilding…\\n\\n" : "") +
      "Không dựng lại được; đây là báo cáo tốt gần nhất / could not rebuild; this is the last good report:\\n\\n" + text;
  }
  var events = new EventSource("%(events)s");
  events.onmessage = function (message) {
    var state = JSON.parse(message.data);
    if (state.generation !== seen) { location.reload(); return; }
    if (state.error) { show(state.error, state.building); }
    else if (box) { box.remove(); box = null; }
  };
})();
"""

WAITING = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>%(title)s</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;margin:3em">
<p>%(title)s</p>
<p>Chưa có báo cáo của năm này; trang tự tải lại khi dựng xong.<br>
No report for this year yet; the page reloads when the build is done.</p>
</body></html>
"""


# The report's own Content-Security-Policy forbids every script and fetch (report/html/
# metadata.html); the page as served here also allows this one script and its event stream.
CSP_META = re.compile(rb'(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)(")', re.IGNORECASE)


def with_client(page: bytes, generation: int) -> bytes:
    """The page with the reload script added before its last ``</body>`` (or at its end), and
    its Content-Security-Policy, if it has one, allowing that script alone and its event stream."""
    code = CLIENT % {"generation": generation, "events": EVENTS}
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")
    allow = f"; script-src &#39;sha256-{digest}&#39;; connect-src &#39;self&#39;".encode("ascii")
    page = CSP_META.sub(lambda m: m[1] + m[2] + allow + m[3], page, count=1)
    script = b"<script>" + code.encode("utf-8") + b"</script>\n"
    at = page.lower().rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


class PreviewHandler(SimpleHTTPRequestHandler):
    """The build folder, read-only; HTML pages with the reload script; the event stream."""

    reloads: Reloads
    report_name: str
    title: str

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == EVENTS:
            self._events()
        elif path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/" + self.report_name)
            self.end_headers()
        elif path.lower().endswith((".html", ".htm")):
            self._page(Path(self.translate_path(path)))
        else:
            super().do_GET()

    def _page(self, file: Path) -> None:
        state = self.reloads.state  # before reading: a rebuild after it reloads the page
        generation = state.generation
        if file.name == self.report_name and state.page is not None:
            file = state.page
        try:
            body = file.read_bytes()
        except OSError:
            if file.name != self.report_name:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            body = (WAITING % {"title": html.escape(self.title)}).encode("utf-8")
        body = with_client(body, generation)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.end_headers()
        seen: State | None = None
        try:
            while True:
                state = self.reloads.wait_after(seen, KEEPALIVE_SECONDS)
                if state == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    message = {"generation": state.generation, "error": state.error, "building": state.building}
                    self.wfile.write(f"data: {json.dumps(message, ensure_ascii=False)}\n\n".encode())
                    seen = state
                self.wfile.flush()
        except ConnectionError:
            return  # the page was closed or reloaded

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload always asks again
        super().end_headers()

    def log_message(self, format, *args) -> None:  # noqa: A002 - the standard library's name
        pass  # the terminal shows the builds, not every request


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never keeps the preview from stopping

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the page was closed or reloaded while it was being sent: nothing to report
        super().handle_error(request, client_address)


def start_server(folder: Path, report_name: str, title: str, reloads: Reloads, port: int) -> ThreadingHTTPServer:
    """The preview server on 127.0.0.1 (``port`` 0: a free one), serving in a thread of its own."""
    handler = type(
        "Handler",
        (PreviewHandler,),
        {"reloads": reloads, "report_name": report_name, "title": title},
    )
    server = PreviewServer(("127.0.0.1", port), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, name="baocao-preview", daemon=True).start()
    return server


class InputFilter(DefaultFilter):
    """watchfiles' default filter (editor swap files, VCS folders…) and the office's own: the
    lock files Excel (``~$x.xlsx``) and LibreOffice (``.~lock.x.xlsx#``) keep beside an open
    workbook, and baocao's temporary files."""

    def __call__(self, change, path: str) -> bool:
        name = Path(path).name
        if name.startswith(("~$", ".~lock.", ".baocao-tmp-")):
            return False
        return super().__call__(change, path)


def watched_paths(root: Path, report_dir: Path) -> list[Path]:
    """What a year's build reads from: the data (every year's, for the comparison), the report's
    templates, and the project's two configuration files."""
    paths = [root / "data", report_dir, root / "baocao.yml", root / "_quarto.yml"]
    return [p for p in dict.fromkeys(paths) if p.exists()]


def watch_and_rebuild(
    paths: list[Path], on_save: Callable[[], bool], build: Callable[[Callable[[], bool]], None]
) -> None:
    """Build now, and again after each batch of saves under ``paths``, until Ctrl-C.

    The files are watched from before the first build, in a thread of their own, which calls
    ``on_save`` at once for each batch of saves (the page shown ahead of the build; it returns
    whether a build is wanted), so that a save made while a build runs is shown without waiting
    for it. The builds run here, one at a time (Ctrl-C stops one as it stops ``baocao build``);
    ``build`` is given a function that says whether a newer save came while it ran (its outcome
    is then out of date: the next build follows at once)."""
    from watchfiles import watch

    saved = threading.Event()
    stop = threading.Event()

    def watcher() -> None:
        for _changes in watch(*paths, watch_filter=InputFilter(), stop_event=stop, debounce=1600, step=50):
            if on_save():
                saved.set()

    thread = threading.Thread(target=watcher, name="baocao-preview-watch", daemon=True)
    thread.start()
    try:
        build(saved.is_set)
        while True:
            while not saved.wait(0.5):  # a timeout, so that Ctrl-C reaches this thread on Windows too
                pass
            saved.clear()
            build(saved.is_set)
    finally:
        stop.set()
        thread.join(timeout=5)


def early_page(project, year: int, renderer_name: str, folder: Path) -> Path | None:
    """The report's HTML alone, composed and rendered exactly as the build does it, when only
    what comes after the analysis changed (the narrative, the year's metadata, the templates):
    the page shows it while the year's full build (PDF and Word too, checked and promoted)
    follows. None when the data changed (its figures must be computed again first), when
    nothing changed, before the year's first build, or for an aggregate unit. Written in ``folder`` only."""
    from .pipeline import stale_steps
    from .render import get_renderer
    from .render.options import RenderOptions
    from .steps import BuildFiles, compose_step, step

    build_dir = project.build_dir(year)
    if project.unit_id and project.unit.is_aggregate:
        return None  # compiled by its own steps (baocao.aggregate), not the ward's compose
    if not (build_dir / BuildFiles.METRICS).is_file():
        return None
    renderer = get_renderer(renderer_name)
    options = RenderOptions.from_project(project.root)
    stale = stale_steps(project, year, build_dir, renderer, options.formats)
    if not stale or step(stale[0]).notebook or "html" not in options.formats:
        return None
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy2(build_dir / BuildFiles.METRICS, folder / BuildFiles.METRICS)
    shutil.copytree(build_dir / BuildFiles.FIGURES, folder / BuildFiles.FIGURES)
    qmd = compose_step(project, year, folder)
    return renderer.render(qmd, ("html",), options=options)["html"]
