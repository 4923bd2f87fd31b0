"""Typed errors that carry their evidence.

The CLI turns these into one bilingual message and an exit code; the traceback is shown only
with ``--debug``. Exit codes (ARCHITECTURE.md, "Where errors live"): 1 bad input data, 2 usage,
3 environment.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


# ---------------------------------------------------------------------------- values in messages
def show_value(value: object, limit: int | None = None) -> str:
    """A cell value as the person typed it: dates ``dd/mm/yyyy``, ``12.0`` as ``12``, text in NFC
    with its white space runs as one space; "" for an empty cell. ``limit`` shortens it with "…".

    The one way a value is shown in every message, reject and warning (quoted by :func:`quote`).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        text = ""
    elif isinstance(value, dt.datetime):
        text = value.strftime("%d/%m/%Y") if value.time() == dt.time() else value.strftime("%d/%m/%Y %H:%M")
    elif isinstance(value, dt.date):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = " ".join(unicodedata.normalize("NFC", str(value)).translate(_ZERO_WIDTH).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def quote(value: object, limit: int = 60) -> str:
    """A value inside a sentence: ``'Khu 7'`` (shortened past ``limit`` characters)."""
    return f"'{show_value(value, limit)}'"


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u2060"), None)


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
            parts.append(f"cột {self.column}" if self.column.isdigit() else f"cột '{self.column}'")
        if self.value not in (None, ""):
            parts.append(f"giá trị {quote(self.value)}")
        return ", ".join(parts)

    def describe_en(self) -> str:
        parts = [f"file {self.file}"]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}" if self.column.isdigit() else f"column '{self.column}'")
        if self.value not in (None, ""):
            parts.append(f"value {quote(self.value)}")
        return ", ".join(parts)


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
    line: int | None = None  # the line of a YAML file that is wrong, when known
    key: str = ""  # the key given twice, for a duplicate key


class ProjectNotFoundError(ConfigError):
    """No baocao.yml here or above: the command was run outside a project (an environment
    problem, like a missing tool: exit 3, not 1, which means bad input data)."""

    exit_code = 3


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


class InputProblems(BaocaoError):
    """Several structural input errors at once: one message, one line (and a hint) each.

    ``folder`` is the year's raw folder as people should read it; ``partial`` is what could be
    read anyway (a :class:`baocao.clean.CleanResult`), so that ``validate`` can still show it.
    """

    exit_code = 1

    def __init__(self, errors: list[InputError], *, folder: str = "", partial: Any = None):
        self.errors = errors
        self.folder = folder
        self.partial = partial
        n = len(errors)
        super().__init__(
            f"số liệu{f' trong {folder}' if folder else ''} chưa dùng được: {n} lỗi về tệp, sheet hoặc cột",
            f"the data{f' in {folder}' if folder else ''} cannot be used: {n} error(s) in files, sheets or columns",
        )

    def render(self) -> str:
        errors = getattr(self, "errors", None)
        if not errors:
            return super().render()
        lines = [f"Lỗi: {self.message_vi}:"]
        for e in errors:
            lines.append(f"  - {e.message_vi}")
            if e.hint_vi:
                lines.append(f"    Cách sửa: {e.hint_vi}")
        lines.append(f"Error: {self.message_en}:")
        for e in errors:
            lines.append(f"  - {e.message_en}")
            if e.hint_en:
                lines.append(f"    To fix: {e.hint_en}")
        return "\n".join(lines)

    def __reduce__(self):  # picklable across processes (parallel builds); the partial result stays behind
        flat = [(vars(e.location), e.reason_vi, e.reason_en, e.hint_vi, e.hint_en) for e in self.errors]
        return (_rebuild_problems, (flat, self.folder))


def _rebuild_problems(flat: list[tuple], folder: str) -> InputProblems:
    errors = [InputError(Location(**loc), vi, en, hint_vi=hvi, hint_en=hen) for loc, vi, en, hvi, hen in flat]
    return InputProblems(errors, folder=folder)


# ---------------------------------------------------------------------------- one value, one cell
class ValueParseError(ValueError):
    """A cell value that cannot be read; ``reason_vi`` / ``reason_en`` say why, naming the value."""

    def __init__(self, reason_vi: str, reason_en: str, value: object = None):
        self.reason_vi = reason_vi
        self.reason_en = reason_en
        self.value = value
        super().__init__(f"{reason_vi} | {reason_en}")


class CellError(Exception):
    """A cell the cleaner cannot use: the row is rejected with these reasons."""

    def __init__(self, reason_vi: str, reason_en: str):
        self.reason_vi = reason_vi
        self.reason_en = reason_en
        super().__init__(f"{reason_vi} | {reason_en}")


class LegacyEncodingError(ValueError):
    """Text that looks typed in a legacy font (TCVN3/VNI) but does not convert to valid Vietnamese."""

    def __init__(self, value: str, reason_vi: str | None = None, reason_en: str | None = None):
        shown = quote(value)
        self.value = value
        self.reason_vi = reason_vi or (
            f"văn bản {shown} có vẻ được gõ bằng phông chữ cũ (TCVN3/VNI) nhưng không chuyển được sang "
            "Unicode; hãy chuyển phông bằng Unikey (Công cụ chuyển mã) rồi gửi lại"
        )
        self.reason_en = reason_en or (
            f"the text {shown} seems typed in a legacy font (TCVN3/VNI) and cannot be converted to "
            "Unicode; convert it with Unikey's converter and send it again"
        )
        super().__init__(f"{self.reason_vi} | {self.reason_en}")


class CsvEncodingError(UnicodeDecodeError):
    """CSV bytes in no encoding we can read. A ValueError (via UnicodeDecodeError) with reasons."""

    def __init__(self, data: bytes, start: int, end: int, detail: str):
        super().__init__("cp1258", data, start, end, detail)
        line = data.count(b"\n", 0, start) + 1
        byte = data[start : start + 1].hex().upper() or "?"
        self.line = line
        self.reason_vi = (
            f"không đọc được bảng mã của tệp CSV (byte 0x{byte} ở dòng {line} không thuộc UTF-8 hay "
            "Windows-1258); hãy mở tệp bằng Excel và lưu lại dạng 'CSV UTF-8 (Comma delimited)'"
        )
        self.reason_en = (
            f"cannot tell the encoding of the CSV file (byte 0x{byte} on line {line} is neither UTF-8 "
            "nor Windows-1258); open it in Excel and save it again as 'CSV UTF-8 (Comma delimited)'"
        )

    def __str__(self) -> str:
        return f"{self.reason_vi} | {self.reason_en}"


# ---------------------------------------------------------------------------- archives
class BagDamagedError(BaocaoError):
    """The bag (or zip) is not intact; the problems were printed one per line."""

    exit_code = 1

    def __init__(self, path: Path | str, problems: list):
        self.problems = problems
        n = len(problems)
        super().__init__(
            f"túi lưu trữ {path} KHÔNG nguyên vẹn: {n} vấn đề (mỗi dòng ở trên nêu một tệp)",
            f"the archive {path} is NOT intact: {n} problem(s) (one line above per file)",
            hint_vi="lấy lại bản lưu trữ từ nơi cất giữ khác; không dùng bản này làm căn cứ",
            hint_en="restore the archive from another copy; do not rely on this one",
        )


class SchemaViolation(BaocaoError):
    """A cleaned table breaks its own pandera schema (schema.py): a bug in baocao, not in the data."""

    exit_code = 1


class BuildChangedError(BaocaoError):
    """build/<year>/ no longer matches its own manifest.json (edited after the build)."""

    exit_code = 1


class InputsChangedError(BaocaoError):
    """A file the build reads changed while it ran: its report would not come from the bytes
    its manifest names. Nothing is promoted; the last good report stays."""

    exit_code = 1

    def __init__(self, changed: list[str]):
        self.changed = changed
        shown = ", ".join(changed[:10]) + (f" (+{len(changed) - 10})" if len(changed) > 10 else "")
        super().__init__(
            f"tệp đầu vào bị thay đổi trong khi đang dựng báo cáo: {shown}; bản dựng này bị hủy",
            f"input files changed while the report was being built: {shown}; this build is discarded",
            hint_vi="đợi chép/sửa tệp xong rồi chạy lại lệnh build",
            hint_en="let the copy or edit finish, then run the build again",
        )

    def __reduce__(self):  # picklable across processes (parallel builds)
        return (InputsChangedError, (self.changed,))


class StaleBuildError(UsageError):
    """The sources changed after the build; archiving would pair a report with other data."""


class ReproduceMismatchError(BaocaoError):
    exit_code = 1


class BagCodeDiffersError(BaocaoError):
    """The bag's notebooks, templates, filters or package code differ from the installed
    project: ``reproduce`` runs none of it without ``--trust-bag-code``."""

    exit_code = 1


class RebuildFailedError(BaocaoError):
    """The rebuild of ``reproduce`` failed; carries the build's own exit code."""

    def __init__(self, year: int, exit_code: int):
        self.exit_code = exit_code
        super().__init__(
            f"dựng lại năm {year} từ túi lưu trữ không thành (mã thoát {exit_code}; lỗi ở trên)",
            f"rebuilding {year} from the bag failed (exit {exit_code}; the error is above)",
            hint_vi="dùng --keep để giữ thư mục dựng lại mà xem",
            hint_en="--keep keeps the rebuild folder to inspect",
        )


class SigningKeyError(UsageError):
    """A key file given to --sign, --key or keygen cannot be used."""


class PdfSigningError(BaocaoError):
    """The built PDF cannot be signed as asked (no signature block, an image that cannot be
    used, a signer whose certificate does not fit): exit 1."""

    exit_code = 1


class SigningCredentialError(UsageError):
    """A PKCS#12 file, its password, a PKCS#11 token or its PIN cannot be used (exit 2). The
    message never holds the password or PIN."""


class PdfSignatureInvalid(BaocaoError):
    """A signed PDF's signature is broken, or not trusted with ``--trust``; the findings were
    printed one per line above."""

    exit_code = 1

    def __init__(self, path: Path | str, count: int):
        super().__init__(
            f"{path}: {count} chữ ký số KHÔNG hợp lệ hoặc không tin cậy (xem các dòng ở trên)",
            f"{path}: {count} PDF signature(s) NOT valid or not trusted (see the lines above)",
            hint_vi="không dùng tệp này làm bản gốc; lấy lại bản đã ký từ người gửi",
            hint_en="do not rely on this file; get the signed copy again from its sender",
        )


class EnvironmentWriteError(BaocaoError):
    """A file or folder cannot be written here: permissions, a full or read-only disk, a path
    that is not a folder. The environment, not the data: exit 3."""

    exit_code = 3
    errno: int | None = None

    @classmethod
    def from_oserror(cls, exc: OSError, path: Path | str | None = None) -> EnvironmentWriteError:
        import errno

        where = exc.filename or path or "?"
        reason = exc.strerror or str(exc)
        hints = {
            errno.ENOSPC: (
                "giải phóng chỗ trên đĩa, hoặc chọn thư mục trên đĩa khác",
                "free some disk space, or choose a folder on another disk",
            ),
            errno.EDQUOT: (
                "hết hạn mức đĩa: giải phóng chỗ hoặc chọn thư mục khác",
                "disk quota exceeded: free space or choose another folder",
            ),
            errno.EROFS: (
                "đĩa chỉ đọc: chọn thư mục ghi được (ví dụ --out THƯ_MỤC)",
                "the disk is read-only: choose a writable folder (e.g. --out DIR)",
            ),
        }
        hint_vi, hint_en = hints.get(
            exc.errno or 0,
            (
                "kiểm tra quyền ghi và đường dẫn, hoặc chọn thư mục khác (--build-dir cho build, --out cho archive)",
                "check the permissions and the path, or choose another folder (--build-dir for build, --out for archive)",
            ),
        )
        err = cls(
            f"không ghi được {where}: {reason}", f"cannot write {where}: {reason}", hint_vi=hint_vi, hint_en=hint_en
        )
        err.errno = exc.errno
        return err


class NotebookFailed(BaocaoError):
    """A notebook step failed; if the cause was bad input, say that, not a traceback."""

    def __init__(self, name: str, year: int, executed: Path, exc: Exception, raw: str = ""):
        raw = raw or f"data/raw/{year}"
        self.notebook = name
        self.executed = executed
        self.cause = exc
        ename = getattr(exc, "ename", type(exc).__name__)
        evalue = getattr(exc, "evalue", str(exc))
        if ename in ("InputProblems", "InputError", "ConfigError"):
            self.exit_code = 1
            # InputProblems already reads as one message (each file, what is wrong, how to fix it,
            # in Vietnamese then English): show it as it is, then what to do next.
            self._detail = evalue.strip() if ename == "InputProblems" and evalue.lstrip().startswith("Lỗi:") else ""
            super().__init__(
                f"số liệu năm {year} chưa dùng được:\n{evalue}",
                f"the {year} data cannot be used (see the Vietnamese lines above)",
                hint_vi=f"sửa các tệp trong {raw}/ theo từng dòng trên, rồi chạy lại; "
                f"'baocao validate --year {year}' chỉ kiểm tra số liệu",
                hint_en=f"fix the files in {raw}/ as each line says, then run again; "
                f"'baocao validate --year {year}' checks the data only",
            )
        else:
            self.exit_code = 1
            super().__init__(
                f"sổ tay {name} năm {year} lỗi: {ename}: {evalue}",
                f"notebook {name} for {year} failed: {ename}: {evalue}",
                hint_vi="xem chi tiết với --debug",
                hint_en="run with --debug for the traceback",
            )

    def render(self) -> str:
        detail = getattr(self, "_detail", "")
        if not detail:
            return super().render()
        return f"{detail}\nTiếp theo: {self.hint_vi}\nNext: {self.hint_en}"


class Stopped(BaseException):
    """SIGTERM, raised where the process is so that every `finally` runs (the staging folder
    is removed, the lock released) and the last good report stays. A BaseException, as
    KeyboardInterrupt is: no ``except Exception`` on the way may swallow it."""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a configuration or metadata file: its line, the key (its path), the
    value, what is wrong and what to write instead."""

    line: int | None
    key: str
    vi: str
    en: str
    file: str = ""  # when one message names the problems of several files


class ConfigProblems(ConfigError):
    """Every problem a file's schema finds, in one message (``problems`` in file order)."""

    def __init__(self, file: str, problems: list[ConfigProblem]):
        self.file = file
        self.problems = problems
        self.line = problems[0].line if problems else None
        self.key = problems[0].key if problems else ""
        n = len(problems)
        listed_vi = "; ".join(f"{p.file + ' ' if p.file else ''}dòng {p.line} '{p.key}': {p.vi}" for p in problems)
        listed_en = "; ".join(f"{p.file + ' ' if p.file else ''}line {p.line} '{p.key}': {p.en}" for p in problems)
        super().__init__(
            f"tệp {file} có {n} lỗi, chưa làm gì cả: {listed_vi}",
            f"{file} has {n} problem(s), nothing was done: {listed_en}",
            hint_vi="sửa từng dòng nêu trên theo phần chú thích trong tệp (và tệp mẫu của dự án), rồi chạy lại",
            hint_en="fix each line above as the file's comments (and the project's sample file) say, then run again",
        )

    def render(self) -> str:
        problems = getattr(self, "problems", None)
        if not problems:
            return super().render()

        def where(p: ConfigProblem, line_word: str, key_word: str) -> str:
            parts = [f"{line_word} {p.line}"] if p.line else []
            parts += [f"{key_word} '{p.key}'"] if p.key else []
            return ", ".join(parts)

        n = len(problems)
        lines = [f"Lỗi: tệp {self.file} có {n} lỗi; chưa làm gì cả:"]
        lines += [f"  - {p.file or self.file}, {where(p, 'dòng', 'khóa')}: {p.vi}" for p in problems]
        lines.append(f"  Cách sửa: {self.hint_vi}")
        lines.append(f"Error: {self.file} has {n} problem(s); nothing was done:")
        lines += [f"  - {p.file or self.file}, {where(p, 'line', 'key')}: {p.en}" for p in problems]
        lines.append(f"  To fix: {self.hint_en}")
        return "\n".join(lines)

    def __reduce__(self):  # picklable across processes (parallel builds)
        return (ConfigProblems, (self.file, self.problems))
