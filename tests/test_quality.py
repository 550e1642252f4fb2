"""Extraction quality regression test: news-dev scores may rise, never fall below the committed floor.

tests/quality_floor.json holds the level reached, per field (rounded down to three decimals). When a
change raises a score, raise the floor with it (`make quality` prints the scores); a change that lowers
one fails here. Pages go through `extract_page`, the function every ingest worker runs, without Prefect.
"""

from __future__ import annotations

import json
from pathlib import Path

from tasks.extract import extract_page
from tasks.records import Limits, RawPage, SourcePointer
from tasks.scoring import FIELDS, score_page, summarise
from tests.conftest import NEWS_DEV, needs_news_dev
from tests.quality_report import load_corpus

FLOOR = Path(__file__).with_name("quality_floor.json")


def test_floor_names_every_field():
    assert set(json.loads(FLOOR.read_text())) == set(FIELDS)


@needs_news_dev()
def test_news_dev_scores_stay_at_or_above_the_floor():
    pages, truth = load_corpus(NEWS_DEV)
    scores = []
    for line, page in enumerate(pages, 1):
        raw = RawPage(SourcePointer(str(NEWS_DEV / "pages.jsonl.gz"), line=line), page["url"], page["html"])
        result = extract_page(raw, Limits())
        scores.append(score_page(truth[page["url"]], result if isinstance(result, dict) else None))

    reached = summarise(scores)

    floor = json.loads(FLOOR.read_text())
    fallen = {field: (round(reached[field], 4), floor[field]) for field in FIELDS if reached[field] < floor[field]}
    assert not fallen, f"fields below the floor (reached, floor): {fallen}"
