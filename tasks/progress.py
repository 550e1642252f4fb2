"""Live counters of the running ingest, for the command line's progress display.

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
    objects_done: int
    bytes_done: int
    pages_done: int
    elapsed_s: float

    @property
    def pages_per_s(self) -> float:
        return self.pages_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        """Estimated from raw bytes read so far: the only total known before the pages are parsed."""
        if not self.bytes_done or not self.bytes_total:
            return None
        return self.elapsed_s * (self.bytes_total - self.bytes_done) / self.bytes_done


class ProgressBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._started = time.monotonic()
            self._totals = [0, 0]
            self._done = [0, 0, 0]

    def set_totals(self, objects: int, raw_bytes: int) -> None:
        with self._lock:
            self._totals = [objects, raw_bytes]

    def object_done(self) -> None:
        with self._lock:
            self._done[0] += 1

    def bytes_read(self, raw_bytes: int) -> None:
        with self._lock:
            self._done[1] += raw_bytes

    def pages_done(self, pages: int) -> None:
        with self._lock:
            self._done[2] += pages

    def __reduce__(self) -> str:
        """Pickled by name: each process has its own board (the flow's code travels to Dask workers)."""
        return "BOARD"

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(*self._totals, *self._done, time.monotonic() - self._started)


BOARD = ProgressBoard()
