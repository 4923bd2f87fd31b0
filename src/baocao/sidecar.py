"""A second process beside a single build, for the work that can go to another core.

A build runs in one thread, and a year's build is short: on a machine of two cores or more,
a single build (``baocao build`` with one job) starts a sidecar before the year is cleaned.
While this process reads the workbooks, the sidecar imports what it works with (matplotlib,
the chart style, pandera: about 0.5 s); then it takes work that does not have to wait:

- ``validate``: the cleaned tables checked against their pandera schemas
  (:func:`baocao.schema.validate_parts`), while this process writes them;
- ``charts``: half of the charts drawn (:func:`baocao.figures.draw_charts`), while this
  process draws the others.

Whatever it answers is what this process would have made: the same code on the same inputs
(a chart is the same bytes whichever process draws it). When the sidecar is gone, or its work
failed, the work is done again here, so that an error reads as it always does. Parallel builds
use none: their processes already share the cores.

The process is ``python -c`` on two pipes (pickles in, pickles out), not a multiprocessing
one: it does not import the caller's ``__main__`` again (a script without a main guard would
run twice), and it leaves with ``os._exit`` when its input ends, without tearing down
matplotlib and pandas (0.17 s a build). Ctrl-C is for the build to handle; the build closes
the sidecar on the way out, and a sidecar whose build is gone leaves at once.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import import_module
from pathlib import Path
from typing import Any

#: What a sidecar can be asked to do: the task's name → (module, function).
TASKS = {
    "charts": ("baocao.figures", "draw_charts"),
    "validate": ("baocao.schema", "validate_parts"),
}

_CURRENT: Sidecar | None = None


class Sidecar:
    """One sidecar process; one request at a time (:meth:`submit`, then :meth:`result`)."""

    def __init__(self) -> None:
        package_parent = str(Path(__file__).resolve().parents[1])  # this very baocao
        code = f"import sys; sys.path.insert(0, {package_parent!r}); from baocao.sidecar import serve; serve()"
        # stderr to nothing: whatever the sidecar could not do, the build does again and reports
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._pending = False

    def submit(self, task: str, *args: Any) -> bool:
        """Ask for ``task``; False when the sidecar cannot take it (do the work here then)."""
        if self._pending or task not in TASKS:
            return False
        try:
            assert self.process.stdin is not None
            pickle.dump((task, args), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except (OSError, pickle.PicklingError):
            return False
        self._pending = True
        return True

    def result(self) -> tuple[bool, Any]:
        """``(True, value)`` for the submitted task, or ``(False, None)`` when it failed or the
        sidecar is gone (do the work here then: a failure is reported from this process)."""
        self._pending = False
        try:
            assert self.process.stdout is not None
            ok, value = pickle.load(self.process.stdout)
        except Exception:  # gone, or an answer that cannot be read: the work is done here
            return False, None
        return bool(ok), value if ok else None

    def close(self) -> None:
        """End its input, then wait for it to leave (it finishes the task it is doing first).
        Closing twice is closing once."""
        for pipe in (self.process.stdin, self.process.stdout):  # end of input: the sidecar leaves
            if pipe is not None:
                with suppress(OSError):
                    pipe.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a sidecar stuck in its work
            self.process.kill()
            self.process.wait()


def current() -> Sidecar | None:
    """The sidecar of the build running in this process, if it has one."""
    return _CURRENT


@contextmanager
def started(enabled: bool) -> Iterator[Sidecar | None]:
    """Within: the build in this process has a sidecar (``enabled``, and more than one core),
    which it gives (else None)."""
    global _CURRENT
    if not enabled or (os.cpu_count() or 1) < 2 or _CURRENT is not None:
        yield None
        return
    _CURRENT = Sidecar()
    try:
        yield _CURRENT
    finally:
        car, _CURRENT = _CURRENT, None
        car.close()


def _warm_up() -> None:
    """Import and prime what the tasks use before the first request comes."""
    from baocao import figures, schema  # noqa: F401 - schema imports pandera

    figures.warm_up()


def serve() -> None:
    """The sidecar process: tasks done on request until its input ends, then a quick exit.
    Its stdout carries only the answers (anything printed goes to stderr)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    code = 0
    try:
        _warm_up()
        while True:
            try:
                task, args = pickle.load(requests)
            except EOFError:  # the build closed the pipe: done
                break
            module, name = TASKS[task]
            try:
                answer: tuple = (True, getattr(import_module(module), name)(*args))
            except Exception:  # done again by the build, which reports it
                answer = (False, None)
            pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
            answers.flush()
    except Exception:  # the build is gone, or the sidecar cannot work: the build does it all
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)
