"""Backfills an operator wants (issue 12): `mode` picks the days (all, missing, failed_or_outdated) and a dry run
lists them with the reason, run for real on local folders and a real Prefect."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.backfill import backfill
from flows.daily import ingest_day
from tasks.lake.daylock import DayLock
from tasks.lake.storage import open_store
from tasks.running.backfill_plan import LastRun, plan_days
from tests.rawdata import hard_input_objects, write_day
from tests.test_cli import PAGEFOLD
from tests.test_operating import lake_rows, small_day

CURRENT = "0.1.0"
SOURCE_DAYS = {"a", "b", "c", "d1", "d2", "d3", "d4", "d5"}


def failed(day: str) -> LastRun:
    return LastRun("FAILED", "Failed", f"day-{day}", "id")


@pytest.mark.parametrize("mode, runs", [
    ("all", ["d1", "d2", "d3", "d4", "d5"]),
    ("missing", ["d3", "d5"]),
    ("failed_or_outdated", ["d2", "d4", "d5"]),
])
def test_each_mode_picks_its_days_and_says_why_for_every_day(mode, runs):
    """d1 current; d2 written by an older pipeline; d3 missing, never run; d4 current but its last run crashed
    (a later run failed: the lake holds the older one); d5 missing after a cancelled run; d6 not in the source."""
    versions = {"d1": {CURRENT}, "d2": {"0.0.9"}, "d4": {CURRENT}}
    last = {"d1": LastRun("COMPLETED", "Completed", "day-d1", "id"),
            "d4": LastRun("CRASHED", "Crashed", "day-d4", "id"),
            "d5": LastRun("CANCELLED", "Cancelled", "ingest d5", "id")}

    plans = plan_days(["d1", "d2", "d3", "d4", "d5", "d6"], mode, versions, last, CURRENT, SOURCE_DAYS)

    assert [p.day for p in plans if p.run] == runs
    assert all(p.reason for p in plans)
    reasons = {p.day: p.reason for p in plans}
    assert reasons["d6"] == "no dt=d6 folder in the source: nothing to read (not in the lake)"
    if mode == "all":
        assert reasons["d1"] == "mode all (in the lake, written by pipeline 0.1.0)"
    if mode == "failed_or_outdated":
        assert reasons["d2"] == "written by pipeline 0.0.9, older than 0.1.0"
        assert reasons["d4"] == "its last run day-d4 ended Crashed"
        assert reasons["d3"].startswith("not in the lake and no failed run recorded")
    if mode == "missing":
        assert reasons["d3"] == "not in the lake" and reasons["d1"] == "in the lake, written by pipeline 0.1.0"


def test_versions_are_compared_as_versions_not_as_strings():
    plans = plan_days(["a", "b", "c"], "failed_or_outdated", {"a": {"0.9.0"}, "b": {"0.10.0"}, "c": {"garbled"}}, {},
                      "0.10.0", SOURCE_DAYS)
    assert [(p.day, p.run) for p in plans] == [("a", True), ("b", False), ("c", True)]


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of all, missing, failed_or_outdated"):
        plan_days(["a"], "some", {}, {}, CURRENT, SOURCE_DAYS)


# Days no other test uses: `failed_or_outdated` reads each day's last run from the tests' shared Prefect.
DAYS = ["2031-03-01", "2031-03-02", "2031-03-03"]


def day(n: int) -> dt.date:
    return dt.date.fromisoformat(DAYS[n])


def set_pipeline_version(lake: Path, day: str, old: str) -> None:
    """Rewrite a day's rows as an older Pagefold would have written them."""
    for name in ("documents", "rejects"):
        for path in (lake / name / f"date={day}").glob("*.parquet"):
            table = pq.read_table(path, partitioning=None)
            column = table.schema.get_field_index("pipeline_version")
            table = table.set_column(column, table.schema.field(column), pa.array([old] * table.num_rows, pa.string()))
            pq.write_table(table, path)


@pytest.mark.usefixtures("prefect_harness")
def test_mode_missing_runs_only_the_days_the_lake_lacks_and_a_dry_run_runs_nothing(tmp_path):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    for d in DAYS:
        write_day(source, d, small_day())
    ingest_day(date=day(1), source=str(source), dest=str(lake), workers=1)
    before = lake_rows(lake)

    plan = backfill(start_date=day(0), end_date=day(2), mode="missing", dry_run=True, source=str(source),
                    dest=str(lake))

    assert [(r["date"], r["run"]) for r in plan] == [(DAYS[0], True), (DAYS[1], False), (DAYS[2], True)]
    assert plan[1]["reason"] == "in the lake, written by pipeline " + CURRENT
    assert lake_rows(lake) == before  # nothing ran

    rows = backfill(start_date=day(0), end_date=day(2), mode="missing", source=str(source), dest=str(lake))

    assert [(r["date"], r["state"]) for r in rows] == [(DAYS[0], "Completed"), (DAYS[2], "Completed")]
    assert sorted({row[0] for row in lake_rows(lake)}) == DAYS
    assert [row for row in lake_rows(lake) if row[0] == DAYS[1]] == [row for row in before if row[0] == DAYS[1]]


@pytest.mark.usefixtures("prefect_harness")
def test_mode_failed_or_outdated_reruns_the_failed_day_and_the_older_pipelines_day_only(tmp_path):
    """Day 0 was written by an older pipeline; day 1's last run failed (another run held it); day 2 is current."""
    source, lake = tmp_path / "raw", tmp_path / "lake"
    for d in DAYS:
        write_day(source, d, small_day())
    other_run = DayLock(open_store(str(lake)), DAYS[1], "someone-else")
    other_run.acquire()
    state = backfill(start_date=day(0), end_date=day(2), source=str(source), dest=str(lake), return_state=True)
    assert state.is_failed()
    other_run.release()
    ingest_day(date=day(1), source=str(source), dest=str(tmp_path / "other-lake"), workers=1)  # another lake's run
    set_pipeline_version(lake, DAYS[0], "0.0.1")
    day2_before = [row for row in lake_rows(lake) if row[0] == DAYS[2]]

    plan = backfill(start_date=day(0), end_date=day(2), mode="failed_or_outdated", dry_run=True,
                    source=str(source), dest=str(lake))
    assert [(r["date"], r["run"]) for r in plan] == [(DAYS[0], True), (DAYS[1], True), (DAYS[2], False)]
    assert plan[0]["reason"] == f"written by pipeline 0.0.1, older than {CURRENT}"
    assert plan[1]["reason"] == f"its last run day-{DAYS[1]} ended Failed"

    rows = backfill(start_date=day(0), end_date=day(2), mode="failed_or_outdated", source=str(source), dest=str(lake))

    assert [(r["date"], r["state"]) for r in rows] == [(DAYS[0], "Completed"), (DAYS[1], "Completed")]
    assert sorted({row[0] for row in lake_rows(lake)}) == DAYS
    assert [row for row in lake_rows(lake) if row[0] == DAYS[2]] == day2_before
    from tasks.lake.staging import day_versions

    assert day_versions(open_store(str(lake)), DAYS[0]) == {CURRENT}


def test_the_command_line_dry_run_lists_each_day_and_why_and_writes_nothing(tmp_path, command_home):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAYS[0], {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    env.update(PAGEFOLD_PREFECT_HOME=str(command_home), COLUMNS="200")

    result = subprocess.run([PAGEFOLD, "backfill", "--source", str(source), "--dest", str(lake), "--start", DAYS[0],
                             "--end", DAYS[1], "--mode", "missing", "--dry-run"], env=env, capture_output=True,
                            text=True, timeout=300, stdin=subprocess.DEVNULL)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Backfill plan (dry run: nothing ran)" in result.stdout
    assert f"{DAYS[0]} │ yes │ not in the lake" in result.stdout, result.stdout
    assert f"{DAYS[1]} │ no  │ no dt={DAYS[1]} folder in the source: nothing to read" in result.stdout
    assert "mode missing: 1 of 2 day(s) to run (dry run: none run)" in result.stdout
    assert not lake.exists()  # a dry run creates nothing


def test_an_end_before_the_start_is_refused_before_anything_starts(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    result = subprocess.run([PAGEFOLD, "backfill", "--source", str(tmp_path), "--dest", str(tmp_path / "lake"),
                             "--start", DAYS[1], "--end", DAYS[0]], env=env, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and f"--end {DAYS[0]} is before --start {DAYS[1]}" in " ".join(result.stderr.split())
    assert not (tmp_path / "lake").exists()
