"""Plausibility checks of one field's value from one source: what makes a value a placeholder.

A CMS fills a field it has no value for with a placeholder: a zero date ("0001-01-01T00:00:00Z"), the Unix
epoch, the string "null", the site's own name as the author, the date printed where a byline should be.
Each check returns None for a plausible value, else the reason it is not, worded for the documents'
`field_issues` column. The extractor then tries the field's next source (see docs/extraction.md, "Title, authors and publication time").
Pure functions.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

# The web began in 1991: an earlier publication time is a parse error or a placeholder, not history.
EARLIEST_PUBLICATION = datetime(1991, 1, 1, tzinfo=timezone.utc)
# A page dated "today" in a timezone east of UTC can lie up to 14 hours ahead of the fetch in UTC.
FUTURE_TOLERANCE = timedelta(days=1)
# Placeholder days that CMSs and JavaScript write for "no date": year 1 (.NET's and Go's zero time), the
# Unix epoch, and the first day of 1900 (spreadsheets' and some databases' zero).
PLACEHOLDER_DAYS = frozenset({(1, 1, 1), (1970, 1, 1), (1900, 1, 1)})
# Strings that templates print for a missing value.
PLACEHOLDER_TEXTS = frozenset({
    "null", "undefined", "none", "nil", "nan", "n/a", "na", "unknown", "[object object]", "false", "true",
    "{{author}}", "{author}", "%author%", "author", "title", "untitled", "-", "--", "tbd", "admin",
})
# Month names (English, German, French, Spanish, Italian, Dutch, Portuguese, Turkish and Scandinavian short
# forms); with a number next to them they make a date, not a name.
_MONTHS = (
    "jan|january|januar|janvier|enero|gennaio|januari|janeiro|ocak|feb|february|februar|février|febrero|febbraio|"
    "februari|fevereiro|şubat|mar|march|märz|mars|marzo|maart|março|mart|apr|april|avril|abril|aprile|nisan|"
    "may|mai|mayo|maggio|mei|maio|mayıs|jun|june|juni|juin|junio|giugno|junho|haziran|jul|july|juli|juillet|"
    "julio|luglio|julho|temmuz|aug|august|août|agosto|augustus|ağustos|sep|sept|september|septembre|"
    "septiembre|settembre|setembro|eylül|oct|october|oktober|octobre|octubre|ottobre|outubro|ekim|nov|"
    "november|novembre|noviembre|novembro|kasım|dec|december|dezember|décembre|diciembre|dicembre|dezembro|aralık"
)
_DATE_IN_TEXT = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\.?\s+(?:{_MONTHS})\b|\b\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}}\b"
    r"|\b\d{1,2}:\d{2}\b|\b(?:19|20)\d\d\b"
    r"|\b\d+\s+(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?)\s+ago\b|\bvor\s+\d+\s+(?:minuten|stunden|tagen)\b"
    r"|\bil y a\s+\d+|\bhace\s+\d+", re.IGNORECASE)
_MONTH_ONLY = re.compile(rf"^(?:{_MONTHS})\.?$", re.IGNORECASE)
# Words that open a line of dates, not a name ("Updated: February 25, 2026").
_DATE_WORDS = re.compile(
    r"^(?:updated|last updated|published|posted|modified|aktualisiert|veröffentlicht|stand|mis à jour|publié|"
    r"actualizado|publicado|aggiornato|pubblicato|bijgewerkt|gepubliceerd)\b", re.IGNORECASE)


def date_issue(value: datetime, fetched_at: datetime | None, now: datetime | None = None) -> str | None:
    """Why a publication time is implausible: a placeholder day, before 1991, or after the fetch (or
    after `now` when the fetch time is unknown), with a day's tolerance for time zones."""
    if (value.year, value.month, value.day) in PLACEHOLDER_DAYS:
        return "placeholder"
    if value < EARLIEST_PUBLICATION:
        return "before 1991"
    latest = (fetched_at or now or datetime.now(timezone.utc)) + FUTURE_TOLERANCE
    if value > latest:
        return "after the fetch" if fetched_at else "in the future"
    return None


def text_issue(value: str) -> str | None:
    """Why a title or name is no value at all: a template's placeholder ("null", "undefined")."""
    if value.strip().casefold() in PLACEHOLDER_TEXTS:
        return "placeholder"
    if not any(char.isalnum() for char in value):
        return "no letters"
    return None


def name_issue(name: str) -> str | None:
    """Why an author's name is not a person's or organisation's name: a placeholder, a date or time
    ("February 25, 2026", "Updated 10:43 am"), a lone month name, a label of a date line, or a social
    network handle ("@jdoe")."""
    issue = text_issue(name)
    if issue:
        return issue
    if _DATE_IN_TEXT.search(name) or _MONTH_ONLY.match(name.strip()) or _DATE_WORDS.match(name.strip()):
        return "a date, not a name"
    if name.strip().startswith("@"):
        return "a handle, not a name"
    return None


def holds_date(value: str) -> bool:
    """Whether a byline string holds a date or time ("Jane Doe, February 25, 2026")."""
    return bool(_DATE_IN_TEXT.search(value))
