"""Where raw pages come from and where the lake goes: a local folder or S3.

Reads go through boto3 (standard credential chain, optional custom endpoint,
botocore's standard retry mode for transient errors); writes go through
pyarrow's filesystem API, given the same credentials and endpoint, so one
configuration serves both sides. A `Location` is a plain, picklable value
(a URL and an endpoint); clients are built from it on demand and cached.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import boto3
import pyarrow.fs as pafs
from botocore.config import Config

DAY_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Location:
    """A local folder or an `s3://bucket/prefix` URL, plus an optional S3 endpoint."""

    url: str
    s3_endpoint: str | None = None

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    @property
    def bucket(self) -> str:
        return self.url[len("s3://") :].split("/", 1)[0]

    @property
    def prefix(self) -> str:
        """Key prefix inside the bucket, without leading or trailing slash."""
        parts = self.url[len("s3://") :].split("/", 1)
        return parts[1].strip("/") if len(parts) > 1 else ""


@dataclass(frozen=True)
class ObjectInfo:
    """One raw object found by listing."""

    uri: str
    size: int


@dataclass
class OpenedObject:
    """A raw object opened for streaming, with what the store says about it."""

    stream: BinaryIO
    metadata: dict[str, str]
    content_type: str | None


def endpoint_from_env(explicit: str | None) -> str | None:
    """The S3 endpoint to use: the option, else the standard AWS variables."""
    return explicit or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


@functools.lru_cache(maxsize=8)
def s3_client(endpoint: str | None):
    """A thread-safe boto3 client; cached so batches share its connection pool."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 6},
        max_pool_connections=32,
        connect_timeout=10,
        read_timeout=60,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def list_days(source: Location) -> list[str]:
    """Days (YYYY-MM-DD) that have a `dt=` folder directly under the source."""
    if source.is_s3:
        client = s3_client(source.s3_endpoint)
        prefix = f"{source.prefix}/" if source.prefix else ""
        names = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=source.bucket, Prefix=prefix, Delimiter="/"
        ):
            names += [p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
    else:
        names = [p.name for p in _local_root(source).iterdir() if p.is_dir()]
    return sorted(m.group(1) for n in names if (m := DAY_DIR.match(n)))


def list_day_objects(source: Location, day: str) -> list[ObjectInfo]:
    """Every object below `<source>/dt=<day>/`, at any depth, in key order."""
    if source.is_s3:
        client = s3_client(source.s3_endpoint)
        prefix = f"{source.prefix}/dt={day}/" if source.prefix else f"dt={day}/"
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=prefix):
            found += [
                ObjectInfo(f"s3://{source.bucket}/{o['Key']}", o["Size"])
                for o in page.get("Contents", [])
                if not o["Key"].endswith("/")
            ]
        return sorted(found, key=lambda o: o.uri)
    root = _local_root(source) / f"dt={day}"
    if not root.is_dir():
        return []
    return [
        ObjectInfo(str(p), p.stat().st_size)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    ]


class _CountingReader(io.RawIOBase):
    """A raw stream over anything with `read(n)` (a file, an S3 body) that reports the bytes it reads.

    Buffering it gives readers `readline(limit)` on S3 bodies too; the count
    drives the progress display, which object sizes alone would not.
    """

    def __init__(self, source, on_read: Callable[[int], None]):
        self._source = source
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        self._on_read(len(data))
        return len(data)

    def close(self) -> None:
        self._source.close()
        super().close()


def _local_root(source: Location) -> Path:
    """The source folder; a missing one is a mistake to report, not an empty source."""
    root = Path(source.url).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"source folder {root} does not exist")
    return root


def open_object(uri: str, s3_endpoint: str | None, on_read: Callable[[int], None] = lambda n: None) -> OpenedObject:
    """Open a raw object for streaming; S3 user metadata (e.g. `url`) comes along."""
    if uri.startswith("s3://"):
        bucket, key = split_s3_uri(uri)
        response = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=key)
        source, metadata, content_type = response["Body"], response.get("Metadata", {}), response.get("ContentType")
    else:
        source, metadata, content_type = open(uri, "rb", buffering=0), {}, None
    return OpenedObject(io.BufferedReader(_CountingReader(source, on_read), buffer_size=1 << 20), metadata,
                        content_type)


def arrow_filesystem(location: Location) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and the base path of `location` inside it."""
    if not location.is_s3:
        base = Path(location.url).resolve()
        base.mkdir(parents=True, exist_ok=True)
        return pafs.LocalFileSystem(), str(base)
    return _s3_filesystem(location.s3_endpoint), location.url[len("s3://") :].rstrip("/")


@functools.lru_cache(maxsize=8)
def _s3_filesystem(endpoint: str | None) -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem with boto3's resolved credentials and region."""
    session = boto3.session.Session()
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials else None
    options = dict(
        region=session.region_name or "us-east-1",
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=6),
        allow_bucket_creation=False,
        allow_bucket_deletion=False,
    )
    if frozen:
        options.update(access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token)
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        options.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
    return pafs.S3FileSystem(**options)
