"""Unit tests of the pure parts of tests/corpora/build_web_corpus.py: how expected output becomes truth
rows (text, names, dates), how pages are grouped by site, and how sites are split. The build itself reads
mirrors of public repositories that are not part of the checkout, so it is not run here."""

from __future__ import annotations

import pytest

from tests.corpora.build_web_corpus import (
    _js_value,
    _mercury_day,
    held_out,
    html_to_text,
    iso_instant,
    restore_meta_content,
    site_of,
    split_byline,
)


def test_html_to_text_gives_one_paragraph_per_block_and_keeps_captions():
    markup = ("<div><h2>Heading</h2><p>First <b>bold</b>\n  words.</p><ul><li>one</li><li>two</li></ul>"
              "<figure><img src='x'><figcaption>A caption</figcaption></figure>"
              "<p>Line<br>break</p><table><tr><td>a</td><td>b</td></tr></table>"
              "<script>var x;</script><p>Last</p></div>")

    assert html_to_text(markup) == "Heading\n\nFirst bold words.\n\none\n\ntwo\n\nA caption\n\nLine\nbreak\n\na b\n\nLast"


@pytest.mark.parametrize("byline, names", [
    ("By Erin Cunningham", ["Erin Cunningham"]),
    ("Par Sébastien Farcis", ["Sébastien Farcis"]),
    ("Stella Kim, Jennifer Jett", ["Stella Kim", "Jennifer Jett"]),
    ("JOSH HASKELL, DAVID CAPLAN and PATRICK REEVELL", ["JOSH HASKELL", "DAVID CAPLAN", "PATRICK REEVELL"]),
    ("By\n\t\t\tScott Cunningham", ["Scott Cunningham"]),
    ("", None),
    (None, None),
])
def test_split_byline(byline, names):
    assert split_byline(byline) == names


@pytest.mark.parametrize("url, site", [
    ("http://news.bbc.co.uk/a", "bbc.co.uk"),
    ("https://www1.folha.uol.com.br/x", "uol.com.br"),
    ("http://headlines.yahoo.co.jp/hl?a=1", "yahoo.co.jp"),
    ("https://money.cnn.com/x", "cnn.com"),
    ("https://www.theguardian.com/x", "theguardian.com"),
])
def test_site_of_is_the_registrable_domain(url, site):
    assert site_of(url) == site


def test_the_split_holds_out_a_third_of_sites_and_depends_on_the_site_alone():
    sites = [f"site{i}.example" for i in range(3000)]

    share = sum(map(held_out, sites)) / len(sites)

    assert 0.30 < share < 0.36
    assert [held_out(s) for s in sites[:50]] == [held_out(s) for s in sites[:50]]


@pytest.mark.parametrize("value, instant", [
    ("2021-11-01T10:52:50+0100", "2021-11-01 10:52:50+01:00"),
    ("2019-01-03T07:00:02.000Z", "2019-01-03 07:00:02+00:00"),
    ("2020-09-21", "2020-09-21 00:00:00"),
    ("not a date", None),
    (None, None),
])
def test_iso_instant(value, instant):
    assert iso_instant(value) == instant


@pytest.mark.parametrize("value, japanese, truth", [
    ("2019-04-03T15:00:00.000Z", True, "2019-04-04"),  # midnight in Japan: the day the page printed
    ("2019-04-13T00:00:00.000Z", False, "2019-04-13"),  # a day without a time
    ("2016-12-16T21:19:00.000Z", False, "2016-12-16 21:19:00+00:00"),  # a time: kept as an instant
    ("2019-04-03T15:00:00.000Z", False, "2019-04-03 15:00:00+00:00"),
    (None, False, None),
])
def test_mercury_day(value, japanese, truth):
    assert _mercury_day(value, japanese) == truth


@pytest.mark.parametrize("literal, value", [
    ("'Daniel Bader'", "Daniel Bader"),
    ('"Son of slain officer\'s bears"', "Son of slain officer's bears"),
    ("`メディア芸術祭賞`", "メディア芸術祭賞"),
    ("'Nathan\\xa0Tempey'", "Nathan\xa0Tempey"),
    ("'It\\'s ' + 'two parts'", "It's two parts"),
    ("null", None),
])
def test_js_value_reads_a_javascript_string_expression(literal, value):
    assert _js_value(literal) == value


def test_restore_meta_content_renames_value_on_meta_tags_only():
    saved = ('<meta name="author" value="Jane Doe"><meta property="og:title" content="T" value="x">'
             '<input name="q" value="search"><META NAME="date" VALUE="2020-01-02">')
    assert restore_meta_content(saved) == (
        '<meta name="author" content="Jane Doe"><meta property="og:title" content="T" value="x">'
        '<input name="q" value="search"><META NAME="date" content="2020-01-02">')
