"""Shared fixtures: a real S3-compatible server, a real Prefect, and raw corpora on disk; the quick tier.

S3 is moto's server mode, a separate process speaking HTTP on 127.0.0.1: the
product's own boto3 and pyarrow code talk to it as they would to AWS. Flows
run against a real Prefect server: the local server of the session's Prefect
home (`flows.local_server`, as `pagefold` commands use it), started once and
shared by the tests' own flows, every `pagefold` command they run, and
pytest-xdist's workers. A test that needs a Prefect of its own (a fresh home)
starts it and stops it itself.

`make test-quick` runs the tests not marked `slow`: a test is slow when it
uses the session's Prefect (`prefect_harness`, `command_home`) or moto's
server (`s3_endpoint`, and the `s3` case of `store`), or when its module says
so (`pytestmark = pytest.mark.slow`: processes, real waits).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

import flows.prefect_defaults  # noqa: F401  (before Prefect is imported)
from flows.local_server import IDLE_ENV, LocalServer
from tasks.running.shared_workers import IDLE_ENV as WORKERS_IDLE_ENV
from tasks.running.shared_workers import SharedWorkers
from tasks.running import pool
from tests.s3server import moto_server

SHARED = Path(__file__).resolve().parents[2] / "shared"
NEWS_DEV = SHARED / "corpus" / "news-dev"
# Built by tests/corpora/build_web_corpus.py, outside the repository (its pages are not ours to commit).
WEB_DEV = Path(__file__).resolve().parents[2] / "corpora" / "web-dev"


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server in its own process on 127.0.0.1, with throwaway credentials in the environment."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh, empty bucket per test, and a boto3 client to fill it."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"pagefold-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name, client


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    """An empty store, once a local folder and once a prefix of a fresh bucket on moto's server."""
    from tasks.lake.storage import open_store

    if request.param == "local":
        return open_store(str(tmp_path / "store"))
    bucket, _ = request.getfixturevalue("s3_bucket")
    return open_store(f"s3://{bucket}/store", request.getfixturevalue("s3_endpoint"))


SLOW_FIXTURES = {"session_prefect", "s3_endpoint"}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs Prefect, moto's S3 server or processes (not in make test-quick)")


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (`make test`): one test process more than the CPUs this process may use. The tests wait on
    processes they start (Prefect servers, Dask clusters, commands being stopped, deadlines): with one test
    process per CPU, `make test` left the CPUs idle 6-12% of its time on 2 cores (vmstat), 4% with three."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus + 1


# The test files that take longest, longest first (their tests' summed durations in `make test` on 2 cores,
# `--durations=80`: 139 s for test_cli.py down to 48 s; test_quality.py's wcxb-dev case alone is 87 s). `make test`
# has pytest-xdist hand out whole files in collection order (`--no-loadscope-reorder`; by default it starts with
# the files of most tests, cheap ones), and these are collected first, so that no worker ends the run alone on one
# of them while the others idle.
LONGEST_FILES = ("test_quality.py", "test_cli.py", "test_dask.py", "test_stopping.py", "test_isolation.py",
                 "test_ingest_flow.py", "test_operating.py", "test_fault_injection.py", "test_pool.py",
                 "test_backfill_modes.py", "stories/test_stories_flow.py", "test_ingest_s3.py", "test_readme.py")


def pytest_collection_modifyitems(items):
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        if SLOW_FIXTURES & set(item.fixturenames) or params.get("store") == "s3":
            item.add_marker(pytest.mark.slow)
    first = {f"tests/{name}": rank for rank, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::")[0], len(first)))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def session_prefect(tmp_path_factory) -> Iterator[LocalServer]:
    """The local Prefect server of the session's Prefect home, and its shared extraction workers, running for the
    session.

    The home is shared by pytest-xdist's workers (each has a base folder of its own below the session's): the
    first worker to get here starts the server (its first start migrates a new database, 20-35 s here); the
    last to leave stops it. XDG_STATE_HOME points at the home too, so that a command run with
    PAGEFOLD_PREFECT_HOME unset (a user's shell) uses it, never the user's own. A short idle time stops a server
    left behind by a session that was killed.
    """
    base = tmp_path_factory.getbasetemp()
    state = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "state"
    home = state / "pagefold" / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(XDG_STATE_HOME=str(state), PAGEFOLD_PREFECT_HOME=str(home),
                      **{IDLE_ENV: "120", WORKERS_IDLE_ENV: "120"})
    server = LocalServer(home)
    workers = SharedWorkers(home)  # the warm extraction workers of the session's runs, kept for the session too
    server.ready()
    yield server
    server.release(stop_if_unused=True)
    workers.release(stop_if_unused=True)


@pytest.fixture(scope="session")
def command_home(session_prefect) -> Path:
    """The Prefect home of the `pagefold` commands the tests run (its server is running)."""
    return session_prefect.home


@pytest.fixture(scope="session")
def prefect_harness(session_prefect):
    """This process's Prefect sent to the session's local server, and its pages to the session's shared extraction
    workers, for the flows the tests run in-process."""
    import prefect.context
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: session_prefect.api_url}), \
            prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()):
        pool.share_workers(session_prefect.home)
        yield
        APILogWorker.drain_all()  # the last log lines and events reach the server before it may stop
        EventsWorker.drain_all()


def needs_news_dev():
    return pytest.mark.skipif(not NEWS_DEV.exists(), reason=f"{NEWS_DEV} is absent (it ships with ../shared)")


def needs_web_dev():
    return pytest.mark.skipif(not (WEB_DEV / "truth.jsonl").exists(),
                              reason=f"{WEB_DEV} is absent (tests/corpora/build_web_corpus.py builds it)")
