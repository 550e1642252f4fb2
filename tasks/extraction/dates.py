"""Dates as pages write them: declared values, printed "Published ..." lines, dates in URLs.

Pure functions over strings and lxml trees. Numeric dates are read in the page's own day/month
order: day first everywhere except in US-style English ("03/04/2026" is 3 April on a German or
British page, March 4 on an American one); a dotted date ("03.04.2026") is always day first, and a
date that starts with its four-digit year is always year-month-day. `day_month_order` says which
order a page uses and what told it. Dates written with month names, in any of the languages
dateparser knows, are read by dateparser (also on a 12-hour clock, "1:18 PM"), relative ones ("10
days ago", "vor 2 Tagen") counted back from the fetch time; a zone name or offset after the time
("11:45 PM EST", "+0530") is read by dateparser's own zone reader.

A value that states its time zone parses to an aware datetime in UTC (the exact instant); one that
does not parses to a naive datetime, its wall time as printed, for the caller to place in the zone
the page states elsewhere (`stated_offset`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

from tasks.extraction.language import LEGACY_CODES

# English-speaking regions that write the month first; plain "en" (no region) is mostly American sites.
MONTH_FIRST_REGIONS = frozenset({None, "us", "ph", "ca", "fm", "mh", "pw"})
# Country-code domains that say nothing of the order: Canada writes both; these are used as generic domains.
_NEUTRAL_DOMAINS = frozenset({"ca", "io", "co", "me", "tv", "ai", "fm", "ly", "gg", "to", "cc", "ws", "app"})
_LOCALE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?")
# Language codes a page may declare that dateparser knows under another code: the legacy ISO 639 codes
# ("iw" is Hebrew, "in" Indonesian) and the macrolanguages whose date words dateparser has for one
# member (Norwegian "no": Bokmål; Serbo-Croatian "sh": Croatian).
DATE_LANGUAGE_ALIASES = {**LEGACY_CODES, "no": "nb", "sh": "hr"}
# A numeric date with its separator, anywhere in a text: the page's other dates show its day/month order.
_NUMERIC_IN_TEXT = re.compile(r"(?<![\d/.-])(\d{1,2})([/-])(\d{1,2})\2((?:19|20)\d\d)(?![\d/-])")
# RFC 2822 as mail and feeds write it ("Tue, 03 Mar 2026 10:00:00 GMT"); the email module's own parser
# accepts much more ("November 30, 2026 11:45 PM EST" as 11:45 UTC), so only this shape goes to it.
_RFC2822 = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
                      r"(?:\s+(?:[+-]\d{4}|[A-Z]{1,5}))?$")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# The article's header: the text nodes after its headline and before its first sentence of prose.
HEADER_NODES = 40
HEADER_DATE_CHARS = 60
PROSE_WORDS = 20
_DATE_LIKE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# A second reference time for dateparser: a value it reads differently from two references is relative.
_OTHER_BASE = timedelta(days=1000)
_DAY_FIRST = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})\b")
_YEAR_FIRST = re.compile(r"^(\d{4})[./-](\d{1,2})[./-](\d{1,2})(?!\d)")
_TIME = re.compile(r"\b(\d{1,2})[:.h](\d{2})\b")
# A date in a URL's path: /2026/11/18/, /2026-11-18-slug, /20261118/ (not a longer number: an id).
_URL_DATE = re.compile(r"/((?:19|20)\d\d)(?:([/-])(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])|(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01]))"
                       r"(?=[/_.-]|$)")
# "Published", "Posted", and their translations, opening a printed line of the article's dates; "Datum" is
# the label of the article's date in German, Dutch and Swedish fact lists ("<strong>Datum</strong> 28.04.2023").
PUBLISHED_LABELS = (
    "published", "posted", "first published", "date published", "publication date", "datum", "publiceringsdatum",
    "erstellt", "erschienen am",
    "date de publication", "fecha de publicación", "data di pubblicazione", "data publikacji", "udgivelsesdato", "publié", "publiée", "publicado", "publicada", "pubblicato",
    "veröffentlicht", "erschienen", "gepubliceerd", "geplaatst", "opublikowano", "publikováno", "publicerad",
    "publisert", "publiceret", "udgivet", "julkaistu", "yayınlanma", "yayınlandı", "yayın tarihi",
    "diterbitkan", "dipublikasikan", "terbit", "פורסם", "опубликовано", "публикация", "发布时间", "发布", "發佈時間", "發布", "公開日", "公開", "掲載日", "掲載", "입력",
    "등록",
)
# What ends the published date in such a line: a separator or a label of the modification date.
MODIFIED_LABELS = (
    "updated", "last updated", "modified", "aktualisiert", "zuletzt aktualisiert", "stand", "mis à jour",
    "actualizado", "actualizada", "aggiornato", "bijgewerkt", "zaktualizowano", "aktualizováno",
    "uppdaterad", "oppdatert", "opdateret", "päivitetty", "güncellendi", "güncelleme", "обновлено",
    "更新", "수정",
)
_LABEL = re.compile(r"(?:^|[\s|·•,(])(" + "|".join(map(re.escape, sorted(PUBLISHED_LABELS, key=len, reverse=True)))
                    + r")(?:\s+(?:on|am|le|el|il|op|den|dnia|em))?\s*[:：]?\s*")  # on lower-cased text: faster
_END = re.compile(r"\s*(?:[|·•;()]|\b(?:" + "|".join(map(re.escape, MODIFIED_LABELS)) + r")\b)", re.IGNORECASE)
PRINTED_DATE_CHARS = 60
PRINTED_WORDS = 7
# A printed line of dates is short; a longer element is prose, where "posted" means something else.
_LINE_CHARS = 200
_INLINE = frozenset({"strong", "b", "em", "i", "span", "a", "small", "label", "time", "abbr", "font", "u"})


def day_first(locale: str | None) -> bool:
    """Whether numeric dates of a page in this locale ("en-US", "de", "tr_TR") put the day first."""
    match = _LOCALE.match(locale or "")
    if not match:
        return True
    language, region = match.group(1).lower(), (match.group(2) or "").lower() or None
    return not (language == "en" and region in MONTH_FIRST_REGIONS)


@dataclass(frozen=True)
class DateOrder:
    """The day/month order of a page's numeric dates, and what told it ("the locale en_GB", "the page's other
    dates", "the domain .uk"); `evidence` None: a guess (English with no region named anywhere: month first)."""

    day_first: bool
    evidence: str | None


def day_month_order(locales: list[str], hostname: str | None = None, other_dates: bool | None = None) -> DateOrder:
    """The order of a page's numeric dates, from the best evidence it gives: a locale that names a region
    (`<html lang>`, og:locale, Content-Language: "en_GB" is day first, "en-US" month first), the page's
    other numeric dates where the order is plain ("25/11/2026": `other_dates`, see `numeric_order`), a
    language other than English (day first), the country of the site's domain (.uk, .de day first; .us month
    first), else English with no region: month first, a guess (`evidence` None)."""
    matches = [(locale, m) for locale in locales if (m := _LOCALE.match(locale or ""))]
    for locale, match in matches:
        if match.group(2):
            return DateOrder(day_first(locale), f"the locale {locale.strip()}")
    if other_dates is not None:
        return DateOrder(other_dates, "the page's other dates")
    for locale, match in matches:
        if match.group(1).lower() != "en":
            return DateOrder(True, f"the language {locale.strip()}")
    domain = (hostname or "").rstrip(".").rsplit(".", 1)[-1].lower()
    if len(domain) == 2 and domain.isalpha() and domain not in _NEUTRAL_DOMAINS:
        return DateOrder(domain not in MONTH_FIRST_REGIONS, f"the domain .{domain}")
    return DateOrder(day_first(matches[0][0] if matches else "en"), None)


def numeric_order(texts: list[str]) -> bool | None:
    """What a page's numeric dates say of its order: True when one of them can only be day first
    ("25/11/2026"), False when one can only be month first ("11/25/2026"), None when none says or they
    disagree."""
    votes = set()
    for text in texts:
        for match in _NUMERIC_IN_TEXT.finditer(text):
            first, second = int(match.group(1)), int(match.group(3))
            if first > 12 >= second:
                votes.add(True)
            elif second > 12 >= first:
                votes.add(False)
    return votes.pop() if len(votes) == 1 else None


def ambiguous_order(value: str) -> bool:
    """Whether a numeric date reads as two different days in the two orders ("04/11/2026"; not "04.11.2026",
    always day first, nor "13/11/2026" or "04/04/2026")."""
    match = _DAY_FIRST.match(value.strip())
    return bool(match) and match.group(2) != "." and match.group(1) != match.group(3) \
        and int(match.group(1)) <= 12 and int(match.group(3)) <= 12


def date_languages(locale: str | None) -> tuple[str, ...]:
    """The languages whose month names dateparser should read on a page in `locale`: its language when
    dateparser knows it (under its own code: "no" -> "nb", "iw" -> "he", see DATE_LANGUAGE_ALIASES), then
    English. Any code, known or not, gives a usable tuple."""
    match = _LOCALE.match(locale or "")
    code = match.group(1).lower() if match else None
    code = DATE_LANGUAGE_ALIASES.get(code, code)
    return tuple(dict.fromkeys(c for c in (code, "en") if c and c in _dateparser_languages()))


def stated_offset(values: list[str]) -> timezone | None:
    """The UTC offset the page's own timestamps state (ISO 8601 values with an offset: JSON-LD, meta tags,
    `<time datetime>`), the most common one; None when none states one other than UTC. A time in UTC
    ("Z") is how a CMS stores it, not the zone the page prints its times in."""
    offsets = Counter()
    for value in values:
        value = (value or "").strip()
        try:
            offset = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value).utcoffset()
        except ValueError:
            continue
        if offset:
            offsets[offset] += 1
    return timezone(offsets.most_common(1)[0][0]) if offsets else None


def parse_date(value: str | None, first_day: bool = True, languages: tuple[str, ...] = (),
               relative_to: datetime | None = None) -> datetime | None:
    """A datetime for a declared or printed date, or None when `value` is no date: aware, in UTC, when
    the value states its zone or offset (or is relative: an instant counted back from `relative_to`);
    naive, the wall time as written, when it does not (a day alone is its midnight).

    ISO 8601, RFC 2822 ("Tue, 03 Mar 2026 10:00:00 GMT"), numeric dates in the page's order (see
    `day_month_order`), then names of months in `languages` (dateparser; English when none is given:
    guessing among all its languages takes seconds), on 12- or 24-hour clocks, with a zone name or
    offset after the time ("11:45 PM EST"). A relative date ("10 days ago", "vor 2 Tagen") counts back
    from `relative_to` (the fetch time); without it, it is no date: a row must not depend on when it
    was made.
    Never raises: a year-1 placeholder with an offset, which cannot be moved to UTC, is returned as it
    stands, in UTC, for the plausibility check to name it.
    """
    value = (value or "").strip()
    if not value or len(value) > 100:
        return None
    for parse in (_iso, _rfc2822, lambda v: _numeric(v, first_day)):
        parsed = parse(value)
        if parsed is not None:
            return parsed
    return _named(value, languages, relative_to) if re.search(r"[^\W\d_]", value) else None


def parse_printed(value: str, first_day: bool = True, languages: tuple[str, ...] = (),
                  relative_to: datetime | None = None) -> datetime | None:
    """The date a printed line starts with: "12 May 2026 by the desk" gives 12 May 2026 (the longest
    start of at most PRINTED_WORDS words that reads as a whole date; see `parse_date`)."""
    words = value.split()[:PRINTED_WORDS]
    for end in range(len(words), 0, -1):
        parsed = parse_date(" ".join(words[:end]), first_day, languages, relative_to)
        if parsed is not None:
            return parsed
    return None


def has_time(parsed: datetime) -> bool:
    """Whether a parsed value gives a time of day, not only a day (its midnight)."""
    return (parsed.hour, parsed.minute, parsed.second) != (0, 0, 0)


def _iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    return _utc(parsed) if parsed.tzinfo is not None else parsed


def _rfc2822(value: str) -> datetime | None:
    if not _RFC2822.match(value):
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return _utc(parsed) if parsed.tzinfo is not None else parsed


def _numeric(value: str, first_day: bool) -> datetime | None:
    match = _YEAR_FIRST.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DAY_FIRST.match(value)
        if not match:
            return None
        a, b, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if match.group(2) == "." or a > 12:
            day, month = a, b
        elif b > 12:
            day, month = b, a
        else:
            day, month = (a, b) if first_day else (b, a)
    clock = _TIME.search(value, match.end())
    hour, minute = (int(clock.group(1)), int(clock.group(2))) if clock else (0, 0)
    if clock and hour < 12 and re.match(r"\s*p\.?m\b", value[clock.end():], re.IGNORECASE):
        hour += 12  # "04/11/2026 1:18 PM"
    elif clock and hour == 12 and re.match(r"\s*a\.?m\b", value[clock.end():], re.IGNORECASE):
        hour = 0
    try:
        return datetime(year, month, day, hour if hour < 24 else 0, minute if minute < 60 else 0)
    except ValueError:
        return None


def _named(value: str, languages: tuple[str, ...], relative_to: datetime | None) -> datetime | None:
    """dateparser's reading of a date with words: a zone after the time is read apart (dateparser's own
    zone reader) and applied here; a relative date, which reads differently from two reference times,
    counts back from `relative_to`, and is no date without it."""
    parse, pop_zone = _dateparser()
    rest, zone = pop_zone(value)
    base = (relative_to.astimezone(timezone.utc).replace(tzinfo=None) if relative_to is not None
            else datetime(2000, 1, 1))
    settings = {"RETURN_AS_TIMEZONE_AWARE": False, "REQUIRE_PARTS": ["day", "month", "year"],
                "PREFER_DATES_FROM": "past", "RELATIVE_BASE": base}
    try:
        parsed = parse(rest, languages=list(languages) or ["en"], settings=settings)
        relative = parsed is not None and not _YEAR.search(value) and parsed != parse(
            rest, languages=list(languages) or ["en"], settings={**settings, "RELATIVE_BASE": base - _OTHER_BASE})
    except (ValueError, OverflowError):  # an unknown language, a year out of range
        return None
    if parsed is None or (relative and relative_to is None):
        return None
    if relative:
        return parsed.replace(tzinfo=timezone.utc)
    if zone is not None and has_time(parsed):  # a zone after a day alone does not move the day
        return _utc(parsed.replace(tzinfo=zone))
    return parsed


@lru_cache(maxsize=1)
def _dateparser():
    """dateparser.parse and its zone reader (a zone name or offset at the end of a string), imported on first
    use (its language data takes a second to load)."""
    import dateparser
    from dateparser.timezone_parser import pop_tz_offset_from_string

    return dateparser.parse, pop_tz_offset_from_string


@lru_cache(maxsize=1)
def _dateparser_languages() -> frozenset[str]:
    """The language codes dateparser has date words for."""
    from dateparser.data.languages_info import language_order

    return frozenset(language_order)


def _utc(parsed: datetime) -> datetime:
    """An aware datetime moved to UTC (a naive one is taken as UTC)."""
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # year 1 with a positive offset
        return parsed.replace(tzinfo=timezone.utc)


def url_date(url: str | None) -> datetime | None:
    """The day a URL's path carries ("/2026/11/18/slug", "/2026-11-18-slug", "/20261118/"), at midnight UTC."""
    match = _URL_DATE.search(url or "")
    if not match:
        return None
    year, month, day = match.group(1), match.group(3) or match.group(5), match.group(4) or match.group(6)
    try:
        return datetime(int(year), int(month), int(day), tzinfo=timezone.utc)
    except ValueError:
        return None


def printed_published(texts: list) -> list[str]:
    """The dates of the short lines of the page that label them as the publication date, in page order and
    lower case: "Published 3 March 2026 · Last updated 19 November 2026" gives "3 march 2026". `texts` are
    the page's visible text nodes (`tasks.extraction.markup.visible_texts`). A label with no date after it closes the
    date before it, as Japanese and Chinese pages print it: "2019年02月22日 14時30分 公開" gives
    "2019年02月22日 14時30分"."""
    found = []
    for node in texts:
        if not _LABEL.search(node.lower()):
            continue
        element = node.getparent().getparent() if node.is_tail else node.getparent()
        while element is not None and element.tag in _INLINE and element.getparent() is not None:
            element = element.getparent()  # the label's line: "<li><strong>Datum</strong> 28.04.2023</li>"
        line = " ".join((element.text_content() if element is not None else node).split()).lower()
        if len(line) > _LINE_CHARS:
            line = " ".join(node.split()).lower()
        label = _LABEL.search(line)
        if label:
            date = _END.split(line[label.end():label.end() + PRINTED_DATE_CHARS], maxsplit=1)[0].strip(" ,:-–—")
            if not any(char.isdigit() for char in date):
                # Japanese and Chinese write the label after the date: "2019年02月22日 14時30分 公開"
                before = _END.split(line[max(0, label.start() - PRINTED_DATE_CHARS):label.start()])[-1]
                date = re.sub(r"^\W+|\W+$", "", before)
            if any(char.isdigit() for char in date):
                found.append(date)
    return found


def header_dates(texts: list) -> list[str]:
    """The dates printed alone in the article's header, in page order and lower case: short text nodes with a year
    after the page's first <h1> and before its first line of prose ("December 18, 2025 ・ 3 min read", "<time>Feb
    4, 2025</time>"), where a page without a "Published" label shows its date. `texts` are the page's visible text
    nodes (`tasks.extraction.markup.visible_texts`); whether a text is a date is for `parse_printed` to say."""
    found, after = [], None
    for index, node in enumerate(texts):
        if after is None:
            parent = node.getparent()
            if parent is not None and (parent.tag == "h1" or next(parent.iterancestors("h1"), None) is not None):
                after = index
            continue
        if index - after > HEADER_NODES or len(node.split()) >= PROSE_WORDS:
            break
        line = " ".join(node.split())
        if len(line) <= HEADER_DATE_CHARS and _DATE_LIKE.search(line):
            found.append(line.lower())
    return found
