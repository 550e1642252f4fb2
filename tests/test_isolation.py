"""What one object or one page can do costs that object's or page's rows, as reason-coded rejects, never the day;
faults of the network are retried where they happen, not by re-running a batch. Run through the ingest flow."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os

import duckdb
import pandas as pd
import pytest

from flows.ingest import ingest
from tests.faultproxy import FaultProxy, Rule
from tests.prefect_runs import batch_attempts
from tests.rawdata import FETCHED, GOOD_URLS, MAX_PAGE_MB, hard_input_objects, page, slow_entities_page, write_day

pytestmark = pytest.mark.usefixtures("prefect_harness")

DAY = "2026-11-20"


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def harbour() -> dict:
    return {"url": GOOD_URLS["harbour"], "html": page("harbour-news-tidal-barrier.html").decode(), "fetched_at": FETCHED}


def rejects(lake) -> pd.DataFrame:
    return pd.read_parquet(lake / "rejects")


def document_urls(lake) -> set[str]:
    return {r[0] for r in duckdb.sql(f"SELECT url FROM read_parquet('{lake}/documents/*/*.parquet')").fetchall()}


def test_a_file_whose_name_is_not_utf8_is_a_reject_and_the_good_file_beside_it_a_document(tmp_path):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, {"good.jsonl": jsonl(harbour())})
    with open(os.path.join(os.fsencode(source / f"dt={DAY}"), b"bad-\xff\xfe.jsonl"), "wb") as f:
        f.write(jsonl({**harbour(), "url": "https://www.harbourgazette.example/other"}))

    summary = ingest(source=str(source), dest=str(lake), workers=1)

    assert summary["reconciled"] and summary["rejects_by_reason"] == {"invalid_object_name": 1}
    assert document_urls(lake) == {GOOD_URLS["harbour"]}
    [reject] = rejects(lake).itertuples()
    assert (reject.reason, reject.stage) == ("invalid_object_name", "read")
    assert reject.source_uri.endswith("bad-\\xff\\xfe.jsonl")


def test_a_symlink_loop_in_the_source_is_a_reject_not_a_silent_skip(tmp_path):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, {"feeds/good.jsonl": jsonl(harbour())})
    (source / f"dt={DAY}" / "feeds" / "again").symlink_to(source / f"dt={DAY}")

    summary = ingest(source=str(source), dest=str(lake), workers=1)

    assert summary["reconciled"] and summary["pages"] == 2
    [reject] = rejects(lake).itertuples()
    assert (reject.reason, reject.stage, reject.source_uri) == (
        "symlink_loop", "read", str(source / f"dt={DAY}" / "feeds" / "again"))


def test_a_page_whose_entity_recognition_runs_past_the_deadline_costs_only_that_page(tmp_path):
    """Parsing and extraction take a fraction of a second, NER ~7 s of CPU: the 5 s deadline covers all three
    (and a fresh worker's loading of its model, which a loaded machine slows)."""
    source, lake = tmp_path / "raw", tmp_path / "lake"
    slow_url, slow_html = slow_entities_page()
    write_day(source, DAY, {"a-slow.jsonl": jsonl({"url": slow_url, "html": slow_html, "fetched_at": FETCHED}),
                            "b-good.jsonl": jsonl(harbour())})

    summary = ingest(source=str(source), dest=str(lake), workers=1, extract_timeout_s=5,
                     batch_mb=0.01)  # one object per batch: each page in its own chunk, with its own deadline

    assert summary["reconciled"] and summary["rejects_by_reason"] == {"extract_timeout": 1}
    [reject] = rejects(lake).itertuples()
    assert (reject.reason, reject.url) == ("extract_timeout", slow_url)
    assert document_urls(lake) == {GOOD_URLS["harbour"]}


def test_source_reads_cut_mid_body_are_resumed_and_no_batch_is_retried(s3_bucket, s3_endpoint, tmp_path):
    bucket, client = s3_bucket
    objects = hard_input_objects()
    for key, data in objects.items():
        client.put_object(Bucket=bucket, Key=f"landing/dt={DAY}/{key}", Body=data)
    params = dict(source=f"s3://{bucket}/landing", date=dt.date.fromisoformat(DAY), workers=1,
                  max_page_mb=MAX_PAGE_MB)
    clean = ingest(dest=str(tmp_path / "clean"), s3_endpoint=s3_endpoint, **params)
    cut = [Rule("GET", rf"/landing/dt={DAY}/", "truncate", times=len(objects)),
           Rule("GET", rf"/landing/dt={DAY}/", "reset", times=2)]

    with FaultProxy(s3_endpoint, rules=cut) as proxy:
        state = ingest(dest=str(tmp_path / "cut"), s3_endpoint=proxy.endpoint, return_state=True, **params)

    assert state.is_completed(), state.message
    assert proxy.counts["truncate"] == len(objects) and proxy.counts["reset"] == 2
    assert batch_attempts(state) == 1  # the object reads were retried, not the batch
    for dataset, key in (("documents", "doc_id"), ("rejects", "reason, source_uri, source_line")):
        rows = [duckdb.sql(f"SELECT {key} FROM read_parquet('{tmp_path / run}/{dataset}/*/*.parquet') ORDER BY ALL"
                           ).fetchall() for run in ("clean", "cut")]
        assert rows[0] == rows[1] and len(rows[0]) == clean[dataset]


def test_a_batch_that_fails_for_a_reason_a_retry_cannot_cure_is_not_retried(tmp_path, monkeypatch):
    """A configured NER model that is not installed fails its batch at once: no 5 s + 30 s of retries first."""
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, {"good.jsonl": jsonl(harbour())})
    monkeypatch.setenv("PAGEFOLD_NER_MODELS", "en=pagefold_no_such_model")

    state = ingest(source=str(source), dest=str(lake), workers=1, return_state=True)

    assert state.is_failed() and "pagefold_no_such_model" in state.message
    assert batch_attempts(state) == 1
    assert not lake.exists() or not (lake / "documents").exists()


def test_a_gzip_object_is_read_whole_after_its_reads_are_cut(s3_bucket, s3_endpoint):
    """The stream resumes inside the compressed bytes: the decompressor never notices."""
    from tasks.lake.storage import open_store
    from tasks.records import Limits
    from tasks.sources.readers import pages_of

    bucket, client = s3_bucket
    records = [{**harbour(), "url": f"https://www.harbourgazette.example/n/{i}"} for i in range(40)]
    client.put_object(Bucket=bucket, Key="raw/big.jsonl.gz", Body=gzip.compress(jsonl(*records)))
    with FaultProxy(s3_endpoint, rules=[Rule("GET", "/big", "truncate", times=3)]) as proxy:
        store = open_store(f"s3://{bucket}/raw", proxy.endpoint)
        [obj] = store.list_objects("")
        pages = list(pages_of(obj, store, Limits()))
    assert [p.url for p in pages] == [r["url"] for r in records]
    assert proxy.counts["truncate"] == 3
