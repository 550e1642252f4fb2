"""Page kinds: each kind on a page of our own, the text each kind keeps, and keep_kinds both ways."""

from __future__ import annotations

import pytest

from schemas import PAGE_KINDS
from tasks.extraction.kinds import Model, classify, page_signals, shipped_model
from tasks.extraction.markup import parse_html
from tasks.extraction.page import extract_page
from tasks.records import Limits, RawPage, Reject, SourcePointer
from tests.kind_pages import FORUM_REPLY, PAGES


def extracted(kind: str, limits: Limits = Limits()):
    url, html = PAGES[kind]()
    return extract_page(RawPage(SourcePointer("kinds.jsonl", line=1), url, html), limits)


@pytest.mark.parametrize("kind", PAGES)
def test_each_kind_is_recognised_and_kept_by_default(kind):
    row = extracted(kind)
    assert not isinstance(row, Reject), row
    assert row["page_kind"] == kind
    assert row["field_sources"]["page_kind"] in ("json-ld", "meta", "model")


def test_the_model_knows_every_kind_of_the_schema():
    assert set(shipped_model().kinds) == set(PAGE_KINDS)


def test_a_forum_thread_keeps_its_replies():
    row = extracted("forum")
    assert FORUM_REPLY in row["text"]
    assert "Joined 2024" not in row["text"]


def test_a_product_page_keeps_its_description_and_specifications():
    row = extracted("product")
    assert "food-safe oil" in row["text"]
    assert "European oak" in row["text"]


def test_documentation_keeps_its_prose_and_code():
    row = extracted("documentation")
    assert "worker processes" in row["text"]
    assert "count = 3" in row["text"]


def test_a_listing_is_a_document_with_its_kind_and_title():
    row = extracted("listing")
    assert row["page_kind"] == "listing" and row["title"]


@pytest.mark.parametrize("kind", [k for k in PAGES if k != "article"])
def test_kinds_left_out_of_keep_kinds_become_not_an_article_rejects(kind):
    reject = extracted(kind, Limits(keep_kinds=("article",)))
    assert isinstance(reject, Reject)
    assert (reject.reason, reject.page_kind) == ("not_an_article", kind)
    assert reject.as_row()["page_kind"] == kind and kind in reject.detail


def test_articles_are_kept_whatever_keep_kinds_says():
    row = extracted("article", Limits(keep_kinds=("article",)))
    assert not isinstance(row, Reject) and row["page_kind"] == "article"


def test_an_article_needs_a_wide_margin_to_lose_its_kind():
    url, html = PAGES["article"]()
    model = shipped_model()
    probabilities = model.probabilities(page_signals(parse_html(html), url))
    other = max((k for k in probabilities if k != "article"), key=probabilities.get)
    # A model that slightly prefers the other kind still says article; one that prefers it by more than the margin
    # does not.
    close = {**{k: 0.0 for k in model.kinds}, "article": 0.45, other: 0.45 + model.article_margin / 2}
    far = {**{k: 0.0 for k in model.kinds}, "article": 0.1, other: 0.1 + model.article_margin * 2}
    assert model.decide(close)[0] == "article"
    assert model.decide(far)[0] == other


def test_the_model_round_trips_through_its_file_form():
    model = shipped_model()
    assert Model.from_dict(model.as_dict()) == model
    url, html = PAGES["forum"]()
    signals = page_signals(parse_html(html), url)
    assert classify(signals, Model.from_dict(model.as_dict())) == classify(signals)


@pytest.fixture(scope="module")
def kinds_lake(tmp_path_factory, prefect_harness):
    """One day of a page of every kind, the listing captured twice (a duplicate), ingested as an operator would:
    every kind kept, then (into another lake) articles and forums only."""
    import gzip
    import json

    from flows.ingest import ingest
    from tests.rawdata import FETCHED, write_day

    root = tmp_path_factory.mktemp("kinds")
    lines = [json.dumps({"url": url, "html": html, "fetched_at": FETCHED})
             for url, html in (make() for make in PAGES.values())]
    lines.append(lines[list(PAGES).index("listing")])
    write_day(root / "raw", DAY, {"kinds.jsonl.gz": gzip.compress("\n".join(lines).encode())})
    every = ingest(source=str(root / "raw"), dest=str(root / "every"), workers=1)
    some = ingest(source=str(root / "raw"), dest=str(root / "some"), workers=1, keep_kinds=["article", "forum"])
    return root, every, some


DAY = "2026-03-14"


def test_health_and_summary_count_documents_per_kind_and_reconcile(kinds_lake):
    import duckdb

    root, every, _ = kinds_lake
    lake = root / "every"
    per_kind = dict(duckdb.sql(f"SELECT page_kind, count(*) FROM read_parquet('{lake}/documents/*/*.parquet') "
                               "GROUP BY page_kind").fetchall())
    health = duckdb.sql(f"SELECT documents, documents_by_kind, article_share FROM read_parquet("
                        f"'{lake}/health/*/*.parquet')").fetchall()
    from_health: dict[str, int] = {}
    for documents, by_kind, _ in health:
        assert sum(by_kind.values()) == documents
        for kind, n in by_kind.items():
            from_health[kind] = from_health.get(kind, 0) + n
    assert per_kind == from_health == every["documents_by_kind"] == {kind: 1 for kind in PAGES}
    assert every["reconciled"] and every["rejects_by_reason"] == {"duplicate_capture": 1}
    assert sum(every["documents_by_kind"].values()) == every["documents"]
    duplicate = duckdb.sql(f"SELECT page_kind FROM read_parquet('{lake}/rejects/*/*.parquet')").fetchall()
    assert duplicate == [("listing",)]


def test_keep_kinds_sets_the_other_kinds_aside_as_rejects_with_their_kind(kinds_lake):
    import duckdb

    root, _, some = kinds_lake
    lake = root / "some"
    assert some["documents_by_kind"] == {"article": 1, "forum": 1}
    set_aside = dict(duckdb.sql(f"SELECT page_kind, count(*) FROM read_parquet('{lake}/rejects/*/*.parquet') "
                                "WHERE reason = 'not_an_article' GROUP BY page_kind").fetchall())
    assert set_aside == {kind: 2 if kind == "listing" else 1 for kind in PAGES if kind not in ("article", "forum")}
    assert some["reconciled"] and some["pages"] == some["documents"] + some["rejects"]
