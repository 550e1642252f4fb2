"""Extraction quality regression test: corpus scores may rise, never fall below the committed floors.

tests/quality_floor.json holds the level reached on each corpus, per field (rounded down to three
decimals): news-dev (../shared), web-dev (../corpora, built by tests/corpora/build_web_corpus.py) and the
articles of wcxb-dev's tuning sites (../shared, scored by WCXB's rules; its set-aside sites are never scored here).
When a change raises a score, raise the floor with it (`make quality` prints the scores); a change that
lowers one fails here. A corpus that is absent is skipped. Pages go through `extract_page`, the function
every ingest worker runs, without Prefect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.extraction.page import extract_page
from tasks.extraction.scoring import FIELDS
from tasks.records import Limits, RawPage, SourcePointer
from tasks.sources.readers import parse_timestamp
from tests.conftest import NEWS_DEV, WEB_DEV, needs_news_dev, needs_web_dev
from tests.quality_report import WCXB_DEV, Corpus, CorpusResult, load_corpus, wcxb_corpus

FLOOR = Path(__file__).with_name("quality_floor.json")


def test_floor_names_every_field_of_every_corpus():
    floors = json.loads(FLOOR.read_text())

    assert set(floors) == {"news-dev", "web-dev", "wcxb-dev"}
    assert all(set(floor) == set(FIELDS) for floor in floors.values())


def corpus(name: str, folder) -> Corpus:
    return wcxb_corpus(folder) if name == "wcxb-dev" else Corpus(name, *load_corpus(folder), folder / "pages.jsonl.gz")


@pytest.mark.slow  # every page of a corpus through extraction
@pytest.mark.parametrize("name, folder", [
    pytest.param("news-dev", NEWS_DEV, marks=needs_news_dev()),
    pytest.param("web-dev", WEB_DEV, marks=needs_web_dev()),
    pytest.param("wcxb-dev", WCXB_DEV, marks=pytest.mark.skipif(
        not (WCXB_DEV / "truth.jsonl.gz").exists(), reason=f"{WCXB_DEV} is absent (it ships with ../shared)")),
])
def test_scores_stay_at_or_above_the_floor(name, folder):
    scored = corpus(name, folder)
    rows = []
    for line, page in enumerate(scored.pages, 1):
        raw = RawPage(SourcePointer(str(scored.pages_file or folder), line=line), page["url"], page["html"],
                      parse_timestamp(page.get("fetched_at")))
        row = extract_page(raw, Limits())
        rows.append(row if isinstance(row, dict) else None)
    result = CorpusResult(scored, [{} for _ in rows], rows)  # scored as `make quality` scores them

    reached = result.summary(result.our_scores)

    floor = json.loads(FLOOR.read_text())[name]
    fallen = {field: (round(reached[field], 4), floor[field]) for field in FIELDS if reached[field] < floor[field]}
    assert not fallen, f"{name}: fields below the floor (reached, floor): {fallen}"
