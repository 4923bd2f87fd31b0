"""The 2023 HTML report opened in a real browser: headless Chromium (Debian's `chromium`,
which .ci/run installs) driven by Playwright's Python client. Playwright cannot download its
own browser here, so it is pointed at the system one; without it the test is skipped.

Checked on a desktop and a phone-size viewport: no console error, no network request (the
file itself only; images are `data:` URIs), every image loaded and described, `lang="vi"`,
a table of contents whose links all land, the same header block as the PDF, numbers
right-aligned, tables that scroll inside their wrapper on a phone instead of widening the
page, and a print stylesheet (A4, no table of contents). Screenshots are saved (desktop,
phone) into BAOCAO_SCREENSHOTS or a temporary folder, and their paths printed: look at them.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - playwright is in the project's environment
    sync_playwright = None

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"),
    pytest.mark.skipif(sync_playwright is None, reason="the playwright package is not installed"),
]


class Visit:
    """One page load: what the browser reported while loading it."""

    def __init__(self, browser, url: str, viewport: dict, on_dialog=None):
        self.url = url
        self.console: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.page = browser.new_page(viewport=viewport)
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.blocked.append(r.url))
        if on_dialog is not None:  # alert() and friends, before the page loads (autofocus fires on load)
            self.page.on("dialog", on_dialog)

        def route(route):
            # Anything but the report itself is refused, so that a stray fetch cannot succeed
            # quietly (it is also recorded by the "request" handler above).
            if route.request.url == self.url:
                route.continue_()
            else:
                route.abort()

        self.page.route("**/*", route)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_function("Array.from(document.images).every(i => i.complete)")


@pytest.fixture(scope="module")
def expected(sample_project) -> dict:
    """The words of the header and signature, from baocao.yml and the year's metadata."""
    from baocao import vnformat as vn
    from baocao.config import Project
    from baocao.narrative import load_meta

    project = Project.find(sample_project)
    meta = load_meta(project, 2023)
    unit = project.unit
    return {
        "header": [
            unit.body_parent,
            unit.body_name,
            f"Số: {meta.number}/{unit.symbol}",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            f"{unit.place}, {vn.fmt_date_long(meta.date)}",
            "BÁO CÁO",
        ],
        "signature": [
            "Nơi nhận:",
            *[f"- {r}" for r in meta.recipients],
            meta.signer_on_behalf,
            meta.signer_title,
            meta.signer_name,
        ],
    }


@pytest.fixture(scope="module")
def html_file(build_2023) -> Path:
    return build_2023 / "bao-cao-2023.html"


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory) -> Path:
    configured = os.environ.get("BAOCAO_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (Playwright's sync API allows one at a time)."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def visits(browser, html_file, shots_dir):
    started = time.monotonic()
    url = html_file.resolve().as_uri()
    out = {name: Visit(browser, url, vp) for name, vp in VIEWPORTS.items()}
    for name, visit in out.items():
        path = shots_dir / f"bao-cao-2023-{name}.png"
        visit.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
    yield out
    print(f"browser checks took {time.monotonic() - started:.1f} s")


@pytest.fixture(scope="module")
def desktop(visits) -> Visit:
    return visits["desktop"]


@pytest.fixture(scope="module")
def phone(visits) -> Visit:
    return visits["phone"]


def test_no_console_error_and_no_network_request(visits):
    for name, visit in visits.items():
        assert [m for m in visit.console if m.startswith(("error", "pageerror", "warning"))] == [], name
        others = [u for u in visit.requests if u != visit.url and not u.startswith("data:")]
        assert others == [], f"{name}: fetched {others}"
        assert visit.blocked == [], f"{name}: blocked {visit.blocked}"


def test_every_image_loaded_and_described(visits):
    for name, visit in visits.items():
        images = visit.page.evaluate(
            """Array.from(document.images).map(i => ({src: i.src.slice(0, 30), complete: i.complete,
                 width: i.naturalWidth, shown: i.getBoundingClientRect().width, alt: i.alt}))"""
        )
        # one image per chart the report shows (each captioned "Biểu đồ N: …"), and at least the
        # two the template places (GĐVH and hộ nghèo; the Quỹ across the years)
        charts = visit.page.evaluate(r"(document.body.innerText.match(/Biểu đồ \d+:/g) || []).length")
        assert len(images) == charts >= 2, (name, len(images), charts)
        for img in images:
            assert img["src"].startswith("data:image/"), img
            assert img["complete"] and img["width"] > 0 and img["shown"] > 0, (name, img)
            assert len(img["alt"].strip()) > 20, f"{name}: image without a real alt text: {img}"
        if name == "phone":
            assert all(img["shown"] <= VIEWPORTS["phone"]["width"] for img in images), "images fit the phone"


def test_language_title_and_table_of_contents(desktop):
    page = desktop.page
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "Báo cáo tổng kết" in page.title()
    toc = page.locator("nav#TOC")
    assert toc.is_visible() and "Mục lục" in toc.inner_text()
    targets = page.evaluate("Array.from(document.querySelectorAll('nav#TOC a')).map(a => a.getAttribute('href'))")
    assert len(targets) >= 10
    missing = page.evaluate(
        "(hrefs) => hrefs.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))", targets
    )
    assert missing == [], f"table of contents links to nothing: {missing}"
    for heading in ("Phần thứ nhất", "Phần thứ hai", "Phụ lục"):
        assert heading in toc.inner_text()


def test_header_block_like_the_pdf(desktop, phone, expected):
    page = desktop.page
    header = page.locator("header.baocao-header")
    text = re.sub(r"\s+", " ", header.inner_text())
    for needle in expected["header"]:
        assert needle in text, needle
    issuer = page.locator(".masthead .issuer").bounding_box()
    nation = page.locator(".masthead .nation-block").bounding_box()
    assert issuer["x"] + issuer["width"] <= nation["x"] + 1, "issuer left of the national title"
    assert abs(issuer["y"] - nation["y"]) < 2, "side by side on a desktop"
    styles = page.evaluate("""() => {
        const s = (q) => getComputedStyle(document.querySelector(q));
        return {name: s('.body-name').fontWeight, motto: s('.motto span').fontWeight,
                motto_rule: s('.motto span').borderBottomStyle, date: s('.place-date').fontStyle};
    }""")
    assert int(styles["name"]) >= 600 and int(styles["motto"]) >= 600
    assert styles["motto_rule"] == "solid" and styles["date"] == "italic"
    # On a phone the two columns stack.
    p_issuer = phone.page.locator(".masthead .issuer").bounding_box()
    p_nation = phone.page.locator(".masthead .nation-block").bounding_box()
    assert p_nation["y"] >= p_issuer["y"] + p_issuer["height"] - 1


def test_signature_block(desktop, expected):
    sig = re.sub(r"\s+", " ", desktop.page.locator(".signature").inner_text())
    for needle in expected["signature"]:
        assert needle in sig, needle
    recipients = desktop.page.locator(".signature .recipients").bounding_box()
    signer = desktop.page.locator(".signature .signer").bounding_box()
    assert recipients["x"] < signer["x"], "Nơi nhận left, signer right"


def test_numbers_are_right_aligned(desktop):
    cells = desktop.page.evaluate("""() => Array.from(document.querySelectorAll('tbody td')).map(td =>
        [td.innerText.trim(), getComputedStyle(td).textAlign])""")
    numeric = [(t, a) for t, a in cells if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})*(,\d+)?%?(\sđiểm\s%)?", t)]
    assert len(numeric) > 100
    wrong = [(t, a) for t, a in numeric if a != "right"]
    assert wrong == [], wrong[:10]
    headers = desktop.page.evaluate(
        "Array.from(document.querySelectorAll('thead th')).map(th => getComputedStyle(th).textAlign)"
    )
    assert set(headers) == {"center"}


def test_tables_scroll_inside_their_wrapper_on_a_phone(phone):
    page = phone.page
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is wider than the phone: {width}"
    wraps = page.evaluate("""() => Array.from(document.querySelectorAll('.table-wrap')).map(w =>
        ({wide: w.classList.contains('wide'), scroll: w.scrollWidth, client: w.clientWidth,
          overflow: getComputedStyle(w).overflowX}))""")
    assert wraps and all(w["overflow"] == "auto" for w in wraps)
    assert all(w["client"] <= width[1] for w in wraps)
    assert any(w["scroll"] > w["client"] for w in wraps), "wide tables scroll sideways"
    # Every table sits in a wrapper.
    assert page.evaluate("document.querySelectorAll('table').length") == len(wraps)


def test_print_stylesheet(desktop, tmp_path):
    from pypdf import PdfReader

    page = desktop.page
    page.emulate_media(media="print")
    try:
        assert page.evaluate("getComputedStyle(document.querySelector('nav#TOC')).display") == "none"
        size = float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px"))
        assert abs(size - 13 * 96 / 72) < 0.1, "13 pt body text on paper"
        pdf = tmp_path / "print.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True)
    finally:
        page.emulate_media(media="screen")
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in PdfReader(pdf).pages]
    assert sizes[0] == (595, 842), f"prints on A4: {sizes[0]}"
    assert (842, 595) in sizes, "the landscape appendix tables print on landscape pages"


# --- prose is prose, even without the page's Content-Security-Policy ----------------------

HOSTILE_PROSE = (
    '\nMột câu có [chữ]{onfocus="alert(1)" autofocus tabindex="1"} và ký hiệu @ban, $5, {{ mẫu }}.\n\n'
    '::: {onmouseover="alert(2)" style="background:url(http://127.0.0.1:9/x.png)"}\n'
    "Đoạn văn trong một khối.\n:::\n\n"
    'Một đoạn `mã`{.lead onclick="alert(4)"} và [nút]{.btn onclick="alert(5)" style="color:red"}.\n'
)


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory, renderer) -> Path:
    """The 2023 report built (through the CLI, with this renderer) from a narrative that types
    attributes, divs with handlers and styles; then its CSP meta removed."""
    from .conftest import copy_project, run_cli

    root = copy_project(tmp_path_factory.mktemp(f"hostile-{renderer}") / "p", years=[2021, 2022, 2023])
    narrative = root / "data" / "raw" / "2023" / "nhan-dinh.md"
    narrative.write_text(narrative.read_text(encoding="utf-8") + HOSTILE_PROSE, encoding="utf-8")
    proc = run_cli("build", "--year", "2023", "--renderer", renderer, cwd=root, check=False)
    if proc.returncode == 1 and "nhan-dinh.md" in proc.stderr:
        return pytest.fail(f"validate/build refused the prose instead of rendering it as text:\n{proc.stderr}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (root / "build" / "2023" / "bao-cao-2023.html").read_text(encoding="utf-8")
    stripped = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    assert stripped != html, "the page had a CSP to remove"
    out = root / "no-csp.html"
    out.write_text(stripped, encoding="utf-8")
    return out


def test_typed_attributes_never_become_markup_even_without_the_csp(browser, hostile_html):
    url = hostile_html.resolve().as_uri()
    dialogs: list[str] = []
    visit = Visit(browser, url, VIEWPORTS["desktop"], on_dialog=lambda d: (dialogs.append(d.message), d.dismiss()))
    visit.page.mouse.move(400, 400)
    visit.page.keyboard.press("Tab")
    found = visit.page.evaluate("""() => {
        const bad = [];
        for (const el of document.querySelectorAll('body *')) {
            for (const a of el.attributes) {
                if (a.name.startsWith('on') || a.name === 'autofocus'
                    || (a.name === 'style' && /url\\(/i.test(a.value))) bad.push(el.tagName + ' ' + a.name);
            }
        }
        return bad;
    }""")
    text = visit.page.inner_text("body")
    visit.page.close()
    assert dialogs == [] and found == []
    assert [u for u in visit.requests if u != visit.url and not u.startswith("data:")] == []
    # what was typed reads as text
    assert "@ban" in text and "$5" in text and "Đoạn văn trong một khối." in text
