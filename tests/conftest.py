"""Shared fixtures: a real S3-compatible server, a real Prefect, and raw corpora on disk.

S3 is moto's server mode, a separate process speaking HTTP on 127.0.0.1: the
product's own boto3 and pyarrow code talk to it as they would to AWS. Flows
run against Prefect's test harness (a temporary local API server).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

import flows.prefect_defaults  # noqa: F401  (before Prefect is imported)
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
