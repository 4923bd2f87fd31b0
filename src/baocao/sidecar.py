"""A second process beside a single build, for the work that can go to another core.

A build runs in one thread, and a year's build is short: on a machine of two cores or more,
a single build (``baocao build`` with one job) starts a sidecar before the year is cleaned.
While this process reads the workbooks, the sidecar imports what its first task needs (pandas,
pandera) and says it is ready; what later tasks need (matplotlib, the chart style, the font) it
primes while nothing is asked of it. It takes work that does not have to wait:

- ``validate``: the cleaned tables checked against their pandera schemas
  (:func:`baocao.schema.validate_parts`), while this process writes them;
- ``charts``: half of the charts drawn (:func:`baocao.figures.draw_charts`), while this
  process draws the others.

Whatever it answers is what this process would have made: the same code on the same inputs
(a chart is the same bytes whichever process draws it). The build never waits for it to start:
work is given only once the sidecar has said it is ready, and done here before that. When the
sidecar is gone, or its work failed, the work is done again here, so that an error reads as it
always does. Serial builds of several years share one sidecar; parallel builds use none (their
processes already share the cores).

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
_KEEP = False  # within kept(): the sidecar outlives each build
READY = "ready"  # the sidecar's first word, once warmed up


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
        self._ready = False

    def ready(self) -> bool:
        """Whether the sidecar has started and warmed up (it then says so once), without waiting."""
        import select

        if not self._ready and self.process.stdout is not None:
            try:
                if select.select([self.process.stdout], [], [], 0)[0]:
                    self._ready = pickle.load(self.process.stdout) == READY
            except Exception:  # gone before it was ready: nothing is given to it
                self._ready = False
        return self._ready

    def submit(self, task: str, *args: Any) -> bool:
        """Ask for ``task``; False when the sidecar cannot take it now (do the work here then)."""
        if self._pending or task not in TASKS or not self.ready():
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

    def settle(self) -> None:
        """Wait for the task it is doing, if any, and drop its answer: after this, nothing of
        the sidecar is still writing (the build is about to remove or promote its folder)."""
        if self._pending:
            self.result()

    def close(self) -> None:
        """End its input, then wait for it to leave (it finishes the task it is doing first);
        one still warming up is stopped at once (it has written nothing). Closing twice is
        closing once."""
        if not self.ready() and self.process.poll() is None:
            self.process.kill()
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
    which it gives (else None): the one a :func:`kept` around it started already, or a new one,
    closed at the end unless a :func:`kept` is around."""
    global _CURRENT
    if not enabled or (os.cpu_count() or 1) < 2:
        yield None
        return
    if _CURRENT is None:
        _CURRENT = Sidecar()
    try:
        yield _CURRENT
    finally:
        if not _KEEP:
            close()


@contextmanager
def kept() -> Iterator[None]:
    """Within: one sidecar for all the builds (serial builds of several years), started by the
    first that wants one, closed at the end."""
    global _KEEP
    outer, _KEEP = _KEEP, True
    try:
        yield
    finally:
        _KEEP = outer
        if not outer:
            close()


def close() -> None:
    """Close this process's sidecar, if it has one."""
    global _CURRENT
    car, _CURRENT = _CURRENT, None
    if car is not None:
        car.close()


def _first_needed() -> None:
    """What the first task of a build (``validate``) uses: pandas and pandera."""
    from baocao import schema  # noqa: F401 - schema imports pandera


def _when_idle() -> None:
    """What a later task (``charts``) uses, primed while nothing is asked: matplotlib, the
    chart style and the font."""
    from baocao import figures

    figures.warm_up()


def serve() -> None:
    """The sidecar process: tasks done on request until its input ends, then a quick exit.
    Its stdout carries only the answers (anything printed goes to stderr)."""
    import select
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    code = 0
    try:
        _first_needed()
        pickle.dump(READY, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()
        # Primed while nothing is asked: after the first task (the build's first request comes
        # soon after READY, and must not wait behind an import), or after a second of silence.
        idle_work, patience = [_when_idle], 1.0
        while True:
            if idle_work and not select.select([requests], [], [], patience)[0]:
                idle_work.pop()()
                continue
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
            patience = 0.0
    except Exception:  # the build is gone, or the sidecar cannot work: the build does it all
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)
