"""tasks.running.stopping's signal handling in a flow's body, without Prefect (the stops of real runs are in
tests/test_stopping.py)."""

from __future__ import annotations

import signal

import pytest

from tasks.running import stopping


class SignalledWhenCollected:
    """An object whose finalizer receives `signum`: Python runs the handler inside `__del__`, where the exception
    it raises is printed ("Exception ignored in ...") and dropped."""

    def __init__(self, signum: int):
        self.signum = signum

    def __del__(self):
        signal.raise_signal(self.signum)


def raise_termination(signum: int, frame) -> None:
    raise stopping.Interrupted(signum)


@pytest.fixture
def body():
    """A flow's body as `pagefold` runs it: signals held while Prefect works, delivered in the body."""
    stopping.reset()
    try:
        with stopping.held_signals(), stopping.signals_to_body(raise_termination):
            yield
    finally:
        stopping.reset()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped exception, on purpose
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_stop_whose_exception_python_drops_is_recorded_and_raised_again_by_the_flows_loop(body, signum):
    """CI saw a SIGTERM arrive while the run's main thread was in a finalizer: Prefect's handler raised, Python
    dropped the exception, and the run went on to the end and exited 0. The stop is recorded before the handler
    raises, so the batch threads stop and the flow's loop raises it again."""
    SignalledWhenCollected(signum)  # collected at once: the signal is handled inside its __del__

    assert stopping.requested()
    with pytest.raises(stopping.Interrupted) as raised:
        stopping.raise_if_requested()
    assert raised.value.signum == signum
    assert stopping.exit_status() == 128 + signum


def test_a_signal_in_the_body_raises_there_once_recorded(body):
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    assert stopping.requested() and stopping.exit_status() == 130


def test_no_stop_requested_raises_nothing(body):
    stopping.raise_if_requested()
    assert not stopping.requested()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_dropped_during_a_safe_wait_is_taken_at_the_next_checkpoint():
    """While the command waits for its Prefect server (`interruptible`): the exception dropped, the signal stays
    held for the next checkpoint (`raise_if_held`) or the flow's body."""
    stopping.reset()
    with stopping.held_signals():
        with stopping.interruptible():
            SignalledWhenCollected(signal.SIGTERM)
        with pytest.raises(stopping.Interrupted) as raised:
            stopping.raise_if_held()
    assert raised.value.signum == signal.SIGTERM


def test_a_second_signal_while_the_stop_is_under_way_raises_nothing(body):
    """Two signals milliseconds apart (Ctrl-C, then SIGTERM): the second one, raised inside the clean-up of what the
    first interrupted, failed the run; it now leaves the stop to the first, which names it."""
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    signal.raise_signal(signal.SIGTERM)
    signal.raise_signal(signal.SIGINT)

    assert stopping.exit_status() == 128 + signal.SIGINT
