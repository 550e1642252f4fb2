"""Unit tests of tasks.extraction.dates: dates in URLs, printed lines and the page's day/month order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from trafilatura.utils import load_html

from tasks.extraction.dates import (
    ambiguous_order,
    date_languages,
    day_first,
    day_month_order,
    header_dates,
    numeric_order,
    parse_date,
    parse_printed,
    printed_published,
    stated_offset,
    url_date,
)
from tasks.extraction.markup import visible_texts

UTC = timezone.utc
FETCHED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("url, expected", [
    ("https://isle.example/news/2026/05/11/ferry-returns", datetime(2026, 5, 11, tzinfo=UTC)),
    ("https://isle.example/2026-05-11-ferry-returns", datetime(2026, 5, 11, tzinfo=UTC)),
    ("https://isle.example/20260511/ferry", datetime(2026, 5, 11, tzinfo=UTC)),
    ("https://isle.example/2026/05/ferry", None),  # a month is no day
    ("https://isle.example/a/202605119988/ferry", None),  # an id, not a date
    ("https://isle.example/2026/02/31/ferry", None),
    (None, None),
], ids=["slashes", "dashes", "compact", "month-only", "long-number", "no-such-day", "none"])
def test_url_date(url, expected):
    assert url_date(url) == expected


@pytest.mark.parametrize("locale, expected", [
    ("en-US", False), ("en", False), ("en_PH", False), ("en-GB", True), ("en-IN", True), ("de-DE", True),
    ("tr", True), ("fr-CA", True), (None, True),
])
def test_day_first(locale, expected):
    assert day_first(locale) is expected


@pytest.mark.parametrize("body, expected", [
    ("<p class='meta'>Published 3 March 2026 · Last updated 19 November 2026</p>", ["3 march 2026"]),
    ("<div>Publié le <time>12/05/2026</time> à 10h15 | Mis à jour le 13/05/2026</div>", ["12/05/2026 à 10h15"]),
    ("<p>Yayınlanma: 03.04.2026 10:15 Güncelleme: 04.04.2026</p>", ["03.04.2026 10:15"]),
    ("<p>She posted the letter to the council on Monday after the meeting had ended without a vote on the "
     "bridge, which residents have asked for since the old one was closed in the winter storms of 2019.</p>", []),
    ("<p>Last updated 19 November 2026</p>", []),
    # Japanese and Chinese print the label after the date
    ("<div><span>»</span> <span id='stamp'>2026年03月05日 09時30分 公開</span></div>", ["2026年03月05日 09時30分"]),
    ("<p>2026年3月5日 发布 | 更新 2026年3月6日</p>", ["2026年3月5日"]),
], ids=["english", "french-time", "turkish", "prose-is-no-line", "updated-only", "japanese-label-after",
        "chinese-label-after"])
def test_printed_published(body, expected):
    assert printed_published(visible_texts(load_html(f"<html><body>{body}<p>text</p></body></html>"))) == expected


@pytest.mark.parametrize("value", ["", "soon", "12", "2026-13-45", "x" * 200])
def test_parse_date_gives_none_for_no_date(value):
    assert parse_date(value) is None


@pytest.mark.parametrize("value, languages, expected", [
    ("November 30, 2026 11:45 PM EST", ("en",), datetime(2026, 12, 1, 4, 45, tzinfo=UTC)),
    ("November 30, 2026 8:15 AM KST", ("en",), datetime(2026, 11, 29, 23, 15, tzinfo=UTC)),
    ("30 Nov 2026 11:45 +0530", ("en",), datetime(2026, 11, 30, 6, 15, tzinfo=UTC)),
    ("28 Mei 2026 14:30 WIB", ("id", "en"), datetime(2026, 5, 28, 7, 30, tzinfo=UTC)),
    ("Tue, 03 Mar 2026 10:00:00 GMT", ("en",), datetime(2026, 3, 3, 10, 0, tzinfo=UTC)),
    ("2026-11-30T23:20:00-05:00", ("en",), datetime(2026, 12, 1, 4, 20, tzinfo=UTC)),
], ids=["12-hour-est", "12-hour-kst", "offset", "indonesian-wib", "rfc-2822", "iso-offset"])
def test_a_time_with_its_zone_is_the_exact_instant(value, languages, expected):
    parsed = parse_date(value, languages=languages)

    assert parsed == expected and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value, expected", [
    ("November 30, 2026 1:18 PM", datetime(2026, 11, 30, 13, 18)),
    ("November 30, 2026 12:05 AM", datetime(2026, 11, 30, 0, 5)),
    ("11/30/2026 1:18 PM", datetime(2026, 11, 30, 13, 18)),
    ("Tue, 03 Mar 2026 10:00:00", datetime(2026, 3, 3, 10, 0)),
    ("2026-01-29T18:40", datetime(2026, 1, 29, 18, 40)),
    ("30 November 2026", datetime(2026, 11, 30)),
], ids=["12-hour-pm", "12-hour-midnight", "numeric-pm", "rfc-2822-no-zone", "iso-no-offset", "day-only"])
def test_a_time_without_zone_is_its_wall_time(value, expected):
    """No zone, no guessed shift: the naive wall time as printed, for the caller to place."""
    assert parse_date(value, first_day=False) == expected


@pytest.mark.parametrize("value, languages, expected", [
    ("10 days ago", ("en",), datetime(2026, 11, 21, 8, 0, tzinfo=UTC)),
    ("3 hours ago", ("en",), datetime(2026, 12, 1, 5, 0, tzinfo=UTC)),
    ("vor 2 Tagen", ("de", "en"), datetime(2026, 11, 29, 8, 0, tzinfo=UTC)),
    ("il y a 3 jours", ("fr", "en"), datetime(2026, 11, 28, 8, 0, tzinfo=UTC)),
    ("yesterday", ("en",), datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
], ids=["days-ago", "hours-ago", "german", "french", "yesterday"])
def test_a_relative_date_counts_back_from_the_fetch_time(value, languages, expected):
    assert parse_date(value, languages=languages, relative_to=FETCHED) == expected
    # The same value on every run: without a fetch time it is no date, never one counted from today.
    assert parse_date(value, languages=languages) is None


@pytest.mark.parametrize("locale, value, expected", [
    ("no", "3. mai 2026", datetime(2026, 5, 3)),
    ("iw", "3 במאי 2026", datetime(2026, 5, 3)),
    ("in", "28 Mei 2026", datetime(2026, 5, 28)),
    ("sh", "3. svibnja 2026.", datetime(2026, 5, 3)),
    ("la", "3 May 2026", datetime(2026, 5, 3)),
    ("xx-YY", "3 May 2026", datetime(2026, 5, 3)),
], ids=["norwegian-legacy", "hebrew-legacy", "indonesian-legacy", "serbo-croatian", "latin-unknown-to-dateparser",
        "no-such-language"])
def test_any_language_code_reads_the_dates_it_can(locale, value, expected):
    assert parse_date(value, languages=date_languages(locale)) == expected


def test_date_languages_are_ones_dateparser_knows():
    assert date_languages("no") == ("nb", "en")
    assert date_languages("iw-IL") == ("he", "en")
    assert date_languages("la") == ("en",)
    assert date_languages(None) == ("en",)


@pytest.mark.parametrize("value", ["November 30, 2026 11:45 PM EST", "30 Nov 2026"])
def test_only_rfc_2822_goes_to_the_mail_parser(value):
    """email.utils reads "November 30, 2026 11:45 PM EST" as 11:45 UTC: such values go to dateparser."""
    assert parse_date(value) != datetime(2026, 11, 30, 11, 45, tzinfo=UTC)


@pytest.mark.parametrize("locales, host, other, expected", [
    (["en", "en_GB"], None, None, (True, "the locale en_GB")),
    (["en-US"], "paper.co.uk", True, (False, "the locale en-US")),
    (["en"], None, True, (True, "the page's other dates")),
    (["en"], None, False, (False, "the page's other dates")),
    (["de"], None, None, (True, "the language de")),
    (["en"], "eastmoor.co.uk", None, (True, "the domain .uk")),
    (["en"], "news.example.us", None, (False, "the domain .us")),
    (["en"], "example.com", None, (False, None)),
    ([], "example.ca", None, (False, None)),
], ids=["og-locale-region", "region-beats-domain", "other-dates-day-first", "other-dates-month-first",
        "other-language", "uk-domain", "us-domain", "guess", "canada-says-nothing"])
def test_day_month_order_from_the_best_evidence(locales, host, other, expected):
    order = day_month_order(locales, host, other)

    assert (order.day_first, order.evidence) == expected


@pytest.mark.parametrize("texts, expected", [
    (["Comments: 25/11/2026 at 10:00"], True),
    (["Updated 11/25/2026"], False),
    (["04/11/2026", "05/11/2026"], None),
    (["25/11/2026", "11/25/2026"], None),
    (["Version 1.25.2026"], None),
], ids=["day-over-12", "month-first", "both-ambiguous", "disagree", "not-a-date"])
def test_numeric_order_from_the_pages_plain_dates(texts, expected):
    assert numeric_order(texts) is expected


@pytest.mark.parametrize("value, expected", [
    ("04/11/2026 09:30", True), ("04.11.2026", False), ("13/11/2026", False), ("04/04/2026", False),
    ("2026-04-11", False),
])
def test_ambiguous_order(value, expected):
    assert ambiguous_order(value) is expected


def test_stated_offset_is_the_pages_own_zone_not_utc():
    assert stated_offset(["2026-11-30T09:00:00-05:00", "2026-11-30T10:00:00-05:00", "2026-11-30T15:00:00+01:00"]) \
        == timezone(timedelta(hours=-5))
    assert stated_offset(["2026-11-30T09:00:00Z", "2026-11-30", "not a date"]) is None


def test_parse_printed_reads_the_longest_start():
    assert parse_printed("november 30, 2026 11:45 pm est by the desk") == datetime(2026, 12, 1, 4, 45, tzinfo=UTC)


@pytest.mark.parametrize("body, expected", [
    ("<h1>Headline</h1><div><span>December 18, 2025 ・ 3 min read</span></div><p>" + "Word " * 30 + "</p>",
     ["december 18, 2025 ・ 3 min read"]),
    ("<p>Saturday, March 14, 2026</p><h1>Headline</h1><p>By Jane Doe</p><time>Feb 4, 2025</time>",
     ["feb 4, 2025"]),  # the site's own date bar above the headline is not the article's
    ("<h1>Headline</h1><p>" + "Word " * 30 + "</p><p>Posted 3 March 2026</p>", []),  # after the prose begins
    ("<p>March 3, 2026</p><p>No headline on this page at all.</p>", []),
], ids=["date-and-reading-time", "after-the-headline-only", "not-in-the-text", "no-h1"])
def test_header_dates(body, expected):
    assert header_dates(visible_texts(load_html(f"<html><body>{body}</body></html>"))) == expected
