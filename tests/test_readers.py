"""Unit tests of tasks.sources.readers: raw objects on disk to pages and rejects."""

from __future__ import annotations

import gzip
import json
import random
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tasks.lake.storage import ObjectInfo, open_store
from tasks.records import Limits, RawPage, Reject
from tasks.sources.demo_corpus import jsonl_gz_bytes, truncated_gzip, warc_bytes
from tasks.sources.readers import charset_of, object_format, parse_timestamp, read_object

UTC = timezone.utc


# --- helpers -----------------------------------------------------------------------------------------------------

def read_path(path: Path, limits: Limits = Limits()) -> list[RawPage | Reject]:
    """Every item `read_object` yields for a local object."""
    opened = open_store(str(path.parent)).open(path.name)
    with opened.stream:
        return list(read_object(ObjectInfo(str(path), path.stat().st_size), opened, limits))


def read_bytes(tmp_path: Path, name: str, data: bytes, limits: Limits = Limits()) -> list[RawPage | Reject]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return read_path(path, limits)


def jsonl_line(record: dict) -> bytes:
    """One JSONL line exactly as `jsonl_gz_bytes` writes it."""
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def record(i: int, **extra) -> dict:
    return {"url": f"https://news.example/item-{i}", "html": f"<html><body><p>Story {i} — déjà vu</p></body></html>",
            **extra}


def kinds(items: list) -> list[str]:
    return [type(item).__name__ if isinstance(item, RawPage) else item.reason for item in items]


# --- JSONL -------------------------------------------------------------------------------------------------------

FULL_RECORDS = [
    {"url": "https://www.harbour.example/news/a", "html": "<html><body><p>Première</p></body></html>",
     "fetched_at": "2026-11-27T06:05:00+02:00", "status": 200,
     "headers": {"Content-Type": "text/html; charset=ISO-8859-1"}},
    {"url": "https://www.harbour.example/news/b", "html": "<html><body><p>Second</p></body></html>",
     "fetched_at": "2026-11-27T06:05:00", "status": 404,
     "headers": {"content-type": 'text/html; charset="Shift_JIS"', "Server": "nginx"}},
    {"url": "  https://www.harbour.example/news/c  ", "html": "<html><body><p>Third</p></body></html>",
     "fetched_at": "2026-11-27T06:05:00Z", "status": 200, "headers": {"Content-Type": "text/html"}},
]
# What each record's fields must become, written out from the records above.
FULL_EXPECTED = [
    ("https://www.harbour.example/news/a", datetime(2026, 11, 27, 4, 5, tzinfo=UTC), 200, "iso-8859-1"),
    ("https://www.harbour.example/news/b", datetime(2026, 11, 27, 6, 5, tzinfo=UTC), 404, "shift_jis"),
    ("https://www.harbour.example/news/c", datetime(2026, 11, 27, 6, 5, tzinfo=UTC), 200, None),
]


@pytest.mark.parametrize("name, data", [
    ("pages.jsonl", gzip.decompress(jsonl_gz_bytes(FULL_RECORDS))),
    ("pages.jsonl.gz", jsonl_gz_bytes(FULL_RECORDS)),
], ids=["plain", "gzipped"])
def test_jsonl_records_become_pages_with_their_fields(tmp_path, name, data):
    items = read_bytes(tmp_path, name, data)

    assert all(isinstance(item, RawPage) for item in items)
    assert len(items) == len(FULL_RECORDS)
    for line_no, (page, rec, (url, fetched_at, status, charset)) in enumerate(
            zip(items, FULL_RECORDS, FULL_EXPECTED), start=1):
        assert page.url == url
        assert page.body == rec["html"]
        assert page.fetched_at == fetched_at and page.fetched_at.utcoffset() == timedelta(0)
        assert page.http_status == status
        assert page.charset == charset
        assert page.source.uri == str(tmp_path / name)
        assert page.source.line == line_no
        assert page.raw_bytes == len(jsonl_line(rec))


@pytest.mark.parametrize("bad_line, reason", [
    (b"{this is not json", "invalid_json"),
    (b"\xff\xfe\x00 binary", "invalid_json"),
    (b"[1, 2, 3]", "invalid_json"),
    (b'{"html": "<p>no url</p>"}', "missing_url"),
    (b'{"url": "   ", "html": "<p>blank url</p>"}', "missing_url"),
    (b'{"url": 42, "html": "<p>numeric url</p>"}', "missing_url"),
    (b'{"url": "https://x.example/", "html": null}', "missing_html"),
    (b'{"url": "https://x.example/", "html": "<p/>", "fetched_at": "last tuesday"}', "invalid_fetched_at"),
    (b'{"url": "https://x.example/", "html": "<p/>", "status": "200"}', "invalid_status"),
], ids=["not-json", "not-utf8", "json-array", "no-url", "blank-url", "numeric-url", "no-html", "bad-fetched-at",
        "string-status"])
def test_broken_jsonl_line_is_rejected_with_its_line_number_and_reading_goes_on(tmp_path, bad_line, reason):
    data = jsonl_line(record(1)) + bad_line + b"\n" + jsonl_line(record(3)) + jsonl_line(record(4))

    items = read_bytes(tmp_path, "mixed.jsonl", data)

    assert kinds(items) == ["RawPage", reason, "RawPage", "RawPage"]
    reject = items[1]
    assert reject.source.line == 2
    assert reject.stage == "read"
    assert reject.raw_bytes == len(bad_line) + 1
    assert [page.source.line for page in items if isinstance(page, RawPage)] == [1, 3, 4]
    assert [page.url for page in items if isinstance(page, RawPage)] == [record(i)["url"] for i in (1, 3, 4)]


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzipped"])
def test_oversized_jsonl_line_is_page_too_large_and_reading_continues(tmp_path, gzipped):
    limit = 300
    big = jsonl_line(record(2, html="<p>" + "x" * 5 * limit + "</p>"))
    data = jsonl_line(record(1)) + big + jsonl_line(record(3))
    assert len(jsonl_line(record(1))) < limit and len(big) > limit

    items = read_bytes(tmp_path, "big.jsonl.gz" if gzipped else "big.jsonl", gzip.compress(data) if gzipped else data,
                       Limits(max_page_bytes=limit))

    assert kinds(items) == ["RawPage", "page_too_large", "RawPage"]
    assert items[1].source.line == 2
    assert items[1].raw_bytes == len(big)
    assert items[1].url == record(2)["url"]  # the reject names the page its line begins with
    assert items[2].source.line == 3 and items[2].url == record(3)["url"]


def test_oversized_jsonl_line_whose_url_comes_after_its_html_names_no_url(tmp_path):
    line = json.dumps({"html": '<a href="x" data-url="y">"url": "https://wrong.example/"</a>' + "x" * 70_000,
                       "url": "https://late.example/"}).encode() + b"\n"

    items = read_bytes(tmp_path, "late.jsonl", line, Limits(max_page_bytes=1000))

    assert kinds(items) == ["page_too_large"]
    assert items[0].url is None  # its url lies past the head; a quoted "url" inside the html is no key


def _line_of_length(n: int) -> bytes:
    """A JSONL record line of exactly n bytes, newline not counted."""
    bare = json.dumps({"url": "https://x.example/", "html": ""}).encode()
    padded = json.dumps({"url": "https://x.example/", "html": "y" * (n - len(bare))}).encode()
    assert len(padded) == n
    return padded


@pytest.mark.parametrize("extra, expected", [(-1, "RawPage"), (0, "RawPage"), (1, "page_too_large")],
                         ids=["below-limit", "at-limit", "one-byte-over"])
def test_page_size_limit_boundary(tmp_path, extra, expected):
    limit = 200
    data = _line_of_length(limit + extra) + b"\n" + jsonl_line(record(2))

    items = read_bytes(tmp_path, "edge.jsonl", data, Limits(max_page_bytes=limit))

    assert kinds(items) == [expected, "RawPage"]


def test_blank_lines_are_not_pages_but_count_as_lines(tmp_path):
    lines = [b"\n", jsonl_line(record(1)), b"   \n", b"\t\r\n", jsonl_line(record(2)), b"\n", b"\n"]
    data = b"".join(lines)

    items = read_bytes(tmp_path, "blanks.jsonl", data)

    assert kinds(items) == ["RawPage", "RawPage"]
    assert [page.source.line for page in items] == [2, 5]


def test_truncated_gzip_gives_pages_before_the_break_then_one_corrupt_gzip(tmp_path):
    records = [record(i, html="<html><body><p>" + f"Paragraph {i}. " * 40 + "</p></body></html>") for i in range(20)]
    data = truncated_gzip(records)
    # The lines a gzip reader can recover from the truncated bytes: every complete line before the break.
    recoverable = zlib.decompressobj(wbits=31).decompress(data)
    complete_lines = recoverable.count(b"\n")
    assert 0 < complete_lines < len(records)

    items = read_bytes(tmp_path, "cut.jsonl.gz", data)

    assert kinds(items) == ["RawPage"] * complete_lines + ["corrupt_gzip"]
    assert [page.url for page in items[:-1]] == [r["url"] for r in records[:complete_lines]]
    assert items[-1].source.line == complete_lines + 1


@pytest.mark.parametrize("name", ["junk.jsonl.gz", "junk.html.gz"])
def test_binary_junk_that_is_not_gzip_is_corrupt_gzip(tmp_path, name):
    junk = random.Random(11).randbytes(4096)
    assert junk[:2] != b"\x1f\x8b"

    items = read_bytes(tmp_path, name, junk)

    assert kinds(items) == ["corrupt_gzip"]


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.jsonl.gz", "empty.warc.gz", "empty.html"])
def test_zero_byte_object_is_empty_object(tmp_path, name):
    items = read_bytes(tmp_path, name, b"")

    assert kinds(items) == ["empty_object"]
    assert items[0].raw_bytes == 0


@pytest.mark.parametrize("name", ["report.pdf", "pages.json", "pages.csv.gz", "README", "archive.warc.bz2"])
def test_unknown_extension_is_unsupported_format(tmp_path, name):
    data = jsonl_line(record(1))

    items = read_bytes(tmp_path, name, data)

    assert kinds(items) == ["unsupported_format"]
    assert items[0].raw_bytes == len(data)


def test_decompression_bomb_line_is_page_too_large(tmp_path):
    """One 50 MB line, gzipped to a few tens of KB, with a 1 MB page limit."""
    path = tmp_path / "bomb.jsonl.gz"
    chunk = b"A" * (1 << 20)
    with gzip.open(path, "wb") as out:
        out.write(b'{"url": "https://bomb.example/", "html": "')
        for _ in range(50):
            out.write(chunk)
        out.write(b'"}\n')
    assert path.stat().st_size < 1 << 20

    items = read_path(path, Limits(max_page_bytes=1 << 20))

    assert kinds(items) == ["page_too_large"]
    assert items[0].source.line == 1


# --- WARC --------------------------------------------------------------------------------------------------------

WARC_RESPONSES = [
    ("https://www.desk.example/2024/05/one.html", "<html><body><p>One</p></body></html>".encode(),
     "text/html; charset=UTF-8"),
    ("https://novosti.example/two.html", "<html><body><p>Два</p></body></html>".encode("cp1251"), "text/html"),
    ("https://shinbun.example/three.html", "<html><body><p>三</p></body></html>".encode("shift_jis"),
     "text/html; charset=Shift_JIS"),
]


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_warc_responses_become_pages_with_utc_fetch_time_and_increasing_offsets(tmp_path, gzipped):
    data = warc_bytes(WARC_RESPONSES, warc_date="2024-05-06T07:08:09Z")
    if not gzipped:
        data = gzip.decompress(data)  # the concatenated members are the plain WARC

    items = read_bytes(tmp_path, "crawl.warc.gz" if gzipped else "crawl.warc", data)

    assert all(isinstance(item, RawPage) for item in items)
    assert [page.url for page in items] == [url for url, _, _ in WARC_RESPONSES]
    assert [page.body for page in items] == [body for _, body, _ in WARC_RESPONSES]
    assert [page.charset for page in items] == [charset_of(ctype) for _, _, ctype in WARC_RESPONSES]
    assert all(page.fetched_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC) for page in items)
    assert all(page.fetched_at.utcoffset() == timedelta(0) for page in items)
    assert all(page.http_status == 200 for page in items)
    assert all(page.raw_bytes == len(body) for page, (_, body, _) in zip(items, WARC_RESPONSES))
    offsets = [page.source.offset for page in items]
    assert offsets[0] == 0
    assert all(a < b for a, b in zip(offsets, offsets[1:]))
    # Each offset is where its record starts in the object.
    for page, offset in zip(items, offsets):
        record_head = zlib.decompressobj(wbits=31).decompress(data[offset:], 4096) if gzipped else data[offset:]
        assert record_head.startswith(b"WARC/1.")
        assert page.url.encode() in record_head[:4096]


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_a_warc_cut_off_inside_a_record_keeps_the_whole_records_and_rejects_the_rest(tmp_path, gzipped):
    data = warc_bytes(WARC_RESPONSES)
    if not gzipped:
        data = gzip.decompress(data)
    items = read_bytes(tmp_path, "crawl.warc.gz" if gzipped else "crawl.warc", data[: len(data) - 40])

    assert [type(item).__name__ for item in items] == ["RawPage", "RawPage", "Reject"]
    assert [page.body for page in items[:2]] == [body for _, body, _ in WARC_RESPONSES[:2]]
    assert items[2].reason == ("corrupt_gzip" if gzipped else "corrupt_object")
    assert items[2].source.offset > items[1].source.offset


# --- single HTML pages ---------------------------------------------------------------------------------------------

HTML_PAGE = "<!DOCTYPE html><html><head><title>Grüße</title></head><body><p>Hallo</p></body></html>".encode()


@pytest.mark.parametrize("name, data", [
    ("page.html", HTML_PAGE), ("page.htm", HTML_PAGE), ("page.html.gz", gzip.compress(HTML_PAGE)),
], ids=["html", "htm", "html.gz"])
def test_html_object_is_one_page(tmp_path, name, data):
    items = read_bytes(tmp_path, name, data)

    assert kinds(items) == ["RawPage"]
    page = items[0]
    assert page.body == HTML_PAGE
    assert page.raw_bytes == len(HTML_PAGE)
    assert page.url is None and page.fetched_at is None and page.http_status is None
    assert page.source.uri == str(tmp_path / name) and page.source.line is None and page.source.offset is None


@pytest.mark.parametrize("name, compress", [("big.html", False), ("big.html.gz", True)], ids=["html", "html.gz"])
def test_html_object_over_the_limit_is_page_too_large(tmp_path, name, compress):
    limit = 1000
    body = b"<html><body><p>" + b"z" * (2 * limit) + b"</p></body></html>"

    items = read_bytes(tmp_path, name, gzip.compress(body) if compress else body, Limits(max_page_bytes=limit))

    assert kinds(items) == ["page_too_large"]
    assert items[0].raw_bytes > limit


# --- helpers of the module ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("uri, expected", [
    ("pages.jsonl", "jsonl"),
    ("s3://bucket/raw/dt=2026-11-27/news/gazette-0001.jsonl.gz", "jsonl"),
    ("/data/raw/CRAWL.WARC.GZ", "warc"),
    ("crawl.warc", "warc"),
    ("blog/post.html", "html"),
    ("blog/post.HTM", "html"),
    ("blog/post.htm.gz", "html"),
    ("pages.json", None),
    ("pages.gz", None),
    ("crawl.warc.bz2", None),
    ("dir.html/notes.txt", None),
    ("html", None),
])
def test_object_format(uri, expected):
    assert object_format(uri) == expected


@pytest.mark.parametrize("content_type, expected", [
    ("text/html; charset=UTF-8", "utf-8"),
    ("text/html;charset=windows-1251", "windows-1251"),
    ('text/html; charset="Shift_JIS"', "shift_jis"),
    ("text/html; CHARSET='iso-8859-1'; boundary=x", "iso-8859-1"),
    ("text/html", None),
    ("text/html; charset=", None),
    ("", None),
    (None, None),
])
def test_charset_of(content_type, expected):
    assert charset_of(content_type) == expected


@pytest.mark.parametrize("value, expected", [
    ("2026-11-27T06:05:00", datetime(2026, 11, 27, 6, 5, tzinfo=UTC)),
    ("2026-11-27 06:05:00", datetime(2026, 11, 27, 6, 5, tzinfo=UTC)),
    ("2026-11-27T06:05:00Z", datetime(2026, 11, 27, 6, 5, tzinfo=UTC)),
    ("2026-11-27T08:05:00+02:00", datetime(2026, 11, 27, 6, 5, tzinfo=UTC)),
    ("2026-11-27T01:05:00-05:00", datetime(2026, 11, 27, 6, 5, tzinfo=UTC)),
    ("2026-11-27T00:30:00+09:00", datetime(2026, 11, 26, 15, 30, tzinfo=UTC)),
    ("2026-11-27", datetime(2026, 11, 27, tzinfo=UTC)),
    (None, None),
    ("", None),
], ids=["naive", "naive-space", "zulu", "plus-2", "minus-5", "previous-utc-day", "date-only", "none", "empty"])
def test_parse_timestamp(value, expected):
    parsed = parse_timestamp(value)

    assert parsed == expected
    if expected is not None:
        assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00", "27/11/2026 06:05", 1764223500, 1.5, ["2026"]],
                         ids=["word", "bad-month", "dmy", "epoch-int", "float", "list"])
def test_parse_timestamp_rejects_junk(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)
