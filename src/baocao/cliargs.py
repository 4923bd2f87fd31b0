"""The command line's plumbing and language: the console and the project of a command; every
help text Vietnamese first, then English ("… / …"); and every usage mistake argparse finds
turned into one bilingual :class:`UsageError` (exit 2) with the likely fix ("baocao build 2023"
→ "dùng --year 2023"). The commands are in :mod:`baocao.cli` and :mod:`baocao.cliarchive`.

A mistake is read from what argparse's public API gives as data, never from its English text:
a value's ``type=`` (:func:`year_value`, :func:`whole_number`, :class:`Choice`) raises a
bilingual :class:`ValueMistake`; an unknown command is named by the ``add_subparsers`` action;
words left over come from ``parse_known_args``. Only the few messages argparse writes itself
(a required argument, an option without its value) are looked up, word for word, in
``_REQUIRED`` and ``_NEEDS_VALUE``.
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


def add_jobs(
    p, help_vi: str = "dựng N năm (đơn vị) song song", help_en: str = "build N unit-years in parallel processes"
) -> None:
    """``--jobs N`` of the commands that build many unit-years (build, site) or check many
    bags (validate of an aggregate unit)."""
    p.add_argument("--jobs", "-j", type=whole_number, default=1, metavar="N", help=bi(help_vi, help_en))


class ValueMistake(argparse.ArgumentTypeError):
    """A value an argument cannot take (raised by its ``type=``), in Vietnamese and English,
    with the value typed and, for a choice, the values it can take. argparse raises its
    ``ArgumentError`` from it, so the mistake keeps it (as the error's ``__context__``)."""

    def __init__(self, vi: str, en: str, value: str, choices: tuple[str, ...] = ()):
        super().__init__(bi(vi, en))
        self.vi, self.en, self.value, self.choices = vi, en, value, choices


def add_renderer(p) -> None:
    """``--renderer`` of the commands that build reports (build, site, preview)."""
    p.add_argument(
        "--renderer",
        type=RENDERERS,
        metavar=RENDERERS.metavar,
        default="auto",
        help=bi(
            "auto: Quarto nếu đã cài, nếu không thì pandoc + typst", "auto: Quarto if installed, else pandoc + typst"
        ),
    )


def year_value(text: str) -> int:
    """A report year as typed after --year: four digits, in the range new-year accepts."""
    value = text.strip()
    if not value.isdigit():
        raise ValueMistake(
            f"năm phải là số có 4 chữ số, không phải {text!r}", f"a year is a 4-digit number, not {text!r}", text
        )
    year = int(value)
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValueMistake(
            f"năm {text} không hợp lệ, năm có 4 chữ số (từ {YEARS[0]} đến {YEARS[1]})",
            f"{text} is not a year: a year has 4 digits ({YEARS[0]}–{YEARS[1]})",
            text,
        )
    return year


def whole_number(text: str) -> int:
    """A whole number as typed (``--jobs``)."""
    try:
        return int(text)
    except ValueError:
        raise ValueMistake(f"'{text}' không phải số nguyên", f"'{text}' is not a whole number", text) from None


class Choice:
    """The ``type=`` of an option that takes one of a few words, and its ``metavar`` (the
    help shows ``{auto,quarto,pandoc}``, as argparse's ``choices=`` would)."""

    def __init__(self, *choices: str):
        self.choices = choices
        self.metavar = "{" + ",".join(choices) + "}"

    def __call__(self, text: str) -> str:
        if text in self.choices:
            return text
        listed = ", ".join(repr(c) for c in self.choices)
        raise ValueMistake(
            f"không có lựa chọn '{text}' (chọn một trong {listed})",
            f"invalid choice '{text}' (choose from {listed})",
            text,
            self.choices,
        )


def likely_year(text: str) -> int | None:
    """The year someone meant by ``text``: 2023 for "2023", 2023 for "23"; None if none."""
    value = text.strip()
    if not value.isdigit():
        return None
    year = int(value)
    if len(value) <= 2:
        year += 2000
    return year if YEARS[0] <= year <= YEARS[1] else None


#: ``--renderer`` of build and site.
RENDERERS = Choice("auto", "quarto", "pandoc")
#: ``--appearance`` of sign.
APPEARANCES = Choice("both", "signature", "seal", "text")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="Cách dùng / usage: " if prefix is None else prefix)


class ArgumentMistake(Exception):
    """A usage mistake on the command line, as data: what is wrong in Vietnamese and English,
    the argument it is about, the value typed and what it could have been."""

    def __init__(
        self,
        vi: str,
        en: str,
        *,
        arg: str | None = None,
        value: str = "",
        choices: tuple[str, ...] = (),
        extra: tuple[str, ...] = (),
    ):
        super().__init__(en)
        self.vi, self.en, self.arg, self.value, self.choices, self.extra = vi, en, arg, value, choices, extra


#: argparse's own messages that no ``type=`` of ours and no ``ArgumentError`` carries as data,
#: in Vietnamese and English: the required arguments argparse names (its message, then the
#: names), and the messages about an option's value.
_REQUIRED = {
    "the following arguments are required: ": ("thiếu tham số bắt buộc {}", "missing the required argument(s) {}"),
    "one of the arguments ": ("cần một trong các tham số {}", "one of the arguments {} is needed"),
}
_NEEDS_VALUE = {"expected one argument", "expected at least one argument"}


class BilingualParser(argparse.ArgumentParser):
    """argparse with Vietnamese and English help, whose mistakes become :class:`ArgumentMistake`:
    its ``ArgumentError`` (``exit_on_error=False``) is raised to :func:`parse`, and what it
    reports through its documented ``error`` hook (the required arguments) is raised here."""

    #: the subparsers action (its ``choices``: the commands), once ``add_subparsers`` made it
    commands: argparse.Action | None = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs.setdefault("add_help", False)
        kwargs.setdefault("exit_on_error", False)
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

    def add_subparsers(self, **kwargs):
        """argparse's, remembered: the commands are its choices."""
        self.commands = super().add_subparsers(**kwargs)
        return self.commands

    def error(self, message: str):  # noqa: D401 - argparse's hook
        for start, (vi, en) in _REQUIRED.items():
            if message.startswith(start):
                what = message.removeprefix(start).removesuffix(" is required")
                raise ArgumentMistake(vi.format(what), en.format(what))
        raise ArgumentMistake(message, message)


def parse(parser: BilingualParser, argv: list[str]) -> argparse.Namespace:
    """The command line read by ``parser``, or the :class:`ArgumentMistake` in it."""
    try:
        args, extra = parser.parse_known_args(argv)
    except argparse.ArgumentError as err:
        raise _mistake(err, parser, argv) from err
    if extra:
        listed = " ".join(extra)
        raise ArgumentMistake(
            f"tham số không hiểu được: {listed}", f"unrecognized argument(s): {listed}", extra=tuple(extra)
        )
    return args


def _mistake(err: argparse.ArgumentError, parser: BilingualParser, argv: list[str]) -> ArgumentMistake:
    arg, cause = err.argument_name, err.__context__
    if isinstance(cause, ValueMistake):
        return ArgumentMistake(
            f"{arg}: {cause.vi}", f"{arg}: {cause.en}", arg=arg, value=cause.value, choices=cause.choices
        )
    if parser.commands is not None and arg == parser.commands.metavar:
        names = tuple(parser.commands.choices or ())
        typed = _typed_command(argv)
        listed = ", ".join(repr(c) for c in names)
        return ArgumentMistake(
            f"không có lệnh '{typed}' (các lệnh: {listed})",
            f"there is no command '{typed}' (commands: {listed})",
            arg=arg,
            value=typed,
            choices=names,
        )
    if err.message in _NEEDS_VALUE:
        return ArgumentMistake(f"{arg} cần một giá trị theo sau", f"{arg} needs a value after it", arg=arg)
    given = [a.split("=", 1)[1] for a in argv if a.split("=", 1)[0] in str(arg).split("/") and "=" in a]
    if given and err.message == f"ignored explicit argument {given[0]!r}":
        return ArgumentMistake(
            f"{arg} không nhận giá trị ('{given[0]}')", f"{arg} takes no value ('{given[0]}')", arg=arg
        )
    return ArgumentMistake(f"{arg}: {err.message}", f"{arg}: {err.message}", arg=arg)


def _typed_command(argv: list[str]) -> str:
    """The word typed where the command goes: the first that is no option of baocao's own."""
    words = iter(argv)
    for word in words:
        if word in GLOBAL_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return ""


def command(sub, name: str, vi: str, en: str) -> BilingualParser:
    return sub.add_parser(name, help=bi(vi, en), description=f"{vi[:1].upper()}{vi[1:]}.\n{en[:1].upper()}{en[1:]}.")


def usage_error(mistake: ArgumentMistake, parser: BilingualParser, argv: list[str]) -> UsageError:
    """The mistake in Vietnamese and English, and the likely fix."""
    import difflib

    commands = set(parser.commands.choices or ()) if parser.commands is not None else set()
    command = next((a for a in argv if a in commands), None)
    help_cmd = f"baocao {command} --help" if command else "baocao --help"
    hint_vi, hint_en = f"xem '{help_cmd}'", f"see '{help_cmd}'"

    if mistake.extra:
        # `baocao build 2023`: the year without --year
        year = next((likely_year(x) for x in mistake.extra if likely_year(x)), None)
        if year and command in YEAR_COMMANDS:
            fixed = " ".join(["baocao", *(a for a in argv if a not in mistake.extra), "--year", str(year)])
            hint_vi, hint_en = f"dùng --year {year}: {fixed}", f"use --year {year}: {fixed}"
        elif command and any(x.split("=")[0] in GLOBAL_OPTIONS for x in mistake.extra):
            hint_vi, hint_en = _global_option_hint(argv, command)
    elif mistake.arg in ("--year", "NĂM/YEAR"):
        # `--year 23`: a 4-digit year, never a command that would refuse it
        value = mistake.value if mistake.value.isdigit() else ""
        year = likely_year(value) if value else None
        if year and str(year) != value:
            fixed = " ".join(["baocao", *(str(year) if a == value else a for a in argv)])
            hint_vi, hint_en = f"năm có 4 chữ số: dùng {year} ({fixed})", f"a year has 4 digits: use {year} ({fixed})"
        else:
            hint_vi, hint_en = f"năm có 4 chữ số, ví dụ 2023; {hint_vi}", f"a year has 4 digits, e.g. 2023; {hint_en}"
    elif mistake.choices and mistake.value:
        close = difflib.get_close_matches(mistake.value, mistake.choices, n=1)
        if close:
            hint_vi, hint_en = f"ý bạn là '{close[0]}'? {hint_vi}", f"did you mean '{close[0]}'? {hint_en}"
    return UsageError(mistake.vi, mistake.en, hint_vi=hint_vi, hint_en=hint_en)


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
