"""Scores of extracted fields against hand-checked truth, one page at a time and over a corpus.

The rules are the ones `../shared/corpus/README.md` gives, so that numbers
here compare with numbers elsewhere:

- body: word 4-grams of `\\w+` tokens, true and false positives counted over
  the multiset of 4-grams; precision and recall per page, averaged over pages,
  and F1 from those two averages;
- title: exact match after Unicode NFKC, casefold and collapsing non-word
  characters;
- date: same calendar day (in UTC when both sides are instants, else the day
  as written);
- authors: F1 of the sets of normalised names, averaged over pages.

WCXB (the wider-web benchmark of `../shared/corpus/wcxb-dev`) scores body text
its own way, so that its numbers compare with its published ones: lower-cased
`\\w+` words as bags, precision and recall per page, F1 per page averaged over
pages (`score_page(..., words=True)`, `summarise(..., page_mean=True)`); its
authors are one string as the page prints them ("A and B"), which
`printed_names` splits into names.

A truth field that is null (None) is not scored for that page: the source of
the truth does not give it, so the corpus score of that field is the mean over
the pages that have it (`scored` counts them). An empty value is truth: an
empty author list means the page names nobody. A page the pipeline produced
nothing for scores zero on every field whose truth is not empty, except body
precision (see `body_precision_recall`). Pure functions only: the `make quality` report and the
quality regression test both use this module, so they cannot disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone

FIELDS = ("body", "title", "date", "authors")

_TOKEN = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W+")
NGRAM = 4
_NAME_SEPARATORS = re.compile(r"\s*(?:[,;&|]|\band\b)\s*")
# A degree or credential after a name: two to five capitals, with dots or not ("MD", "Ph.D.", "FAND", "CFP").
_CREDENTIAL = re.compile(r"(?:[A-Z][a-z]?\.)+(?:\s?[A-Z]{2,5})?|[A-Z]{2,5}(?:\s[A-Z]{2,5})*")


def normalise(text: str | None) -> str:
    """NFKC, casefold, and every run of non-word characters as one space."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return _NON_WORD.sub(" ", folded).strip()


def ngrams(text: str | None, n: int = NGRAM) -> Counter:
    """The multiset of word n-grams of a text; a text shorter than n words has none."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def body_precision_recall(expected: str | None, produced: str | None) -> tuple[float, float]:
    """Share of produced 4-grams that are in the truth, and of true 4-grams that were produced.

    With nothing produced, nothing produced is wrong: precision 1 (and recall 0 unless the truth is
    empty too). This is the convention the reference numbers for plain trafilatura were computed with.
    """
    truth, got = ngrams(expected), ngrams(produced)
    hits = sum((truth & got).values())
    precision = hits / sum(got.values()) if got else 1.0
    recall = hits / sum(truth.values()) if truth else 1.0
    return precision, recall


def word_precision_recall(expected: str | None, produced: str | None) -> tuple[float, float]:
    """WCXB's body rule: the share of produced words that are in the truth, and of true words that were
    produced, over bags (multisets) of lower-cased `\\w+` words. Nothing produced: precision 1, recall 0."""
    truth = Counter(_TOKEN.findall((expected or "").lower()))
    got = Counter(_TOKEN.findall((produced or "").lower()))
    hits = sum((truth & got).values())
    precision = hits / sum(got.values()) if got else 1.0
    recall = hits / sum(truth.values()) if truth else 1.0
    return precision, recall


def printed_names(byline: str | None) -> list[str] | None:
    """The names in an author string as a page prints it ("A, B and C", "A & B", "A; B"): split at commas,
    semicolons, ampersands, bars and "and"; a part that is a credential ("MD", "Ph.D.", "RD") is left out.
    None stays None (not scored)."""
    if byline is None:
        return None
    parts = (part.strip() for part in _NAME_SEPARATORS.split(byline))
    return [part for part in parts if part and not _CREDENTIAL.fullmatch(part)]


def title_match(expected: str | None, produced: str | None) -> bool:
    return normalise(expected) == normalise(produced)


def same_day(expected: str | datetime | date | None, produced: str | datetime | date | None) -> bool:
    """Same calendar day: in UTC when both sides carry a time zone, else each side's day as written."""
    truth, got = _instant(expected), _instant(produced)
    if truth is None or got is None:
        return truth is None and got is None
    if _aware(truth) and _aware(got):
        return truth.astimezone(timezone.utc).date() == got.astimezone(timezone.utc).date()
    return _day(truth) == _day(got)


def author_f1(expected: list[str] | None, produced: list[str] | None) -> float:
    """F1 of the two sets of normalised names; 1 when both are empty."""
    truth = {normalise(name) for name in expected or []} - {""}
    got = {normalise(name) for name in produced or []} - {""}
    if not truth or not got:
        return float(truth == got)
    hits = len(truth & got)
    return 2 * hits / (len(truth) + len(got))


@dataclass(frozen=True)
class PageScore:
    """One page's scores: body precision and recall, and 0-1 values for the other fields; None for a
    field whose truth is null (not scored)."""

    body_precision: float | None
    body_recall: float | None
    title: float | None
    date: float | None
    authors: float | None

    @property
    def body(self) -> float | None:
        if self.body_precision is None or self.body_recall is None:
            return None
        return f1(self.body_precision, self.body_recall)

    def field(self, name: str) -> float | None:
        return getattr(self, name)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_page(truth: dict, produced: dict | None, words: bool = False) -> PageScore:
    """Scores of one produced row (`text`, `title`, `published_at`, `authors`) against one truth row
    (`body`, `title`, `published_at`, `authors`); `produced` None is a page with no document. A truth
    field that is null gives None (not scored). `words`: body scored by WCXB's word bags
    (`word_precision_recall`) instead of word 4-grams."""
    got = produced or {}
    body_scores = word_precision_recall if words else body_precision_recall
    precision, recall = (body_scores(truth["body"], got.get("text"))
                         if truth.get("body") is not None else (None, None))
    return PageScore(
        body_precision=precision,
        body_recall=recall,
        title=float(title_match(truth["title"], got.get("title"))) if truth.get("title") is not None else None,
        date=(float(same_day(truth["published_at"], got.get("published_at")))
              if truth.get("published_at") is not None else None),
        authors=author_f1(truth["authors"], got.get("authors")) if truth.get("authors") is not None else None,
    )


def scored(scores: list[PageScore]) -> dict[str, int]:
    """Pages scored per field: those whose truth has the field."""
    return {name: sum(s.field(name) is not None for s in scores) for name in FIELDS}


def summarise(scores: list[PageScore], page_mean: bool = False) -> dict[str, float | None]:
    """Corpus scores per field, over the pages that have the field's truth; None when none has it.
    Body F1 comes from the averaged precision and recall, not from page F1s; with `page_mean`, it is the
    mean of the pages' F1s (WCXB's rule)."""
    result: dict[str, float | None] = {}
    for name in FIELDS:
        pages = [s for s in scores if s.field(name) is not None]
        if not pages:
            result[name] = None
        elif name == "body" and not page_mean:
            result[name] = f1(sum(s.body_precision for s in pages) / len(pages),
                              sum(s.body_recall for s in pages) / len(pages))
        else:
            result[name] = sum(s.field(name) for s in pages) / len(pages)
    return result


def _instant(value: str | datetime | date | None) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, (datetime, date)):
        return value
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _aware(value: datetime | date) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
