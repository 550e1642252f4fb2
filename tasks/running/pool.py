"""The process pool that runs extraction on every core, with a real deadline per page, and survives dying workers.

Prefect's process and Dask task runners cost 0.2-0.4 s per task and need a
running API, so batch tasks run on threads and hand their CPU work, in
chunks of pages, to this pool. One pool per process and size, created on
first use; its workers import trafilatura and load the NER models once.

The pool is pebble's `ProcessPool`: a task that runs past its time-out has
its worker killed (SIGTERM, then SIGKILL 3 s later: C code in lxml or a
regular expression cannot hold it) and replaced, and a worker that dies
(a crash in native code, the kernel's OOM killer) fails its own task only.
A chunk of N pages gets N deadlines; when it times out or its worker dies,
its pages are run again one at a time, each with one deadline, so only the
page that times out again (`on_timeout`) or kills its worker again
(`on_crash`) is lost, and the others of its chunk are kept.

No page's deadline pays for loading a model. A worker loads trafilatura,
the language identifier and the NER models of English and of every language
its process had met when the pool started, before it takes pages (the pool's
initializer); a page in
another language raises `ModelNotLoaded` at once instead of loading it in its
time, and its chunk runs again with `MODEL_LOAD_S` more to load first the
models of every language of the chunk that its worker lacked.
Without this, a fresh worker's first pages took 4-8 s more (French's model
alone is 8 s of CPU), and a worker killed for a time-out came back cold, so
the pages run again alone timed out in turn.

When the run is stopped (`stop_now`), the workers are killed at once, not
waited for, and whoever waits on a chunk gets `stopping.Stopped`.

A process that `share_workers` hands its chunks instead to the shared workers of a home
(`tasks.running.shared_workers`): the same pool, kept warm in a service between runs, the same deadlines
and outcomes.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from tasks.entities import ModelNotLoaded
from tasks.running import stopping

# Seconds a chunk gets on top of its pages' deadlines when its worker must first load a language's NER model
# (French's: 8 s of CPU, 23 s from a cold disk on a machine at a load of 6).
MODEL_LOAD_S = 120.0
# The languages whose NER models a new pool's workers load before they take pages: English, the language of most
# pages, and every language this process has met since.
_languages: set[str] = {"en"}
_pool: ProcessPool | None = None  # this process's pool, once started
_pool_workers = 0  # its processes
_lock = threading.Lock()
_shared_home: Path | None = None  # see share_workers
_client = None  # this process's shared_workers.WorkersClient, once connected
# A worker's start (Python, trafilatura, spaCy, a model: 2-3 s of CPU here) costs as much as extracting a dozen
# news pages, so a small source gets fewer workers than cores: one per MiB of raw objects begun (a MiB holds
# about 16 news-dev pages as gzipped JSONL, 8-10 as plain HTML files).
BYTES_PER_WORKER = 1 << 20


@dataclass
class Submitted:
    """A chunk handed to the pool: what to call again, item by item, if it times out or its worker dies."""

    future: Future
    pool: Any  # the ProcessPool or shared_workers.WorkersClient it went to; None: run in this process (run_here)
    fn: Callable[[list], list]
    items: list
    deadline_s: float | None  # per item
    languages: tuple[str, ...] = ()  # whose NER models the worker may load first, in MODEL_LOAD_S more


def extraction_pool(workers: int) -> ProcessPool:
    """The shared pool, of at least `workers` processes (spawned: forking a threaded process is unsafe): the largest
    this process has started, or a new one of `workers`, the smaller ones then closed (their workers stop once
    their chunks are done). Callers keep `workers` chunks per worker in flight, whatever the pool's size."""
    global _pool, _pool_workers
    with _lock:
        stopping.check()  # no new pool once the run is stopping (stop_now forgets the pool)
        if _pool is None or _pool_workers < workers:
            if _pool is not None:
                _pool.close()  # takes no more chunks; join stops its workers once their chunks are done
                # (a stop kills them with the others: multiprocessing's children)
                threading.Thread(target=_pool.join, name="pagefold-pool-retired", daemon=True).start()
            _pool = ProcessPool(max_workers=workers, initializer=_warm_up, initargs=(tuple(sorted(_languages)),),
                                context=multiprocessing.get_context("spawn"))
            _pool_workers = workers
        return _pool


def share_workers(home: Path | None) -> Path | None:
    """Hand this process's chunks to the shared workers of `home` from its next chunk on (`shared_workers`), unless
    PAGEFOLD_WORKERS_IDLE_S is 0; None: to pools of its own. Returns the home used so far (None: none)."""
    from tasks.running.shared_workers import enabled

    global _shared_home
    with _lock:
        previous, _shared_home = _shared_home, home if enabled() else None
    return previous


def _shared_client():
    """The connection to the shared workers, made now if need be; None when this process uses its own pools, or
    cannot reach them (then it says so, once, and does)."""
    global _client, _shared_home
    with _lock:
        stopping.check()  # no new connection once the run is stopping
        if _client is None and _shared_home is not None:
            from tasks.running.shared_workers import WorkersClient

            try:
                _client = WorkersClient(_shared_home)
            except (OSError, EOFError, AuthenticationError) as exc:
                logging.getLogger(__name__).warning("the shared extraction workers of %s cannot be reached (%s); "
                                                    "this process starts its own", _shared_home, exc)
                _shared_home = None
        return _client


def default_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0))


def workers_for(raw_bytes: int, cores: int | None = None) -> int:
    """Workers worth starting for `raw_bytes` of raw objects: one per BYTES_PER_WORKER begun, at least one, at
    most `cores` (default: `default_workers()`)."""
    return max(1, min(cores or default_workers(), -(-raw_bytes // BYTES_PER_WORKER)))


def can_start_processes() -> bool:
    """False in a daemon process (a Dask worker started with distributed.worker.daemon true): it may have no children."""
    return not multiprocessing.current_process().daemon


def warm_up(workers: int) -> None:
    """Start the pool's processes now (trafilatura and spaCy load in ~4 s), so that it overlaps other start-up work;
    with shared workers, have the service start them if it has not.

    Started from the main thread, they ignore SIGINT (inherited, and kept by Python at start-up): a Ctrl-C in a
    terminal reaches the whole process group, and a worker cut while importing would print a traceback; the
    command stops them itself (`stop_now`, `shutdown_pools`).
    """
    client = _shared_client()
    if client is not None:
        client.warm_up(workers)
        return
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        pool = extraction_pool(workers)
        for _ in range(workers):
            pool.schedule(_nothing)  # the first one spawns the processes, in this thread
    finally:
        if main:
            signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


def submit(workers: int, fn: Callable[[list], list], items: list, deadline_s: float,
           languages: tuple[str, ...] = ()) -> Submitted:
    """Run `fn(items)` in the shared pool, within `deadline_s` per item, after loading the NER models of
    `languages` within `MODEL_LOAD_S` more; replaces a pool that broke."""
    call, args = (_loading, (fn, languages, items)) if languages else (fn, (items,))
    timeout = deadline_s * len(items) + (MODEL_LOAD_S if languages else 0)
    future, target = schedule(workers, languages, call, args, timeout)
    return Submitted(future, target, fn, items, deadline_s, languages)


def schedule(workers: int, languages: tuple[str, ...], call: Callable, args: tuple, timeout: float) -> tuple[Future, Any]:
    """`call(*args)` on the shared workers or this process's pool of `workers` (replaced if it broke), within
    `timeout` seconds of its start; pools started from now on load the NER models of `languages` too. Returns
    the future and the pool (or connection) it went to."""
    client = _shared_client()
    if client is not None:
        try:
            return client.schedule(workers, languages, call, args, timeout), client
        except BrokenProcessPool:  # the service is gone: a new one, once
            discard(client)
            client = _shared_client()
            if client is not None:
                return client.schedule(workers, languages, call, args, timeout), client
    with _lock:
        _languages.update(languages)
    pool = extraction_pool(workers)
    try:
        return pool.schedule(call, args=args, timeout=timeout), pool
    except RuntimeError:  # "the Pool is not active": it broke (all workers died) or was stopped; a new one, once
        discard(pool)
        pool = extraction_pool(workers)
        return pool.schedule(call, args=args, timeout=timeout), pool


def run_here(fn: Callable[[list], list], items: list) -> Submitted:
    """Run `fn(items)` in this process, without a deadline, for callers that cannot start processes."""
    future: Future = Future()
    future.set_result(fn(items))
    return Submitted(future, None, fn, items, None)


def results(chunk: Submitted, workers: int, on_crash: Callable[[Any], Any], on_timeout: Callable[[Any], Any]) -> list:
    """`fn(items)`; after a time-out or a dead worker, each item again on its own with its own deadline.

    An item that times out alone gives `on_timeout(item)`, one that kills its worker alone `on_crash(item)`.
    An exception raised by `fn` itself (a bug, a missing model) is raised here.
    """
    try:
        return outcome(chunk.future)
    except ModelNotLoaded as missing:
        return results(_with_languages(missing.languages, chunk, workers), workers, on_crash, on_timeout)
    except TimeoutError:
        if len(chunk.items) == 1:
            return [on_timeout(chunk.items[0])]
    except ProcessExpired:
        pass
    except BrokenProcessPool:
        discard(chunk.pool)
    out = []
    for item in chunk.items:
        alone = submit(workers, chunk.fn, [item], chunk.deadline_s, chunk.languages)
        try:
            out += _outcome_with_models(alone, workers)
        except TimeoutError:
            out.append(on_timeout(item))
        except ProcessExpired:
            out.append(on_crash(item))
        except BrokenProcessPool:
            discard(alone.pool)
            out.append(on_crash(item))
    return out


def outcome(future: Future, poll_s: float = 0.2):
    """`future.result()`, but Stopped as soon as the run is stopping (a killed pool never finishes its futures)."""
    while not future.done():
        stopping.check()
        wait([future], timeout=poll_s)
    return future.result()


def _with_languages(languages: tuple[str, ...], chunk: Submitted, workers: int) -> Submitted:
    """`chunk` again, its worker loading the models of `languages` first, in a time of its own; a pool started
    later in this process loads them with its workers."""
    with _lock:
        _languages.update(languages)
    return submit(workers, chunk.fn, chunk.items, chunk.deadline_s, chunk.languages + languages)


def _outcome_with_models(chunk: Submitted, workers: int):
    """`outcome(chunk.future)`, the chunk run again for as long as it meets a model its worker has not loaded."""
    while True:
        try:
            return outcome(chunk.future)
        except ModelNotLoaded as missing:
            chunk = _with_languages(missing.languages, chunk, workers)


def wait_any(futures, poll_s: float = 0.2) -> set[Future]:
    """The futures done, once at least one is; Stopped as soon as the run is stopping."""
    while True:
        stopping.check()
        done, _ = wait(futures, timeout=poll_s, return_when=FIRST_COMPLETED)
        if done:
            return done


def stop_now() -> None:
    """Stop extraction in this process at once (the run is interrupted): every worker process of its own is killed,
    not waited for, and the shared workers kill those running its chunks; chunks in flight and new ones raise
    `stopping.Stopped`."""
    stopping.request()
    pool, client = _forget()
    if client is not None:
        client.close()  # the shared workers kill the workers running this process's chunks
    if pool is not None:
        pool.stop()  # accepts nothing more, and replaces no worker once its manager sees it
    for process in multiprocessing.active_children():  # the pools' workers (a local Dask cluster is closed first)
        process.kill()
    if pool is not None:  # pebble's own clean-up: its channels closed, a worker it started meanwhile stopped
        with contextlib.suppress(Exception):  # the workers are dead already: nothing left here is worth a failure
            pool.join()


def shutdown_pools() -> None:
    """Stop this process's pools and their workers; leave the shared workers (they stay warm for the next run)."""
    pool, client = _forget()
    if client is not None:
        client.close()
    if pool is not None:
        pool.stop()
        pool.join()


def _forget() -> tuple[ProcessPool | None, Any]:
    """This process's pool and connection to shared workers, both forgotten: the next chunk starts or makes anew."""
    global _pool, _client
    with _lock:
        forgotten = _pool, _client
        _pool = _client = None
    return forgotten


def discard(pool: Any) -> None:
    """Forget a broken pool (or a connection to shared workers that are gone), unless another thread already
    replaced it."""
    global _pool, _client
    with _lock:
        if pool is _pool:
            _pool = None
        if pool is _client:
            _client = None
    if isinstance(pool, ProcessPool):
        pool.stop()
        pool.join()  # stops its workers
    else:
        pool.close()


def _nothing() -> None:
    pass


def _warm_up(languages: tuple[str, ...]) -> None:
    """Import trafilatura, lxml, spaCy and datasketch, load what extraction loads with its first page and the NER
    models of `languages` (English's: 0.5 s of CPU and 70 MB, which a day without English pages pays for
    nothing), once per worker, before it takes pages; it will load no other model unasked (`_loading`)."""
    from tasks import entities
    from tasks.extraction import page
    from tasks.stories.signatures import signature

    entities.preload(languages, only=True)
    page.warm_up()
    signature("")  # datasketch imported, its permutations drawn


def _loading(fn: Callable[[list], list], languages: tuple[str, ...], items: list) -> list:
    """Runs in a worker: load the NER models of `languages` (the chunk's MODEL_LOAD_S), then `fn(items)`."""
    from tasks import entities

    entities.preload(languages, only=True)
    return fn(items)
