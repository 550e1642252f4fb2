"""The `ingest-day` flow: one day of raw pages, the unit that schedules and backfills run.

A scheduled run processes the day before its *scheduled* start, read from
Prefect, not from the clock: a run that starts late, or is retried the next
week, still processes the day it was scheduled for. Days are UTC days, as
the raw `dt=` folders are.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows import config
from flows.ingest import ingest
from tasks.lake.storage import SetupError


def day_before(scheduled: dt.datetime) -> dt.date:
    """The UTC day before a scheduled start."""
    return scheduled.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)


def day_to_process(date: dt.date | None) -> dt.date:
    """The day given, else the day before this flow run's scheduled start."""
    return date or day_before(flow_run.scheduled_start_time)


def _run_name() -> str:
    return f"day-{day_to_process(flow_run.parameters.get('date'))}"


@flow(name="ingest-day", flow_run_name=_run_name, log_prints=False)
def ingest_day(
    date: dt.date | None = None,
    source: str = "",
    dest: str = "",
    workers: int | None = None,
    batch_mb: int = 64,
) -> dict:
    """Ingest one day of raw pages into the lake, replacing that day's output.

    Args:
        date: The day to process (its dt= folder). Empty: the day before this run's scheduled start, in UTC.
        source: Raw pages (folder or s3://bucket/prefix). Empty: PAGEFOLD_SOURCE or the variable pagefold_source.
        dest: The lake (folder or s3://bucket/prefix). Empty: PAGEFOLD_DEST or the variable pagefold_dest.
        workers: Extraction processes on this machine. Empty: one per core.
        batch_mb: Raw megabytes per batch (one task per batch).
    """
    try:
        settings = config.resolve(source, dest)
    except SetupError as exc:  # one sentence, as the run's state and in the worker's terminal
        return config.setup_failed(exc)
    get_run_logger().info("day %s: %s; %s", day_to_process(date), settings.describe(), config.who_runs())
    return ingest.fn(source=settings.source, dest=settings.dest, date=day_to_process(date),
                     s3_endpoint=settings.s3_endpoint, workers=workers, batch_mb=batch_mb)
