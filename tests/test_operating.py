"""The flows operators run from the UI: the scheduled day rule and backfills, run for real on local folders."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from prefect.runtime import flow_run

from flows.backfill import backfill, days_between
from flows.daily import day_before, ingest_day
from tasks.lake.daylock import DayLock
from tasks.lake.storage import open_store
from tests.rawdata import hard_input_objects, write_day

pytestmark = pytest.mark.usefixtures("prefect_harness")

UTC = dt.timezone.utc
DAYS = ["2026-11-25", "2026-11-26", "2026-11-27"]


def small_day() -> dict[str, bytes]:
    return {"feeds/mixed.jsonl.gz": hard_input_objects()["feeds/mixed.jsonl.gz"]}


def lake_rows(lake, dataset: str = "documents") -> list[tuple]:
    """(date, doc_id or reason, url) per row, as an analyst reads them with DuckDB."""
    key = "doc_id" if dataset == "documents" else "reason"
    return duckdb.sql(
        f"SELECT CAST(date AS VARCHAR), {key}, url FROM read_parquet('{lake}/{dataset}/*/*.parquet', "
        "hive_partitioning = true) ORDER BY ALL").fetchall()


@pytest.mark.parametrize("scheduled,expected", [
    (dt.datetime(2026, 11, 28, 2, 0, tzinfo=UTC), dt.date(2026, 11, 27)),
    (dt.datetime(2026, 11, 28, 0, 0, tzinfo=UTC), dt.date(2026, 11, 27)),
    (dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=5))), dt.date(2026, 11, 26)),
    (dt.datetime(2027, 1, 1, 2, 0, tzinfo=UTC), dt.date(2026, 12, 31)),
])
def test_the_day_to_process_is_the_utc_day_before_the_scheduled_start(scheduled, expected):
    assert day_before(scheduled) == expected


def test_a_scheduled_run_processes_the_day_before_its_scheduled_time_whenever_it_starts(tmp_path, monkeypatch):
    """Scheduled for 2026-11-28 02:00 UTC; it starts now, hours or days later, and still processes 2026-11-27."""
    source, lake = tmp_path / "raw", tmp_path / "lake"
    for day in ("2026-11-27", "2026-11-28"):
        write_day(source, day, small_day())
    scheduled = dt.datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert dt.datetime.now(UTC) > scheduled + dt.timedelta(hours=3)  # this run starts at 05:00 or later
    monkeypatch.setitem(flow_run.FIELDS, "scheduled_start_time", lambda: scheduled)

    summary = ingest_day(source=str(source), dest=str(lake), workers=1)

    assert summary["days"] == ["2026-11-27"]
    assert {row[0] for row in lake_rows(lake)} == {"2026-11-27"}


def test_the_day_flow_reads_source_and_dest_from_the_environment(tmp_path, monkeypatch):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, "2026-11-27", small_day())
    monkeypatch.setenv("PAGEFOLD_SOURCE", str(source))
    monkeypatch.setenv("PAGEFOLD_DEST", str(lake))

    summary = ingest_day(date=dt.date(2026, 11, 27), workers=1)

    assert summary["documents"] > 0 and {row[0] for row in lake_rows(lake)} == {"2026-11-27"}


def test_a_day_run_with_no_source_set_fails_in_one_sentence_saying_how_to_set_it(monkeypatch):
    """Issue 24's trial: `Flow run encountered an exception: MissingSetting: ...` and a traceback."""
    for name in ("PAGEFOLD_SOURCE", "PAGEFOLD_DEST"):
        monkeypatch.delenv(name, raising=False)

    state = ingest_day(date=dt.date(2026, 11, 27), return_state=True)

    assert state.is_failed()
    assert state.message == ("no source given: set PAGEFOLD_SOURCE where the worker runs, or run `prefect variable set "
                             "pagefold_source s3://bucket/raw-pages`, or pass source as a parameter of the run")


def test_a_backfill_over_three_days_writes_three_days(tmp_path):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    for day in DAYS:
        write_day(source, day, small_day())

    rows = backfill(start_date=dt.date.fromisoformat(DAYS[0]), end_date=dt.date.fromisoformat(DAYS[-1]),
                    source=str(source), dest=str(lake))

    assert [(r["date"], r["state"]) for r in rows] == [(day, "Completed") for day in DAYS]
    documents = lake_rows(lake)
    assert sorted({row[0] for row in documents}) == DAYS
    assert all(r["documents in lake"] == sum(row[0] == r["date"] for row in documents) > 0 for r in rows)
    # What each day's run counted, from its ingest-summary: the mixed feed's 5 pages, 3 documents, 2 rejects.
    assert [(r["pages"], r["documents"], r["rejects"], r["rejects by reason"]) for r in rows] == \
        [(5, 3, 2, "invalid_json: 1, missing_url: 1")] * 3
    assert all(r["seconds"] > 0 and r["run name"] == f"day-{r['date']}" for r in rows)


def test_a_backfill_with_a_broken_day_fails_that_day_and_completes_the_others(tmp_path):
    """The middle day is held by another live run; the backfill finishes the other two, then fails naming it.

    Retrying that day once it is free gives the same rows as a day that ran cleanly.
    """
    source, lake = tmp_path / "raw", tmp_path / "lake"
    for day in DAYS:
        write_day(source, day, small_day())
    other_run = DayLock(open_store(str(lake)), DAYS[1], "someone-else")
    other_run.acquire()

    state = backfill(start_date=dt.date.fromisoformat(DAYS[0]), end_date=dt.date.fromisoformat(DAYS[-1]),
                     source=str(source), dest=str(lake), return_state=True)

    assert state.is_failed() and DAYS[1] in state.message
    rows = state.result(raise_on_failure=False).rows  # in the state's exception (a Failed state's data must be one)
    assert [(r["date"], r["state"]) for r in rows] == [(DAYS[0], "Completed"), (DAYS[1], "Failed"),
                                                       (DAYS[2], "Completed")]
    assert sorted({row[0] for row in lake_rows(lake)}) == [DAYS[0], DAYS[2]]

    other_run.release()
    retried = ingest_day(date=dt.date.fromisoformat(DAYS[1]), source=str(source), dest=str(lake), workers=1)
    assert retried["reconciled"]
    by_day = {day: [row[1:] for row in lake_rows(lake) if row[0] == day] for day in DAYS}
    assert by_day[DAYS[1]] == by_day[DAYS[0]] and by_day[DAYS[1]]
    rejects = {day: [row[1:] for row in lake_rows(lake, "rejects") if row[0] == day] for day in DAYS}
    assert rejects[DAYS[1]] == rejects[DAYS[0]]


def test_a_backfill_range_must_not_end_before_it_starts():
    with pytest.raises(ValueError, match="before"):
        days_between(dt.date(2026, 11, 27), dt.date(2026, 11, 26))


def test_the_backfill_summary_shows_each_days_pages_reject_reasons_and_run():
    from flows.backfill import summary_markdown

    rows = [{"date": "2026-11-25", "state": "Completed", "pages": 5, "documents": 3, "rejects": 2,
             "rejects by reason": "invalid_json: 1, missing_url: 1", "entities": 50, "seconds": 7.1,
             "documents in lake": 3, "rejects in lake": 2, "message": "", "flow run": "id-1", "run name": "day-2026-11-25"},
            {"date": "2026-11-26", "state": "Failed", "pages": "", "documents": "", "rejects": "",
             "rejects by reason": "", "entities": "", "seconds": 0.4, "documents in lake": 0, "rejects in lake": 0,
             "message": "day 2026-11-26 failed and was left unchanged: DayLocked: ...", "flow run": "id-2",
             "run name": "day-2026-11-26"}]

    markdown = summary_markdown("Backfill 2026-11-25..2026-11-26: 1 day(s) completed, 1 failed", rows,
                                "http://127.0.0.1:4200")

    lines = markdown.splitlines()
    assert lines[0] == "## Backfill 2026-11-25..2026-11-26: 1 day(s) completed, 1 failed"
    # Eight short columns, each day linked to its run: readable at 1280 px (issue 24: eleven were cut at 1400 px).
    assert lines[2] == "| day | state | pages | documents | rejects | entities | seconds | in the lake |"
    run = "http://127.0.0.1:4200/runs/flow-run"
    assert lines[4] == f"| [2026-11-25]({run}/id-1) | Completed | 5 | 3 | 2 | 50 | 7.1 | 3 + 2 |"
    assert lines[5] == f"| [2026-11-26]({run}/id-2) | Failed | - | - | - | - | 0.4 | 0 + 0 |"
    assert lines[6] == "| **all days** | | 5 | 3 | 2 | 50 | 7.5 | 3 + 2 |"
    assert "- all days: invalid_json: 1, missing_url: 1" in lines
    assert "- 2026-11-25: invalid_json: 1, missing_url: 1" in lines
    assert lines[-1] == "- **2026-11-26** Failed: day 2026-11-26 failed and was left unchanged: DayLocked: ..."
