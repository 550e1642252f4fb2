"""The local Prefect server of command-line runs: one per home, shared by the commands that run at once or one
after another, stopped once none has used it for the idle time, replaced when it died."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from flows.local_server import IDLE_ENV, LocalServer
from tasks.running.service import stop_services


@pytest.fixture
def home(tmp_path, command_home) -> Path:
    """A Prefect home of the test's own, its database a copy of the session's (migrated: no 20-35 s migration)."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    with sqlite3.connect(command_home / "prefect.db") as source, sqlite3.connect(home / "prefect.db") as copy:
        source.backup(copy)
    yield home
    stop_services(home)


def answers(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5):
            return True
    except OSError:
        return False


def state(home: Path) -> dict:
    [state_file] = home.glob("server-*.json")
    return json.loads(state_file.read_text())


def test_processes_using_one_home_share_its_server(home):
    first = LocalServer(home)
    first.ready()
    second = LocalServer(home)
    assert (second.pid, second.port) == (first.pid, first.port) == (state(home)["pid"], state(home)["port"])
    assert answers(second.api_url)
    assert psutil.Process(first.pid).cwd() == str(home)  # not the folder of the command that started it
    first.release(stop_if_unused=True)  # the second still uses it
    assert answers(second.api_url)
    second.release(stop_if_unused=True)
    assert not psutil.pid_exists(first.pid)
    assert not list(home.glob("server-*.json"))


def test_commands_starting_at_once_start_one_server(home):
    probe = ("import sys; from pathlib import Path; from flows.local_server import LocalServer; "
             "print(LocalServer(Path(sys.argv[1])).pid)")
    env = {**os.environ, IDLE_ENV: "30"}
    starting = [subprocess.Popen([sys.executable, "-c", probe, str(home)], stdout=subprocess.PIPE, text=True, env=env)
                for _ in range(3)]
    pids = {int(p.communicate(timeout=120)[0]) for p in starting}
    assert len(pids) == 1 and pids == {state(home)["pid"]}


def test_an_idle_server_stops_and_the_next_command_starts_another(home, monkeypatch):
    monkeypatch.setenv(IDLE_ENV, "1")
    server = LocalServer(home)
    server.ready()
    time.sleep(3)  # twice the idle time, with a user: it stays
    assert answers(server.api_url)
    server.release()
    deadline = time.monotonic() + 30
    while answers(server.api_url) or list(home.glob("server-*.json")):
        assert time.monotonic() < deadline, "the idle server did not stop"
        time.sleep(0.2)
    again = LocalServer(home)
    again.ready()
    assert again.pid != server.pid and answers(again.api_url)
    again.release(stop_if_unused=True)


def test_a_server_that_died_is_replaced_by_the_next_command(home):
    server = LocalServer(home)
    server.ready()
    psutil.Process(server.pid).kill()
    psutil.Process(server.pid).wait(timeout=30)
    server.release()
    assert state(home)["pid"] == server.pid  # a stale state file, as after a crash or a reboot

    again = LocalServer(home)
    again.ready()
    assert again.pid != server.pid and answers(again.api_url)
    again.release(stop_if_unused=True)


def test_the_server_keeps_its_runs_in_the_homes_database_whatever_the_command_uses(home, monkeypatch):
    """A database URL in the command's environment (an operator's Postgres) is not the local server's."""
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/prefect")
    server = LocalServer(home)
    server.ready()
    with urllib.request.urlopen(urllib.request.Request(f"{server.api_url}/flows/", method="POST", data=json.dumps(
            {"name": "pagefold-local-server-test"}).encode(), headers={"Content-Type": "application/json"})) as answer:
        assert answer.status in (200, 201)
    server.release(stop_if_unused=True)
    with sqlite3.connect(home / "prefect.db") as db:
        assert db.execute("SELECT count(*) FROM flow WHERE name = 'pagefold-local-server-test'").fetchone() == (1,)
