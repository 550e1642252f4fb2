"""A run's days in order, at most N staged at once: which batch runs next, and when a day's batches are all done.

A run of many days commits each day as soon as its batches are done, while
the next days are still extracted, so that a stop, a crash or a failing
day keeps every day finished before it. Staging is bounded: a day's first
batch starts only while fewer than `max_open` days are open (started and
not yet committed or given up), so a run of a year never holds more than a
few days' staged rows.
"""

from __future__ import annotations

from collections import Counter, deque

from tasks.running.batch import Batch


class DayWindow:
    """The batches of a run's days, handed out in the order given (day by day), at most `max_open` days open."""

    def __init__(self, batches: list[Batch], max_open: int):
        if max_open < 1:
            raise ValueError(f"max_open must be at least 1, not {max_open}")
        self.max_open = max_open
        self._queue = deque(batches)
        self._left = Counter(batch.day for batch in batches)  # batches of each day not finished
        self._open: set[str] = set()
        self._failed: set[str] = set()

    def next_batch(self) -> Batch | None:
        """The next batch to run; None when none is left, or while its day waits for an open day to close."""
        if not self._queue:
            return None
        day = self._queue[0].day
        if day not in self._open:
            if len(self._open) >= self.max_open:
                return None
            self._open.add(day)
        return self._queue.popleft()

    def batch_done(self, batch: Batch, failed: bool) -> bool:
        """Record a finished batch; True when its day has no batch left to wait for: it can be committed, or
        (once one of its batches failed: its batches not started are dropped) given up."""
        day = batch.day
        self._left[day] -= 1
        if failed and day not in self._failed:
            self._failed.add(day)
            dropped = sum(1 for queued in self._queue if queued.day == day)
            self._queue = deque(queued for queued in self._queue if queued.day != day)
            self._left[day] -= dropped
        return self._left[day] == 0

    def close(self, day: str) -> None:
        """The day is committed or given up: its place goes to the next day."""
        self._open.discard(day)

    @property
    def waiting(self) -> int:
        """Batches not handed out yet."""
        return len(self._queue)
