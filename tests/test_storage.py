"""Listing and reading raw objects, in a local folder and on a real S3-compatible server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks.storage import Location, list_day_objects, list_days, open_object


@pytest.mark.parametrize("url, bucket, prefix", [
    ("s3://raw", "raw", ""),
    ("s3://raw/", "raw", ""),
    ("s3://raw/pages/2026/", "raw", "pages/2026"),
])
def test_s3_location_splits_bucket_and_prefix(url, bucket, prefix):
    location = Location(url)
    assert location.is_s3 and (location.bucket, location.prefix) == (bucket, prefix)


def test_local_listing_finds_days_and_objects_at_any_depth(tmp_path):
    for relative in ["dt=2026-11-27/a.jsonl", "dt=2026-11-27/deep/er/b.warc.gz", "dt=2026-11-27/.hidden",
                     "dt=2026-11-28/c.html", "not-a-day/d.html", "dt=2026-13/e.html"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"x" * len(relative))
    source = Location(str(tmp_path))

    assert list_days(source) == ["2026-11-27", "2026-11-28"]
    objects = list_day_objects(source, "2026-11-27")
    assert [o.uri for o in objects] == [str(tmp_path / "dt=2026-11-27/a.jsonl"),
                                        str(tmp_path / "dt=2026-11-27/deep/er/b.warc.gz")]
    assert [o.size for o in objects] == [len("dt=2026-11-27/a.jsonl"), len("dt=2026-11-27/deep/er/b.warc.gz")]
    assert list_day_objects(source, "2026-11-29") == []


def test_a_missing_source_folder_is_an_error_not_an_empty_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_days(Location(str(tmp_path / "nope")))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_day_objects(Location(str(tmp_path / "nope")), "2026-11-27")


def test_s3_listing_pages_through_more_than_a_thousand_keys(s3_bucket, s3_endpoint):
    bucket, client = s3_bucket
    keys = [f"landing/dt=2026-11-27/shard-{i % 7}/page-{i:05d}.html" for i in range(1_050)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"<p>x</p>"), keys))
    client.put_object(Bucket=bucket, Key="landing/dt=2026-11-28/one.html", Body=b"<p>y</p>")
    source = Location(f"s3://{bucket}/landing", s3_endpoint)

    assert list_days(source) == ["2026-11-27", "2026-11-28"]
    listed = list_day_objects(source, "2026-11-27")
    assert [o.uri for o in listed] == sorted(f"s3://{bucket}/{key}" for key in keys)


def test_s3_read_carries_the_user_metadata(s3_bucket, s3_endpoint):
    bucket, client = s3_bucket
    client.put_object(Bucket=bucket, Key="p.html", Body=b"<p>hello</p>", Metadata={"url": "https://a.example/x"},
                      ContentType="text/html; charset=utf-8")

    opened = open_object(f"s3://{bucket}/p.html", s3_endpoint)
    with opened.stream:
        assert opened.stream.readline(5) == b"<p>he"
        assert opened.stream.read() == b"llo</p>"
    assert opened.metadata == {"url": "https://a.example/x"}
    assert opened.content_type == "text/html; charset=utf-8"
