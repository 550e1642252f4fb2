"""Unit tests of tasks.extraction.dates: dates in URLs, printed lines and the page's day/month order."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from trafilatura.utils import load_html

from tasks.extraction.dates import day_first, parse_date, printed_published, url_date
from tasks.extraction.markup import visible_texts

UTC = timezone.utc


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
