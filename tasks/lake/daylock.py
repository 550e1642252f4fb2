"""One writer per day: a lock object in the lake, whoever started the run, that outlives neither a crash nor a fault.

Runs for the same day may start from a schedule, a backfill, a retry in the
UI or the command line with its own local Prefect; the one thing they all
share is the destination, so the lock lives there, at
`<dest>/_locks/<day>.json`, beside the data it protects. It says who holds
it: the run id, a token unique to this acquisition, the host, its process
(pid and start time) and the machine (host name, boot time, pid namespace),
and it is rewritten every HEARTBEAT_S seconds.

Acquiring is a conditional create (S3 `If-None-Match: *`, a hard link
locally): only one contender wins. When a lock is already there:

- it carries our own token: our create succeeded and its answer was lost
  (botocore re-sent it and got 412): the lock is ours;
- its holder is provably dead: it ran on this machine (same boot, same pid
  namespace) and its process is gone: it is taken over at once;
- its heartbeat is older than STALE_AFTER_S (2.5 heartbeats: a holder on
  another machine cannot be checked, only heard from): it is taken over;
- otherwise the day is refused (DayLocked), naming the holder and when its
  lock would go stale.

Taking over, the heartbeat and release are conditional on the version tag
last seen (S3 `If-Match` on the ETag; locally a content hash under `flock`),
so of two contenders only one wins, and a holder whose lock was taken over
learns it (`lost`) instead of overwriting the new holder. A conditional write
whose answer is lost is recognised by reading the lock back: our token is
ours alone. Release retries, and never raises: a committed run does not fail
because its lock could not be deleted (the lock frees itself as above).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import psutil

from tasks.lake import staging
from tasks.lake.storage import Blob, Store, retrying

LOCKS = "_locks"
HEARTBEAT_S = 60.0
# A holder on another machine that has not beaten for 2.5 heartbeats is dead (or cut off, and then it learns that
# it lost the lock before it commits): the longest a crash there blocks a rerun.
STALE_AFTER_S = 150.0

log = logging.getLogger(__name__)


class DayLocked(Exception):
    """Another live run is writing this day."""


def _machine() -> str:
    """This machine as a process sees it: a pid means the same process only within the same host, boot and namespace."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}|{psutil.boot_time():.0f}|{namespace}"


def _process_started(pid: int) -> float:
    return round(psutil.Process(pid).create_time(), 2)


def _process_alive(pid: int, started: float) -> bool:
    """Whether the process that took the lock still runs (a pid reused by another process does not count)."""
    try:
        process = psutil.Process(pid)
        return abs(process.create_time() - started) < 1.0 and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # not allowed to look: assume it lives
        return True


@dataclass(frozen=True)
class Holder:
    """What a lock says about the run that holds it (fields empty when the lock cannot be parsed)."""

    owner: str = "unknown"
    token: str = ""
    host: str = "?"
    machine: str = ""
    pid: int = 0
    pid_started: float = 0.0

    @classmethod
    def parse(cls, blob: Blob) -> Holder:
        try:
            fields = json.loads(blob.data)
            return cls(str(fields["owner"]), str(fields["token"]), str(fields.get("host", "?")),
                       str(fields.get("machine", "")), int(fields.get("pid", 0)),
                       float(fields.get("pid_started", 0.0)))
        except (ValueError, KeyError, TypeError):
            return cls()

    def dead_because(self, age_s: float) -> str | None:
        """Why this holder is certainly dead, or None when it may be alive."""
        if self.machine == _machine() and self.pid and not _process_alive(self.pid, self.pid_started):
            return f"its process {self.pid} on this machine ({self.host}) is gone"
        if age_s > STALE_AFTER_S:
            return f"its last heartbeat was {age_s:.0f} s ago (stale after {STALE_AFTER_S:.0f} s)"
        return None


class DayLock:
    """The lock of one day in one lake, held by `owner` (a run id)."""

    def __init__(self, dest: Store, day: str, owner: str):
        self.dest, self.day, self.owner = dest, day, owner
        self.key = f"{LOCKS}/{day}.json"
        self.token = uuid.uuid4().hex
        self.lost = False
        self.took_over: str | None = None  # whose lock this run took over, and why
        self._tag: str | None = None
        self._beats = 0
        self._since = datetime.now(timezone.utc).isoformat()
        self._mutex = threading.Lock()  # the heartbeat thread and the flow may both refresh

    def acquire(self) -> None:
        """Take the lock, or take over a dead holder's; DayLocked if a live run holds it. Transient errors retried."""
        for attempt in retrying():
            with attempt:
                self._acquire()

    def refresh(self) -> None:
        """Rewrite the lock (its heartbeat); marks it `lost` if another run took it over."""
        with self._mutex:
            if self.lost:
                return
            tag = self.dest.replace(self.key, self._body(self._beats + 1), self._tag)
            if tag is None:
                blob = self._read()
                if blob is None or Holder.parse(blob).token != self.token:
                    self.lost = True
                    return
                tag = blob.tag  # our write landed; its answer was lost
            self._tag, self._beats = tag, self._beats + 1

    def confirm(self) -> None:
        """Refresh now, before publishing: DayLocked if this run no longer holds the day."""
        for attempt in retrying():
            with attempt:
                self.refresh()
        if self.lost:
            raise DayLocked(f"day {self.day}: another run took over this run's lock; not committed")

    def release(self) -> None:
        """Delete the lock if it is still this run's. Retried; never raises (a lock left behind frees itself)."""
        try:
            for attempt in retrying():
                with attempt:
                    self._release()
        except Exception as exc:
            log.warning("day %s: the lock %s could not be released (%s: %s); it frees itself within %.0f s, at once "
                        "for a rerun on this machine", self.day, self.where, type(exc).__name__, exc, STALE_AFTER_S)

    @property
    def where(self) -> str:
        return f"{self.dest.url.rstrip('/')}/{self.key}"

    def _acquire(self) -> None:
        for _ in range(3):  # the holder may release, or another contender win, between our steps
            self._tag = self.dest.create(self.key, self._body(0))
            if self._tag is not None:
                return
            blob = self._read()
            if blob is None:
                continue  # released in between: create again
            holder = Holder.parse(blob)
            if holder.token == self.token:
                self._tag = blob.tag  # our create landed; its answer was lost and the retry met our own lock
                return
            dead = holder.dead_because(blob.age_s)
            if dead is None:
                raise DayLocked(
                    f"day {self.day} is being written by run {holder.owner} (host {holder.host}, pid {holder.pid}; "
                    f"lock {self.where} refreshed {blob.age_s:.0f} s ago). If that run is dead, its lock is taken "
                    f"over {max(0.0, STALE_AFTER_S - blob.age_s):.0f} s from now, or at once by a run on its host")
            self._tag = self.dest.replace(self.key, self._body(0), blob.tag)
            if self._tag is None:
                mine = self._read()
                if mine is None or Holder.parse(mine).token != self.token:
                    continue  # another contender took it over first: look again
                self._tag = mine.tag
            self.took_over = f"run {holder.owner}: {dead}"
            return
        raise DayLocked(f"day {self.day}: the lock {self.where} kept changing hands; try again")

    def _release(self) -> None:
        for _ in range(3):  # a heartbeat may move the tag between the read and the delete
            blob = self._read()
            if blob is None or Holder.parse(blob).token != self.token:
                return
            if self.dest.delete(self.key, blob.tag):
                return

    def _read(self) -> Blob | None:
        return self.dest.read(self.key)

    def _body(self, beats: int) -> bytes:
        return json.dumps({
            "owner": self.owner, "token": self.token, "host": socket.gethostname(), "machine": _machine(),
            "pid": os.getpid(), "pid_started": _process_started(os.getpid()), "since": self._since,
            "heartbeat": datetime.now(timezone.utc).isoformat(), "beats": beats,
        }).encode()


class DayClaims:
    """The days one run writes: their locks, a heartbeat keeping them alive, and the run's staging of each day.

    Use as a context manager; `claim(day)` locks a day and removes the
    staging that dead runs left for it. `release_all()` (also run on leaving
    the block) stops the heartbeat, removes this run's staging and releases
    its locks: idempotent, and safe to call from another thread or a signal
    handler.
    """

    def __init__(self, dest: Store, run_id: str, heartbeat_s: float = HEARTBEAT_S):
        self.dest, self.run_id, self._every_s = dest, run_id, heartbeat_s
        self.locks: dict[str, DayLock] = {}
        self._stop = threading.Event()
        self._released = False
        self._guard = threading.RLock()  # re-entrant: a signal handler may interrupt the thread holding it
        self._thread = threading.Thread(target=self._beat, name="pagefold-lock-heartbeat", daemon=True)

    def __enter__(self) -> DayClaims:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release_all()

    def claim(self, day: str) -> DayLock:
        """Lock `day` for this run (DayLocked if a live run has it) and clear the staging dead runs left for it."""
        lock = DayLock(self.dest, day, self.run_id)
        lock.acquire()
        with self._guard:
            self.locks[day] = lock
        staging.clear_staging(self.dest, day, keep=self.run_id)
        return lock

    def release(self, day: str) -> None:
        """Done with `day` (committed, failed or empty): remove this run's staging of it and release its lock."""
        with self._guard:
            lock = self.locks.pop(day, None)
        if lock is not None:
            self._let_go(lock)

    def release_all(self) -> None:
        with self._guard:
            if self._released:
                return
            self._released = True
            locks = list(self.locks.values())
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        for lock in locks:
            self._let_go(lock)

    def _let_go(self, lock: DayLock) -> None:
        try:
            staging.discard_staging(self.dest, self.run_id, lock.day)
        except Exception as exc:  # the next run of the day removes it
            log.warning("day %s: this run's staging could not be removed (%s: %s)", lock.day, type(exc).__name__, exc)
        lock.release()

    def _beat(self) -> None:
        while not self._stop.wait(self._every_s):
            with self._guard:
                locks = list(self.locks.values())
            for lock in locks:
                try:
                    lock.refresh()
                except Exception as exc:  # a missed beat is retried at the next; staleness takes 2.5 of them
                    log.warning("day %s: lock heartbeat failed: %s: %s", lock.day, type(exc).__name__, exc)
