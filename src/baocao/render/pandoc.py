"""The pandoc backend: pandoc (pypandoc_binary) for HTML and typst source, typst (Python
binding) for the PDF. Same options (`_quarto.yml`), filter and typst layout as Quarto.

Security (RELIABILITY.md §5): the document is read as
``markdown-raw_html-raw_attribute-raw_tex`` with ``--sandbox``, so text can never become
markup and the reader touches no other file. ``--embed-resources`` cannot run sandboxed
(it must read the figures), so the pipeline is split:

1. ``pandoc doc.qmd -t json --sandbox``                      → AST
2. Python checks the AST: every image is an existing file under the document's
   ``figures/``; links become plain text; no raw markup exists. Project options from
   ``_quarto.yml`` are added to the metadata (the document's own values win).
3. ``pandoc -f json -t html5 --embed-resources …``           → one self-contained HTML
   ``pandoc -f json -t typst --sandbox …`` + ``typst.compile`` → PDF/A-2b
   ``pandoc -f json -t docx --reference-doc …``                → Word (it embeds the charts)

Everything is deterministic: pandoc adds no dates to the HTML, typst gets the report's own
date as its creation timestamp, only fonts from ``report/fonts`` or typst's embedded fonts
are used, and the .docx (a zip) gets the report's date as every entry's time and as its
creation date (``SOURCE_DATE_EPOCH``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from baocao.config import BuildFiles
from baocao.errors import InputError, Location, RenderCheckError, RenderError, ToolMissingError
from baocao.render.base import FORMATS, Renderer, check_formats, read_front_matter, write_outputs
from baocao.render.checks import format_problems
from baocao.render.checks import prepare as prepare_checks
from baocao.render.options import RenderOptions

# Markdown as the composer writes it, minus every way of writing raw markup.
READER = "markdown-raw_html-raw_attribute-raw_tex"
# Reports are dated in Việt Nam; typst wants a fixed-offset, tz-aware datetime.
VN_TZ = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")
FIGURES_DIR = BuildFiles.FIGURES
IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg")
_FORBIDDEN_IN_TARGET = re.compile(r"[\x00-\x1f%?#\\:]")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
T = TypeVar("T")


@lru_cache(maxsize=1)
def _pandoc_path() -> str:
    try:
        import pypandoc

        path = pypandoc.get_pandoc_path()
    except (ImportError, OSError) as exc:
        raise ToolMissingError(
            "không tìm thấy pandoc (gói pypandoc_binary)",
            "pandoc (package pypandoc_binary) is not installed",
            hint_vi="Cài môi trường của dự án: pip install -e .",
            hint_en="Install the project's environment: pip install -e .",
        ) from exc
    return str(path)


class PandocRenderer(Renderer):
    name = "pandoc"

    # --- Renderer interface -------------------------------------------------------------

    def available(self) -> bool:
        try:
            import typst  # noqa: F401

            return Path(_pandoc_path()).is_file()
        except (ImportError, ToolMissingError):
            return False

    def versions(self) -> dict[str, str]:
        import typst

        out = subprocess.run([_pandoc_path(), "--version"], capture_output=True, text=True)
        pandoc_version = out.stdout.split("\n", 1)[0].replace("pandoc", "").strip()
        return {
            "pandoc": pandoc_version,
            "typst": _typst_engine_version(),
            "typst-py": getattr(typst, "__version__", "unknown"),
        }

    def render(
        self,
        qmd: Path,
        formats: Sequence[str] = FORMATS,
        *,
        options: RenderOptions,
    ) -> dict[str, Path]:
        wanted = check_formats(formats)
        qmd = Path(qmd).resolve()
        if not qmd.is_file():
            raise InputError(
                Location(file=str(qmd)),
                "không tìm thấy tệp báo cáo cần dựng",
                "the report document to render does not exist",
            )
        doc_dir = qmd.parent

        ast = self._read(qmd)
        ast = sanitize_ast(ast, qmd)
        meta = ast.setdefault("meta", {})
        fonts = self._fonts(options, meta) if "pdf" in wanted else ()
        apply_project_metadata(meta, options, fonts)
        ast_bytes = json.dumps(ast, ensure_ascii=False, sort_keys=True).encode("utf-8")

        jobs: dict[str, Callable[[], bytes]] = {
            "html": lambda: self._html(ast_bytes, doc_dir, options),
            "pdf": lambda: compile_typst(
                self._typst_source(ast_bytes, doc_dir, options), doc_dir, options, report_timestamp(meta, qmd)
            ),
            "docx": lambda: self._docx(ast_bytes, doc_dir, options, report_timestamp(meta, qmd)),
        }
        front = read_front_matter(qmd)
        pdf_standard = self.pdf_standard(options)

        def checked(fmt: str) -> Callable[[], tuple[bytes, list[str]]]:
            def job() -> tuple[bytes, list[str]]:
                data = jobs[fmt]()
                return data, format_problems(fmt, data, front, options, pdf_standard)

            return job

        results = side_by_side({fmt: checked(fmt) for fmt in wanted}, meanwhile=prepare_checks)
        problems = [p for fmt in ("pdf", "html", "docx") if fmt in results for p in results[fmt][1]]
        if problems:
            raise RenderCheckError(self.name, problems, options.config_file.name)
        # Written only when every format succeeded and passed its checks: a failure leaves
        # the old outputs untouched.
        return write_outputs(qmd, {fmt: data for fmt, (data, _) in results.items()})

    def pdf_standard(self, options: RenderOptions) -> str | None:
        return options.pdf_standard

    # --- Steps ----------------------------------------------------------------------------

    def _read(self, qmd: Path) -> dict:
        raw = run_pandoc(
            [str(qmd), "--from", READER, "--to", "json", "--sandbox"],
            cwd=qmd.parent,
            what=f"đọc {qmd.name} / reading {qmd.name}",
        )
        return json.loads(raw.decode("utf-8"))

    def _html(self, ast_bytes: bytes, doc_dir: Path, options: RenderOptions) -> bytes:
        args = [
            "--from",
            "json",
            "--to",
            "html5",
            "--standalone",
            "--embed-resources",
            "--section-divs",
            "--template",
            str(options.html_template),
            "--resource-path",
            str(doc_dir),
        ]
        for css in options.css:
            args += ["--css", str(css)]
        if options.toc:
            args += ["--toc", "--toc-depth", str(options.toc_depth)]
        for lua in options.filters:
            args += ["--lua-filter", str(lua)]
        return run_pandoc(args, cwd=doc_dir, stdin=ast_bytes, what="HTML")

    def _typst_source(self, ast_bytes: bytes, doc_dir: Path, options: RenderOptions) -> bytes:
        args = [
            "--from",
            "json",
            "--to",
            "typst",
            "--standalone",
            "--sandbox",
            "--template",
            str(options.typst_template),
        ]
        if options.typst_toc:
            args += ["--toc"]
        for lua in options.filters:
            args += ["--lua-filter", str(lua)]
        return run_pandoc(args, cwd=doc_dir, stdin=ast_bytes, what="typst")

    def _docx(self, ast_bytes: bytes, doc_dir: Path, options: RenderOptions, timestamp: dt.datetime) -> bytes:
        """The Word document. Not sandboxed: the writer reads the charts to embed them (the
        AST check has limited images to the document's figures/)."""
        if options.reference_doc is None:
            raise RenderError(
                "thiếu format.docx.reference-doc trong _quarto.yml",
                "format.docx.reference-doc is missing from _quarto.yml",
            )
        args = [
            "--from",
            "json",
            "--to",
            "docx",
            "--output",
            "-",
            "--reference-doc",
            str(options.reference_doc),
            "--resource-path",
            str(doc_dir),
        ]
        if options.docx_toc:
            args += ["--toc"]
        for lua in options.filters:
            args += ["--lua-filter", str(lua)]
        # pandoc dates the zip's entries and the document's properties from it.
        env = {"SOURCE_DATE_EPOCH": str(int(timestamp.timestamp()))}
        return run_pandoc(args, cwd=doc_dir, stdin=ast_bytes, what="docx", env=env)

    def _fonts(self, options: RenderOptions, meta: dict) -> tuple[str, ...]:
        """The configured font families typst can find, in preference order (≥ 1)."""
        import typst

        wanted = _meta_strings(_meta_get(meta, "baocao", "fonts")) or list(options.fonts)
        paths = [str(p) for p in options.font_paths if p.is_dir()]
        known = {
            f.casefold(): f
            for f in typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=paths).families()
        }
        found = tuple(known[f.casefold()] for f in wanted if f.casefold() in known)
        if not found:
            raise ToolMissingError(
                f"không có phông chữ nào trong danh sách {wanted} "
                f"(đã tìm trong {', '.join(paths) or 'phông có sẵn của typst'})",
                f"none of the fonts {wanted} is available (looked in {', '.join(paths) or 'typst built-in fonts'})",
                hint_vi="Chép tệp phông vào report/fonts/ (Liberation Serif có sẵn trong kho mã) hoặc "
                'thêm "Libertinus Serif" vào baocao.fonts trong _quarto.yml.',
                hint_en="Copy the font files into report/fonts/ (the repository ships Liberation Serif) "
                'or add "Libertinus Serif" to baocao.fonts in _quarto.yml.',
            )
        return found


def side_by_side(jobs: dict[str, Callable[[], T]], meanwhile: Callable[[], None] | None = None) -> dict[str, T]:
    """Run each format's job at the same time, one thread each, and return their results in
    the order given; ``meanwhile`` runs in this thread while they do. The jobs share the one
    AST read and nothing else, and they spend most of their time in pandoc processes or in
    typst, which let other threads run. The first failure, in that order, is raised once
    every job has ended."""
    if len(jobs) == 1:
        return {fmt: job() for fmt, job in jobs.items()}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="baocao-render") as pool:
        futures = {fmt: pool.submit(job) for fmt, job in jobs.items()}
        if meanwhile is not None:
            meanwhile()
    return {fmt: future.result() for fmt, future in futures.items()}


# --- pandoc --------------------------------------------------------------------------------


def run_pandoc(
    args: list[str], *, cwd: Path, what: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> bytes:
    """Run pandoc; any warning is an error (a lost resource must not pass silently)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PANDOC_") and k != "SOURCE_DATE_EPOCH"},
        **(env or {}),
    }
    # An empty user data directory: nothing from ~/.local/share/pandoc (templates,
    # translations, defaults) can change the output.
    with tempfile.TemporaryDirectory(prefix="baocao-pandoc-data-") as data_dir:
        proc = subprocess.run(
            [_pandoc_path(), *args, "--data-dir", data_dir, "--fail-if-warnings"],
            input=stdin,
            capture_output=True,
            cwd=str(cwd),
            env=env,
        )
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip()
        raise RenderError(
            f"pandoc thất bại ({what}), mã {proc.returncode}:\n{detail}",
            f"pandoc failed ({what}), exit code {proc.returncode}:\n{detail}",
        )
    return proc.stdout


# --- The AST check (step 2) ------------------------------------------------------------


def sanitize_ast(ast: dict, qmd: Path) -> dict:
    """Refuse images outside ``figures/`` and raw markup; make links plain text.

    Walks the blocks and the metadata. Returns the (modified) AST.
    """
    doc_dir = qmd.parent.resolve()

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("t")
        if kind in ("RawBlock", "RawInline"):
            fmt = node["c"][0]
            raise InputError(
                Location(file=qmd.name, value=node["c"][1]),
                f"tài liệu chứa mã định dạng thô ({fmt}), không được phép",
                f"the document contains raw {fmt} markup, which is not allowed",
                hint_vi="Thoát (escape) văn bản trước khi đưa vào Markdown.",
                hint_en="Escape the text before it goes into the Markdown.",
            )
        if kind == "Link":
            attr, inlines, _target = node["c"]
            # Links are not expected: keep the text, drop the target.
            return {"t": "Span", "c": [["", [], []], walk(inlines)]}
        if kind == "Image":
            attr, inlines, (target, title) = node["c"]
            checked = check_image_target(target, doc_dir, qmd)
            return {"t": "Image", "c": [attr, walk(inlines), [checked, title]]}
        return {k: walk(v) for k, v in node.items()}

    ast["blocks"] = walk(ast.get("blocks", []))
    ast["meta"] = walk(ast.get("meta", {}))
    return ast


def check_image_target(target: str, doc_dir: Path, qmd: Path) -> str:
    """The image path, if it names an existing file under ``<doc>/figures/``; else raise."""

    def refuse(reason_vi: str, reason_en: str) -> InputError:
        return InputError(
            Location(file=qmd.name, value=target),
            f"ảnh bị từ chối: {reason_vi}",
            f"image refused: {reason_en}",
            hint_vi=f"Ảnh phải là tệp {', '.join(IMAGE_SUFFIXES)} trong thư mục "
            f"{FIGURES_DIR}/ cạnh tài liệu, ghi bằng đường dẫn tương đối (figures/ten.svg).",
            hint_en=f"Images must be {', '.join(IMAGE_SUFFIXES)} files in the {FIGURES_DIR}/ "
            "folder next to the document, written as a relative path (figures/name.svg).",
        )

    if not target or _FORBIDDEN_IN_TARGET.search(target):
        raise refuse(
            "đường dẫn chứa ký tự không cho phép (URL, %, ?, #, \\)",
            "the path contains a character that is not allowed (URL, %, ?, #, \\)",
        )
    path = PurePosixPath(target)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2 or path.parts[0] != FIGURES_DIR:
        raise refuse(
            f"không nằm trong thư mục {FIGURES_DIR}/ của tài liệu",
            f"it is not inside the document's {FIGURES_DIR}/ folder",
        )
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise refuse("không phải tệp ảnh được hỗ trợ", "not a supported image file type")
    figures = (doc_dir / FIGURES_DIR).resolve()
    full = (doc_dir / Path(*path.parts)).resolve()
    if not full.is_relative_to(figures):
        raise refuse(
            f"trỏ ra ngoài thư mục {FIGURES_DIR}/ (liên kết tượng trưng?)",
            f"it leads outside the {FIGURES_DIR}/ folder (a symbolic link?)",
        )
    if not full.is_file():
        raise refuse("tệp ảnh không tồn tại", "the image file does not exist")
    return path.as_posix()


# --- Metadata ------------------------------------------------------------------------------


def _meta_str(value: str) -> dict:
    return {"t": "MetaString", "c": value}


def _meta_get(meta: dict, *keys: str) -> Any:
    node: Any = {"t": "MetaMap", "c": meta}
    for key in keys:
        if not isinstance(node, dict) or node.get("t") != "MetaMap" or key not in node["c"]:
            return None
        node = node["c"][key]
    return node


def _meta_text(value: Any) -> str | None:
    """Plain text of a MetaString / MetaInlines value."""
    if not isinstance(value, dict):
        return None
    if value.get("t") == "MetaString":
        return value["c"]
    if value.get("t") in ("MetaInlines", "MetaBlocks"):
        parts: list[str] = []

        def collect(node: Any) -> None:
            if isinstance(node, list):
                for x in node:
                    collect(x)
            elif isinstance(node, dict):
                t = node.get("t")
                if t == "Str":
                    parts.append(node["c"])
                elif t in ("Space", "SoftBreak", "LineBreak"):
                    parts.append(" ")
                elif "c" in node:
                    collect(node["c"])

        collect(value["c"])
        return "".join(parts)
    return None


def _meta_strings(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    if value.get("t") == "MetaList":
        return [t for t in (_meta_text(v) for v in value["c"]) if t]
    text = _meta_text(value)
    return [text] if text else []


def apply_project_metadata(meta: dict, options: RenderOptions, fonts: Sequence[str]) -> None:
    """Add the `_quarto.yml` options the templates read; the document's own values win."""
    defaults = {
        "lang": options.lang,
        "toc-title": options.toc_title,
        "papersize": options.papersize,
        "mainfont": options.mainfont,
        "fontsize": options.fontsize,
    }
    for key, value in defaults.items():
        meta.setdefault(key, _meta_str(value))
    if fonts:
        baocao = meta.setdefault("baocao", {"t": "MetaMap", "c": {}})
        if baocao.get("t") != "MetaMap":
            raise InputError(
                Location(file="front matter", column="baocao"),
                "khóa 'baocao' phải là một bảng khóa: giá trị",
                "the 'baocao' key must be a mapping",
            )
        # The fonts typst will actually find (see PandocRenderer._fonts).
        baocao["c"]["fonts"] = {"t": "MetaList", "c": [_meta_str(f) for f in fonts]}


def report_timestamp(meta: dict, qmd: Path) -> dt.datetime:
    """The PDF creation time: the report's `date` at 00:00 UTC (never the clock).

    typst writes PDF dates in UTC. Midnight UTC reads as the report's day in UTC and in Việt
    Nam alike (07:00 there), where midnight in Việt Nam would read as the day before in UTC;
    it is also what the layout writes for a date without a time (the Quarto backend)."""
    text = (_meta_text(meta.get("date")) or "").strip()
    m = _ISO_DATE.match(text)
    if m:
        try:
            return dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=dt.UTC)
        except ValueError:
            pass
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=VN_TZ)
    raise InputError(
        Location(file=qmd.name, column="date", value=text),
        "thiếu ngày báo cáo dạng YYYY-MM-DD (dùng làm ngày tạo PDF)",
        "the report date is missing or not YYYY-MM-DD (it is the PDF creation date)",
        hint_vi='Ghi `date: "2023-12-05"` trong phần đầu tài liệu, hoặc đặt SOURCE_DATE_EPOCH.',
        hint_en='Put `date: "2023-12-05"` in the front matter, or set SOURCE_DATE_EPOCH.',
    )


# --- typst ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _typst_engine_version() -> str:
    import typst

    try:
        return json.loads(typst.Compiler().eval("str(sys.version)"))
    except Exception:  # pragma: no cover - older bindings without eval
        return "unknown"


def compile_typst(source: bytes, doc_dir: Path, options: RenderOptions, timestamp: dt.datetime) -> bytes:
    """Compile typst source to PDF; any typst warning (e.g. a missing font) is an error."""
    import typst

    compiler = typst.Compiler(
        root=str(doc_dir),
        font_paths=[str(p) for p in options.font_paths if p.is_dir()],
        ignore_system_fonts=True,
        # Tells the layout that `timestamp` is the report's date (see typst-template.typ).
        sys_inputs={"baocao-timestamp": "1"},
    )
    try:
        pdf, warnings = compiler.compile_with_warnings(
            input=source,
            format="pdf",
            pdf_standards=[options.pdf_standard] if options.pdf_standard else [],  # type: ignore[list-item]  # checked
            timestamp=timestamp,
        )
    except typst.TypstError as exc:
        detail = _describe_typst(exc)
        raise RenderError(f"typst thất bại:\n{detail}", f"typst failed:\n{detail}") from exc
    if warnings:
        detail = "\n".join(_describe_typst(w) for w in warnings)
        raise RenderError(
            f"typst cảnh báo (PDF không được ghi):\n{detail}",
            f"typst warned (the PDF was not written):\n{detail}",
            hint_vi="Cảnh báo 'unknown font family' nghĩa là thiếu phông: xem report/fonts/README.md.",
            hint_en="'unknown font family' means a font is missing: see report/fonts/README.md.",
        )
    if not isinstance(pdf, bytes):  # pragma: no cover - defensive
        raise RenderError("typst không trả về PDF", "typst returned no PDF")
    return pdf


def _describe_typst(diag: Any) -> str:
    message = getattr(diag, "message", None) or str(diag)
    hints = list(getattr(diag, "hints", None) or [])
    trace = list(getattr(diag, "trace", None) or [])
    lines = [f"- {message}"]
    lines += [f"  hint: {h}" for h in hints]
    lines += [f"  at: {t}" for t in trace[:3]]
    return "\n".join(lines)
