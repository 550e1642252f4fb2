"""The deployment definitions, registered for real with `prefect deploy` against the test Prefect API."""

from __future__ import annotations

import os

import pytest
from prefect.client.orchestration import get_client

from tests.prefect_runs import register_deployments


@pytest.fixture(scope="module")
def deployments(prefect_harness):
    """Register deployments/prefect.yaml as `make deploy` does, with a non-default schedule; read them back."""
    register_deployments("pagefold-test", PAGEFOLD_SCHEDULE_CRON="30 3 * * *",
                         PAGEFOLD_SCHEDULE_TIMEZONE="Europe/Paris")
    with get_client(sync_client=True) as client:
        return {name: client.read_deployment_by_name(name) for name in ("ingest-day/daily", "backfill/backfill")}


def test_the_daily_deployment_runs_the_day_flow_on_the_configured_cron(deployments):
    daily = deployments["ingest-day/daily"]
    assert daily.entrypoint == "flows.daily.ingest_day"  # a module path: any process imports it by name
    assert daily.work_pool_name == "pagefold-test"
    [schedule] = daily.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == ("30 3 * * *", "Europe/Paris", True)
    assert daily.global_concurrency_limit.limit == 2
    date = daily.parameter_openapi_schema["properties"]["date"]
    assert {"type": "string", "format": "date"} in date["anyOf"] and date["default"] is None


def test_the_backfill_form_has_two_required_date_fields_and_a_parallelism_cap(deployments):
    backfill = deployments["backfill/backfill"]
    assert backfill.entrypoint == "flows.backfill.backfill"
    assert backfill.schedules == []
    schema = backfill.parameter_openapi_schema
    for field in ("start_date", "end_date"):
        assert (schema["properties"][field]["type"], schema["properties"][field]["format"]) == ("string", "date")
    assert schema["required"] == ["start_date", "end_date"]
    assert schema["properties"]["max_parallel_days"]["default"] == 2


def test_no_deployment_parameter_can_carry_a_secret(deployments):
    for deployment in deployments.values():
        names = set(deployment.parameter_openapi_schema["properties"])
        assert not {n for n in names if any(w in n for w in ("key", "secret", "password", "token", "credential"))}
        assert deployment.parameters == {}


@pytest.mark.parametrize("name", ["ingest-day/daily", "backfill/backfill"])
def test_source_and_dest_are_plain_optional_text_fields_in_the_run_forms(deployments, name):
    """The UI renders a schema with anyOf (`str | None`) as a type toggle; a plain string is a text field."""
    schema = deployments[name].parameter_openapi_schema
    for field in ("source", "dest"):
        prop = schema["properties"][field]
        assert (prop.get("type"), prop.get("default"), "anyOf" in prop) == ("string", "", False), prop
        assert field not in schema.get("required", [])


def test_pagefold_settings_says_what_deployed_runs_read_and_how_to_set_what_is_missing(prefect_harness, tmp_path):
    """`make deploy` ends with it (issue 24's trial: nothing said that source and dest must be set first)."""
    import subprocess
    import sys
    from pathlib import Path

    from prefect.variables import Variable

    from tests.prefect_runs import api_url

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_", "AWS_ENDPOINT"))}
    env.update(PREFECT_API_URL=api_url(), PAGEFOLD_SOURCE=str(tmp_path / "raw"), COLUMNS="80")
    Variable.set("pagefold_s3_endpoint", "http://minio.internal:9000", overwrite=True)
    try:
        result = subprocess.run([str(Path(sys.executable).with_name("pagefold")), "settings"], env=env,
                                capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    finally:
        Variable.unset("pagefold_s3_endpoint")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"  source       {tmp_path / 'raw'} (PAGEFOLD_SOURCE)" in lines
    assert ("  lake         NOT SET, runs fail: set PAGEFOLD_DEST where the worker runs, or run `prefect variable set "
            "pagefold_dest s3://bucket/lake`, or pass dest as a parameter of the run") in lines
    assert "  S3 endpoint  http://minio.internal:9000 (variable pagefold_s3_endpoint)" in lines
    assert lines[-1] == "Before the first run, set dest as said above."
