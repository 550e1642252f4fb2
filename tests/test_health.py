"""Day health and drift alarms: the rule on made-up health rows, then 15 real days through the ingest flow.

The flow test ingests 15 days of two invented sites (tests/driftsite.py); on day 15 the first site's
template changes (its headline leaves og:title, its byline goes). The run's alarms are read back where an
operator finds them: the run summary, the `drift` artifact, Prefect's events API and `pagefold query`'s
`drift` view; the `health` rows are checked against DuckDB over the day's documents and rejects.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from schemas import HEALTH, HEALTH_FIELDS
from tasks.health.drift import DriftRules, drift_alarms
from tasks.lake.storage import open_store
from tasks.query import open_lake, read_pandas, with_partition_column
from tests.driftsite import CHANGING, STEADY, write_days

FIRST = dt.date(2026, 11, 1)
DAY15 = FIRST + dt.timedelta(days=14)
PER_SITE = 5  # articles per site and day: few, so 15 days stay fast; the drift floor is lowered to match


# --- The rule, on health rows made up for it ---------------------------------------------------------------------

def health_row(day: int, host: str, pages: int = 20, title_source: str = "meta", authors: float = 1.0,
               words: float = 300.0, rejects: int = 0) -> dict:
    """A health row of day `day` (1 = FIRST): every document has a title from `title_source`, `authors` of them
    have authors (from the page), no other field."""
    documents = pages - rejects
    row = {name: 0.0 for name in (f"{f}_share" for f in HEALTH_FIELDS)}
    row.update({f"{f}_sources": {} for f in HEALTH_FIELDS if f != "entities"})
    row.update(date=FIRST + dt.timedelta(days=day - 1), hostname=host, pages=pages, documents=documents,
               rejects=rejects, rejects_by_reason={"no_main_content": rejects} if rejects else {},
               title_share=1.0, title_source=title_source, title_sources={title_source: documents},
               authors_share=authors, authors_source="page" if authors else None,
               authors_sources={"page": round(authors * documents)} if authors else {},
               text_words_median=words, text_words_p10=words / 2, field_issues_share=0.0, run_id="r",
               ingested_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), pipeline_version="test")
    return row


def alarms_of(rows: list[dict], day: int = 15, rules: DriftRules = DriftRules()) -> list[tuple[str, str]]:
    table = pa.Table.from_pylist(rows, schema=with_partition_column(HEALTH))
    alarms = drift_alarms(table, FIRST + dt.timedelta(days=day - 1), rules).to_pylist()
    return [(a["hostname"], a["measure"]) for a in alarms]


def steady(host: str, days: range = range(1, 15), **changes) -> list[dict]:
    return [health_row(day, host, **changes) for day in days]


def test_a_field_that_empties_or_leaves_its_usual_source_raises_one_alarm_each():
    rows = steady("a.example") + [health_row(15, "a.example", title_source="trafilatura", authors=0.0)]
    assert alarms_of(rows) == [("a.example", "authors"), ("a.example", "title")]


def test_a_fall_of_30_points_is_not_an_alarm_but_a_larger_one_is():
    assert alarms_of(steady("a.example") + [health_row(15, "a.example", authors=0.7)]) == []
    assert alarms_of(steady("a.example") + [health_row(15, "a.example", authors=0.65)]) == [("a.example", "authors")]
    assert alarms_of(steady("a.example") + [health_row(15, "a.example", authors=0.65)],
                     rules=DriftRules(fill_drop_points=40)) == []


def test_text_halving_and_rejects_doubling_raise_alarms():
    rows = steady("short.example") + [health_row(15, "short.example", words=140.0)]
    rows += steady("nearly.example") + [health_row(15, "nearly.example", words=160.0)]
    rows += steady("rejecting.example", rejects=2) + [health_row(15, "rejecting.example", rejects=5)]
    rows += steady("first-rejects.example") + [health_row(15, "first-rejects.example", rejects=2)]  # 10 points up
    rows += steady("doubled-few.example", rejects=1) + [health_row(15, "doubled-few.example", rejects=3)]  # 5 -> 15%
    assert alarms_of(rows) == [("rejecting.example", "reject_share"), ("short.example", "text_words_median")]


def test_no_alarm_without_history_or_below_the_page_floor():
    broken = {"title_source": "trafilatura", "authors": 0.0}
    rows = [health_row(15, "new.example", **broken)]  # no history at all
    rows += [health_row(0, "old.example"), health_row(15, "old.example", **broken)]  # history: 15 days before
    rows += steady("small.example") + [health_row(15, "small.example", pages=19, **broken)]  # 19 pages that day
    rows += [health_row(14, "thin.example", pages=10), health_row(15, "thin.example", **broken)]  # 10 pages of history
    assert alarms_of(rows) == []
    assert alarms_of(rows, rules=DriftRules(min_pages=10)) == [("small.example", "authors"), ("small.example", "title"),
                                                               ("thin.example", "authors"), ("thin.example", "title")]


def test_drift_rules_come_from_settings_with_defaults():
    rules = DriftRules.from_settings({"drift_min_pages": "5", "drift_fill_drop_points": "25"}.get)
    assert rules == DriftRules(min_pages=5, fill_drop_points=25.0)
    with pytest.raises(ValueError):
        DriftRules.from_settings({"drift_min_pages": "many"}.get)


# --- 15 days through the ingest flow -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fifteen_days(tmp_path_factory, prefect_harness):
    """One ingest run over 15 days of both sites, with a drift floor of PER_SITE pages."""
    from flows.ingest import ingest

    root = tmp_path_factory.mktemp("drift")
    write_days(root / "raw", FIRST, days=15, per_site=PER_SITE, broken_from=15)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAGEFOLD_DRIFT_MIN_PAGES", str(PER_SITE))
        state = ingest(source=str(root / "raw"), dest=str(root / "lake"), workers=1, return_state=True)
    return root, state.result(), state.state_details.flow_run_id


def test_day_15_raises_exactly_the_alarms_of_the_fields_that_broke(fifteen_days):
    _, summary, _ = fifteen_days
    assert summary["reconciled"]
    alarms = [(a["date"], a["hostname"], a["measure"]) for a in summary["drift_alarms"]]
    assert alarms == [(DAY15.isoformat(), CHANGING, "authors"), (DAY15.isoformat(), CHANGING, "title")]
    title = next(a["message"] for a in summary["drift_alarms"] if a["measure"] == "title")
    # Where the title comes from once og:title is gone (the page's <title>, trafilatura) is the extractor's
    # business; the alarm names the source that was lost.
    assert "from meta in 100% before, 0% today, now mostly from " in title


def test_the_drift_view_of_the_lake_shows_the_same_alarms(fifteen_days):
    root, _, _ = fifteen_days
    con, views = open_lake(open_store(str(root / "lake")), DriftRules(min_pages=PER_SITE))
    assert views == ["documents", "entities", "rejects", "health", "stories", "drift"]
    rows = con.execute("SELECT date, hostname, measure, baseline, current, baseline_source, current_source "
                       "FROM drift ORDER BY ALL").fetchall()
    assert rows == [(DAY15, CHANGING, "authors", 1.0, 0.0, "meta", None),
                    (DAY15, CHANGING, "title", 1.0, 1.0, "meta", day15_title_source(con))]


def day15_title_source(con) -> str:
    """Where the changed site's titles come from on day 15, by its documents (the extractor's next source)."""
    [(source,)] = con.execute("SELECT mode(field_sources.title) FROM documents WHERE date = ? AND hostname = ?",
                              [DAY15, CHANGING]).fetchall()
    assert source != "meta"
    return source


def drift_events(flow_run_id, wait_s: float = 30.0) -> list:
    """The drift events of a flow run, as the Prefect server's events API (what Automations read) returns them.

    The server stores events a few seconds after they arrive: ask until some are there, for at most `wait_s`.
    """
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all()  # sent from this process
    query = EventFilter(event=EventNameFilter(name=["pagefold.drift.detected"]),
                        related=EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"]))
    deadline = time.monotonic() + wait_s
    with get_client(sync_client=True) as client:
        while True:
            events = client.read_events(filter=query, limit=50).events
            if events or time.monotonic() > deadline:
                return events
            time.sleep(0.5)


def test_pagefold_query_shows_the_drift_view_under_the_environments_rules(fifteen_days, command_home):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root, _, _ = fifteen_days
    command = [str(Path(sys.executable).with_name("pagefold")), "query", "--lake", str(root / "lake")]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))},
           "PAGEFOLD_PREFECT_HOME": str(command_home), "COLUMNS": "200"}
    sql = "SELECT hostname, measure, current_source FROM drift"
    lowered = subprocess.run([*command, sql], env={**env, "PAGEFOLD_DRIFT_MIN_PAGES": str(PER_SITE)},
                             capture_output=True, text=True, timeout=120)
    assert lowered.returncode == 0, lowered.stderr
    rows = [line.split("│")[1:4] for line in lowered.stdout.splitlines() if CHANGING in line]
    con, _ = open_lake(open_store(str(root / "lake")))
    assert [[cell.strip() for cell in row] for row in rows] == [[CHANGING, "authors", ""],
                                                                [CHANGING, "title", day15_title_source(con)]]
    default = subprocess.run([*command, sql], env=env, capture_output=True, text=True, timeout=120)
    assert default.returncode == 0 and CHANGING not in default.stdout  # 5 pages a day: under the floor of 20
    described = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert "Host whose pages drifted." in described.stdout


def test_the_event_reaches_prefects_events_api_once_for_the_broken_host(fifteen_days):
    _, _, flow_run_id = fifteen_days
    [event] = drift_events(flow_run_id)
    assert event.resource.id == f"pagefold.host.{CHANGING}" and event.resource.name == CHANGING
    assert event.payload["date"] == DAY15.isoformat()
    assert sorted(a["measure"] for a in event.payload["alarms"]) == ["authors", "title"]


def test_the_run_summary_and_the_drift_artifact_show_the_alarms(fifteen_days):
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId

    _, _, flow_run_id = fifteen_days
    tables = {}
    with get_client(sync_client=True) as client:
        for key in ("drift", "ingest-summary"):
            [artifact] = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            tables[key] = json.loads(artifact.data)
    assert [(row["hostname"], row["measure"]) for row in tables["drift"]] == [(CHANGING, "authors"),
                                                                              (CHANGING, "title")]
    drift_by_day = {row["date"]: row["drift alarms"] for row in tables["ingest-summary"]}
    assert drift_by_day.pop(DAY15.isoformat()) == f"{CHANGING}: authors, title"
    assert drift_by_day.pop("all days") == "2"
    assert set(drift_by_day.values()) == {"none"}


HEALTH_SQL = """
WITH d AS (
    SELECT hostname, count(*) AS documents,
           avg(CASE WHEN title IS NULL THEN 0 ELSE 1 END) AS title_share,
           avg(CASE WHEN len(authors) > 0 THEN 1 ELSE 0 END) AS authors_share,
           avg(CASE WHEN published_at IS NULL THEN 0 ELSE 1 END) AS published_at_share,
           avg(CASE WHEN entity_count > 0 THEN 1 ELSE 0 END) AS entities_share,
           mode(field_sources.title) AS title_source, mode(field_sources.published_at) AS published_at_source,
           count(field_sources.authors) AS authors_from_anywhere,
           median(word_count) AS text_words_median, quantile_cont(word_count, 0.1) AS text_words_p10,
           avg(CASE WHEN len(field_issues) > 0 THEN 1 ELSE 0 END) AS field_issues_share
    FROM read_parquet('{lake}/documents/date={day}/*.parquet') GROUP BY hostname),
r AS (
    SELECT regexp_extract(url, '^https?://(www\\.)?([^/:]+)', 2) AS hostname, count(*) AS rejects
    FROM read_parquet('{lake}/rejects/date={day}/*.parquet') GROUP BY 1)
SELECT coalesce(d.hostname, nullif(r.hostname, '')) AS hostname,
       coalesce(documents, 0) + coalesce(rejects, 0) AS pages, coalesce(documents, 0) AS documents,
       coalesce(rejects, 0) AS rejects, title_share, authors_share, published_at_share, entities_share,
       title_source, published_at_source, coalesce(authors_from_anywhere, 0), text_words_median, text_words_p10, field_issues_share
FROM d FULL JOIN r ON d.hostname = r.hostname ORDER BY hostname NULLS LAST
"""


@pytest.mark.parametrize("day", [FIRST, DAY15], ids=["day1", "day15"])
def test_a_days_health_is_what_duckdb_counts_over_its_documents_and_rejects(fifteen_days, day):
    root, _, _ = fifteen_days
    expected = duckdb.sql(HEALTH_SQL.format(lake=root / "lake", day=day)).fetchall()
    health = read_pandas(str(root / "lake"), "health", filters=[("date", "=", day)])
    sources = health.authors_sources.map(lambda entries: sum(n for _, n in entries))
    got = [(r.hostname, r.pages, r.documents, r.rejects, r.title_share,
            r.authors_share, r.published_at_share, r.entities_share, r.title_source, r.published_at_source,
            src, r.text_words_median, r.text_words_p10, r.field_issues_share)
           for r, src in zip(health.itertuples(), sources)]
    nulls_as_none = [tuple(None if pd.isna(v) else v for v in row) for row in got]  # NaN, NA: DuckDB's NULL
    assert nulls_as_none == expected
    by_reason = dict(zip(health.hostname.fillna("(none)"), health.rejects_by_reason.map(dict)))
    assert by_reason == {CHANGING: {}, STEADY: {"too_little_prose": 1}, "(none)": {"invalid_json": 1}}


def test_rerunning_a_day_replaces_its_health_rows(fifteen_days, tmp_path):
    """The publisher fixes its template and day 15 is ingested again: its health rows are replaced, not added to."""
    from flows.ingest import ingest

    root, first, _ = fifteen_days
    shutil.copytree(root / "lake", tmp_path / "lake")
    write_days(tmp_path / "raw", FIRST, days=15, per_site=PER_SITE, broken_from=16)  # day 15 as it should have been
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAGEFOLD_DRIFT_MIN_PAGES", str(PER_SITE))
        again = ingest(source=str(tmp_path / "raw"), dest=str(tmp_path / "lake"), date=DAY15, workers=1)

    assert again["drift_alarms"] == []
    health = read_pandas(str(tmp_path / "lake"), "health", filters=[("date", "=", DAY15)])
    assert sorted(health.hostname.fillna("(none)")) == ["(none)", STEADY, CHANGING]
    assert set(health.run_id) == {again["run_id"]}
    changing = health[health.hostname == CHANGING].iloc[0]
    assert (changing.title_source, changing.authors_share) == ("meta", 1.0)
    files = [p.name for p in (tmp_path / "lake" / "health" / f"date={DAY15}").iterdir()]
    assert files == [f"part-{again['run_id']}-0.parquet"] and again["run_id"] != first["run_id"]
    assert len(read_pandas(str(tmp_path / "lake"), "health")) == 15 * 3


def test_the_guides_automation_recipe_is_accepted_by_prefect(prefect_harness):
    """The Automation of docs/stories-and-health.md (its yaml block) is one Prefect accepts, triggered by the drift
    event on any host."""
    import re
    from pathlib import Path

    import yaml
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    readme = (Path(__file__).resolve().parents[1] / "docs" / "stories-and-health.md").read_text("utf-8")
    [recipe] = re.findall(r"^```yaml\n(.*?)^```", readme, re.S | re.M)
    automation = AutomationCore.model_validate(yaml.safe_load(recipe))
    with get_client(sync_client=True) as client:
        created = client.read_automation(client.create_automation(automation))
        client.delete_automation(created.id)  # the session's Prefect serves other tests' runs too
    assert created.trigger.expect == {"pagefold.drift.detected"}
    assert created.trigger.match.model_dump() == {"prefect.resource.id": "pagefold.host.*"}
    assert created.actions[0].type == "send-notification"
