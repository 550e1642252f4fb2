"""Unit tests of tasks.extraction.metadata: each rule on a few lines of handwritten HTML."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from trafilatura.utils import load_html

from tasks.extraction.markup import visible_texts
from tasks.extraction.metadata import (
    article_node,
    by_element,
    by_line,
    choose_authors,
    choose_published,
    choose_title,
    json_ld_nodes,
    labelled_authors,
    read_declared,
    site_keys,
    split_byline,
    strip_site_name,
    trim_to_confirmed,
    unglued,
)

UTC = timezone.utc


def page(head: str = "", body: str = "<p>Text.</p>") -> object:
    return load_html(f"<html><head>{head}</head><body>{body}</body></html>")


def ld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def meta(key: str, content: str, attr: str = "property") -> str:
    return f'<meta {attr}="{key}" content="{content}">'


# --- structured data -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("head, headline", [
    (ld({"@type": "NewsArticle", "headline": "Plain"}), "Plain"),
    (ld([{"@type": "Organization", "name": "Site"}, {"@type": "NewsArticle", "headline": "In a list"}]), "In a list"),
    (ld({"@graph": [{"@type": "WebPage"}, {"@type": ["Article", "NewsArticle"], "headline": "In a graph"}]}),
     "In a graph"),
    (ld({"@type": "WebPage", "mainEntity": {"@type": "ReportageNewsArticle", "headline": "Main entity"}}),
     "Main entity"),
    (ld({"@type": "NewsArticle", "headline": "Kohberger&#8217;s lawyers"}), "Kohberger’s lawyers"),
    (ld({"@type": "WebPage", "headline": "Not an article"}), None),
    ('<script type="application/ld+json">{not json</script>' + ld({"@type": "Article", "headline": "Next"}), "Next"),
    ('<script type="application/ld+json">\n  <![CDATA[\n  {"@context": {"@vocab": "http://schema.org"}, '
     '"@type": "NewsArticle", "headline": "In CDATA"}\n  ]]>\n</script>', "In CDATA"),
    ('<script type="application/ld+json">//<![CDATA[\n{"@type": "NewsArticle", "headline": "Commented CDATA"}\n//]]>'
     '</script>', "Commented CDATA"),
    ('<script type="application/ld+json"><!-- {"@type": "NewsArticle", "headline": "In a comment"} --></script>',
     "In a comment"),
], ids=["object", "list", "graph", "main-entity", "html-entity", "not-an-article", "broken-script-skipped", "cdata",
        "js-commented-cdata", "html-comment"])
def test_json_ld_article_headline(head, headline):
    assert read_declared(page(head)).headline == headline


def test_nested_nodes_are_not_the_article():
    """A live blog's updates are BlogPostings inside the LiveBlogPosting: the page's article is the live blog."""
    data = {"@type": "LiveBlogPosting", "datePublished": "2024-08-04T13:23:00Z",
            "liveBlogUpdate": [{"@type": "BlogPosting", "datePublished": "2024-08-05T21:00:00+01:00"}]}

    assert article_node(json_ld_nodes(page(ld(data))))["datePublished"] == "2024-08-04T13:23:00Z"


# --- title ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("head, body, fallback, expected", [
    (meta("og:title", "Headline - Lesotho Times") + meta("og:site_name", "Lesotho Times"), "", None, "Headline"),
    (meta("og:title", "The Eastern Desk: Headline - AFP") + meta("og:site_name", "The Eastern Desk"), "", None,
     "Headline - AFP"),
    (meta("og:title", "Russia hits Kyiv - National | Globalnews.ca"), "<h1>Russia hits Kyiv</h1>", None,
     "Russia hits Kyiv"),
    (meta("og:title", "Ukraine: goals, risks – DW – 28.04.2023") + meta("og:site_name", "DW.COM"),
     "<h1>Ukraine: goals, risks</h1>", None, "Ukraine: goals, risks"),
    (meta("og:title", "Wildfires in Turkey! - Current news"), "<h1>Wildfires in Turkey!</h1>", None,
     "Wildfires in Turkey! - Current news"),
    (meta("og:title", "Kicker: Headline"), "<h1>Headline</h1>", None, "Kicker: Headline"),
    (ld({"@type": "NewsArticle", "headline": "From JSON-LD"}), "", "From trafilatura", "From JSON-LD"),
    (meta("og:title", "Social headline") + ld({"@type": "NewsArticle", "headline": "Search headline"}), "", None,
     "Social headline"),
    ("", "", "From trafilatura", "From trafilatura"),
    ("", "", None, None),
], ids=["site-suffix", "site-prefix-keeps-agency", "host-name-suffix", "h1-confirms-cut", "unknown-suffix-kept",
        "kicker-kept", "json-ld-without-og", "og-before-json-ld", "fallback", "none"])
def test_choose_title(head, body, fallback, expected):
    declared = read_declared(page(head, body))
    assert choose_title(declared, fallback, "globalnews.ca" if "Globalnews" in head else "site.example").value == expected


@pytest.mark.parametrize("title, others, site, expected", [
    ("Foden’s girlfriend | The Sun", ["Foden's girlfriend"], "The Sun", "Foden’s girlfriend"),  # quotes differ
    ("„Einsatz“ - Die Tageszeitung", ["„Einsatz“"], "Die Tageszeitung", "„Einsatz“"),  # closing quote kept
    ("Headline – DW – 28.04.2023", ["Headline"], "dw.com", "Headline"),  # the host name counts as the site's name
    ("Headline – Current news", ["Headline"], "The Sun", "Headline – Current news"),  # not the site: kept
    ("Star-Wars-Tag | The Sun", ["Star"], "The Sun", "Star-Wars-Tag | The Sun"),  # too short to confirm anything
    ("Headline | The Sun", ["Other"], "The Sun", "Headline | The Sun"),
])
def test_trim_to_confirmed(title, others, site, expected):
    assert trim_to_confirmed(title, others, site_keys([site])) == expected


@pytest.mark.parametrize("title, expected", [
    ("Headline | Site", "Headline"),
    ("Site | Headline", "Headline"),
    ("Headline - Section | Site", "Headline - Section"),
    ("Site", "Site"),
    ("Headline", "Headline"),
])
def test_strip_site_name(title, expected):
    assert strip_site_name(title, site_keys(["Site"])) == expected


# --- authors -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, names", [
    ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
    ("Von Anna Müller und Jan Beck", ["Anna Müller", "Jan Beck"]),
    ("Doe, Jane", ["Jane Doe"]),
    ("Adam Vidler, AP", ["Adam Vidler", "AP"]),
    ("Mathias Hagen / Journalist", ["Mathias Hagen"]),
    ("박준석 기자", ["박준석"]),
    ("jane.doe@example.com", []),
    ("https://www.facebook.com/site", []),
    ("Guardian staff reporter", ["Guardian staff reporter"]),
    ("Le Figaro et AFP", ["Le Figaro et AFP"]),
    ("Text: Jane Doe", ["Jane Doe"]),
    ("Avery Jones & Da Costa", ["Avery Jones", "Da Costa"]),
    ("Capital Von Jemima Kelly", ["Jemima Kelly"]),
    ("Sport By Jane Doe", ["Jane Doe"]),
    ("Ursula Von der Leyen", ["Ursula Von der Leyen"]),
    ("Wernher Von Braun", ["Wernher Von Braun"]),
    ("Kooman, F.", ["F. Kooman"]),
    ("Jong, Michiel de", ["Michiel de Jong"]),
    ("Jane Doe | jdoe@example.com", ["Jane Doe"]),
    ("王海燕、刘志强", ["王海燕", "刘志强"]),
    ("山田花子，佐藤健", ["山田花子", "佐藤健"]),
    ("Par Margaux Thiel et Bastien Royer", ["Margaux Thiel", "Bastien Royer"]),
    ("Por Inés Carmona y Tomás Vidal", ["Inés Carmona", "Tomás Vidal"]),
    ("Chiara Fontana e Marco Lentini", ["Chiara Fontana", "Marco Lentini"]),
    ("Av Ingrid Solberg og Nils Aasen", ["Ingrid Solberg", "Nils Aasen"]),
    ("Door Femke van Dijk en Joris Mulder", ["Femke van Dijk", "Joris Mulder"]),
    ("Elif Aksoy ve Murat Demir", ["Elif Aksoy", "Murat Demir"]),
    ("José Ortega y Gasset", ["José Ortega y Gasset"]),
], ids=["by-and", "von-und", "inverted", "agency", "role", "korean-role", "e-mail", "url", "staff-reporter",
        "french-et-kept", "text-label", "names-that-start-like-by", "section-then-von", "section-then-by",
        "noble-von-der-kept", "noble-von-kept", "inverted-initial", "inverted-particle", "name-bar-e-mail",
        "chinese-enumeration-comma", "full-width-comma", "french-et", "spanish-y", "italian-e", "norwegian-og",
        "dutch-en-with-particle", "turkish-ve", "compound-surname-kept"])
def test_split_byline(value, names):
    assert split_byline(value) == names


SITE = meta("og:site_name", "Daily Example")


@pytest.mark.parametrize("head, fallback, expected", [
    (ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Jane Doe"},
                                            {"@type": "Organization", "name": "SDA"}]}), [], ["Jane Doe", "SDA"]),
    (ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Jane Doe"}})
     + meta("author", "Example Media Group", "name"), [], ["Jane Doe"]),
    (SITE + ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Daily Example"}}),
     ["Jane Doe"], ["Jane Doe"]),
    (SITE + ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Daily Example"}}),
     ["jd"], ["Daily Example"]),
    (meta("article:author", "https://www.facebook.com/jane") + meta("author", "Jane Doe", "name"), [],
     ["Jane Doe"]),
    ("", ["By John Smith"], ["John Smith"]),
    (SITE + ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Daily Example"}})
     + meta("articleAuthor", "Example Agency", "name"), [], ["Example Agency"]),
    ("", [], []),
], ids=["json-ld-people-and-agency", "json-ld-before-meta", "publisher-gives-way-to-a-name",
        "publisher-kept-over-initials", "meta-without-urls", "trafilatura-byline", "article-author-meta", "none"])
def test_choose_authors(head, fallback, expected):
    assert choose_authors(read_declared(page(head)), fallback, "example.com").value == expected


@pytest.mark.parametrize("body, names", [
    ("<ul><li><strong>Datum</strong> 28.04.2023</li><li><strong>Autorin/Autor</strong> Jane Doe</li></ul>",
     ["Jane Doe"]),
    ("<dl><dt>Author:</dt><dd>Jane Doe, John Smith</dd></dl>", ["Jane Doe", "John Smith"]),
    ("<p><strong>Author</strong></p><p>Prose about authors.</p>", []),  # nothing right after the label
    ("<p>Our <b>author</b> of the week is Jane Doe.</p>", []),
    ("<p><strong>Autor des Buches</strong> Jane Doe</p>", []),  # not the bare label
    ('<ul><li>Von: <a href="/jd">Jane Doe</a>, <span><a href="/js">John Smith</a></span></li></ul>',
     ["Jane Doe", "John Smith"]),
    ("<p>By: <a>Jane Doe</a></p>", ["Jane Doe"]),
    ("<p>By: <a>the people who were there on the night of the storm</a></p>", []),  # a sentence, not names
    ("<p>Photo by: <a>Jane Doe</a></p>", []),  # a photographer's credit
    ('<div><a href="/author/180/">著者：後藤大地</a></div>', ["後藤大地"]),
    ("<p>Author: Jane Doe</p>", ["Jane Doe"]),
    ("<p>Author: the people who were there on the night of the storm</p>", []),
    ("<p><b>文</b>：山田太郎</p>", ["山田太郎"]),
], ids=["fact-list", "definition-list", "label-alone", "label-in-prose", "longer-label", "von-colon-links",
        "by-colon", "by-colon-sentence", "photo-credit", "japanese-label-and-name", "label-and-name-one-text",
        "label-and-sentence", "japanese-bold-label"])
def test_labelled_authors(body, names):
    assert labelled_authors(page(body=body)) == names


PERSON = ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Jane Doe"}})


@pytest.mark.parametrize("body, expected", [
    ('<div class="bylines"><a rel="author">Jane Doe</a> <a rel="author">John Smith</a></div>',
     ["Jane Doe", "John Smith"]),
    ('<div class="byline"><span itemprop="author">John Smith</span> <span itemprop="author">Jane Doe</span></div>',
     ["John Smith", "Jane Doe"]),
    ('<div class="byline"><a rel="author">Jane Doe</a></div>', ["Jane Doe"]),  # the same name: no change
    ('<div class="byline"><a rel="author">John Smith</a> <a rel="author">Ann Lee</a></div>',
     ["Jane Doe"]),  # does not name JSON-LD's author: another story's byline
    ('<div class="byline"><a rel="author">Jane Doe</a></div><aside><a rel="author">John Smith</a></aside>',
     ["Jane Doe"]),  # links outside the byline credit other stories
], ids=["rel-author", "itemprop-author", "same", "other-people", "outside-the-byline"])
def test_byline_links_complete_json_ld_authors(body, expected):
    assert choose_authors(read_declared(page(PERSON, body)), [], "example.com").value == expected


@pytest.mark.parametrize("body, names", [
    ('<p>By TPN, in <a href="/news">News</a> &middot; <span>31 Jan 2025, 20:02</span></p>', ["TPN"]),
    ("<div>By Jane Doe and John Smith | 3 May 2024</div>", ["Jane Doe", "John Smith"]),
    ("<p>By Tuesday, the council will vote on the barrier.</p>", []),  # a sentence
    ("<p>By signing up, you agree to our terms</p>", []),  # not capitalised: not a name
    ("<p>By 2030, emissions fall</p>", []),
    ("<p>Jane Doe, in News</p>", []),
    ('<a href="/other-story"><span>Von Jane Doe, Berlin</span></a>', []),  # another story's teaser
], ids=["by-name-comma", "by-two-names-bar", "sentence", "lower-case", "number", "no-by", "inside-a-link"])
def test_by_line(body, names):
    assert by_line(page(body=body)) == names


def test_by_line_is_the_last_resort():
    declared = read_declared(page(meta("author", "Jane Doe", "name"), "<p>By John Smith, in News</p>"))

    assert choose_authors(declared, [], "example.com").value == ["Jane Doe"]
    assert choose_authors(read_declared(page(body="<p>By John Smith, in News</p>")), [], "example.com").value == [
        "John Smith"]


def test_labelled_author_wins_over_a_site_name_meta_tag():
    declared = read_declared(page(meta("author", "Daily Example", "name"),
                                  "<ul><li><strong>Author</strong> Jane Doe</li></ul>"))

    assert choose_authors(declared, ["Daily Example"], "example.com").value == ["Jane Doe"]


# --- publication time ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("head, fallback, expected", [
    (ld({"@type": "NewsArticle", "datePublished": "2024-04-25T19:30:04+02:00"}) + meta("date", "2024-04-26", "name"),
     "2024-04-26", datetime(2024, 4, 25, 17, 30, 4, tzinfo=UTC)),
    (ld({"@type": "NewsArticle", "dateModified": "2024-08-05T19:49:50Z"})
     + meta("article:published_time", "2024-08-04T13:23:00Z"), None, datetime(2024, 8, 4, 13, 23, tzinfo=UTC)),
    (meta("article:published_time", "2025-05-15T20:00:52.000+0900"), None, datetime(2025, 5, 15, 11, 0, 52, tzinfo=UTC)),
    (meta("article:published_time", "2026-01-29T18:40"), None, datetime(2026, 1, 29, 18, 40, tzinfo=UTC)),
    (meta("article:published_time", "last Tuesday"), "2024-03-15", datetime(2024, 3, 15, tzinfo=UTC)),
    (meta("article:modified_time", "2024-03-16T10:00:00Z"), None, datetime(2024, 3, 16, 10, tzinfo=UTC)),
], ids=["json-ld-over-meta-and-trafilatura", "publication-not-modification", "offset-without-colon",
        "no-offset-is-utc", "unparsable-skipped", "modification-stands-in-for-nothing"])
def test_choose_published(head, fallback, expected):
    assert choose_published(read_declared(page(head)), fallback).value == expected


# --- field-level trust: each field falls back past implausible values ----------------------------------------------

FETCHED = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)


def article_ld(**fields) -> str:
    return ld({"@type": "NewsArticle", "headline": "Ferry returns to the island", **fields})


@pytest.mark.parametrize("head, body, url, fallback, expected, source, issue", [
    # a CMS's zero time in JSON-LD: the printed line, then the URL, then trafilatura give the day
    (article_ld(datePublished="0001-01-01T00:00:00Z"), "<p class='meta'>Posted on 12 May 2026 by the desk</p>",
     "https://isle.example/2026/05/11/ferry", None, datetime(2026, 5, 12, tzinfo=UTC), "page",
     "published_at: placeholder 0001-01-01T00:00:00Z in JSON-LD"),
    (article_ld(datePublished="0001-01-01T00:00:00+02:00"), "", "https://isle.example/2026/05/11/ferry", None,
     datetime(2026, 5, 11, tzinfo=UTC), "url", "published_at: placeholder 0001-01-01T00:00:00+02:00 in JSON-LD"),
    (meta("article:published_time", "1970-01-01T00:00:00Z"), "", "https://isle.example/news/ferry", "2026-05-10",
     datetime(2026, 5, 10, tzinfo=UTC), "trafilatura", "published_at: placeholder 1970-01-01T00:00:00Z in meta tags"),
    (article_ld(datePublished="1900-01-01"), "", "https://isle.example/news/ferry", None, None, None,
     "published_at: placeholder 1900-01-01 in JSON-LD"),
    (article_ld(datePublished="2031-01-01T10:00:00Z"), "", "https://isle.example/20260509/ferry", None,
     datetime(2026, 5, 9, tzinfo=UTC), "url", "published_at: 2031-01-01T10:00:00Z in JSON-LD is after the fetch"),
    (article_ld(datePublished="1987-06-01"), "", "https://isle.example/news/ferry", None, None, None,
     "published_at: 1987-06-01 in JSON-LD is before 1991"),
    (article_ld(datePublished="null"), "", "https://isle.example/news/ferry", "2026-05-08",
     datetime(2026, 5, 8, tzinfo=UTC), "trafilatura", "published_at: 'null' in JSON-LD is not a date"),
], ids=["zero-time-printed-line", "zero-time-with-offset-url", "epoch-trafilatura", "year-1900-none",
        "after-fetch-url", "before-1991", "null-string"])
def test_published_falls_back_past_placeholders(head, body, url, fallback, expected, source, issue):
    chosen = choose_published(read_declared(page(head, body)), fallback, url, FETCHED)

    assert (chosen.value, chosen.source) == (expected, source)
    assert issue in chosen.issues


@pytest.mark.parametrize("head, body, fallback, expected", [
    # only modification dates declared: never the publication date, also when trafilatura falls back to them
    (meta("article:modified_time", "2026-05-19T16:45:00Z") + meta("og:updated_time", "2026-05-19T16:45:00Z"),
     "<p class='dates'>Published 3 March 2026 · Updated 19 May 2026</p>", "2026-05-19", datetime(2026, 3, 3, tzinfo=UTC)),
    (ld({"@type": "WebPage", "dateModified": "2026-05-19T16:45:00Z"}), "<p class='dates'>Posted 2 May 2026</p>",
     "2026-05-19", datetime(2026, 5, 2, tzinfo=UTC)),
    (meta("article:modified_time", "2026-05-19T16:45:00Z"), "<span>Veröffentlicht am 03.04.2026, 10:15 Uhr</span>",
     None, datetime(2026, 4, 3, 10, 15, tzinfo=UTC)),
    ("", '<time itemprop="datePublished" datetime="2026-02-14T09:00:00+01:00">14 Feb</time>', "2026-05-01",
     datetime(2026, 2, 14, 8, 0, tzinfo=UTC)),
    ("", "<ul><li><strong>Datum</strong> 06.05.2026</li><li><strong>Autor</strong> Jane Doe</li></ul>"
         "<h2>Other story <span>02.05.2026</span></h2>", "2026-05-02", datetime(2026, 5, 6, tzinfo=UTC)),
], ids=["printed-published-not-updated", "modification-day-from-trafilatura-passed-over", "printed-german",
        "marked-up-date-published", "fact-list-datum"])
def test_published_is_never_a_modification_date(head, body, fallback, expected):
    chosen = choose_published(read_declared(page(head, body)), fallback, "https://isle.example/news/ferry", FETCHED)

    assert chosen.value == expected


def test_a_modification_time_stands_in_only_when_nothing_dates_the_publication():
    """A page that prints only "Updated ..." and declares only its modification time: that time stands in (the
    article was published then or before), and field_issues says so."""
    head = ld({"@type": "WebPage", "dateModified": "2026-05-19T16:45:00Z"}) + meta(
        "article:modified_time", "2026-05-18T09:00:00Z")

    chosen = choose_published(read_declared(page(head, "<p>Updated May 19, 2026</p>")), "2026-05-19",
                              "https://isle.example/news/ferry", FETCHED)

    assert (chosen.value, chosen.source) == (datetime(2026, 5, 18, 9, tzinfo=UTC), "declared")
    assert chosen.issues == [
        "published_at: 2026-05-19 from trafilatura is the modification date",
        "published_at: none found; the modification time 2026-05-18T09:00:00+00:00 declared by the page stands in"]


@pytest.mark.parametrize("lang, value, expected", [
    ("de", "03.04.2026 10:15", datetime(2026, 4, 3, 10, 15, tzinfo=UTC)),
    ("tr", "03.04.2026", datetime(2026, 4, 3, tzinfo=UTC)),
    ("tr-TR", "03/04/2026", datetime(2026, 4, 3, tzinfo=UTC)),
    ("en-GB", "03/04/2026", datetime(2026, 4, 3, tzinfo=UTC)),
    ("en-US", "03/04/2026", datetime(2026, 3, 4, tzinfo=UTC)),
    ("en-US", "13/04/2026", datetime(2026, 4, 13, tzinfo=UTC)),  # no month 13: the order is plain
    ("en-US", "03.04.2026", datetime(2026, 4, 3, tzinfo=UTC)),  # a dotted date is day first everywhere
    ("fr", "2026/04/03", datetime(2026, 4, 3, tzinfo=UTC)),
    ("de", "3. April 2026", datetime(2026, 4, 3, tzinfo=UTC)),
    ("tr", "3 Nisan 2026", datetime(2026, 4, 3, tzinfo=UTC)),
], ids=["de-dotted-time", "tr-dotted", "tr-slashes", "en-gb-slashes", "en-us-slashes", "en-us-day-over-12",
        "en-us-dotted", "year-first", "de-month-name", "tr-month-name"])
def test_numeric_dates_follow_the_pages_day_month_order(lang, value, expected):
    tree = load_html(f'<html lang="{lang}"><head>{article_ld(datePublished=value)}</head><body><p>x</p></body></html>')

    chosen = choose_published(read_declared(tree), None, None, FETCHED)

    assert (chosen.value, chosen.source) == (expected, "json-ld")


def printed(line: str) -> str:
    return f"<p class='meta'>{line}</p><p>Text of the story.</p>"


WINTER_FETCH = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("head, line, expected, issue", [
    (ld({"@type": "WebPage", "dateModified": "2026-12-01T09:00:00-05:00"}),
     "Published November 30, 2026 1:18 PM", datetime(2026, 11, 30, 18, 18, tzinfo=UTC), None),
    ("", "Published November 30, 2026 1:18 PM", datetime(2026, 11, 30, 13, 18, tzinfo=UTC),
     "published_at: 'november 30, 2026 1:18 pm' in the page names no time zone: its wall time is kept as UTC"),
    (meta("article:modified_time", "2026-12-01T09:00:00Z"), "Published November 30, 2026 1:18 PM",
     datetime(2026, 11, 30, 13, 18, tzinfo=UTC), "names no time zone"),
    (ld({"@type": "WebPage", "dateModified": "2026-12-01T09:00:00-05:00"}),
     "Published November 30, 2026 11:45 PM PST", datetime(2026, 12, 1, 7, 45, tzinfo=UTC), None),
    ("", "Published November 30, 2026", datetime(2026, 11, 30, tzinfo=UTC), None),
], ids=["zone-of-the-pages-timestamps", "no-zone-keeps-wall-time", "utc-storage-is-no-zone", "printed-zone-wins",
        "day-only-needs-no-zone"])
def test_a_printed_time_without_zone_takes_the_zone_the_page_states(head, line, expected, issue):
    chosen = choose_published(read_declared(page(head, printed(line))), None, "https://isle.example/news/x",
                              WINTER_FETCH)

    assert chosen.value == expected
    assert (issue is None and chosen.issues == []) or any(issue in i for i in chosen.issues)


def test_an_hatom_published_time_is_its_exact_instant():
    body = ('<div class="post"><p>Text.</p><span class="post-timestamp">at <abbr class="published" '
            'title="2026-11-15T23:20:00-05:00">11:20 PM</abbr></span></div>')

    chosen = choose_published(read_declared(page("", body)), "2026-11-15", "https://isle.example/2026/11/post.html",
                              WINTER_FETCH)

    assert (chosen.value, chosen.source) == (datetime(2026, 11, 16, 4, 20, tzinfo=UTC), "page")


@pytest.mark.parametrize("lang, head, body, url, expected, guessed", [
    ("en", meta("og:locale", "en_GB"), "", "https://eastmoor.example/n", datetime(2026, 11, 4, 9, 30), False),
    ("en-GB", "", "", "https://eastmoor.example/n", datetime(2026, 11, 4, 9, 30), False),
    ("en", "", "", "https://eastmoor.example.co.uk/n", datetime(2026, 11, 4, 9, 30), False),
    ("en", "", "<p class='comment'>Posted 23/11/2026</p>", "https://eastmoor.example/n",
     datetime(2026, 11, 4, 9, 30), False),
    ("en", "", "", "https://eastmoor.example/n", datetime(2026, 4, 11, 9, 30), True),
    ("en-US", "", "", "https://eastmoor.example.co.uk/n", datetime(2026, 4, 11, 9, 30), False),
], ids=["og-locale-en-gb", "lang-en-gb", "uk-domain", "the-pages-other-dates", "guess-is-recorded",
        "declared-region-over-domain"])
def test_numeric_day_and_month_follow_the_pages_region(lang, head, body, url, expected, guessed):
    tree = load_html(f'<html lang="{lang}"><head>{head}</head><body>{printed("Published 04/11/2026 09:30")}'
                     f"{body}</body></html>")

    chosen = choose_published(read_declared(tree), None, url, WINTER_FETCH)

    assert chosen.value == expected.replace(tzinfo=UTC)
    assert any("reads as two days" in issue for issue in chosen.issues) is guessed


def test_a_date_printed_alone_under_the_headline_dates_the_article():
    body = ("<h1>Ferry returns</h1><div class='meta'><span>May 12, 2026</span> · <span>4 min read</span></div>"
            "<p>Text of the story, long enough to be a paragraph of prose for any reader of the page.</p>")

    chosen = choose_published(read_declared(page("", body)), "2026-05-19", "https://isle.example/news/ferry", FETCHED)

    assert (chosen.value, chosen.source) == (datetime(2026, 5, 12, tzinfo=UTC), "page")


def test_the_urls_day_reads_an_ambiguous_numeric_date():
    tree = load_html(f'<html lang="en"><head></head><body>{printed("Published 03/10/2023")}</body></html>')

    chosen = choose_published(read_declared(tree), None, "https://wine.example/blog/2023/october/03/styles", FETCHED)
    assert chosen.value == datetime(2023, 3, 10, tzinfo=UTC)  # the URL's "october" is no date it can read

    chosen = choose_published(read_declared(tree), None, "https://wine.example/blog/2023/10/03/styles", FETCHED)
    assert chosen.value == datetime(2023, 10, 3, tzinfo=UTC)
    assert not any("reads as two days" in issue for issue in chosen.issues)


@pytest.mark.parametrize("lang, line, expected", [
    ("en", "Published 10 days ago", datetime(2026, 5, 10, 8, 0, tzinfo=UTC)),
    ("en", "Published 3 hours ago", datetime(2026, 5, 20, 5, 0, tzinfo=UTC)),
    ("de", "Veröffentlicht vor 2 Tagen", datetime(2026, 5, 18, 8, 0, tzinfo=UTC)),
], ids=["days", "hours", "german"])
def test_a_relative_date_counts_back_from_the_fetch_and_says_so(lang, line, expected):
    tree = load_html(f'<html lang="{lang}"><head></head><body>{printed(line)}</body></html>')

    chosen = choose_published(read_declared(tree), None, "https://isle.example/news/x", FETCHED)

    assert chosen.value == expected
    assert any("is relative: counted back from the fetch time" in issue for issue in chosen.issues)
    # Without a fetch time the row cannot depend on the run: no date.
    assert choose_published(read_declared(tree), None, "https://isle.example/news/x").value is None


@pytest.mark.parametrize("lang, line, expected", [
    ("no", "Publisert 3. mai 2026 kl. 21.40", datetime(2026, 5, 3, 21, 40, tzinfo=UTC)),
    ("iw", "פורסם 3 במאי 2026", datetime(2026, 5, 3, tzinfo=UTC)),
    ("in", "Diterbitkan 3 Mei 2026", datetime(2026, 5, 3, tzinfo=UTC)),
    ("sh", "Published 3 May 2026", datetime(2026, 5, 3, tzinfo=UTC)),
    ("zz", "Published 3 May 2026", datetime(2026, 5, 3, tzinfo=UTC)),
], ids=["norwegian-no", "hebrew-iw", "indonesian-in", "serbo-croatian-sh", "unknown-zz"])
def test_a_legacy_or_unknown_language_code_still_reads_the_date(lang, line, expected):
    tree = load_html(f'<html lang="{lang}"><head></head><body>{printed(line)}</body></html>')

    assert choose_published(read_declared(tree), None, "https://isle.example/news/x", FETCHED).value == expected


@pytest.mark.parametrize("head, body, fallback, expected", [
    (ld({"@type": "NewsArticle", "author": [{"@type": "Person", "givenName": "Mirela", "familyName": "Voss"},
                                            {"@type": "Person", "givenName": "Ken", "additionalName": "T.",
                                             "familyName": "Adeyemi-Lund"}]})
     + meta("author", "Daily Example", "name"), "", [], ["Mirela Voss", "Ken T. Adeyemi-Lund"]),
    (ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Priya Raman, MD"}}), "", [],
     ["Priya Raman, MD"]),
    ("", "", ["Alan Greer, PhD and Ruth Kim, Jr."], ["Alan Greer, PhD", "Ruth Kim, Jr"]),
    (meta("author", "Omar Haddad, M.D., MPH", "name"), "", [], ["Omar Haddad, M.D., MPH"]),
    ("", "", ["March 4, 2026"], []),
    ("", "", ["Updated: March 4, 2026 at 9:12 am"], []),
    ("", "", ["3 hours ago"], []),
    ("", "", ["By Lena Ortiz, March 4, 2026"], ["Lena Ortiz"]),
    (ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "undefined"}}), "", ["Lena Ortiz"],
     ["Lena Ortiz"]),
    (SITE + meta("author", "Daily Example", "name"), "", ["Lena Ortiz"], ["Lena Ortiz"]),
    (SITE + meta("author", "Daily Example", "name"), "", [], ["Daily Example"]),
    (SITE + meta("author", "Daily Example", "name"), "<p><span>Von Lena Ortiz, Lille</span></p>", [],
     ["Lena Ortiz"]),
    (meta("author", "/@lortiz", "name") + meta("author", "Lena Ortiz", "name"), "", [], ["Lena Ortiz"]),
], ids=["given-family-names", "credential-kept", "suffixes-kept", "dotted-credentials", "date-only",
        "updated-line", "relative-time", "name-then-date", "placeholder-string", "site-name-gives-way", "site-name-when-nothing-else",
        "printed-by-line-over-site-name", "handle-is-no-name"])
def test_authors_are_people_not_dates_or_placeholders(head, body, fallback, expected):
    assert choose_authors(read_declared(page(head, body)), fallback, "example.com").value == expected


def test_dropped_authors_are_field_issues():
    chosen = choose_authors(read_declared(page(SITE + meta("author", "Daily Example", "name"))),
                            ["Updated: March 4, 2026 at 9:12 am", "Lena Ortiz"], "example.com")

    assert (chosen.value, chosen.source) == (["Lena Ortiz"], "trafilatura")
    assert chosen.issues == ["authors: 'Updated: March 4, 2026 at 9:12 am' from trafilatura holds a date, not a name",
                             "authors: 'Daily Example' in meta tags is the site's name, not a person's"]


@pytest.mark.parametrize("head, body, fallback, expected, source", [
    ("<title>Harbour Notes: Ferry returns to the island - AFP</title>",
     '<h3 class="post-title entry-title">Ferry returns to the island - AFP</h3>', "Harbour Notes",
     "Ferry returns to the island - AFP", "page"),
    ("<title>Harbour Notes: Ferry returns to the island - AFP</title>",
     '<h2 class="post-title">Ferry returns to the island</h2>', "Harbour Notes", "Ferry returns to the island - AFP",
     "page"),
    ("<title>Ferry returns to the island | Harbour Notes</title>", "<h1>Ferry returns to the island</h1>",
     "Harbour Notes", "Ferry returns to the island", "page"),
    ("<title>Harbour Notes - Ferry returns to the island</title>",
     '<div class="entry-title">Ferry returns to the island</div>', None, "Ferry returns to the island", "page"),
    ("<title>Ferry returns to the island - AFP | Harbour Notes</title>",
     '<h3 class="post-title">Ferry returns to the island</h3>', "Harbour Notes", "Ferry returns to the island - AFP",
     "page"),
    (meta("og:title", "null") + "<title>Ferry returns | Isle</title>", "<h1>Ferry returns</h1>", None,
     "Ferry returns", "page"),
    (meta("og:title", "Daily Example") + SITE, "", "Ferry returns to the island", "Ferry returns to the island",
     "trafilatura"),
], ids=["blog-prefix-heading-with-credit", "blog-prefix-heading-without-credit", "title-pipe-site", "site-dash-title",
        "credit-before-the-site", "placeholder-og-title", "og-title-is-the-site-name"])
def test_title_part_confirmed_by_a_visible_heading(head, body, fallback, expected, source):
    chosen = choose_title(read_declared(page(head, body)), fallback, "example.com")

    assert (chosen.value, chosen.source) == (expected, source)


@pytest.mark.parametrize("head, body, fallback, expected", [
    # og:title that only repeats the description (a dek) while the <h1> shows the headline
    (meta("og:title", "It has been a rough month for the ferry") + meta("og:description", "It has been a rough "
     "month for the ferry.") + "<title>What is holding up the ferry?</title>", "<h1>What is holding up the ferry?</h1>",
     None, "What is holding up the ferry?"),
    (meta("og:title", "Ferry returns to the island") + meta("description", "Ferry returns to the island"),
     "<h1>Ferry returns to the island</h1>", None, "Ferry returns to the island"),  # the description is the title
    # a part in brackets that the headline shown on the page goes without: a marker or a source credit
    (meta("og:title", "Ferry returns to the island (Published 2016)"), "<h1>Ferry returns to the island</h1>", None,
     "Ferry returns to the island"),
    (meta("og:title", "島にフェリーが戻る「定期便」（港湾ニュース） - 例ニュース") + meta("og:site_name", "例ニュース"),
     "<h1>島にフェリーが戻る「定期便」</h1>", None, "島にフェリーが戻る「定期便」"),
    (meta("og:title", "Ferry returns to the island (Video)"), "", None, "Ferry returns to the island (Video)"),
    (meta("og:title", "Ferry returns to the island (AFP)"), "<h1>Ferry returns to the island</h1>", None,
     "Ferry returns to the island (AFP)"),  # an agency credit stays, for `agency`
    # a company's name at either end is the publisher's
    (meta("og:title", "Ferry returns to the island | Harbour Lines Co., Ltd."), "", None, "Ferry returns to the island"),
    (meta("og:title", "島にフェリーが戻る｜港湾ライン株式会社"), "", None, "島にフェリーが戻る"),
    (meta("og:title", "Statt Fähre & Co.: So kommt man auf die Insel"), "", None,
     "Statt Fähre & Co.: So kommt man auf die Insel"),  # "& Co." is "and the like", not a company
    # trafilatura's heading that shares no word with the <title>: a widget's
    ("<title>Ferry returns to the island</title>", "", "Original text", "Ferry returns to the island"),
    ("<title>Harbour Notes</title>" + meta("og:site_name", "Harbour Notes"), "", "Ferry returns to the island",
     "Ferry returns to the island"),  # a <title> that is only the site's name proves nothing
    # application-name filled with the headline that <title> and the page's one <h1> show: not the site's name
    ("<title>Ferry returns to the island</title>" + meta("application-name", "Ferry returns to the island", "name"),
     "<h1>Ferry returns to the island</h1><p>Text.</p>", "Ferry returns to the island", "Ferry returns to the island"),
    # ... while a blog's name in its <h1> stays the site's name
    ("<title>Harbour Notes: Ferry returns - AFP</title>" + meta("og:site_name", "Harbour Notes"),
     '<h1>Harbour Notes</h1><h3 class="post-title">Ferry returns</h3>', "Harbour Notes", "Ferry returns - AFP"),
    # the article's declared section after the headline, with a separator or a bare dash
    (meta("og:title", "Ferry returns to the island - Travel | Harbour Daily") + meta("og:site_name", "Harbour Daily")
     + meta("article:section", "Travel"), "", None, "Ferry returns to the island"),
    (meta("og:title", "渡轮恢复通航-旅游ㅣ港口日报") + meta("og:site_name", "港口日报")
     + '<script type="application/ld+json">{"@type": "NewsArticle", "articleSection": ["旅游"]}</script>', "", None,
     "渡轮恢复通航"),
    (meta("og:title", "Travel") + meta("article:section", "Travel"), "", None, "Travel"),  # nothing but the section
    # a section only the page's scripts name, cut where the headline meta tag says the headline ends
    (meta("og:title", "Ferry returns to the island-Travel | Harbour Daily") + meta("og:site_name", "Harbour Daily")
     + meta("headline", "Ferry returns to the island", "name"), "", None, "Ferry returns to the island"),
    # ... while a rest that does not name the site may be the headline's own: kept
    (meta("og:title", "Ferry returns to the island - Travel tips") + meta("headline", "Ferry returns to the island",
     "name"), "", None, "Ferry returns to the island - Travel tips"),
    ("<title>Ferry returns to the island | Harbour Daily</title>", "", "渡轮恢复通航", "渡轮恢复通航"),
    ("<title>渡轮恢复通航_港口日报</title>", "", "港口渡轮今日恢复", "港口渡轮今日恢复"),
], ids=["dek-in-og-title", "description-is-the-title", "bracketed-marker", "bracketed-credit-then-site",
        "brackets-unconfirmed-kept", "bracketed-agency-kept", "company-suffix", "japanese-company",
        "and-co-kept", "widget-heading", "site-name-title", "application-name-is-the-headline",
        "blog-name-in-h1", "section-suffix", "section-bare-dash",
        "only-the-section", "headline-meta-confirms-the-cut", "headline-meta-rest-kept", "heading-in-another-script",
        "unspaced-script"])
def test_title_kinds_from_pages_nobody_tuned_for(head, body, fallback, expected):
    assert choose_title(read_declared(page(head, body)), fallback, "example.com").value == expected


@pytest.mark.parametrize("head, expected", [
    (meta("author", "Harbour Media Inc.", "name") + meta("author", "Jane Doe", "name"), ["Jane Doe"]),
    (meta("copyright", "Copyright (c) Harbour Media 2024. All rights reserved.", "name")
     + meta("author", "Harbour Media", "name") + meta("article:author", "Jane Doe"), ["Jane Doe"]),
    (meta("author", "港湾メディア株式会社", "name") + meta("author", "小暮ひさのり", "name"), ["小暮ひさのり"]),
    (meta("author", "Harbour Media Inc.", "name"), ["Harbour Media Inc"]),  # nobody else: it stands
    (ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Jane Doe"},
                                            {"@type": "Organization", "name": "Daily Example"}]}) + SITE,
     ["Jane Doe", "Daily Example"]),  # the site's own name next to a person stays: the page credits both
], ids=["legal-form", "copyright-holder", "japanese-legal-form", "company-alone", "site-name-next-to-person"])
def test_publishing_company_is_no_author_next_to_a_person(head, expected):
    assert choose_authors(read_declared(page(head)), [], "example.com").value == expected


@pytest.mark.parametrize("body, names, expected", [
    ('<div class="byline"><span>Sam Stein</span><span>Senior Politics Editor, The Daily Example</span></div>',
     ["Sam Stein Senior Politics Editor", "The Daily Example"], ["Sam Stein"]),
    ('<p><a href="/a/jd">Jane Doe</a><time>May 20, 2019</time></p>', ["Jane Doe May"], ["Jane Doe"]),
    ('<p><a href="/a/jd">Jane Doe</a><button>Link Copied</button></p>', ["Jane Doe Link Copied"], ["Jane Doe"]),
    ('<p><a href="/a/ab">Ann Berg</a>, <a href="/a/jd">Jane Doe</a><span>Updated</span></p>',
     ["Ann Berg", "Jane Doe Updated"], ["Ann Berg", "Jane Doe"]),
    ('<p><a href="/a/mm">Michael J Mooney</a></p>', ["Michael J Mooney"], ["Michael J Mooney"]),  # one element
    ("<p>Ursula von der Leyen said so.</p>", ["Ursula von der Leyen"], ["Ursula von der Leyen"]),  # no shorter one
    ('<p><a>Jane Doe</a> and <a>John Smith</a></p>', ["Jane Doe", "John Smith"], ["Jane Doe", "John Smith"]),
], ids=["role-then-site", "date", "button", "second-name", "one-element", "no-element-starts-it", "two-names"])
def test_unglued_byline(body, names, expected):
    assert unglued(names, page(body=body)) == expected


@pytest.mark.parametrize("head, body, fallback, expected", [
    # a CMS's login name gives way to a byline that prints the name
    (meta("sailthru.author", "jdoe", "name") + meta("article_author", "Jane Doe | jdoe@example.com", "name"), "", [],
     ["Jane Doe"]),
    (meta("sailthru.author", "jdoe", "name"), "", ["Jane Doe"], ["Jane Doe"]),
    (meta("author", "jdoe", "name"), "", [], ["jdoe"]),  # nothing else: it stands
    # the page's first rel="author" link, when nothing else names anyone
    ("", '<div class="profile"><a rel="author" href="/people/jd"><span>Jane Doe</span></a></div>'
         '<aside><a rel="author" href="/people/js">John Smith</a></aside>', [], ["Jane Doe"]),
    (meta("author", "Ann Berg", "name"), '<a rel="author" href="/people/jd">Jane Doe</a>', [], ["Ann Berg"]),
], ids=["login-name-then-byline-meta", "login-name-then-trafilatura", "login-name-alone", "author-link-last-resort",
        "author-link-after-the-others"])
def test_login_names_and_author_links(head, body, fallback, expected):
    assert choose_authors(read_declared(page(head, body)), fallback, "example.com").value == expected


@pytest.mark.parametrize("body, names", [
    ('<div><span>By </span><a href="/profile/jd">Jane Doe</a><time>Dec. 2, 2016</time></div>', ["Jane Doe"]),
    ("<div>By <span>Jane Doe</span></div><div>Published <time>February 24, 2020</time></div>", ["Jane Doe"]),
    ('<div><span>By</span><div><a href="/author/jd">Jane Doe</a></div></div>', ["Jane Doe"]),
    ('<div>January 17, 2017 at 6:08 PM ET by <a href="/blog/author/jd">Jane Doe</a></div>', ["Jane Doe"]),
    ('<p>By <a href="/a/jd">Jane Doe</a> and <a href="/a/js">John Smith</a> in Oslo</p>', ["Jane Doe", "John Smith"]),
    ('<p>Photo by <a href="/credits">Jane Doe</a></p>', []),  # a photographer's credit
    ('<footer>Powered by <a href="https://cms.example">Example CMS</a></footer>', []),
    ('<a href="/other-story"><span>By </span><b>Jane Doe</b></a>', []),  # another story's teaser
    ("<p>By <span>the end of the year</span> the barrier stands.</p>", []),  # not names
], ids=["by-span-then-link", "by-then-span", "by-then-block", "date-then-by", "two-names", "photo-credit",
        "powered-by", "inside-a-link", "sentence"])
def test_by_element(body, names):
    assert by_element(visible_texts(page(body=body))) == names


def test_by_element_comes_after_trafilatura_and_needs_full_names_over_the_site_name():
    declared = read_declared(page(SITE + meta("author", "Daily Example", "name"), '<p>Von <a href="/apa">APA</a></p>'))

    assert choose_authors(declared, [], "example.com").value == ["Daily Example"]
    assert choose_authors(read_declared(page(body='<p><span>By </span><a>Jane Doe</a></p>')), ["John Smith"],
                          "example.com").value == ["John Smith"]
