"""The stories evaluation set: labelled pairs of texts, copies of one story or not, built at test time.

Texts come from the corpora (../shared/corpus/news-dev, ../corpora/web-dev,
and ../corpora/web-holdout, kept aside for a last look) and from texts
written here (tests/stories/texts, the demo's wire stories); corpus data is
read, never copied into the repository. Every pair is made by a rule from a
seeded random generator, so the set is the same on every run.

Copies (label True):
- chrome: the page's text as trafilatura extracts it with comments and
  tables (the site's chrome) against the clean body of the corpus' truth;
- trim: the body cut to 30-70% of its paragraphs, from the end (the lead kept)
  or paragraphs dropped anywhere, with a blog's footer half of the time;
- intro: the body after a local intro (a paragraph of the site's own, in
  the page's language) and a re-title line;
- retitle: the body under another headline, with a byline and a footer;
- trim_intro: a 30-70% trim, an intro and a footer at once.
Not copies (label False):
- same_template: two different articles of one publisher, each extracted
  with its chrome;
- same_quotes: another text of the same language into which the story's
  quoted sentences (or two of its sentences) are woven, as a second
  agency's report of one press conference quotes the same words (15-40% of
  the report);
- follow_up: another text that recaps the story in one of its paragraphs;
- written: distinct reports of one (invented) event written here, sharing quotes;
- other: another article in the same language;
- press_release: the leads of two different articles, each closed by the same
  site boilerplate ("About ..." and "Media enquiries" paragraphs, written
  here), which makes up half of each text or more;
- boxes: the leads of two different articles, each between the same cookie
  box and newsletter box.
And copies among them (label True):
- press_release_copy: an article and its trim, both closed by the same site
  boilerplate.
These three kinds are drawn from their own seeded generator, after the others,
so that the pairs of the kinds above stay the same pairs.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import py3langid
import trafilatura

from tasks.stories.signatures import words

ROOT = Path(__file__).resolve().parents[2]
TEXTS = Path(__file__).resolve().parent / "texts"
SHARED = ROOT.parent / "shared" / "corpus"
CORPORA = {
    "news-dev": SHARED / "news-dev",
    "web-dev": ROOT.parent / "corpora" / "web-dev",
    "web-holdout": ROOT.parent / "corpora" / "web-holdout",
}
DEV = ("news-dev", "web-dev")
HOLDOUT = ("web-holdout",)
MAX_QUOTED = 0.35  # of a story's words, that a distinct report (same_quotes, follow_up) repeats at most
MIN_WORDS = 150  # bodies shorter than this make trims below a document's 50 words of prose

FOOTERS = ["0 comments:\n\nPost a Comment", "Share this article: Facebook Twitter Email",
           "Copyright 2026. All rights reserved. This material may not be published, broadcast, rewritten or "
           "redistributed.", "Related posts\n\nSubscribe to our newsletter for the day's top stories."]
INTROS = {
    "en": ["Readers in our region have followed this closely, and several of you wrote to us this week asking what "
           "it means for local families and businesses. Here is the full report from the wire.",
           "Our newsroom picked up this report from the agency this morning. We will update this page as our own "
           "reporters learn more about what it means for the county."],
    "de": ["Viele Leserinnen und Leser aus unserer Region haben uns in dieser Woche zu diesem Thema geschrieben. "
           "Hier lesen Sie den vollständigen Bericht der Agentur, ergänzt um die wichtigsten Hintergründe."],
    "fr": ["Nos lecteurs de la région nous ont beaucoup écrit sur ce sujet cette semaine. Voici la dépêche "
           "complète de l'agence, que notre rédaction complétera dans la journée."],
    "es": ["Muchos lectores de nuestra provincia nos han escrito esta semana sobre este asunto. Reproducimos a "
           "continuación el despacho completo de la agencia."],
}

# Closing paragraphs a site puts under each of its press releases, and the boxes of a news site's pages (invented).
PRESS_CLOSING = (
    "About Northgate Water: Northgate Water supplies drinking water to 1.2 million people in four counties and "
    "treats the wastewater of nine hundred towns and villages. It is owned by its customers and reinvests every "
    "pound of its profit in its pipes, treatment plants and reservoirs.\n\n"
    "Media enquiries: the press office answers calls on weekdays from eight in the morning to six in the evening; "
    "outside those hours, the duty press officer can be reached through the switchboard. Photographs for "
    "publication are on the media page of our website.")
COOKIE_BOX = ("We use cookies to make this site work and to understand how you use it. You can accept all cookies, "
              "refuse the ones that are not essential, or choose which ones we may set in your cookie settings at "
              "any time.")
NEWSLETTER_BOX = ("Sign up to our morning newsletter: the day's top stories, our best photographs and the weather "
                  "for your area, delivered to your inbox before seven o'clock every weekday. You can unsubscribe at "
                  "any time with one click.")
LEAD_PARAGRAPHS = 2  # a press release is short: its closing boilerplate is half of it or more


@dataclass(frozen=True)
class Pair:
    kind: str
    copy: bool
    a: str
    b: str
    source: str  # what the pair was made from (corpus and URL, or file)


@dataclass(frozen=True)
class Article:
    corpus: str
    url: str
    publisher: str
    body: str
    html: str
    language: str


def available(corpora: tuple[str, ...]) -> bool:
    return all((CORPORA[c] / "truth.jsonl").exists() for c in corpora)


def load(corpus: str) -> list[Article]:
    """Articles of a corpus whose truth has a body of at least MIN_WORDS words."""
    folder = CORPORA[corpus]
    truth = {row["url"]: row for row in map(json.loads, (folder / "truth.jsonl").open(encoding="utf-8"))}
    out = []
    with gzip.open(folder / "pages.jsonl.gz", "rt", encoding="utf-8") as pages:
        for page in map(json.loads, pages):
            body = (truth.get(page["url"]) or {}).get("body") or ""
            if len(body.split()) < MIN_WORDS and not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]{400}", body):
                continue
            out.append(Article(corpus, page["url"], page.get("publisher") or page["url"].split("/")[2], body,
                               page["html"], py3langid.classify(body)[0]))
    return out


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。」\"”])\s+", text.replace("\n", " ")) if len(s.split()) >= 4 or len(s) > 30]


def trimmed(body: str, rng: random.Random, anywhere: bool) -> str:
    """30-70% of the body's paragraphs: its lead, or paragraphs dropped anywhere (order kept)."""
    paras = paragraphs(body)
    keep = max(1, round(len(paras) * rng.uniform(0.3, 0.7)))
    if anywhere and len(paras) > 2:
        chosen = sorted(rng.sample(range(len(paras)), keep))
        return "\n\n".join(paras[i] for i in chosen)
    if len(paras) < 3:  # one long paragraph: cut its words
        words = body.split()
        return " ".join(words[:max(1, round(len(words) * rng.uniform(0.3, 0.7)))])
    return "\n\n".join(paras[:keep])


def intro(language: str, others: list[Article], rng: random.Random) -> str:
    """A local intro: a written one for the language, else the first paragraph of another article in it."""
    if language in INTROS:
        return rng.choice(INTROS[language])
    same = [o for o in others if o.language == language] or others
    return paragraphs(rng.choice(same).body)[0]


def woven(quotes: list[str], host: str, rng: random.Random, share: float, story_words: int) -> str:
    """`host`'s paragraphs with `quotes` inserted until they make about `share` of the words, and at most
    MAX_QUOTED of the story's `story_words`: a report that repeats most of another is a copy of it."""
    paras = paragraphs(host)
    host_words = sum(len(words(p)) for p in paras) or 1
    budget = min(share * host_words / (1 - share), MAX_QUOTED * story_words)
    chosen, used = [], 0
    for quote in quotes:
        if used + len(words(quote)) > budget:
            continue
        chosen.append(quote)
        used += len(words(quote))
    for quote in chosen:
        paras.insert(rng.randrange(len(paras) + 1), quote)
    return "\n\n".join(paras)


def quoted(text: str) -> list[str]:
    """The story's sentences that quote someone, else its sentences."""
    quotes = [s for s in sentences(text) if re.search(r"[\"“”„«»「」]", s)]
    return quotes or sentences(text)


def chrome_text(article: Article) -> str | None:
    return trafilatura.extract(article.html, url=article.url, include_comments=True, include_tables=True)


def build(corpora: tuple[str, ...], seed: int = 11) -> list[Pair]:
    """The pairs made from `corpora` (DEV or HOLDOUT) and from the texts written here."""
    rng = random.Random(seed)
    articles = [a for c in corpora for a in load(c)]
    by_language: dict[str, list[Article]] = defaultdict(list)
    by_publisher: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_language[a.language].append(a)
        by_publisher[a.publisher].append(a)
    pairs: list[Pair] = []
    for a in articles:
        where = f"{a.corpus} {a.url}"
        others = [o for o in by_language[a.language] if o.url != a.url] or [o for o in articles if o.url != a.url]
        other = rng.choice(others)
        kind = rng.choice(["chrome", "trim", "intro", "retitle", "trim_intro"])
        footer = rng.choice(FOOTERS)
        if kind == "chrome":
            page_text = chrome_text(a)
            copy = page_text if page_text else trimmed(a.body, rng, anywhere=False)
            kind = "chrome" if page_text else "trim"
        elif kind == "trim":
            anywhere = rng.random() < 0.5
            copy = trimmed(a.body, rng, anywhere) + (f"\n\n{footer}" if rng.random() < 0.5 else "")
        elif kind == "intro":
            copy = f"{intro(a.language, others, rng)}\n\n{a.body}"
        elif kind == "retitle":
            copy = f"Staff and wire reports\n\n{a.body}\n\n{footer}"
        else:
            copy = f"{intro(a.language, others, rng)}\n\n{trimmed(a.body, rng, anywhere=False)}\n\n{footer}"
        pairs.append(Pair(kind, True, a.body, copy, where))
        # A hard negative per article, in turn: same quotes, a follow-up, or another article.
        negative = rng.choice(["same_quotes", "same_quotes", "follow_up", "other"])
        if negative == "same_quotes":
            quotes = quoted(a.body)
            rng.shuffle(quotes)
            b = woven(quotes, other.body, rng, rng.uniform(0.15, 0.4), len(words(a.body)))
        elif negative == "follow_up":
            recap = rng.choice(paragraphs(a.body)[:3])
            b = woven([recap], other.body, rng, 0.25, len(words(a.body)))
        else:
            b = other.body
        pairs.append(Pair(negative, False, a.body, b, where))
    for publisher, group in sorted(by_publisher.items()):
        for first, second in zip(group, group[1:]):
            a_text, b_text = chrome_text(first), chrome_text(second)
            if a_text and b_text and first.body != second.body:
                pairs.append(Pair("same_template", False, a_text, b_text, f"{first.corpus} {publisher}"))
    return pairs + written_pairs(rng) + boilerplate_pairs(articles, random.Random(seed + 1))


def lead(body: str) -> str:
    return "\n\n".join(paragraphs(body)[:LEAD_PARAGRAPHS])


def boilerplate_pairs(articles: list[Article], rng: random.Random, count: int = 60) -> list[Pair]:
    """Pairs of texts that share the boilerplate of one site at their edges: different articles (not copies)
    and an article and its trim (copies), `count` of each kind."""
    pairs = []
    for a in rng.sample(articles, min(count, len(articles))):
        b = rng.choice([o for o in articles if o.url != a.url])
        where = f"{a.corpus} {a.url} / {b.url}"
        pairs.append(Pair("press_release", False, f"{lead(a.body)}\n\n{PRESS_CLOSING}",
                          f"{lead(b.body)}\n\n{PRESS_CLOSING}", where))
        pairs.append(Pair("boxes", False, f"{COOKIE_BOX}\n\n{lead(a.body)}\n\n{NEWSLETTER_BOX}",
                          f"{COOKIE_BOX}\n\n{lead(b.body)}\n\n{NEWSLETTER_BOX}", where))
        pairs.append(Pair("press_release_copy", True, f"{a.body}\n\n{PRESS_CLOSING}",
                          f"{trimmed(a.body, rng, anywhere=False)}\n\n{PRESS_CLOSING}", f"{a.corpus} {a.url}"))
    return pairs


def written_pairs(rng: random.Random) -> list[Pair]:
    """Pairs of the texts written here and the demo's wire stories (no corpus needed)."""
    from tasks.sources.demo_corpus import REPOST_STORY, split_story

    title, paras = split_story(REPOST_STORY.read_text("utf-8"))
    wire = "\n\n".join(paras)
    text = {p.stem: "\n\n".join(paragraphs(p.read_text("utf-8"))[1:]) for p in sorted(TEXTS.glob("*.txt"))}
    pairs = [
        Pair("written", False, wire, text["arctic-watch-second-agency"], "texts/arctic-watch-second-agency.txt"),
        Pair("written", False, wire, text["arctic-watch-follow-up"], "texts/arctic-watch-follow-up.txt"),
        Pair("written", False, text["arctic-watch-second-agency"], text["arctic-watch-follow-up"], "texts"),
        Pair("written", False, wire, text["ports-strike-local-report"], "texts/ports-strike-local-report.txt"),
        Pair("trim", True, wire, "\n\n".join(paras[:4]), "demo wire story, lead kept"),
        Pair("retitle", True, wire, f"Arctic rescue: Nordic neighbours join forces\n\n{wire}\n\n{FOOTERS[0]}",
             "demo wire story, re-titled"),
        Pair("trim_intro", True, wire, f"{INTROS['en'][0]}\n\n" + "\n\n".join(paras[:5]), "demo wire story"),
    ]
    bodies = [wire, *text.values()]
    for k, first in enumerate(bodies):
        for second in bodies[k + 1:]:
            pairs += [Pair("press_release", False, f"{lead(first)}\n\n{PRESS_CLOSING}",
                           f"{lead(second)}\n\n{PRESS_CLOSING}", "texts, one site's closing"),
                      Pair("boxes", False, f"{COOKIE_BOX}\n\n{lead(first)}\n\n{NEWSLETTER_BOX}",
                           f"{COOKIE_BOX}\n\n{lead(second)}\n\n{NEWSLETTER_BOX}", "texts, one site's boxes")]
    pairs.append(Pair("press_release_copy", True, f"{wire}\n\n{PRESS_CLOSING}",
                      "\n\n".join(paras[:4]) + f"\n\n{PRESS_CLOSING}", "demo wire story, one site's closing"))
    return pairs
