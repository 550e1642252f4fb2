"""Which of a run's days to run: the `mode` of a backfill or an ingest, against the lake and Prefect's records.

The rule is `tasks.running.backfill_plan.plan_days`; this module reads what it
needs: the source's dt= folders, the lake's versions of each day and, for
`failed_or_outdated`, each day's last finished run in the Prefect the
process uses.
"""

from __future__ import annotations

import datetime as dt
import itertools
from importlib.metadata import version

from tasks.lake import staging as lake
from tasks.lake.storage import Store, list_days, open_store
from tasks.running.backfill_plan import DayPlan, LastRun, Mode, plan_days


def plan(days: list[dt.date], mode: Mode, source: Store, dest: Store) -> list[DayPlan]:
    """The run's days with what `mode` does with each: the source's dt= folders, the lake's versions of the
    days, and (for failed_or_outdated) their last finished runs in Prefect that wrote to `dest`."""
    names = [d.isoformat() for d in days]
    versions = {day: lake.day_versions(dest, day) for day in names}
    last = last_runs(names, dest.url) if mode == "failed_or_outdated" else {}
    return plan_days(names, mode, versions, last, version("pagefold"), set(list_days(source)))


def last_runs(days: list[str], dest_url: str) -> dict[str, LastRun]:
    """Each day's most recent finished run, by end time, of `ingest-day` (run name `day-<date>`) or of
    `pagefold ingest --date` (`ingest <date>`) that wrote to the lake at `dest_url` (a run whose `dest` parameter
    was empty took the deployment's setting, and counts). Reads every such run, a page of 200 at a time."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterName,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    by_name = {f"day-{day}": day for day in days} | {f"ingest {day}": day for day in days}
    finished = [StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED]
    runs_filter = FlowRunFilter(name=FlowRunFilterName(any_=list(by_name)),
                                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=finished)))
    found: dict[str, LastRun] = {}
    with get_client(sync_client=True) as client:
        for offset in itertools.count(0, PAGE):
            runs = client.read_flow_runs(flow_run_filter=runs_filter, sort=FlowRunSort.END_TIME_DESC, limit=PAGE,
                                         offset=offset)
            for run in runs:  # newest first: the first seen of a day is its last
                day, wrote_to = by_name[run.name], run.parameters.get("dest")
                if day not in found and (not wrote_to or open_store(str(wrote_to)).url == dest_url):
                    found[day] = LastRun(run.state.type.value, run.state.name, run.name, str(run.id))
            if len(runs) < PAGE or len(found) == len(days):
                return found


PAGE = 200  # flow runs per request (the API's largest page)
