"""What kind of page a page is: one of `schemas.PAGE_KINDS` (article, forum, product, listing, ...).

A crawl of news and blog sites lands more than articles. `page_signals` measures, on the parsed page
before any pruning, what tells the kinds apart: the types the page declares (JSON-LD `@type`, `og:type`,
article meta tags), the shape of its URL (a dated path, a long slug, words such as `tag`, `forum`,
`product`, `docs`, `pricing` among its segments), and the structure of its body (prose paragraphs,
link density, repeated items, code blocks, tables, forms, prices, the words its class names use).
`classify` turns those signals into a kind with a multinomial logistic regression whose weights ship
in `kinds_model.json` beside this module (trained by `tests/corpora/train_page_kinds.py`, which also
records how the model scored on whole sites held out); it needs no library at run time.

An article is the kind that matters most: a page is an article unless the model gives another kind a
probability the model file's `article_margin` above the article's, so that an article is seldom set
aside (a lost article) at the cost of a few non-articles kept as articles.
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
_CLASS_TOKEN = re.compile(r"[a-z]+")
_WORD = re.compile(r"\w+")
_DATED_PATH = re.compile(r"/(?:19|20)\d\d(?:/|-)(?:[01]?\d)(?:/|-|$)|/(?:19|20)\d\d/")
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
    repeated = 0
    for element in body.iter(etree.Element):
        tags[element.tag] = tags.get(element.tag, 0) + 1
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if names.strip():
            tokens = set(_CLASS_TOKEN.findall(names))
            for group, words in _CLASS_WORDS.items():
                if tokens & words:
                    class_hits[group] += 1
        if len(element) >= 3:
            repeated = max(repeated, _repeated_items(element))
    texts = _VISIBLE(tree)
    words = sum(len(_WORD.findall(t)) for t in texts)
    linked = sum(len(_WORD.findall(t)) for t in texts if _in_link(t))
    paragraphs = [len(_WORD.findall(p.text_content())) for p in body.iter("p")]
    prose = sum(n for n in paragraphs if n >= PROSE_WORDS)
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
    signals["prose_paragraphs"] = math.log1p(sum(n >= PROSE_WORDS for n in paragraphs))
    signals["repeated_items"] = math.log1p(repeated)
    signals["prices"] = math.log1p(len(_PRICE.findall(text)))
    for tag in ("article", "li", "h2", "h3", "pre", "code", "table", "form", "input", "button", "img", "time",
                "blockquote", "h1", "select", "nav", "aside"):
        signals[f"n_{tag}"] = math.log1p(tags.get(tag, 0))
    for group, hits in class_hits.items():
        signals[f"class_{group}"] = math.log1p(hits)
    elements = sum(tags.values())
    signals["elements"] = math.log1p(elements)
    signals["words_per_element"] = math.log1p(words / elements) if elements else 0.0


def _repeated_items(parent) -> int:
    """The largest number of the element's children that share a tag and class and each hold a link: the items
    of a list of teasers, products or threads."""
    seen: dict[tuple, int] = {}
    for child in parent:
        if isinstance(child.tag, str) and child.find(".//a") is not None:
            key = (child.tag, child.get("class"))
            seen[key] = seen.get(key, 0) + 1
    return max(seen.values(), default=0)


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
