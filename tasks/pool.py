"""The process pool that runs extraction on every core, and survives a worker that dies.

Prefect's process and Dask task runners cost 0.2-0.4 s per task and need a
running API, so batch tasks run on threads and hand their CPU work, in
chunks of pages, to this pool. One pool per process and size, created on
first use; its workers import trafilatura once and keep it warm.

A worker that dies (a crash in lxml's C code, the kernel's OOM killer)
breaks the whole pool and every chunk in flight. The pool is then replaced,
the lost chunks are re-run one item at a time, and only the item that kills
a worker again is given up.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

_pools: dict[int, ProcessPoolExecutor] = {}
_lock = threading.Lock()


@dataclass
class Submitted:
    """A chunk handed to the pool: what to call again, item by item, if its worker dies."""

    future: Future
    pool: ProcessPoolExecutor | None  # None: run in this process (see run_here)
    fn: Callable[[list], list]
    items: list


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    """The shared pool with `workers` processes (spawned: forking a threaded process is unsafe)."""
    with _lock:
        if workers not in _pools:
            _pools[workers] = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
            )
        return _pools[workers]


def default_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0))


def warm_up(workers: int) -> None:
    """Start the pool's processes now (trafilatura and spaCy load in ~4 s), so that it overlaps other start-up work."""
    pool = extraction_pool(workers)
    for _ in range(workers):
        pool.submit(_nothing)


def submit(workers: int, fn: Callable[[list], list], items: list) -> Submitted:
    """Run `fn(items)` in the shared pool, replacing the pool first if a dead worker broke it."""
    pool = extraction_pool(workers)
    try:
        return Submitted(pool.submit(fn, items), pool, fn, items)
    except BrokenProcessPool:
        _discard(pool)
        return submit(workers, fn, items)


def run_here(fn: Callable[[list], list], items: list) -> Submitted:
    """Run `fn(items)` in this process, for callers that cannot start processes (Dask workers are daemons)."""
    future: Future = Future()
    future.set_result(fn(items))
    return Submitted(future, None, fn, items)


def results(chunk: Submitted, workers: int, on_crash: Callable[[Any], Any]) -> list:
    """`fn(items)`; if a worker died, each item again on its own, `on_crash(item)` for one that kills again."""
    try:
        return chunk.future.result()
    except BrokenProcessPool:
        _discard(chunk.pool)
    out = []
    for item in chunk.items:
        alone = submit(workers, chunk.fn, [item])
        try:
            out += alone.future.result()
        except BrokenProcessPool:
            _discard(alone.pool)
            out.append(on_crash(item))
    return out


def shutdown_pools() -> None:
    with _lock:
        for pool in _pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()


def _discard(pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool, unless another thread already replaced it."""
    with _lock:
        for workers, current in list(_pools.items()):
            if current is pool:
                del _pools[workers]
    pool.shutdown(wait=False, cancel_futures=True)


def _nothing() -> None:
    pass


def _warm_up() -> None:
    """Import trafilatura and lxml, and load the NER models, once per worker, while the run is starting."""
    from tasks import entities, extract  # noqa: F401

    entities.preload()
