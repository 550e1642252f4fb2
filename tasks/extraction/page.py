"""One raw page to one document row, or a reject: decoding, trafilatura, derived fields.

This is the CPU-heavy step; it runs in worker processes (see `tasks.running.pool`,
which also enforces the per-page deadline) and takes and returns only
plain, picklable values.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import trafilatura
from ftfy import fix_encoding, fix_encoding_and_explain
from ftfy.badness import is_bad

from tasks.entities import add_entities
from tasks.extraction.body import (
    add_declared_parts,
    add_lead,
    add_standfirst,
    drop_headline,
    flatten_ruby,
    prefer_article_body,
    prune_boxes,
    prune_link_lists,
    prune_other_stories,
    prune_read_also,
    prune_social_embeds,
    split_printed_byline,
)
from tasks.extraction.hydration import embedded_article, with_article_body
from tasks.extraction.kinds import classify, page_signals
from tasks.extraction.language import LEGACY_CODES, choose_language, identify
from tasks.extraction.markup import MarkupError, parse_html
from tasks.extraction.metadata import (
    choose_authors,
    choose_published,
    choose_title,
    read_declared,
    slim_json_ld,
    split_byline,
    unglued,
)
from tasks.extraction.paywall import prune_paywall_prompts
from tasks.extraction.wire import find_agency, find_dateline, without_agency_credit
from tasks.lake.validate import ISO_639_1
from tasks.records import Extracted, Limits, RawPage, Reject, SourcePointer, hostname_of
from tasks.sources.decoding import DecodeError, decode_page, undo_latin1
from tasks.stories.signatures import WORD, signature

# A line of at least this many words reads as a sentence, not a menu item, label or link.
PROSE_LINE_WORDS = 10
_LANG_TAG = re.compile(r"^\s*([A-Za-z]{2})(?:[-_].*)?$")


def extract_pages(pages: list[RawPage], limits: Limits) -> list[Extracted | Reject]:
    """Extract a chunk of pages, then their named entities and text signatures; one result per page, in order.
    Runs in a worker."""
    results = [extract_page(page, limits) for page in pages]
    add_entities([r for r in results if isinstance(r, dict)], limits.ner_max_chars)
    return [Extracted(r, r.pop("entities"), signature(r["text"])) if isinstance(r, dict) else r for r in results]


def warm_up() -> None:
    """Load what extraction otherwise loads with its first page (py3langid's model, dateparser's data,
    trafilatura's tables, the page-kinds model) by extracting a page made up for it: an extraction worker does
    this before it takes pages, so that no page's deadline pays for it. NER models: `tasks.entities.preload`."""
    extract_page(RawPage(SourcePointer("warm-up"), "https://news.example/2026/11/27/warm-up", _WARM_UP_PAGE), Limits())


_WARM_UP_PAGE = """<html lang="en"><head><title>Harbour works start on Monday</title></head><body><article>
<h1>Harbour works start on Monday</h1><p class="byline">By Jane Doe, 27 November 2026</p>
<p>The council said on Friday that the works on the old harbour wall would start next week and last until spring.</p>
<p>The ferry will keep its timetable while the works go on, although the car park by the pier will be closed.</p>
<p>Fishermen who moor their boats along the wall have been offered places in the marina for the whole winter.</p>
<p>A public meeting about the plans will be held in the town hall on Thursday evening, the council added today.</p>
</article></body></html>"""


def main_text(tree, url: str | None):
    """trafilatura's document (main text and metadata) of a prepared tree, or None when it finds no text."""
    return trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                       include_tables=True)


def extract_page(page: RawPage, limits: Limits) -> dict | Reject:
    """The document row of a page (run columns excluded), or the reason it has none.

    Whatever goes wrong costs this page only: a bug or a pathological page
    becomes an `extract_error` reject, never an exception that fails the batch.
    """
    try:
        return _extract_page(page, limits)
    except Exception as exc:
        return Reject("extract_error", "extract", f"{type(exc).__name__}: {exc}", page.source, url=page.url,
                      raw_bytes=page.raw_bytes)


def _extract_page(page: RawPage, limits: Limits) -> dict | Reject:
    def reject(reason: str, stage: str, detail: str) -> Reject:
        return Reject(reason, stage, detail, page.source, url=page.url, raw_bytes=page.raw_bytes)

    if page.http_status is not None and not 200 <= page.http_status < 300:
        return reject("http_status", "read", f"fetch answered HTTP {page.http_status}")
    try:
        html, undone = undo_latin1(decode_page(page.body, page.charset))
    except DecodeError as exc:
        return reject(exc.reason, "decode", str(exc))
    decoded = [f"text: {undone}"] if undone else []
    try:
        tree = parse_html(html)
    except MarkupError as exc:
        return reject(exc.reason, "extract", str(exc))
    page_language = declared_language(tree)
    kind = classify(page_signals(tree, page.url))
    if limits.keep_kinds is not None and kind.value not in limits.keep_kinds:
        return Reject("not_an_article", "extract", f"a {kind.value} page (probability {kind.confidence:.2f}, "
                      f"{kind.source}), a kind this run does not keep", page.source, url=page.url,
                      raw_bytes=page.raw_bytes, page_kind=kind.value)
    declared = read_declared(tree)
    headlines = [declared.og_title, declared.headline, declared.html_title]
    prune_other_stories(tree, headlines)
    prune_link_lists(tree)
    prune_read_also(tree)
    prune_social_embeds(tree)
    flatten_ruby(tree)
    prune_boxes(tree)
    prune_paywall_prompts(tree, declared.paywalled, declared.paid_selectors)
    slim_json_ld(tree)
    doc = main_text(tree, page.url)
    scripted = []
    if prose_words((doc.text or "") if doc else "") < limits.min_prose_words and (article := embedded_article(tree)):
        with_article_body(tree, article)
        doc, scripted = main_text(tree, page.url), ["text: none in the markup, read from the page's script data"]
    text = (doc.text or "").strip() if doc is not None else ""
    printed_authors: list[str] = []
    if text:
        text = prefer_article_body(text, declared.article_body)
        all_headlines = [*headlines, *declared.h1, doc.title]
        text = drop_headline(text, all_headlines)
        text = add_lead(text, tree)
        text = add_declared_parts(text, tree, declared.paid_selectors)
        text = add_standfirst(text, declared.description, tree, all_headlines)
        printed_authors, text = split_printed_byline(text, tree)
    if kind.value != "article":
        doc, text = kind_text(html, page.url, kind.value, doc, text)
    if not text:
        return reject("no_main_content", "extract", "trafilatura found no main text")
    prose = prose_words(text)
    if kind.value == "article" and prose < limits.min_prose_words:
        return reject("too_little_prose", "extract",
                      f"{prose} words in sentence-like lines, fewer than {limits.min_prose_words}: "
                      "a menu, form or list rather than an article")
    if kind.value != "article" and (words := count_words(text)) < MIN_KIND_WORDS:
        return Reject("too_little_prose", "extract", f"{words} words, fewer than {MIN_KIND_WORDS}: a form or a menu "
                      f"rather than a {kind.value} page", page.source, url=page.url, raw_bytes=page.raw_bytes,
                      page_kind=kind.value)
    url = page.url or doc.url
    if not url:
        return reject("missing_url", "extract", "neither the source nor the page gives a URL")
    title = choose_title(declared, doc.title, hostname_of(url))
    byline = unglued([name for value in split_authors(doc.author) for name in split_byline(value)], tree)
    authors = choose_authors(declared, byline, hostname_of(url), printed_authors)
    published = choose_published(declared, doc.date, url, page.fetched_at)
    headline, names, repaired = title.value, authors.value, []
    if is_bad(f"{headline or ''}\n{text}"):  # mojibake: the page was decoded with the wrong code page
        steps = fix_encoding_and_explain(text).explanation
        headline, text, names = redecoded(headline, text, names)
        repaired = [f"text: mojibake re-decoded{mojibake_steps(steps)}"]
        if is_bad(f"{headline or ''}\n{text}"):
            lines = [line for line in f"{headline or ''}\n{text}".split("\n") if line.strip()]
            bad = sum(is_bad(line) for line in lines)
            if bad > len(lines) * MOJIBAKE_LINES:
                return reject("undecodable", "decode", "the text reads as mojibake in every encoding tried")
            repaired = [f"text: {bad} of {len(lines)} lines read as mojibake in every encoding tried, kept as "
                        "the page has them"]
    language, language_source = choose_language(page_language, *identify(text))
    dateline = find_dateline(text)[0]
    agency, agency_origin = find_agency(text, headline, names)
    return {
        "doc_id": document_id(url, page.fetched_at),
        "url": url,
        "canonical_url": doc.url if doc.url and doc.url != url else None,
        "hostname": hostname_of(url),
        "site_name": doc.sitename or None,
        "title": without_agency_credit(headline),
        "authors": names,
        "published_at": published.value,
        "description": doc.description or None,
        "language": language,
        "tags": [t for t in (doc.tags or []) if t],
        "categories": [c for c in (doc.categories or []) if c],
        "text": text,
        "word_count": count_words(text),
        "content_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "fetched_at": page.fetched_at,
        "http_status": page.http_status,
        "source_uri": page.source.uri,
        "source_line": page.source.line,
        "source_offset": page.source.offset,
        "dateline": dateline,
        "agency": agency,
        "field_issues": [*title.issues, *authors.issues, *published.issues, *decoded, *scripted, *repaired],
        "field_sources": {
            "title": title.source if headline else None,
            "authors": authors.source if names else None,
            "published_at": published.source,
            "language": language_source,
            "dateline": "text" if dateline else None,
            "agency": {"title": title.source, "author": authors.source}.get(agency_origin, "text") if agency else None,
            "page_kind": kind.source,
        },
        "page_kind": kind.value,
    }


def kind_text(html: str, url: str | None, kind: str, doc, text: str) -> tuple[object, str]:
    """trafilatura's document and text for a page that is not an article, read from the page as it came (the
    article corrections leave out what such pages hold: link lists are a listing's items, comments a forum's
    replies): a forum's posts with its replies, another kind's main block with its lists and tables. The
    article's `doc` and `text` when trafilatura finds nothing there."""
    found = trafilatura.bare_extraction(parse_html(html), url=url, with_metadata=True, include_tables=True,
                                        include_comments=kind == "forum")
    parts = [found.text, found.comments if kind == "forum" else None] if found is not None else []
    other = "\n".join(part.strip() for part in parts if part and part.strip())
    return (found, other) if other else (doc, text)


# A page of a kind other than article with fewer words of text is a form or a menu (a sign-in page), not a
# document: on wcxb-dev's training sites 5 of 437 such pages have 1 to 19 words, a price list's three plans 37.
MIN_KIND_WORDS = 20

# The share of a text's lines that may still read as mojibake once re-decoded: a page that misspells a few of
# its own strings (quotes a site stored mis-encoded, "â€œ...†–") is kept, with a field issue; a page mostly
# so is rejected (undecodable). Garbage text is worse than a reject, and one bad line is no reason to lose a page.
MOJIBAKE_LINES = 0.1


def redecoded(title: str | None, text: str, authors: list[str]) -> tuple[str | None, str, list[str]]:
    """Title, text and authors read back from mojibake: ftfy finds the code page a UTF-8 text was wrongly
    decoded with ("GrÃ¼ÃŸe" read as windows-1252) and decodes its bytes again ("Grüße")."""
    return (fix_encoding(title) if title else None), fix_encoding(text), [fix_encoding(name) for name in authors]


def mojibake_steps(steps: list[tuple[str, str]] | None) -> str:
    """What ftfy's re-decoding of a text did, in words: [("encode", "sloppy-windows-1252"), ("decode", "utf-8")]
    gives ": utf-8 that had been read as windows-1252"; "" when it names no such step."""
    encoded = [name.removeprefix("sloppy-") for action, name in steps or [] if action == "encode"]
    decoded = [name for action, name in steps or [] if action == "decode"]
    return f": {decoded[-1]} that had been read as {encoded[0]}" if encoded and decoded else ""


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def prose_words(text: str) -> int:
    """Words in lines long enough to be sentences; menus and forms have next to none."""
    counts = (count_words(line) for line in text.splitlines())
    return sum(n for n in counts if n >= PROSE_LINE_WORDS)


def document_id(url: str, fetched_at: datetime | None) -> str:
    """Same capture (URL and fetch time), same id, on every run."""
    stamp = fetched_at.isoformat() if fetched_at else ""
    return hashlib.sha256(f"{url}\n{stamp}".encode("utf-8")).hexdigest()[:32]


def split_authors(author: str | None) -> list[str]:
    """trafilatura joins authors with '; '."""
    return [name.strip() for name in (author or "").split(";") if name.strip()]


def language_code(tag: str | None) -> str | None:
    """The ISO 639-1 primary subtag of a BCP 47 tag ('en-GB' -> 'en'; a withdrawn code as its successor:
    'iw' -> 'he', 'in' -> 'id'); None when the tag has none."""
    match = _LANG_TAG.match((tag or "").strip())
    code = match.group(1).lower() if match else None
    code = LEGACY_CODES.get(code, code)
    return code if code in ISO_639_1 else None


def declared_language(tree) -> str | None:
    """The ISO 639-1 code the page declares: <html lang>, else Content-Language or og:locale meta."""
    return language_code(tree.get("lang") or _meta_language(tree))


def _meta_language(tree) -> str | None:
    for xpath in ('//meta[@http-equiv="content-language"]/@content', '//meta[@property="og:locale"]/@content'):
        values = tree.xpath(xpath)
        if values:
            return values[0]
    return None
