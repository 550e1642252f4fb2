"""Progress in pages: the estimate while objects are read, the line the CLI and the logs show, the flow's reports."""

from __future__ import annotations

import time

import pytest

from tasks.running.progress import ProgressBoard, Snapshot


def snapshot(objects_done=0, bytes_done=0, pages_of_objects_done=0, pages_read=0, pages_done=0, elapsed_s=10.0,
             objects_total=4, bytes_total=4_000, flowing_s=10.0, pages_done_when_flowing=0):
    return Snapshot(objects_total, bytes_total, objects_done, bytes_done, pages_of_objects_done, pages_read,
                    pages_done, elapsed_s, flowing_s, pages_done_when_flowing)


@pytest.mark.parametrize("pages_read", [0, 36])
def test_before_an_object_is_read_nothing_is_estimated_and_no_time_left_is_promised(pages_read):
    """Issue 12's trial: `0/~36 pages` on an 800-page day, the 36 being the pages read so far of an open object."""
    s = snapshot(pages_read=pages_read)
    assert s.pages_total is None and s.seconds_left is None and s.fraction == 0.0
    assert s.describe() == "0 pages (total known once an object is read), 0/4 objects read, measuring the rate"


def test_the_total_is_the_pages_of_the_objects_read_scaled_to_all_raw_bytes():
    # One object of four (a quarter of the bytes) held 30 pages; 35 were read in all, 10 done in 10 s.
    s = snapshot(objects_done=1, bytes_done=1_000, pages_of_objects_done=30, pages_read=35, pages_done=10)
    assert s.pages_total == 120 and not s.exact
    assert s.fraction == pytest.approx(10 / 120)
    assert s.seconds_left == pytest.approx(110)  # at 1 page/s
    assert s.describe() == "10/~120 pages (8%), 1/4 objects read, 1.0 pages/s, ~110 s left"


def test_once_every_object_is_read_the_total_is_counted():
    s = snapshot(objects_done=4, bytes_done=4_000, pages_of_objects_done=97, pages_read=97, pages_done=97)
    assert s.exact and s.pages_total == 97 and s.fraction == 1.0
    assert s.describe() == "97/97 pages (100%), 4/4 objects read, 9.7 pages/s"


def test_at_zero_pages_done_no_time_left_is_shown():
    """Issue 12: "~3 s left" at 0 pages."""
    s = snapshot(objects_done=1, bytes_done=1_000, pages_of_objects_done=30, pages_read=30, pages_done=0)
    assert s.seconds_left is None and "left" not in s.describe()


def test_while_the_models_load_the_phase_is_named_and_no_time_left_is_promised():
    """Issue 24's trial: 3-15 pages (rejected before extraction) for ~20 s while the extraction processes loaded
    their models, shown as "~430 s left" of a run that ended 26 s later."""
    s = snapshot(objects_done=4, bytes_done=4_000, pages_of_objects_done=300, pages_read=300, pages_done=15,
                 elapsed_s=20.0, flowing_s=None)
    assert s.pages_per_s is None and s.seconds_left is None
    assert s.describe() == "15/300 pages (5%), 4/4 objects read, starting extraction (loading models)"


def test_the_rate_is_measured_from_the_moment_pages_flow_out_of_extraction():
    # 15 pages were done before the first extracted ones came back, 20 s into the run; 10 s later, 45 more.
    s = snapshot(objects_done=4, bytes_done=4_000, pages_of_objects_done=300, pages_read=300, pages_done=60,
                 elapsed_s=30.0, flowing_s=10.0, pages_done_when_flowing=15)
    assert s.pages_per_s == pytest.approx(4.5) and s.seconds_left == pytest.approx(240 / 4.5)
    assert s.describe() == "60/300 pages (20%), 4/4 objects read, 4.5 pages/s, ~53 s left"
    just_started = snapshot(objects_done=4, bytes_done=4_000, pages_of_objects_done=300, pages_read=300,
                            pages_done=19, flowing_s=0.5, pages_done_when_flowing=15)
    assert just_started.seconds_left is None and just_started.describe().endswith("measuring the rate")


def test_no_rate_is_shown_until_pages_come_back_after_the_first_ones():
    """Issue 24's trial: "0.0 pages/s" with pages done, for as long as no chunk came back after the first one (the
    first ones start the clock and do not count)."""
    s = snapshot(objects_done=4, bytes_done=4_000, pages_of_objects_done=300, pages_read=300, pages_done=19,
                 flowing_s=6.0, pages_done_when_flowing=19)
    assert s.pages_per_s is None and "0.0 pages/s" not in s.describe()
    assert s.describe().endswith("measuring the rate")


def test_the_board_keeps_each_runs_counts_apart_and_adds_the_dask_workers_counts():
    """A Dask worker serves the batches of several runs; the flow adds up its run's counts from every worker."""
    board = ProgressBoard()
    board.start("run-a", objects=2, raw_bytes=200)
    board.object_done("run-a", 100, pages=3)
    board.pages_done("run-a", 1)  # a reject before extraction: pages do not flow yet
    board.pages_done("run-b", 5, extracted=True)
    assert board.snapshot().flowing_s is None and board.snapshot().pages_done == 1

    board.set_remote("run-a", (1, 100, 4, 7, 6, 6))  # the workers: an object of 4 pages read, 6 pages extracted
    s = board.snapshot("run-a")
    assert (s.objects_done, s.pages_of_objects_done, s.pages_done) == (2, 7, 7)
    assert s.flowing_s is not None and s.pages_done_when_flowing == 7
    assert board.counts("run-b") == (0, 0, 0, 0, 5, 5) and board.counts("run-c") == (0, 0, 0, 0, 0, 0)


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_reports_progress_in_pages_while_batches_run(tmp_path, monkeypatch):
    """A log line every PROGRESS_EVERY_S while pages are processed (shortened here), and a progress artifact in
    pages that ends at 100 %."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId

    from flows import ingest as ingest_module
    from tests.test_fault_injection import busy_day

    monkeypatch.setattr(ingest_module, "PROGRESS_EVERY_S", 0.2)
    busy_day(tmp_path / "raw", pages=8)
    state = ingest_module.ingest(source=str(tmp_path / "raw"), dest=str(tmp_path / "lake"), workers=1,
                                 return_state=True)

    assert state.is_completed()
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 30  # log lines reach the API in batches
        while len(lines := [log.message for log in client.read_logs(log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[run_id]))) if log.message.startswith("progress: ")]) < 2:
            assert time.monotonic() < deadline, lines  # a run of a second or more (warm workers), a line every 0.2 s
            time.sleep(1)
        [artifact] = [a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))) if a.type == "progress"]
        name = client.read_flow_run(run_id).name
    assert all(" pages" in line and "objects read" in line for line in lines)
    assert artifact.data == 100.0 and "pages done: 8/8 pages (100%)" in artifact.description
    assert name == "ingest every day found"
