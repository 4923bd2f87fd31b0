"""Render options: `_quarto.yml`, read in one place for both backends.

`_quarto.yml` is the single home of the report's format options. Real Quarto reads it
itself; the pandoc backend gets the same keys from :meth:`RenderOptions.from_project`.
A key that is missing or wrong raises :class:`~baocao.errors.ConfigError` naming
``_quarto.yml`` and the key.

Keys honoured by the pandoc backend::

    lang                                  html lang, typst text(lang:)
    filters                               Lua filters (both outputs)
    format.html.toc / toc-title / toc-depth
    format.html.css                       embedded into the HTML
    format.html.template-partials         must include title-block.html
    format.typst.papersize / mainfont / fontsize / font-paths / toc
    format.typst.template-partials        typst-template.typ, typst-show.typ
    format.docx.reference-doc / toc       the Word layout (report/word/reference.docx)
    baocao.formats                        what a build writes (default: html, pdf and docx
                                          when format.docx is there; e.g. [html, pdf])
    baocao.pdf-standard                   typst pdf_standards (default "a-2b")
    baocao.fonts                          font preference list (default [mainfont])
    baocao.html-template                  default report/html/pandoc-template.html
    baocao.typst-template                 default report/typst/pandoc-template.typ
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baocao.errors import ConfigError

CONFIG_NAME = "_quarto.yml"
DEFAULT_HTML_TEMPLATE = "report/html/pandoc-template.html"
DEFAULT_TYPST_TEMPLATE = "report/typst/pandoc-template.typ"
REQUIRED_TYPST_PARTIALS = ("typst-template.typ", "typst-show.typ")
REQUIRED_HTML_PARTIALS = ("metadata.html", "title-block.html")
PDF_STANDARDS = (
    "1.4",
    "1.5",
    "1.6",
    "1.7",
    "2.0",
    "a-1a",
    "a-1b",
    "a-2a",
    "a-2b",
    "a-2u",
    "a-3a",
    "a-3b",
    "a-3u",
    "a-4",
    "a-4e",
    "a-4f",
    "ua-1",
)
#: Every output a render can write, in the order a build lists them.
ALL_FORMATS = ("html", "pdf", "docx")
# The `format:` key of _quarto.yml that configures each output.
QUARTO_FORMAT_KEY = {"html": "html", "pdf": "typst", "docx": "docx"}
_LENGTH = re.compile(r"^\d+(\.\d+)?(pt|mm|cm|in|em)$")
_MISSING = object()


def _error(key: str, problem_vi: str, problem_en: str, *, config: Path) -> ConfigError:
    return ConfigError(
        f"{config.name} ({config}): khóa '{key}' {problem_vi}",
        f"{config.name} ({config}): key '{key}' {problem_en}",
        hint_vi=f"Sửa khóa '{key}' trong {config.name} (xem chú thích trong tệp).",
        hint_en=f"Fix the key '{key}' in {config.name} (see the comments in the file).",
    )


class _Reader:
    """Typed access to the parsed YAML, with errors that name the key."""

    def __init__(self, data: dict, config: Path, root: Path):
        self.data = data
        self.config = config
        self.root = root

    def get(self, key: str, default: Any = _MISSING) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is _MISSING:
                    raise _error(key, "bị thiếu", "is missing", config=self.config)
                return default
            node = node[part]
        return node

    def string(self, key: str, default: Any = _MISSING) -> str:
        value = self.get(key, default)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise _error(
                key,
                f"phải là một chuỗi, không phải {value!r}",
                f"must be a non-empty string, not {value!r}",
                config=self.config,
            )
        return value.strip()

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise _error(
                key,
                f"phải là true hoặc false, không phải {value!r}",
                f"must be true or false, not {value!r}",
                config=self.config,
            )
        return value

    def integer(self, key: str, default: Any = _MISSING, *, low: int = 1, high: int = 6) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _error(
                key,
                f"phải là số nguyên từ {low} đến {high}, không phải {value!r}",
                f"must be an integer from {low} to {high}, not {value!r}",
                config=self.config,
            )
        return value

    def strings(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.get(key, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise _error(
                key,
                f"phải là một danh sách chuỗi, không phải {value!r}",
                f"must be a list of strings, not {value!r}",
                config=self.config,
            )
        return tuple(v.strip() for v in value)

    def path(self, key: str, value: str, *, kind: str = "file") -> Path:
        """A project-relative path that must exist (and stay inside the project)."""
        candidate = Path(value)
        if candidate.is_absolute() or ".." in candidate.parts:
            raise _error(
                key,
                f"phải là đường dẫn tương đối trong dự án: {value!r}",
                f"must be a path relative to the project folder: {value!r}",
                config=self.config,
            )
        full = self.root / candidate
        ok = full.is_dir() if kind == "dir" else full.is_file()
        if not ok:
            what_vi = "thư mục" if kind == "dir" else "tệp"
            what_en = "folder" if kind == "dir" else "file"
            raise _error(
                key,
                f"trỏ tới {what_vi} không tồn tại: {value!r}",
                f"points to a {what_en} that does not exist: {value!r}",
                config=self.config,
            )
        return full

    def paths(self, key: str, default: Any = _MISSING, *, kind: str = "file") -> tuple[Path, ...]:
        return tuple(self.path(key, v, kind=kind) for v in self.strings(key, default))


@dataclass(frozen=True)
class RenderOptions:
    """Format options for both backends, from ``<project>/_quarto.yml``."""

    project_root: Path
    config_file: Path
    lang: str
    filters: tuple[Path, ...]
    # HTML
    toc: bool
    toc_title: str
    toc_depth: int
    css: tuple[Path, ...]
    html_partials: tuple[Path, ...]
    html_template: Path
    # Typst / PDF
    papersize: str
    mainfont: str
    fontsize: str
    font_paths: tuple[Path, ...]
    typst_toc: bool
    typst_partials: tuple[Path, ...]
    typst_template: Path
    pdf_standard: str | None
    fonts: tuple[str, ...]
    # Word
    reference_doc: Path | None = None
    docx_toc: bool = False
    # What a build writes (`baocao.formats`), in ALL_FORMATS order.
    formats: tuple[str, ...] = ("html", "pdf")
    # What real Quarto reads itself: the formats under `format:` and the typst
    # `pdf-standard` it passes on (Quarto >= 1.9).
    quarto_formats: tuple[str, ...] = ("html", "typst", "docx")
    quarto_pdf_standard: str | None = None

    def assets(self) -> tuple[Path, ...]:
        """Every project file or folder the options name (what a render reads besides the
        document and its figures)."""
        named = (
            *self.filters,
            *self.css,
            *self.html_partials,
            *self.typst_partials,
            *self.font_paths,
            *((self.reference_doc,) if self.reference_doc else ()),
        )
        return tuple(dict.fromkeys(named))

    @classmethod
    def from_project(cls, project_root: Path) -> RenderOptions:
        """The options of the project's `_quarto.yml`, checked (a :class:`ConfigError` naming
        the key and what to write otherwise)."""
        root = Path(project_root).resolve()
        config = root / CONFIG_NAME
        r = _Reader(_load_config(config, root), config, root)
        for fmt in ("html", "typst"):
            if not isinstance(r.get(f"format.{fmt}"), dict):
                raise _error(
                    f"format.{fmt}", "phải là một bảng tùy chọn", "must be a mapping of options", config=config
                )
        if r.get("baocao", {}) is not None and not isinstance(r.get("baocao", {}), dict):
            raise _error("baocao", "phải là một bảng tùy chọn", "must be a mapping of options", config=config)

        html_partials = r.paths("format.html.template-partials")
        typst_partials = r.paths("format.typst.template-partials")
        html_template = r.path("baocao.html-template", r.string("baocao.html-template", DEFAULT_HTML_TEMPLATE))
        typst_template = r.path("baocao.typst-template", r.string("baocao.typst-template", DEFAULT_TYPST_TEMPLATE))
        _check_partials("format.html.template-partials", html_partials, html_template, REQUIRED_HTML_PARTIALS, r)
        _check_partials("format.typst.template-partials", typst_partials, typst_template, REQUIRED_TYPST_PARTIALS, r)
        mainfont = r.string("format.typst.mainfont")
        has_docx = r.get("format.docx", None) is not None
        if has_docx and not isinstance(r.get("format.docx"), dict):
            raise _error("format.docx", "phải là một bảng tùy chọn", "must be a mapping of options", config=config)

        return cls(
            project_root=root,
            config_file=config,
            lang=r.string("lang"),
            filters=r.paths("filters"),
            toc=r.boolean("format.html.toc"),
            toc_title=r.string("format.html.toc-title"),
            toc_depth=r.integer("format.html.toc-depth"),
            css=r.paths("format.html.css"),
            html_partials=html_partials,
            html_template=html_template,
            papersize=_papersize(r),
            mainfont=mainfont,
            fontsize=_fontsize(r),
            font_paths=r.paths("format.typst.font-paths", [], kind="dir")
            if r.get("format.typst.font-paths", None)
            else (),
            typst_toc=r.boolean("format.typst.toc", False),
            typst_partials=typst_partials,
            typst_template=typst_template,
            pdf_standard=_pdf_standard(r),
            fonts=r.strings("baocao.fonts", [mainfont]),
            reference_doc=r.path("format.docx.reference-doc", r.string("format.docx.reference-doc"))
            if has_docx
            else None,
            docx_toc=r.boolean("format.docx.toc", False) if has_docx else False,
            formats=_formats(r, has_docx, config),
            quarto_formats=tuple(r.get("format")),
            quarto_pdf_standard=r.string("format.typst.pdf-standard", "") or None
            if r.get("format.typst.pdf-standard", None)
            else None,
        )


def _load_config(config: Path, root: Path) -> dict:
    """`_quarto.yml` as a mapping, read as every YAML file of the project is (a key given
    twice is an error naming both lines)."""
    from baocao.configschema import QuartoBaocao, check
    from baocao.yamlfile import load_yaml_lines

    if not config.is_file():
        raise ConfigError(
            f"không tìm thấy {CONFIG_NAME} trong thư mục dự án {root}",
            f"{CONFIG_NAME} not found in the project folder {root}",
            hint_vi=f"Chạy lệnh trong thư mục dự án, nơi có {CONFIG_NAME}.",
            hint_en=f"Run the command in the project folder that holds {CONFIG_NAME}.",
        )
    data, lines = load_yaml_lines(config)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{CONFIG_NAME} ({config}) phải là một bảng khóa: giá trị",
            f"{CONFIG_NAME} ({config}) must be a mapping of keys to values",
        )
    if isinstance(data.get("baocao"), dict):  # the map that is baocao's; Quarto checks the rest
        check(CONFIG_NAME, data["baocao"], lines, QuartoBaocao, prefix=("baocao",))
    return data


def _check_partials(key: str, partials: tuple[Path, ...], template: Path, required: tuple[str, ...], r: _Reader):
    """pandoc resolves `$name()$` partials next to the template: the configured partials
    must sit there under the names the templates use."""
    names = {p.name for p in partials}
    for name in required:
        if name not in names:
            raise _error(key, f"phải có {name}", f"must list {name}", config=r.config)
    for p in partials:
        if p.parent != template.parent:
            raise _error(
                key,
                f"{p.name} phải nằm cùng thư mục với {template.relative_to(r.root)}",
                f"{p.name} must be in the same folder as {template.relative_to(r.root)}",
                config=r.config,
            )


def _fontsize(r: _Reader) -> str:
    fontsize = r.string("format.typst.fontsize")
    if not _LENGTH.match(fontsize):
        raise _error(
            "format.typst.fontsize",
            f"phải là cỡ chữ như 13pt, không phải {fontsize!r}",
            f"must be a size such as 13pt, not {fontsize!r}",
            config=r.config,
        )
    return fontsize


def _papersize(r: _Reader) -> str:
    papersize = r.string("format.typst.papersize")
    if not re.fullmatch(r"[a-z0-9-]+", papersize):
        raise _error(
            "format.typst.papersize",
            f"không hợp lệ: {papersize!r}",
            f"is not a paper name: {papersize!r}",
            config=r.config,
        )
    return papersize


def _pdf_standard(r: _Reader) -> str | None:
    """`baocao.pdf-standard` (default PDF/A-2b); "none" for a plain PDF."""
    pdf_standard = r.string("baocao.pdf-standard", "a-2b")
    if pdf_standard.lower() in ("none", "false", "off"):
        return None
    if pdf_standard not in PDF_STANDARDS:
        raise _error(
            "baocao.pdf-standard",
            f"phải là một trong {', '.join(PDF_STANDARDS)}, không phải {pdf_standard!r}",
            f"must be one of {', '.join(PDF_STANDARDS)}, not {pdf_standard!r}",
            config=r.config,
        )
    return pdf_standard


def _formats(r: _Reader, has_docx: bool, config: Path) -> tuple[str, ...]:
    """`baocao.formats`: the outputs a build writes (default: every configured one)."""
    default = [f for f in ALL_FORMATS if f != "docx" or has_docx]
    wanted = [f.lower() for f in r.strings("baocao.formats", default)]
    unknown = [f for f in wanted if f not in ALL_FORMATS]
    if unknown:
        raise _error(
            "baocao.formats",
            f"có định dạng không hỗ trợ {unknown}; chỉ có {', '.join(ALL_FORMATS)}",
            f"lists unsupported formats {unknown}; choose from {', '.join(ALL_FORMATS)}",
            config=config,
        )
    if "docx" in wanted and not has_docx:
        raise _error(
            "baocao.formats",
            "có docx nhưng thiếu khóa format.docx (reference-doc)",
            "lists docx but format.docx (its reference-doc) is missing",
            config=config,
        )
    return tuple(f for f in ALL_FORMATS if f in wanted)
