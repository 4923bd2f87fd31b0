"""Typed errors that carry their evidence.

The CLI turns these into one bilingual message and an exit code; the traceback is shown only
with ``--debug``. Exit codes follow DESIGN.md: 1 bad input data, 2 usage, 3 environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class BaocaoError(Exception):
    """Base of every expected failure. ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message_vi: str, message_en: str, *, hint_vi: str = "", hint_en: str = ""):
        self.message_vi = message_vi
        self.message_en = message_en
        self.hint_vi = hint_vi
        self.hint_en = hint_en
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"Lỗi: {self.message_vi}"]
        if self.hint_vi:
            lines.append(f"  Cách sửa: {self.hint_vi}")
        lines.append(f"Error: {self.message_en}")
        if self.hint_en:
            lines.append(f"  To fix: {self.hint_en}")
        return "\n".join(lines)


@dataclass
class Location:
    """Where a value sits, as a person sees it in Excel (row numbers are 1-based sheet rows)."""

    file: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: object = None

    def describe_vi(self) -> str:
        parts = [f"tệp {self.file}"]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột '{self.column}'")
        if self.value not in (None, ""):
            parts.append(f"giá trị {_show(self.value)}")
        return ", ".join(parts)

    def describe_en(self) -> str:
        parts = [f"file {self.file}"]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.value not in (None, ""):
            parts.append(f"value {_show(self.value)}")
        return ", ".join(parts)


def _show(value: object, limit: int = 60) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


class InputError(BaocaoError):
    """Input data that cannot be used; knows its file, sheet, row, column and value."""

    exit_code = 1

    def __init__(
        self,
        location: Location,
        reason_vi: str,
        reason_en: str,
        *,
        hint_vi: str = "",
        hint_en: str = "",
    ):
        self.location = location
        self.reason_vi = reason_vi
        self.reason_en = reason_en
        super().__init__(
            f"{location.describe_vi()}: {reason_vi}",
            f"{location.describe_en()}: {reason_en}",
            hint_vi=hint_vi,
            hint_en=hint_en,
        )


class ConfigError(BaocaoError):
    """baocao.yml, _quarto.yml or a year's metadata file is wrong."""

    exit_code = 1


class UsageError(BaocaoError):
    exit_code = 2


class ToolMissingError(BaocaoError):
    """A required tool (pandoc, typst, quarto, a font) is not there."""

    exit_code = 3


class BuildLockedError(BaocaoError):
    exit_code = 3


class RenderError(BaocaoError):
    """A render step failed (pandoc, typst or Quarto reported an error or a warning)."""

    exit_code = 1


class RenderCheckError(BaocaoError):
    """A renderer wrote something other than what `_quarto.yml` asks (see render/checks.py):
    the installed tool did not honour the project's configuration, an environment problem."""

    exit_code = 3

    def __init__(self, renderer: str, problems: list[str], config: str = "_quarto.yml"):
        self.renderer = renderer
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"bộ dựng '{renderer}' không làm theo {config}; báo cáo mới không được dùng:\n{listed}",
            f"the '{renderer}' renderer did not follow {config}; the new report was not used (see the list above)",
            hint_vi="thử '--renderer pandoc', hoặc cập nhật/cài lại công cụ; xem --debug",
            hint_en="try '--renderer pandoc', or update/reinstall the tool; see --debug",
        )


@dataclass
class Reject:
    """One rejected row (or cell), as written to rejects.csv."""

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    reason_vi: str
    reason_en: str
    severity: str = "error"  # "error": the row is dropped; "warning": kept, but reported
    extra: dict = field(default_factory=dict)

    def as_record(self) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": "" if self.row is None else self.row,
            "column": self.column,
            "value": self.value,
            "reason_vi": self.reason_vi,
            "reason_en": self.reason_en,
        }


def relpath_for_humans(path: Path, root: Path | None) -> str:
    """A path as the user should read it: relative to the project when it is inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() if root else path.as_posix()
    except ValueError:
        return path.as_posix()
