"""What a Dask worker keeps between baocao's jobs (``--scheduler``): one notebook kernel.

A :class:`KeptKernel` is registered on the cluster's workers for the length of one
``baocao build --scheduler …`` (a ``distributed`` worker plugin, Dask's documented way to hold
a resource per worker) and unregistered at its end, which stops each worker's kernel. A job
borrows its worker's kernel (:func:`borrowed_kernel`) and runs its notebooks there, as a
``--jobs N`` pool worker does (:class:`baocao.notebooks.NotebookKernel`: its session reset
between notebooks); on a worker with several threads, a job that finds the kernel busy starts
one of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import ToolMissingError
from .notebooks import NotebookKernel

__all__ = ["Client", "KeptKernel", "as_completed", "borrowed_kernel"]  # the Dask side of baocao.batch

try:
    from dask.distributed import Client, WorkerPlugin, as_completed, get_worker
except ImportError:  # --scheduler without the cluster extra
    raise ToolMissingError(
        "chưa cài dask.distributed để chạy trên cụm máy",
        "dask.distributed is not installed (needed for --scheduler)",
        hint_vi="pip install 'baocao[cluster]' (hoặc pip install 'dask[distributed]')",
        hint_en="pip install 'baocao[cluster]' (or pip install 'dask[distributed]')",
    ) from None


class KeptKernel(WorkerPlugin):
    name = "baocao-notebook-kernel"

    def setup(self, worker) -> None:
        self.kernel = NotebookKernel()
        self.lock = threading.Lock()

    def teardown(self, worker) -> None:
        with self.lock:  # after the job using it, if one still runs
            self.kernel.close()


@contextmanager
def borrowed_kernel() -> Iterator[NotebookKernel | None]:
    """The kernel of the worker this runs on, for one job; None when the worker has none or
    another of its threads is using it (the job's build then starts a kernel of its own)."""
    plugin = get_worker().plugins.get(KeptKernel.name)
    if not isinstance(plugin, KeptKernel) or not plugin.lock.acquire(blocking=False):
        yield None
        return
    try:
        yield plugin.kernel
    finally:
        plugin.lock.release()
