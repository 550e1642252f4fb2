"""Live counters of the running ingest, in pages: the command line's progress bar, the flow's progress lines.

Batch tasks run on threads of the flow's process, so a lock-guarded board
in that process sees every batch; the CLI polls it. It carries no data the
run depends on: losing it loses only the display.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Snapshot:
    objects_total: int
    bytes_total: int
    objects_done: int  # read to their end
    bytes_done: int  # the raw size of those objects
    pages_of_objects_done: int
    pages_read: int  # every page read so far (an object may hold many pages)
    pages_done: int  # stored as a document or a reject
    elapsed_s: float

    @property
    def pages_per_s(self) -> float:
        return self.pages_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def exact(self) -> bool:
        """Whether `pages_total` is a count rather than an estimate: every object was read."""
        return self.objects_done >= self.objects_total

    @property
    def pages_total(self) -> int | None:
        """Pages of the run: counted once every object is read; until then the pages of the objects read so far,
        scaled to all the raw bytes (the only total known before objects are parsed); None until an object has
        been read to its end (the pages read of objects still open say nothing of the total)."""
        if self.exact:
            return self.pages_read if self.objects_total else None
        if not self.bytes_done:
            return None
        return max(self.pages_read, round(self.pages_of_objects_done * self.bytes_total / self.bytes_done))

    @property
    def fraction(self) -> float:
        """Share of the run's pages done, 0..1."""
        total = self.pages_total
        return min(1.0, self.pages_done / total) if total else 0.0

    @property
    def seconds_left(self) -> float | None:
        """At the rate pages were done so far; None before the first page is done."""
        total = self.pages_total
        if not self.pages_done or total is None:
            return None
        return max(0.0, total - self.pages_done) / self.pages_per_s

    def describe(self) -> str:
        """One line, e.g. `37/~120 pages (31%), 12/40 objects read, 3.1 pages/s, ~27 s left`."""
        if not self.objects_total:
            return "listing objects"
        total = self.pages_total
        pages = f"{self.pages_done}/{'' if self.exact else '~'}{total} pages ({self.fraction:.0%})" if total else \
            f"{self.pages_done} pages (total known once an object is read)"
        left = f", ~{self.seconds_left:.0f} s left" if self.seconds_left else ""
        return (f"{pages}, {self.objects_done}/{self.objects_total} objects read, {self.pages_per_s:.1f} pages/s"
                f"{left}")


class ProgressBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._started = time.monotonic()
            self._totals = [0, 0]
            self._done = [0, 0, 0, 0, 0]  # objects, their bytes, their pages; pages read, pages done

    def set_totals(self, objects: int, raw_bytes: int) -> None:
        with self._lock:
            self._totals = [objects, raw_bytes]

    def page_read(self) -> None:
        with self._lock:
            self._done[3] += 1

    def object_done(self, raw_bytes: int, pages: int) -> None:
        """An object read to its end: its raw size and the pages it held."""
        with self._lock:
            self._done[0] += 1
            self._done[1] += raw_bytes
            self._done[2] += pages

    def pages_done(self, pages: int) -> None:
        with self._lock:
            self._done[4] += pages

    def __reduce__(self) -> str:
        """Pickled by name: each process has its own board (the flow's code travels to Dask workers)."""
        return "BOARD"

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(*self._totals, *self._done, time.monotonic() - self._started)


BOARD = ProgressBoard()
