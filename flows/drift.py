"""Drift alarms of a run: checked after each day commits, sent where an operator looks.

Each alarm is a WARNING log line; each host with alarms on a day is one
Prefect event `pagefold.drift.detected` (resource: the host), which a Prefect
Automation can turn into a notification (docs/stories-and-health.md, "Day health and drift
alarms"); the run's alarms are its table artifact `drift`. The rule itself is
`tasks.health.drift.drift_sql`, which the `drift` view of `pagefold query` applies too.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from tasks import query
from tasks.health import drift as health
from tasks.lake.storage import Store


@task(name="check-drift", task_run_name="drift {day}", cache_policy=NO_CACHE)
def check_drift(dest: Store, day: str, rules: health.DriftRules) -> list[dict]:
    """The committed `day`'s alarms against its trailing days in the lake; each logged, each host's sent as an event.

    Returns the alarms as dicts of `health.ALARM_COLUMNS` (dates as 'YYYY-MM-DD'); none for a host without history.
    """
    import pyarrow.dataset as ds  # here, not at the top: it imports pandas (1 s of CPU)

    end = dt.date.fromisoformat(day)
    start = end - dt.timedelta(days=rules.history_days)
    rows = query.dataset(dest, "health").to_table(filter=(ds.field("date") >= start) & (ds.field("date") <= end))
    alarms = [{**alarm, "date": alarm["date"].isoformat()}
              for alarm in health.drift_alarms(rows, end, rules).to_pylist()]
    logger = get_run_logger()
    for alarm in alarms:
        logger.warning("drift on %s, %s: %s", alarm["hostname"], day, alarm["message"])
    for host, host_alarms in groupby(alarms, key=lambda alarm: alarm["hostname"]):
        emit_event(
            event=health.EVENT,
            resource={"prefect.resource.id": f"pagefold.host.{host}", "prefect.resource.name": host},
            payload={"date": day, "hostname": host, "alarms": list(host_alarms)},
        )
    return alarms


def check_day(dest: Store, day: str, rules: health.DriftRules) -> list[dict] | None:
    """`check_drift`, or None, logged as an ERROR, when the check itself fails: the day stays committed."""
    try:
        return check_drift(dest, day, rules)
    except Exception:
        get_run_logger().exception("day %s: drift not checked", day)
        return None


def report(run_id: str, alarms: list[dict], rules: health.DriftRules) -> None:
    """The run's table artifact `drift`: one row per alarm (none: an empty table that says so)."""
    hosts = sorted({alarm["hostname"] for alarm in alarms})
    verdict = f"{len(alarms)} alarm(s) on {', '.join(hosts)}" if alarms else "no drift alarm"
    create_table_artifact(
        key="drift", table=alarms,
        description=f"Pagefold run {run_id}: {verdict} (hosts with at least {rules.min_pages} pages, against their "
                    f"previous {rules.history_days} days; a field falling by more than {rules.fill_drop_points:g} "
                    "points)")
