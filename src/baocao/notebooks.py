"""The notebook steps, run by Papermill in a Jupyter kernel: each executed notebook is the
year's record of what it did.

Papermill parameterises the notebook, runs it with its standard engine (nbclient, a
``python3`` kernel) and writes the executed copy; nothing here changes how Papermill or the
kernel work. What a build adds is *which* kernel: :class:`NotebookKernel` starts one kernel
when the build starts (so that it starts while the build plans and stages) and hands it to
Papermill through its documented ``km`` argument (nbclient's kernel manager) for each notebook
in turn: the clean and analyze steps of a build, and in a batch the notebooks of every build a
worker runs, so that pandas, pandera, openpyxl and matplotlib are imported once per worker,
not twice per unit-year. Before each notebook but the first, the kernel's session is reset
with IPython's public ``reset(new_session=True)`` (no name is left, history and execution
count start again from 1), its working folder and pandas' display options are put back, so the
executed notebook is the one a fresh kernel writes (tests/test_speed.py compares the records
byte for byte with Papermill's own, each notebook in a fresh kernel).

The executed notebook says which engine ran it (``metadata.baocao.engine``), and loses
Papermill's times and paths, so that it reads the same from run to run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .config import Project
from .errors import NotebookFailed

#: What ran the notebook, as its record says it (``metadata.baocao.engine``).
ENGINE = "papermill, nbclient engine, Jupyter kernel python3 (ipykernel)"
KERNEL = "python3"
#: The kernel talks to us over loopback only; its log is noise on our stderr ("TCP without
#: encryption", "KeyboardInterrupt caught in kernel" as it is shut down). A failing cell still
#: fails the step through the notebook's error.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
#: Seconds a kernel has to answer the reset between two notebooks.
RESET_TIMEOUT = 60
#: Run silently (no output, no history, no execution count) between two notebooks in a kernel:
#: the working folder and pandas' display options put back, then every name the notebook
#: before made removed and the session begun again (the execution count back to 1).
RESET = """\
import os, sys
os.chdir({root!r})
if "pandas" in sys.modules:
    sys.modules["pandas"].reset_option("display")
get_ipython().reset(new_session=True)
"""


def start_kernel(project: Project):
    """A ``python3`` kernel started in the project's folder (where the notebooks run), not yet
    ready: it finishes starting while the caller goes on."""
    from jupyter_client.manager import AsyncKernelManager  # the kind nbclient makes itself
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=KERNEL)
    run_sync(km.start_kernel)(cwd=str(project.root), extra_arguments=KERNEL_ARGUMENTS)
    return km


def stop_kernel(km) -> None:
    """Stop a kernel (it has nothing to save: its notebook is written, or failed)."""
    from jupyter_core.utils import run_sync

    if km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)


def reset_kernel(km, root: Path) -> bool:
    """Begin a new session in a kernel that ran a notebook (:data:`RESET`, through a client of
    our own, closed before Papermill connects its own). False: the kernel did not answer or the
    reset failed; the caller starts a fresh kernel instead."""
    from jupyter_client import BlockingKernelClient
    from jupyter_core.utils import run_sync

    if not run_sync(km.is_alive)():
        return False
    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=RESET_TIMEOUT)
        reply = kc.execute_interactive(
            RESET.format(root=str(root)),
            silent=True,
            store_history=False,
            timeout=RESET_TIMEOUT,
            output_hook=lambda msg: None,  # nothing is shown; a failure is the reply's status
        )
    except (RuntimeError, TimeoutError):
        return False
    finally:
        kc.stop_channels()
    return reply["content"]["status"] == "ok"


class NotebookKernel:
    """One ``python3`` kernel for notebook after notebook: the steps of a build, or every build
    of a batch worker (``with NotebookKernel() as kernel: kernel.run(project, name, year, dir)``).

    :meth:`start` starts it early (a no-op when it runs already); :meth:`run` runs a notebook in
    it, the session reset first when a notebook ran before (:func:`reset_kernel`). What a reset
    cannot undo stays for the next notebook: the modules already imported (the point of keeping
    the kernel) and Python's record of warnings already shown once. A notebook that fails or is
    interrupted takes its kernel with it, and a kernel that does not answer the reset is
    replaced: the next notebook then starts a fresh one. The kernel is stopped at the end, also
    when the build fails or is interrupted."""

    def __init__(self) -> None:
        self._km = None
        self._used = False

    def start(self, project: Project) -> None:
        if self._km is None:
            self._km, self._used = start_kernel(project), False

    def run(self, project: Project, name: str, year: int, build_dir: Path) -> Path:
        if self._km is not None and self._used and not reset_kernel(self._km, project.root):
            self.close()
        self.start(project)
        self._used = True
        try:
            return run_notebook(project, name, year, build_dir, km=self._km)
        except BaseException:
            self.close()  # what the failed notebook left in the kernel is unknown
            raise

    def close(self) -> None:
        if self._km is not None:
            km, self._km = self._km, None
            stop_kernel(km)

    def __enter__(self) -> NotebookKernel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_notebook(project: Project, name: str, year: int, build_dir: Path, km=None) -> Path:
    """Execute notebooks/<name> with Papermill into build_dir/notebooks/<name>, in the kernel
    ``km`` (started by :func:`start_kernel`; left running) or in one Papermill starts and stops."""
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
    kernel = {"km": km} if km is not None else {"extra_arguments": KERNEL_ARGUMENTS}
    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=params,
            kernel_name=KERNEL,
            cwd=str(project.root),
            progress_bar=False,
            log_output=False,
            record_timing=False,
            # written once, at the end (and on failure): not after every cell
            request_save_on_cell_execute=False,
            **kernel,
        )
    except pm.PapermillExecutionError as exc:
        normalise_notebook(target)
        raise NotebookFailed(name, year, target, exc, project.rel(project.raw_dir(year))) from None
    normalise_notebook(target)
    return target


def normalise_notebook(path: Path) -> None:
    """Strip Papermill's volatile metadata so the record reads the same from run to run, and
    say which engine ran it."""
    if not path.exists():
        return
    nb = json.loads(path.read_text(encoding="utf-8"))
    meta = nb.setdefault("metadata", {})
    pm_meta = meta.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        pm_meta.pop(key, None)
    meta["baocao"] = {"engine": ENGINE}
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"cell-{i}"
        cell_meta = cell.get("metadata", {})
        cell_meta.pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            cell_meta.get("papermill", {}).pop(key, None)
    from .atomic import write_text

    write_text(path, json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
