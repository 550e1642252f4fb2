"""Where batch tasks run: on the flow's threads (one machine), or on a Dask cluster (scale-out).

Configuration picks it, not code: PAGEFOLD_DASK_ADDRESS (or the Prefect
variable pagefold_dask_address) connects to an existing cluster, and
PAGEFOLD_DASK_WORKERS=N starts a local cluster of N worker processes (one
per process, for every run of the process: `pagefold worker` starts it once
for all the runs it executes). Neither set: batches run on the flow's own
threads and extract on this machine's process pool.

One Dask client per process and cluster, reused by every run of the
process, closed at exit. Before a run's first batch the workers are asked
what they can run (`worker_facts`): a worker that cannot import the run's
flow module or Pagefold itself, or runs another version of it, fails the
run at once in one sentence naming the cause (Dask itself would only say
"Error during deserialization of the task graph").

On Dask, each worker process (one thread) extracts its batches in a pool of
one process of its own, so the per-page deadline holds there too: the pool
kills and replaces that process at the deadline, and the models stay loaded
in it between batches (a worker plugin stops that pool when the worker
closes, so it closes at once). Dask starts its workers as daemon processes,
which may not have children, unless `distributed.worker.daemon` is false:
the local cluster is started so; the workers of an existing cluster need
`DASK_DISTRIBUTED__WORKER__DAEMON=False` in their environment (without it,
batches still run, without the deadline, and the run says so). Dask's own
INFO lines are left out unless DASK_LOGGING__DISTRIBUTED says otherwise
(`pagefold ... --verbose` sets it to info).
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from prefect.context import FlowRunContext
from prefect.logging import get_run_logger
from prefect.task_runners import TaskRunner

from flows import config
from tasks.lake.storage import SetupError

WAIT_FOR_WORKERS_S = 60.0  # how long a run waits for a cluster that has no worker yet
DASK_LOG_LEVEL = "warning"  # Dask's own log lines shown: warnings and errors

_runners: dict[tuple[str, int], Any] = {}  # (address, local workers) -> an entered DaskTaskRunner
_lock = threading.Lock()


@dataclass(frozen=True)
class BatchRunner:
    runner: TaskRunner
    slots: int  # batches that can run at once
    extract_workers: int  # run_batch's `workers`: processes of the pool of the process that runs the batch
    where: str
    local: bool  # batches run in this process, whose pool can be started early
    client: Any = None  # the Dask client (its workers' progress is polled); None on this machine


def batch_runner(workers: int) -> BatchRunner:
    """The task runner for this run's batches; SetupError, in one sentence, when the Dask cluster cannot run them."""
    address, local_workers = config.setting("dask_address"), int(config.setting("dask_workers") or 0)
    if not (address or local_workers):
        return BatchRunner(FlowRunContext.get().task_runner, workers + 1, workers,
                           f"this machine, {workers} process(es)", local=True)
    try:
        runner = dask_runner(address, local_workers)
        client = runner.client
    except OSError as exc:  # no scheduler answers there
        raise SetupError(f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc}): start it, or "
                         "fix PAGEFOLD_DASK_ADDRESS (or the Prefect variable pagefold_dask_address)") from None
    address = client.scheduler.address
    try:
        client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
    except TimeoutError:
        raise SetupError(f"no Dask worker is connected to the scheduler at {address} after "
                         f"{WAIT_FOR_WORKERS_S:.0f} s: start workers (`dask worker {address}`)") from None
    check_workers(client, address)
    client.register_plugin(_worker_plugin(), name="pagefold")
    threads = sum(client.nthreads().values())
    return BatchRunner(runner, threads + 1, 1, f"Dask at {address}, {threads} thread(s)", local=False,
                       client=client)


def dask_runner(address: str | None, local_workers: int):
    """This process's DaskTaskRunner for the cluster at `address`, or for a local cluster of `local_workers`
    processes, connected (or started) on first use and kept for the next runs."""
    from prefect_dask import DaskTaskRunner

    key = (address or "", local_workers)
    with _lock:
        runner = _runners.get(key)
        if runner is not None and runner.client.status in ("running", "connecting"):
            return runner
        quiet_dask()
        if address:
            runner = DaskTaskRunner(address=address)
        else:
            from dask import config as dask_config

            runner = DaskTaskRunner(cluster_kwargs={"n_workers": local_workers, "threads_per_worker": 1,
                                                    "processes": True, "dashboard_address": None})
            dask_config.set({"distributed.worker.daemon": False})  # the workers may start their extraction pool
        runner.__enter__()
        if not address:
            with _children_ignore_sigint():
                runner.client  # starts the cluster
        if not _runners:
            atexit.register(close_dask)
        _runners[key] = runner
        return runner


def close_dask() -> None:
    """Close this process's Dask clients (and the local cluster, if it started one)."""
    with _lock:
        runners = list(_runners.values())
        _runners.clear()
    for runner in runners:
        try:
            runner.__exit__(None, None, None)
        except Exception as exc:  # at exit, a cluster already gone is nothing to report
            logging.getLogger(__name__).debug("closing Dask: %s", exc)


def quiet_dask() -> None:
    """Dask's own log lines, and those of Prefect's Dask task runner, at DASK_LOG_LEVEL (here and in the worker
    processes Dask starts), unless DASK_LOGGING__DISTRIBUTED already says otherwise."""
    level = os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", DASK_LOG_LEVEL).upper()
    for name in ("distributed", "prefect.task_runner.dask"):
        logging.getLogger(name).setLevel(level)


def check_workers(client, address: str) -> None:
    """SetupError, in one sentence, when the workers cannot run this run's batches: they cannot import the flow's
    module or Pagefold, or run another version of Pagefold. A warning when they may not start processes."""
    context = FlowRunContext.get()
    modules = sorted({"flows.ingest", context.flow.fn.__module__} if context else {"flows.ingest"})
    try:
        facts = client.run(worker_facts, modules)
    except Exception as exc:  # this very module could not be loaded there
        raise SetupError(f"the Dask workers at {address} cannot run Pagefold ({_cause(exc)}): install Pagefold "
                         "where they run, the same version as here") from None
    ours = version("pagefold")
    for worker, fact in sorted(facts.items()):
        if fact["missing"]:
            name, error = next(iter(fact["missing"].items()))
            hint = ("deploy the flows by module path (deployments/prefect.yaml: flows.daily.ingest_day), not by "
                    "file, so that any process can import them") if "." not in name else \
                "install Pagefold where the workers run"
            raise SetupError(f"the Dask worker {worker} cannot import {name}, the module of this run's tasks "
                             f"({error}): {hint}")
        if fact["version"] != ours:
            raise SetupError(f"the Dask worker {worker} runs Pagefold {fact['version']}, this run {ours}: install "
                             "the same version on both sides")
    daemons = sorted(worker for worker, fact in facts.items() if fact["daemon"])
    if daemons:
        get_run_logger().warning(
            "the Dask workers %s are daemon processes, which cannot start the extraction pool: their pages are "
            "extracted without the per-page deadline; start them with DASK_DISTRIBUTED__WORKER__DAEMON=False",
            ", ".join(daemons))


def worker_facts(modules: list[str]) -> dict:
    """On a Dask worker: Pagefold's version there, whether it is a daemon process (which may not start the
    extraction pool), and the `modules` it cannot import, each with its error."""
    missing = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            missing[name] = f"{type(exc).__name__}: {exc}"
    return {"version": version("pagefold"), "daemon": multiprocessing.current_process().daemon, "missing": missing}


def _cause(exc: BaseException) -> str:
    """The error a Dask worker raised, as `ModuleNotFoundError: No module named 'flows'`."""
    inner = exc.args[0] if type(exc) is Exception and exc.args and isinstance(exc.args[0], BaseException) else exc
    return f"{type(inner).__name__}: {inner}"


@contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Processes started in the block ignore SIGINT, which a Ctrl-C in the terminal sends to them too: the command
    stops its local cluster itself (`close_dask`). A Ctrl-C meanwhile is lost (the cluster starts in seconds).
    Only from the main thread; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the processes Dask spawns
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_plugin():
    """A Dask worker plugin: when the worker closes, its process ends at once: the batch under way is asked to stop
    (at its next page or wait), the extraction pool is stopped, and the objects the process holds are left to the
    operating system (`gc.freeze`) rather than to the interpreter's last garbage collection, which takes seconds
    for a process that has run Prefect tasks (its nanny kills it after 4 s: "Worker process still alive after 4.0
    seconds, killing"). Defined here, where Dask is imported, and sent to the workers by value."""
    from distributed import WorkerPlugin

    class PagefoldWorker(WorkerPlugin):
        idempotent = True

        def teardown(self, worker) -> None:
            import gc

            from tasks.running import pool, stopping

            stopping.request()
            pool.shutdown_pools()
            gc.freeze()

    return PagefoldWorker()
