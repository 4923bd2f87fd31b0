"""Render a composed report (`bao-cao-<year>.qmd`) to one HTML file and one A4 PDF.

Two backends behind one small interface:

- ``quarto``: real Quarto (``quarto render --to html`` / ``--to typst``), options from
  ``_quarto.yml``;
- ``pandoc``: pandoc from ``pypandoc_binary`` and the ``typst`` Python binding, honouring
  the same ``_quarto.yml`` keys (:class:`RenderOptions`), the same Lua filter and the same
  typst layout (``report/typst/``).

``get_renderer("auto")`` picks Quarto when ``quarto`` is on PATH, else pandoc.
Outputs are written next to the document as ``<stem>.html`` and ``<stem>.pdf``.
"""

from __future__ import annotations

import abc
import shutil
from pathlib import Path
from typing import Sequence

from baocao.errors import BaocaoError, ToolMissingError, UsageError
from baocao.render.options import RenderOptions

__all__ = [
    "FORMATS",
    "RenderError",
    "RenderOptions",
    "Renderer",
    "get_renderer",
    "check_formats",
]

FORMATS = ("html", "pdf")
RENDERER_NAMES = ("auto", "quarto", "pandoc")


class RenderError(BaocaoError):
    """A render step failed (pandoc, typst or Quarto reported an error or a warning)."""

    exit_code = 1


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
        """Render ``qmd``; return ``{"html": <stem>.html, "pdf": <stem>.pdf}`` (as asked).

        Every output is written atomically next to ``qmd``; when any format fails, no
        output is replaced.
        """


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
        renderer = QuartoRenderer()
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
