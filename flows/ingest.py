"""The `ingest` Prefect flow: list a source's days, process them in batches, commit each day.

The flow only orchestrates. Each step is a thin task over a pure function in
`tasks/`; tasks exchange object listings, counts and paths, never tables.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import TerminationSignal
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed

from flows import config, drift
from flows.plans import plan
from flows.runners import BatchRunner, batch_runner, close_dask
from tasks.lake import storage
from tasks.lake.daylock import DayClaims
from tasks.records import Counts, Limits, RunInfo
from tasks.running import commit, pool, stopping
from tasks.running.backfill_plan import Mode
from tasks.running.batch import Batch, plan_batches, run_batch
from tasks.running.days import DayWindow
from tasks.running.progress import BOARD, run_counts
from tasks.running.summary import NO_RAW_OBJECTS, ReconciliationError, RunSummary

RETRY_DELAYS = [5, 30]
# After a stop, how long batch threads get to leave (they notice within 0.2 s, unless a read or a write of
# their own is under way) before the run's staging is removed under them.
STOP_WAIT_S = 3.0
PROGRESS_EVERY_S = 10.0  # a progress line in the logs at least this often while pages are processed
POLL_S = 1.0  # on Dask, how often the workers' counts are read for the progress display
# How long a read of the workers' counts may take: once, a Dask worker never answered `Client.run` and the run's
# thread, which reads them as each batch ends, waited for ever (make test, a local two-worker cluster).
POLL_TIMEOUT_S = 10.0


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
    try:
        counts = run_batch(batch, source, dest, run, limits, workers, logger)
    except stopping.Stopped:  # abandoned, not failed: no traceback, no retry
        return Cancelled(message="the run was stopped")
    logger.info("batch %s#%d: %d objects, %d pages, %d documents, %d entities, rejects %s", batch.day, batch.index,
                counts.objects, counts.pages, counts.documents, counts.entities, counts.rejects or "none")
    return counts


@task(name="commit-day", task_run_name="commit {day}", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=transient_only)
def commit_day(dest: storage.Store, run_id: str, day: str, pages: int, story_days: int) -> dict[str, int]:
    return commit.commit_day(dest, run_id, day, pages, story_days)


def _run_name() -> str:
    """`ingest 2026-11-27`, or `ingest every day found` (in the UI and in every log line of the run)."""
    return f"ingest {flow_run.parameters.get('date') or 'every day found'}"


@flow(name="ingest", flow_run_name=_run_name, log_prints=False)
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
    mode: Mode = "all",
    staged_days: int = 2,
    keep_kinds: list[str] | None = None,
) -> dict:
    """Ingest raw pages from `source` into the lake at `dest`, one day or every day found.

    Re-running a day replaces that day's partitions; `mode` picks the days
    of the source to run as a backfill's does (all; missing: the days the
    lake lacks; failed_or_outdated). Each day is committed as soon as its
    batches are done, while the next days are extracted; at most
    `staged_days` days are staged at once. A day fails when one of its
    batches fails after its retries (it is then left as it was; the other
    days go on), and the run fails after its last day. `extract_timeout_s` is
    the deadline of one page (parse, extraction and NER); `story_days`, how
    many days before and after a day its documents are matched with into
    stories (docs/stories-and-health.md, "Stories"); `keep_kinds`, the page
    kinds written as documents (default: PAGEFOLD_KEEP_KINDS or the variable
    pagefold_keep_kinds, else every kind; a page of another kind becomes a
    `not_an_article` reject).

    Ctrl-C or SIGTERM stops the run in seconds and ends it Cancelled: its
    extraction workers are killed, its staging removed and its day locks
    released; the days committed before the stop (and a day whose commit has
    begun) stay committed, every other day is left as it was.
    """
    logger = get_run_logger()
    try:
        check_parameters(workers=workers, batch_mb=batch_mb, max_page_mb=max_page_mb,
                         extract_timeout_s=extract_timeout_s, staged_days=staged_days)
        endpoint = storage.endpoint_from_env(s3_endpoint)
        src, dst = storage.open_store(source, endpoint), storage.open_store(dest, endpoint)
        storage.check_location(src, "source")
        storage.check_apart(src, dst)
        storage.check_location(dst, "lake", writing=True)
        days = _pick_days(src, dst, date, mode)
        rules = config.drift_rules()
        kinds = config.keep_kinds(keep_kinds)
    except storage.SetupError as exc:
        return config.setup_failed(exc)
    workers = workers or pool.default_workers()
    limits = Limits(max_page_bytes=int(max_page_mb * 1024 * 1024), extract_timeout_s=extract_timeout_s,
                    keep_kinds=kinds)
    started = dt.datetime.now(dt.timezone.utc)
    run = RunInfo(f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", started, version("pagefold"))
    summary = RunSummary(run.run_id, days)
    stopping.reset()
    pending: dict[PrefectFuture, Batch] = {}  # batches in flight, for a stop to wait for
    committing: dict[PrefectFuture, str] = {}  # the commit under way, for a stop to finish
    try:
        runner = batch_runner(workers)
    except storage.SetupError as exc:
        return config.setup_failed(exc)
    with DayClaims(dst, run.run_id) as claims:
        try:
            # Under `pagefold`, a Ctrl-C held while Prefect started this run stops it here, at once.
            with stopping.signals_to_body(_terminate):
                logger.info("run %s: %d day(s) from %s to %s; batches on %s; %s", run.run_id, len(days), source,
                            dest, runner.where, config.who_runs())
                if runner.local:
                    pool.warm_up(runner.extract_workers)
                commit.import_ahead()
                with stopping.deferred_signals():  # a lock taken is a lock recorded, for the stop to release
                    locked = _claim_days(claims, days, summary)
                batches = [b for day in locked for b in list_batches(src, day, int(batch_mb * 1024 * 1024))]
                for day in locked:
                    if not any(b.day == day for b in batches):
                        # An empty listing is more often a wrong prefix or missing permission than a day with no
                        # pages: never wipe a day's output because of it.
                        summary.mark_empty(day, src.uri(f"dt={day}"))
                        logger.warning("day %s: no raw objects under %s; its output is left as it was", day,
                                       summary.days[day].empty)
                        claims.release(day)
                BOARD.start(run.run_id, sum(len(b.objects) for b in batches), sum(b.raw_bytes for b in batches))
                progress = Progress(run.run_id, len(batches), runner)
                window = DayWindow(batches, staged_days)
                with progress.reported_every(PROGRESS_EVERY_S):
                    for event, day, outcome in _run_days(window, src, dst, run, limits, runner, claims, summary,
                                                          story_days, pending, committing):
                        if event == "batch":
                            summary.add_batch(day, outcome)
                            progress.batch_done()
                        elif isinstance(outcome, BaseException):
                            summary.add_failure(day, outcome)
                        else:
                            summary.add_commit(day, outcome)
                            # A Ctrl-C inside DuckDB's scan became its error, "drift not checked", and was lost.
                            with stopping.deferred_signals():
                                summary.add_drift(day, drift.check_day(dst, day, rules))
        except (KeyboardInterrupt, TerminationSignal) as interruption:
            signum = _signal_of(interruption)
            stopping.request(signum)
            with stopping.deferred_signals(deliver=False):  # a second Ctrl-C does not cut the clean-up short
                _stop(pending, committing, claims, summary, runner)
            summary.finish()
            message = summary.stopped(stopping.signal_name(signum))
            logger.info(message)
            return Cancelled(message=message)
        finally:
            pool.shutdown_pools()
    summary.finish()
    _report(summary)
    drift.report(run.run_id, summary.drift_alarms, rules)
    if summary.failed_days:
        raise RuntimeError("; ".join(f"day {day} failed and was left unchanged: {'; '.join(errors)}"
                                     for day, errors in summary.failures.items()))
    if not summary.reconciled:
        raise ReconciliationError(summary.mismatches)
    # The run's counts head its page in the UI, and every list of runs: they name its state; its message adds the
    # reject reasons. A run whose days had nothing to read is Completed, yet not to be mistaken for days ingested:
    # named so, and saying where it looked.
    only_empty = bool(summary.empty_days) and len(summary.empty_days) == len(summary.days)
    message = summary.empty_message() if only_empty else summary.headline()
    if summary.empty_days and not only_empty:
        message += f"; {summary.empty_message()}"
    return Completed(data=summary.as_dict(), name=NO_RAW_OBJECTS if only_empty else summary.counts_name(),
                     message=message)


class Progress:
    """The run's progress artifact and log lines, in pages; on Dask the workers' counts are polled every POLL_S."""

    def __init__(self, run_id: str, batches: int, runner: BatchRunner):
        self.run_id, self.batches, self.done, self.client = run_id, batches, 0, runner.client
        self.description = f"Pagefold run {run_id}: pages done"
        self.artifact = create_progress_artifact(0.0 if batches else 100.0, description=self.description)
        self._logger = get_run_logger()
        # Reports go out one at a time, each reading the board when its turn comes: a tick that read the board
        # before the last batch ended cannot land after the final 100%.
        self._sending = threading.Lock()

    def batch_done(self) -> None:
        self.done += 1
        try:
            self.poll()  # the workers' counts of the batch just done
        except Exception as exc:  # a missed count is not worth the run
            self._logger.debug("progress poll failed: %s", exc)
        self.report(log=False)

    def poll(self) -> None:
        """Add up the run's counts on the Dask workers (each keeps its own, `progress.run_counts`); TimeoutError
        after POLL_TIMEOUT_S (the callers skip a missed count)."""
        if self.client is not None:
            counts = self.client.run(run_counts, self.run_id, callback_timeout=POLL_TIMEOUT_S).values()
            BOARD.set_remote(self.run_id, tuple(map(sum, zip(*counts))) if counts else ())

    def report(self, log: bool = True) -> None:
        with self._sending:
            self._report(log)

    def _report(self, log: bool) -> None:
        snapshot = BOARD.snapshot(self.run_id)
        line = snapshot.describe()
        percent = 100.0 if self.done == self.batches else 100.0 * snapshot.fraction
        update_progress_artifact(self.artifact, percent, description=f"{self.description}: {line}")
        if log:
            self._logger.info("progress: %s", line)

    @contextmanager
    def reported_every(self, seconds: float) -> Iterator[None]:
        """A log line and an artifact update every `seconds` while the block runs (batches report as they end)."""
        stop = threading.Event()

        def tick() -> None:
            next_report = time.monotonic() + seconds
            while not stop.wait(min(POLL_S, seconds)):
                try:
                    self.poll()
                    if time.monotonic() >= next_report:
                        next_report += seconds
                        self.report()
                except Exception as exc:  # a missed report is not worth the run
                    self._logger.debug("progress report failed: %s", exc)

        thread = threading.Thread(target=tick, name="pagefold-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()


def check_parameters(**values: float | None) -> None:
    """Numbers that must be positive when given (workers, batch_mb, ...): storage.SetupError naming the first that
    is not, before anything starts."""
    for name, value in values.items():
        if value is not None and value <= 0:
            raise storage.SetupError(f"{name} must be more than 0, not {value}")


def _terminate(signum: int, frame) -> None:
    """SIGTERM in a body that Prefect's engine gave no handler of its own: stop as Prefect's handler does."""
    raise TerminationSignal(signal=signum)


def _signal_of(interruption: BaseException) -> int:
    if isinstance(interruption, stopping.Interrupted):
        return interruption.signum
    return interruption.signal if isinstance(interruption, TerminationSignal) else signal.SIGINT


def _stop(pending: dict[PrefectFuture, Batch], committing: dict[PrefectFuture, str], claims: DayClaims,
          summary: RunSummary, runner: BatchRunner) -> None:
    """Stop the run: let go of Dask (its batches not started are cancelled; a local cluster is closed, its workers
    stopping their batches at once), kill the extraction workers, give the batch threads STOP_WAIT_S to leave (they
    raise Stopped at their next page or wait), let a commit under way end (a day is published whole or not at
    all), then remove this run's staging and release its day locks."""
    if not runner.local:
        close_dask()
    pool.stop_now()
    deadline = time.monotonic() + STOP_WAIT_S
    for future in pending:
        future.wait(timeout=max(0.0, deadline - time.monotonic()))
    for future, day in committing.items():
        if summary.days[day].written is not None or summary.days[day].failures:
            continue  # recorded already, before the stop
        try:
            summary.add_commit(day, future.result())
        except Exception as exc:
            summary.add_failure(day, exc)
    claims.release_all()


def _pick_days(src: storage.Store, dst: storage.Store, date: dt.date | None, mode: Mode) -> list[str]:
    """The run's days: `date`, or every day of the source; of those, the days `mode` picks (`flows.plans`)."""
    days = storage.days_to_ingest(src, date.isoformat() if date else None)
    if mode == "all":
        return days
    plans = plan([dt.date.fromisoformat(day) for day in days], mode, src, dst)
    picked = [p.day for p in plans if p.run]
    get_run_logger().info("mode %s: %d of %d day(s) to run%s", mode, len(picked), len(plans),
                          "".join(f"; {p.day} not run: {p.reason}" for p in plans if not p.run)[:2000])
    return picked


def _claim_days(claims: DayClaims, days: list[str], summary: RunSummary) -> list[str]:
    """Lock each day for this run; a day another live run is writing fails, the others go on."""
    logger = get_run_logger()
    locked = []
    for day in days:
        try:
            lock = claims.claim(day)
        except Exception as exc:  # the run fails naming it: logged here for the UI, not printed twice by the CLI
            logger.info("day %s: not locked: %s", day, exc)
            summary.add_failure(day, exc)
            continue
        if lock.took_over:
            logger.warning("day %s: took over the lock of %s; its staging is removed", day, lock.took_over)
        locked.append(day)
    return locked


def _run_days(window: DayWindow, src, dst, run, limits, runner: BatchRunner, claims: DayClaims,
              summary: RunSummary, story_days: int, pending: dict[PrefectFuture, Batch],
              committing: dict[PrefectFuture, str]):
    """Run the days' batches with at most one more in flight than can run (memory does not grow with the day),
    and commit each day, one at a time on the flow's threads, as soon as its batches are done.

    Yields ("batch", day, Counts or exception) as batches finish (a failed
    batch fails its day; its batches not started are dropped; the other days
    go on), and ("commit", day, rows written or exception) as days commit; a
    day done with is released (its lock and staging) at once. `pending` and
    `committing` hold what is in flight, for a stop.
    """
    ready: deque[str] = deque()  # days whose batches are done, in order, waiting for the commit in flight
    while window.waiting or pending or committing or ready:
        while len(pending) < runner.slots and (batch := window.next_batch()) is not None:
            parameters = dict(batch=batch, source=src, dest=dst, run=run, limits=limits,
                              workers=runner.extract_workers)
            pending[runner.runner.submit(process_batch, parameters)] = batch
        if ready and not committing:
            day = ready.popleft()
            try:
                claims.locks[day].confirm()  # still ours: no other run took the day over meanwhile
            except Exception as exc:
                yield "commit", day, exc
                _done_with(day, window, claims)
                continue
            with stopping.deferred_signals():  # a commit started is a commit recorded, for a stop to finish it
                committing[commit_day.submit(dst, run.run_id, day, summary.days[day].counts.pages, story_days)] = day
        future = next(as_completed([*pending, *committing]))
        stopping.raise_if_requested()  # a signal whose exception Python dropped (signals_to_body) stops here
        if future in committing:
            day = committing[future]
            try:
                outcome = future.result()
            except Exception as exc:
                outcome = exc
            yield "commit", day, outcome
            del committing[future]  # recorded: a stop from now on has no commit to finish
            _done_with(day, window, claims)
            continue
        batch = pending.pop(future)
        try:
            outcome = future.result()
        except Exception as exc:
            outcome = exc
        yield "batch", batch.day, outcome
        if window.batch_done(batch, failed=isinstance(outcome, BaseException)):
            if summary.days[batch.day].failures:
                _done_with(batch.day, window, claims)
            else:
                ready.append(batch.day)


def _done_with(day: str, window: DayWindow, claims: DayClaims) -> None:
    """A day committed or given up: its lock and staging go, and its place in the window goes to the next day."""
    with stopping.deferred_signals():  # a lock taken off the run's list is a lock released
        claims.release(day)
    window.close(day)


def _report(summary: RunSummary) -> None:
    """The run's summary in its logs, in its markdown artifact `ingest-report` (for people) and in its table
    artifact `ingest-summary` (for the backfill's summary, which reads each day's counts from it)."""
    logger = get_run_logger()
    for line in summary.lines():
        logger.info(line)
    create_markdown_artifact(key="ingest-report", markdown=summary.markdown(),
                             description=f"Pagefold run {summary.run_id}: {summary.counts_name()}")
    create_table_artifact(
        key="ingest-summary",
        table=summary.table_rows() + [summary.total_row()],
        description=f"Pagefold run {summary.run_id}: {summary.headline()}",
    )
