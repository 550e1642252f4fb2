"""The per-day lock, in a local folder and on moto's S3 server: one writer per day, dead holders taken over,
S3's retries and lost answers survived."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest

from tasks.lake import daylock
from tasks.lake import staging as lake
from tasks.lake.daylock import DayClaims, DayLock, DayLocked
from tasks.lake.storage import open_store
from tests.faultproxy import FaultProxy, Rule

DAY = "2026-11-27"
KEY = f"_locks/{DAY}.json"


def wait_until_stale(monkeypatch) -> None:
    """Shorten the stale limit to 1 s and let 2 s pass (S3's clock has 1 s resolution)."""
    monkeypatch.setattr(daylock, "STALE_AFTER_S", 1.0)
    time.sleep(2.2)


def test_a_second_run_for_the_same_day_is_refused_while_the_first_holds_it(store):
    DayLock(store, DAY, "run-a").acquire()
    with pytest.raises(DayLocked, match="run-a"):
        DayLock(store, DAY, "run-b").acquire()
    DayLock(store, "2026-11-28", "run-b").acquire()  # other days are free


def test_a_released_day_can_be_locked_again(store):
    first = DayLock(store, DAY, "run-a")
    first.acquire()
    first.release()
    assert store.read(KEY) is None
    DayLock(store, DAY, "run-b").acquire()


def test_the_lock_names_its_holder_host_and_process(store):
    import os
    import socket

    DayLock(store, DAY, "run-a").acquire()
    held = json.loads(store.read(KEY).data)
    assert (held["owner"], held["host"], held["pid"]) == ("run-a", socket.gethostname(), os.getpid())


def test_a_stale_lock_is_taken_over_and_its_holder_learns_it_lost_it(store, monkeypatch):
    hung = DayLock(store, DAY, "run-hung")
    hung.acquire()
    wait_until_stale(monkeypatch)

    new = DayLock(store, DAY, "run-new")
    new.acquire()

    assert "run-hung" in new.took_over and "heartbeat" in new.took_over
    hung.refresh()
    assert hung.lost
    with pytest.raises(DayLocked, match="took over"):
        hung.confirm()
    hung.release()  # not its lock any more: left alone
    monkeypatch.setattr(daylock, "STALE_AFTER_S", 3600.0)
    with pytest.raises(DayLocked, match="run-new"):
        DayLock(store, DAY, "run-c").acquire()


def test_a_live_holder_keeps_its_lock_through_refreshes(store):
    holder = DayLock(store, DAY, "run-a")
    holder.acquire()
    first = store.read(KEY).data
    holder.refresh()
    holder.refresh()
    assert not holder.lost and store.read(KEY).data != first  # the heartbeat rewrote it
    with pytest.raises(DayLocked):
        DayLock(store, DAY, "run-b").acquire()


def test_a_lock_whose_process_on_this_machine_is_gone_is_taken_over_at_once(store):
    """A run killed outright (kill -9, OOM): its lock is fresh, but its process is provably dead."""
    script = ("import os, sys; from tasks.lake.daylock import DayLock; from tasks.lake.storage import open_store; "
              "DayLock(open_store(sys.argv[1], sys.argv[2] or None), sys.argv[3], 'run-killed').acquire(); os._exit(9)")
    endpoint = getattr(store, "endpoint", None) or ""
    subprocess.run([sys.executable, "-c", script, store.url, endpoint, DAY], check=False, timeout=60)
    assert json.loads(store.read(KEY).data)["owner"] == "run-killed"

    rerun = DayLock(store, DAY, "run-rerun")
    rerun.acquire()

    assert "run-killed" in rerun.took_over and "is gone" in rerun.took_over
    assert json.loads(store.read(KEY).data)["owner"] == "run-rerun"


def test_a_holder_on_another_machine_is_waited_for_until_its_heartbeat_is_stale(store, monkeypatch):
    other = {"owner": "run-far", "token": "t", "host": "far-away", "machine": "far-away|1|pid:[1]", "pid": 1,
             "pid_started": 1.0}
    store.create(KEY, json.dumps(other).encode())

    with pytest.raises(DayLocked, match=r"run-far \(host far-away.*taken over \d+ s from now"):
        DayLock(store, DAY, "run-here").acquire()
    wait_until_stale(monkeypatch)
    taker = DayLock(store, DAY, "run-here")
    taker.acquire()
    assert "run-far" in taker.took_over


@pytest.fixture
def s3_lake(s3_bucket):
    bucket, _ = s3_bucket
    return f"s3://{bucket}/lake"


def test_an_acquire_whose_answer_is_lost_recognises_its_own_lock(s3_lake, s3_endpoint):
    """S3 stores the conditional PUT, the answer is dropped, botocore sends it again and gets 412: still ours."""
    with FaultProxy(s3_endpoint, rules=[Rule("PUT", "/_locks/", "drop_after")]) as proxy:
        lock = DayLock(open_store(s3_lake, proxy.endpoint), DAY, "run-a")
        lock.acquire()
    assert proxy.counts["drop_after"] == 1 and proxy.counts["retries"] >= 1
    lake_store = open_store(s3_lake, s3_endpoint)
    assert json.loads(lake_store.read(KEY).data)["token"] == lock.token
    with pytest.raises(DayLocked, match="run-a"):
        DayLock(lake_store, DAY, "run-b").acquire()


def test_a_heartbeat_whose_answer_is_lost_keeps_the_lock(s3_lake, s3_endpoint):
    with FaultProxy(s3_endpoint) as proxy:
        lock = DayLock(open_store(s3_lake, proxy.endpoint), DAY, "run-a")
        lock.acquire()
        proxy.rules.append(Rule("PUT", "/_locks/", "drop_after"))
        lock.refresh()
    assert proxy.counts["drop_after"] == 1 and not lock.lost
    assert json.loads(open_store(s3_lake, s3_endpoint).read(KEY).data)["beats"] == 1


def test_a_release_whose_read_is_cut_mid_body_still_releases(s3_lake, s3_endpoint):
    rules = [Rule("GET", "/_locks/", "truncate"), Rule("DELETE", "/_locks/", "drop_after")]
    with FaultProxy(s3_endpoint) as proxy:
        lock = DayLock(open_store(s3_lake, proxy.endpoint), DAY, "run-a")
        lock.acquire()
        proxy.rules.extend(rules)
        lock.release()  # never raises
    assert proxy.counts["truncate"] == 1 and proxy.counts["drop_after"] == 1
    assert open_store(s3_lake, s3_endpoint).read(KEY) is None


def staged(store, day: str, run_id: str) -> None:
    writer = lake.StagedWriter(store, run_id, day, 0)
    writer.add("rejects", {"reason": "x", "stage": "read", "source_uri": "u", "run_id": run_id,
                           "ingested_at": dt.datetime.now(dt.timezone.utc), "pipeline_version": "t"})
    writer.close()


def test_claiming_a_day_clears_dead_runs_staging_and_release_all_leaves_nothing(store):
    staged(store, DAY, "run-dead")
    staged(store, "2026-11-28", "run-other-day")  # another day's staging is not this claim's business
    with DayClaims(store, "run-new") as claims:
        claims.claim(DAY)
        assert store.list_dirs(f"_staging/{DAY}") == []
        staged(store, DAY, "run-new")
        assert store.list_dirs(f"_staging/{DAY}") == ["run-new"]
        claims.release_all()
        claims.release_all()  # idempotent: a signal handler may call it, then the `with` block's end
        assert store.read(KEY) is None and store.list_dirs(f"_staging/{DAY}") == []
    assert store.list_dirs("_staging") == ["2026-11-28"]
