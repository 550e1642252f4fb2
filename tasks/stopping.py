"""Stopping a run in this process (Ctrl-C, SIGTERM): one flag every part of the run checks, and signal shields.

The flow turns the signal into `request()` (see flows/ingest.py); from then
on nothing new starts: `check()` raises `Stopped` in the batch threads at
their next page or wait, and the extraction pool accepts no more chunks.
`deferred_signals()` holds SIGINT and SIGTERM back over a step that must
not be cut in the middle (publishing a day: its files are swapped in one
step) or over the stop's own clean-up.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_requested = threading.Event()
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(Exception):
    """The run is being stopped: this work was abandoned, not failed."""


def request() -> None:
    """Ask every part of this process's run to stop."""
    _requested.set()


def requested() -> bool:
    return _requested.is_set()


def check() -> None:
    """Raise Stopped once a stop was requested."""
    if _requested.is_set():
        raise Stopped("the run is being stopped")


def reset() -> None:
    """A new run starts in this process: forget the previous run's stop."""
    _requested.clear()


@contextmanager
def deferred_signals(deliver: bool = True) -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then deliver the first one received (or drop them all).

    Only the main thread receives signals in Python; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: received.append(signum)) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if received and deliver:
            signal.raise_signal(received[0])
