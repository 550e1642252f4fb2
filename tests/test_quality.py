"""Extraction quality regression test: corpus scores may rise, never fall below the committed floors.

tests/quality_floor.json holds the level reached on each corpus, per field (rounded down to three
decimals): news-dev (../shared) and web-dev (../corpora, built by tests/corpora/build_web_corpus.py).
When a change raises a score, raise the floor with it (`make quality` prints the scores); a change that
lowers one fails here. A corpus that is absent is skipped. Pages go through `extract_page`, the function
every ingest worker runs, without Prefect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.extraction.page import extract_page
from tasks.extraction.scoring import FIELDS, score_page, summarise
from tasks.records import Limits, RawPage, SourcePointer
from tests.conftest import NEWS_DEV, WEB_DEV, needs_news_dev, needs_web_dev
from tests.quality_report import load_corpus

FLOOR = Path(__file__).with_name("quality_floor.json")


def test_floor_names_every_field_of_every_corpus():
    floors = json.loads(FLOOR.read_text())

    assert set(floors) == {"news-dev", "web-dev"}
    assert all(set(floor) == set(FIELDS) for floor in floors.values())


@pytest.mark.slow  # every page of a corpus through extraction
@pytest.mark.parametrize("name, corpus", [
    pytest.param("news-dev", NEWS_DEV, marks=needs_news_dev()),
    pytest.param("web-dev", WEB_DEV, marks=needs_web_dev()),
])
def test_scores_stay_at_or_above_the_floor(name, corpus):
    pages, truth = load_corpus(corpus)
    scores = []
    for line, page in enumerate(pages, 1):
        raw = RawPage(SourcePointer(str(corpus / "pages.jsonl.gz"), line=line), page["url"], page["html"])
        result = extract_page(raw, Limits())
        scores.append(score_page(truth[page["url"]], result if isinstance(result, dict) else None))

    reached = summarise(scores)

    floor = json.loads(FLOOR.read_text())[name]
    fallen = {field: (round(reached[field], 4), floor[field]) for field in FIELDS if reached[field] < floor[field]}
    assert not fallen, f"{name}: fields below the floor (reached, floor): {fallen}"
