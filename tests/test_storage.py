"""The storage interface, on a local folder and on a real S3-compatible server: one contract, two backends."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks.lake.storage import LocalStore, S3Store, list_day_objects, list_days, open_store
from tests.faultproxy import FaultProxy, Rule


@pytest.mark.parametrize("url, bucket, prefix", [
    ("s3://raw", "raw", ""),
    ("s3://raw/", "raw", ""),
    ("s3://raw/pages/2026/", "raw", "pages/2026"),
])
def test_an_s3_url_opens_an_s3_store_with_its_bucket_and_prefix(url, bucket, prefix):
    store = open_store(url, "http://127.0.0.1:9")
    assert isinstance(store, S3Store) and (store.bucket, store.prefix) == (bucket, prefix)
    assert store.uri("dt=2026-11-27/a.html") == f"s3://{bucket}/{prefix + '/' if prefix else ''}dt=2026-11-27/a.html"


def test_a_folder_opens_a_local_store_at_its_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = open_store("raw")
    assert isinstance(store, LocalStore) and store.root == str(tmp_path / "raw")


def put(store, key: str, data: bytes) -> None:
    """Put a raw object as an uploader would: a file in the folder, or an S3 object with boto3."""
    if isinstance(store, LocalStore):
        path = os.path.join(store.root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    else:
        from tasks.lake.storage import s3_client

        s3_client(store.endpoint).put_object(Bucket=store.bucket, Key=f"{store.prefix}/{key}", Body=data)


def test_listing_finds_days_and_objects_at_any_depth_on_both_backends(store):
    for relative in ["dt=2026-11-27/a.jsonl", "dt=2026-11-27/deep/er/b.warc.gz", "dt=2026-11-28/c.html",
                     "not-a-day/d.html", "dt=2026-13/e.html"]:
        put(store, relative, b"x" * len(relative))

    assert list_days(store) == ["2026-11-27", "2026-11-28"]
    objects = list_day_objects(store, "2026-11-27")
    assert [(o.key, o.size, o.problem) for o in objects] == [
        ("dt=2026-11-27/a.jsonl", 21, None), ("dt=2026-11-27/deep/er/b.warc.gz", 31, None)]
    assert [o.uri for o in objects] == [store.uri(o.key) for o in objects]
    assert list_day_objects(store, "2026-11-29") == []
    with store.open(objects[0].key).stream as stream:
        assert stream.read() == b"x" * 21


def test_local_listing_skips_hidden_files(tmp_path):
    (tmp_path / "dt=2026-11-27").mkdir()
    (tmp_path / "dt=2026-11-27" / ".upload.tmp").write_bytes(b"partial")
    assert list_day_objects(open_store(str(tmp_path)), "2026-11-27") == []


def test_a_missing_source_folder_is_an_error_not_an_empty_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_days(open_store(str(tmp_path / "nope")))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_day_objects(open_store(str(tmp_path / "nope")), "2026-11-27")


def test_a_file_name_that_is_not_utf8_is_listed_as_a_problem_beside_the_good_file(tmp_path):
    day = tmp_path / "dt=2026-11-27"
    day.mkdir()
    (day / "good.html").write_bytes(b"<p>fine</p>")
    os.close(os.open(os.path.join(os.fsencode(day), b"bad-\xff\xfe.html"), os.O_CREAT | os.O_WRONLY))

    bad, good = list_day_objects(open_store(str(tmp_path)), "2026-11-27")

    assert (good.key, good.problem) == ("dt=2026-11-27/good.html", None)
    assert bad.problem.reason == "invalid_object_name"
    assert bad.uri == f"{day}/bad-\\xff\\xfe.html"
    assert bad.uri.encode("utf-8")  # a row can hold it


def test_symbolic_links_are_followed_and_loops_and_dangling_links_are_reported(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "linked.html").write_bytes(b"<p>linked</p>")
    day = tmp_path / "raw" / "dt=2026-11-27"
    (day / "sub").mkdir(parents=True)
    (day / "sub" / "up").symlink_to(day)  # a folder that contains itself
    (day / "self.html").symlink_to(day / "self.html")  # a link to itself
    (day / "gone.html").symlink_to(tmp_path / "missing.html")
    (day / "more").symlink_to(outside)

    listed = {o.key: o for o in list_day_objects(open_store(str(tmp_path / "raw")), "2026-11-27")}

    assert {key: o.problem.reason if o.problem else None for key, o in listed.items()} == {
        "dt=2026-11-27/gone.html": "object_missing",
        "dt=2026-11-27/more/linked.html": None,
        "dt=2026-11-27/self.html": "symlink_loop",
        "dt=2026-11-27/sub/up": "symlink_loop",
    }


def test_s3_listing_pages_through_more_than_a_thousand_keys(s3_bucket, s3_endpoint):
    bucket, client = s3_bucket
    keys = [f"landing/dt=2026-11-27/shard-{i % 7}/page-{i:05d}.html" for i in range(1_050)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"<p>x</p>"), keys))
    client.put_object(Bucket=bucket, Key="landing/dt=2026-11-28/one.html", Body=b"<p>y</p>")
    source = open_store(f"s3://{bucket}/landing", s3_endpoint)

    assert list_days(source) == ["2026-11-27", "2026-11-28"]
    listed = list_day_objects(source, "2026-11-27")
    assert [o.uri for o in listed] == sorted(f"s3://{bucket}/{key}" for key in keys)


def test_s3_read_carries_the_user_metadata(s3_bucket, s3_endpoint):
    bucket, client = s3_bucket
    client.put_object(Bucket=bucket, Key="p.html", Body=b"<p>hello</p>", Metadata={"url": "https://a.example/x"},
                      ContentType="text/html; charset=utf-8")

    opened = open_store(f"s3://{bucket}", s3_endpoint).open("p.html")
    with opened.stream:
        assert opened.stream.readline(5) == b"<p>he"
        assert opened.stream.read() == b"llo</p>"
    assert opened.metadata == {"url": "https://a.example/x"}
    assert opened.content_type == "text/html; charset=utf-8"


def test_a_read_cut_mid_body_resumes_where_it_broke(s3_bucket, s3_endpoint):
    """The first two answers are cut halfway: the stream picks up with ranged GETs and the bytes come out whole."""
    bucket, client = s3_bucket
    data = os.urandom(3 << 20)
    client.put_object(Bucket=bucket, Key="raw/big.warc", Body=data)
    rules = [Rule("GET", r"/big\.warc", "truncate", times=2)]
    with FaultProxy(s3_endpoint, rules=rules) as proxy:
        store = open_store(f"s3://{bucket}/raw", proxy.endpoint)
        read = []
        with store.open("big.warc", on_read=read.append).stream as stream:
            assert stream.read() == data
    assert sum(read) == len(data)  # progress counts each byte once
    assert proxy.counts["truncate"] == 2 and proxy.counts["requests"] == 3


def test_an_object_that_vanished_or_is_refused_is_unreadable_with_a_reason(store):
    from tasks.lake.storage import UnreadableObject

    with pytest.raises(UnreadableObject) as missing:
        store.open("dt=2026-11-27/never-there.html")
    assert missing.value.reason == "object_missing"


def test_conditional_create_replace_and_delete_let_one_writer_win(store):
    first = store.create("_locks/day.json", b"first")
    assert first and store.create("_locks/day.json", b"second") is None
    blob = store.read("_locks/day.json")
    assert (blob.data, blob.tag) == (b"first", first) and 0 <= blob.age_s < 60

    second = store.replace("_locks/day.json", b"second", first)
    assert second and second != first
    assert store.replace("_locks/day.json", b"third", first) is None  # a stale tag loses
    assert store.read("_locks/day.json").data == b"second"

    assert store.delete("_locks/day.json", first) is False
    assert store.delete("_locks/day.json", second) is True
    assert store.read("_locks/day.json") is None
    assert store.replace("_locks/day.json", b"x", second) is None
    assert store.delete("_locks/day.json", second) is True  # already gone: nothing to do


def test_concurrent_replaces_of_one_version_have_exactly_one_winner(store):
    tag = store.create("k", b"v0")
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda i: store.replace("k", f"v{i + 1}".encode(), tag), range(8)))
    winners = [i for i, t in enumerate(outcomes) if t is not None]
    assert len(winners) == 1
    assert store.read("k").data == f"v{winners[0] + 1}".encode()


def test_replace_tree_swaps_a_folder_and_delete_tree_leaves_nothing(store):
    put(store, "live/date=1/old-a.parquet", b"old a")
    put(store, "live/date=1/old-b.parquet", b"old b")
    put(store, "_staging/1/run/final/new.parquet", b"new")
    put(store, "_staging/1/run/parts/p.parquet", b"part")

    store.replace_tree("_staging/1/run/final", "live/date=1")

    assert [o.key for o in store.list_objects("live")] == ["live/date=1/new.parquet"]
    with store.open("live/date=1/new.parquet").stream as stream:
        assert stream.read() == b"new"
    store.delete_tree("_staging/1/run")
    assert store.list_objects("_staging") == [] and store.list_dirs() == ["live"]
