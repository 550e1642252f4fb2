"""The extraction pool: a deadline per item that C code cannot ignore, and dying workers that cost one item only."""

from __future__ import annotations

import os
import signal
import time
from functools import partial

import pytest

from tasks.running import pool

pytestmark = pytest.mark.slow  # worker processes, each loading trafilatura and spaCy
DEADLY, STUCK = 13, 7


def square_or_die(items: list[int]) -> list[int]:
    """Runs in a worker process; item 13 kills its worker outright, as a crash in native code would."""
    if DEADLY in items:
        os._exit(1)
    return [i * i for i in items]


def square_or_hang(items: list[int]) -> list[tuple[int, int]]:
    """Item 7 hangs deaf to SIGALRM and SIGTERM, as a page stuck in lxml's or a regex engine's C code is."""
    if STUCK in items:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM})
        time.sleep(3600)
    return [(i * i, os.getpid()) for i in items]


def model_classes(languages: list[str]) -> list[str]:
    """Runs in a worker: the class of each language's NER model."""
    from tasks import entities

    return [type(entities.model_for(language)).__name__ for language in languages]


def entity_statuses(log: str, languages: list[str]) -> list[str]:
    """Runs in a worker: notes the call in the file `log`, then the entity status of a document in each language."""
    from tasks import entities

    with open(log, "a") as calls:
        calls.write("call\n")
    docs = [{"language": language, "title": "", "text": "Angela Merkel traf Emmanuel Macron in Paris."}
            for language in languages]
    entities.add_entities(docs, max_chars=100_000)
    return [doc["entities_status"] for doc in docs]


def lost(reason: str):
    return lambda item: f"{reason} {item}"


@pytest.fixture(autouse=True)
def own_pool(monkeypatch):
    """This process's own pool, even after a test sent its runs to the shared workers (whose processes cannot
    import this module's functions); tests/test_shared_workers.py checks the same outcomes there."""
    monkeypatch.setattr(pool, "_shared_home", None)


def test_a_dying_worker_costs_only_the_item_that_killed_it():
    chunks = [list(range(start, start + 5)) for start in range(0, 30, 5)]  # 13 sits in the third chunk
    try:
        submitted = [pool.submit(2, square_or_die, chunk, deadline_s=30) for chunk in chunks]
        out = [r for s in submitted for r in pool.results(s, 2, on_crash=lost("crashed"), on_timeout=lost("late"))]
    finally:
        pool.shutdown_pools()

    assert out == [f"crashed {i}" if i == DEADLY else i * i for i in range(30)]


def test_the_pool_is_usable_again_after_a_crash():
    try:
        crashed = pool.submit(1, square_or_die, [DEADLY], deadline_s=30)
        assert pool.results(crashed, 1, on_crash=lost("crashed"), on_timeout=lost("late")) == [f"crashed {DEADLY}"]
        again = pool.submit(1, square_or_die, [2, 3], deadline_s=30)
        assert pool.results(again, 1, on_crash=lost("crashed"), on_timeout=lost("late")) == [4, 9]
    finally:
        pool.shutdown_pools()


def test_an_item_stuck_past_its_deadline_is_killed_and_costs_only_itself():
    """Chunk [5, 6, 7, 8] gets 4 x 1 s; it times out, its items run again alone with 1 s each: only 7 is lost."""
    started = time.monotonic()
    try:
        chunk = pool.submit(1, square_or_hang, [5, 6, STUCK, 8], deadline_s=1.0)
        out = pool.results(chunk, 1, on_crash=lost("crashed"), on_timeout=lost("late"))
    finally:
        pool.shutdown_pools()
    elapsed = time.monotonic() - started

    assert [r if isinstance(r, str) else r[0] for r in out] == [25, 36, f"late {STUCK}", 64]
    assert out[0][1] != out[3][1]  # the worker that hung was killed (SIGKILL: it blocked SIGTERM) and replaced
    assert elapsed < 300  # not the hour it would hang: 4 s for the chunk, 1 s alone, 3 s of grace before SIGKILL each,
    # and the replaced workers' start-up (models load in each)


def test_loading_a_model_counts_against_no_deadline(monkeypatch):
    """French's NER model takes seconds to load (8 s of CPU on this machine), the item that needs it gets 1 s. A
    new worker loads English's before it takes items; the French item comes back unrun (ModelNotLoaded) and runs
    again, its worker loading French's first in a time of its own. It used to load in the item's time, and time
    out."""
    monkeypatch.setattr(pool, "_languages", {"en"})
    try:
        chunk = pool.submit(1, model_classes, ["fr"], deadline_s=1.0)
        out = pool.results(chunk, 1, on_crash=lost("crashed"), on_timeout=lost("late"))
        again = pool.submit(1, model_classes, ["en", "fr"], deadline_s=1.0)
        assert pool.results(again, 1, on_crash=lost("crashed"), on_timeout=lost("late")) == ["NerModel"] * 2
    finally:
        pool.shutdown_pools()

    assert out == ["NerModel"]


def test_a_chunk_that_meets_two_new_languages_runs_again_once_for_both(monkeypatch, tmp_path):
    """A worker that lacked German's and French's models ran the chunk a third time: once per language it met."""
    monkeypatch.setattr(pool, "_languages", {"en"})
    log = tmp_path / "calls"
    try:
        chunk = pool.submit(1, partial(entity_statuses, str(log)), ["de", "en", "fr"], deadline_s=30)
        out = pool.results(chunk, 1, on_crash=lost("crashed"), on_timeout=lost("late"))
    finally:
        pool.shutdown_pools()

    assert out == ["done"] * 3
    assert log.read_text().count("call") == 2  # unrun (both models missing), then run with both loaded


def test_run_here_computes_in_this_process_and_hands_back_the_same_results():
    chunk = pool.run_here(lambda items: [(i * i, os.getpid()) for i in items], [2, 3])
    assert chunk.future.done()
    assert pool.results(chunk, 0, on_crash=lost("crashed"), on_timeout=lost("late")) == [(4, os.getpid()),
                                                                                       (9, os.getpid())]


@pytest.mark.parametrize("raw_mib, cores, workers", [(0, 2, 1), (0.01, 2, 1), (1, 2, 1), (1.01, 2, 2), (50, 2, 2),
                                                     (50, 8, 8), (3.5, 8, 4)])
def test_a_small_source_gets_one_worker_per_mib_begun_up_to_one_per_core(raw_mib, cores, workers):
    assert pool.workers_for(int(raw_mib * pool.BYTES_PER_WORKER), cores) == workers
