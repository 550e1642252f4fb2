"""The process pool that runs extraction on every core.

Prefect's process and Dask task runners cost 0.2-0.4 s per task and need a
running API, so batch tasks run on threads and hand their CPU work, in
chunks of pages, to this pool. One pool per process and size, created on
first use; its workers import trafilatura once and keep it warm.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor

_pools: dict[int, ProcessPoolExecutor] = {}
_lock = threading.Lock()


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    """The shared pool with `workers` processes (spawned: forking a threaded process is unsafe)."""
    with _lock:
        if workers not in _pools:
            _pools[workers] = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
            )
        return _pools[workers]


def shutdown_pools() -> None:
    with _lock:
        for pool in _pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()


def _warm_up() -> None:
    import tasks.extract  # noqa: F401  (imports trafilatura and lxml once per worker)
