"""Prefect's telemetry kept off where Pagefold's flows are loaded, when the environment says so (DO_NOT_TRACK).

Prefect 3.9 sends no event when DO_NOT_TRACK is set, yet on a terminal it
still records "milestones" (first flow defined, first flow run, first
deployment) and a device id under $PREFECT_HOME/.sdk_telemetry/: its
`try_mark_milestone` does not read DO_NOT_TRACK. Pagefold sets DO_NOT_TRACK
(flows/prefect_defaults.py, the Makefile's server, deploy and worker);
`keep_off` makes that step honour it, in every process that loads the
flows: the pagefold command, `prefect deploy`, a worker's flow runs.
"""

from __future__ import annotations


def keep_off() -> None:
    """When Prefect's telemetry is off (DO_NOT_TRACK, or a CI machine), record no milestone either."""
    from prefect._internal import analytics

    if not analytics.is_telemetry_enabled() and hasattr(analytics, "try_mark_milestone"):
        analytics.try_mark_milestone = _no_milestone


def _no_milestone(milestone: str) -> bool:
    return False
