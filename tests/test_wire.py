"""Unit tests of tasks.extraction.wire: datelines and agency credits of wire stories."""

from __future__ import annotations

import pytest

from tasks.extraction.page import extract_page
from tasks.extraction.wire import agency_name, find_agency, find_dateline, without_agency_credit
from tasks.records import Limits, RawPage, SourcePointer
from tasks.sources.demo_corpus import PAGES, SEED_POSTED, SEED_STORY, seed_repost_page


@pytest.mark.parametrize("text, expected", [
    ("SEOUL — Russia is open to cooperation", ("SEOUL", None)),
    ("MEXICO CITY, March 3 (Reuters) - The peso fell", ("MEXICO CITY", "Reuters")),
    ("WASHINGTON, D.C. (AP) — The Senate voted", ("WASHINGTON", "AP")),
    ("Berlin (dpa) - Die Bundesregierung will", ("Berlin", "dpa")),
    ("PUTRAJAYA, Nov 22 — Private companies did not", ("PUTRAJAYA", None)),
    ("AFP — A statement said", (None, "AFP")),
    ("Die Regierung - so hieß es - will sparen", (None, None)),  # ordinary words before a dash
    ("BREAKING: markets fall", (None, None)),
    ("Berlin (Reporter) - Der Senat", (None, None)),  # a credit that is no agency
    ("The council met on Tuesday.\nSEOUL — not the first line", (None, None)),
    ("", (None, None)),
], ids=["caps", "caps-date-credit", "caps-detail-credit", "credited-title-case", "caps-date", "agency-not-place",
        "sentence", "breaking", "not-an-agency", "only-the-first-line", "empty"])
def test_find_dateline(text, expected):
    assert find_dateline(text) == expected


@pytest.mark.parametrize("text, title, authors, expected", [
    ("Berlin (dpa) - Die Regierung", "Headline", [], ("dpa", "dateline")),
    ("The council met.", "Headline", ["Jane Doe", "The Associated Press"], ("AP", "author")),
    ("The council met.", "Russia says open to cooperation - AFP", [], ("AFP", "title")),
    ("The council met.\nThe vote is next week. (Reuters)", "Headline", [], ("Reuters", "closing")),
    ("The council met.\n© dpa", "Headline", [], ("dpa", "closing")),
    ("The council met, he told AFP", "Headline", [], (None, None)),  # quoting an agency is not being its copy
    ("The council met.", "Headline - The Daily Example", ["Jane Doe"], (None, None)),
], ids=["dateline", "author", "title-credit", "closing-credit", "closing-copyright", "quoted", "own-story"])
def test_find_agency(text, title, authors, expected):
    assert find_agency(text, title, authors) == expected


@pytest.mark.parametrize("name, expected", [
    ("Agence France-Presse", "AFP"), ("The Associated Press", "AP"), ("Deutsche Presse-Agentur", "dpa"),
    ("REUTERS", "Reuters"), ("Anadolu Ajansı", "Anadolu"), ("Jane Doe", None), ("", None), (None, None),
])
def test_agency_name(name, expected):
    assert agency_name(name) == expected


def _extract(body: bytes, url: str) -> dict:
    result = extract_page(RawPage(SourcePointer("/raw/wire.warc.gz", offset=0), url, body), Limits())
    assert isinstance(result, dict), result
    return result


def test_demo_afp_page_has_dateline_and_agency():
    doc = _extract((PAGES / "wire-afp-ports.html").read_bytes(),
                   "https://easterndesk.example/2010/11/baltic-ports-brace-for-strike.html")

    assert (doc["dateline"], doc["agency"]) == ("GDANSK", "AFP")


@pytest.mark.skipif(not SEED_STORY.exists(), reason=f"seed story not present at {SEED_STORY}")
def test_seed_story_has_dateline_seoul_and_agency_afp():
    doc = _extract(seed_repost_page(SEED_STORY.read_text("utf-8"), SEED_POSTED),
                   "https://easterndesk.example/2010/11/russia-open-to-missile-defence-cooperation.html")

    assert (doc["dateline"], doc["agency"]) == ("SEOUL", "AFP")


@pytest.mark.parametrize("title, expected", [
    ("Russia says open to missile defence cooperation with NATO - AFP", "Russia says open to missile defence "
                                                                        "cooperation with NATO"),
    ("Ports brace for strike | Reuters", "Ports brace for strike"),
    ("Stadtrat beschließt Radweg – dpa", "Stadtrat beschließt Radweg"),
    ("Spider-Man returns - in cinemas now", "Spider-Man returns - in cinemas now"),  # a dash that is no credit
    ("AFP", "AFP"),
    (None, None),
], ids=["afp", "reuters-pipe", "dpa-en-dash", "ordinary-dash", "credit-only", "none"])
def test_without_agency_credit(title, expected):
    assert without_agency_credit(title) == expected
