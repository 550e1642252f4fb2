"""Prefect in the tests: deployments registered as `make deploy` does, and what Prefect recorded about runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def api_url() -> str:
    """The test Prefect API's URL, for processes the tests start."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def register_deployments(pool: str, **env_vars: str) -> subprocess.CompletedProcess:
    """`make deploy` against the test Prefect API: the work pool `pool` (a process pool), then every deployment of
    deployments/prefect.yaml, registered from the repository's root; `env_vars` are added to its environment."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"), overwrite=True)
    env = {**os.environ, "PREFECT_API_URL": api_url(), "PAGEFOLD_WORK_POOL": pool,
           "PAGEFOLD_SCHEDULE_CRON": "0 2 * * *", "PAGEFOLD_SCHEDULE_TIMEZONE": "UTC", **env_vars}  # make's defaults
    result = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def batch_attempts(state) -> int:
    """Runs of the flow run's batch tasks, retries included (a batch that ran once counts 1)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    return sum(max(1, r.run_count) for r in runs if r.name.startswith("batch "))
