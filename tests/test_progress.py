"""Progress in pages: the estimate while objects are read, the line the CLI and the logs show, the flow's reports."""

from __future__ import annotations

import time

import pytest

from tasks.running.progress import Snapshot


def snapshot(objects_done=0, bytes_done=0, pages_of_objects_done=0, pages_read=0, pages_done=0, elapsed_s=10.0,
             objects_total=4, bytes_total=4_000):
    return Snapshot(objects_total, bytes_total, objects_done, bytes_done, pages_of_objects_done, pages_read,
                    pages_done, elapsed_s)


@pytest.mark.parametrize("pages_read", [0, 36])
def test_before_an_object_is_read_nothing_is_estimated_and_no_time_left_is_promised(pages_read):
    """Issue 12's trial: `0/~36 pages` on an 800-page day, the 36 being the pages read so far of an open object."""
    s = snapshot(pages_read=pages_read)
    assert s.pages_total is None and s.seconds_left is None and s.fraction == 0.0
    assert s.describe() == "0 pages (total known once an object is read), 0/4 objects read, 0.0 pages/s"


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


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_reports_progress_in_pages_while_batches_run(tmp_path, monkeypatch):
    """A log line every PROGRESS_EVERY_S while pages are processed (shortened here), and a progress artifact in
    pages that ends at 100 %."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId

    from flows import ingest as ingest_module
    from tests.test_fault_injection import busy_day

    monkeypatch.setattr(ingest_module, "PROGRESS_EVERY_S", 0.5)
    busy_day(tmp_path / "raw", pages=8)
    state = ingest_module.ingest(source=str(tmp_path / "raw"), dest=str(tmp_path / "lake"), workers=1,
                                 return_state=True)

    assert state.is_completed()
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 30  # log lines reach the API in batches
        while not (lines := [log.message for log in client.read_logs(log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[run_id]))) if log.message.startswith("progress: ")]):
            assert time.monotonic() < deadline
            time.sleep(1)
        [artifact] = [a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))) if a.type == "progress"]
        name = client.read_flow_run(run_id).name
    assert len(lines) >= 2, lines  # a run of several seconds, a line every 0.5 s
    assert all(" pages" in line and "objects read" in line for line in lines)
    assert artifact.data == 100.0 and "pages done: 8/8 pages (100%)" in artifact.description
    assert name == "ingest every day found"
