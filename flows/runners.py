"""Where batch tasks run: on the flow's threads (one machine), or on a Dask cluster (scale-out).

Configuration picks it, not code: PAGEFOLD_DASK_ADDRESS (or the Prefect
variable pagefold_dask_address) connects to an existing cluster, and
PAGEFOLD_DASK_WORKERS=N starts a local cluster of N worker processes for
the run. Neither set: batches run on the flow's own threads and extract on
this machine's process pool.

On Dask, each worker process (one thread) extracts its batches in a pool of
one process of its own, so the per-page deadline holds there too: the pool
kills and replaces that process at the deadline, and the models stay loaded
in it between batches. Dask starts its workers as daemon processes, which
may not have children, unless `distributed.worker.daemon` is false: the
local cluster is started so; the workers of an existing cluster need
`DASK_DISTRIBUTED__WORKER__DAEMON=False` in their environment (without it,
batches still run, without the deadline, and say so in the logs).
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
    extract_workers: int  # run_batch's `workers`: processes of the pool of the process that runs the batch
    where: str
    local: bool  # batches run in this process, whose pool can be started early


@contextmanager
def batch_runner(workers: int) -> Iterator[BatchRunner]:
    """The task runner for this run's batches, open for as long as the run needs it."""
    address, local_workers = config.setting("dask_address"), int(config.setting("dask_workers") or 0)
    if not (address or local_workers):
        yield BatchRunner(FlowRunContext.get().task_runner, workers + 1, workers, f"this machine, {workers} process(es)",
                          local=True)
        return
    from dask import config as dask_config
    from prefect_dask import DaskTaskRunner

    if address:
        runner = DaskTaskRunner(address=address)
    else:
        runner = DaskTaskRunner(cluster_kwargs={"n_workers": local_workers, "threads_per_worker": 1,
                                                "processes": True, "dashboard_address": ":0"})
    with dask_config.set({"distributed.worker.daemon": False}), runner:
        threads = sum(runner.client.nthreads().values())
        yield BatchRunner(runner, threads + 1, 1, f"Dask at {runner.client.scheduler.address}, {threads} thread(s)",
                          local=False)
