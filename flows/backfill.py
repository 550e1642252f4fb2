"""The `backfill` flow: a range of days, one child `ingest-day` run per day, at most N at once.

Launched from its deployment, each day is a run of the `ingest-day`
deployment (created with `run_deployment`, so each day is visible,
retryable and cancellable on its own in the UI, and executed wherever that
deployment's work pool runs). Launched from the command line, with no
deployment around, each day is a subflow of this run in this process, one
day after another (they share this process's extraction pool).

Every day runs to its end; the backfill then reports the days in a table
artifact and fails if any day failed. Each day's output is replaced, never
appended, so re-running a backfill redoes exactly the days it is given.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.deployments import run_deployment
from prefect.futures import as_completed
from prefect.runtime import deployment, flow_run

from flows import config
from flows.daily import ingest_day
from tasks import lake
from tasks.storage import Store, open_store

DAY_DEPLOYMENT = "ingest-day/daily"


@dataclass(frozen=True)
class DayOutcome:
    day: str
    state: str
    message: str
    flow_run_id: str


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise ValueError(f"end_date {end} is before start_date {start}")
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


@task(name="backfill-day", task_run_name="day {day}", cache_policy=NO_CACHE)
def run_day(day: dt.date, overrides: dict, as_deployment_run: bool) -> DayOutcome:
    """Run one day to its end and say how it ended; a failed day does not stop the others."""
    if as_deployment_run:
        # The key makes a repeated request (a retried task) return the same child run instead of a second one.
        key = f"{flow_run.id}-{day}-try{flow_run.run_count}"
        child = run_deployment(os.environ.get("PAGEFOLD_DAY_DEPLOYMENT", DAY_DEPLOYMENT),
                               parameters={"date": day.isoformat(), **overrides}, idempotency_key=key, timeout=None)
        state, run_id = child.state, str(child.id)
    else:
        state = ingest_day(date=day, **overrides, return_state=True)
        run_id = str(state.state_details.flow_run_id)
    return DayOutcome(day.isoformat(), state.name, state.message or "", run_id)


@flow(name="backfill", log_prints=False)
def backfill(
    start_date: dt.date,
    end_date: dt.date,
    max_parallel_days: int = 2,
    source: str = "",
    dest: str = "",
) -> list[dict]:
    """Ingest every day from `start_date` to `end_date`, both included, as one child run per day.

    Args:
        start_date: First day to ingest.
        end_date: Last day to ingest (included).
        max_parallel_days: Days running at once (the daily deployment's concurrency limit also applies).
        source: Raw pages (folder or s3://bucket/prefix). Empty: PAGEFOLD_SOURCE or the variable pagefold_source.
        dest: The lake (folder or s3://bucket/prefix). Empty: PAGEFOLD_DEST or the variable pagefold_dest.
    """
    logger = get_run_logger()
    days = days_between(start_date, end_date)
    settings = config.resolve(source, dest)
    overrides = {k: v for k, v in {"source": source, "dest": dest}.items() if v}
    as_deployment_run = deployment.id is not None
    window = max(1, max_parallel_days) if as_deployment_run else 1
    logger.info("backfill %s..%s: %d day(s), %d at once, as %s", start_date, end_date, len(days), window,
                "runs of the ingest-day deployment" if as_deployment_run else "subflows in this process")

    outcomes: list[DayOutcome] = []
    queue, pending = list(reversed(days)), []
    while queue or pending:
        while queue and len(pending) < window:
            pending.append(run_day.submit(queue.pop(), overrides, as_deployment_run))
        done = next(as_completed(pending))
        pending.remove(done)
        outcome = done.result()
        (logger.info if outcome.state == "Completed" else logger.error)(
            "day %s: %s %s", outcome.day, outcome.state, outcome.message)
        outcomes.append(outcome)

    rows = _summary_rows(sorted(outcomes, key=lambda o: o.day), open_store(settings.dest, settings.s3_endpoint))
    failed = [o.day for o in outcomes if o.state != "Completed"]
    create_table_artifact(key="backfill-summary", table=rows,
                          description=f"Backfill {start_date}..{end_date}: {len(days) - len(failed)} day(s) "
                                      f"completed, {len(failed)} failed")
    if failed:
        raise RuntimeError(f"backfill {start_date}..{end_date}: day(s) {', '.join(sorted(failed))} failed; "
                           "retry them from their own runs, or run the backfill again for them")
    return rows


def _summary_rows(outcomes: list[DayOutcome], dest: Store) -> list[dict]:
    rows = []
    for o in outcomes:
        written = lake.day_rows(dest, o.day)
        rows.append({"date": o.day, "state": o.state, "documents in lake": written["documents"],
                     "rejects in lake": written["rejects"], "message": o.message[:300], "flow run": o.flow_run_id})
    return rows
