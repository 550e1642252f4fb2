"""The per-day lock, in a local folder and on moto's S3 server: one writer per day, stale locks taken over."""

from __future__ import annotations

import os
import time

import pytest

from tasks import daylock
from tasks.daylock import DayLock, DayLocked
from tasks.storage import Location

DAY = "2026-11-27"


@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path):
    if request.param == "local":
        return Location(str(tmp_path / "lake"))
    bucket, _ = request.getfixturevalue("s3_bucket")
    return Location(f"s3://{bucket}/lake", request.getfixturevalue("s3_endpoint"))


def make_stale(lake: Location, monkeypatch) -> None:
    """Age the lock past the stale limit: locally by its mtime; on S3 (no way to age an object) by a zero limit."""
    if lake.is_s3:
        monkeypatch.setattr(daylock, "STALE_AFTER_S", 0.0)
    else:
        path = DayLock(lake, DAY, "any")._path
        past = time.time() - daylock.STALE_AFTER_S - 60
        os.utime(path, (past, past))


def test_a_second_run_for_the_same_day_is_refused_while_the_first_holds_it(lake):
    first = DayLock(lake, DAY, "run-a")
    first.acquire()
    with pytest.raises(DayLocked, match="run-a"):
        DayLock(lake, DAY, "run-b").acquire()
    DayLock(lake, "2026-11-28", "run-b").acquire()  # other days are free


def test_a_released_day_can_be_locked_again(lake):
    first = DayLock(lake, DAY, "run-a")
    first.acquire()
    first.release()
    DayLock(lake, DAY, "run-b").acquire()


def test_a_stale_lock_is_taken_over_and_its_holder_learns_it_lost_it(lake, monkeypatch):
    dead = DayLock(lake, DAY, "run-dead")
    dead.acquire()
    make_stale(lake, monkeypatch)

    DayLock(lake, DAY, "run-new").acquire()

    dead.refresh()
    assert dead.lost
    dead.release()  # not its lock any more: left alone
    monkeypatch.setattr(daylock, "STALE_AFTER_S", 3600.0)
    with pytest.raises(DayLocked, match="run-new"):
        DayLock(lake, DAY, "run-c").acquire()


def test_a_live_holder_keeps_its_lock_through_refreshes(lake):
    holder = DayLock(lake, DAY, "run-a")
    holder.acquire()
    holder.refresh()
    holder.refresh()
    assert not holder.lost
    with pytest.raises(DayLocked):
        DayLock(lake, DAY, "run-b").acquire()
