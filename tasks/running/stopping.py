"""Stopping a run in this process (Ctrl-C, SIGTERM): one flag every part of the run checks, and signal shields.

The flow turns the signal into `request()` (see flows/ingest.py); from then
on nothing new starts: `check()` raises `Stopped` in the batch threads at
their next page or wait, and the extraction pool accepts no more chunks.
`deferred_signals()` holds SIGINT and SIGTERM back over a step that must
not be cut in the middle (publishing a day: its files are swapped in one
step) or over the stop's own clean-up.

The command line runs under `held_signals()`: a signal is only recorded
while it imports, starts Prefect or while Prefect creates or finishes a flow
run (an exception raised in the middle of a C extension's import aborts the
process; one raised in the middle of the engine's API calls crashes the run
with a traceback and can leave it "Running"). It is taken at the command's
checkpoints (`raise_if_held`), during safe waits (`interruptible`), and by
a flow's body (`signals_to_body`), where one held since before it started
stops the run at once.

Every handler records the stop before it raises: Python drops an exception
raised in a finalizer or a weak reference's callback, and a run whose stop
was only that exception went on to the end (seen once in `make test`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_requested = threading.Event()
_by: list[int] = []  # the signal that stopped the run, when one did
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(Exception):
    """The run is being stopped: this work was abandoned, not failed."""


def signal_name(signum: int) -> str:
    """How the command names a stop: `SIGINT (Ctrl-C)`, `SIGTERM`."""
    return "SIGINT (Ctrl-C)" if signum == signal.SIGINT else signal.Signals(signum).name


def request(signum: int | None = None) -> None:
    """Ask every part of this process's run to stop; `signum`: the signal that asked, if one did."""
    if signum is not None and not _by:
        _by.append(signum)
    _requested.set()


def exit_status(signum: int | None = None) -> int:
    """The exit status of a command stopped by `signum` (default: the signal that stopped the run, else SIGINT):
    128 + the signal's number, as a shell reports it (130 for Ctrl-C, 143 for SIGTERM, which service managers
    expect)."""
    return 128 + (signum or (_by[0] if _by else signal.SIGINT))


def requested() -> bool:
    return _requested.is_set()


def check() -> None:
    """Raise Stopped once a stop was requested."""
    if _requested.is_set():
        raise Stopped("the run is being stopped")


def reset() -> None:
    """A new run starts in this process: forget the previous run's stop."""
    _requested.clear()
    _by.clear()


class Interrupted(KeyboardInterrupt):
    """A signal taken outside a flow's body (`raise_if_held`, `interruptible`); `signum`: which."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def held_signals() -> Iterator[list[int]]:
    """Record SIGINT and SIGTERM instead of acting on them while the block runs; yields the list of the signals
    received, in order, not yet taken (`raise_if_held`, `interruptible`, a flow's body).

    For a command that runs flows: a signal that cuts an import of C extensions aborts the process, and one
    that cuts Prefect's engine in the middle of its API calls crashes the run with a traceback and can leave it
    "Running"; held, it is taken where stopping is clean. Only in the main thread; elsewhere the list stays
    empty and nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    _held.clear()
    previous = {s: signal.signal(s, _hold) for s in SIGNALS}
    try:
        yield _held
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)


_held: list[int] = []


def _hold(signum: int, frame) -> None:
    _held.append(signum)


def raise_if_held() -> None:
    """Raise Interrupted for the first signal held, if any (a checkpoint of a command under `held_signals`)."""
    if _held:
        raise Interrupted(_held.pop(0))


def _interrupt(signum: int, frame) -> None:
    _held.append(signum)  # kept held: should Python drop the exception (`_recorded`), the next checkpoint takes it
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Under `held_signals`, a wait that is safe to cut (pure Python: polling, sleeping): a signal held or
    received raises Interrupted at once. Elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not _hold:
        yield
        return
    previous = {s: signal.signal(s, _interrupt) for s in SIGNALS}
    try:
        raise_if_held()
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def raise_if_requested() -> None:
    """Raise Interrupted for the signal that stopped the run (SIGINT if none did) once a stop was requested: the
    flow's main loop calls it where it wakes, so that a stop whose exception was lost still stops the run."""
    if _requested.is_set():
        raise Interrupted(_by[0] if _by else signal.SIGINT)


def _recorded(handler: Callable[[int, object], None]) -> Callable[[int, object], None]:
    """`handler`, after recording the stop (`request`). Python runs a signal's handler in whatever the main thread
    is running, a finalizer (`__del__`) or a weak reference's callback included, where the exception it raises is
    printed ("Exception ignored in ...") and dropped: the run would go on to the end. Recorded first, the stop
    survives: the batch threads stop at their next page and the flow's loop raises it again
    (`raise_if_requested`). A signal once the stop is under way only waits for it: raised again a few milliseconds
    after the first, inside the clean-up of a lock the first one interrupted, it turned into a RuntimeError
    ("release unlocked lock") that skipped the stop's own clean-up (seen in a trial)."""
    def handle(signum: int, frame) -> None:
        if requested():
            return
        request(signum)
        handler(signum, frame)

    return handle


@contextmanager
def signals_to_body(on_sigterm: Callable[[int, object], None]) -> Iterator[None]:
    """In a flow's body run under `held_signals()`: SIGINT raises KeyboardInterrupt again and SIGTERM calls
    `on_sigterm` (or Prefect's engine's own handler, when it installed one), each once the stop is recorded
    (`request`), and a signal held since before the body started is delivered at once. Elsewhere (a worker, a
    test) nothing changes. Held again after the block.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not _hold:
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    signal.signal(signal.SIGINT, _recorded(signal.default_int_handler))
    term = previous[signal.SIGTERM]
    signal.signal(signal.SIGTERM, _recorded(on_sigterm if term is _hold or not callable(term) else term))
    try:
        if _held:
            signal.raise_signal(_held.pop(0))
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


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
