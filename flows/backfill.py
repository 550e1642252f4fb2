"""The `backfill` flow: a range of days, one child `ingest-day` run per day, at most N at once.

Launched from its deployment, each day is a run of the `ingest-day`
deployment (created with `run_deployment`, so each day is visible,
retryable and cancellable on its own in the UI, and executed wherever that
deployment's work pool runs). Launched from the command line, with no
deployment around, each day is a subflow of this run in this process, one
day after another (they share this process's extraction pool).

Its `mode` picks the days to run (`tasks.running.backfill_plan`): every day, the
days missing in the lake, or the days whose last run failed or whose rows an
older `pipeline_version` wrote; a dry run only lists them, with the reason
for each, in its `backfill-plan` artifact. Every day run runs to its end; the
backfill then reports the days in a table artifact and fails if any day
failed. Each day's output is replaced, never appended, so re-running a
backfill redoes exactly the days it runs. Stopped (Ctrl-C under `pagefold
backfill`), it starts no further day.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
from dataclasses import dataclass

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.deployments import run_deployment
from prefect.exceptions import TerminationSignal
from prefect.futures import as_completed
from prefect.runtime import deployment, flow_run
from prefect.states import Cancelled, Completed, Failed

from flows import config
from flows.daily import ingest_day
from flows.plans import plan
from tasks.lake import staging as lake
from tasks.lake.storage import SetupError, Store, open_store
from tasks.running import stopping
from tasks.running.backfill_plan import DayPlan, Mode
from tasks.running.summary import day_ranges, state_label

DAY_DEPLOYMENT = "ingest-day/daily"


@dataclass(frozen=True)
class DayOutcome:
    day: str
    state: str  # the state's name: Completed, No raw objects, Failed, Crashed, ...
    message: str
    flow_run_id: str
    completed: bool  # of type Completed, whatever its name


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
    return DayOutcome(day.isoformat(), state_label(state.type.value, state.name), state.message or "", run_id,
                      state.is_completed())


def _run_name() -> str:
    """`backfill 2026-11-01..2026-11-07 missing` (`dry run` added for a dry run)."""
    p = flow_run.parameters
    return (f"backfill {p.get('start_date')}..{p.get('end_date')} {p.get('mode', 'all')}"
            f"{' dry run' if p.get('dry_run') else ''}")


@flow(name="backfill", flow_run_name=_run_name, log_prints=False)
def backfill(
    start_date: dt.date,
    end_date: dt.date,
    mode: Mode = "all",
    dry_run: bool = False,
    max_parallel_days: int = 2,
    source: str = "",
    dest: str = "",
) -> list[dict]:
    """Ingest the days from `start_date` to `end_date`, both included, that `mode` picks: one child run per day.

    Args:
        start_date: First day.
        end_date: Last day (included).
        mode: all: every day; missing: the days the lake does not hold; failed_or_outdated: the days whose last
            run failed, crashed or was cancelled, or whose rows an older pipeline_version wrote.
        dry_run: Only list the days that would run and why (artifact backfill-plan); run nothing.
        max_parallel_days: Days running at once (the daily deployment's concurrency limit also applies).
        source: Raw pages (folder or s3://bucket/prefix). Empty: PAGEFOLD_SOURCE or the variable pagefold_source.
        dest: The lake (folder or s3://bucket/prefix). Empty: PAGEFOLD_DEST or the variable pagefold_dest.
    """
    logger = get_run_logger()
    stopping.reset()
    try:
        settings = config.resolve(source, dest)
        store = open_store(settings.dest, settings.s3_endpoint)
        plans = plan(days_between(start_date, end_date), mode, open_store(settings.source, settings.s3_endpoint),
                     store)
    except SetupError as exc:  # one sentence, as the run's state and in the worker's terminal
        return config.setup_failed(exc)
    logger.info("%s; %s", settings.describe(), config.who_runs())
    days = [dt.date.fromisoformat(p.day) for p in plans if p.run]
    plan_rows = [{"date": p.day, "run": p.run, "reason": p.reason} for p in plans]
    headline = (f"Backfill {start_date}..{end_date}, mode {mode}: {len(days)} of {len(plans)} day(s) to run"
                f"{' (dry run: none run)' if dry_run else ''}")
    create_markdown_artifact(key="backfill-plan", markdown=plan_markdown(headline, plans), description=headline)
    logger.info(headline)
    if dry_run:
        return Completed(data=plan_rows, message=headline)
    overrides = {k: v for k, v in {"source": source, "dest": dest}.items() if v}
    as_deployment_run = deployment.id is not None
    logger.info("backfill %s..%s: %d day(s), as %s", start_date, end_date, len(days),
                f"runs of the ingest-day deployment, {max(1, max_parallel_days)} at once" if as_deployment_run
                else "subflows in this process, one after another")
    outcomes: list[DayOutcome] = []
    try:
        for outcome in _run_days(days, overrides, as_deployment_run, max(1, max_parallel_days)):
            (logger.info if outcome.completed else logger.error)(
                "day %s: %s %s", outcome.day, outcome.state, outcome.message)
            outcomes.append(outcome)
    except (KeyboardInterrupt, TerminationSignal) as interruption:  # between two days of `pagefold backfill`
        stopping.request(interruption.signal if isinstance(interruption, TerminationSignal) else signal.SIGINT)

    rows = _summary_rows(sorted(outcomes, key=lambda o: o.day), store)
    failed = [o.day for o in outcomes if not o.completed]
    ran = {o.day for o in outcomes}
    not_run = [p for p in plans if p.day not in ran]
    headline = (f"Backfill {start_date}..{end_date}, mode {mode}: {len(outcomes) - len(failed)} day(s) completed, "
                f"{len(failed)} failed, {len(not_run)} not run")
    create_markdown_artifact(key="backfill-summary", markdown=summary_markdown(headline, rows, _ui_url(), not_run),
                             description=headline)
    if stopping.requested():
        # The day under way may have committed before the stop reached it: its own run's message says so.
        completed = [o.day for o in outcomes if o.completed]
        stopped = [o.day for o in outcomes if not o.completed]
        waiting = [p.day for p in not_run if p.run]
        message = (f"backfill {start_date}..{end_date} stopped: {len(completed)} of {len(days)} day(s) completed"
                   + (f" ({day_ranges(completed)})" if completed else "")
                   + (f"; stopped: {day_ranges(stopped)} (its run says whether it was committed)" if stopped else "")
                   + (f"; not run: {day_ranges(waiting)}" if waiting else "")
                   + "; run it again with mode missing to do the rest")
        return Cancelled(data=BackfillIncomplete(message, rows), message=message)
    if failed:
        # The rows travel in the state's exception: the command line prints them as for a completed backfill.
        message = (f"backfill {start_date}..{end_date}: day(s) {', '.join(sorted(failed))} failed; retry them from "
                   "their own runs, or run the backfill again for them")
        return Failed(data=BackfillIncomplete(message, rows), message=message)
    pages, rejects = (sum(row[key] for row in rows if isinstance(row.get(key), int)) for key in ("pages", "rejects"))
    # Named by its counts: the first thing its page in the UI shows, and every list of runs.
    return Completed(data=rows, name=f"{len(outcomes)} day(s): {pages} pages, {rejects} rejects", message=headline)


class BackfillIncomplete(Exception):
    """A backfill with days that failed or, stopped, did not run; `rows`: the summary rows of the days that ran."""

    def __init__(self, message: str, rows: list[dict]):
        super().__init__(message, rows)
        self.rows = rows

    def __str__(self) -> str:
        return self.args[0]


def _run_days(days: list[dt.date], overrides: dict, as_deployment_run: bool, window: int):
    """Yield each day's DayOutcome as it ends. As deployment runs, at most `window` at once; here, one after
    another in this thread (the main one, where a Ctrl-C reaches the day's body), none once a stop was asked."""
    if not as_deployment_run:
        for day in days:
            if stopping.requested():
                return
            yield run_day(day, overrides, False)
        return
    queue, pending = list(reversed(days)), []
    while queue or pending:
        while queue and len(pending) < window:
            pending.append(run_day.submit(queue.pop(), overrides, True))
        done = next(as_completed(pending))
        pending.remove(done)
        yield done.result()


def plan_markdown(headline: str, plans: list[DayPlan]) -> str:
    """The plan as markdown: a table of the days, whether each runs, and why."""
    lines = [f"## {headline}", "", "| day | runs | why |", "|---|---|---|"]
    lines += [f"| {p.day} | {'yes' if p.run else 'no'} | {p.reason} |" for p in plans]
    return "\n".join(lines) + "\n"


def _summary_rows(outcomes: list[DayOutcome], dest: Store) -> list[dict]:
    """One row per day: its state, what its run counted (from its `ingest-summary` artifact), how long it ran, and
    the rows its partitions hold now."""
    from prefect.client.orchestration import get_client

    rows = []
    with get_client(sync_client=True) as client:
        for o in outcomes:
            written = lake.day_rows(dest, o.day)
            counts = _day_counts(client, o.flow_run_id, o.day)
            run = client.read_flow_run(o.flow_run_id)
            rows.append({"date": o.day, "state": o.state, **counts,
                         "seconds": round(run.total_run_time.total_seconds(), 1),
                         "documents in lake": written["documents"], "rejects in lake": written["rejects"],
                         # A plain Completed day's message repeats its counts: only other states' messages are kept.
                         "message": "" if o.state == "Completed" else o.message[:300], "flow run": o.flow_run_id,
                         "run name": run.name})
    return rows


COUNTS = ("pages", "documents", "rejects", "rejects by reason", "entities")


def _day_counts(client, flow_run_id: str, day: str) -> dict:
    """The day's row of its run's `ingest-summary` table artifact (empty counts when the run wrote none)."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
        flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=["ingest-summary"])))
    for artifact in artifacts:
        table = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
        for row in table:
            if row.get("date") == day:
                return {name: row.get(name, "") for name in COUNTS}
    return {name: "" for name in COUNTS}


def summary_markdown(headline: str, rows: list[dict], ui_url: str | None, not_run: list[DayPlan] = ()) -> str:
    """The backfill's summary as markdown, narrow enough for the Prefect UI at 1280 px: a table of the days (each
    day links to its run), a total row, then the rejects by reason of each day, the message of each day that did not
    complete, and the days not run with why. `ui_url`: the Prefect UI's base URL (None: run ids, no links)."""
    def day_cell(row: dict) -> str:
        return f"[{row['date']}]({ui_url.rstrip('/')}/runs/flow-run/{row['flow run']})" if ui_url else row["date"]

    def total(name: str):
        values = [row[name] for row in rows if isinstance(row.get(name), (int, float))]
        return round(sum(values), 1) if values else "-"

    def in_lake(documents, rejects) -> str:
        return f"{documents} + {rejects}"

    lines = [f"## {headline}", "", "| day | state | pages | documents | rejects | entities | seconds | in the lake |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cells = [day_cell(row), row["state"], *(row.get(name, "") for name in ("pages", "documents", "rejects",
                                                                               "entities", "seconds")),
                 in_lake(row["documents in lake"], row["rejects in lake"])]
        lines.append("| " + " | ".join(str(c) if c != "" else "-" for c in cells) + " |")
    lines.append(f"| **all days** | | {total('pages')} | {total('documents')} | {total('rejects')} | "
                 f"{total('entities')} | {total('seconds')} | "
                 f"{in_lake(total('documents in lake'), total('rejects in lake'))} |")
    lines += ["", "*in the lake*: the documents + rejects its partitions hold now. Each day links to its run."]
    by_reason: dict[str, int] = {}
    for row in rows:
        for part in filter(None, str(row.get("rejects by reason") or "").split(", ")):
            reason, _, n = part.rpartition(": ")
            if reason and n.isdigit():
                by_reason[reason] = by_reason.get(reason, 0) + int(n)
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"
    lines += ["", "**Rejects by reason**", "", f"- all days: {reasons}"]
    lines += [f"- {row['date']}: {row.get('rejects by reason') or '-'}" for row in rows]
    problems = [f"- **{row['date']}** {row['state']}: {row['message']}" for row in rows
                if row["message"] and row["state"] != "Completed"]
    skipped = [f"- {p.day}: not run: {p.reason if not p.run else 'the backfill was stopped first'}" for p in not_run]
    return "\n".join(lines + (["", *problems] if problems else []) + (["", *skipped] if skipped else [])) + "\n"


def _ui_url() -> str | None:
    from prefect.settings import PREFECT_UI_URL

    return PREFECT_UI_URL.value() or None
