"""The deployment definitions, registered for real with `prefect deploy` against the test Prefect API."""

from __future__ import annotations

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
    assert daily.entrypoint == "flows/daily.py:ingest_day"
    assert daily.work_pool_name == "pagefold-test"
    [schedule] = daily.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == ("30 3 * * *", "Europe/Paris", True)
    assert daily.global_concurrency_limit.limit == 2
    date = daily.parameter_openapi_schema["properties"]["date"]
    assert {"type": "string", "format": "date"} in date["anyOf"] and date["default"] is None


def test_the_backfill_form_has_two_required_date_fields_and_a_parallelism_cap(deployments):
    backfill = deployments["backfill/backfill"]
    assert backfill.entrypoint == "flows/backfill.py:backfill"
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
