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

import shutil

from baocao.errors import RenderError, ToolMissingError, UsageError
from baocao.render.base import FORMATS, SUFFIXES, Renderer, check_formats, read_front_matter, report_day
from baocao.render.options import RenderOptions

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "RenderError",
    "RenderOptions",
    "Renderer",
    "check_formats",
    "get_renderer",
    "read_front_matter",
    "report_day",
]

RENDERER_NAMES = ("auto", "quarto", "pandoc")


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
