"""Shared fixtures: a real S3-compatible server, a real Prefect, and raw corpora on disk.

S3 is moto's server mode, a separate process speaking HTTP on 127.0.0.1: the
product's own boto3 and pyarrow code talk to it as they would to AWS. Flows
run against Prefect's test harness (a temporary local API server).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest

import flows.prefect_defaults  # noqa: F401  (before Prefect is imported)

SHARED = Path(__file__).resolve().parents[2] / "shared"
NEWS_DEV = SHARED / "corpus" / "news-dev"
# Built by tests/corpora/build_web_corpus.py, outside the repository (its pages are not ours to commit).
WEB_DEV = Path(__file__).resolve().parents[2] / "corpora" / "web-dev"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server in its own process on 127.0.0.1, with throwaway credentials in the environment."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("moto server did not start")
            time.sleep(0.2)
    previous = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    yield endpoint
    server.terminate()
    server.wait(timeout=10)
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh, empty bucket per test, and a boto3 client to fill it."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"pagefold-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name, client


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for the session; its first start migrates a fresh database (~30 s here)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def needs_news_dev():
    return pytest.mark.skipif(not NEWS_DEV.exists(), reason=f"{NEWS_DEV} is absent (it ships with ../shared)")


def needs_web_dev():
    return pytest.mark.skipif(not (WEB_DEV / "truth.jsonl").exists(),
                              reason=f"{WEB_DEV} is absent (tests/corpora/build_web_corpus.py builds it)")
