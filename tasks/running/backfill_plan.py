"""Which days of a backfill to run, and why: the backfill's `mode` against the lake and each day's last run.

Pure: the caller reads what the lake holds (`tasks.lake.staging.day_versions`) and
how each day's last finished run ended (Prefect, `flows.backfill`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from packaging.version import InvalidVersion, Version

Mode = Literal["all", "missing", "failed_or_outdated"]
MODES: tuple[Mode, ...] = ("all", "missing", "failed_or_outdated")
# The final states of a day's run that did not write it (Prefect state types).
NOT_WRITTEN = ("FAILED", "CRASHED", "CANCELLED")


@dataclass(frozen=True)
class LastRun:
    """How a day's most recent finished run ended: its Prefect state type (COMPLETED, FAILED, CRASHED, CANCELLED),
    state name, run name and id."""

    state_type: str
    state_name: str
    name: str
    flow_run_id: str


@dataclass(frozen=True)
class DayPlan:
    day: str  # YYYY-MM-DD
    run: bool
    reason: str


def plan_days(days: list[str], mode: Mode, lake_versions: dict[str, set[str]], last_runs: dict[str, LastRun],
              current_version: str, source_days: set[str]) -> list[DayPlan]:
    """One DayPlan per day, in the order given.

    `lake_versions`: the `pipeline_version` values of each day's rows in the
    lake (no entry or an empty set: the day is not in the lake). `last_runs`:
    each day's most recent finished run, if any. `source_days`: the days with
    a `dt=` folder in the source; the others are never run (there is nothing
    to read; a run would end "No raw objects"). Modes (issue 12):
    `all` runs every day; `missing` the days the lake does not hold;
    `failed_or_outdated` the days whose last run did not complete
    (FAILED, CRASHED, CANCELLED) or whose rows were written by a
    `pipeline_version` older than `current_version` (PEP 440 order; a version
    that does not parse counts as older). Raises ValueError for another mode.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    plans = []
    for day in days:
        versions, last = lake_versions.get(day) or set(), last_runs.get(day)
        held = f"in the lake, written by pipeline {', '.join(sorted(versions))}" if versions else "not in the lake"
        if day not in source_days:
            plans.append(DayPlan(day, False, f"no dt={day} folder in the source: nothing to read ({held})"))
        elif mode == "all":
            plans.append(DayPlan(day, True, f"mode all ({held})"))
        elif mode == "missing":
            plans.append(DayPlan(day, not versions, held))
        elif last is not None and last.state_type in NOT_WRITTEN:
            plans.append(DayPlan(day, True, f"its last run {last.name} ended {last.state_name}"))
        elif older := sorted(v for v in versions if _older(v, current_version)):
            plans.append(DayPlan(day, True, f"written by pipeline {', '.join(older)}, older than {current_version}"))
        elif versions:
            plans.append(DayPlan(day, False, f"{held} (current), last run "
                                             f"{'not recorded' if last is None else last.state_name}"))
        else:
            plans.append(DayPlan(day, False, "not in the lake and no failed run recorded (mode missing runs it)"))
    return plans


def _older(version: str, current: str) -> bool:
    try:
        return Version(version) < Version(current)
    except InvalidVersion:
        return True
