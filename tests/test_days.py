"""A run's days in order, at most N staged at once (tasks.running.days), and what a stopped run says it kept."""

from __future__ import annotations

from tasks.lake.storage import ObjectInfo
from tasks.records import Counts
from tasks.running.batch import Batch
from tasks.running.days import DayWindow
from tasks.running.summary import RunSummary

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-05"]


def batches(per_day: dict[str, int]) -> list[Batch]:
    obj = ObjectInfo("s3://raw/x", 1)
    return [Batch(day, i, (obj,)) for day, n in per_day.items() for i in range(n)]


def handed_out(window: DayWindow) -> list[tuple[str, int]]:
    out = []
    while (batch := window.next_batch()) is not None:
        out.append((batch.day, batch.index))
    return out


def test_batches_go_out_day_by_day_and_no_more_than_n_days_are_open_at_once():
    window = DayWindow(batches({DAYS[0]: 2, DAYS[1]: 1, DAYS[2]: 2}), max_open=2)
    assert handed_out(window) == [(DAYS[0], 0), (DAYS[0], 1), (DAYS[1], 0)]  # the third day waits for a place
    assert window.waiting == 2

    assert not window.batch_done(Batch(DAYS[0], 0, ()), failed=False)
    assert window.batch_done(Batch(DAYS[0], 1, ()), failed=False)  # the first day's batches are all done
    assert handed_out(window) == []  # ... but until it is committed, it keeps its place
    window.close(DAYS[0])
    assert handed_out(window) == [(DAYS[2], 0), (DAYS[2], 1)]


def test_a_failed_batch_drops_the_rest_of_its_day_and_the_other_days_go_on():
    window = DayWindow(batches({DAYS[0]: 3, DAYS[1]: 1}), max_open=1)
    assert handed_out(window) == [(DAYS[0], 0), (DAYS[0], 1), (DAYS[0], 2)]
    assert not window.batch_done(Batch(DAYS[0], 0, ()), failed=True)  # two of its batches still run
    assert not window.batch_done(Batch(DAYS[0], 1, ()), failed=False)
    assert window.batch_done(Batch(DAYS[0], 2, ()), failed=False)
    window.close(DAYS[0])
    assert handed_out(window) == [(DAYS[1], 0)]


def test_a_failed_batch_of_a_day_not_all_started_ends_the_day_at_once():
    window = DayWindow(batches({DAYS[0]: 3}), max_open=1)
    assert window.next_batch().index == 0
    assert window.batch_done(Batch(DAYS[0], 0, ()), failed=True)  # its other two never start
    assert window.waiting == 0


def test_a_stopped_run_names_the_days_it_committed_as_ranges():
    summary = RunSummary("run-1", DAYS)
    for day in DAYS[:3]:
        summary.add_batch(day, Counts(objects=1, pages=1, documents=1))
        summary.add_commit(day, {"documents": 1, "entities": 0, "rejects": 0, "documents_by_kind": {"article": 1}})
    summary.finish()

    said = summary.stopped("SIGTERM")

    assert said.startswith("stopped by SIGTERM after ")
    assert (": 3 of 4 day(s) committed (2026-11-01..2026-11-03), the other 1 left as they were (mode missing reruns "
            "only those); this run's staging removed, its day locks released") in said
    assert "no day committed, all 4 left as they were" in RunSummary("run-2", DAYS).stopped("SIGINT (Ctrl-C)")
