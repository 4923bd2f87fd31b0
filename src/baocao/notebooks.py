"""The notebook steps, run by Papermill in a Jupyter kernel: each executed notebook is the
year's record of what it did.

Papermill parameterises the notebook, runs it with its standard engine (nbclient, a fresh
``python3`` kernel per notebook) and writes the executed copy; nothing here changes how
Papermill or the kernel work. What a build adds is *when* the kernels start: :class:`Kernels`
starts the kernel of each notebook step the build will run when the build starts, so that a
kernel starting overlaps the build's own work and the notebook before it,
and hands each to Papermill through its documented ``km`` argument (nbclient's kernel manager).
Each notebook still gets a kernel of its own, started fresh, so its record is the one
``papermill`` writes on the command line.

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


class Kernels:
    """A fresh kernel for each notebook step of one build, each started when the build starts.

    ``with Kernels(project, ["01_clean.ipynb", "02_analyze.ipynb"]) as kernels:
    kernels.run(name, year, build_dir)``: each notebook runs in the kernel started for it (or in
    one started then, for a notebook not announced); every kernel is stopped at the end, also
    when the build fails or is interrupted."""

    def __init__(self, project: Project, notebooks: list[str]):
        self.project = project
        self._waiting: dict[str, object] = {}
        for name in notebooks:
            self._waiting[name] = start_kernel(project)

    def run(self, name: str, year: int, build_dir: Path) -> Path:
        km = self._waiting.pop(name, None) or start_kernel(self.project)
        try:
            return run_notebook(self.project, name, year, build_dir, km=km)
        finally:
            stop_kernel(km)

    def close(self) -> None:
        while self._waiting:
            stop_kernel(self._waiting.popitem()[1])

    def __enter__(self) -> Kernels:
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
