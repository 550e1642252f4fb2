"""Where batch tasks run: on the flow's threads (one machine), or on a Dask cluster (scale-out).

Configuration picks it, not code: PAGEFOLD_DASK_ADDRESS (or the Prefect
variable pagefold_dask_address) connects to an existing cluster, and
PAGEFOLD_DASK_WORKERS=N starts a local cluster of N worker processes for
the run. Neither set: batches run on the flow's own threads and extract on
this machine's process pool.

Dask worker processes are daemons and cannot start a process pool, so on
Dask each batch extracts in the worker itself (`workers=0` for run_batch);
the models load once per worker process, as in the pool's processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prefect.context import FlowRunContext
from prefect.task_runners import TaskRunner

from flows import config


@dataclass(frozen=True)
class BatchRunner:
    runner: TaskRunner
    slots: int  # batches that can run at once
    extract_workers: int  # run_batch's `workers`: processes of the local pool, 0 = in the task's own process
    where: str


@contextmanager
def batch_runner(workers: int) -> Iterator[BatchRunner]:
    """The task runner for this run's batches, open for as long as the run needs it."""
    address, local_workers = config.setting("dask_address"), int(config.setting("dask_workers") or 0)
    if not (address or local_workers):
        yield BatchRunner(FlowRunContext.get().task_runner, workers + 1, workers, f"this machine, {workers} process(es)")
        return
    from prefect_dask import DaskTaskRunner

    if address:
        dask = DaskTaskRunner(address=address)
    else:
        dask = DaskTaskRunner(cluster_kwargs={"n_workers": local_workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": ":0"})
    with dask:
        threads = sum(dask.client.nthreads().values())
        yield BatchRunner(dask, threads + 1, 0, f"Dask at {dask.client.scheduler.address}, {threads} thread(s)")
