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


def signals_of(kind: str) -> dict[str, float]:
    url, html = PAGES[kind]()
    return page_signals(parse_html(html), url)


def test_the_layout_signals_tell_prose_from_lists_of_other_pages():
    article, listing, collection, forum = (signals_of(k) for k in ("article", "listing", "collection", "forum"))
    # An article's words are mostly the prose of one block; a listing's are teasers: a run of linked items whose
    # headings link elsewhere, each with a printed date; a shop's grid shows a price on every item.
    assert article["main_prose_share"] > 0.8 > 0.1 > listing["main_prose_share"]
    assert listing["repeated_share"] > 0.5 > article["repeated_share"]
    assert listing["linked_heading_share"] == 1.0 and article["linked_heading_share"] == 0.0
    assert listing["printed_dates"] > article["printed_dates"]
    assert collection["priced_items"] == 1.0 and listing["priced_items"] == 0.0
    # A thread's posts are repeated blocks of a few sentences each.
    assert forum["repeated_texts"] > article["repeated_texts"]


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


def test_an_article_keeps_its_kind_unless_another_is_more_probable_by_more_than_the_margin():
    url, html = PAGES["article"]()
    model = shipped_model()
    probabilities = model.probabilities(page_signals(parse_html(html), url))
    other = max((k for k in probabilities if k != "article"), key=probabilities.get)
    # A model that prefers the other kind by at most the margin (a tie, when the margin is 0) still says article;
    # one that prefers it by more does not.
    close = {**{k: 0.0 for k in model.kinds}, "article": 0.4, other: 0.4 + model.article_margin / 2}
    far = {**{k: 0.0 for k in model.kinds}, "article": 0.3, other: 0.3 + model.article_margin + 0.1}
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


# --- A site whose pages turn into listings: the drift check's article_share alarm ---------------------------------

def section_front(host: str, day, n: int) -> dict:
    """A raw JSONL record: page `n` of `host`'s section fronts on `day`, a list of teasers (invented)."""
    teasers = "".join(f"<article class='teaser'><h2><a href='/local/{day:%Y/%m/%d}/story-{n}-{i}.html'>Council "
                      f"item {i} of front {n}</a></h2><time>{day:%d %B %Y}</time><p class='excerpt'>A short summary "
                      f"of item {i}.</p><a href='/local/{day:%Y/%m/%d}/story-{n}-{i}.html'>Read more</a></article>"
                      for i in range(20))
    html = (f"<html lang='en'><head><meta charset='utf-8'><title>Local news, page {n + 1} | Riverside Ledger</title>"
            f"<meta property='og:type' content='website'></head><body><nav><a href='/'>Home</a> "
            f"<a href='/local'>Local</a></nav><main><h1>Local news</h1><div class='feed'>{teasers}</div>"
            f"<div class='pagination'><a href='/local/page/{n + 2}/'>Next</a></div></main></body></html>")
    return {"url": f"https://www.{host}/local/page/{n + 1}/?d={day:%Y%m%d}", "html": html,
            "fetched_at": f"{day.isoformat()}T12:00:00Z", "status": 200}


@pytest.fixture(scope="module")
def listing_days(tmp_path_factory, prefect_harness):
    """Three days of an invented news site ingested in one run: articles on days 1 and 2, section fronts (listings)
    in their place on day 3, with a drift floor of PER_DAY pages."""
    import datetime as dt
    import gzip
    import json
    import random

    from flows.ingest import ingest
    from tests.driftsite import CHANGING, article
    from tests.rawdata import write_day

    root = tmp_path_factory.mktemp("listings")
    first = dt.date(2026, 11, 1)
    for number in range(3):
        day = first + dt.timedelta(days=number)
        records = [section_front(CHANGING, day, n) if number == 2 else article(CHANGING, day, n, False,
                                                                               random.Random(n))
                   for n in range(PER_DAY)]
        write_day(root / "raw", day.isoformat(), {"feed.jsonl.gz": gzip.compress(
            "".join(json.dumps(r) + "\n" for r in records).encode())})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAGEFOLD_DRIFT_MIN_PAGES", str(PER_DAY))
        summary = ingest(source=str(root / "raw"), dest=str(root / "lake"), workers=1)
    return first + dt.timedelta(days=2), summary


PER_DAY = 5


def test_a_site_whose_pages_turn_into_listings_raises_the_article_share_alarm(listing_days):
    from tests.driftsite import CHANGING

    day3, summary = listing_days
    assert summary["reconciled"] and summary["documents_by_kind"] == {"article": 2 * PER_DAY, "listing": PER_DAY}
    alarms = {(a["date"], a["hostname"], a["measure"]): a for a in summary["drift_alarms"]}
    share = alarms[(day3.isoformat(), CHANGING, "article_share")]
    assert "100% of documents over the previous days, 0% today (listing: 5)" in share["message"]
    assert all(date == day3.isoformat() for date, _, _ in alarms)
