"""Unit tests of tasks.extraction.page: one raw page to a document row or a reject."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from trafilatura.utils import load_html

from tasks.extraction.page import count_words, declared_language, document_id, extract_page, language_code
from tasks.lake.storage import ObjectInfo, open_store
from tasks.records import Limits, RawPage, Reject, SourcePointer, hostname_of
from tasks.sources.demo_corpus import PAGES, SEED_POSTED, SEED_STORY, seed_repost_page, split_story
from tasks.sources.readers import read_object

UTC = timezone.utc
FETCHED_AT = datetime(2024, 3, 16, 6, 5, tzinfo=UTC)
URL = "https://www.harbour-gazette.example/news/council-approves-flood-barrier"
TITLE = "Harbour council approves flood barrier"

ARTICLE = [
    "The harbour council voted on Tuesday evening to build a movable flood barrier across the mouth of the river.",
    "Residents of the old quay have been flooded twice in the last three winters, and several shops never reopened.",
    "Engineers expect the barrier to take four years to build and to cost slightly more than the original estimate.",
    "Opponents argued that the money would be better spent on raising the existing walls along the eastern bank.",
    "The first construction contracts are due to be signed next spring, once the final designs have been approved.",
]
NAVIGATION = ["Weather and tides", "Local news", "Subscribe to the print edition"]
COMMENTS = [
    "Reader comment: I have lived beside the quay for forty years and the council never listens to the east bank.",
    "Reader comment: this barrier is a waste of money and the contractors will be the only ones who benefit from it.",
]
FOOTER = ["Harbour Gazette Media Limited, registered in England and Wales as company 01234567."]


def article_page(html_attrs: str = 'lang="en-GB"', head: str = "") -> str:
    """A news page: menus, an article of real sentences, a comments section and a footer."""
    nav = "".join(f'<li><a href="/{i}">{label}</a></li>' for i, label in enumerate(NAVIGATION))
    body = "\n".join(f"<p>{s}</p>" for s in ARTICLE)
    comments = "\n".join(f'<div class="comment"><p>{c}</p></div>' for c in COMMENTS)
    return f"""<!DOCTYPE html>
<html {html_attrs}>
<head><title>{TITLE}</title>{head}</head>
<body>
<header><nav class="menu"><ul>{nav}</ul></nav></header>
<main>
<article><h1>{TITLE}</h1>
{body}
</article>
<section id="comments" class="comments"><h3>Reader comments</h3>
{comments}
</section>
</main>
<footer><p>Copyright 2024 {FOOTER[0]}</p><ul><li><a href="/privacy">Privacy</a></li></ul></footer>
</body>
</html>"""


def raw_page(body: bytes | str, url: str | None = URL, fetched_at: datetime | None = FETCHED_AT,
             status: int | None = 200, charset: str | None = None) -> RawPage:
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8"))
    return RawPage(SourcePointer("/raw/dt=2024-03-16/news.jsonl.gz", line=7), url, body, fetched_at, status, charset,
                   size)


def extract_ok(page: RawPage, limits: Limits = Limits()) -> dict:
    result = extract_page(page, limits)
    assert isinstance(result, dict), f"expected a document, got {result!r}"
    return result


def jsonld(**article) -> str:
    return '<script type="application/ld+json">' + json.dumps(
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": TITLE, **article}) + "</script>"


# --- main text ---------------------------------------------------------------------------------------------------

def test_text_keeps_the_article_and_drops_navigation_footer_and_comments():
    doc = extract_ok(raw_page(article_page().encode("utf-8")))

    for sentence in ARTICLE:
        assert sentence in doc["text"]
    for boilerplate in NAVIGATION + COMMENTS + FOOTER:
        assert boilerplate not in doc["text"]


def test_row_fields_describe_the_page_and_its_source():
    page = raw_page(article_page().encode("utf-8"))

    doc = extract_ok(page)

    assert doc["url"] == URL
    assert doc["word_count"] == count_words(doc["text"])
    assert doc["content_sha256"] == hashlib.sha256(doc["text"].encode("utf-8")).hexdigest()
    assert doc["doc_id"] == document_id(URL, FETCHED_AT)
    assert doc["fetched_at"] == FETCHED_AT and doc["http_status"] == 200
    assert (doc["source_uri"], doc["source_line"], doc["source_offset"]) == (page.source.uri, 7, None)


# --- metadata ----------------------------------------------------------------------------------------------------

META_AUTHORS = '<meta name="author" content="Jane Doe; John Smith">'
META_PUBLISHED = '<meta property="article:published_time" content="2024-03-15T09:30:00+00:00">'
JSONLD_AUTHORS = jsonld(datePublished="2024-03-15",
                        author=[{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Smith"}])


@pytest.mark.parametrize("head, field, expected", [
    ("", "title", TITLE),
    (META_AUTHORS, "authors", ["Jane Doe", "John Smith"]),
    (JSONLD_AUTHORS, "authors", ["Jane Doe", "John Smith"]),
    ("", "authors", []),
    (META_PUBLISHED, "published_at", datetime(2024, 3, 15, 9, 30, tzinfo=UTC)),
    (JSONLD_AUTHORS, "published_at", datetime(2024, 3, 15, tzinfo=UTC)),
], ids=["title", "authors-meta", "authors-json-ld", "no-authors", "published-meta", "published-json-ld"])
def test_metadata_fields(head, field, expected):
    doc = extract_ok(raw_page(article_page(head=head).encode("utf-8")))

    assert doc[field] == expected


@pytest.mark.parametrize("head, expected", [
    ('<meta property="article:published_time" content="2024-03-15T23:30:00-05:00">',
     datetime(2024, 3, 16, 4, 30, tzinfo=UTC)),
    ('<meta property="article:published_time" content="2024-03-15">', datetime(2024, 3, 15, tzinfo=UTC)),
], ids=["time-with-offset", "day-only"])
def test_published_at_is_the_declared_instant_in_utc(head, expected):
    """A declared time is converted to UTC with its own offset; a bare day is midnight UTC."""
    published = extract_ok(raw_page(article_page(head=head).encode("utf-8")))["published_at"]

    assert published == expected
    assert published.utcoffset() == timedelta(0)


DECLARATIONS = [
    ('lang="en-GB"', "", "en"),
    ('lang="de"', "", "de"),
    ('lang="PT_br"', "", "pt"),
    ('lang="english"', "", None),
    ('lang="xx"', "", None),
    ('lang=""', "", None),
    ("", "", None),
    ("", '<meta http-equiv="content-language" content="fr-CA">', "fr"),
    ("", '<meta property="og:locale" content="es_ES">', "es"),
]
DECLARATION_IDS = ["en-GB", "de", "pt_BR-mixed-case", "word", "not-iso-639-1", "empty", "undeclared",
                   "content-language", "og-locale"]


@pytest.mark.parametrize("html_attrs, head, expected", DECLARATIONS, ids=DECLARATION_IDS)
def test_declared_language_is_an_iso_639_1_code(html_attrs, head, expected):
    assert declared_language(load_html(article_page(html_attrs, head))) == expected


@pytest.mark.parametrize("html_attrs, head", [case[:2] for case in DECLARATIONS], ids=DECLARATION_IDS)
def test_language_is_the_texts_whatever_the_page_declares(html_attrs, head):
    """The article is English: a page template declaring another language, or none, does not change that."""
    assert extract_ok(raw_page(article_page(html_attrs, head).encode("utf-8")))["language"] == "en"


@pytest.mark.parametrize("tag, expected", [
    ("en-GB", "en"), ("zh-Hant-TW", "zh"), (" ja", "ja"), ("eng", None), ("e1", None), ("", None), (None, None),
])
def test_language_code(tag, expected):
    assert language_code(tag) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://www.harbour-gazette.example/news/x", "harbour-gazette.example"),
    ("https://WWW.Example.ORG/a", "example.org"),
    ("http://news.example.org:8080/a?b=c", "news.example.org"),
    ("https://wwwhat.example/", "wwwhat.example"),
    ("https://www2.example.com/", "www2.example.com"),
], ids=["www", "upper-case", "port", "www-prefix-of-a-word", "www2"])
def test_hostname_strips_www(url, expected):
    assert hostname_of(url) == expected
    assert extract_ok(raw_page(article_page().encode("utf-8"), url=url))["hostname"] == expected


# --- rejects -----------------------------------------------------------------------------------------------------

def test_menus_and_a_form_are_too_little_prose():
    result = extract_page(raw_page((PAGES / "members-login.html").read_bytes()), Limits())

    assert isinstance(result, Reject)
    assert result.reason == "too_little_prose"
    assert result.stage == "extract"


@pytest.mark.parametrize("status", [404, 500, 301, 199])
def test_non_2xx_status_is_rejected(status):
    page = raw_page(article_page().encode("utf-8"), status=status)

    result = extract_page(page, Limits())

    assert isinstance(result, Reject)
    assert result.reason == "http_status"
    assert (result.url, result.source, result.raw_bytes) == (page.url, page.source, page.raw_bytes)


@pytest.mark.parametrize("status", [200, 203, None])
def test_2xx_or_unknown_status_is_extracted(status):
    assert extract_ok(raw_page(article_page().encode("utf-8"), status=status))["http_status"] == status


@pytest.mark.parametrize("html", [
    "<html><head><title>Nothing here</title></head><body></body></html>",
    "<html><head><title>Script only</title></head><body><script>var a = 1;</script></body></html>",
    "<html><head><title>Empty divs</title></head><body><div><span> </span></div></body></html>",
], ids=["empty-body", "script-only", "empty-divs"])
def test_page_without_body_text_is_no_main_content(html):
    result = extract_page(raw_page(html), Limits())

    assert isinstance(result, Reject)
    assert result.reason == "no_main_content"


def client_rendered_page(script: str) -> str:
    """A page rendered in the browser: a shell of a body, the article only as data for its scripts."""
    return (f'<html lang="en"><head><title>{TITLE}</title><meta property="og:title" content="{TITLE}"></head>'
            f'<body><div id="__next"><div class="spinner">Loading</div></div>{script}</body></html>')


def article_html() -> str:
    return "".join(f'<p class="editor-p">{s}</p>' for s in ARTICLE)


@pytest.mark.parametrize("script", [
    # Next.js' page data
    '<script id="__NEXT_DATA__" type="application/json">'
    + json.dumps({"props": {"pageProps": {"article": {"title": TITLE, "contentHtml": article_html()}}}}) + "</script>",
    # a query cache pushed onto window, with HTML escaped as \u003c
    '<script>window["__RQ__"] = window["__RQ__"] || []; window["__RQ__"].push('
    + json.dumps({"queries": [{"data": {"detail": {"contentHtml": article_html()}}}]}).replace("<", "\\u003c")
    + ");</script>",
    # a JSON payload carried inside a JavaScript string (React server components' chunks)
    '<script>self.__next_f.push([1, ' + json.dumps("5:" + json.dumps({"body": article_html()})) + "])</script>",
], ids=["next-data", "query-cache", "string-in-a-string"])
def test_a_client_rendered_page_gives_its_article_from_the_script_data(script):
    doc = extract_ok(raw_page(client_rendered_page(script)))

    assert doc["text"].split("\n") == ARTICLE
    assert doc["title"] == TITLE
    assert "text: none in the markup, read from the page's script data" in doc["field_issues"]


def test_script_data_without_an_article_leaves_the_page_rejected():
    teaser = json.dumps({"teaser": "<p>One line.</p><p>Two lines.</p>" + "x" * 300, "widgets": ["<p>A</p>"] * 2})
    result = extract_page(raw_page(client_rendered_page(f"<script>var data = {teaser};</script>")), Limits())

    assert isinstance(result, Reject) and result.reason == "too_little_prose"  # "Loading"


def test_undecodable_page_is_rejected_at_decode():
    result = extract_page(raw_page(b""), Limits())

    assert isinstance(result, Reject)
    assert (result.reason, result.stage) == ("empty_page", "decode")


def test_url_with_a_lone_surrogate_is_rejected_by_the_reader(tmp_path):
    """A lone surrogate is a valid JSON escape but no URL; Parquet could not even store it in a reject."""
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps({"url": URL + "/\ud800", "html": article_page()}) + "\n", encoding="ascii")
    opened = open_store(str(tmp_path)).open(path.name)
    with opened.stream:
        [item] = read_object(ObjectInfo(str(path), path.stat().st_size), opened, Limits())
    assert isinstance(item, Reject) and item.reason == "invalid_url" and item.url is None


def test_an_exception_inside_extraction_costs_one_page_not_the_batch():
    page = raw_page(article_page().encode("utf-8"))
    page.url = URL + "/\ud800"  # document_id cannot encode it: the failure must come back as a reject

    result = extract_page(page, Limits())

    assert isinstance(result, Reject) and result.reason == "extract_error"


# --- ids and counting ----------------------------------------------------------------------------------------------

def test_document_id_is_stable_for_the_same_capture():
    page = raw_page(article_page().encode("utf-8"))

    first, second = extract_ok(page), extract_ok(raw_page(article_page().encode("utf-8")))

    assert first["doc_id"] == second["doc_id"] == document_id(URL, FETCHED_AT)


@pytest.mark.parametrize("url, fetched_at", [
    (URL, FETCHED_AT + timedelta(seconds=1)),
    (URL, FETCHED_AT + timedelta(days=1)),
    (URL, None),
    (URL + "?page=2", FETCHED_AT),
], ids=["one-second-later", "next-day", "unknown-fetch-time", "other-url"])
def test_document_id_differs_for_another_capture(url, fetched_at):
    base = extract_ok(raw_page(article_page().encode("utf-8")))

    other = extract_ok(raw_page(article_page().encode("utf-8"), url=url, fetched_at=fetched_at))

    assert other["doc_id"] != base["doc_id"]
    assert other["doc_id"] == document_id(url, fetched_at)


@pytest.mark.parametrize("text, expected", [
    ("", 0),
    ("Hello, world!", 2),
    ("It's a well-known fact.", 6),  # apostrophes and hyphens split words
    ("区立図書館", 5),
    ("ひらがなとカタカナ", 9),
    ("東京 Tokyo 2026年", 5),  # 東, 京, Tokyo, 2026, 年
    ("Москва — столица России", 3),
    ("\n  \t", 0),
], ids=["empty", "english", "punctuation", "kanji", "kana", "mixed", "cyrillic", "whitespace"])
def test_count_words_counts_each_cjk_character_as_a_word(text, expected):
    assert count_words(text) == expected


# --- the seed wire story ---------------------------------------------------------------------------------------------

@pytest.mark.skipif(not SEED_STORY.exists(), reason=f"seed story not present at {SEED_STORY}")
def test_seed_story_repost_keeps_the_story_and_drops_the_blog_furniture():
    story = SEED_STORY.read_text("utf-8")
    title, paragraphs = split_story(story)
    page = raw_page(seed_repost_page(story, SEED_POSTED), url="https://easterndesk.example/2010/11/russia-missile-defence.html")

    doc = extract_ok(page)

    assert paragraphs, "the seed story has paragraphs"
    for paragraph in paragraphs:
        assert paragraph in doc["text"]
    assert "Strategic partnership should be built on an equal basis." in doc["text"]  # the Lavrov quote
    assert "Der Spiegel" in doc["text"]
    assert "Post a Comment" not in doc["text"]
    assert "0 comments" not in doc["text"]
    assert title == "Russia says open to missile defence cooperation with NATO - AFP"
    assert doc["title"] == "Russia says open to missile defence cooperation with NATO"  # the credit is in `agency`
    assert (doc["dateline"], doc["agency"]) == ("SEOUL", "AFP")
    assert doc["published_at"] == SEED_POSTED  # the post's hAtom time, to the minute, in UTC


# --- field-level trust -------------------------------------------------------------------------------------------

def test_a_placeholder_date_never_costs_the_article():
    """JSON-LD's zero time (a CMS placeholder): the article is kept, dated by the printed line, and the drop is
    recorded for analysts to count."""
    head = jsonld(datePublished="0001-01-01T00:00:00Z", author={"@type": "Person", "name": "Jane Doe"})
    html = article_page(head=head).replace(f"<h1>{TITLE}</h1>", f"<h1>{TITLE}</h1><p>Published 14 March 2024</p>")
    page = raw_page(html.encode("utf-8"), url="https://www.harbour-gazette.example/2024/03/13/flood-barrier")

    doc = extract_ok(page)

    assert doc["published_at"] == datetime(2024, 3, 14, tzinfo=UTC)
    assert doc["field_sources"]["published_at"] == "page"
    assert doc["field_issues"] == ["published_at: placeholder 0001-01-01T00:00:00Z in JSON-LD"]
    assert all(sentence in doc["text"] for sentence in ARTICLE)


def test_field_sources_name_where_each_value_came_from():
    head = JSONLD_AUTHORS + '<meta property="og:title" content="Harbour council approves flood barrier">'

    doc = extract_ok(raw_page(article_page(head=head).encode("utf-8")))

    assert doc["field_sources"] == {"title": "meta", "authors": "json-ld", "published_at": "json-ld",
                                    "language": "text", "dateline": None, "agency": None, "page_kind": "json-ld"}
    assert doc["field_issues"] == []


def test_blog_copy_of_a_wire_story_gets_the_post_title_and_the_agency():
    html = article_page(head="").replace(f"<title>{TITLE}</title>", f"<title>Quay Watch: {TITLE} - AFP</title>")
    html = html.replace(f"<h1>{TITLE}</h1>", f'<h3 class="post-title entry-title">{TITLE} - AFP</h3>')

    doc = extract_ok(raw_page(html.encode("utf-8")))

    assert (doc["title"], doc["agency"]) == (TITLE, "AFP")
    assert doc["field_sources"]["title"] == doc["field_sources"]["agency"] == "page"


def test_a_text_read_with_the_wrong_code_page_is_re_decoded():
    """A crawler that decoded UTF-8 as windows-1252 hands over mojibake: it is never written as text."""
    mojibake = article_page().replace("council", "Gemeinderat Köln, Düsseldorf und Münster’s council").encode(
        "utf-8").decode("cp1252")
    assert "KÃ¶ln" in mojibake

    doc = extract_ok(raw_page(mojibake))

    assert "Köln" in doc["text"] and "Ã" not in doc["text"]
    assert "text: mojibake re-decoded: utf-8 that had been read as windows-1252" in doc["field_issues"]


def test_windows_1252_punctuation_stored_as_c1_controls_is_read_as_browsers_show_it():
    """A crawler decoded the page's windows-1252 bytes as ISO-8859-1 and stored text: its quotes, dashes and euro
    sign are C1 control characters. The text shows them as a browser does, and field_issues says what happened."""
    html = article_page(head="").replace(ARTICLE[1], "The mayor’s office – “at last” – put the cost at €4 million.")
    stored = html.encode("cp1252").decode("latin-1")

    doc = extract_ok(raw_page(stored))

    assert "The mayor’s office – “at last” – put the cost at €4 million." in doc["text"]
    assert doc["field_issues"] == ["text: 6 C1 control characters read as windows-1252 punctuation (the page had been "
                                   "decoded as ISO-8859-1, which browsers read as windows-1252)"]


@pytest.mark.parametrize("lang", ["no", "iw", "in", "ji", "sh", "la", "xx"])
def test_a_legacy_or_unknown_language_code_never_costs_the_page(lang):
    html = article_page(f'lang="{lang}"').replace(f"<h1>{TITLE}</h1>", f"<h1>{TITLE}</h1><p>Publisert 3. mars 2024</p>")

    doc = extract_ok(raw_page(html.encode("utf-8")))

    assert doc["language"] == "en"  # the text's
    assert doc["published_at"] == datetime(2024, 3, 3, tzinfo=UTC)
    if lang == "no":  # read in Norwegian (Bokmål) from the printed line
        assert doc["field_sources"]["published_at"] == "page"


@pytest.mark.parametrize("tag, expected", [("iw", "he"), ("in-ID", "id"), ("ji", "yi"), ("no", "no")])
def test_a_withdrawn_language_code_declares_its_successor(tag, expected):
    assert language_code(tag) == expected
