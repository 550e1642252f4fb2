"""Title, authors and publication time of an article, from what the page declares about itself.

Each field has its order of trust, measured on news-dev (see README, "Extraction quality"):
the page's schema.org JSON-LD article node (written by the publisher's CMS for
search engines) for authors and dates, og:title before the JSON-LD headline for
titles, then the meta tags, then trafilatura's heuristics over the visible page.
Each rule is a small pure function over values or an lxml tree, so it can be
tested on a few lines of HTML.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from tasks.readers import parse_timestamp

# schema.org types whose node describes the article itself (Article and its subtypes that news sites use).
ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "LiveBlogPosting", "BlogPosting",
    "SocialMediaPosting", "TechArticle", "ScholarlyArticle", "Report", "SatiricalArticle",
})

# What separates a headline from the site or section name in a <title> or og:title ("Headline | Site").
_SEPARATOR = r"\s*(?:[|·•*/:：ㅣ]|\s[-–—]\s|[-–—]\s|\s[-–—])\s*"
# After a headline that another source confirms, a bare dash or a closing quote before it also counts
# ('..."-Politik' ), but not an ASCII colon: "Kicker: Headline" keeps its kicker.
_AFTER_CONFIRMED = re.compile(r"^([\"'“”»«’?!.…)]*)\s*[|·•*/：ㅣ\-–—]")
_SPACES = re.compile(r"\s+")

# Meta tags naming the publication time, most specific first. Modification times are never read.
PUBLISHED_META = ("article:published_time", "og:article:published_time", "publishdate",
                  "publish-date", "pubdate", "dc.date.issued", "dcterms.created", "parsely-pub-date",
                  "sailthru.date")
AUTHOR_META = ("article:author", "author", "articleauthor", "dc.creator", "parsely-author", "sailthru.author", "byl")
# Labels printed before the author's name in an article's fact list ("<strong>Autorin/Autor</strong> Jane Doe").
AUTHOR_LABELS = frozenset({
    "author", "authors", "written by", "autor", "autorin", "autoren", "autorin/autor", "autor/in", "auteur",
    "auteurs", "autore", "autori", "autora", "forfatter", "författare",
})
_LABEL_TAGS = ("strong", "b", "dt", "th", "label")
# The page's byline: the first element whose class names it, and the author links inside it.
_BYLINE = '//*[contains(translate(@class, "BYLINE", "byline"), "byline")]'
_AUTHOR_LINKS = './/a[@rel="author"] | .//*[@itemprop="author"]'
# A line that opens with such a label, or "By"/"Von", and a colon, then names in links or spans.
_LINE_TAGS = ("li", "p", "div", "span", "dd")
_LABEL_COLON = re.compile(
    r"^\s*(?:" + "|".join(sorted(map(re.escape, AUTHOR_LABELS | {"by", "von", "par", "por", "door"}), key=len,
                                  reverse=True)) + r")\s*:\s*$", re.IGNORECASE)
# A line opening with "By" and names, up to a comma, a middle dot or a bar ("By TPN, in News · 31 Jan").
_BY_LINE = re.compile(r"^\s*(?:By|Von|Par|Por)\s+([^,·|]+?)\s*[,·|]")
# At most this many words in one author's name as printed after a label.
LABELLED_NAME_WORDS = 4

# A byline's opening "by" (English, German, French, Spanish, Dutch, Polish, Scandinavian) or "Text:".
_BY = re.compile(r"^(?:(?:by|von|par|por|door|przez|av|af)\s+|(?:by|von|text|texte|tekst)\s*:\s*)", re.IGNORECASE)
# Words that name a role, not a person ("Mathias Hagen / Journalist", "박준석 기자").
_ROLES = frozenset({
    "journalist", "journalistin", "reporter", "redakteur", "redakteurin", "korrespondent", "korrespondentin",
    "editor", "correspondent", "staff writer", "autor", "autorin", "author", "kommentator", "fotograf",
    "photographer",
})
_NO_SPACE_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Roles written after the name, as Korean and Japanese bylines do ("박준석 기자").
_TRAILING_ROLES = frozenset({"기자", "특파원", "記者", "特派員"})
# A capitalised "By"/"Von" inside a byline, after a section or brand name ("Capital Von Jemima Kelly"), and
# followed by at least two words that do not continue a noble name ("Ursula Von der Leyen" stays whole).
_INNER_BY = re.compile(r"^.+?\s(?:By|Von)\s+(?!(?:[Dd]e[rmn]|[Zz]u)\b)(?=\S+\s+\S)")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"^(?:https?://|www\.)\S*$", re.IGNORECASE)
# "Doe, Jane": one capitalised (not all-capitals, so not "AP" or "AFP") family name, then given names.
_INVERTED = re.compile(r"([A-Z][a-z][^\s,]*),\s*([A-Z][a-z][^\s,]*(?:\s[A-Z][a-z][^\s,]*)?)")
# Between two names in one byline string: the separators and the English and German "and" that
# trafilatura splits on too, so a name like "Le Figaro et AFP" is not cut where it does not cut it.
_NAME_SPLIT = re.compile(r"\s*(?:[;|/&]|,(?!\s*(?:jr|sr)\b)|\b(?:and|und)\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Declared:
    """What the page declares about the article, before any choice between sources."""

    headline: str | None  # JSON-LD article headline
    og_title: str | None
    html_title: str | None  # <title>
    h1: list[str]
    site_names: list[str]  # og:site_name, JSON-LD publisher, application-name
    ld_authors: list[str]
    meta_authors: list[str]
    labelled_authors: list[str]  # names printed after an "Author" label
    byline_links: list[str]  # the author links in the page's byline
    by_line: list[str]  # names from a line that opens with "By Name,"
    ld_published: str | None
    meta_published: str | None
    article_body: str | None
    description: str | None  # og:description, else the description meta tag


def read_declared(tree) -> Declared:
    """Collect the declared metadata of a parsed page (an lxml HTML tree)."""
    article = article_node(json_ld_nodes(tree))
    meta = meta_tags(tree)
    publisher = _ld_text((article or {}).get("publisher"))
    return Declared(
        headline=_ld_text((article or {}).get("headline")),
        og_title=_first(meta.get("og:title")) or _first(meta.get("twitter:title")),
        html_title=_clean_space(tree.findtext(".//title") or "") or None,
        h1=[t for t in (_clean_space(h.text_content()) for h in tree.iter("h1")) if t],
        site_names=[s for s in [_first(meta.get("og:site_name")), publisher, _first(meta.get("application-name"))]
                    if s],
        ld_authors=person_names((article or {}).get("author")),
        meta_authors=[v for key in AUTHOR_META for v in meta.get(key, [])],
        labelled_authors=labelled_authors(tree),
        byline_links=byline_links(tree),
        by_line=by_line(tree),
        ld_published=_ld_text((article or {}).get("datePublished") or (article or {}).get("dateCreated")),
        meta_published=next((v for key in PUBLISHED_META for v in meta.get(key, [])), None),
        article_body=_ld_text((article or {}).get("articleBody")),
        description=_first(meta.get("og:description")) or _first(meta.get("description")),
    )


# --- structured data --------------------------------------------------------------------------------------------

def json_ld_nodes(tree) -> list[dict]:
    """Top-level JSON-LD nodes of the page: each script's object, list items, `@graph` members, `mainEntity`.

    Nested nodes (a live blog's updates, an image's author) are not returned: they describe parts of
    the page, not the page's article. Scripts that are not valid JSON are skipped.
    """
    nodes: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        nodes.extend(_flatten(data))
    return nodes


def _flatten(data) -> list[dict]:
    if isinstance(data, list):
        return [node for item in data for node in _flatten(item)]
    if not isinstance(data, dict):
        return []
    found = [data]
    if "@graph" in data:
        found += _flatten(data["@graph"])
    if isinstance(data.get("mainEntity"), (dict, list)):
        found += _flatten(data["mainEntity"])
    return found


def article_node(nodes: list[dict]) -> dict | None:
    """The first node typed as an article; one with a headline wins over one without."""
    articles = [n for n in nodes if _types(n) & ARTICLE_TYPES]
    return next((n for n in articles if n.get("headline")), articles[0] if articles else None)


def _types(node: dict) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _ld_text(value) -> str | None:
    """A JSON-LD value as clean text: `name` of an object, first of a list, HTML entities decoded."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    return _clean_space(html.unescape(str(value))) or None


def person_names(value) -> list[str]:
    """Names in a JSON-LD `author`: a string, a Person or Organization object, or a list of them."""
    items = value if isinstance(value, list) else [value]
    return _unique([name for item in items for name in split_byline(_ld_text(item) or "")])


def meta_tags(tree) -> dict[str, list[str]]:
    """Non-empty `content` of <meta> tags by lower-cased name or property, in page order.

    `itemprop` metas are left out: they describe whatever element holds them (an image's
    "author" is its photographer), not necessarily the article.
    """
    tags: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = _clean_space(html.unescape(meta.get("content") or ""))
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key and content:
            tags.setdefault(key, []).append(content)
    return tags


# --- title ------------------------------------------------------------------------------------------------------

def choose_title(declared: Declared, fallback: str | None, hostname: str) -> str | None:
    """The headline: og:title, else JSON-LD's headline, else trafilatura's; without the site's name.

    og:title comes first because it is the headline the publisher chose to show wherever the story is
    shared. Where a newsroom keeps a second, search-engine headline in JSON-LD the two differ in wording;
    measured on news-dev neither order wins more pages, but og:title keeps every page that plain
    trafilatura (which reads og:title first too) already got right.
    """
    title = declared.og_title or declared.headline or fallback or declared.html_title
    if not title:
        return None
    keys = site_keys([*declared.site_names, hostname])
    confirmations = [c for c in [*declared.h1, declared.headline, declared.og_title, fallback] if c]
    return strip_site_name(trim_to_confirmed(title, confirmations, keys), keys)


def site_keys(site_names: list[str]) -> set[str]:
    """Folded forms of the site's names; a host name counts with and without its top-level domain
    ("globalnews.ca" and "globalnews")."""
    keys = set()
    for name in site_names:
        keys.add(_fold(name))
        host = name.lower().removeprefix("www.")
        if "." in host and " " not in host:
            keys.add(_fold(host.rsplit(".", 1)[0]))
    keys.discard("")
    return keys


def trim_to_confirmed(title: str, others: list[str], keys: set[str]) -> str:
    """The longest other title that `title` starts with, when what is left over follows a separator and
    names the site: "Headline – DW – 13.06.2023" with an <h1> "Headline" gives "Headline".

    Titles are compared folded (case, punctuation and spaces ignored), so a curly apostrophe in one
    source and a straight one in another still match. A leftover that does not name the site
    ("Headline - Current news") stays: it may be part of the title.
    """
    for other in sorted(set(others), key=len, reverse=True):
        key = _fold(other)
        if len(other) >= len(title) or len(key) < 5:
            continue
        cut = _prefix_end(title, key)
        rest = _AFTER_CONFIRMED.match(title[cut:]) if cut is not None else None
        if rest and any(k in _fold(title[cut:]) for k in keys):
            return title[:cut] + rest.group(1)
    return title


def _prefix_end(text: str, key: str) -> int | None:
    """Length of the shortest start of `text` whose folded form is `key`, or None."""
    folded = ""
    for i, char in enumerate(text):
        folded += _fold(char)
        if folded == key:
            return i + 1
        if not key.startswith(folded):
            return None
    return None


def strip_site_name(title: str, keys: set[str]) -> str:
    """Remove a known site name (given folded, see `site_keys`) at either end, with its separator:
    "Headline - Site", "Site | Headline", "Headline - Section | Site". Never returns an empty title."""
    for _ in range(2):  # the site's name, then once more for a name given twice
        parts = re.split(f"({_SEPARATOR})", title)
        if len(parts) < 3:
            break
        if _fold(parts[-1]) in keys:
            title = "".join(parts[:-2]).strip()
        elif _fold(parts[0]) in keys:
            title = "".join(parts[2:]).strip()
        else:
            break
    return title


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\W+", "", folded)


# --- authors ----------------------------------------------------------------------------------------------------

def choose_authors(declared: Declared, fallback: list[str], hostname: str) -> list[str]:
    """JSON-LD authors (people or organisations: the page names them as authors), else the names printed
    after an "Author" label, else the author meta tags, else trafilatura's byline.

    When none of these names anyone, a line of the page that opens with "By Name," is the byline.

    Structured data sometimes keeps only the lead author of a shared byline: when the author links in the
    page's byline name everyone JSON-LD names and more, the byline's list is the full one.

    A JSON-LD author that is only the publisher itself ("Mainichi" on mainichi.jp) is what a CMS fills
    in when it has no byline field: a full name from the meta tags or the visible byline wins over it
    (not a bare initials tag such as "amw"), and it is kept when there is none.
    """
    meta = _unique([name for value in declared.meta_authors for name in split_byline(value)])
    byline = _unique([name for value in fallback for name in split_byline(value)])
    keys = site_keys([*declared.site_names, hostname])
    if declared.ld_authors and not all(_fold(name) in keys for name in declared.ld_authors):
        linked = {_fold(name) for name in declared.byline_links}
        more = len(linked) > len(declared.ld_authors) and linked >= {_fold(n) for n in declared.ld_authors}
        return declared.byline_links if more else declared.ld_authors
    if declared.labelled_authors:
        return declared.labelled_authors
    if declared.ld_authors:
        people = [names for names in (meta, byline)
                  if names and all(_fold(n) not in keys and _full_name(n) for n in names)]
        return people[0] if people else declared.ld_authors
    return meta or byline or declared.by_line


def _full_name(name: str) -> bool:
    """Two words or more, or a name in a script written without spaces (Chinese, Japanese, Korean)."""
    return len(name.split()) >= 2 or bool(_NO_SPACE_SCRIPT.search(name))


def split_byline(value: str) -> list[str]:
    """The names in one byline string: "By Jane Doe and John Smith" gives both, "Doe, Jane" (a library
    catalogue's order) gives "Jane Doe", "Mathias Hagen / Journalist" gives "Mathias Hagen"."""
    value = _clean_space(value)
    if _URL.match(value):
        return []
    inverted = _INVERTED.fullmatch(value)
    if inverted:
        value = f"{inverted.group(2)} {inverted.group(1)}"
    return [name for name in (clean_name(part) for part in _NAME_SPLIT.split(value)) if name]


def clean_name(value: str) -> str | None:
    """One author's name without "By" (also after a section name: "Capital Von Jemima Kelly"), a trailing
    role ("기자"), e-mail addresses or URLs; None when nothing but a role, a URL or punctuation is left."""
    name = _EMAIL.sub(" ", _clean_space(value)).strip(" -–—:·.,;|/\t")
    name = _BY.sub("", name).strip()
    name = _INNER_BY.sub("", name)
    if _URL.match(name) or name.casefold() in _ROLES:
        return None
    words = name.split()
    while len(words) > 1 and words[-1] in _TRAILING_ROLES:
        words.pop()
    name = " ".join(words)
    return name if any(c.isalpha() for c in name) and not _URL.match(name) else None


def labelled_authors(tree) -> list[str]:
    """The names printed right after a label that says "Author" (in one of a dozen languages), as in an
    article's fact list: "<li><strong>Autor</strong> Jane Doe</li>", "<dt>Author</dt><dd>Jane Doe</dd>", or
    "<li>By: <a>Jane Doe</a>, <a>John Smith</a></li>" (a "By:" with its colon is a label too).

    The label tells the reader who wrote the story, so it is worth more than an author meta tag that a
    CMS fills with the site's name. The first label followed by names counts; a label inside a sentence
    ("our <b>author</b> of the week") does not, nor one followed by longer phrases than names.
    """
    for label in tree.iter(*_LABEL_TAGS):
        if (_clean_space(label.text_content()).strip(" :").casefold() not in AUTHOR_LABELS
                or not _starts_its_line(label)):
            continue
        following = label.getnext()
        names = split_byline((label.tail or "").strip()
                             or (_clean_space(following.text_content()) if following is not None else ""))
        if names and all(len(name.split()) <= LABELLED_NAME_WORDS for name in names):
            return names
    for line in tree.iter(*_LINE_TAGS):
        opening = _LABEL_COLON.match(line.text or "")
        if opening and len(line):
            names = split_byline(_clean_space(line.text_content())[len(opening.group(0).strip()):])
            if names and all(len(name.split()) <= LABELLED_NAME_WORDS for name in names):
                return names
    return []


def byline_links(tree) -> list[str]:
    """The names of the author links (rel="author", itemprop="author") in the page's byline element, the
    first one whose class says "byline"; links elsewhere on the page credit other stories."""
    bylines = tree.xpath(_BYLINE)
    links = bylines[0].xpath(_AUTHOR_LINKS) if bylines else []
    return _unique([name for link in links for name in split_byline(_clean_space(link.text_content()))])


def by_line(tree) -> list[str]:
    """The names of the first line that opens with "By" and names, then a comma, a middle dot or a bar:
    "<p>By Jane Doe, in <a>News</a> · 31 Jan 2025</p>". A sentence ("By Tuesday, the council will
    vote.") ends with a full stop and is not a byline; words that are not capitalised are not names.
    """
    for line in tree.iter("p", "div", "span"):
        opening = _BY_LINE.match(line.text or "")
        if not opening or _clean_space(line.text_content()).endswith((".", "!", "?")):
            continue
        names = split_byline(opening.group(1))
        if names and all(_capitalised_name(name) for name in names):
            return names
    return []


def _capitalised_name(name: str) -> bool:
    words = name.split()
    return len(words) <= LABELLED_NAME_WORDS and all(w[0].isupper() and not any(c.isdigit() for c in w)
                                                     for w in words)


def _starts_its_line(element) -> bool:
    """No text in the parent before `element`: it opens its list item, paragraph or cell."""
    parent = element.getparent()
    return parent is None or (not (parent.text or "").strip() and element.getprevious() is None)


# --- publication time -------------------------------------------------------------------------------------------

def choose_published(declared: Declared, fallback_day: str | None) -> datetime | None:
    """Publication time in UTC: JSON-LD datePublished, else the publication meta tags, else trafilatura's
    day (at midnight UTC). A declared time keeps its own offset; one without an offset is taken as UTC
    (the page gives no better clue). Modification dates are never used; a value that is not ISO 8601 is
    skipped."""
    for value in (declared.ld_published, declared.meta_published, fallback_day):
        try:
            parsed = parse_timestamp(value)
        except ValueError:
            continue
        if parsed is not None:
            return parsed
    return None


# --- helpers ----------------------------------------------------------------------------------------------------

def _clean_space(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def _unique(names: list[str]) -> list[str]:
    seen, kept = set(), []
    for name in names:
        if _fold(name) not in seen:
            seen.add(_fold(name))
            kept.append(name)
    return kept

