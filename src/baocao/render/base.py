"""What every render backend is: the :class:`Renderer` interface, the formats, and the
helpers the backends share (the composed document's front matter, atomic writing of the
checked outputs). The backends (:mod:`.pandoc`, :mod:`.quarto`) import this module; the
package (``baocao.render``) picks one of them."""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from baocao import atomic
from baocao.errors import BaocaoError, UsageError
from baocao.render.options import RenderOptions

FORMATS = ("html", "pdf", "docx")
SUFFIXES = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}


class Renderer(abc.ABC):
    """A render backend."""

    name: str = ""
    #: Whether :meth:`render_many` renders several documents with one start-up of the tool
    #: (Quarto): a serial multi-year build then renders its years together.
    renders_many_at_once: bool = False

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

    def render_many(
        self, documents: Sequence[tuple[Path, Sequence[str]]], *, options: RenderOptions
    ) -> list[dict[str, Path] | Exception]:
        """Render each ``(qmd, formats)`` of ``documents`` as :meth:`render` does; for each, its
        outputs or what stopped it (a :class:`baocao.errors.BaocaoError` or an OSError,
        returned, never raised), in order. Here one :meth:`render` after another."""
        outcomes: list[dict[str, Path] | Exception] = []
        for qmd, formats in documents:
            try:
                outcomes.append(self.render(qmd, formats, options=options))
            except (BaocaoError, OSError) as exc:
                outcomes.append(exc)
        return outcomes

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
