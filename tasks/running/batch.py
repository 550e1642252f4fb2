"""One batch of raw objects from one day: read, extract, validate, stage.

A batch is the unit Prefect sees (one task run per batch, never per page).
Inside it, threads stream objects (S3 reads are latency-bound), chunks of
pages go to the process pool for extraction, and validated rows stream into
staged part files, so memory is bounded by chunk and buffer sizes, not by
the size of the day.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from tasks.extraction import extract_chunk
from tasks.lake.staging import StagedWriter
from tasks.lake.storage import ObjectInfo, Store
from tasks.lake.validate import check_document
from tasks.records import Counts, Extracted, Limits, RawPage, Reject, RunInfo, SourcePointer
from tasks.running import pool, stopping
from tasks.running.progress import BOARD
from tasks.sources.readers import pages_of

# Pages are held in memory only here: the read-ahead queue and the chunks in flight (news pages decode to
# ~350 KB of text each; a batch holds about QUEUE_PAGES + IN_FLIGHT_PER_WORKER * workers * PAGES_PER_CHUNK).
# Small chunks keep a worker from idling behind one slow page at the end of a batch. A chunk's deadline is
# PAGES_PER_CHUNK times the page deadline (Limits.extract_timeout_s), see tasks.running.pool.
PAGES_PER_CHUNK = 4
IN_FLIGHT_PER_WORKER = 2
READ_THREADS = 4  # more reader threads fragment native memory (measured: 8 threads ~1.6x the RSS of 4)
QUEUE_PAGES = 16


@dataclass(frozen=True)
class Batch:
    day: str
    index: int
    objects: tuple[ObjectInfo, ...]

    @property
    def raw_bytes(self) -> int:
        return sum(o.size for o in self.objects)


def plan_batches(day: str, objects: list[ObjectInfo], target_bytes: int, max_objects: int = 500) -> list[Batch]:
    """Group a day's objects into batches of about `target_bytes` of raw data each."""
    batches: list[Batch] = []
    current: list[ObjectInfo] = []
    size = 0
    for obj in objects:
        if current and (size + obj.size > target_bytes or len(current) >= max_objects):
            batches.append(Batch(day, len(batches), tuple(current)))
            current, size = [], 0
        current.append(obj)
        size += obj.size
    if current:
        batches.append(Batch(day, len(batches), tuple(current)))
    return batches


def run_batch(batch: Batch, source: Store, dest: Store, run: RunInfo, limits: Limits, workers: int,
              log: logging.Logger | logging.LoggerAdapter = logging.getLogger(__name__)) -> Counts:
    """Process one batch end to end; the counts are all that leaves it.

    `workers` processes of this process's pool extract the pages, each page
    within `limits.extract_timeout_s` (parse, extraction and NER); with 0,
    or in a daemon process that may not start any, they are extracted here,
    chunk by chunk as well, without a deadline. Every reject is logged.
    Raises `stopping.Stopped` (at the next page or wait) once the run is stopping.
    """
    if workers and not pool.can_start_processes():
        log.warning("batch %s#%d: this is a daemon process (a Dask worker started with distributed.worker.daemon "
                    "true), which cannot start the extraction pool: pages are extracted here, without the per-page "
                    "deadline; start the Dask workers with DASK_DISTRIBUTED__WORKER__DAEMON=False", batch.day,
                    batch.index)
        workers = 0
    writer = StagedWriter(dest, run.run_id, batch.day, batch.index)
    counts = Counts(objects=len(batch.objects))
    in_flight: dict[Future, pool.Submitted] = {}
    chunk: list[RawPage] = []

    def crashed(page: RawPage) -> Reject:
        return Reject("extract_crashed", "extract", "the extraction process died on this page (a crash in native "
                      "code, or out of memory)", page.source, url=page.url, raw_bytes=page.raw_bytes)

    def timed_out(page: RawPage) -> Reject:
        return Reject("extract_timeout", "extract", f"parsing, extraction and entity recognition took longer than "
                      f"{limits.extract_timeout_s:g} s; the worker was stopped", page.source, url=page.url,
                      raw_bytes=page.raw_bytes)

    def settle() -> None:
        """Store the chunks that are done, in any order: one slow page must not hold up the others."""
        for future in pool.wait_any(in_flight):
            submitted = in_flight.pop(future)
            for result in pool.results(submitted, workers, on_crash=crashed, on_timeout=timed_out):
                _store(result, writer, counts, run, log_reject)
            BOARD.pages_done(run.run_id, len(submitted.items), extracted=True)

    def log_reject(reject: Reject) -> None:
        at = reject.source.line or reject.source.offset
        log.info("batch %s#%d: reject %s (%s) in %s%s: %s", batch.day, batch.index, reject.reason, reject.stage,
                 reject.source.uri, f" at {at}" if at is not None else "", reject.detail)

    def send(pages: list[RawPage]) -> None:
        extract = partial(extract_chunk, limits=limits)
        submitted = (pool.submit(workers, extract, pages, limits.extract_timeout_s) if workers
                     else pool.run_here(extract, pages))
        in_flight[submitted.future] = submitted
        while len(in_flight) >= max(1, IN_FLIGHT_PER_WORKER * workers):
            settle()

    for item in stream_pages(batch.objects, source, limits, run.run_id):
        stopping.check()
        counts.pages += 1
        if isinstance(item, Reject):
            _store(item, writer, counts, run, log_reject)
            BOARD.pages_done(run.run_id, 1)
            continue
        chunk.append(item)
        if len(chunk) >= PAGES_PER_CHUNK:
            send(chunk)
            chunk = []
    if chunk:
        send(chunk)
    while in_flight:
        settle()
    writer.close()
    return counts


def _store(result: Extracted | Reject, writer: StagedWriter, counts: Counts, run: RunInfo,
           on_reject: Callable[[Reject], None]) -> None:
    """Validate an extraction result and stage it as a document and its entities, or as a reject."""
    if isinstance(result, Extracted):
        entities = result.entities
        row = {**result.document, "minhash": result.signature.minhash, "shingle_count": result.signature.shingles,
               "text_edges": result.signature.edges, **run.columns()}
        failed = check_document(row, now=run.ingested_at)
        if failed is None:
            writer.add("documents", row)
            capture = {"doc_id": row["doc_id"], "url": row["url"], "source_uri": row["source_uri"],
                       "source_line": row["source_line"], "source_offset": row["source_offset"], **run.columns()}
            for entity in entities:
                writer.add("entities", {**entity, **capture})
            counts.add_document(row["page_kind"])
            counts.entities += len(entities)
            return
        result = Reject(failed, "validate", f"document failed the `{failed}` check", _pointer(row), url=row["url"])
    writer.add("rejects", {**result.as_row(), **run.columns()})
    counts.add_reject(result.reason)
    on_reject(result)


def _pointer(row: dict) -> SourcePointer:
    return SourcePointer(row["source_uri"], row["source_line"], row["source_offset"])


class _Stopped(Exception):
    """The consumer went away; producers stop reading."""


_DONE = object()


def stream_pages(objects: tuple[ObjectInfo, ...], source: Store, limits: Limits,
                 run_id: str) -> Iterator[RawPage | Reject]:
    """Pages of all objects, read by several threads at once, through a bounded queue (counted on the progress
    board under `run_id`).

    What is wrong with an object itself becomes its reject (see
    `readers.pages_of`); a fault of the store that outlasts the object's
    own retries (an outage) is raised, so the batch fails, Prefect retries
    it, and a day is never replaced by one whose pages an outage rejected.
    """
    pages: queue.Queue = queue.Queue(maxsize=QUEUE_PAGES)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped

    def produce(obj: ObjectInfo) -> None:
        pages = 0
        try:
            for item in pages_of(obj, source, limits):
                BOARD.page_read(run_id)
                pages += 1
                put(item)
        finally:
            BOARD.object_done(run_id, obj.size, pages)
            put(_DONE)

    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="pagefold-read") as readers:
        futures = {readers.submit(produce, obj): obj for obj in objects}
        try:
            finished = 0
            while finished < len(objects):
                try:
                    item = pages.get(timeout=0.5)
                except queue.Empty:
                    _raise_failures(futures)
                    stopping.check()
                    continue
                if item is _DONE:
                    finished += 1
                else:
                    yield item
            _raise_failures(futures)
        finally:
            stop.set()


class ObjectReadError(Exception):
    """Reading an object failed for a reason that is not about the object (the store or the network is down)."""


def _raise_failures(futures: dict[Future, ObjectInfo]) -> None:
    for future, obj in futures.items():
        error = future.exception() if future.done() else None
        if error is not None and not isinstance(error, _Stopped):
            raise ObjectReadError(f"reading {obj.uri}: {type(error).__name__}: {error}") from error
