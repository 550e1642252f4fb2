"""S3 on both sides: a moto server over HTTP, through the product's own boto3 and pyarrow code."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest

from flows.ingest import ingest
from schemas import DATASETS, PARTITIONING
from tasks.lake.storage import Store, open_store
from tasks.query import open_lake, with_partition_column
from tests.rawdata import GOOD_URLS, MAX_PAGE_MB, hard_input_objects, page

pytestmark = pytest.mark.usefixtures("prefect_harness")

DAY = "2026-11-20"
BLOG_URL = "https://fieldnotes.example/2026/11/26/sourdough-in-a-cold-kitchen/?from=s3-metadata"


def upload_day(client, bucket: str) -> None:
    for key, data in hard_input_objects().items():
        client.put_object(Bucket=bucket, Key=f"landing/dt={DAY}/{key}", Body=data)
    # A single-page object whose URL travels in S3 user metadata.
    client.put_object(Bucket=bucket, Key=f"landing/dt={DAY}/pages/blog.html", Body=page("field-notes-sourdough.html"),
                      Metadata={"url": BLOG_URL}, ContentType="text/html; charset=utf-8")
    # Something outside any dt= folder is not part of any day.
    client.put_object(Bucket=bucket, Key="landing/README.txt", Body=b"not a day")


def keys(client, bucket: str, prefix: str) -> list[str]:
    """Data objects under a prefix (pyarrow leaves empty `dir/` markers, which hold nothing)."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", []) if not o["Key"].endswith("/"))


def read_documents(lake: Store):
    fs, base = lake.arrow()
    from schemas import DOCUMENTS

    dataset = ds.dataset(f"{base}/documents", schema=with_partition_column(DOCUMENTS), filesystem=fs,
                         partitioning=PARTITIONING)
    return dataset.to_table().to_pandas()


def test_s3_source_to_s3_lake_and_back(s3_bucket, s3_endpoint):
    bucket, client = s3_bucket
    upload_day(client, bucket)
    lake = open_store(f"s3://{bucket}/lake", s3_endpoint)

    summary = ingest(source=f"s3://{bucket}/landing", dest=lake.url, s3_endpoint=s3_endpoint, workers=2,
                     max_page_mb=MAX_PAGE_MB)

    assert summary["days"] == [DAY] and summary["reconciled"]
    written = keys(client, bucket, "lake/")
    assert written and all(k.startswith(tuple(f"lake/{name}/date=2026-11-20/part-" for name in DATASETS))
                           for k in written), written
    frame = read_documents(lake)
    assert set(GOOD_URLS.values()) | {BLOG_URL} <= set(frame.url)
    blog = frame[frame.url == BLOG_URL].iloc[0]
    assert blog.title == "Sourdough in a Cold Kitchen" and list(blog.authors) == ["Maren Holt"]
    assert blog.source_uri == f"s3://{bucket}/landing/dt={DAY}/pages/blog.html"

    con, views = open_lake(lake)
    assert views == [*DATASETS, "drift"]
    documents, rejects = con.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM rejects)").fetchall()[0]
    assert (documents, rejects) == (summary["documents"], summary["rejects"])


def test_s3_rerun_replaces_the_day_and_deletes_the_old_files(s3_bucket, s3_endpoint):
    bucket, client = s3_bucket
    upload_day(client, bucket)
    params = dict(source=f"s3://{bucket}/landing", dest=f"s3://{bucket}/lake", s3_endpoint=s3_endpoint, workers=1,
                  max_page_mb=MAX_PAGE_MB)
    first = ingest(**params)
    second = ingest(**params)
    written = keys(client, bucket, "lake/")
    assert all(second["run_id"] in k for k in written) and not any(first["run_id"] in k for k in written)
    frame = read_documents(open_store(f"s3://{bucket}/lake", s3_endpoint))
    assert len(frame) == second["documents"] == first["documents"]
    assert frame.doc_id.is_unique
