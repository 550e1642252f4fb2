"""The `pagefold` command as an operator runs it: a fresh machine, no Prefect server, no terminal."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import NEWS_DEV, needs_news_dev
from tests.rawdata import MAX_PAGE_MB, hard_input_objects, write_day

PAGEFOLD = str(Path(sys.executable).with_name("pagefold"))
# What must never reach an operator's screen from a healthy run.
NOISE = ("Traceback", "Warning", "WARNING", "Error", "ERROR", "timed out", "Timeout", "CancelledError")


def noise(result: subprocess.CompletedProcess) -> list[str]:
    """Noise on stderr, except in the log line of a reject, which quotes its detail (e.g. an EOFError of a
    truncated gzip); stdout may quote details too, never a traceback."""
    stderr = "\n".join(line for line in result.stderr.splitlines() if ": reject " not in line)
    return [word for word in NOISE if word in stderr] + ["Traceback"] * ("Traceback" in result.stdout)


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory) -> Path:
    """One fresh Prefect home for the module: the first command meets an empty database, as on a new machine."""
    return tmp_path_factory.mktemp("prefect-home")


def pagefold(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), COLUMNS="200")
    return subprocess.run([PAGEFOLD, *args], env=env, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, prefect_home):
    root = tmp_path_factory.mktemp("cli")
    write_day(root / "raw", "2026-11-20", hard_input_objects())
    result = pagefold("ingest", "--source", str(root / "raw"), "--dest", str(root / "lake"),
                      "--max-page-mb", str(MAX_PAGE_MB), home=prefect_home)
    return root / "lake", result


def test_ingest_on_a_fresh_prefect_home_succeeds_with_clean_output(ingested):
    _, result = ingested
    assert result.returncode == 0, result.stderr
    assert not noise(result), result.stdout + result.stderr
    assert "reconciled" in result.stdout and "yes: pages = documents + rejects" in result.stdout


def test_ingest_summary_matches_the_lake(ingested):
    lake, result = ingested
    documents = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake}/documents/*/*.parquet')").fetchall()[0][0]
    rejects = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake}/rejects/*/*.parquet')").fetchall()[0][0]
    table = dict(re.findall(r"│ (\w[\w ]*?) +│ +(\S+) │", result.stdout))
    assert table["documents written"] == str(documents)
    assert table["rejects written"] == str(rejects)
    entities = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake}/entities/*/*.parquet')").fetchall()[0][0]
    assert table["entities written"] == str(entities)


def test_query_runs_sql_over_the_registered_views(ingested, prefect_home):
    lake, _ = ingested
    result = pagefold("query", "--lake", str(lake),
                      "SELECT reason, count(*) AS n FROM rejects GROUP BY reason ORDER BY reason", home=prefect_home)
    assert result.returncode == 0, result.stderr
    assert "invalid_json" in result.stdout and "unsupported_format" in result.stdout


def test_query_without_sql_lists_views_and_described_columns(ingested, prefect_home):
    lake, _ = ingested
    result = pagefold("query", "--lake", str(lake), home=prefect_home)
    assert result.returncode == 0, result.stderr
    assert "documents" in result.stdout and "rejects" in result.stdout
    assert "Hex SHA-256 of `text`" in result.stdout  # descriptions come from the declared schema


def test_help_names_every_command(prefect_home):
    result = pagefold("--help", home=prefect_home)
    assert result.returncode == 0
    for command in ("ingest", "query", "demo"):
        assert command in result.stdout


@needs_news_dev()
def test_news_dev_corpus_is_fully_accounted_for(tmp_path, prefect_home):
    """Every page of the real corpus becomes a document or a reject with a reason."""
    write_day(tmp_path / "raw", "2024-05-03", {"news-dev.jsonl.gz": (NEWS_DEV / "pages.jsonl.gz").read_bytes()})
    result = pagefold("ingest", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"),
                      home=prefect_home)
    assert result.returncode == 0, result.stderr
    with gzip.open(NEWS_DEV / "pages.jsonl.gz", "rt") as lines:
        urls = [json.loads(line)["url"] for line in lines]
    lake = tmp_path / "lake"
    seen = duckdb.sql(
        f"SELECT url, 'document' FROM read_parquet('{lake}/documents/*/*.parquet') UNION ALL "
        f"SELECT url, reason FROM read_parquet('{lake}/rejects/*/*.parquet')").fetchall()
    assert sorted(url for url, _ in seen) == sorted(urls)
    assert all(reason for _, reason in seen)


def test_demo_builds_its_corpus_ingests_it_and_shows_the_lake(tmp_path, prefect_home):
    result = pagefold("demo", "--workdir", str(tmp_path), home=prefect_home)
    assert result.returncode == 0, result.stderr
    assert not noise(result), result.stdout + result.stderr
    assert "Council backs tidal barrier after winter floods" in result.stdout
    assert "too_little_prose" in result.stdout and "corrupt_gzip" in result.stdout
    top = result.stdout.split("Top people, organisations and places", 1)[1]
    assert re.search(r"│ people +│ Claire Dufresne +│ 1 +│ 2 ", top) and re.search(r"│ places +│ Gdansk ", top)
    by_language = result.stdout.split("Top people by language of the page", 1)[1]
    assert re.search(r"│ de +│ Jens Habermann +│ 2 ", by_language) and re.search(r"│ fr +│ Claire Dufresne ", by_language)
    assert f"{tmp_path / 'lake'}" in result.stdout


def test_backfill_ingests_each_day_of_the_range_and_lists_them(tmp_path, prefect_home):
    days = ["2026-11-20", "2026-11-21"]
    for day in days:
        write_day(tmp_path / "raw", day, {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})

    result = pagefold("backfill", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake"),
                      "--start", days[0], "--end", days[1], home=prefect_home)

    assert result.returncode == 0, result.stderr
    assert not noise(result), result.stdout + result.stderr
    assert all(re.search(rf"│ {day} +│ Completed", result.stdout) for day in days), result.stdout
    written = duckdb.sql(f"SELECT DISTINCT CAST(date AS VARCHAR) FROM read_parquet('{tmp_path}/lake/documents/*/*.parquet',"
                         " hive_partitioning = true) ORDER BY 1").fetchall()
    assert [d for (d,) in written] == days
