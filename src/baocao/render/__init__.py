"""Render a composed report (`bao-cao-<year>.qmd`) to one HTML file, one A4 PDF and one
Word document.

Two backends behind one small interface:

- ``quarto``: real Quarto (``quarto render``: its html, typst and docx formats), options
  from ``_quarto.yml``;
- ``pandoc``: pandoc from ``pypandoc_binary`` and the ``typst`` Python binding, honouring
  the same ``_quarto.yml`` keys (:class:`RenderOptions`), the same Lua filter, the same
  typst layout (``report/typst/``) and the same Word reference document
  (``report/word/reference.docx``).

``get_renderer("auto")`` picks Quarto when ``quarto`` is on PATH, else pandoc.
Outputs are written next to the document as ``<stem>.html``, ``<stem>.pdf`` and
``<stem>.docx``.
"""

from __future__ import annotations

import abc
import datetime as dt
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from baocao import atomic
from baocao.errors import RenderError, ToolMissingError, UsageError
from baocao.render.options import RenderOptions

__all__ = [
    "FORMATS",
    "RenderError",
    "RenderOptions",
    "Renderer",
    "get_renderer",
    "check_formats",
]

FORMATS = ("html", "pdf", "docx")
SUFFIXES = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
RENDERER_NAMES = ("auto", "quarto", "pandoc")


class Renderer(abc.ABC):
    """A render backend."""

    name: str = ""

    @abc.abstractmethod
    def available(self) -> bool:
        """Whether the backend's tools are installed."""

    @abc.abstractmethod
    def versions(self) -> dict[str, str]:
        """Versions of the tools the backend runs (for the build manifest)."""

    @abc.abstractmethod
    def render(
        self,
        qmd: Path,
        formats: Sequence[str] = FORMATS,
        *,
        options: RenderOptions,
    ) -> dict[str, Path]:
        """Render ``qmd``; return ``{"html": <stem>.html, "pdf": <stem>.pdf, "docx": <stem>.docx}``
        (as asked).

        Every output is written atomically next to ``qmd``; when any format fails, no
        output is replaced.
        """

    @abc.abstractmethod
    def pdf_standard(self, options: RenderOptions) -> str | None:
        """The PDF profile this backend's PDF conforms to (e.g. "a-2b"), or None."""

    def finish(self, qmd: Path, produced: dict[str, bytes], options: RenderOptions) -> dict[str, Path]:
        """Check what was rendered against what was asked (render/checks.py), then write
        every output next to ``qmd``. A failed check replaces nothing."""
        from baocao.render.checks import check_outputs

        check_outputs(self.name, produced, read_front_matter(qmd), options, self.pdf_standard(options))
        return write_outputs(qmd, produced)


def write_outputs(qmd: Path, produced: dict[str, bytes]) -> dict[str, Path]:
    """Every checked output, written atomically next to ``qmd``."""
    return {fmt: atomic.write_bytes(qmd.with_suffix(SUFFIXES[fmt]), data) for fmt, data in produced.items()}


def read_front_matter(qmd: Path) -> dict[str, Any]:
    """The composed document's YAML front matter ({} when it has none or it is unreadable)."""
    import yaml

    text = Path(qmd).read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    try:
        front = yaml.safe_load(text[3:end]) if end > 0 else None
    except yaml.YAMLError:
        return {}
    return front if isinstance(front, dict) else {}


def report_day(front: dict[str, Any]) -> dt.date | None:
    """The report's `date` from the front matter, or None."""
    value = front.get("date")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = (formats,)
    wanted = tuple(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise UsageError(
            f"định dạng không hỗ trợ: {', '.join(unknown) or '(trống)'}; chỉ có {', '.join(FORMATS)}",
            f"unsupported format: {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}",
        )
    return wanted


def get_renderer(name: str = "auto") -> Renderer:
    """The backend called ``name``: "auto" (Quarto if on PATH, else pandoc), "quarto", "pandoc"."""
    from baocao.render.pandoc import PandocRenderer
    from baocao.render.quarto import QuartoRenderer

    if name not in RENDERER_NAMES:
        raise UsageError(
            f"bộ dựng không hợp lệ: {name!r}; chọn một trong {', '.join(RENDERER_NAMES)}",
            f"unknown renderer {name!r}; choose one of {', '.join(RENDERER_NAMES)}",
        )
    if name == "auto":
        return QuartoRenderer() if shutil.which("quarto") else PandocRenderer()
    if name == "quarto":
        renderer: Renderer = QuartoRenderer()
        if not renderer.available():
            raise ToolMissingError(
                "không tìm thấy Quarto (lệnh `quarto` không có trong PATH)",
                "Quarto is not installed (`quarto` is not on PATH)",
                hint_vi="Cài Quarto (https://quarto.org/docs/get-started/) hoặc dùng `--renderer pandoc`.",
                hint_en="Install Quarto (https://quarto.org/docs/get-started/) or use `--renderer pandoc`.",
            )
        return renderer
    renderer = PandocRenderer()
    if not renderer.available():
        raise ToolMissingError(
            "không tìm thấy pandoc (gói pypandoc_binary) hoặc typst (gói typst)",
            "pandoc (package pypandoc_binary) or typst (package typst) is not installed",
            hint_vi="Cài môi trường của dự án: pip install -e . (xem README).",
            hint_en="Install the project's environment: pip install -e . (see the README).",
        )
    return renderer
