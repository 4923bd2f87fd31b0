"""What a Dask worker keeps between baocao's jobs (``--scheduler``): one notebook kernel.

A :class:`KeptKernel` is registered on the cluster's workers for the length of one
``baocao build --scheduler …`` (a ``distributed`` worker plugin, Dask's documented way to hold
a resource per worker) and unregistered at its end, which stops each worker's kernel. A job
runs its notebooks in its worker's kernel, as a ``--jobs N`` pool worker does
(:class:`baocao.notebooks.NotebookKernel`: its session reset between notebooks); on a worker
with several threads, a job that finds the kernel busy starts one of its own.
"""

from __future__ import annotations

import threading

from distributed import WorkerPlugin, get_worker

from .batch import Job, run_job
from .notebooks import NotebookKernel


class KeptKernel(WorkerPlugin):
    name = "baocao-notebook-kernel"

    def setup(self, worker) -> None:
        self.kernel = NotebookKernel()
        self.lock = threading.Lock()

    def teardown(self, worker) -> None:
        with self.lock:  # after the job using it, if one still runs
            self.kernel.close()


def run_job_on_worker(job: Job) -> dict:
    """:func:`baocao.batch.run_job` in the worker's kept kernel (or a kernel of the job's own
    when the worker has none, or another of its threads is using it)."""
    plugin = get_worker().plugins.get(KeptKernel.name)
    if not isinstance(plugin, KeptKernel) or not plugin.lock.acquire(blocking=False):
        return run_job(job)
    try:
        return run_job(job, None, plugin.kernel)
    finally:
        plugin.lock.release()
