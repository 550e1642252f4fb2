"""Stopping `pagefold ingest` mid-run: Ctrl-C (SIGINT to the process group) and SIGTERM.

The run stops in seconds: the extraction workers running its pages killed, not waited for, its flow run Cancelled in Prefect,
its day locks released and its staging removed, the lake's days as they were before it started; one line
says so, and the command exits 128 + the signal: 130 for Ctrl-C, 143 for SIGTERM (what service managers expect;
issue 24's trial found 130 for both). (A run killed outright, kill -9, is tested in test_fault_injection: its
rerun removes what it left.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from flows.ingest import ingest
from flows.prefect_defaults import HOME_ENV
from tasks.lake.storage import open_store
from tasks.running.service import stop_services
from tests.rawdata import hard_input_objects, write_day
from tests.test_fault_injection import DAY, PAGEFOLD, busy_day, lake_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")


def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def flow_runs_writing(lake: Path) -> list:
    """The flow runs whose `dest` is `lake`, among the newest 200 of the session's Prefect (which other tests use
    too)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        return [r for r in client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=200)
                if r.parameters.get("dest") == str(lake)]


@pytest.mark.parametrize("signum, to_group", [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c to the process group", "sigterm to the process"])
def test_an_interrupted_ingest_stops_in_seconds_and_leaves_the_lake_as_it_was(signum, to_group, tmp_path):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, {"feeds/mixed.jsonl.gz": hard_input_objects()["feeds/mixed.jsonl.gz"]})
    ingest(source=str(source), dest=str(lake), workers=1)
    before = lake_rows(open_store(str(lake)))
    busy_day(source, pages=40)  # the day's second version, which the interrupted run was writing

    # A home of its own: shared extraction workers that only this run uses (its Prefect is the session's server).
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    run = subprocess.Popen([PAGEFOLD, "ingest", "--source", str(source), "--dest", str(lake), "--workers", "2",
                            "--batch-mb", "1", "--prefect-api", api_url()], env={**env, HOME_ENV: str(home)},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                           start_new_session=True)
    deadline = time.monotonic() + 600
    while not list((lake / "_staging").glob(f"{DAY}/*/parts/*/*.parquet")):  # a batch staged, others running
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.1)
    [state] = home.glob("workers-*.json")
    service = psutil.Process(json.loads(state.read_text())["pid"])
    workers = [p for p in service.children() if "spawn_main" in " ".join(p.cmdline())]
    assert len(workers) == 2, [p.cmdline() for p in service.children()]  # the pool of 2, each running a chunk

    started = time.monotonic()
    os.killpg(run.pid, signum) if to_group else os.kill(run.pid, signum)
    stdout, stderr = run.communicate(timeout=60)
    stopped_s = time.monotonic() - started
    print(f"{signal.Signals(signum).name}: stopped in {stopped_s:.2f} s")

    assert run.returncode == 128 + signum, stdout + stderr
    assert stopped_s < 10
    assert "Traceback" not in stdout + stderr
    last = stdout.strip().splitlines()[-1]
    assert "stopped" in last and signal.Signals(signum).name in last, stdout
    psutil.wait_procs(workers, timeout=10)  # the service kills the workers of the stopped run's chunks
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    assert service.is_running()  # and stays, warm, for the next command
    stop_services(home)
    [flow_run] = [r for r in flow_runs_writing(lake) if r.state.is_final() and not r.state.is_completed()]
    assert flow_run.state.type.value in ("CANCELLED", "CRASHED"), flow_run.state
    assert not (lake / "_locks" / f"{DAY}.json").exists()
    assert not [p for p in (lake / "_staging").rglob("*") if p.is_file()] if (lake / "_staging").exists() else True
    assert lake_rows(open_store(str(lake))) == before


def start_ingest(source: Path, lake: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    return subprocess.Popen([PAGEFOLD, "ingest", "--source", str(source), "--dest", str(lake), "--workers", "1",
                             *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)


def stop_and_wait(run: subprocess.Popen, signum: int) -> tuple[str, float]:
    started = time.monotonic()
    os.killpg(run.pid, signum) if signum == signal.SIGINT else os.kill(run.pid, signum)
    stdout, stderr = run.communicate(timeout=60)
    return stdout + stderr, time.monotonic() - started


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_while_the_command_starts_says_so_in_one_line(signum, tmp_path):
    """A second in: Prefect and the extraction process are still starting (issue 12's trial: a 58-line traceback and
    exit 1, or exit 130 with no word; SIGTERM killed the command outright)."""
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, {"feeds/mixed.jsonl.gz": hard_input_objects()["feeds/mixed.jsonl.gz"]})
    run = start_ingest(source, lake)
    time.sleep(1.0)

    output, stopped_s = stop_and_wait(run, signum)
    print(f"{signal.Signals(signum).name} at 1 s: stopped in {stopped_s:.2f} s")

    assert run.returncode == 128 + signum and stopped_s < 10, output
    assert "Traceback" not in output
    name = "SIGINT (Ctrl-C)" if signum == signal.SIGINT else "SIGTERM"
    assert output.strip().splitlines() == [f"ingest stopped by {name} outside its flow run: nothing is left half-written"]
    assert not list(lake.rglob("*.parquet")) if lake.exists() else True


def test_a_ctrl_c_as_prefect_creates_the_flow_run_cancels_that_run(tmp_path):
    """The moment between the flow run's creation and its body, where Prefect's engine is in the middle of API calls:
    the signal waits for the body, which stops at once; the run ends Cancelled, not Running or Crashed."""
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, {"feeds/mixed.jsonl.gz": hard_input_objects()["feeds/mixed.jsonl.gz"]})
    run = start_ingest(source, lake, "--prefect-api", api_url())
    deadline = time.monotonic() + 300
    while not flow_runs_writing(lake):
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.02)

    output, stopped_s = stop_and_wait(run, signal.SIGINT)
    print(f"SIGINT as the flow run was created: stopped in {stopped_s:.2f} s")

    assert run.returncode == 130 and stopped_s < 10, output
    assert "Traceback" not in output
    assert "stopped by SIGINT (Ctrl-C)" in output.strip().splitlines()[-1]
    [flow_run] = flow_runs_writing(lake)
    assert flow_run.state.type.value == "CANCELLED", flow_run.state
    assert not list(lake.rglob("*.parquet"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_backfill_stops_the_day_under_way_and_starts_no_other(signum, tmp_path):
    """Issue 12's trial: Ctrl-C did nothing to a backfill under way (its days ran in a worker thread, which signals
    never reach) and SIGTERM ended it Crashed with a traceback."""
    import shutil

    source, lake = tmp_path / "raw", tmp_path / "lake"
    busy_day(source, pages=60)
    days = ["2026-11-20", "2026-11-21", "2026-11-22"]
    for day in days[1:]:
        shutil.copytree(source / f"dt={days[0]}", source / f"dt={day}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    run = subprocess.Popen([PAGEFOLD, "backfill", "--source", str(source), "--dest", str(lake), "--start", days[0],
                            "--end", days[-1], "--prefect-api", api_url()], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    deadline = time.monotonic() + 600
    while not (lake / "_locks" / f"{days[0]}.json").exists():  # the first day's run has begun
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.1)
    time.sleep(1.0)  # its pages are being extracted (60 pages of 250 KB: several seconds more)

    output, stopped_s = stop_and_wait(run, signum)
    print(f"backfill, {signal.Signals(signum).name}: stopped in {stopped_s:.2f} s")

    assert run.returncode == 128 + signum and stopped_s < 10, output
    assert "Traceback" not in output
    said = [line for line in output.splitlines() if line.startswith(f"backfill {days[0]}..{days[-1]} stopped")]
    assert said and said[-1].startswith(f"backfill {days[0]}..{days[-1]} stopped: 0 of 3 day(s) completed; "
                                        f"stopped: {days[0]} "), output
    assert f"not run: {days[1]}..{days[2]}" in said[-1], output  # the days it never started are named
    assert not list(lake.rglob("*.parquet")) and not list((lake / "_locks").glob("*.json"))
    runs = {r.name: r.state.type.value for r in flow_runs_writing(lake)}
    assert runs[f"backfill {days[0]}..{days[-1]} all"] == "CANCELLED"
    assert runs[f"day-{days[0]}"] == "CANCELLED" and f"day-{days[1]}" not in runs


def days_named(text: str) -> list[str]:
    """The days of `2026-11-20..2026-11-22, 2026-11-25`, one by one."""
    import datetime as dt

    days = []
    for part in text.split(", "):
        first, _, last = part.partition("..")
        day = dt.date.fromisoformat(first)
        while day <= dt.date.fromisoformat(last or first):
            days.append(day.isoformat())
            day += dt.timedelta(days=1)
    return days


def test_a_stopped_multi_day_ingest_keeps_the_days_it_committed_and_mode_missing_reruns_only_the_others(tmp_path):
    """Issue 24's trial: Ctrl-C 40 s into a 25-day ingest said "9 of 25 batch(es) done: no day changed" (days were
    committed only once every batch of every day was done), and the rerun redid them all. Now each day is
    committed as soon as its batches are done, the stop line names the days committed, and the lake keeps them."""
    import re
    import shutil

    source, lake = tmp_path / "raw", tmp_path / "lake"
    busy_day(source, pages=8)
    days = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
    for day in days[1:]:
        shutil.copytree(source / f"dt={days[0]}", source / f"dt={day}")
    ingest(source=str(source), dest=str(tmp_path / "clean"), workers=1, batch_mb=1)
    run = start_ingest(source, lake, "--batch-mb", "1", "--prefect-api", api_url())
    deadline = time.monotonic() + 600
    while not (lake / "documents" / f"date={days[0]}").exists():  # the first day is committed, the others run
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.1)

    output, stopped_s = stop_and_wait(run, signal.SIGINT)

    assert run.returncode == 130 and stopped_s < 10 and "Traceback" not in output, output
    last = output.strip().splitlines()[-1]
    said = re.search(r"stopped by SIGINT \(Ctrl-C\) after [\d.]+ s: (\d) of 4 day\(s\) committed \(([-\d., ]+)\)",
                     last)
    assert said, output
    committed = days_named(said.group(2))
    assert int(said.group(1)) == len(committed) < len(days), last
    in_lake = sorted(p.name.removeprefix("date=") for p in (lake / "documents").iterdir())
    assert in_lake == committed
    assert not list((lake / "_locks").glob("*.json")), output
    assert not [p for p in (lake / "_staging").rglob("*") if p.is_file()] if (lake / "_staging").exists() else True

    rerun = start_ingest(source, lake, "--batch-mb", "1", "--mode", "missing", "--prefect-api", api_url())
    stdout, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, stdout + stderr
    ran = re.search(r"│ days +│ +(.+?) │", stdout).group(1).split(", ")
    assert ran == [d for d in days if d not in committed]
    assert lake_rows(open_store(str(lake))) == lake_rows(open_store(str(tmp_path / "clean")))
