"""Dates as pages write them: declared values, printed "Published ..." lines, dates in URLs.

Pure functions over strings and lxml trees. Numeric dates are read in the page's own day/month
order: day first everywhere except in US-style English ("03/04/2026" is 3 April on a German or
British page, March 4 on an American one); a dotted date ("03.04.2026") is always day first, and a
date that starts with its four-digit year is always year-month-day. Dates written with month names,
in any of the languages dateparser knows, are read by dateparser.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

# English-speaking regions that write the month first; plain "en" (no region) is mostly American sites.
MONTH_FIRST_REGIONS = frozenset({None, "us", "ph", "ca", "fm", "mh", "pw"})
_LOCALE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?")
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
    "опубликовано", "публикация", "发布时间", "发布", "發佈時間", "發布", "公開日", "公開", "掲載日", "掲載", "입력",
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


def parse_date(value: str | None, first_day: bool = True, languages: tuple[str, ...] = ()) -> datetime | None:
    """An aware UTC datetime for a declared or printed date, or None when `value` is no date.

    ISO 8601 (a value without an offset is UTC), RFC 2822 ("Tue, 03 Mar 2026 10:00:00 GMT"), numeric
    dates in the page's order (see `day_first`), then names of months in `languages` (dateparser; English
    when none is given: guessing among all its languages takes seconds).
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
    return _named(value, languages) if re.search(r"[^\W\d_]", value) else None


def parse_printed(value: str, first_day: bool = True, languages: tuple[str, ...] = ()) -> datetime | None:
    """The date a printed line starts with: "12 May 2026 by the desk" gives 12 May 2026 (the longest
    start of at most PRINTED_WORDS words that reads as a whole date)."""
    words = value.split()[:PRINTED_WORDS]
    for end in range(len(words), 0, -1):
        parsed = parse_date(" ".join(words[:end]), first_day, languages)
        if parsed is not None:
            return parsed
    return None


def _iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    return _utc(parsed)


def _rfc2822(value: str) -> datetime | None:
    try:
        return _utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None


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
    try:
        return datetime(year, month, day, hour if hour < 24 else 0, minute if minute < 60 else 0, tzinfo=timezone.utc)
    except ValueError:
        return None


def _named(value: str, languages: tuple[str, ...]) -> datetime | None:
    parsed = _dateparser()(value, languages=list(languages) or ["en"], settings={
        "RETURN_AS_TIMEZONE_AWARE": True, "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC",
        "REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"})
    return parsed.astimezone(timezone.utc) if parsed is not None else None


@lru_cache(maxsize=1)
def _dateparser():
    """dateparser.parse, imported on first use (its language data takes a second to load)."""
    import dateparser

    return dateparser.parse


def _utc(parsed: datetime) -> datetime:
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
