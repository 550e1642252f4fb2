"""Live counters of running ingests, in pages: the command line's progress bar, the flow's progress lines.

Each process keeps a board of counters per run. Batch tasks running on
threads of the flow's process count on the flow's own board; batches on
Dask count on their worker's board, which the flow polls (`run_counts`) and
adds up (`ProgressBoard.set_remote`). It carries no data the run depends on:
losing it loses only the display.

No time left is promised until pages flow out of extraction: the first
chunk's wait is the extraction processes' start (trafilatura and the NER
models load in seconds), not a rate; the rate is measured from the moment
the first extracted pages came back.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

MIN_RATE_S = 2.0  # the rate is measured over at least this long after pages start to flow
KEPT_RUNS = 32  # runs whose counters a process keeps (a Dask worker serves run after run)


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
    flowing_s: float | None = None  # since the first extracted pages came back; None: not yet (models loading)
    pages_done_when_flowing: int = 0  # pages done at that moment (rejected before extraction, mostly)

    @property
    def pages_per_s(self) -> float | None:
        """Pages done per second since pages started to flow out of extraction; None until MIN_RATE_S later, and
        until more pages came back (the first ones start the clock: counting from them alone gave 0.0 pages/s)."""
        done = self.pages_done - self.pages_done_when_flowing
        if self.flowing_s is None or self.flowing_s < MIN_RATE_S or done <= 0:
            return None
        return done / self.flowing_s

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
        """At the rate pages flow; None before it is measured or while nothing is left to estimate."""
        total, rate = self.pages_total, self.pages_per_s
        if total is None or not rate:
            return None
        return max(0.0, total - self.pages_done) / rate

    def describe(self) -> str:
        """One line, e.g. `37/~120 pages (31%), 12/40 objects read, 3.1 pages/s, ~27 s left`, or while the
        extraction processes start `3/~120 pages (2%), 12/40 objects read, starting extraction (loading models)`."""
        if not self.objects_total:
            return "listing objects"
        total = self.pages_total
        pages = f"{self.pages_done}/{'' if self.exact else '~'}{total} pages ({self.fraction:.0%})" if total else \
            f"{self.pages_done} pages (total known once an object is read)"
        objects = f"{self.objects_done}/{self.objects_total} objects read"
        if self.flowing_s is None:
            return f"{pages}, {objects}, starting extraction (loading models)"
        rate = self.pages_per_s
        if rate is None:
            return f"{pages}, {objects}, measuring the rate"
        left = f", ~{self.seconds_left:.0f} s left" if self.seconds_left else ""
        return f"{pages}, {objects}, {rate:.1f} pages/s{left}"


@dataclass
class Counts:
    """One run's counts in one process."""

    objects_done: int = 0
    bytes_done: int = 0
    pages_of_objects_done: int = 0
    pages_read: int = 0
    pages_done: int = 0
    pages_extracted: int = 0  # of pages_done, those that came back from extraction

    def as_tuple(self) -> tuple[int, ...]:
        return (self.objects_done, self.bytes_done, self.pages_of_objects_done, self.pages_read, self.pages_done,
                self.pages_extracted)


class _Run:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.totals = (0, 0)
        self.here = Counts()
        self.remote = Counts()
        self.flowing_since: float | None = None
        self.pages_done_when_flowing = 0

    def counts(self) -> Counts:
        return Counts(*(a + b for a, b in zip(self.here.as_tuple(), self.remote.as_tuple())))

    def note_flow(self) -> None:
        """Pages came back from extraction: the first time, the rate starts here."""
        counts = self.counts()
        if self.flowing_since is None and counts.pages_extracted:
            self.flowing_since, self.pages_done_when_flowing = time.monotonic(), counts.pages_done


class ProgressBoard:
    """This process's counters, per run id; `current` is the run whose flow last started here (the CLI shows it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, _Run] = OrderedDict()
        self.current: str | None = None

    def _run(self, run_id: str) -> _Run:
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = _Run()
            while len(self._runs) > KEPT_RUNS:
                self._runs.popitem(last=False)
        return run

    def start(self, run_id: str, objects: int, raw_bytes: int) -> None:
        """A run's flow knows its totals: from now on its snapshots are the ones to show."""
        with self._lock:
            run = self._run(run_id)
            run.started, run.totals = time.monotonic(), (objects, raw_bytes)
            self.current = run_id

    def page_read(self, run_id: str) -> None:
        with self._lock:
            self._run(run_id).here.pages_read += 1

    def object_done(self, run_id: str, raw_bytes: int, pages: int) -> None:
        """An object read to its end: its raw size and the pages it held."""
        with self._lock:
            counts = self._run(run_id).here
            counts.objects_done += 1
            counts.bytes_done += raw_bytes
            counts.pages_of_objects_done += pages

    def pages_done(self, run_id: str, pages: int, extracted: bool = False) -> None:
        """`pages` stored; `extracted`: they came back from extraction (not rejected before it)."""
        with self._lock:
            run = self._run(run_id)
            run.here.pages_done += pages
            if extracted:
                run.here.pages_extracted += pages
                run.note_flow()

    def counts(self, run_id: str) -> tuple[int, ...]:
        """This process's own counts of a run (`Counts.as_tuple`)."""
        with self._lock:
            return self._runs[run_id].here.as_tuple() if run_id in self._runs else Counts().as_tuple()

    def set_remote(self, run_id: str, counts: tuple[int, ...]) -> None:
        """The run's counts on other processes (Dask workers), added up: they replace the previous ones."""
        with self._lock:
            run = self._run(run_id)
            run.remote = Counts(*counts)
            run.note_flow()

    def __reduce__(self) -> str:
        """Pickled by name: each process has its own board (the flow's code travels to Dask workers)."""
        return "BOARD"

    def snapshot(self, run_id: str | None = None) -> Snapshot:
        """A run's progress (default: the current run's); all zeros for a run not started here."""
        with self._lock:
            run = self._runs.get(run_id or self.current or "")
            if run is None:
                return Snapshot(0, 0, 0, 0, 0, 0, 0, 0.0)
            now, c = time.monotonic(), run.counts()
            flowing = None if run.flowing_since is None else now - run.flowing_since
            return Snapshot(*run.totals, c.objects_done, c.bytes_done, c.pages_of_objects_done, c.pages_read,
                            c.pages_done, now - run.started, flowing, run.pages_done_when_flowing)


BOARD = ProgressBoard()


def run_counts(run_id: str) -> tuple[int, ...]:
    """On a Dask worker: its counts of a run, for the flow's poll (`Client.run`)."""
    return BOARD.counts(run_id)
