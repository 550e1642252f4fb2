"""The `ingest` Prefect flow: list a source's days, process them in batches, commit each day.

The flow only orchestrates. Each step is a thin task over a pure function in
`tasks/`; tasks exchange object listings, counts and paths, never tables.
"""

from __future__ import annotations

import datetime as dt
import uuid
from importlib.metadata import version

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed

from flows.runners import BatchRunner, batch_runner
from tasks import lake, pool, storage
from tasks.batch import Batch, plan_batches, run_batch
from tasks.daylock import DayClaims
from tasks.progress import BOARD
from tasks.records import Counts, Limits, RunInfo
from tasks.summary import ReconciliationError, RunSummary

RETRY_DELAYS = [5, 30]


def transient_only(task, task_run, state) -> bool:
    """Prefect's retry_condition_fn: retry a task only for a fault of the network or the store, never for a bug,
    a missing model or counts that do not add up, which would fail again."""
    return storage.is_transient(state.result(raise_on_failure=False))


@task(name="list-objects", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=transient_only)
def list_batches(source: storage.Store, day: str, batch_bytes: int) -> list[Batch]:
    objects = storage.list_day_objects(source, day)
    batches = plan_batches(day, objects, batch_bytes)
    get_run_logger().info("day %s: %d objects, %d bytes, %d batches", day, len(objects),
                          sum(o.size for o in objects), len(batches))
    return batches


@task(name="process-batch", task_run_name="batch {batch.day}#{batch.index}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=transient_only)
def process_batch(batch: Batch, source: storage.Store, dest: storage.Store, run: RunInfo, limits: Limits,
                  workers: int) -> Counts:
    logger = get_run_logger()
    counts = run_batch(batch, source, dest, run, limits, workers, logger)
    logger.info("batch %s#%d: %d objects, %d pages, %d documents, %d entities, rejects %s", batch.day, batch.index,
                counts.objects, counts.pages, counts.documents, counts.entities, counts.rejects or "none")
    return counts


@task(name="commit-day", task_run_name="commit {day}", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=transient_only)
def commit_day(dest: storage.Store, run_id: str, day: str, pages: int, story_days: int) -> dict[str, int]:
    return lake.commit_day(dest, run_id, day, pages, story_days)


@flow(name="ingest", log_prints=False)
def ingest(
    source: str,
    dest: str,
    date: dt.date | None = None,
    s3_endpoint: str | None = None,
    workers: int | None = None,
    batch_mb: float = 64,
    max_page_mb: float = 5.0,
    extract_timeout_s: float = 30.0,
    story_days: int = 7,
) -> dict:
    """Ingest raw pages from `source` into the lake at `dest`, one day or every day found.

    Re-running a day replaces that day's partitions. The run fails when a
    batch fails after its retries (its day is then left as it was) or when
    counts do not reconcile. `extract_timeout_s` is the deadline of one page
    (parse, extraction and NER); `story_days`, how many days before and after
    a day its documents are matched with into stories (README, "Stories").
    """
    logger = get_run_logger()
    endpoint = storage.endpoint_from_env(s3_endpoint)
    src, dst = storage.open_store(source, endpoint), storage.open_store(dest, endpoint)
    workers = workers or pool.default_workers()
    limits = Limits(max_page_bytes=int(max_page_mb * 1024 * 1024), extract_timeout_s=extract_timeout_s)
    started = dt.datetime.now(dt.timezone.utc)
    run = RunInfo(f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", started, version("pagefold"))
    days = [date.isoformat()] if date else storage.list_days(src)
    if not days:
        logger.warning("no dt=YYYY-MM-DD folders under %s: nothing to ingest", source)
    summary = RunSummary(run.run_id, days)
    with batch_runner(workers) as runner, DayClaims(dst, run.run_id) as claims:
        logger.info("run %s: %d day(s) from %s to %s; batches on %s", run.run_id, len(days), source, dest, runner.where)
        if runner.local:
            pool.warm_up(runner.extract_workers)
        locked = _claim_days(claims, days, summary)
        batches = [b for day in locked for b in list_batches(src, day, int(batch_mb * 1024 * 1024))]
        for day in locked:
            if not any(b.day == day for b in batches):
                # An empty listing is more often a wrong prefix or missing permission than a day with no pages:
                # never wipe a day's output because of it.
                logger.warning("day %s: no raw objects under %s; its output is left as it was", day, source)
                summary.mark_empty(day)
        BOARD.reset()
        BOARD.set_totals(sum(len(b.objects) for b in batches), sum(b.raw_bytes for b in batches))
        progress = create_progress_artifact(0.0 if batches else 100.0,
                                            description=f"Pagefold run {run.run_id}: batches finished")
        try:
            for done, (batch, outcome) in enumerate(_run_windowed(batches, src, dst, run, limits, runner), 1):
                summary.add_batch(batch.day, outcome)
                update_progress_artifact(progress, 100.0 * done / len(batches))
            for day in locked:
                if day not in summary.complete_days():
                    continue
                try:
                    claims.locks[day].confirm()  # still ours: no other run took the day over meanwhile
                    summary.add_commit(day, commit_day(dst, run.run_id, day, summary.days[day].counts.pages,
                                                              story_days))
                except Exception as exc:  # this day stays as it was; the other days still commit
                    summary.add_failure(day, exc)
        finally:
            pool.shutdown_pools()
    summary.finish()
    _report(summary)
    if summary.failed_days:
        raise RuntimeError(f"day(s) {', '.join(summary.failed_days)} failed and were left unchanged: "
                           f"{summary.failures}")
    if not summary.reconciled:
        raise ReconciliationError(summary.mismatches)
    return summary.as_dict()


def _claim_days(claims: DayClaims, days: list[str], summary: RunSummary) -> list[str]:
    """Lock each day for this run; a day another live run is writing fails, the others go on."""
    logger = get_run_logger()
    locked = []
    for day in days:
        try:
            lock = claims.claim(day)
        except Exception as exc:
            logger.error("day %s: not locked: %s", day, exc)
            summary.add_failure(day, exc)
            continue
        if lock.took_over:
            logger.warning("day %s: took over the lock of %s; its staging is removed", day, lock.took_over)
        locked.append(day)
    return locked


def _run_windowed(batches: list[Batch], src, dst, run, limits, runner: BatchRunner):
    """Run batch tasks with at most one more in flight than can run, so memory does not grow with the day.

    Yields (batch, Counts) or (batch, exception) as batches finish: a failed
    batch is recorded and fails its day, while the other batches go on.
    """
    pending: dict[PrefectFuture, Batch] = {}
    queue = list(reversed(batches))
    while queue or pending:
        while queue and len(pending) < runner.slots:
            batch = queue.pop()
            parameters = dict(batch=batch, source=src, dest=dst, run=run, limits=limits,
                              workers=runner.extract_workers)
            pending[runner.runner.submit(process_batch, parameters)] = batch
        future = next(as_completed(list(pending)))
        batch = pending.pop(future)
        try:
            yield batch, future.result()
        except Exception as exc:
            yield batch, exc


def _report(summary: RunSummary) -> None:
    logger = get_run_logger()
    for line in summary.lines():
        logger.info(line)
    create_table_artifact(
        key="ingest-summary",
        table=summary.table_rows() + [summary.total_row()],
        description=f"Pagefold run {summary.run_id}: {summary.headline()}",
    )
