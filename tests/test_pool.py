"""The extraction pool keeps going when a worker process dies, losing only the item that killed it."""

from __future__ import annotations

import os

from tasks import pool

DEADLY = 13


def square_or_die(items: list[int]) -> list[int]:
    """Runs in a worker process; item 13 kills its worker outright, as a crash in native code would."""
    if DEADLY in items:
        os._exit(1)
    return [i * i for i in items]


def test_a_dying_worker_costs_only_the_item_that_killed_it():
    chunks = [list(range(start, start + 5)) for start in range(0, 30, 5)]  # 13 sits in the third chunk
    try:
        submitted = [pool.submit(2, square_or_die, chunk) for chunk in chunks]
        out = [r for s in submitted for r in pool.results(s, 2, on_crash=lambda item: f"lost {item}")]
    finally:
        pool.shutdown_pools()

    assert out == [f"lost {i}" if i == DEADLY else i * i for i in range(30)]


def test_the_pool_is_usable_again_after_a_crash():
    try:
        crashed = pool.submit(1, square_or_die, [DEADLY])
        assert pool.results(crashed, 1, on_crash=lambda item: None) == [None]
        assert pool.results(pool.submit(1, square_or_die, [2, 3]), 1, on_crash=lambda item: None) == [4, 9]
    finally:
        pool.shutdown_pools()


def test_run_here_computes_in_this_process_and_hands_back_the_same_results():
    chunk = pool.run_here(lambda items: [(i * i, os.getpid()) for i in items], [2, 3])
    assert chunk.future.done()
    assert pool.results(chunk, 0, on_crash=lambda item: None) == [(4, os.getpid()), (9, os.getpid())]
