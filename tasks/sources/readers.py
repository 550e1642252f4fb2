"""Turn one raw object into pages: JSONL, WARC or a single HTML page, gzipped or not.

Readers stream: a page never needs more memory than the page-size limit, so
a decompression bomb or a multi-gigabyte object costs bounded memory. A
broken record becomes a `Reject` pointing at it and reading goes on; a broken
stream (truncated gzip, corrupt WARC) ends the object with one `Reject` for
the unread rest, after every page read before the break.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from tasks.lake.storage import ObjectInfo, OpenedObject, Store, UnreadableObject
from tasks.records import Limits, RawPage, Reject, SourcePointer

FORMATS = {
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".warc": "warc",
    ".warc.gz": "warc",
    ".html": "html",
    ".htm": "html",
    ".html.gz": "html",
    ".htm.gz": "html",
}

# What broken data raises, depending on where it breaks. Network errors are not among them: the store resumes a
# read that breaks, and one that stays broken fails the batch (an outage is not the data's fault).
STREAM_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, ArchiveLoadFailed, ValueError)
# The first `"url": "..."` member in the head of a line too long to parse: the page a page_too_large reject names.
# A quote inside a JSON string is escaped, so an unescaped `"url"` is a key (of the record, when it comes first).
URL_MEMBER = re.compile(rb'"url"\s*:\s*("(?:[^"\\]|\\.){1,4096}")')
URL_HEAD_BYTES = 64 * 1024

Item = RawPage | Reject


def object_format(uri: str) -> str | None:
    """Format of an object by its extension; None when Pagefold cannot read it."""
    name = uri.rsplit("/", 1)[-1].lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def pages_of(obj: ObjectInfo, source: Store, limits: Limits,
             on_read: Callable[[int], None] = lambda n: None) -> Iterator[Item]:
    """Every page of one object in `source`; whatever is wrong with the object itself is a reject, never an error.

    A problem found when listing (a name that is not UTF-8, a symbolic link
    loop), an object that is gone or refused, or one whose reading fails for
    a reason of its own after some pages (a disk error, replaced while read)
    costs this object's (remaining) pages, as one reject with the reason.
    """
    whole = SourcePointer(obj.uri)
    if obj.problem is not None:
        yield Reject(obj.problem.reason, "read", obj.problem.detail, whole, raw_bytes=obj.size or None)
        return
    try:
        opened = source.open(obj.key, on_read)
    except UnreadableObject as exc:
        yield Reject(exc.reason, "read", exc.detail, whole, raw_bytes=obj.size)
        return
    read = 0
    with opened.stream:
        try:
            for item in read_object(obj, opened, limits):
                read += 1
                yield item
        except UnreadableObject as exc:
            yield Reject(exc.reason, "read", f"{exc.detail}; the rest of the object (after {read} pages) is unread",
                         whole, raw_bytes=obj.size)


def read_object(obj: ObjectInfo, opened: OpenedObject, limits: Limits) -> Iterator[Item]:
    """Every page of one object, each as a `RawPage` or a `Reject`."""
    kind = object_format(obj.uri)
    whole = SourcePointer(obj.uri)
    if kind is None:
        yield Reject("unsupported_format", "read", "extension is not .jsonl, .warc or .html (optionally .gz)", whole,
                     raw_bytes=obj.size)
        return
    if obj.size == 0:
        yield Reject("empty_object", "read", "the object is zero bytes long", whole, raw_bytes=0)
        return
    gzipped = obj.uri.lower().endswith(".gz")
    if kind == "warc":  # warcio handles per-record gzip members itself
        yield from _read_warc(obj.uri, opened.stream, limits)
        return
    stream = gzip.GzipFile(fileobj=opened.stream) if gzipped else opened.stream
    if kind == "jsonl":
        yield from _read_jsonl(obj.uri, stream, limits, gzipped)
    else:
        yield from _read_html(obj.uri, stream, opened, limits, gzipped)


def _broken_stream(uri: str, gzipped: bool, exc: Exception, line: int | None = None,
                   offset: int | None = None) -> Reject:
    reason = "corrupt_gzip" if gzipped and not isinstance(exc, ArchiveLoadFailed) else "corrupt_object"
    return Reject(reason, "read", f"stream broke, rest of the object unread: {type(exc).__name__}: {exc}",
                  SourcePointer(uri, line=line, offset=offset))


def _read_jsonl(uri: str, stream: BinaryIO, limits: Limits, gzipped: bool) -> Iterator[Item]:
    line_no = 0
    while True:
        try:
            line = stream.readline(limits.max_page_bytes + 1)
            oversized = len(line) > limits.max_page_bytes and not line.endswith(b"\n")
            size, head = len(line), line[:URL_HEAD_BYTES] if oversized else b""  # a copy only where it names a reject
            while oversized and line and not line.endswith(b"\n"):  # skip the rest of a huge line
                line = stream.readline(1 << 20)
                size += len(line)
        except STREAM_ERRORS as exc:
            yield _broken_stream(uri, gzipped, exc, line=line_no + 1)
            return
        if not line:
            return
        line_no += 1
        where = SourcePointer(uri, line=line_no)
        if oversized:
            yield Reject("page_too_large", "read", f"line longer than {limits.max_page_bytes} bytes", where,
                         url=_url_in_head(head), raw_bytes=size)
        elif line.strip():  # blank lines are not pages
            yield _page_from_json(line, where, limits)


def _url_in_head(head: bytes) -> str | None:
    """The record's `url` when the first bytes of its line hold it (`URL_MEMBER`), else None."""
    match = URL_MEMBER.search(head)
    if not match:
        return None
    try:
        url = json.loads(match.group(1))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return url if isinstance(url, str) and url.strip() else None


def _page_from_json(line: bytes, where: SourcePointer, limits: Limits) -> Item:
    size = len(line)
    try:
        record = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Reject("invalid_json", "read", f"line is not JSON: {exc}", where, raw_bytes=size)
    if not isinstance(record, dict):
        return Reject("invalid_json", "read", "line is JSON but not an object", where, raw_bytes=size)
    url = record.get("url")
    if not isinstance(url, str) or not url.strip():
        return Reject("missing_url", "read", "record has no `url` string", where, raw_bytes=size)
    if not url.isprintable():  # control characters or lone surrogates, which no URL (nor Parquet) can hold
        return Reject("invalid_url", "read", f"`url` holds unprintable characters: {url[:200]!r}", where,
                      raw_bytes=size)
    html = record.get("html")
    if not isinstance(html, str):
        return Reject("missing_html", "read", "record has no `html` string", where, url=url, raw_bytes=size)
    try:
        fetched_at = parse_timestamp(record.get("fetched_at"))
    except ValueError as exc:
        return Reject("invalid_fetched_at", "read", str(exc), where, url=url, raw_bytes=size)
    status = record.get("status")
    if status is not None and not isinstance(status, int):
        return Reject("invalid_status", "read", f"`status` is not an integer: {status!r}", where, url=url,
                      raw_bytes=size)
    headers = record.get("headers") if isinstance(record.get("headers"), dict) else {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    return RawPage(where, url.strip(), html, fetched_at, status, charset_of(content_type), size)


def _read_warc(uri: str, stream: BinaryIO, limits: Limits) -> Iterator[Item]:
    records = ArchiveIterator(stream)
    offset = 0
    try:
        for record in records:
            if record.rec_type != "response" or record.http_headers is None:
                continue  # requests, metadata and warcinfo records are not pages
            body = record.content_stream().read(limits.max_page_bytes + 1)
            offset = records.get_record_offset()  # only known once the record is read (warcio reads to its end)
            where = SourcePointer(uri, offset=offset)
            url = record.rec_headers.get_header("WARC-Target-URI")
            if len(body) > limits.max_page_bytes:
                yield Reject("page_too_large", "read", f"page larger than {limits.max_page_bytes} bytes", where,
                             url=url, raw_bytes=len(body))
                continue
            missing = getattr(record.raw_stream, "limit", 0)  # warcio ends a cut-off record quietly
            if missing:
                yield _broken_stream(uri, uri.lower().endswith(".gz"),
                                     EOFError(f"record {missing} bytes short of its Content-Length"), offset=offset)
                return
            try:
                fetched_at = parse_timestamp(record.rec_headers.get_header("WARC-Date"))
            except ValueError as exc:
                yield Reject("invalid_fetched_at", "read", str(exc), where, url=url, raw_bytes=len(body))
                continue
            status = record.http_headers.get_statuscode()
            yield RawPage(where, url, body, fetched_at, int(status) if status and status.isdigit() else None,
                          charset_of(record.http_headers.get_header("Content-Type")), len(body))
    except STREAM_ERRORS as exc:
        yield _broken_stream(uri, uri.lower().endswith(".gz"), exc, offset=offset)


def _read_html(uri: str, stream: BinaryIO, opened: OpenedObject, limits: Limits, gzipped: bool) -> Iterator[Item]:
    where = SourcePointer(uri)
    url = opened.metadata.get("url")
    try:
        body = stream.read(limits.max_page_bytes + 1)
    except STREAM_ERRORS as exc:
        yield _broken_stream(uri, gzipped, exc)
        return
    if len(body) > limits.max_page_bytes:
        yield Reject("page_too_large", "read", f"page larger than {limits.max_page_bytes} bytes", where, url=url,
                     raw_bytes=len(body))
        return
    yield RawPage(where, url, body, None, None, charset_of(opened.content_type), len(body))


def charset_of(content_type: str | None) -> str | None:
    """The `charset=` parameter of a Content-Type header, if any."""
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def parse_timestamp(value) -> datetime | None:
    """An ISO 8601 time (naive means UTC) as an aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"fetch time is not a string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"fetch time is not ISO 8601: {value!r}") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
