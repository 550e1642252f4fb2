"""Unit tests of the run summary's reconciliation and of batch planning."""

from __future__ import annotations

import random

import pytest

from tasks.lake.storage import ObjectInfo
from tasks.records import Counts
from tasks.running.batch import plan_batches
from tasks.running.summary import RunSummary

DAY1, DAY2 = "2026-11-26", "2026-11-27"


def counts(documents: int, rejects: dict[str, int], objects: int = 1, extra_pages: int = 0,
           entities: int = 0, kinds: dict[str, int] | None = None) -> Counts:
    """Batch counts where pages = documents + rejects (+ extra_pages, to break that on purpose); the documents are
    articles unless `kinds` says otherwise."""
    c = Counts(objects=objects, documents=documents, entities=entities, rejects=dict(rejects),
               kinds=kinds if kinds is not None else ({"article": documents} if documents else {}))
    c.pages = documents + sum(rejects.values()) + extra_pages
    return c


# --- RunSummary --------------------------------------------------------------------------------------------------

def test_run_reconciles_when_pages_match_rows_and_the_commit_wrote_them():
    summary = RunSummary("run-1", [DAY1, DAY2])
    batches = {DAY1: [counts(10, {"invalid_json": 1}), counts(5, {"too_little_prose": 2, "invalid_json": 1})],
               DAY2: [counts(7, {})]}
    for day, day_batches in batches.items():
        for c in day_batches:
            summary.add_batch(day, c)
        documents = sum(c.documents for c in day_batches)
        summary.add_commit(day, {"documents": documents, "entities": 0, "rejects": sum(c.rejected for c in day_batches),
                                 "documents_by_kind": {"article": documents}})
    summary.finish()

    assert summary.mismatches == []
    assert summary.reconciled is True
    assert summary.as_dict()["reconciled"] is True
    totals = summary.totals
    all_batches = [c for day_batches in batches.values() for c in day_batches]
    assert totals.pages == sum(c.pages for c in all_batches) == totals.documents + totals.rejected
    assert totals.rejects == {"invalid_json": 2, "too_little_prose": 2}
    assert summary.complete_days() == [DAY1, DAY2] and summary.failed_days == []


def test_each_days_line_names_its_reject_reasons_in_brackets_and_none_when_there_are_none():
    """A fresh user's trial: `0 rejects , 0 entities - committed` (a space and a comma for no reasons)."""
    summary = RunSummary("run-1", [DAY1, DAY2])
    for day, c in ((DAY1, counts(1, {})), (DAY2, counts(3, {"invalid_json": 1, "missing_url": 1}))):
        summary.add_batch(day, c)
        summary.add_commit(day, {"documents": c.documents, "entities": 0, "rejects": c.rejected,
                                 "documents_by_kind": {"article": c.documents}})
    summary.finish()

    day1, day2 = summary.lines()[1:]
    assert day1 == f"  {DAY1}: 1 objects, 1 pages, 1 documents (article: 1), 0 rejects, 0 entities - committed"
    assert day2 == (f"  {DAY2}: 1 objects, 5 pages, 3 documents (article: 3), 2 rejects (invalid_json: 1, "
                    "missing_url: 1), 0 entities - committed")


ARTICLES_15 = {"article": 15}


@pytest.mark.parametrize("written", [
    {"documents": 14, "entities": 40, "rejects": 2, "documents_by_kind": {"article": 14}},   # one document lost
    {"documents": 15, "entities": 40, "rejects": 1, "documents_by_kind": ARTICLES_15},   # one reject lost
    {"documents": 0, "entities": 0, "rejects": 0, "documents_by_kind": {}},     # nothing written
    {"documents": 15, "entities": 40, "rejects": 3, "documents_by_kind": ARTICLES_15},   # one reject doubled
    {"documents": 15, "entities": 39, "rejects": 2, "documents_by_kind": ARTICLES_15},   # one entity lost
    {"documents": 15, "entities": 40, "rejects": 2, "documents_by_kind": {"article": 14, "listing": 1}},  # kind
], ids=["document-lost", "reject-lost", "nothing-written", "reject-doubled", "entity-lost", "kind-changed"])
def test_commit_writing_other_counts_is_a_mismatch(written):
    summary = RunSummary("run-2", [DAY1])
    summary.add_batch(DAY1, counts(15, {"invalid_json": 2}, entities=40))
    summary.add_commit(DAY1, written)

    assert summary.reconciled is False
    assert len(summary.mismatches) == 1 and DAY1 in summary.mismatches[0]
    assert summary.as_dict()["reconciled"] is False
    assert "NOT reconciled" in summary.headline()


def test_duplicates_found_at_commit_move_from_documents_to_rejects_and_still_reconcile():
    summary = RunSummary("run-1", [DAY1])
    summary.add_batch(DAY1, counts(10, {"invalid_json": 1}, entities=30, kinds={"article": 7, "listing": 3}))
    summary.add_commit(DAY1, {"documents": 8, "entities": 24, "rejects": 3, "duplicates": 2, "duplicate_entities": 6,
                              "duplicates_by_kind": {"article": 1, "listing": 1},
                              "documents_by_kind": {"article": 6, "listing": 2}})

    assert summary.reconciled, summary.mismatches
    assert summary.totals.documents == 8 and summary.totals.entities == 24
    assert summary.totals.rejects == {"invalid_json": 1, "duplicate_capture": 2}
    assert summary.totals.kinds == {"article": 6, "listing": 2} == summary.as_dict()["documents_by_kind"]


def test_documents_not_matching_their_kinds_is_a_mismatch():
    summary = RunSummary("run-4", [DAY1])
    summary.add_batch(DAY1, counts(15, {}, kinds={"article": 14}))  # a document counted without its kind

    assert summary.mismatches == [f"{DAY1}: 15 documents but article: 14 by kind"]


def test_pages_not_matching_documents_plus_rejects_is_a_mismatch():
    summary = RunSummary("run-3", [DAY1])
    summary.add_batch(DAY1, counts(15, {"invalid_json": 2}, extra_pages=1))  # one page became nothing
    summary.add_commit(DAY1, {"documents": 15, "entities": 0, "rejects": 2, "documents_by_kind": ARTICLES_15})

    assert summary.reconciled is False
    assert len(summary.mismatches) == 1 and DAY1 in summary.mismatches[0]


def test_failed_batch_fails_its_day_and_keeps_the_other_day_complete():
    summary = RunSummary("run-4", [DAY1, DAY2])
    summary.add_batch(DAY1, counts(4, {}))
    summary.add_batch(DAY1, ConnectionError("S3 read timed out"))
    summary.add_batch(DAY2, counts(6, {"corrupt_gzip": 1}))
    summary.add_commit(DAY2, {"documents": 6, "entities": 0, "rejects": 1, "documents_by_kind": {"article": 6}})

    assert summary.failed_days == [DAY1]
    assert summary.complete_days() == [DAY2]
    assert list(summary.failures) == [DAY1]
    assert summary.failures[DAY1] == ["ConnectionError: S3 read timed out"]
    states = {row["date"]: row["state"] for row in summary.table_rows()}
    assert states == {DAY1: "failed: ConnectionError: S3 read timed out", DAY2: "committed"}
    assert summary.mismatches == []  # what the failed day did read still adds up


def test_a_day_with_no_raw_objects_is_not_committed():
    summary = RunSummary("run-5", [DAY1, DAY2])
    summary.mark_empty(DAY1, f"s3://landing/raw/dt={DAY1}")
    summary.add_batch(DAY2, counts(3, {}))

    assert summary.complete_days() == [DAY2]
    assert summary.failed_days == []
    assert {row["date"]: row["state"] for row in summary.table_rows()}[DAY1] == \
        f"no raw objects under s3://landing/raw/dt={DAY1}, left as it was"
    assert summary.as_dict()["days_without_raw_objects"] == {DAY1: f"s3://landing/raw/dt={DAY1}"}


# --- plan_batches ------------------------------------------------------------------------------------------------

def objects_of(sizes: list[int]) -> list[ObjectInfo]:
    return [ObjectInfo(f"/raw/dt={DAY1}/part-{i:04d}.jsonl.gz", size) for i, size in enumerate(sizes)]


def check_plan(objects: list[ObjectInfo], target: int, max_objects: int) -> list:
    """Plan, then check the properties every plan must have; returns the batches."""
    batches = plan_batches(DAY1, objects, target, max_objects)

    assert all(batch.objects for batch in batches), "no empty batch"
    assert [o for batch in batches for o in batch.objects] == objects, "every object once, in order"
    assert [batch.index for batch in batches] == list(range(len(batches)))
    assert all(batch.day == DAY1 for batch in batches)
    for batch in batches:
        assert batch.raw_bytes == sum(o.size for o in batch.objects)
        assert len(batch.objects) <= max_objects
        assert batch.raw_bytes <= target or len(batch.objects) == 1, "only a lone object may exceed the target"
    for batch, following in zip(batches, batches[1:]):  # a batch closes only when the next object does not fit
        assert (batch.raw_bytes + following.objects[0].size > target) or len(batch.objects) == max_objects
    return batches


@pytest.mark.parametrize("sizes, target, max_objects, expected_groups", [
    ([], 100, 500, []),
    ([10], 100, 500, [[10]]),
    ([40, 40, 40, 40], 100, 500, [[40, 40], [40, 40]]),
    ([50, 50, 50], 100, 500, [[50, 50], [50]]),
    ([250, 10, 10, 300], 100, 500, [[250], [10, 10], [300]]),
    ([1] * 7, 100, 3, [[1, 1, 1], [1, 1, 1], [1]]),
    ([0, 0, 0], 0, 500, [[0, 0, 0]]),
    ([5, 0, 5], 5, 500, [[5, 0], [5]]),
], ids=["no-objects", "one-object", "pairs", "exact-fit", "oversized-alone", "max-objects", "zero-bytes",
        "zero-joins"])
def test_plan_batches_groups_by_byte_size(sizes, target, max_objects, expected_groups):
    batches = check_plan(objects_of(sizes), target, max_objects)

    assert [[o.size for o in batch.objects] for batch in batches] == expected_groups


@pytest.mark.parametrize("seed", range(20))
def test_plan_batches_properties_hold_for_random_days(seed):
    rng = random.Random(seed)
    sizes = [rng.choice([0, rng.randint(1, 500), rng.randint(1, 5000)]) for _ in range(rng.randint(0, 200))]

    check_plan(objects_of(sizes), target=rng.randint(1, 3000), max_objects=rng.randint(1, 40))


def test_the_table_closes_with_the_run_totals_time_and_speed():
    summary = RunSummary("run-7", [DAY1, DAY2])
    summary.add_batch(DAY1, counts(4, {"invalid_json": 1}))
    summary.add_batch(DAY2, counts(6, {"invalid_json": 2}))
    summary.finish()
    summary.seconds = 2.0

    total = summary.total_row()

    assert (total["date"], total["pages"], total["documents"], total["rejects"]) == ("all days", 13, 10, 3)
    assert total["rejects by reason"] == "invalid_json: 3"
    assert (total["seconds"], total["pages per second"], total["state"]) == (2.0, 6.5, "reconciled")
