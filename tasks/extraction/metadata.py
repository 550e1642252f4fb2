"""Title, authors and publication time of an article, from what the page declares about itself.

Each field has its order of trust, measured on news-dev (see docs/extraction.md, "Quality scores"):
the page's schema.org JSON-LD article node (written by the publisher's CMS for
search engines) for authors and dates, og:title before the JSON-LD headline for
titles, then the meta tags, the visible page, the URL, then trafilatura's heuristics.
Trust is per field and per value: a value that fails its plausibility check
(tasks.extraction.plausibility) is dropped for the field's next source, never costing the
page; each `choose_*` returns a `Chosen`: the value, its source and what was
dropped (docs/lake.md, "Field sources and field issues"). Each rule is a small pure function over values
or an lxml tree, so it can be tested on a few lines of HTML.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from lxml.etree import Element, XPath

from tasks.extraction.dates import (
    DateOrder,
    ambiguous_order,
    date_languages,
    day_month_order,
    has_time,
    header_dates,
    numeric_order,
    parse_date,
    parse_printed,
    printed_published,
    stated_offset,
    url_date,
)
from tasks.extraction.markup import visible_texts
from tasks.extraction.plausibility import date_issue, holds_date, name_issue, text_issue
from tasks.extraction.wire import agency_name, without_agency_credit

# schema.org types whose node describes the article itself (Article and its subtypes that news sites use).
ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "LiveBlogPosting", "BlogPosting",
    "SocialMediaPosting", "TechArticle", "ScholarlyArticle", "Report", "SatiricalArticle",
})

# What separates a headline from the site or section name in a <title> or og:title ("Headline | Site").
_SEPARATOR = r"\s*(?:[|｜·•*/:：ㅣ]|\s[-–—]\s|[-–—]\s|\s[-–—])\s*"
# After a headline that another source confirms, a bare dash or a closing quote before it also counts
# ('..."-Politik' ), but not an ASCII colon: "Kicker: Headline" keeps its kicker.
_AFTER_CONFIRMED = re.compile(r"^([\"'“”»«’?!.…)」』]*)\s*[|｜·•*/：ㅣ\-–—]")
_SPACES = re.compile(r"\s+")
# JSON-LD keys that hold an article's text rather than facts about it, and the script length above which
# they are taken out before trafilatura reads the scripts (see `slim_json_ld`).
_TEXT_KEYS = frozenset({"articleBody", "liveBlogUpdate"})
JSON_LD_SLIM_CHARS = 20_000
# A company's legal form closing its name (or opening it, in Japanese): a publisher's name, not a headline's
# part nor an author's ("mediagene Inc.", "サンワサプライ株式会社").
_COMPANY = re.compile(r"(?:\s(?:inc|ltd|llc|llp|gmbh|corp|corporation|plc|s\.a|n\.v|b\.v|s\.p\.a|k\.k)\.?"
                      r"|\sag|株式会社|有限会社|合同会社|有限公司)$|^(?:株式会社|有限会社|合同会社)", re.IGNORECASE)
# A copyright line: the holder's name is what is left without these ("Copyright (c) Example Media 2022"); a
# longer rest is a sentence, not a name.
_COPYRIGHT_WORDS = re.compile(r"copyright|\(c\)|©|\b(?:19|20)\d\d\b|all rights reserved|[-–,]", re.IGNORECASE)
COPYRIGHT_HOLDER_WORDS = 6
# What is left of a title after the headline another source shows: one part in brackets, then nothing or a
# separator and the site's name ("（CNET Japan） - Yahoo!ニュース").
_BRACKETED = re.compile(rf"^([\"'“”»«’?!.…」』]*)\s*[(（\[［【]([^()（）\[\]［］【】]{{1,40}})[)）\]］】]"
                        rf"(?:{_SEPARATOR}(.+))?\s*$")
_WORDS = re.compile(r"\w+")
# Scripts (first word of a letter's Unicode name) that write no spaces between words.
_UNSPACED_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"})
# What XHTML templates put around a script's JSON so that an XML parser skips it: a CDATA section or an HTML
# comment, either possibly behind a JavaScript comment ("//<![CDATA[", "/*<![CDATA[*/").
_WRAPPER = re.compile(r"^\s*(?:/[/*]\s*)?(?:<!\[CDATA\[|<!--)(?:\s*\*/)?|(?:/[/*]\s*)?(?:\]\]>|-->)(?:\s*\*/)?\s*$")

# Meta tags naming the publication time, most specific first. Modification times are never read.
PUBLISHED_META = ("article:published_time", "og:article:published_time", "publishdate",
                  "publish-date", "pubdate", "dc.date.issued", "dcterms.created", "parsely-pub-date",
                  "sailthru.date")
# Meta tags naming the modification time: never a publication time, and they unmask one (see choose_published).
MODIFIED_META = ("article:modified_time", "og:updated_time", "og:article:modified_time", "modified_time",
                 "last-modified", "lastmodified", "dc.date.modified", "dcterms.modified", "date-modified",
                 "parsely-updated", "article:modified")
# Elements that mark up a time (itemprop datePublished or dateModified, <time pubdate>, the hAtom microformat's
# `published` and `updated` classes with the exact time in a title: `<abbr class="published" title="...">`), in one
# XPath pass.
_TIME_MARKUP = XPath('//*[@itemprop="datePublished" or @itemprop="dateModified"] | //time[@pubdate]'
                     ' | //abbr[@title][contains(@class, "published") or contains(@class, "updated")]')
# Headings of a blog post, the visible title a classic blog template shows for the post: an h1/h2/h3 of class
# post-title, any element of class entry-title (found by a cheap XPath, then checked class by class).
_POST_HEADINGS = XPath('//*[contains(@class, "post-title") or contains(@class, "entry-title")]')
# Where each field's value came from: the vocabulary of the documents' `field_sources` (docs/lake.md, "Field sources and field issues").
SOURCE_WORDS = {"json-ld": "in JSON-LD", "meta": "in meta tags", "page": "in the page", "url": "in the URL",
                "trafilatura": "from trafilatura", "text": "in the text", "declared": "declared by the page"}
AUTHOR_META = ("article:author", "author", "articleauthor", "article_author", "dc.creator", "parsely-author",
               "sailthru.author", "byl")
# Labels printed before the author's name in an article's fact list ("<strong>Autorin/Autor</strong> Jane Doe").
AUTHOR_LABELS = frozenset({
    "author", "authors", "written by", "autor", "autorin", "autoren", "autorin/autor", "autor/in", "auteur",
    "auteurs", "autore", "autori", "autora", "forfatter", "författare", "著者", "筆者", "執筆者", "作者", "文",
})
_LABEL_TAGS = ("strong", "b", "dt", "th", "label")
# The page's byline: the first element whose class names it, and the author links inside it.
_AUTHOR_LINKS = './/a[@rel="author"] | .//*[@itemprop="author"]'
# A line that opens with such a label, or "By"/"Von", and a colon, then names in links or spans.
_LINE_TAGS = ("li", "p", "div", "span", "dd")
_LABEL_COLON = re.compile(
    r"^\s*(?:" + "|".join(sorted(map(re.escape, AUTHOR_LABELS | {"by", "von", "par", "por", "door"}), key=len,
                                  reverse=True)) + r")\s*[:：]\s*$", re.IGNORECASE)
# A text that is a label and the names at once: "著者：後藤大地", "Author: Jane Doe".
_LABEL_AND_NAMES = re.compile(r"^\s*(?:" + "|".join(sorted(map(re.escape, AUTHOR_LABELS), key=len, reverse=True))
                              + r")\s*[:：]\s*(\S.*)$", re.IGNORECASE)
# A line opening with "By" and names, up to a comma, a middle dot or a bar ("By TPN, in News · 31 Jan").
_BY_LINE = re.compile(r"^\s*(?:By|Von|Par|Por)\s+([^,·|]+?)\s*[,·|]")
# A text that ends with "By" (and the element after it holds the names), what may stand before that "By", and
# what joins two names' elements.
_BY_ENDING = re.compile(r"(?:^|[\s|·•,–—-])(?:by|von|par|por|door)\s*:?\s*$", re.IGNORECASE)
_BEFORE_BY = ("|", "·", "•", ",", "-", "–", "—")
_JOINER = re.compile(r"\s*(?:,|&|and|und|et|y|e)\s*", re.IGNORECASE)
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
# Particles that stay with a family name: "Jong, Michiel de" is "Michiel de Jong".
NAME_PARTICLES = ("de", "da", "di", "du", "van", "von", "der", "den", "del", "della", "le", "la", "ten", "ter")
# "Doe, Jane": one capitalised (not all-capitals, so not "AP" or "AFP") family name, then one or two given names
# or initials ("Kooman, F."), then the family name's particles ("Jong, Michiel de").
_GIVEN = r"(?:[A-Z][a-z][^\s,]*|[A-Z]\.)"
_INVERTED = re.compile(rf"([A-Z][a-z][^\s,]*),\s*({_GIVEN}(?:\s{_GIVEN})?(?:\s(?:{'|'.join(NAME_PARTICLES)}))*)")
# Between two names in one byline string: the separators and the English and German "and" that
# trafilatura splits on too, so a name like "Le Figaro et AFP" is not cut where it does not cut it.
# A comma before a suffix or credential does not separate two names: "Jane Doe, MD", "Martin King, Jr.".
NAME_SUFFIXES = ("jr", "sr", "ii", "iii", "iv", "md", "m.d", "phd", "ph.d", "rn", "np", "mph", "mba", "msc", "bsc",
                 "jd", "esq", "dds", "dmd", "dvm", "cpa", "cfa", "frcp", "frcs", "mbbs", "facp", "facc", "lcsw",
                 "psyd", "edd", "pharmd", "mrcp", "dnp", "aprn", "pa-c", "obe", "mbe", "cbe", "kc", "qc")
_SUFFIX = r"(?:" + "|".join(re.escape(s) for s in NAME_SUFFIXES) + r")\.?(?![\w.-])"
# Chinese and Japanese list names with an enumeration comma ("张晓明、李婷") or a full-width comma or semicolon.
_NAME_SPLIT = re.compile(rf"\s*(?:[;|/&、，；]|,(?!\s*{_SUFFIX})|\b(?:and|und)\b)\s*", re.IGNORECASE)
# "And" in the other languages Pagefold reads (French et; Spanish y; Portuguese and Italian e; Catalan, Polish and
# Croatian i; Norwegian and Danish og; Dutch en; Swedish och; Turkish ve; Hungarian és; Finnish ja; Romanian și;
# Indonesian and Malay dan; Russian и; Czech and Slovak a): it joins two names when each side is a full name, two
# capitalised words or more ("Claire Morvan et Hugo Lasalle"); a compound surname ("José Ortega y Gasset") or a
# name and an agency ("Le Figaro et AFP") stays whole.
_CONJUNCTION = re.compile(r"\s+(?:et|y|e|i|og|en|och|ve|és|ja|și|dan|и|a)\s+")


@dataclass(frozen=True)
class Chosen:
    """A field's value, where it came from (a word of SOURCE_WORDS; None with a None value), and what was
    dropped on the way ("published_at: placeholder 0001-01-01T00:00:00Z in JSON-LD")."""

    value: object
    source: str | None
    issues: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Declared:
    """What the page declares about the article, before any choice between sources."""

    headline: str | None  # JSON-LD article headline
    og_title: str | None
    html_title: str | None  # <title>
    h1: list[str]
    post_headings: list[str]  # h1/h2/h3 of class post-title, any element of class entry-title
    site_names: list[str]  # og:site_name, JSON-LD publisher, application-name
    copyright_holder: str | None  # the name in the copyright meta tag
    ld_authors: list[str]
    meta_authors: list[str]
    labelled_authors: list[str]  # names printed after an "Author" label
    byline_links: list[str]  # the author links in the page's byline
    by_element: list[str]  # names from the element after a "By": "<span>By</span> <a>Jane Doe</a>"
    by_line: list[str]  # names from a line that opens with "By Name,"
    author_link: list[str]  # the name of the page's first rel="author" link
    ld_published: str | None
    meta_published: str | None
    page_published: list[str]  # marked up as datePublished in the body, or printed after "Published"
    modified: list[str]  # declared modification times: any JSON-LD node's dateModified, meta tags, markup
    locales: list[str]  # <html lang>, og:locale, Content-Language as written ("en-US"): the order of numeric dates
    article_body: str | None
    description: str | None  # og:description, else the description meta tag
    sections: list[str] = field(default_factory=list)  # meta article:section, JSON-LD articleSection
    paywalled: bool = False  # JSON-LD isAccessibleForFree false, on the article or one of its parts
    paid_selectors: tuple[str, ...] = ()  # hasPart cssSelector of the parts that are not free
    meta_headline: str | None = None  # <meta name="headline">: the headline alone, without site or section
    numeric_order: bool | None = None  # day first, as the page's plain numeric dates show it (dates.numeric_order)
    header_published: list[str] = field(default_factory=list)  # dates printed alone under the headline
    stamps: list[str] = field(default_factory=list)  # the page's machine-readable times: their offset is its zone


def read_declared(tree) -> Declared:
    """Collect the declared metadata of a parsed page (an lxml HTML tree)."""
    nodes = json_ld_nodes(tree)
    article = article_node(nodes)
    meta = meta_tags(tree)
    publisher = _ld_text((article or {}).get("publisher"))
    parts = (article or {}).get("hasPart")
    parts = [p for p in (parts if isinstance(parts, list) else [parts]) if isinstance(p, dict)]
    not_free = [node for node in [article or {}, *parts] if _false(node.get("isAccessibleForFree"))]
    texts, times = visible_texts(tree), _TIME_MARKUP(tree)
    return Declared(
        headline=_ld_text((article or {}).get("headline")),
        og_title=_first(meta.get("og:title")) or _first(meta.get("twitter:title")),
        html_title=_clean_space(tree.findtext(".//title") or "") or None,
        h1=[t for t in (_clean_space(h.text_content()) for h in tree.iter("h1")) if t],
        post_headings=[t for t in (_clean_space(h.text_content()) for h in _POST_HEADINGS(tree) if _post_heading(h))
                       if t],
        site_names=[s for s in [_first(meta.get("og:site_name")), publisher, _first(meta.get("application-name"))]
                    if s],
        copyright_holder=copyright_holder(_first(meta.get("copyright"))),
        ld_authors=person_names((article or {}).get("author")),
        meta_authors=[v for key in AUTHOR_META for v in meta.get(key, [])],
        labelled_authors=labelled_authors(tree),
        byline_links=byline_links(tree),
        by_element=by_element(texts),
        by_line=by_line(tree),
        author_link=next((names for link in tree.iter("a") if link.get("rel") == "author"
                          for names in [split_byline(_clean_space(link.text_content()))] if names), []),
        ld_published=_ld_text((article or {}).get("datePublished") or (article or {}).get("dateCreated")),
        meta_published=next((v for key in PUBLISHED_META for v in meta.get(key, [])), None),
        page_published=[v for v in (_markup_time(e) for e in times if _published_markup(e)) if v]
        + printed_published(texts),
        modified=[v for v in [*(_ld_text(node.get("dateModified")) for node in nodes),
                              *(v for key in MODIFIED_META for v in meta.get(key, [])),
                              *(_markup_time(e) for e in times if _modified_markup(e))] if v],
        locales=[v.strip() for v in [tree.get("lang"), *meta.get("og:locale", []), *meta.get("content-language", [])]
                 if v and v.strip()],
        article_body=_ld_text((article or {}).get("articleBody")),
        description=_first(meta.get("og:description")) or _first(meta.get("description")),
        sections=[s for s in [*meta.get("article:section", []), *(_ld_text(v) for v in _as_list((article or {}).get("articleSection")))]
                  if s],
        paywalled=bool(not_free),
        paid_selectors=tuple(p["cssSelector"] for p in parts if _false(p.get("isAccessibleForFree"))
                             and isinstance(p.get("cssSelector"), str)),
        meta_headline=_first(meta.get("headline")),
        numeric_order=numeric_order(texts),
        header_published=header_dates(texts),
        stamps=[v for v in [*(_ld_text(node.get(key)) for node in nodes
                              for key in ("datePublished", "dateCreated", "dateModified", "uploadDate")),
                            *(v for key in (*PUBLISHED_META, *MODIFIED_META) for v in meta.get(key, [])),
                            *(t.get("datetime") for t in tree.iter("time")), *(_markup_time(e) for e in times)] if v],
    )


def copyright_holder(line: str | None) -> str | None:
    """The name a copyright line gives ("Copyright (c) Example Media 2022. All rights reserved." gives "Example
    Media"), or None when none is left."""
    name = _clean_space(_COPYRIGHT_WORDS.sub(" ", line or "")).strip(" .,")
    return name if name and len(name.split()) <= COPYRIGHT_HOLDER_WORDS else None


def _false(value) -> bool:
    """JSON-LD's false, as a boolean or as the string CMSs write ("False", "false")."""
    return value is False or (isinstance(value, str) and value.strip().casefold() == "false")


def _post_heading(element) -> bool:
    classes = (element.get("class") or "").split()
    return "entry-title" in classes or ("post-title" in classes and element.tag in ("h1", "h2", "h3"))


def _published_markup(element) -> bool:
    """Marked up as the publication time, in the body (a <head> meta with itemprop describes the page)."""
    in_body = next((True for a in element.iterancestors("body")), False)
    return in_body and (element.get("itemprop") == "datePublished"
                        or (element.tag == "time" and element.get("pubdate") is not None)
                        or (element.tag == "abbr" and "published" in (element.get("class") or "").split()))


def _modified_markup(element) -> bool:
    return element.get("itemprop") == "dateModified" or (
        element.tag == "abbr" and "updated" in (element.get("class") or "").split())


def _markup_time(element) -> str | None:
    if element.tag == "abbr":  # hAtom: the machine-readable time is the title
        return element.get("title") or None
    return (element.get("datetime") or element.get("content") or _clean_space(element.text_content())) or None


# --- structured data --------------------------------------------------------------------------------------------

def json_ld_nodes(tree) -> list[dict]:
    """Top-level JSON-LD nodes of the page: each script's object, list items, `@graph` members, `mainEntity`.

    Nested nodes (a live blog's updates, an image's author) are not returned: they describe parts of
    the page, not the page's article. A script wrapped in a CDATA section or an HTML comment (as XHTML
    templates write it, `<![CDATA[ {...} ]]>`) is read without the wrapper; scripts that are not valid JSON
    are skipped.
    """
    nodes: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(_WRAPPER.sub("", script.text or ""), strict=False)
        except ValueError:
            continue
        nodes.extend(_flatten(data))
    return nodes


def slim_json_ld(tree) -> None:
    """Replace the text of each JSON-LD script longer than JSON_LD_SLIM_CHARS with its data without the
    article's text (`articleBody`, a live blog's `liveBlogUpdate`), which `read_declared` has read already.

    This is for trafilatura's metadata, which reads the same scripts: it needs their names, dates and
    sections, not the text; on a live blog's 800 KB script its character-by-character clean-up and its
    parse-error fallback took over a second of CPU. Scripts that are not valid JSON are left as they are.
    """
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        text = script.text or ""
        if len(text) <= JSON_LD_SLIM_CHARS:
            continue
        try:
            data = json.loads(_WRAPPER.sub("", text), strict=False)
        except ValueError:
            continue
        script.text = json.dumps(_without_text(data), ensure_ascii=False)


def _without_text(data):
    if isinstance(data, list):
        return [_without_text(item) for item in data]
    if isinstance(data, dict):
        return {key: _without_text(value) for key, value in data.items() if key not in _TEXT_KEYS}
    return data


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


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _ld_text(value) -> str | None:
    """A JSON-LD value as clean text: `name` of an object, first of a list, HTML entities decoded."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("givenName", "additionalName", "familyName")]
        value = value.get("name") or " ".join(p for p in parts if isinstance(p, str) and p.strip()) or None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    return _clean_space(html.unescape(str(value))) or None


def person_names(value) -> list[str]:
    """Names in a JSON-LD `author`: a string, a Person or Organization object, or a list of them."""
    items = value if isinstance(value, list) else [value]
    return _unique([name for item in items for name in split_byline(_ld_text(item) or "")])


def meta_tags(tree) -> dict[str, list[str]]:
    """Non-empty `content` of <meta> tags by lower-cased name or property, in page order.

    `itemprop` metas are left out: they describe whatever element holds them (an image's "author" is its
    photographer), not necessarily the article.
    """
    tags: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = _clean_space(html.unescape(meta.get("content") or ""))
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key and content:
            tags.setdefault(key, []).append(content)
    return tags


# --- title ------------------------------------------------------------------------------------------------------

def choose_title(declared: Declared, fallback: str | None, hostname: str) -> Chosen:
    """The headline: og:title, else JSON-LD's headline, else the part of <title> that a visible heading
    confirms, else trafilatura's, else <title>; without the site's name. A placeholder ("null") or a
    title that is only the site's name is dropped (a field issue) for the next source.

    A title that is the page's description while the page's <h1> shows another headline is a dek copied
    into og:title, not a headline; trafilatura's title (the page's one <h1>, often) that shares no word with
    a <title> that is more than the site's name, both written in a script that spaces its words, is a
    widget's heading ("Original text").

    og:title comes first because it is the headline the publisher chose to show wherever the story is
    shared. Where a newsroom keeps a second, search-engine headline in JSON-LD the two differ in wording;
    measured on news-dev neither order wins more pages, but og:title keeps every page that plain
    trafilatura (which reads og:title first too) already got right.

    Where each title ends is confirmed by the headlines the page shows or declares alone (its <h1>, a post
    heading, JSON-LD's headline, og:title, a `<meta name="headline">`, trafilatura's title): a longer title that
    starts with one of them and then names the site is cut to it (`trim_to_confirmed`), so a section name
    between the two ("Headline-Politics | Site", where only the page's scripts name the section) goes too.
    """
    # Headings that show a post's title, most telling first; an <h1> repeated on the page is a brand.
    unique_h1 = [h for h in declared.h1 if declared.h1.count(h) == 1]
    # A "site name" that is the headline the page shows (a CMS that fills application-name with it) names no site.
    headlines = {_fold(t) for t in (declared.og_title, declared.headline, declared.html_title) if t} & {
        _fold(h) for h in [*unique_h1, *declared.post_headings]}
    keys = site_keys([*(n for n in declared.site_names if _fold(n) not in headlines), hostname])
    confirmations = [c for c in [*declared.h1, *declared.post_headings, declared.headline, declared.og_title,
                                 declared.meta_headline, fallback] if c]
    shown = [declared.post_headings, [t for t in (declared.og_title, declared.headline) if t], unique_h1]
    candidates = [("meta", declared.og_title), ("json-ld", declared.headline),
                  ("page", confirmed_part(declared.html_title, shown, keys)), ("trafilatura", fallback),
                  ("page", declared.html_title)]
    # The page's description, when the page's one <h1> says something else: a dek some CMSs copy into og:title.
    dek = _fold(declared.description or "")
    dek = dek if len(unique_h1) == 1 and _fold(unique_h1[0]) != dek else None
    # The words of a <title> that is more than the site's name: a heading trafilatura took shares one of them.
    html_words = _words(declared.html_title) if declared.html_title and _fold(declared.html_title) not in keys else set()
    issues = []
    for source, title in candidates:
        if not title:
            continue
        title = strip_section(strip_site_name(trim_to_confirmed(title, confirmations, keys), keys), declared.sections)
        issue = text_issue(title) or ("the site's name" if _fold(title) in keys else None)
        if issue is None and dek and _fold(title) == dek:
            issue = "the page's description"
        if (issue is None and source == "trafilatura" and html_words and not html_words & _words(title)
                and _spaced_scripts(declared.html_title) & _spaced_scripts(title)):
            issue = "a heading the page's <title> shares no word with"
        if issue is None:
            return Chosen(title, source, issues)
        issues.append(f"title: {title!r} {SOURCE_WORDS[source]} is {_article(issue)}")
    return Chosen(None, None, issues)


def confirmed_part(title: str | None, shown: list[list[str]], keys: set[str]) -> str | None:
    """The part of a "Site: Title", "Title | Site" or "Site - Title" <title> that the page shows alone, or
    None: `shown` lists the titles the page shows, in groups from the most telling (a blog's post heading)
    to the least (a lone <h1>). A part that is the site's name (`keys`, see `site_keys`) is never the
    title. A trailing agency credit ("Title - AFP") may be in the part or not: "Blog: Title - AFP" with a
    heading "Title" gives "Title - AFP"."""
    if not title:
        return None
    separators = list(re.finditer(_SEPARATOR, title))
    for group in shown:
        folded = {_fold(v) for v in group}
        for i, match in enumerate(separators):
            left, right = title[:match.start()].strip(), title[match.end():].strip()
            for part in (right, left):
                key = _fold(part)
                if len(key) >= 5 and key not in keys and (key in folded or _fold(_without_credit(part)) in folded):
                    if part is right:
                        return part
                    # "Title - AFP | Blog": the agency credit after the title goes with it, for `agency`
                    end = separators[i + 1].start() if i + 1 < len(separators) else len(title)
                    credit = title[match.end():end].strip()
                    return f"{left} - {credit}" if agency_name(credit) else left
    return None


def _without_credit(title: str) -> str:
    return without_agency_credit(title) or title


def _article(issue: str) -> str:
    return issue if issue.startswith(("a ", "the ")) else f"a {issue}"


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
    names the site: "Headline – DW – 13.06.2023" with an <h1> "Headline" gives "Headline"; or when it is
    one part in brackets, a source credit or a marker the headline shown elsewhere goes without
    ("Headline (Published 2016)", "見出し（CNET Japan）"); an agency credit in brackets stays, for `agency`.

    Titles are compared folded (case, punctuation and spaces ignored), so a curly apostrophe in one
    source and a straight one in another still match. A leftover that does not name the site
    ("Headline - Current news") stays: it may be part of the title.
    """
    for other in sorted(set(others), key=len, reverse=True):
        key = _fold(other)
        if len(other) >= len(title) or len(key) < 5:
            continue
        cut = _prefix_end(title, key)
        if cut is None:
            continue
        bracketed = _BRACKETED.match(title[cut:])
        if (bracketed and not agency_name(bracketed.group(2))
                and (not bracketed.group(3) or any(k in _fold(bracketed.group(3)) for k in keys))):
            return title[:cut] + bracketed.group(1)
        rest = _AFTER_CONFIRMED.match(title[cut:])
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
    """Remove a known site name (given folded, see `site_keys`) or a company's name at either end, with its
    separator: "Headline - Site", "Site | Headline", "Headline - Section | Site", "Headline | Example Co., Ltd.".
    Never returns an empty title."""
    for _ in range(2):  # the site's name, then once more for a name given twice
        parts = re.split(f"({_SEPARATOR})", title)
        if len(parts) < 3:
            break
        if _publisher(parts[-1], keys):
            title = "".join(parts[:-2]).strip()
        elif _publisher(parts[0], keys):
            title = "".join(parts[2:]).strip()
        else:
            break
    return title


def strip_section(title: str, sections: list[str]) -> str:
    """Remove the article's declared section (meta article:section, JSON-LD articleSection) from the end of a
    title, with its separator or a bare dash: "Headline - Politics", "Headline-정치" (left once the site's
    name is gone from "Headline - Politics | Site"). A title that is nothing but the section stays."""
    for section in sections:
        match = re.search(rf"(?:{_SEPARATOR}|[-–—])\s*{re.escape(section.strip())}\s*$", title, re.IGNORECASE)
        if match and match.start() > 0:
            return title[:match.start()].strip()
    return title


def _company(name: str, copyright_holder: str | None) -> bool:
    """The name is a company's: it ends with a legal form ("Inc.") or is the page's copyright holder."""
    return bool(_COMPANY.search(name.strip())) or (copyright_holder is not None and _fold(name) == _fold(copyright_holder))


def _publisher(name: str, keys: set[str]) -> bool:
    """The name is the site's (`keys`, see `site_keys`) or a company's (it ends with a legal form: "Inc.")."""
    return _fold(name) in keys or _company(name, None)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\W+", "", folded)


def _spaced_scripts(text: str) -> set[str]:
    """The scripts of a text's letters that put spaces between words (LATIN, CYRILLIC, GREEK, ARABIC, HANGUL,
    ...; by the first word of each letter's Unicode name). Two texts share no word only meaningfully when
    they share such a script: a Chinese heading and an English <title> share none whatever they say, and
    Chinese or Japanese writes a whole title as one unspaced run."""
    scripts = {unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha()}
    return scripts - _UNSPACED_SCRIPTS


def _words(text: str) -> set[str]:
    """The words of a text, folded as `_fold` folds them."""
    return set(_WORDS.findall(unicodedata.normalize("NFKC", text).casefold()))


# --- authors ----------------------------------------------------------------------------------------------------

def choose_authors(declared: Declared, fallback: list[str], hostname: str,
                   printed: list[str] | None = None) -> Chosen:
    """The first source that names someone plausibly: the byline printed as a bold line in the text
    (`printed`), JSON-LD authors (people or organisations: the page names them as authors), the names
    printed after an "Author" label, the author meta tags, trafilatura's byline, and last a line of the
    page that opens with "By Name," (not inside a link: that is another story's byline).

    Names that are dates, "Updated ..." lines or placeholders are dropped (field issues). A source that
    names only the site itself ("Mainichi" on mainichi.jp: what a CMS fills in when it has no byline
    field) or only login names ("mikecason") is kept for the end: a later source wins over it with full
    names (not a bare initials tag such as "amw"), and it stands when nothing names a person. The last
    source is the first author link of the page (`rel="author"`), wherever it is.

    Structured data sometimes keeps only the lead author of a shared byline: when the author links in the
    page's byline name everyone JSON-LD names and more, the byline's list is the full one.
    """
    keys = site_keys([*declared.site_names, hostname])
    issues: list[str] = []
    # (source, names, whether a single word may stand for a person over the site's name: a byline printed as
    # such, "By TPN, in News"; not a name in a link or after a bare "By", which may be an agency's credit)
    candidates = [("page", printed or [], True), ("json-ld", declared.ld_authors, False),
                  ("page", declared.labelled_authors, True), ("meta", declared.meta_authors, False),
                  ("trafilatura", fallback, False), ("page", declared.by_element, False),
                  ("page", declared.by_line, True), ("page", declared.author_link, False)]
    site_only: Chosen | None = None
    for source, values, printed_byline in candidates:
        names = _plausible_names(values, source, issues)
        if not names:
            continue
        if all(_fold(name) in keys or _login_name(name) for name in names):
            site_only = site_only or Chosen(names, source)
            continue
        others = {name: why for name in names if (why := _beside_a_person(name, declared.copyright_holder))}
        if others and len(others) < len(names):
            names = [name for name in names if name not in others]
            issues += [f"authors: {name!r} {SOURCE_WORDS[source]} is {what}" for name, what in others.items()]
        if site_only is not None and not printed_byline and not all(_full_name(name) for name in names):
            continue
        if source == "json-ld":
            linked = {_fold(name) for name in declared.byline_links}
            if len(linked) > len(names) and linked >= {_fold(n) for n in names}:
                return Chosen(declared.byline_links, "page", issues)
        if site_only is not None:
            what = "the site's name" if all(_fold(n) in keys for n in site_only.value) else "a login name"
            issues.append(f"authors: {', '.join(site_only.value)!r} {SOURCE_WORDS[site_only.source]} is {what}, "
                          "not a person's")
        return Chosen(names, source, issues)
    return Chosen(site_only.value, site_only.source, issues) if site_only else Chosen([], None, issues)


def _plausible_names(values: list[str], source: str, issues: list[str]) -> list[str]:
    """The names in a source's byline strings, without the ones that are dates or placeholders (each
    dropped value becomes a field issue)."""
    names = []
    for value in values:
        split = split_byline(value)
        dropped = {name: issue for name in split if (issue := name_issue(name))}
        names += [name for name in split if name not in dropped]
        if dropped and holds_date(value):
            issues.append(f"authors: {value!r} {SOURCE_WORDS[source]} holds a date, not a name")
        else:
            issues += [f"authors: {name!r} {SOURCE_WORDS[source]} is {_article(issue)}"
                       for name, issue in dropped.items()]
    return _unique(names)


def _beside_a_person(name: str, copyright_holder: str | None) -> str | None:
    """Why a name next to a person's in one source is no author's: a company's or a login name."""
    if _company(name, copyright_holder):
        return "the publishing company, not an author"
    return "a login name, not a person's" if _login_name(name) else None


def _login_name(name: str) -> bool:
    """One word in lower case, letters and digits: a CMS's user name ("mikecason"), not how a byline prints a
    person's name."""
    return name.isalnum() and name.isascii() and name.islower()


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
    if inverted and not re.fullmatch(_SUFFIX, inverted.group(2), re.IGNORECASE):
        value = f"{inverted.group(2)} {inverted.group(1)}"
    parts = [piece for part in _NAME_SPLIT.split(value) for piece in _at_conjunction(part)]
    return [name for name in (clean_name(part) for part in parts) if name]


def _at_conjunction(part: str) -> list[str]:
    """A byline part cut where another language's "and" joins two full names (see _CONJUNCTION)."""
    pieces = _CONJUNCTION.split(part)
    if len(pieces) > 1 and all(_written_as_full_name(_BY.sub("", piece)) for piece in pieces):
        return pieces
    return [part]


def _written_as_full_name(text: str) -> bool:
    """Two words or more, the first and last capitalised, those between capitalised or particles ("de", "van")."""
    words = text.split()
    return len(words) >= 2 and words[0][0].isupper() and words[-1][0].isupper() and all(
        word[0].isupper() or word in NAME_PARTICLES for word in words)


def clean_name(value: str) -> str | None:
    """One author's name without "By" (also after a section name: "Capital Von Jemima Kelly"), a trailing
    role ("기자"), e-mail addresses or URLs; None when nothing but a role, a URL or punctuation is left."""
    name = _EMAIL.sub(" ", _clean_space(value)).strip(" -–—:：·.,;|/\t")
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
    "<li>By: <a>Jane Doe</a>, <a>John Smith</a></li>" (a "By:" with its colon is a label too), or one text
    that holds the label, its colon and the names ("<a>著者：後藤大地</a>").

    The label tells the reader who wrote the story, so it is worth more than an author meta tag that a
    CMS fills with the site's name. The first label followed by names counts; a label inside a sentence
    ("our <b>author</b> of the week") does not, nor one followed by longer phrases than names.
    """
    for label in tree.iter(*_LABEL_TAGS):
        if (_clean_space(label.text_content()).strip(" :：").casefold() not in AUTHOR_LABELS
                or not _starts_its_line(label)):
            continue
        following = label.getnext()
        names = split_byline((label.tail or "").strip()
                             or (_clean_space(following.text_content()) if following is not None else ""))
        if names and all(len(name.split()) <= LABELLED_NAME_WORDS for name in names):
            return names
    for line in tree.iter(*_LINE_TAGS, "a"):
        opening = _LABEL_COLON.match(line.text or "")
        whole = _LABEL_AND_NAMES.match(line.text or "") if not len(line) else None
        if (opening and len(line)) or whole:
            rest = whole.group(1) if whole else _clean_space(line.text_content())[len(opening.group(0).strip()):]
            names = split_byline(rest)
            if names and all(len(name.split()) <= LABELLED_NAME_WORDS for name in names):
                return names
    return []


def unglued(names: list[str], tree) -> list[str]:
    """trafilatura's byline names without the text it glued to them from the next elements of the byline
    (a role, a date, a button: "Sam Stein Senior Politics Editor", "Jane Doe May", "Jane Doe Link Copied").

    A name of three words or more that is not the text of one element of the page, but starts with one
    of two to four words ("Sam Stein" in `<span>Sam Stein</span><span>Senior Politics Editor, ...</span>`),
    is cut to that; the names after it in the same byline are the rest of that glued text and go too.
    """
    if not any(len(name.split()) >= 3 for name in names):
        return names
    shown = {" ".join(node.split()).casefold() for node in visible_texts(tree)
             if 2 <= len(node.split()) <= LABELLED_NAME_WORDS}
    kept = []
    for name in names:
        words = name.split()
        if len(words) < 3 or name.casefold() in shown:
            kept.append(name)
            continue
        start = next((" ".join(words[:k]) for k in range(min(len(words) - 1, LABELLED_NAME_WORDS), 1, -1)
                      if " ".join(words[:k]).casefold() in shown), None)
        kept.append(start or name)
        if start:
            break
    return kept


def byline_links(tree) -> list[str]:
    """The names of the author links (rel="author", itemprop="author") in the page's byline element, the
    first one whose class says "byline"; links elsewhere on the page credit other stories."""
    byline = next((e for e in tree.iter(Element) if "byline" in (e.get("class") or "").lower()), None)
    links = byline.xpath(_AUTHOR_LINKS) if byline is not None else []
    return _unique([name for link in links for name in split_byline(_clean_space(link.text_content()))])


def by_line(tree) -> list[str]:
    """The names of the first line that opens with "By" and names, then a comma, a middle dot or a bar:
    "<p>By Jane Doe, in <a>News</a> · 31 Jan 2025</p>". A sentence ("By Tuesday, the council will
    vote.") ends with a full stop and is not a byline; words that are not capitalised are not names; a
    line inside a link is the byline of the story it links to.
    """
    for line in tree.iter("p", "div", "span"):
        opening = _BY_LINE.match(line.text or "")
        if (not opening or _clean_space(line.text_content()).endswith((".", "!", "?"))
                or next(line.iterancestors("a"), None) is not None):
            continue
        names = split_byline(opening.group(1))
        if names and all(_capitalised_name(name) for name in names):
            return names
    return []


def by_element(texts: list) -> list[str]:
    """The names in the element right after a "By" that ends a text of its own: "<span>By </span><a>Jane
    Doe</a>", "<div>By <span>Jane Doe</span></div>", "January 17, 2017 at 6:08 PM by <a>Jane Doe</a>", and
    the names in the elements that follow it joined by "and" or a comma ("By <a>Jane Doe</a> and <a>John
    Smith</a>").

    Before the "By" there is nothing, a separator or a date: "Photo by", "Powered by" are credits of
    another kind. Names are capitalised, at most four words each; a "By" inside a link is another story's.
    `texts` are the page's visible text nodes (`tasks.extraction.markup.visible_texts`).
    """
    for node in texts:
        ending = _BY_ENDING.search(node)
        if not ending:
            continue
        lead = node[:ending.start()].strip()
        if lead and not holds_date(lead) and not lead.endswith(_BEFORE_BY):
            continue
        holder = node.getparent()
        if node.is_tail:
            target = holder.getnext()
        else:
            target = holder[0] if len(holder) else holder.getnext()
        if target is None or not isinstance(target.tag, str) or next(holder.iterancestors("a"), None) is not None:
            continue
        names = split_byline(_clean_space(target.text_content()))
        while names and _JOINER.fullmatch(target.tail or "") and target.getnext() is not None:
            target = target.getnext()
            names += split_byline(_clean_space(target.text_content()))
        if names and all(_capitalised_name(name) for name in names):
            return _unique(names)
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

def choose_published(declared: Declared, fallback_day: str | None, url: str | None = None,
                     fetched_at: datetime | None = None) -> Chosen:
    """Publication time in UTC from the first plausible source: JSON-LD datePublished, the publication
    meta tags, the page (a time marked up as datePublished or hAtom `published`, a line printed after
    "Published", a date printed alone in the article's header), the URL's path, trafilatura's day (at
    midnight UTC).

    A time with a zone or offset is the instant it names. A time without one takes the offset the page's
    own timestamps state (`tasks.extraction.dates.stated_offset`), else keeps its wall time as UTC, its
    calendar day as printed, never a guessed shift (a field issue says the zone is unknown); a day alone
    is its midnight UTC. Numeric dates follow the page's day/month order
    (`tasks.extraction.dates.day_month_order`; a field issue when the order is a guess and the date reads
    both ways, unless the URL's date reads it one way); relative dates ("10 days ago") count back from the fetch time, and are no date without
    it. Modification dates are not publication dates: trafilatura's day is dropped when it is a declared
    modification day (its date library falls back to the modification date when nothing else is
    declared), and a modification time stands in only when no source dates the publication (`stand_in`).
    A placeholder (year 1, 1900, the epoch), a time before 1991 or after the fetch is dropped for the next
    source.
    """
    order = day_month_order(declared.locales, urlsplit(url or "").hostname, declared.numeric_order)
    languages = date_languages(declared.locales[0] if declared.locales else None)
    zone = stated_offset(declared.stamps)
    modified_days = {placed(d, zone).date() for d in (parse_date(v, order.day_first) for v in declared.modified) if d}
    url_day = url_date(url).date() if url_date(url) else None
    candidates = [("json-ld", declared.ld_published), ("meta", declared.meta_published),
                  *(("page", v) for v in declared.page_published), *(("page", v) for v in declared.header_published),
                  ("url", url_date(url)), ("trafilatura", fallback_day)]
    issues = []
    for source, value in candidates:
        if value is None:
            continue
        read = parse_printed if source == "page" else parse_date
        parsed = value if isinstance(value, datetime) else read(value, order.day_first, languages, fetched_at)
        if isinstance(value, str) and parsed is not None and order.evidence is None and ambiguous_order(value) \
                and url_day is not None:
            other = read(value, not order.day_first, languages, fetched_at)  # the URL's day decides the order
            parsed = other if other is not None and other.date() == url_day else parsed
        shown = value.date().isoformat() if isinstance(value, datetime) else value
        if parsed is None:
            if source != "page":  # a printed line is a guess of ours, not a value the page declares
                issues.append(f"published_at: {shown!r} {SOURCE_WORDS[source]} is not a date")
            continue
        when = placed(parsed, zone)
        issue = date_issue(when, fetched_at)
        if issue is None and source == "trafilatura" and when.date() in modified_days:
            issue = "the modification date"
        where = SOURCE_WORDS[source]
        if issue is None:
            return Chosen(when, source, issues + _caveats(value, parsed, zone, order, where, read, languages, url_day))
        issues.append(f"published_at: placeholder {shown} {where}" if issue == "placeholder"
                      else f"published_at: {shown} {where} is {issue}")
    return stand_in(declared.modified, order.day_first, zone, fetched_at, issues)


def stand_in(modified: list[str], first_day: bool, zone: timezone | None, fetched_at: datetime | None,
             issues: list[str]) -> Chosen:
    """When nothing dates the article's publication, its earliest plausible declared modification time stands in
    (the article was published then or before: pages that print only "Updated July 9, 2025"), with a field issue
    saying so; else no time."""
    times = [placed(t, zone) for t in (parse_date(v, first_day) for v in modified) if t]
    times = [t for t in times if date_issue(t, fetched_at) is None]
    if not times:
        return Chosen(None, None, issues)
    earliest = min(times)
    return Chosen(earliest, "declared", issues + [
        f"published_at: none found; the modification time {earliest.isoformat()} declared by the page stands in"])


def placed(parsed: datetime, zone: timezone | None) -> datetime:
    """A parsed time as an instant in UTC: an aware one as it is; a naive wall time (see
    `tasks.extraction.dates.parse_date`) in the page's `zone` when it has a time of day and the page states
    a zone, else as UTC (its calendar day kept)."""
    if parsed.tzinfo is not None:
        return parsed
    if zone is not None and has_time(parsed):
        return parsed.replace(tzinfo=zone).astimezone(timezone.utc)
    return parsed.replace(tzinfo=timezone.utc)


def _caveats(value, parsed: datetime, zone: timezone | None, order: DateOrder, where: str, read, languages,
             url_day) -> list[str]:
    """What a reader of the chosen time should know (field issues): its zone is unknown, its day and month
    could be read the other way (and the URL's day does not say which), it was counted back from the fetch
    time."""
    if isinstance(value, datetime):
        return []
    notes = []
    if parsed.tzinfo is None and zone is None and has_time(parsed):
        notes.append(f"published_at: {value!r} {where} names no time zone: its wall time is kept as UTC")
    if order.evidence is None and ambiguous_order(value) and parsed.date() != url_day:
        first = "day" if order.day_first else "month"
        notes.append(f"published_at: {value!r} {where} reads as two days: taken {first} first, as the page names "
                     "no region")
    if parsed.tzinfo is not None and read(value, order.day_first, languages) is None:
        notes.append(f"published_at: {value!r} {where} is relative: counted back from the fetch time")
    return notes


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

