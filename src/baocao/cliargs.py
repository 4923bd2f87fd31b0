"""The command line's plumbing and language: the console and the project of a command; every
help text Vietnamese first, then English ("… / …"); and every usage mistake argparse finds
turned into one bilingual :class:`UsageError` (exit 2) with the likely fix ("baocao build 2023"
→ "dùng --year 2023"). The commands are in :mod:`baocao.cli` and :mod:`baocao.cliarchive`.
"""

from __future__ import annotations

import argparse
import errno
import io
import os
from pathlib import Path

from .errors import UsageError


def make_console():
    """The terminal, as every command prints to it (no colour markup from data, lines kept whole)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


class ClosedPipeGuard(io.TextIOBase):
    """Standard output that outlives its reader: ``baocao build | head -1`` closes the pipe
    after one line, and the next line would raise BrokenPipeError in the middle of the build.
    The first write that finds the pipe closed points the output at the null device (as the
    Python documentation's "Note on SIGPIPE" advises; no signal, so the same on Windows), the
    command runs to its end, and :attr:`closed_early` says so (the caller tells stderr)."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.closed_early = False

    def write(self, text: str) -> int:
        if not self.closed_early:
            try:
                self.stream.write(text)
                if "\n" in text:
                    self.stream.flush()  # each line reaches the reader now, as on a terminal
            except OSError as exc:
                self._drop_if_closed(exc)
        return len(text)

    def flush(self) -> None:
        if not self.closed_early:
            try:
                self.stream.flush()
            except OSError as exc:
                self._drop_if_closed(exc)

    def _drop_if_closed(self, exc: OSError) -> None:
        # Windows reports a pipe closed by its reader as EINVAL on write, not always EPIPE
        if not (isinstance(exc, BrokenPipeError) or (os.name == "nt" and exc.errno == errno.EINVAL)):
            raise exc
        self._drop()

    def _drop(self) -> None:
        self.closed_early = True
        try:  # what is still buffered, and the flush at exit, go to the null device
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self):
        return self.stream.encoding


def project_of(args):
    """The project the command runs in (``--project``, else here or above), with ``--build-dir``."""
    from .config import Project

    project = Project.find(
        Path(args.project) if args.project else None, Path(args.build_dir) if args.build_dir else None
    )
    if args.build_dir:
        project.check_build_root()
    return project


YEARS = (1990, 2100)  # what `new-year` accepts (templates.make_templates)
YEAR_COMMANDS = ("build", "validate", "archive", "sign")  # commands that take --year


def bi(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def add_jobs(p) -> None:
    """``--jobs N`` of the commands that build many unit-years (build, site)."""
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=1,
        metavar="N",
        help=bi("dựng N năm (đơn vị) song song", "build N unit-years in parallel processes"),
    )


def year_value(text: str) -> int:
    """A report year as typed after --year: four digits, in the range new-year accepts."""
    value = text.strip()
    if not value.isdigit():
        raise argparse.ArgumentTypeError(
            f"năm phải là số có 4 chữ số, không phải {text!r} / a year is a 4-digit number, not {text!r}"
        )
    year = int(value)
    if not YEARS[0] <= year <= YEARS[1]:
        raise argparse.ArgumentTypeError(
            f"năm {text} không hợp lệ, năm có 4 chữ số (từ {YEARS[0]} đến {YEARS[1]}) "
            f"/ {text} is not a year: a year has 4 digits ({YEARS[0]}–{YEARS[1]})"
        )
    return year


def likely_year(text: str) -> int | None:
    """The year someone meant by ``text``: 2023 for "2023", 2023 for "23"; None if none."""
    value = text.strip()
    if not value.isdigit():
        return None
    year = int(value)
    if len(value) <= 2:
        year += 2000
    return year if YEARS[0] <= year <= YEARS[1] else None


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="Cách dùng / usage: " if prefix is None else prefix)


class ArgumentMistake(Exception):
    """argparse found a usage mistake (its English message and the parser that found it)."""

    def __init__(self, message: str, parser: argparse.ArgumentParser):
        super().__init__(message)
        self.message = message
        self.parser = parser


class BilingualParser(argparse.ArgumentParser):
    """argparse with Vietnamese and English help, whose mistakes become one bilingual message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "tham số / arguments"
        self._optionals.title = "tùy chọn / options"
        self.add_argument(
            "-h",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help=bi("hiện trợ giúp này rồi thoát", "show this help and exit"),
        )

    def error(self, message: str):  # noqa: D401 - argparse's hook
        raise ArgumentMistake(message, self)


def command(sub, name: str, vi: str, en: str) -> BilingualParser:
    return sub.add_parser(name, help=bi(vi, en), description=f"{vi[:1].upper()}{vi[1:]}.\n{en[:1].upper()}{en[1:]}.")


_ARGPARSE = (
    (
        r"the following arguments are required: (?P<what>.+)",
        "thiếu tham số bắt buộc {what}",
        "missing the required argument(s) {what}",
    ),
    (r"unrecognized arguments: (?P<what>.+)", "tham số không hiểu được: {what}", "unrecognized argument(s): {what}"),
    (
        r"argument (?P<arg>\S+): invalid choice: '?(?P<value>[^' ]*)'? \(choose from (?P<choices>.+)\)",
        "{arg}: không có lựa chọn '{value}' (chọn một trong {choices})",
        "{arg}: invalid choice '{value}' (choose from {choices})",
    ),
    (
        r"argument (?P<arg>\S+): invalid int value: '(?P<value>.*)'",
        "{arg}: '{value}' không phải số nguyên",
        "{arg}: '{value}' is not a whole number",
    ),
    (
        r"argument (?P<arg>\S+): expected (?:one|at least one) argument",
        "{arg} cần một giá trị theo sau",
        "{arg} needs a value after it",
    ),
    (
        r"argument (?P<arg>\S+): ignored explicit argument '(?P<value>.*)'",
        "{arg} không nhận giá trị ('{value}')",
        "{arg} takes no value ('{value}')",
    ),
    (r"argument (?P<arg>\S+): (?P<detail>.+)", "{arg}: {detail}", "{arg}: {detail}"),
)


def usage_error(mistake: ArgumentMistake, argv: list[str]) -> UsageError:
    """The argparse message in Vietnamese and English, and the likely fix."""
    import difflib
    import re

    message, parser = mistake.message, mistake.parser
    vi = en = message
    fields: dict[str, str] = {}
    for pattern, vi_text, en_text in _ARGPARSE:
        m = re.fullmatch(pattern, message)
        if m:
            fields = m.groupdict()
            if "detail" in fields and " / " in fields["detail"]:  # our own bilingual message (year_value)
                d_vi, d_en = fields["detail"].split(" / ", 1)
                vi, en = f"{fields['arg']}: {d_vi}", f"{fields['arg']}: {d_en}"
            else:
                vi, en = vi_text.format(**fields), en_text.format(**fields)
            break
    command = next((a for a in argv if a in _commands(parser)), None)
    help_cmd = f"baocao {command} --help" if command else "baocao --help"
    hint_vi, hint_en = f"xem '{help_cmd}'", f"see '{help_cmd}'"

    if fields.get("arg") == "LỆNH/COMMAND" and "choices" in fields:
        vi = f"không có lệnh '{fields['value']}' (các lệnh: {fields['choices']})"
        en = f"there is no command '{fields['value']}' (commands: {fields['choices']})"

    if message.startswith("unrecognized arguments:"):
        # `baocao build 2023`: the year without --year
        extra = fields.get("what", "").split()
        year = next((likely_year(x) for x in extra if likely_year(x)), None)
        if year and command in YEAR_COMMANDS:
            fixed = " ".join(["baocao", *(a for a in argv if a not in extra), "--year", str(year)])
            hint_vi, hint_en = f"dùng --year {year}: {fixed}", f"use --year {year}: {fixed}"
        elif command and any(x.split("=")[0] in GLOBAL_OPTIONS for x in extra):
            hint_vi, hint_en = _global_option_hint(argv, command)
    elif fields.get("arg") in ("--year", "NĂM/YEAR"):
        # `--year 23`: a 4-digit year, never a command that would refuse it
        typed = fields.get("detail", "")
        value = next((a for a in argv if a.isdigit() and a in typed), "")
        year = likely_year(value) if value else None
        if year and str(year) != value:
            fixed = " ".join(["baocao", *(str(year) if a == value else a for a in argv)])
            hint_vi, hint_en = f"năm có 4 chữ số: dùng {year} ({fixed})", f"a year has 4 digits: use {year} ({fixed})"
        else:
            hint_vi, hint_en = f"năm có 4 chữ số, ví dụ 2023; {hint_vi}", f"a year has 4 digits, e.g. 2023; {hint_en}"
    elif "invalid choice" in message and fields.get("value"):
        choices = [c.strip(" '") for c in fields.get("choices", "").split(",")]
        close = difflib.get_close_matches(fields["value"], choices, n=1)
        if close:
            hint_vi, hint_en = f"ý bạn là '{close[0]}'? {hint_vi}", f"did you mean '{close[0]}'? {hint_en}"
    return UsageError(vi, en, hint_vi=hint_vi, hint_en=hint_en)


GLOBAL_OPTIONS = ("--project", "--build-dir")  # options of baocao itself, before the command


def _global_option_hint(argv: list[str], command: str) -> tuple[str, str]:
    """`baocao build --build-dir X`: the option belongs to baocao, before the command."""
    moved: list[str] = []
    rest: list[str] = []
    args = iter(argv)
    for a in args:
        if a in GLOBAL_OPTIONS:
            moved += [a, next(args, "")]
        elif a.split("=")[0] in GLOBAL_OPTIONS:
            moved.append(a)
        else:
            rest.append(a)
    at = rest.index(command)
    fixed = " ".join(["baocao", *rest[:at], *moved, *rest[at:]]).replace("  ", " ").strip()
    names = ", ".join(dict.fromkeys(m.split("=")[0] for m in moved if m.startswith("--")))
    return (
        f"{names} là tùy chọn của baocao, đặt TRƯỚC tên lệnh: {fixed}",
        f"{names} is an option of baocao itself and goes BEFORE the command: {fixed}",
    )


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    """The command names (the subparsers of the top-level parser)."""
    root = parser
    names: set[str] = set()
    for action in getattr(root, "_actions", []):
        if isinstance(action, argparse._SubParsersAction):
            names.update(action.choices)
    if not names and parser.prog.startswith("baocao "):
        names.add(parser.prog.split()[1])
    return names


class StepPrinter:
    """One line per step and job; the same on a terminal and in CI logs, and from many
    processes at once (events arrive through one queue)."""

    def __init__(self, console):
        self.console = console

    def __call__(self, label: object, step: str, state: str, seconds: float) -> None:
        from .steps import step_labels

        name = step_labels().get(step, step)
        if state == "start":
            self.console.print(f"[{label}] {name} …", markup=False)
        elif state == "skip":
            self.console.print(f"[{label}] {name}: không đổi, bỏ qua / unchanged, skipped", markup=False)
        elif state.startswith("changed:"):
            files = state.split(":", 1)[1]
            self.console.print(
                f"[{label}] {name}: tệp đầu ra bị sửa hoặc thiếu ({files}), chạy lại "
                f"/ output changed or missing, running again",
                markup=False,
            )
        elif state == "failed":
            self.console.print(f"[{label}] lỗi / failed", markup=False)
        else:
            self.console.print(f"[{label}] {name}: xong / done ({seconds:.1f} s)", markup=False)
