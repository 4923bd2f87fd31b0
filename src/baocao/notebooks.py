"""The notebook steps, run by Papermill: each executed notebook is the year's record of what it did.

Papermill parameterises the notebook, keeps its metadata and writes the executed copy, as it
always has; what runs the cells is an *engine*. Two are here:

- ``inprocess`` (the default): the cells run in this Python process, in an IPython shell, each
  notebook in a namespace of its own (``%reset -f`` before every notebook: a fresh ``__main__``
  namespace, execution counts from 1, no ``_``/``Out`` of an earlier notebook). pandas options,
  matplotlib's rcParams and the working directory are put back after each notebook, so one
  notebook's settings never reach the next. Outputs are recorded as a Jupyter kernel sends them
  (streams, ``execute_result`` and ``display_data`` through IPython's own display formatter,
  errors with their traceback), so the record reads the same as with a kernel. What this saves
  is a kernel start and a second import of pandas, pandera and matplotlib per notebook (about
  1 s each), and in a batch worker every later job finds them warm.
- ``kernel``: a fresh Jupyter kernel per notebook (nbclient), as before; chosen with the
  environment variable ``BAOCAO_NOTEBOOK_ENGINE=kernel``, and used anyway when this process
  already runs an IPython shell of its own (baocao called from a notebook or IPython).

Interrupts are not swallowed: Ctrl-C or SIGTERM during a cell stops the build as anywhere
else. One notebook runs at a time in a process (a lock), since the shell, ``sys.stdout`` and
the working directory are the process's.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Project
from .errors import NotebookFailed

ENGINE_ENV = "BAOCAO_NOTEBOOK_ENGINE"
INPROCESS = "baocao-inprocess"
_LOCK = threading.Lock()


def engine_name() -> str:
    """ "kernel" or "inprocess" (the default), from ``BAOCAO_NOTEBOOK_ENGINE``."""
    wanted = os.environ.get(ENGINE_ENV, "inprocess").strip().lower()
    if wanted not in ("kernel", "inprocess"):
        from .errors import UsageError

        raise UsageError(
            f"{ENGINE_ENV}={wanted!r}: chỉ nhận 'inprocess' hoặc 'kernel'",
            f"{ENGINE_ENV}={wanted!r}: expected 'inprocess' or 'kernel'",
        )
    if wanted == "inprocess" and _foreign_shell():
        return "kernel"
    return wanted


def run_notebook(project: Project, name: str, year: int, build_dir: Path) -> Path:
    """Execute notebooks/<name> with Papermill into build_dir/notebooks/<name>."""
    import papermill as pm

    source = project.notebooks_dir / name
    target = build_dir / "notebooks" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    # Paths relative to the project (the notebook runs there): the record holds no machine's paths.
    params = {
        "year": year,
        "project_dir": ".",
        "build_dir": os.path.relpath(build_dir, project.root),
        "unit": project.unit_id or "",
    }
    engine = engine_name()
    options: dict = {}
    if engine == "kernel":
        options = dict(
            kernel_name="python3",
            record_timing=False,
            # The kernel talks to us over loopback only; its log is noise on our stderr ("TCP
            # without encryption", and "KeyboardInterrupt caught in kernel" as nbclient shuts
            # it down). A failing cell still fails the step through the notebook's error.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    else:
        _register()
        options = dict(engine_name=INPROCESS, kernel_name="python3")
    try:
        with _LOCK:
            pm.execute_notebook(
                str(source),
                str(target),
                parameters=params,
                cwd=str(project.root),
                progress_bar=False,
                log_output=False,
                # written once, at the end (and on failure): not after every cell
                request_save_on_cell_execute=False,
                **options,
            )
    except pm.PapermillExecutionError as exc:
        normalise_notebook(target)
        raise NotebookFailed(name, year, target, exc, project.rel(project.raw_dir(year))) from None
    normalise_notebook(target)
    return target


def normalise_notebook(path: Path) -> None:
    """Strip Papermill's volatile metadata so the record reads the same from run to run."""
    if not path.exists():
        return
    nb = json.loads(path.read_text(encoding="utf-8"))
    pm_meta = nb.get("metadata", {}).get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        pm_meta.pop(key, None)
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"cell-{i}"
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            meta.get("papermill", {}).pop(key, None)
    from .atomic import write_text

    write_text(path, json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------- the in-process engine
def _foreign_shell() -> bool:
    """This process already runs an IPython shell that is not ours (a notebook, IPython)."""
    mod = sys.modules.get("IPython.core.interactiveshell")
    if mod is None or not mod.InteractiveShell.initialized():
        return False
    return not getattr(mod.InteractiveShell.instance(), "_baocao_shell", False)


_REGISTERED = False


def _register() -> None:
    global _REGISTERED
    if not _REGISTERED:
        from papermill.engines import papermill_engines

        papermill_engines.register(INPROCESS, _engine_class())
        _REGISTERED = True


_SHELL = None
_SHELL_CLASSES: dict = {}


def _classes() -> dict:
    """The shell, display hook and display publisher (defined on first use: IPython is imported then)."""
    if _SHELL_CLASSES:
        return _SHELL_CLASSES
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type

    class Hook(DisplayHook):
        """The value of a cell's last expression → an ``execute_result`` output."""

        def start_displayhook(self):
            pass

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.shell._baocao_add(
                {
                    "output_type": "execute_result",
                    "data": format_dict,
                    "metadata": md_dict or {},
                    "execution_count": self.prompt_count,
                }
            )

        def finish_displayhook(self):
            pass

        def flush(self):
            """As IPython's, which ``%reset`` calls, without its ``gc.collect()`` (~0.1 s each time
            in a process that holds pandas and matplotlib; reference counting frees the old
            namespace, and the collector's own schedule the rest)."""
            import builtins

            for n in range(1, self.prompt_count + 1):
                self.shell.user_ns_hidden.pop(f"_{n}", None)
                self.shell.user_ns.pop(f"_{n}", None)
            oh = self.shell.user_ns.get("_oh", None)
            if oh is not None:
                oh.clear()
            self._, self.__, self.___ = "", "", ""
            if "_" not in builtins.__dict__:
                self.shell.user_ns.update({"_": self._, "__": self.__, "___": self.___})

    class Publisher(DisplayPublisher):
        """``display(...)`` → a ``display_data`` output."""

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            self.shell._baocao_add({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait=False):
            self.shell._baocao_outputs.clear()

    class ZMQCompatibleShell(InteractiveShell):
        """The shell of the in-process engine. Its name says "zmq" on purpose: pandas prints a
        frame for a Jupyter front end (wrapped columns, not "...") when the shell's class name
        holds "zmq", as a kernel's ZMQInteractiveShell does (pandas.io.formats.console)."""

        displayhook_class = Type(Hook)
        display_pub_class = Type(Publisher)
        _baocao_shell = True
        _baocao_outputs: list = []

        def _baocao_add(self, output: dict) -> None:
            self._baocao_outputs.append(output)

        def _showtraceback(self, etype, evalue, stb):
            # as ipykernel sends it: the exception's name and value, and the formatted traceback
            self._baocao_outputs.append(
                {"output_type": "error", "ename": str(etype.__name__), "evalue": str(evalue), "traceback": list(stb)}
            )

    _SHELL_CLASSES.update(Shell=ZMQCompatibleShell)
    return _SHELL_CLASSES


def _shell():
    """One IPython shell for the process, made on first use (no history file, no virtualenv notice)."""
    global _SHELL
    if _SHELL is None:
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        config.InteractiveShell.warn_venv = False
        config.InteractiveShell.colors = "nocolor"  # tracebacks in the record without escape codes
        main = sys.modules.get("__main__")
        _SHELL = _classes()["Shell"].instance(config=config)
        if main is not None:  # the shell puts its own __main__ in sys.modules; multiprocessing needs ours
            sys.modules["__main__"] = main
    return _SHELL


class _Stream:
    """sys.stdout / sys.stderr during a cell: text becomes ``stream`` outputs, a run of writes one
    output. Only the cell's own thread writes into the record: another thread of the process (a
    Dask worker's, say) still writes where it did."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, shell, name: str, original):
        self.shell = shell
        self.name = name
        self.original = original
        self.owner = threading.get_ident()

    def write(self, text: str) -> int:
        if threading.get_ident() != self.owner:
            return self.original.write(text)
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            outputs = self.shell._baocao_outputs
            last = outputs[-1] if outputs else None
            if last is not None and last.get("output_type") == "stream" and last.get("name") == self.name:
                last["text"] += text
            else:
                outputs.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if threading.get_ident() != self.owner:
            self.original.flush()

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False


@contextmanager
def _settings_kept() -> Iterator[None]:
    """The notebook sees pandas options as a fresh kernel has them, and afterwards pandas options
    and matplotlib rcParams are as they were before it."""
    import warnings

    import pandas as pd

    before = _pandas_options()
    mpl_before = None
    if "matplotlib" in sys.modules:
        import matplotlib

        mpl_before = matplotlib.rcParams.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, value in before.items():
            default = _pandas_default(key)
            if value is not default and value != default:
                pd.reset_option(key)  # only what differs: resetting plotting.backend imports matplotlib
        # pandas picks this default when imported: 0 (fit the terminal) in a console, 20 under
        # a Jupyter kernel (pandas.core.config_init); a notebook prints as under a kernel
        pd.set_option("display.max_columns", 20)
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            after = _pandas_options()
            for key, value in after.items():
                old = before.get(key, _DEFAULT)
                if old is _DEFAULT:
                    pd.reset_option(key)
                elif old is not value and old != value:
                    pd.set_option(key, old)
            if "matplotlib" in sys.modules:
                import matplotlib

                if mpl_before is None:
                    matplotlib.rcdefaults()
                else:
                    matplotlib.rcParams.update(mpl_before)


_DEFAULT = object()


def _pandas_default(key: str) -> object:
    from pandas._config import config as pd_config

    return pd_config._registered_options[key].defval


def _pandas_options() -> dict:
    import warnings

    import pandas as pd
    from pandas._config import config as pd_config

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in pd_config._registered_options:
            if key not in pd_config._deprecated_options:
                out[key] = pd.get_option(key)
    return out


def _language_info() -> dict:
    """What ipykernel reports for Python (nbclient copies it into the record's metadata)."""
    return {
        "name": "python",
        "version": sys.version.split()[0],
        "mimetype": "text/x-python",
        "codemirror_mode": {"name": "ipython", "version": 3},
        "pygments_lexer": "ipython3",
        "nbconvert_exporter": "python",
        "file_extension": ".py",
    }


def _run_cells(nb_man) -> None:
    import nbformat

    shell = _shell()
    shell.reset(new_session=True)  # %reset -f: this notebook's own namespace, counts from 1
    nb = nb_man.nb
    for index, cell in enumerate(nb.cells):
        nb_man.cell_start(cell, index)  # every cell, as nbclient does: markdown cells too
        try:
            if cell.get("cell_type") != "code" or not cell.source.strip():
                continue
            outputs: list = []
            shell._baocao_outputs = outputs
            out, err = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = _Stream(shell, "stdout", out), _Stream(shell, "stderr", err)
            try:
                count = shell.execution_count
                result = shell.run_cell(cell.source, store_history=True)
            finally:
                sys.stdout, sys.stderr = out, err
                shell._baocao_outputs = []
            cell.execution_count = count
            cell.outputs = [nbformat.from_dict(o) for o in outputs]
            error = result.error_before_exec or result.error_in_exec
            if error is not None and not isinstance(error, (Exception, SystemExit)):
                raise error  # KeyboardInterrupt, the CLI's SIGTERM: the build stops here
            if error is not None:
                nb_man.cell_exception(cell, cell_index=index, exception=error)
                break
        finally:
            nb_man.cell_complete(cell, cell_index=index)
    nb.metadata["language_info"] = _language_info()


def _engine_class():
    from papermill.engines import Engine

    class InProcessEngine(Engine):
        """Papermill engine: the notebook's cells in this process's IPython shell (see the module)."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            with _settings_kept():
                _run_cells(nb_man)
            return nb_man.nb

    return InProcessEngine
