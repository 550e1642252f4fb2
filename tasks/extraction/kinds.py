"""What kind of page a page is: one of `schemas.PAGE_KINDS` (article, forum, product, listing, ...).

A crawl of news and blog sites lands more than articles. `page_signals` measures, on the parsed page
before any pruning, what tells the kinds apart: the types the page declares (JSON-LD `@type`, microdata
`itemtype` and prices, `og:type`, article meta tags), the shape of its URL (a dated path, a long slug, words
such as `tag`, `forum`, `product`, `docs`, `pricing` among its segments), the structure of its body (prose
paragraphs, link density, code blocks, tables, forms, prices, printed dates, the words its class names use)
and its layout (the share of its words in one block's prose, runs of repeated linked items and their share
of the words and of prices, headings that link elsewhere, repeated blocks of sentences).
`classify` turns those signals into a kind with a multinomial logistic regression whose weights ship
in `kinds_model.json` beside this module (trained by `tests/corpora/train_page_kinds.py`, which also
records how the model scored on whole sites held out); it needs no library at run time.

An article is the kind that matters most: a page is an article unless the model gives another kind a
probability more than the model file's `article_margin` above the article's (the trainer chooses it by
cross-validation, so that an article is seldom set aside, a lost article, at the cost of a few non-articles
kept as articles; a tie goes to the article).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit

from lxml import etree

from tasks.extraction.metadata import json_ld_nodes, meta_tags

MODEL_FILE = "kinds_model.json"

# JSON-LD types (schema.org), by the kind of page they declare.
_LD_GROUPS = {
    "article": {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
                "BackgroundNewsArticle", "ReviewNewsArticle", "LiveBlogPosting", "BlogPosting", "Report",
                "ScholarlyArticle", "SatiricalArticle", "Review", "Recipe", "HowTo"},
    "tech": {"TechArticle", "APIReference", "SoftwareSourceCode"},
    "product": {"Product", "ProductGroup", "IndividualProduct", "Offer", "AggregateOffer", "Vehicle", "Car",
                "SoftwareApplication", "Book", "Course"},
    "forum": {"DiscussionForumPosting", "QAPage", "Question", "Answer", "Comment", "SocialMediaPosting"},
    "collection": {"CollectionPage", "ItemList", "SearchResultsPage", "OfferCatalog", "ProfilePage"},
    "service": {"Service", "LocalBusiness", "ProfessionalService", "FAQPage", "ContactPage", "AboutPage",
                "Event", "EducationalOrganization", "MedicalBusiness", "Store"},
}
# Words in a URL's path segments, by the kind of page they name.
_URL_WORDS = {
    "listing": {"tag", "tags", "category", "categories", "topic", "topics", "section", "archive", "archives",
                "author", "authors", "search", "latest", "page", "news", "blog", "blogs", "articles", "posts"},
    "collection": {"collections", "collection", "shop", "store", "catalog", "catalogue", "browse", "c", "department",
                   "products", "list", "lists", "best", "gallery"},
    "product": {"product", "p", "dp", "item", "items", "buy", "sku", "model", "gp"},
    "forum": {"forum", "forums", "thread", "threads", "t", "questions", "question", "discussion", "discussions",
              "community", "comments", "r", "viewtopic", "showthread", "topic", "answers", "boards", "board"},
    "documentation": {"docs", "doc", "documentation", "api", "reference", "manual", "developer", "developers",
                      "guide", "guides", "kb", "help", "support", "wiki", "tutorial", "tutorials", "library", "sdk",
                      "man", "latest", "stable", "en-us", "howto"},
    "service": {"services", "service", "pricing", "plans", "plan", "about", "contact", "solutions", "features",
                "enterprise", "careers", "programs", "program", "admissions", "tuition", "fees", "book", "booking",
                "pricing-plans", "consulting", "locations", "apply"},
}
# Words in class and id attributes, by what they mark.
_CLASS_WORDS = {
    "post": {"post", "posts", "message", "messages", "reply", "replies", "comment", "comments", "thread", "topic",
             "forum", "answer", "answers", "question", "vote", "votes", "upvote", "username", "avatar", "quote"},
    "shop": {"product", "products", "price", "prices", "cart", "basket", "sku", "stock", "buy", "checkout",
             "variant", "variants", "quantity", "qty", "rating", "reviews", "wishlist", "shipping", "offer"},
    "card": {"card", "cards", "grid", "tile", "tiles", "teaser", "teasers", "listing", "feed", "item", "items",
             "excerpt", "thumbnail", "thumb", "pagination", "pager", "results", "result"},
    "doc": {"doc", "docs", "documentation", "toc", "sidebar", "highlight", "code", "api", "reference", "admonition",
            "note", "warning", "tip", "version", "sphinx", "markdown", "md", "headerlink", "anchor"},
    "article": {"article", "entry", "story", "byline", "author", "dateline", "published", "headline", "lede",
                "lead", "body", "content", "caption", "share", "related", "tags"},
    "service": {"pricing", "plan", "plans", "cta", "hero", "testimonial", "testimonials", "features", "feature",
                "contact", "form", "faq", "accordion", "team", "services", "benefits", "banner", "signup"},
}
_ITEMTYPES = etree.XPath("//@itemtype")
_ITEMPROPS = etree.XPath("//@itemprop")
_CLASS_TOKEN = re.compile(r"[a-z]+")
_WORD = re.compile(r"\w+")
_DATED_PATH = re.compile(r"/(?:19|20)\d\d(?:/|-)(?:[01]?\d)(?:/|-|$)|/(?:19|20)\d\d/")
# A date as pages print it: 2024-03-05, 05/03/2024, 5 March 2024, March 5, 2024, Mar 5 (English month names:
# the labelled pages are English; elsewhere the numeric forms still count).
_PRINTED_DATE = re.compile(r"\b(?:(?:19|20)\d\d-[01]\d-[0-3]\d|[0-3]?\d[./][01]?\d[./](?:19|20)\d\d"
                           r"|(?:[0-3]?\d\s+)?(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
                           r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
                           r"(?:\s+[0-3]?\d(?:st|nd|rd|th)?,?)?\s+(?:19|20)\d\d)\b")
_NUMBER_SEGMENT = re.compile(r"^\d{3,}")
_PRICE = re.compile(r"(?:[$€£¥]\s?\d|\d(?:[.,]\d\d)?\s?(?:€|USD|EUR|GBP)\b)")
# A paragraph of at least this many words reads as prose.
PROSE_WORDS = 10
# A piece of text of at most this many words is a label: a button, a link, a field's name ("Reply", "Add to cart").
LABEL_WORDS = 3
_VISIBLE = etree.XPath("//body//text()[normalize-space() and not(ancestor::script or ancestor::style"
                       " or ancestor::noscript or ancestor::template)]")


@dataclass(frozen=True)
class Kind:
    """A page's kind, the model's probability of it (0 to 1), and where it came from: `json-ld` or `meta` when the
    page's JSON-LD types or its og:type named that kind (and the model agreed), else `model`."""

    value: str
    confidence: float
    source: str


def page_signals(tree, url: str | None) -> dict[str, float]:
    """The signals of a parsed page (an lxml tree, before pruning) and its URL, by name: declared types (0 or 1),
    URL shape, and the body's structure (counts on a log scale, shares 0 to 1). The names are those the model
    file lists; a signal the page lacks is 0."""
    signals: dict[str, float] = {}
    _declared(tree, signals)
    _url_shape(url or "", signals)
    _structure(tree, signals)
    return signals


def _declared(tree, signals: dict[str, float]) -> None:
    types = {t for node in json_ld_nodes(tree) for t in _ld_types(node)}
    for group, names in _LD_GROUPS.items():
        signals[f"ld_{group}"] = float(bool(types & names))
    signals["ld_none"] = float(not types)
    meta = meta_tags(tree)
    og_type = (meta.get("og:type") or [""])[0].strip().lower()
    signals["og_article"] = float(og_type == "article" or og_type.startswith("article"))
    signals["og_product"] = float("product" in og_type)
    signals["og_website"] = float(og_type == "website")
    signals["meta_published"] = float(any(k in meta for k in ("article:published_time", "og:published_time",
                                                                   "datepublished", "pubdate", "date")))
    signals["meta_author"] = float(any(k in meta for k in ("author", "article:author", "parsely-author")))
    signals["meta_section"] = float(any(k in meta for k in ("article:section", "article:tag", "parsely-section")))
    signals["og_other"] = float(bool(og_type) and og_type not in ("website", "article") and "product" not in og_type)
    _microdata(tree, signals)


def _microdata(tree, signals: dict[str, float]) -> None:
    """Microdata: the schema.org types of `itemtype` attributes, by group, and whether an element holds a price."""
    types = {t.rstrip("/").rsplit("/", 1)[-1] for value in _ITEMTYPES(tree) for t in value.split()}
    for group, names in _LD_GROUPS.items():
        signals[f"md_{group}"] = float(bool(types & names))
    props = {p for value in _ITEMPROPS(tree) for p in value.split()}
    signals["md_price"] = float(bool(props & {"price", "lowPrice", "highPrice", "offers", "priceCurrency"}))
    signals["md_article_body"] = float(bool(props & {"articleBody", "articlebody"}))


def _ld_types(node: dict) -> set[str]:
    value = node.get("@type")
    return {v.rsplit("/", 1)[-1] for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)}


def _url_shape(url: str, signals: dict[str, float]) -> None:
    parts = urlsplit(url)
    path = parts.path.lower()
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    stem = last.rsplit(".", 1)[0] if "." in last else last
    words = [w for w in re.split(r"[-_+]", stem) if w]
    signals["url_depth"] = math.log1p(len(segments))
    signals["url_root"] = float(not segments)
    signals["url_slug_words"] = math.log1p(len(words)) if not stem.isdigit() else 0.0
    signals["url_long_slug"] = float(len(words) >= 5)
    signals["url_dated"] = float(bool(_DATED_PATH.search(path)))
    signals["url_number"] = float(any(_NUMBER_SEGMENT.match(s) for s in segments))
    signals["url_query"] = float(bool(parts.query))
    signals["url_trailing_slash"] = float(path.endswith("/") and bool(segments))
    signals["url_html"] = float(last.endswith((".html", ".htm", ".php", ".aspx", ".asp")))
    tokens = {w for s in segments for w in re.split(r"[-_.]", s) if w} | set(segments)
    query_tokens = set(re.findall(r"[a-z]+", parts.query.lower()))
    for group, names in _URL_WORDS.items():
        signals[f"url_{group}"] = float(bool(tokens & names) or (group == "forum" and bool(query_tokens & {"t", "topic", "thread"})))
        signals[f"url_last_{group}"] = float(bool(set(re.split(r"[-_.]", last)) & names) and len(words) <= 2)


def _structure(tree, signals: dict[str, float]) -> None:
    body = tree.find("body")
    if body is None:
        body = tree
    tags: dict[str, int] = {}
    class_hits = {group: 0 for group in _CLASS_WORDS}
    for element in body.iter(etree.Element):
        tags[element.tag] = tags.get(element.tag, 0) + 1
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if names.strip():
            tokens = set(_CLASS_TOKEN.findall(names))
            for group, words in _CLASS_WORDS.items():
                if tokens & words:
                    class_hits[group] += 1
    texts = _VISIBLE(tree)
    words = sum(len(_WORD.findall(t)) for t in texts)
    linked = sum(len(_WORD.findall(t)) for t in texts if _in_link(t))
    counts = _word_counts(body)
    paragraphs = [(p, counts[p]) for p in body.iter("p")]
    prose = sum(n for _, n in paragraphs if n >= PROSE_WORDS)
    text = " ".join(texts)
    for word in {w for t in texts if len(words_of := _WORD.findall(t.lower())) <= LABEL_WORDS for w in words_of
                 if not w.isdigit()}:
        signals[f"label:{word}"] = 1.0
    title = tree.findtext(".//title") or ""
    for word in set(_WORD.findall(title.lower())):
        if not word.isdigit():
            signals[f"title:{word}"] = 1.0
    signals["words"] = math.log1p(words)
    signals["prose_words"] = math.log1p(prose)
    signals["prose_share"] = prose / words if words else 0.0
    signals["link_share"] = linked / words if words else 0.0
    signals["prose_paragraphs"] = math.log1p(sum(n >= PROSE_WORDS for _, n in paragraphs))
    signals["prices"] = math.log1p(len(_PRICE.findall(text)))
    signals["printed_dates"] = math.log1p(len(_PRINTED_DATE.findall(text)))
    for tag in ("article", "li", "h2", "h3", "pre", "code", "table", "form", "input", "button", "img", "time",
                "blockquote", "h1", "select", "nav", "aside"):
        signals[f"n_{tag}"] = math.log1p(tags.get(tag, 0))
    for group, hits in class_hits.items():
        signals[f"class_{group}"] = math.log1p(hits)
    elements = sum(tags.values())
    signals["elements"] = math.log1p(elements)
    signals["words_per_element"] = math.log1p(words / elements) if elements else 0.0
    _blocks(body, paragraphs, counts, words, signals)
    _teasers(tree, signals)


def _word_counts(body) -> dict:
    """The words of each element's text, its descendants' included, by element (one pass, from the leaves up)."""
    counts: dict = {}
    for element in reversed(list(body.iter())):
        n = len(_WORD.findall(element.text or "")) if isinstance(element.tag, str) else 0
        for child in element:
            n += counts.get(child, 0) + len(_WORD.findall(child.tail or ""))
        counts[element] = n
    return counts


def _blocks(body, paragraphs: list, counts: dict, words: int, signals: dict[str, float]) -> None:
    """How the body's `words` are laid out (`paragraphs`: each <p> with its words; `counts`: `_word_counts`): the
    share in the prose paragraphs of the one block that holds the most (an article's body, a post), how many
    blocks hold prose paragraphs, the largest number of an element's children that share a tag and class and
    each hold a link (the items of a list of teasers, products or threads), how many such runs of three or more
    there are, the share of the words in the largest and the share of its items that show a price (a shop's
    grid), and the largest run of such children that each hold two sentences or more of text (posts, replies)."""
    prose_by_block: dict = {}
    for paragraph, n in paragraphs:
        if n >= PROSE_WORDS and (parent := paragraph.getparent()) is not None:
            prose_by_block[parent] = prose_by_block.get(parent, 0) + n
    top = max(prose_by_block.values(), default=0)
    signals["main_prose_share"] = min(1.0, top / words) if words else 0.0
    signals["prose_blocks"] = math.log1p(len(prose_by_block))
    repeated, runs, largest, largest_parent, texty = 0, 0, 0, None, 0
    for element in body.iter(etree.Element):
        if len(element) < 3:
            continue
        linked: dict[tuple, int] = {}
        wordy: dict[tuple, int] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            key = (child.tag, child.get("class"))
            if child.find(".//a") is not None:
                linked[key] = linked.get(key, 0) + 1
            if child.tag in ("div", "li", "article", "section", "tr", "dd") and counts[child] >= 2 * PROSE_WORDS:
                wordy[key] = wordy.get(key, 0) + 1
        run = max(linked.values(), default=0)
        repeated = max(repeated, run)
        if run >= 3:
            runs += 1
            if run > largest:
                largest, largest_parent = run, element
        texty = max(texty, max(wordy.values(), default=0))
    priced = sum(1 for child in largest_parent if isinstance(child.tag, str)
                 and _PRICE.search(child.text_content())) if largest_parent is not None else 0
    signals["repeated_items"] = math.log1p(repeated)
    signals["repeated_runs"] = math.log1p(runs)
    signals["repeated_share"] = min(1.0, counts[largest_parent] / words) if words and largest else 0.0
    signals["priced_items"] = priced / largest if largest else 0.0
    signals["repeated_texts"] = math.log1p(texty)


def _teasers(tree, signals: dict[str, float]) -> None:
    """Headings that link to another page (a teaser's title; a link to an anchor of the page itself is not one),
    and their share of the headings."""
    headings = [h for h in tree.iter("h2", "h3", "h4", "h5")]
    linked = sum(1 for h in headings if any(not (a.get("href") or "#").startswith("#") for a in h.iter("a"))
                 or _in_anchor(h))
    signals["linked_headings"] = math.log1p(linked)
    signals["linked_heading_share"] = linked / len(headings) if headings else 0.0


def _in_anchor(element) -> bool:
    return any(parent.tag == "a" and not (parent.get("href") or "#").startswith("#")
               for parent in element.iterancestors())


def _in_link(text) -> bool:
    element = text.getparent()
    while element is not None:
        if element.tag == "a":
            return True
        if element.tag in ("p", "li", "div", "body", "td"):
            return False
        element = element.getparent()
    return False


@dataclass(frozen=True)
class Model:
    """A multinomial logistic regression over page signals: standardised inputs, one weight row per kind."""

    kinds: tuple[str, ...]
    signals: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    article_margin: float

    def probabilities(self, signals: dict[str, float]) -> dict[str, float]:
        """Each kind's probability (softmax of the linear scores), for the named signals (missing ones are 0)."""
        x = [(signals.get(name, 0.0) - m) / s for name, m, s in zip(self.signals, self.mean, self.scale)]
        scores = [b + sum(w * v for w, v in zip(row, x)) for row, b in zip(self.weights, self.bias)]
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return {kind: e / total for kind, e in zip(self.kinds, exp)}

    def decide(self, probabilities: dict[str, float]) -> tuple[str, float]:
        """The kind and its probability: article unless another kind is `article_margin` more probable."""
        best = max(probabilities, key=probabilities.get)
        article = probabilities.get("article", 0.0)
        if best != "article" and probabilities[best] - article <= self.article_margin:
            return "article", article
        return best, probabilities[best]

    def as_dict(self) -> dict:
        return {"kinds": list(self.kinds), "signals": list(self.signals), "mean": list(self.mean),
                "scale": list(self.scale), "weights": [list(r) for r in self.weights], "bias": list(self.bias),
                "article_margin": self.article_margin}

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        return cls(tuple(data["kinds"]), tuple(data["signals"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(tuple(r) for r in data["weights"]), tuple(data["bias"]), float(data["article_margin"]))


@cache
def shipped_model() -> Model:
    """The model that ships in `kinds_model.json` (read once per process)."""
    return Model.from_dict(json.loads(files(__package__).joinpath(MODEL_FILE).read_text(encoding="utf-8")))


def classify(signals: dict[str, float], model: Model | None = None) -> Kind:
    """The page's kind from its signals (`page_signals`), by `model` (default: the shipped one)."""
    model = model or shipped_model()
    value, confidence = model.decide(model.probabilities(signals))
    if signals.get(f"ld_{value}") or (value == "documentation" and signals.get("ld_tech")):
        source = "json-ld"
    elif signals.get(f"og_{value}"):
        source = "meta"
    else:
        source = "model"
    return Kind(value, round(confidence, 3), source)
