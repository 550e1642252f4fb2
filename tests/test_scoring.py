"""Unit tests of tasks.extraction.scoring: the corpus scoring rules on small hand-made values."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from tasks.extraction.scoring import (
    PageScore,
    author_f1,
    body_precision_recall,
    ngrams,
    normalise,
    printed_names,
    same_day,
    score_page,
    scored,
    summarise,
    title_match,
    word_precision_recall,
)

UTC = timezone.utc


@pytest.mark.parametrize("text, expected", [
    ("Hello, World!", "hello world"),
    ("  Ｆｕｌｌ－ｗｉｄｔｈ  ", "full width"),  # NFKC folds full-width forms
    ("Straße", "strasse"),  # casefold, not lower
    ("Kohberger’s — trial", "kohberger s trial"),
    ("", ""),
    (None, ""),
])
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_ngrams_are_a_multiset_of_word_4_grams():
    assert ngrams("a b c d a b c d") == {("a", "b", "c", "d"): 2, ("b", "c", "d", "a"): 1,
                                         ("c", "d", "a", "b"): 1, ("d", "a", "b", "c"): 1}
    assert ngrams("only three words") == {}


@pytest.mark.parametrize("expected, produced, precision, recall", [
    ("a b c d e", "a b c d e", 1.0, 1.0),
    ("a b c d e", "a b c d", 1.0, 0.5),  # half the true 4-grams found, nothing wrong
    ("a b c d", "a b c d x y", 1 / 3, 1.0),  # one of three produced 4-grams is true
    ("a b c d", "", 1.0, 0.0),  # nothing produced: nothing wrong, nothing found
    ("", "", 1.0, 1.0),
    ("a b c d a b c d", "a b c d", 1.0, 0.2),  # multiset: one of five true 4-grams
], ids=["same", "half", "extra", "nothing-produced", "both-empty", "multiset"])
def test_body_precision_recall(expected, produced, precision, recall):
    assert body_precision_recall(expected, produced) == pytest.approx((precision, recall))


@pytest.mark.parametrize("expected, produced, match", [
    ("Nach Kalifat-Rufen: Sind wir zu sanft?", "nach kalifat rufen sind wir zu sanft", True),
    ("Headline", "Headline - Site", False),
    ("Headline", None, False),
])
def test_title_match(expected, produced, match):
    assert title_match(expected, produced) is match


@pytest.mark.parametrize("expected, produced, match", [
    ("2024-05-03 15:47:42+00:00", datetime(2024, 5, 3, 9, tzinfo=UTC), True),
    ("2024-10-16 00:00:00+08:00", datetime(2024, 10, 15, 16, tzinfo=UTC), True),  # same instant's UTC day
    ("2024-10-16 00:00:00+08:00", "2024-10-16", True),  # a bare day: compared as written
    ("2024-10-16 00:00:00+08:00", datetime(2024, 10, 16, tzinfo=UTC), False),
    ("2023-04-28 00:00:00", datetime(2023, 4, 28, 22, tzinfo=UTC), True),  # naive truth: its day as written
    ("2023-04-28", date(2023, 4, 27), False),
    ("2023-04-28", None, False),
    (None, None, True),
    ("not a date", datetime(2023, 4, 28, tzinfo=UTC), False),
])
def test_same_day(expected, produced, match):
    assert same_day(expected, produced) is match


@pytest.mark.parametrize("expected, produced, score", [
    (["Jane Doe", "John Smith"], ["jane doe", "JOHN SMITH"], 1.0),
    (["Jane Doe", "John Smith"], ["Jane Doe"], 2 / 3),
    (["Jane Doe"], ["Jane Doe", "Site Name"], 2 / 3),
    (["Jane Doe"], [], 0.0),
    ([], ["Jane Doe"], 0.0),
    ([], [], 1.0),
])
def test_author_f1(expected, produced, score):
    assert author_f1(expected, produced) == pytest.approx(score)


def test_score_page_reads_a_document_row_against_a_truth_row():
    truth = {"body": "one two three four five", "title": "T", "published_at": "2024-05-03T10:00:00+00:00",
             "authors": ["A B"]}
    row = {"text": "one two three four", "title": "t", "published_at": datetime(2024, 5, 3, tzinfo=UTC),
           "authors": ["a b"]}

    score = score_page(truth, row)

    assert (score.body_precision, score.body_recall, score.title, score.date, score.authors) == (1, 0.5, 1, 1, 1)
    assert score_page(truth, None) == PageScore(1.0, 0.0, 0.0, 0.0, 0.0)


def test_summarise_takes_body_f1_from_averaged_precision_and_recall():
    pages = [PageScore(1.0, 0.0, 1, 0, 1.0), PageScore(0.0, 1.0, 0, 1, 0.5)]

    scores = summarise(pages)

    assert scores["body"] == pytest.approx(0.5)  # F1 of (0.5, 0.5); the mean of page F1s would be 0
    assert (scores["title"], scores["date"], scores["authors"]) == (0.5, 0.5, 0.75)
    assert summarise([]) == {"body": None, "title": None, "date": None, "authors": None}


def test_a_null_truth_field_is_not_scored_but_an_empty_one_is():
    truth = {"body": None, "title": "T", "published_at": None, "authors": []}
    row = {"text": "one two three four", "title": "Other", "published_at": datetime(2024, 5, 3, tzinfo=UTC),
           "authors": []}

    score = score_page(truth, row)

    assert (score.body_precision, score.body_recall, score.body, score.date) == (None, None, None, None)
    assert (score.title, score.authors) == (0.0, 1.0)  # no authors expected, none produced


def test_corpus_scores_are_means_over_the_pages_that_have_the_field():
    pages = [PageScore(1.0, 1.0, 1.0, None, None), PageScore(None, None, 0.0, 1.0, None),
             PageScore(0.5, 0.5, None, 0.0, None)]

    scores, counts = summarise(pages), scored(pages)

    assert counts == {"body": 2, "title": 2, "date": 2, "authors": 0}
    assert scores["body"] == pytest.approx(0.75)  # F1 of the two pages' mean precision and recall (0.75, 0.75)
    assert (scores["title"], scores["date"], scores["authors"]) == (0.5, 0.5, None)


@pytest.mark.parametrize("expected, produced, precision, recall", [
    ("The cat sat", "the CAT sat", 1.0, 1.0),  # lower-cased words, as bags
    ("a a b", "a b", 1.0, 2 / 3),
    ("a b", "a b c d", 0.5, 1.0),
    ("a b", "", 1.0, 0.0),
], ids=["case", "bag-counts", "extra", "nothing-produced"])
def test_word_precision_recall_is_wcxbs_bag_of_words(expected, produced, precision, recall):
    assert word_precision_recall(expected, produced) == pytest.approx((precision, recall))


def test_wcxb_body_is_the_mean_of_page_f1s():
    truth = {"body": "a b c d", "title": None, "published_at": None, "authors": None}
    pages = [score_page(truth, {"text": "a b c d"}, words=True), score_page(truth, {"text": "x"}, words=True)]

    assert summarise(pages, page_mean=True)["body"] == pytest.approx(0.5)  # (1 + 0) / 2


@pytest.mark.parametrize("byline, names", [
    ("Jane Doe", ["Jane Doe"]),
    ("Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
    ("Ann Lee, Bo Chen, and Cy Diaz", ["Ann Lee", "Bo Chen", "Cy Diaz"]),
    ("Ann Lee & Bo Chen; Cy Diaz", ["Ann Lee", "Bo Chen", "Cy Diaz"]),
    ("Jane Doe, MS, RD", ["Jane Doe"]),
    ("Jane Doe, Ph.D.", ["Jane Doe"]),
    (None, None),
], ids=["one", "and", "commas", "ampersand-semicolon", "credentials", "dotted-credential", "null"])
def test_printed_names(byline, names):
    assert printed_names(byline) == names
