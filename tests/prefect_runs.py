"""What Prefect recorded about a flow run's tasks, read back from its API."""

from __future__ import annotations


def batch_attempts(state) -> int:
    """Runs of the flow run's batch tasks, retries included (a batch that ran once counts 1)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    return sum(max(1, r.run_count) for r in runs if r.name.startswith("batch "))
