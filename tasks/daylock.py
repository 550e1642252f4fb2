"""One writer per day: a lock object in the lake, whoever started the run.

Runs for the same day may start from a schedule, a backfill, a retry in the
UI or the command line with its own local Prefect; the one thing they all
share is the destination, so the lock lives there, at
`<dest>/_locks/<day>.json`, beside the data it protects:

- local folders: created with O_CREAT | O_EXCL, which only one process wins;
- S3: a conditional put (`If-None-Match: *`), which only one writer wins.

The holder refreshes its lock every REFRESH_S seconds. A lock not refreshed
for STALE_AFTER_S belongs to a run that died (killed, machine lost): the
next run takes it over, again in a way only one contender wins (a rename
locally, a put conditional on the stale lock's ETag on S3).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from botocore.exceptions import ClientError

from tasks.storage import Location, s3_client

LOCKS = "_locks"
REFRESH_S = 60.0
STALE_AFTER_S = 600.0


class DayLocked(Exception):
    """Another live run is writing this day."""


@dataclass
class _Held:
    """What the store says about a lock: who holds it and when it was last refreshed."""

    owner: str
    age_s: float
    etag: str | None = None


class DayLock:
    """The lock of one day in one lake, held by `owner` (a run id)."""

    def __init__(self, dest: Location, day: str, owner: str):
        self.dest, self.day, self.owner = dest, day, owner
        self._body = json.dumps({"owner": owner, "host": socket.gethostname(), "pid": os.getpid(),
                                 "since": datetime.now(timezone.utc).isoformat()}).encode()
        self._etag: str | None = None
        self.lost = False

    def acquire(self) -> None:
        """Take the lock, or take over a stale one; DayLocked if a live run holds it."""
        if self._create():
            return
        held = self._read()
        if held is None:  # released between our attempt and the read
            if self._create():
                return
            held = self._read() or _Held("unknown", 0.0)
        if held.age_s < STALE_AFTER_S or not self._take_over(held):
            raise DayLocked(f"day {self.day} is being written by run {held.owner} (lock refreshed "
                            f"{held.age_s:.0f} s ago at {self._where}); try again when it has finished")

    def refresh(self) -> None:
        """Show the lock is alive; marks it lost if another run took it over."""
        if self.dest.is_s3:
            try:
                self._etag = self._put(IfMatch=self._etag)
            except ClientError as exc:
                if not _precondition_failed(exc):
                    raise
                self.lost = True
            return
        held = self._read()
        if held is None or held.owner != self.owner:
            self.lost = True
        else:
            os.utime(self._path)

    def release(self) -> None:
        held = self._read()
        if held is None or held.owner != self.owner:
            return
        if self.dest.is_s3:
            bucket, key = self._key
            s3_client(self.dest.s3_endpoint).delete_object(Bucket=bucket, Key=key)
        else:
            self._path.unlink(missing_ok=True)

    @property
    def _where(self) -> str:
        return f"{self.dest.url.rstrip('/')}/{LOCKS}/{self.day}.json"

    @property
    def _path(self) -> Path:
        return Path(self.dest.url).resolve() / LOCKS / f"{self.day}.json"

    @property
    def _key(self) -> tuple[str, str]:
        prefix = f"{self.dest.prefix}/" if self.dest.prefix else ""
        return self.dest.bucket, f"{prefix}{LOCKS}/{self.day}.json"

    def _create(self) -> bool:
        if self.dest.is_s3:
            try:
                self._etag = self._put(IfNoneMatch="*")
                return True
            except ClientError as exc:
                if _precondition_failed(exc):
                    return False
                raise
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self._path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(self._body)
        return True

    def _take_over(self, stale: _Held) -> bool:
        """Replace a stale lock; False if another run replaced it first."""
        if self.dest.is_s3:
            try:
                self._etag = self._put(IfMatch=stale.etag)
                return True
            except ClientError as exc:
                if _precondition_failed(exc):
                    return False
                raise
        try:  # only one contender's rename finds the stale file
            self._path.rename(self._path.with_name(f"{self.day}.stale-{self.owner}"))
        except FileNotFoundError:
            return False
        self._path.with_name(f"{self.day}.stale-{self.owner}").unlink()
        return self._create()

    def _put(self, **condition) -> str:
        bucket, key = self._key
        response = s3_client(self.dest.s3_endpoint).put_object(Bucket=bucket, Key=key, Body=self._body, **condition)
        return response["ETag"]

    def _read(self) -> _Held | None:
        if self.dest.is_s3:
            bucket, key = self._key
            try:
                response = s3_client(self.dest.s3_endpoint).get_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            age = time.time() - response["LastModified"].timestamp()
            return _Held(json.loads(response["Body"].read())["owner"], age, response["ETag"])
        try:
            age = time.time() - self._path.stat().st_mtime
            return _Held(json.loads(self._path.read_bytes())["owner"], age)
        except (FileNotFoundError, json.JSONDecodeError):  # gone, or being written by its creator
            return None


class Heartbeat:
    """Refreshes locks in a background thread while a run works on their days."""

    def __init__(self, locks: list[DayLock], every_s: float = REFRESH_S):
        self._locks, self._every_s = locks, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="pagefold-lock-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._every_s):
            for lock in self._locks:
                try:
                    lock.refresh()
                except Exception as exc:  # a missed beat is retried; staleness takes ten of them
                    logging.getLogger(__name__).warning("day %s: lock refresh failed: %s", lock.day, exc)


def _precondition_failed(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") in ("PreconditionFailed", "ConditionalRequestConflict") or \
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (409, 412)
