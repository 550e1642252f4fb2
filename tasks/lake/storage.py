"""Where raw pages come from and where the lake goes: one small storage interface, a folder or S3 behind it.

`open_store(url)` gives a `Store`: a local folder (`LocalStore`, over the
os module) or an `s3://bucket/prefix` (`S3Store`, over boto3, with the
standard credential chain and botocore's standard retry mode). Keys are
`/`-separated paths below the store's root. Everything above this module
(listing days, reading objects, the lake's staging and commit, the day lock,
queries) goes through the interface and never asks which kind it has.

Parquet goes through pyarrow's filesystem for the same root (`Store.arrow`),
given the same credentials and endpoint. A store is a small picklable value
(it travels to Dask workers); clients are built from it on demand and cached.

What the lock needs, both sides provide: a conditional create (S3
`If-None-Match: *`; locally a hard link, which fails if the name exists)
and a replace or delete conditional on the current version's tag (S3 `If-Match`
on the ETag; locally a content hash compared under `flock`). Tags are hashes
of the content, as S3's ETag of a simple put is.

Reads survive the faults of a network: a read that breaks mid-object is
resumed where it broke (a ranged GET on the same ETag), with backoff, so a
dropped connection costs neither the object nor its batch. What is wrong
with an object itself (gone, forbidden, changed while read, a disk error, a
name that is not UTF-8, a symbolic link loop) is reported per object, for
the caller to turn into rejects.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import http.client
import io
import os
import re
import shutil
import stat
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

import pyarrow.fs as pafs
import tenacity
import urllib3.exceptions

if TYPE_CHECKING:
    import botocore.exceptions

DAY_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
# A read that breaks is resumed up to this many times in a row, backing off 0.5 s, 1 s, 2 s, 4 s (with jitter);
# each attempt is itself a request that botocore retries (standard mode, 6 attempts).
READ_ATTEMPTS = 5


@dataclass(frozen=True)
class Problem:
    """Why a listed object cannot be read at all: a reject reason (stage `read`) and its detail."""

    reason: str
    detail: str


@dataclass(frozen=True)
class ObjectInfo:
    """One raw object found by listing: its URI (what rows record), size, key in its store, and any problem."""

    uri: str
    size: int
    key: str = ""
    problem: Problem | None = None


@dataclass
class OpenedObject:
    """A raw object opened for streaming, with what the store says about it."""

    stream: BinaryIO
    metadata: dict[str, str]
    content_type: str | None


@dataclass(frozen=True)
class Blob:
    """A small object read whole: its bytes, its version tag, and seconds since it was last written."""

    data: bytes
    tag: str
    age_s: float


class UnreadableObject(OSError):
    """An object cannot be read for a reason of its own; `reason` is the reject code (object_missing, ...)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


class Store(Protocol):
    """A folder or an S3 prefix. Keys are `/`-separated paths below its root."""

    @property
    def url(self) -> str:
        """The root, as a user would write it (a folder or s3://bucket/prefix)."""

    def uri(self, key: str) -> str:
        """What rows record as an object's address: a local path or an s3:// URI."""

    def list_dirs(self, prefix: str = "") -> list[str]:
        """Names of the folders directly below `prefix`, sorted; [] when there is none."""

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Every object below `prefix`, at any depth, in key order; unreadable entries carry a `problem`."""

    def open(self, key: str, on_read: Callable[[int], None] = lambda n: None) -> OpenedObject:
        """Stream an object (resumed where it breaks); UnreadableObject if it is gone or refused."""

    def read(self, key: str) -> Blob | None:
        """A small object whole, with its tag and age; None when it does not exist."""

    def create(self, key: str, data: bytes) -> str | None:
        """Write `data` only if nothing is at `key`: its tag, or None when something was there."""

    def replace(self, key: str, data: bytes, tag: str) -> str | None:
        """Overwrite only the version tagged `tag`: the new tag, or None when the object changed or is gone."""

    def delete(self, key: str, tag: str | None = None) -> bool:
        """Delete (only the version tagged `tag`, if given); False when that version is not the current one."""

    def delete_tree(self, prefix: str) -> None:
        """Delete everything below `prefix` (no empty folder is left behind, as on S3)."""

    def replace_tree(self, src: str, dst: str) -> None:
        """Make `dst` hold what `src` holds and nothing else: two renames locally (readers see the old or the new
        folder), copy-then-delete on S3 (for a moment readers may see both)."""

    def make_dir(self, key: str) -> None:
        """Make the folder `key` for pyarrow to write files into (S3 has no folders: nothing to do)."""

    def arrow(self) -> tuple[pafs.FileSystem, str]:
        """pyarrow's filesystem for this store, and the root's path in it, for Parquet reads and writes."""


def open_store(url: str, s3_endpoint: str | None = None) -> Store:
    """The store at `url`: an `s3://bucket/prefix` URL (with an optional S3 endpoint) or a local folder."""
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        return S3Store(bucket, prefix.strip("/"), s3_endpoint)
    return LocalStore(str(Path(url).resolve()))


def endpoint_from_env(explicit: str | None) -> str | None:
    """The S3 endpoint to use: the option, else the standard AWS variables."""
    return explicit or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


class SetupError(Exception):
    """A location or parameter that cannot work as given; retrying cannot fix it. The message names the thing
    and the fix, in one sentence."""


# A probe of an S3 location may take this long when its endpoint does not answer: two attempts of at most 3 s to
# connect (botocore's own retries of a refused connection take ~20 s, pyarrow's as long).
PROBE_TIMEOUTS = dict(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 2})


def check_location(store: Store, role: str, writing: bool = False, create: bool = True) -> None:
    """Fail at once, in one sentence saying what to do, when `store` cannot serve as `role` (`source` or `lake`).

    A source must be an existing, readable folder or S3 prefix above the
    `dt=` folders, not one of them (the sentence gives the path to use). A
    lake to write may not exist yet, but its folder must be creatable: it is created now unless not
    `create` (a dry run). A lake to read must exist. On S3, the bucket is listed once, quickly (PROBE_TIMEOUTS): no
    credentials, no such bucket, access denied or an endpoint that does not
    answer are named, with the setting to change. Raises SetupError.
    """
    url = store.url
    if role == "source":
        _refuse_day_folder(url)
    if isinstance(store, LocalStore):
        if role == "source":
            _check_source_folder(Path(store.root))
        elif writing:
            _check_lake_folder(Path(store.root), create)
        else:
            _check_lake_to_read(Path(store.root))
        return
    if store.endpoint:
        where = f"S3 at {store.endpoint}"
        fix = ("check --s3-endpoint, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, PAGEFOLD_S3_ENDPOINT or the Prefect "
               "variable pagefold_s3_endpoint (docs/operating.md, \"The S3 endpoint\")")
    else:
        where = "AWS S3 (no S3 endpoint set)"
        fix = "for MinIO, R2 or another S3-compatible store, pass --s3-endpoint URL or set AWS_ENDPOINT_URL_S3"
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client("s3", endpoint_url=store.endpoint, config=Config(**PROBE_TIMEOUTS))
    try:
        client.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix, MaxKeys=1)
    except _errors().NoCredentialsError:
        raise SetupError(f"no S3 credentials to read the {role} {url}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                         "AWS_SECRET_ACCESS_KEY (or the Prefect Secret blocks of docs/operating.md, \"Configuration\")") from None
    except _errors().EndpointConnectionError:
        raise SetupError(f"cannot reach {where} to read the {role} {url}: {fix}") from None
    except _errors().ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            raise SetupError(f"no bucket {store.bucket!r} at {where} (the {role} {url}): check the bucket's name; "
                             f"{fix}") from None
        if _status(exc) == 403 or code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise SetupError(f"{where} refused to list the {role} {url} ({code or 403}): check the credentials "
                             "(AWS_PROFILE, AWS_ACCESS_KEY_ID) and that they may list and read the bucket") from None
        raise SetupError(f"{where} refused to list the {role} {url}: {code or exc}") from None
    except _errors().BotoCoreError as exc:  # time-outs and other transport errors
        raise SetupError(f"cannot read the {role} {url} from {where}: {exc}; {fix}") from None


def _refuse_day_folder(url: str) -> None:
    """A source that is a day's folder (or inside one): the sentence gives the source to use and the day."""
    parts = url.split("/")
    for i, part in enumerate(parts):
        if match := DAY_DIR.match(part):
            above = "/".join(parts[:i]) or "/"
            raise SetupError(f"the source {url} is inside the day folder {part}/: the source is the folder that "
                             f"holds the dt= folders, {above}, with the date {match.group(1)} (--date) for that "
                             "day only")


def _check_source_folder(root: Path) -> None:
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise SetupError(f"the source folder {root} {what}: give the folder that holds the dt=YYYY-MM-DD folders "
                         "of raw pages")
    if not os.access(root, os.R_OK | os.X_OK):
        raise SetupError(f"no permission to read the source folder {root}: run as a user who may read it")


def _check_lake_folder(root: Path, create: bool) -> None:
    """The lake's folder, created now if missing and `create` (what cannot be created is said before any work
    starts; without `create`, only what can be known without creating it)."""
    if root.exists() and not root.is_dir():
        raise SetupError(f"the lake {root} is a file, not a folder: give a folder (it is created if missing)")
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        raise SetupError(f"the lake {root} cannot be created: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SetupError(f"no permission to write the lake {root} (in {existing}): choose a folder this user may "
                         "write, or change its permissions")
    if not create:
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SetupError(f"the lake folder {root} cannot be created ({exc.strerror}): choose another folder") from None


def _check_lake_to_read(root: Path) -> None:
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise SetupError(f"the lake {root} {what}: give the folder that `pagefold ingest --dest` wrote")


def check_apart(source: Store, lake: Store) -> None:
    """Refuse a lake inside one of the source's `dt=` folders, where its own files would be read as raw pages.
    Raises SetupError."""
    def path(store: Store) -> list[str]:
        if isinstance(store, LocalStore):
            return list(Path(store.root).resolve().parts)
        return [f"s3://{store.bucket}", *filter(None, store.prefix.split("/"))]

    src, dst = path(source), path(lake)
    if len(dst) > len(src) and dst[:len(src)] == src and DAY_DIR.match(dst[len(src)]):
        raise SetupError(f"the lake {lake.url} is inside the source's day folder {dst[len(src)]}/: its files would be "
                         "read as raw pages; put the lake outside the source's dt= folders")


def list_days(source: Store) -> list[str]:
    """Days (YYYY-MM-DD) that have a `dt=` folder directly under the source."""
    return sorted(m.group(1) for name in source.list_dirs() if (m := DAY_DIR.match(name)))


def days_to_ingest(source: Store, day: str | None) -> list[str]:
    """[day] when given, else every day with a `dt=` folder; SetupError when there is none (a wrong source)."""
    if day:
        return [day]
    days = list_days(source)
    if not days:
        raise SetupError(f"no dt=YYYY-MM-DD folders under the source {source.url}: nothing to ingest; give the "
                         "folder that holds them")
    return days


def list_day_objects(source: Store, day: str) -> list[ObjectInfo]:
    """Every object below `<source>/dt=<day>/`, at any depth, in key order."""
    return source.list_objects(f"dt={day}")


# --- what is worth retrying --------------------------------------------------------------------------------------

_TRANSIENT_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
                    "ServiceUnavailable", "RequestLimitExceeded"}
# pyarrow's S3 errors are OSErrors whose message names the AWS SDK's error type.
_TRANSIENT_ARROW = ("NETWORK_CONNECTION", "SLOW_DOWN", "THROTTLING", "INTERNAL_FAILURE", "SERVICE_UNAVAILABLE",
                    "REQUEST_TIMEOUT", "curlCode", "HTTP response code: 5")


def is_transient(exc: BaseException) -> bool:
    """Whether an error (or one it was raised from) is the network's or the store's passing fault, worth retrying.

    Connection drops, resets, time-outs, a body cut short, HTTP 5xx and S3's
    throttling answers are; a missing or forbidden object, a full disk or a
    bug is not.
    """
    boto_errors = sys.modules.get("botocore.exceptions")  # not imported: no botocore error can have been raised
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, UnreadableObject):
            return False
        if isinstance(exc, (ConnectionError, TimeoutError, http.client.IncompleteRead, urllib3.exceptions.HTTPError)):
            return True
        if boto_errors and isinstance(exc, (boto_errors.ConnectionError, boto_errors.HTTPClientError,
                                            boto_errors.ResponseStreamingError, boto_errors.IncompleteReadError)):
            return True
        if boto_errors and isinstance(exc, boto_errors.ClientError):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return status >= 500 or exc.response.get("Error", {}).get("Code") in _TRANSIENT_CODES
        if isinstance(exc, OSError) and "AWS Error" in str(exc):
            return any(marker in str(exc) for marker in _TRANSIENT_ARROW)
        exc = exc.__cause__ or exc.__context__
    return False


def retrying(attempts: int = READ_ATTEMPTS) -> tenacity.Retrying:
    """Retry transient errors only, with exponential backoff and jitter; the last error is re-raised."""
    return tenacity.Retrying(stop=tenacity.stop_after_attempt(attempts), reraise=True,
                             wait=tenacity.wait_exponential_jitter(multiplier=0.5, max=8, jitter=0.5),
                             retry=tenacity.retry_if_exception(is_transient))


class _Stream(io.RawIOBase):
    """A raw stream over an object that reports the bytes it reads and, on a transient fault, reopens where it broke.

    `open_at(offset)` opens the object at a byte offset. Buffering it gives
    readers `readline(limit)`; the count drives the progress display.
    """

    def __init__(self, open_at: Callable[[int], BinaryIO], first: BinaryIO, on_read: Callable[[int], None]):
        self._open_at, self._body, self._on_read = open_at, first, on_read
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        for attempt in retrying():
            with attempt:
                if self._body is None:
                    self._body = self._open_at(self._position)
                try:
                    data = self._body.read(len(buffer))
                except Exception:
                    self._drop_body()
                    raise
        buffer[: len(data)] = data
        self._position += len(data)
        self._on_read(len(data))
        return len(data)

    def _drop_body(self) -> None:
        try:
            self._body.close()
        except Exception:  # a broken connection may fail to close too; it is dropped either way
            pass
        self._body = None

    def close(self) -> None:
        if self._body is not None:
            self._drop_body()
        super().close()


# --- a local folder ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalStore:
    """A folder (an absolute path). Symbolic links are followed; a link that loops is reported, not skipped."""

    root: str

    @property
    def url(self) -> str:
        return self.root

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def list_dirs(self, prefix: str = "") -> list[str]:
        folder = self._listable(prefix)
        return sorted(entry.name for entry in os.scandir(folder) if entry.is_dir()) if folder else []

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        folder = self._listable(prefix)
        if folder is None:
            return []
        found: list[ObjectInfo] = []
        self._walk(folder, {_identity(os.stat(folder))}, found)
        return sorted(found, key=lambda o: o.key)

    def open(self, key: str, on_read: Callable[[int], None] = lambda n: None) -> OpenedObject:
        path = self._path(key)

        def open_at(offset: int) -> BinaryIO:
            try:
                f = open(path, "rb", buffering=0)
                f.seek(offset)
            except FileNotFoundError:
                raise UnreadableObject("object_missing", "object vanished between listing and reading") from None
            except OSError as exc:
                raise UnreadableObject("object_unreadable", f"the file cannot be opened: {exc.strerror}") from None
            return _LocalFile(f)

        stream = _Stream(open_at, open_at(0), on_read)
        return OpenedObject(io.BufferedReader(stream, buffer_size=1 << 20), {}, None)

    def read(self, key: str) -> Blob | None:
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                data, modified = f.read(), os.fstat(f.fileno()).st_mtime
        except FileNotFoundError:
            return None
        return Blob(data, _tag(data), max(0.0, time.time() - modified))

    def create(self, key: str, data: bytes) -> str | None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._written_beside(path, data) as temporary:
            try:
                os.link(temporary, path)  # atomic, and fails if the name exists: readers never see a partial file
            except FileExistsError:
                return None
        return _tag(data)

    def replace(self, key: str, data: bytes, tag: str) -> str | None:
        path = self._path(key)
        with _locked(path) as current:
            if current is None or _tag(current) != tag:
                return None
            with self._written_beside(path, data) as temporary:
                os.replace(temporary, path)
        return _tag(data)

    def delete(self, key: str, tag: str | None = None) -> bool:
        path = self._path(key)
        if tag is None:
            path.unlink(missing_ok=True)
            return True
        with _locked(path) as current:
            if current is None:
                return True
            if _tag(current) != tag:
                return False
            path.unlink()
        return True

    def delete_tree(self, prefix: str) -> None:
        path = self._path(prefix)
        if path.exists():
            shutil.rmtree(path)
        self._prune_empty(path.parent)

    def replace_tree(self, src: str, dst: str) -> None:
        new, live = self._path(src), self._path(dst)
        live.parent.mkdir(parents=True, exist_ok=True)
        old = new.with_name(f"{new.name}.replaced")
        if live.exists():
            os.rename(live, old)
        os.rename(new, live)
        if old.exists():
            shutil.rmtree(old)
        self._prune_empty(new.parent)

    def make_dir(self, key: str) -> None:
        self._path(key).mkdir(parents=True, exist_ok=True)

    def arrow(self) -> tuple[pafs.FileSystem, str]:
        Path(self.root).mkdir(parents=True, exist_ok=True)
        return pafs.LocalFileSystem(), self.root

    def _path(self, key: str) -> Path:
        return Path(self.root, key) if key else Path(self.root)

    def _listable(self, prefix: str) -> Path | None:
        """The folder to list, None when it does not exist; a missing root is a mistake to report, not emptiness."""
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"folder {self.root} does not exist")
        folder = self._path(prefix)
        return folder if folder.is_dir() else None

    def _walk(self, folder: Path, ancestors: set[tuple[int, int]], found: list[ObjectInfo]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.append(self._problem(folder, "object_unreadable", f"the folder cannot be listed: {exc.strerror}"))
            return
        for entry in entries:
            path = Path(entry.path)
            try:
                info = os.stat(path)  # follows symbolic links
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    found.append(self._problem(path, "symlink_loop", "a symbolic link that resolves to itself"))
                elif entry.is_symlink():
                    found.append(self._problem(path, "object_missing", "a symbolic link to nothing"))
                elif exc.errno != errno.ENOENT:  # ENOENT: deleted since the folder was read, so not in the day
                    found.append(self._problem(path, "object_unreadable", f"cannot be read: {exc.strerror}"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if _identity(info) in ancestors:
                    found.append(self._problem(path, "symlink_loop",
                                               "a symbolic link to a folder that contains it: listing it would never end"))
                else:
                    self._walk(path, ancestors | {_identity(info)}, found)
            elif entry.name.startswith("."):
                continue  # hidden files are uploaders' temporary files, not pages
            elif not stat.S_ISREG(info.st_mode):
                found.append(self._problem(path, "object_unreadable", "not a regular file (a pipe, socket or device)"))
            elif not _is_utf8(entry.name):
                found.append(self._problem(path, "invalid_object_name",
                                           "the file name is not UTF-8, so no row could name it; rename the file",
                                           size=info.st_size))
            else:
                found.append(ObjectInfo(str(path), info.st_size, self._key(path)))

    def _problem(self, path: Path, reason: str, detail: str, size: int = 0) -> ObjectInfo:
        """An entry that becomes a reject; its URI escapes bytes that are not UTF-8 (`\\xff`), so rows can hold it."""
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        return ObjectInfo(shown, size, self._key(path), Problem(reason, detail))

    def _key(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _prune_empty(self, folder: Path) -> None:
        """Remove `folder` and its parents while they are empty, up to the root (S3 has no empty folders either)."""
        root = Path(self.root)
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): stop
                return
            folder = folder.parent

    @contextmanager
    def _written_beside(self, path: Path, data: bytes) -> Iterator[Path]:
        """`data` in a hidden temporary file next to `path` (same filesystem, so it can be linked or renamed)."""
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(temporary, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            yield temporary
        finally:
            temporary.unlink(missing_ok=True)


class _LocalFile:
    """A local file whose read errors (a bad sector, a vanished network share) say they are the object's."""

    def __init__(self, f: BinaryIO):
        self._f = f

    def read(self, n: int = -1) -> bytes:
        try:
            return self._f.read(n)
        except OSError as exc:
            raise UnreadableObject("object_unreadable", f"reading the file failed: {exc.strerror}") from None

    def close(self) -> None:
        self._f.close()


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # os.scandir hands back undecodable bytes as lone surrogates, which UTF-8 refuses
    except UnicodeEncodeError:
        return False
    return True


def _tag(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[bytes | None]:
    """The current content of `path` under an exclusive flock on its file, or None when there is no file.

    A writer that replaced the file (a new inode) while we waited for the
    lock makes us start again on the new file, so the content seen is the
    current one for as long as the lock is held.
    """
    while True:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            yield None
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            if current is None or _identity(current) != _identity(os.fstat(fd)):
                continue  # replaced or deleted while we waited
            with os.fdopen(os.dup(fd), "rb") as f:
                data = f.read()
            yield data
            return
        finally:
            os.close(fd)


# --- S3 ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Store:
    """`s3://bucket/prefix` on AWS or an S3-compatible server (`endpoint`)."""

    bucket: str
    prefix: str = ""
    endpoint: str | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def list_dirs(self, prefix: str = "") -> list[str]:
        start = self._folder(prefix)
        names = []
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start,
                                                                              Delimiter="/"):
            names += [p["Prefix"][len(start):].rstrip("/") for p in page.get("CommonPrefixes", [])]
        return sorted(names)

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        found = []
        for o in self._objects(prefix):
            if not o["Key"].endswith("/"):  # folder markers hold nothing
                found.append(ObjectInfo(f"s3://{self.bucket}/{o['Key']}", o["Size"], self._relative(o["Key"])))
        return sorted(found, key=lambda o: o.key)

    def open(self, key: str, on_read: Callable[[int], None] = lambda n: None) -> OpenedObject:
        for attempt in retrying():
            with attempt:
                first = self._get(key)
        etag, size = first["ETag"], first["ContentLength"]

        def open_at(offset: int) -> BinaryIO:  # retried by the stream
            if offset >= size:
                return io.BytesIO(b"")
            # If-Match: the rest must come from the same version of the object.
            return self._get(key, Range=f"bytes={offset}-", IfMatch=etag)["Body"]

        stream = _Stream(open_at, first["Body"], on_read)
        return OpenedObject(io.BufferedReader(stream, buffer_size=1 << 20), first.get("Metadata", {}),
                            first.get("ContentType"))

    def read(self, key: str) -> Blob | None:
        for attempt in retrying():
            with attempt:
                try:
                    response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
                except _errors().ClientError as exc:
                    if _status(exc) == 404:
                        return None
                    raise
                data = response["Body"].read()
        # Both times from the server's clock, when it sends its own: no skew between the writer's and the reader's.
        date = response["ResponseMetadata"].get("HTTPHeaders", {}).get("date")
        now = parsedate_to_datetime(date).timestamp() if date else time.time()
        return Blob(data, response["ETag"], max(0.0, now - response["LastModified"].timestamp()))

    def create(self, key: str, data: bytes) -> str | None:
        return self._conditional_put(key, data, IfNoneMatch="*")

    def replace(self, key: str, data: bytes, tag: str) -> str | None:
        return self._conditional_put(key, data, IfMatch=tag)

    def delete(self, key: str, tag: str | None = None) -> bool:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key), **({"IfMatch": tag} if tag else {}))
        except _errors().ClientError as exc:
            if _status(exc) == 404:  # already gone (maybe by this very call, retried after its answer was lost)
                return True
            if _precondition_failed(exc):
                return False
            raise
        return True

    def delete_tree(self, prefix: str) -> None:
        self._delete_keys([o["Key"] for o in self._objects(prefix)])

    def replace_tree(self, src: str, dst: str) -> None:
        source, target = self._folder(src), self._folder(dst)
        fresh = {o["Key"][len(source):] for o in self._objects(src) if not o["Key"].endswith("/")}
        old = [o["Key"] for o in self._objects(dst)]
        for name in sorted(fresh):
            self._client.copy({"Bucket": self.bucket, "Key": source + name}, self.bucket, target + name)
        self._delete_keys([k for k in old if k[len(target):] not in fresh])

    def make_dir(self, key: str) -> None:
        pass

    def arrow(self) -> tuple[pafs.FileSystem, str]:
        return _s3_filesystem(self.endpoint), f"{self.bucket}/{self.prefix}".rstrip("/")

    @property
    def _client(self):
        return s3_client(self.endpoint)

    def _key(self, key: str) -> str:
        return "/".join(part for part in (self.prefix, key) if part)

    def _folder(self, key: str) -> str:
        full = self._key(key)
        return f"{full}/" if full else ""

    def _relative(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1:] if self.prefix else full_key

    def _objects(self, prefix: str) -> Iterator[dict]:
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                           Prefix=self._folder(prefix)):
            yield from page.get("Contents", [])

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            response = self._client.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})
            if response.get("Errors"):
                error = response["Errors"][0]
                raise OSError(f"deleting {len(response['Errors'])} object(s) failed, e.g. s3://{self.bucket}/"
                              f"{error['Key']}: {error.get('Code')} {error.get('Message')}")

    def _get(self, key: str, **options) -> dict:
        """GetObject; UnreadableObject when the object is gone, refused or changed (transient errors are raised)."""
        try:
            return self._client.get_object(Bucket=self.bucket, Key=self._key(key), **options)
        except _errors().ClientError as exc:
            if is_transient(exc):
                raise
            code = exc.response.get("Error", {}).get("Code", "")
            if _status(exc) == 404:
                raise UnreadableObject("object_missing", "object vanished between listing and reading") from None
            if _precondition_failed(exc):
                raise UnreadableObject("object_unreadable", "the object was replaced while it was being read") from None
            raise UnreadableObject("object_unreadable", f"the store refused to read it: {code} "
                                   f"{exc.response.get('Error', {}).get('Message', '')}".rstrip()) from None

    def _conditional_put(self, key: str, data: bytes, **condition) -> str | None:
        try:
            return self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **condition)["ETag"]
        except _errors().ClientError as exc:
            if _precondition_failed(exc) or (_status(exc) == 404 and "IfMatch" in condition):
                return None
            raise


def _status(exc: botocore.exceptions.ClientError) -> int:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0


def _precondition_failed(exc: botocore.exceptions.ClientError) -> bool:
    """412, or 409 ConditionalRequestConflict: another conditional write on the same key is winning."""
    return exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict") or \
        _status(exc) in (409, 412)


def _errors():
    """botocore's exceptions, imported where S3 is used: boto3 and botocore take 0.3-0.4 s of CPU to import, which a
    run on local folders does not need."""
    import botocore.exceptions

    return botocore.exceptions


@functools.lru_cache(maxsize=8)
def s3_client(endpoint: str | None):
    """A thread-safe boto3 client; cached so batches share its connection pool."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 6},
        max_pool_connections=32,
        connect_timeout=10,
        read_timeout=60,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)


@functools.lru_cache(maxsize=8)
def _s3_filesystem(endpoint: str | None) -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem with boto3's resolved credentials and region."""
    import boto3

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
