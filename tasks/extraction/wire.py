"""Wire stories: the dateline ("SEOUL —") and the news agency (AFP, AP, Reuters, dpa, ...) of a story.

Agency copy is reposted everywhere, often with the site's own byline or none;
the dateline and the agency credit travel with the text itself, so they are
read from the text, the title and the byline rather than from the page's
markup. Pure functions over strings.
"""

from __future__ import annotations

import re
import unicodedata

# Canonical name of each agency, by the folded forms it is credited under.
_AGENCIES = {
    "AFP": ["afp", "agence france presse", "agence france-presse"],
    "AP": ["ap", "associated press", "the associated press"],
    "Reuters": ["reuters", "thomson reuters"],
    "dpa": ["dpa", "deutsche presse agentur", "deutsche presse-agentur"],
    "EFE": ["efe", "agencia efe"],
    "ANSA": ["ansa"],
    "Kyodo": ["kyodo", "kyodo news"],
    "Xinhua": ["xinhua"],
    "Yonhap": ["yonhap"],
    "TASS": ["tass"],
    "UPI": ["upi", "united press international"],
    "PA": ["pa", "press association", "pa media"],
    "ANP": ["anp"],
    "APA": ["apa"],
    "SDA": ["sda", "keystone sda", "keystone-sda"],
    "KNA": ["kna"],
    "epd": ["epd"],
    "Anadolu": ["aa", "anadolu", "anadolu agency", "anadolu ajansı"],
    "Belga": ["belga"],
    "NTB": ["ntb"],
    "TT": ["tt"],
    "Ritzau": ["ritzau"],
    "Europa Press": ["europa press"],
    "Lusa": ["lusa"],
    "PAP": ["pap"],
    "IANS": ["ians"],
    "PTI": ["pti"],
    "Bernama": ["bernama"],
    "Antara": ["antara"],
}
_ALIASES = {re.sub(r"\W+", " ", alias).strip(): name for name, aliases in _AGENCIES.items() for alias in aliases}

# "SEOUL —", "MEXICO CITY, March 3 (Reuters) -", "WASHINGTON, D.C. (AP) —", "Berlin (dpa) -":
# a place in capitals, or any place followed by an agency credit, then a dash. Not a colon:
# "BREAKING:" and "UPDATE:" are no places.
_CAPS = r"[A-ZÀ-ÞĀ-Ž][A-ZÀ-ÞĀ-Ž'’.\-]+(?:\s[A-ZÀ-ÞĀ-Ž][A-ZÀ-ÞĀ-Ž'’.\-]*){0,3}"
_ANY = r"[A-ZÀ-ÞĀ-Ž][\w'’.\-]+(?:\s[A-ZÀ-ÞĀ-Ž][\w'’.\-]*){0,3}"
_DETAIL = r"(?:,\s*[^,()—–\n]{1,30}?)?"  # ", D.C.", ", March 3", ", Ukraine"
_DASH = r"\s*(?:—|–|-{1,2})\s+"
_CAPS_DATELINE = re.compile(rf"^(?P<place>{_CAPS}){_DETAIL}\s*(?:\((?P<credit>[^()\n]{{2,40}}?)\))?{_DASH}")
_CREDITED_DATELINE = re.compile(rf"^(?P<place>{_ANY}){_DETAIL}\s*\((?P<credit>[^()\n]{{2,40}}?)\){_DASH}")
# A credit closing the text: a last line "(AFP)", "© dpa", "— Reuters", or a last paragraph ending "(AP)".
_TRAILING_CREDIT = re.compile(r"(?:\(([^()\n]{2,30})\)|^\s*(?:©|—|–|-)?\s*([^()\n]{2,30}?))\s*$")
# A title credit: "Headline - AFP", "Headline | Reuters".
_TITLE_CREDIT = re.compile(r"\s(?:-|–|—|\|)\s*([^-–—|]{2,30}?)\s*$")


def agency_name(text: str | None) -> str | None:
    """The canonical name of a news agency written as `text` ("Agence France-Presse" -> "AFP"), or None."""
    folded = re.sub(r"\W+", " ", unicodedata.normalize("NFKC", text or "").casefold()).strip()
    return _ALIASES.get(folded)


def without_agency_credit(title: str | None) -> str | None:
    """The headline without the credit a repost appends ("Headline - AFP" -> "Headline"): `agency` keeps it."""
    match = _TITLE_CREDIT.search(title or "")
    if match and match.start() > 0 and agency_name(match.group(1)):
        return title[:match.start()].rstrip()
    return title


def find_dateline(text: str | None) -> tuple[str | None, str | None]:
    """The dateline's place and the agency credited in it, from the start of the story's text.

    "SEOUL — Russia is..." gives ("SEOUL", None); "Berlin (dpa) - Die..." gives ("Berlin", "dpa").
    A place in ordinary case counts only with an agency credit after it, so that the first words of
    an ordinary sentence before a dash do not pass for a place.
    """
    first = (text or "").lstrip().split("\n", 1)[0]
    match = _CAPS_DATELINE.match(first)
    if match and agency_name(match.group("place")):  # "AFP — ..." names the agency, not a place
        return None, agency_name(match.group("place"))
    if not match:
        match = _CREDITED_DATELINE.match(first)
        if not match or not agency_name(match.group("credit")):
            return None, None
    return match.group("place").strip(" .-"), agency_name(match.group("credit"))


def find_agency(text: str | None, title: str | None, authors: list[str]) -> tuple[str | None, str | None]:
    """The agency of a story and where it is credited: in its dateline ("dateline"), named as an author
    ("author"), after its title ("title": "... - AFP"), or at the end of its text ("closing": "(Reuters)");
    (None, None) for a story of the site's own."""
    _, agency = find_dateline(text)
    named = next((agency_name(author) for author in authors if agency_name(author)), None)
    title_credit = _TITLE_CREDIT.search(title or "")
    last_line = (text or "").rstrip().rsplit("\n", 1)[-1]
    closing = _TRAILING_CREDIT.search(last_line)
    candidates = [(agency, "dateline"), (named, "author"),
                  (agency_name(title_credit.group(1)) if title_credit else None, "title"),
                  (agency_name(closing.group(1) or closing.group(2)) if closing else None, "closing")]
    return next(((name, origin) for name, origin in candidates if name), (None, None))
