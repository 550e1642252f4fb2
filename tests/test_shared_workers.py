"""The shared extraction workers: a run's chunks go to a service that stays warm between runs, with the deadlines and
outcomes a pool of the run's own gives; a run that stops or dies takes its work with it; an idle service stops
with its workers.

The calls sent are the standard library's (the service's workers import Pagefold and what it installs, not the
tests), and Pagefold's own for the NER model case.
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import psutil
import pytest
from pebble import ProcessExpired, ProcessPool

from tasks import entities
from tasks.running import pool, shared_workers
from tasks.running.service import stop_services
from tasks.running.shared_workers import AUTHKEY_ENV, IDLE_ENV, SharedWorkers, WorkersClient
from tests.test_fault_injection import DAY, busy_day

pytestmark = pytest.mark.slow  # a service and its worker processes


@pytest.fixture
def shared(tmp_path, monkeypatch) -> Path:
    """This process's chunks sent to the shared workers of a home of the test's own (stopped after it)."""
    home = tmp_path / "home"
    monkeypatch.setenv(IDLE_ENV, "60")
    previous = pool.share_workers(home)
    yield home
    pool.shutdown_pools()
    pool.share_workers(previous)
    stop_services(home)


def service_of(home: Path) -> psutil.Process:
    [state] = home.glob(f"{SharedWorkers.name}-*.json")
    return psutil.Process(json.loads(state.read_text())["pid"])


def workers_of(service: psutil.Process) -> list[psutil.Process]:
    return [p for p in service.children() if "spawn_main" in " ".join(p.cmdline())]


def outcome(future):
    try:
        return future.result(timeout=120)
    except Exception as exc:
        return exc


def test_a_chunk_there_ends_as_it_would_in_a_pool_of_the_runs_own(shared):
    """A result, the deadline (from the chunk's start), a worker that dies, an error of the call's own, and a model
    the worker has not loaded each come back as they come from pebble's pool, and the service's pool survives
    them all."""
    calls = {"result": (operator.mul, (6, 7), 30.0), "late": (time.sleep, (60,), 1.0),
             "died": (os._exit, (3,), 30.0), "error": (int, ("not a number",), 30.0),
             "no model": (entities.add_entities, ([{"language": "fr", "title": "", "text": "Paris"}], 100), 30.0)}
    futures = {name: pool.schedule(1, (), call, args, timeout)[0] for name, (call, args, timeout) in calls.items()}
    got = {name: outcome(future) for name, future in futures.items()}

    assert got["result"] == 42
    assert isinstance(got["late"], TimeoutError)
    assert isinstance(got["died"], ProcessExpired) and got["died"].exitcode == 3
    assert isinstance(got["error"], ValueError)
    assert isinstance(got["no model"], entities.ModelNotLoaded) and got["no model"].languages == ("fr",)
    again, target = pool.schedule(1, (), operator.add, (2, 3), 30.0)
    assert outcome(again) == 5 and isinstance(target, WorkersClient)


def test_runs_in_turn_share_one_warm_service(shared):
    """A second user finds the service the first started, and its workers with their models loaded."""
    first, _ = pool.schedule(1, (), os.getpid, (), 30.0)
    worker = outcome(first)
    service = service_of(shared)
    pool.shutdown_pools()  # the first run ends: the service stays

    second, _ = pool.schedule(1, (), os.getpid, (), 30.0)
    assert outcome(second) == worker
    assert service_of(shared).pid == service.pid and service.is_running()


def test_a_user_that_dies_takes_its_chunk_with_it(shared, tmp_path):
    """kill -9 of a process whose chunk runs there: the service kills that chunk's worker (and starts another)."""
    marker = tmp_path / "under-way"
    script = ("import subprocess, sys, time; from pathlib import Path; from tasks.running import pool\n"
              "pool.share_workers(Path(sys.argv[1]))\n"
              "pool.schedule(1, (), subprocess.run, (['sh', '-c', f'echo $$ > {sys.argv[2]}; exec sleep 600'],), 900)\n"
              "time.sleep(600)\n")
    user = subprocess.Popen([sys.executable, "-c", script, str(shared), str(marker)])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text().strip():
            assert time.monotonic() < deadline and user.poll() is None
            time.sleep(0.1)
        sleeper = psutil.Process(int(marker.read_text()))
        busy = sleeper.parent()  # the worker running the chunk
        assert busy in workers_of(service_of(shared))
    finally:
        user.kill()
        user.wait()
    try:
        busy.wait(timeout=30)  # pebble stops the worker of a cancelled chunk under way
    finally:
        sleeper.kill()


@pytest.mark.usefixtures("prefect_harness")
def test_a_service_killed_mid_run_costs_no_page(shared, tmp_path):
    """The run's chunks in flight fail as a broken pool's do; each page runs again alone on a service started anew,
    so the day is written whole, none of its pages lost as a crash."""
    from flows.ingest import ingest

    source, lake = tmp_path / "raw", tmp_path / "lake"
    busy_day(source, pages=24)
    pool.warm_up(1)
    service = service_of(shared)
    old_workers = workers_of(service)
    run = ThreadPoolExecutor(1).submit(ingest, source=str(source), dest=str(lake), workers=1, batch_mb=1)
    deadline = time.monotonic() + 600
    while not list((lake / "_staging").glob(f"{DAY}/*/parts/*/*.parquet")):
        assert not run.done() and time.monotonic() < deadline
        time.sleep(0.05)
    service.kill()
    summary = run.result(timeout=900)

    assert summary["reconciled"] and summary["documents"] == 24 and summary["rejects"] == 0
    assert service_of(shared).pid != service.pid
    psutil.wait_procs(old_workers, timeout=30)  # they leave with the service that started them
    assert not [w for w in old_workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]


def test_an_idle_service_stops_with_its_workers(shared, monkeypatch):
    monkeypatch.setenv(IDLE_ENV, "1")
    done, _ = pool.schedule(1, (), os.getpid, (), 30.0)
    worker = psutil.Process(outcome(done))
    service = service_of(shared)
    pool.shutdown_pools()

    service.wait(timeout=60)
    worker.wait(timeout=30)
    assert not list(shared.glob(f"{SharedWorkers.name}-*.json"))


def test_idle_time_zero_gives_each_process_a_pool_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv(IDLE_ENV, "0")
    previous = pool.share_workers(tmp_path / "home")
    try:
        future, target = pool.schedule(1, (), operator.mul, (6, 7), 30.0)
        assert outcome(future) == 42 and target is pool.extraction_pool(1)
    finally:
        pool.shutdown_pools()
        pool.share_workers(previous)
    assert not (tmp_path / "home").exists()


def test_a_setting_that_changes_what_workers_do_gets_a_service_of_its_own(monkeypatch):
    monkeypatch.delenv(entities.MODELS_ENV, raising=False)
    keys = [SharedWorkers.environment_key()]
    for spec in ("en=en_core_web_sm", ""):  # "" (no entity recognition) is not unset (the registry's models)
        monkeypatch.setenv(entities.MODELS_ENV, spec)
        keys.append(SharedWorkers.environment_key())
    assert len(set(keys)) == 3


def test_a_service_that_stops_answering_is_left_for_a_pool_of_the_processs_own(shared, monkeypatch):
    """A service stopped (SIGSTOP) with a chunk under way: the chunk fails as a broken pool's does once a ping has
    gone unanswered, and the next connection's handshake gives up, so the process runs its chunks itself: no
    command waits forever on it."""
    monkeypatch.setattr(shared_workers, "PING_EVERY_S", 0.5)
    monkeypatch.setattr(shared_workers, "ANSWER_WITHIN_S", 2.0)
    pool.warm_up(1)
    service = service_of(shared)
    busy, _ = pool.schedule(1, (), time.sleep, (60,), 120.0)
    service.suspend()
    try:
        assert isinstance(outcome(busy), BrokenProcessPool)
        pool.shutdown_pools()
        again, target = pool.schedule(1, (), operator.mul, (6, 7), 30.0)
        assert outcome(again) == 42 and isinstance(target, ProcessPool)
    finally:
        service.resume()


def test_a_damaged_state_file_is_left_for_a_pool_of_the_processs_own(shared):
    SharedWorkers(shared).release()  # a service started, its state file then damaged
    [state_file] = shared.glob(f"{SharedWorkers.name}-*.json")
    state_file.write_text(json.dumps({**json.loads(state_file.read_text()), AUTHKEY_ENV: "not hex"}))

    future, target = pool.schedule(1, (), operator.mul, (6, 7), 30.0)
    assert outcome(future) == 42 and isinstance(target, ProcessPool)


def test_a_run_asking_for_more_workers_grows_the_pool_in_place(shared):
    """A pool of two replaces the pool of one (its worker stops); a later run asking for one uses the two: the
    service never holds more workers than the largest number asked."""
    one, _ = pool.schedule(1, (), os.getpid, (), 30.0)
    first = psutil.Process(outcome(one))
    two = [pool.schedule(2, (), time.sleep, (1,), 30.0)[0] for _ in range(2)]
    assert [outcome(f) for f in two] == [None, None]
    first.wait(timeout=30)
    again, _ = pool.schedule(1, (), os.getpid, (), 30.0)
    assert outcome(again) in {w.pid for w in workers_of(service_of(shared))}
    assert len(workers_of(service_of(shared))) == 2
