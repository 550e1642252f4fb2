"""Stories over the real ingest flow, read back with DuckDB: copies across days, the origin, stable ids.

Day one: an agency's wire story on its own site and a blog's repost of it.
Day two: a regional paper's trimmed copy with a local intro, and another
agency's report of the same press conference (same event, same quotes: a
distinct story). The texts are the demo's invented wire story and texts written for these tests.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from tasks.sources.demo_corpus import REPOST_STORY, seed_repost_page, split_story, write_jsonl_gz

pytestmark = pytest.mark.usefixtures("prefect_harness")

TEXTS = Path(__file__).resolve().parent / "texts"
DAY_ONE, DAY_TWO = "2026-11-26", "2026-11-27"
BLOG_POSTED = dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.timezone.utc)  # after the wire's 07:12, on DAY_ONE
WIRE_URL = "https://www.afp.example/en/arctic/nordic-ministers-agree-joint-arctic-watch"
BLOG_URL = "https://easterndesk.example/2026/11/nordic-ministers-agree-joint-arctic-watch.html"
REGIONAL_URL = "https://www.northern-courier.example/region/arctic-patrols-what-it-means-for-us"
OTHER_URL = "https://www.wire-two.example/world/nordic-states-share-arctic-patrol-planes"


def article(title: str, paragraphs: list[str], published: str, site: str) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | {site}</title>'
            f'<meta property="og:title" content="{html.escape(title)}">'
            f'<meta property="og:site_name" content="{site}">'
            f'<meta property="article:published_time" content="{published}"></head>'
            f'<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>'
            f"<article><h1>{html.escape(title)}</h1>{body}</article>"
            f"<footer>© {site}. All rights reserved.</footer></body></html>")


def write_days(raw: Path) -> None:
    title, paragraphs = split_story(REPOST_STORY.read_text("utf-8"))
    headline = title.removesuffix(" - AFP")
    wire = article(headline, [paragraphs[0].replace("TROMSO —", "TROMSO (AFP) —"), *paragraphs[1:]],
                   "2026-11-26T07:12:00Z", "AFP")
    intro = ("Coast guard crews from our own harbour will fly some of the new patrols. Readers have asked what the "
             "plan means for the north coast; here is the agency's report.")
    regional = article("Arctic patrols: what the Nordic deal means for our coast",
                       [intro, *paragraphs[:4], "(AFP)"], "2026-11-27T09:30:00Z", "Northern Courier")
    other_title, *other_paragraphs = [p for p in (TEXTS / "arctic-watch-second-agency.txt").read_text(
        "utf-8").split("\n\n") if p.strip()]
    other = article(other_title.removesuffix(" - Reuters"), other_paragraphs, "2026-11-26T08:00:00Z", "Wire Two")
    page = lambda url, text, day: {"url": url, "html": text, "fetched_at": f"{day}T10:00:00Z", "status": 200}  # noqa
    write_jsonl_gz(raw / f"dt={DAY_ONE}" / "pages.jsonl.gz", [
        page(WIRE_URL, wire, DAY_ONE),
        page(BLOG_URL, seed_repost_page(REPOST_STORY.read_text("utf-8"), BLOG_POSTED).decode("utf-8"), DAY_ONE),
    ])
    write_jsonl_gz(raw / f"dt={DAY_TWO}" / "pages.jsonl.gz", [
        page(REGIONAL_URL, regional, DAY_TWO),
        page(OTHER_URL, other, DAY_TWO),
    ])


def labels(lake: Path) -> dict[str, tuple]:
    """url -> (story_id, is_origin), as DuckDB reads the documents."""
    rows = duckdb.sql(f"SELECT url, story_id, is_origin FROM read_parquet('{lake}/documents/*/*.parquet', "
                      "hive_partitioning = true)").fetchall()
    return {url: (story, origin) for url, story, origin in rows}


def stories(lake: Path) -> dict[str, dict]:
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{lake}/stories/*/*.parquet', hive_partitioning = true)")
    return {row[0]: dict(zip(relation.columns, row)) for row in relation.fetchall()}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stories") / "raw"
    write_days(folder)
    return folder


def run(raw: Path, lake: Path, *days: str) -> None:
    for day in days:
        ingest(source=str(raw), dest=str(lake), date=__import__("datetime").date.fromisoformat(day), workers=1)


@pytest.fixture(scope="module")
def in_order(raw, tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("in-order") / "lake"
    run(raw, lake, DAY_ONE, DAY_TWO)
    return lake


def test_wire_story_repost_and_trimmed_copy_are_one_story_with_the_agency_as_origin(in_order):
    found = labels(in_order)
    assert found[WIRE_URL][0] == found[BLOG_URL][0] == found[REGIONAL_URL][0]
    story = stories(in_order)[found[WIRE_URL][0]]
    assert (story["copies"], story["hosts"], story["agency"]) == (3, 3, "AFP")
    assert story["origin_url"] == WIRE_URL and found[WIRE_URL][1] is True
    assert not found[BLOG_URL][1] and not found[REGIONAL_URL][1]
    assert (str(story["first_day"]), str(story["last_day"]), str(story["date"])) == (DAY_ONE, DAY_TWO, DAY_ONE)
    assert story["story_id"].startswith(DAY_ONE.replace("-", ""))


def test_another_report_of_the_same_event_is_its_own_story(in_order):
    found = labels(in_order)
    assert found[OTHER_URL][0] != found[WIRE_URL][0]
    assert stories(in_order)[found[OTHER_URL][0]]["copies"] == 1 and found[OTHER_URL][1] is True
    assert len(stories(in_order)) == 2


def test_days_in_either_order_or_again_give_the_same_story_ids(raw, in_order, tmp_path):
    reversed_lake = tmp_path / "reversed"
    run(raw, reversed_lake, DAY_TWO, DAY_ONE)
    assert labels(reversed_lake) == labels(in_order)
    assert {k: {c: v for c, v in row.items() if c not in ("run_id", "ingested_at")}
            for k, row in stories(reversed_lake).items()} == \
        {k: {c: v for c, v in row.items() if c not in ("run_id", "ingested_at")} for k, row in stories(in_order).items()}
    run(raw, reversed_lake, DAY_TWO)  # re-ingested
    assert labels(reversed_lake) == labels(in_order)
    assert set(stories(reversed_lake)) == set(stories(in_order))
