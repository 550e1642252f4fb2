"""Build the second development corpus, web-dev, and its held-out third, web-holdout, from annotated
test pages that public extraction projects publish with their expected output.

The pages and their truth are other people's work (and the pages are their publishers' copyright), so
nothing of them is committed: this script rebuilds the corpus from the public repositories, read at
fixed commits (cloned on first use, `tasks/entities/training/repos.py`), into a folder outside the
repository (by default `../corpora` beside the checkout).

Sources (repository, commit read, licence, what is taken):

- `mozilla/readability` at ab4027a8b37669745016869a37a504727992b2ba, Apache-2.0.
  `test/test-pages/<name>/source.html` is the page; `expected.html` is the article as Readability
  extracts it (the project's reviewed expected output), converted here to text (paragraphs, headings,
  list items, table rows and figure captions each a paragraph; Readability keeps captions, so the
  truth does too); `expected-metadata.json` gives `title`, `byline` and `publishedTime`.
  Only real article pages are taken (not the project's small synthetic test cases, nor product pages,
  encyclopedia articles or front pages: `READABILITY_SKIPPED`). A byline is split into names; where
  Readability's title or byline is not the article's headline or authors (a site name left in the
  title, a date or "Follow Author" as byline), `READABILITY_CORRECTIONS` gives the value read in the
  page itself, or null when the page does not say.
- `codelucas/newspaper` at 1618b547f31c2d1fd19ae3b6afd8f7542dd02074, MIT. `tests/data/html/<site><n>.html`
  with `tests/data/text/<site><n>.txt`, the article text newspaper's authors accepted as correct
  (`tests/unit_tests.py`, ExhaustiveFullTextCase); the URL is line n of the site's pages in
  `tests/data/fulltext_url_list.txt`. Body truth only: title, authors and date are null. A text file
  that records a failure instead of a text ("MISSED LAST PARAGRAPH", empty files) is not taken, nor a photo
  gallery's captions (`NEWSPAPER_SKIPPED`), nor one under `NEWSPAPER_MIN_WORDS`.
- `AndyTheFactory/newspaper4k` at 540bff3e8344cb8291c4829fafd98860f30d9692, MIT. `tests/data/html/<name>.html`
  with `tests/data/txt/<name>.txt` for the pages of `NEWSPAPER4K_PAGES` (its pages in Arabic, Burmese,
  Chinese, Japanese, Latvian, Spanish and Thai, URLs and languages from its `tests/conftest.py`, and its
  recent English pages, URLs from `tests/data/metadata/<name>.json`). Body truth only: the metadata files
  are the extractor's output, with wrong authors, so they are not used.
- `postlight/parser` at e8ba7ece291efa4d915d50dd4deeec17d54359f2, MIT or Apache-2.0 (dual). The first test
  case of each `src/extractors/custom/<host>/index.test.js`: its URL, its `./fixtures/*.html` page, and the
  `title`, `author` and `date_published` its authors wrote in by hand. No body truth (the tests check only
  the first 13 words), so these pages are not scored for body. Pages that are not articles are skipped
  (`POSTLIGHT_SKIPPED`); authors that are a URL or carry a label are corrected from the page
  (`POSTLIGHT_CORRECTIONS`); a date_published at local midnight is the day the page printed (`_mercury_day`).
  The tool that saved these fixtures wrote every <meta> tag's `content` as `value` (`<meta name="author"
  value="...">`, which no browser or extractor reads); `content` is restored (`restore_meta_content`), so
  the pages are scored as the live pages were served.

Left out on purpose: flairNLP/fundus (its pages are news-dev), scrapinghub/article-extraction-benchmark
and every bundle that contains it (kept for independent checks), and every site (registrable domain)
that has a page in news-dev.

URLs: the URL the source records (newspaper's URL list; the page's canonical link or og:url for
Readability's pages). Where a Readability page records none, `READABILITY_DERIVED_HOSTS` names the site
the page shows it came from and the URL is derived from it as https://<host>/_readability-test-page/<name>
(stable, and marked as derived by its path).

Output, in news-dev's format (../shared/corpus/README.md): `pages.jsonl.gz` (url, html, fetched_at,
publisher) and `truth.jsonl` (url, title, authors, published_at, body, publisher, language_country),
where a field the source does not give is null. `publisher` is the site (registrable domain);
`language_country` is the page's language as the source declares it (Readability's `lang`, newspaper4k's
fixture), else as the page declares it on its `<html>` element, else null;
`fetched_at` is null (the sources do not say).

Split, by site and deterministically: a site whose name's SHA-256, read as a number, is a multiple of 3
goes to web-holdout (a third of the sites, and a site never changes sides when sources are added), the
others to web-dev. web-holdout is looked at last, once: nobody tunes on it.

Run

    .venv/bin/python tests/corpora/build_web_corpus.py [--sources DIR] [--out ../corpora]

which clones github.com/mozilla/readability, codelucas/newspaper, AndyTheFactory/newspaper4k and
postlight/parser under DIR (default ~/.cache/pagefold/sources) unless they are there already. It prints the
pages, sites and languages of each corpus. Raises SystemExit when a repository or its commit cannot be had.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from lxml import html as lxml_html

from tasks.entities.training.repos import DEFAULT_SOURCES, Repository, open_repository

ROOT = Path(__file__).resolve().parents[2]
NEWS_DEV = ROOT.parent / "shared" / "corpus" / "news-dev"

READABILITY = ("mozilla/readability", "ab4027a8b37669745016869a37a504727992b2ba")
NEWSPAPER = ("codelucas/newspaper", "1618b547f31c2d1fd19ae3b6afd8f7542dd02074")
NEWSPAPER4K = ("AndyTheFactory/newspaper4k", "540bff3e8344cb8291c4829fafd98860f30d9692")
POSTLIGHT = ("postlight/parser", "e8ba7ece291efa4d915d50dd4deeec17d54359f2")

# newspaper4k's test pages in other languages (tests/conftest.py, language_article_fixture) and its
# recent English pages (tests/data/metadata/<name>.json "url"): name -> (URL, language).
NEWSPAPER4K_PAGES = {
    "thai_article": ("https://prachatai.com/journal/2019/01/80642", "th"),
    "arabic_article": ("http://arabic.cnn.com/2013/middle_east/8/2/syria.clashes/index.html", "ar"),
    "spanish_article": ("http://ultimahora.es/mallorca/noticia/noticias/local/"
                        "fiscalia-anticorrupcion-estudia-recurre-imputacion-infanta.html", "es"),
    "chinese_article": ("http://news.sohu.com/20050601/n225789219.shtml", "zh"),
    "japanese_article": ("https://www.nikkei.com/article/DGXMZO31897660Y8A610C1000000/", "ja"),
    "japanese_article2": ("http://www.afpbb.com/articles/-/3178894", "ja"),
    "chinese_article_001": ("https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html", "zh"),
    "chinese_article_002": ("http://www.news.cn/fortune/2023-11/17/c_1129981476.htm", "zh"),
    "latvian_article": ("https://www.lsm.lv/raksts/zinas/arzemes/"
                        "norvegija-pec-zemes-nogruvuma-pieci-bojagajusie.a387519/", "lv"),
    "burmese_article": ("https://www.bbc.com/burmese/burma-45989453", "my"),
    "cnn_001": ("https://www.cnn.com/2023/11/06/politics/alito-prelogar-supreme-court-analysis/index.html", "en"),
    "cnn_002": ("https://www.cnn.com/2023/11/06/politics/takeaways-trump-engoron-testimony-fraud-case/index.html",
                "en"),
    "time_001": ("https://time.com/6330957/james-hansen-climate-warning-geoengineering-study/", "en"),
    "video_article_02": ("https://www.oneesports.gg/league-of-legends/t1-worlds-2023-champion/", "en"),
    "article_with_divs": ("https://www.linknaija.com/2018/10/nollywood-actress-kate-henshaw-is.html", "en"),
    "yna_co_kr": ("https://en.yna.co.kr/view/AEN20190820002300325?section=nk/nk", "en"),
    "fox13now_001": ("https://www.fox13now.com/2013/12/30/new-year-new-laws-obamacare-pot-guns-and-drones/",
                     "en"),
}

# Readability test pages that are not articles (synthetic cases are skipped by size; see _readability).
READABILITY_SKIPPED = {
    "mozilla-1": "product page", "mozilla-2": "product page", "wikipedia": "encyclopedia article",
    "wikipedia-2": "encyclopedia article", "wikipedia-3": "encyclopedia article",
    "wikipedia-4": "encyclopedia article", "nytimes-5": "section front page", "yahoo-2": "front page",
    "lifehacker-post-comment-load": "same URL as lifehacker-working", "daringfireball-1": "site colophon",
    "mercurial": "software documentation", "clean-links": "study text of a novel",
    "data-url-image": "not a page of a site", "archive-of-our-own": "fan fiction chapter",
    "royal-road": "fiction chapter", "google-sre-book-1": "book chapter", "mathjax": "not readerable",
    "hukumusume": "children's fable",
}

# Where a Readability page records no URL: the host the page itself shows it came from.
READABILITY_DERIVED_HOSTS = {
    "001": "nicolas.perriault.net", "blogger": "siliconexposed.blogspot.com", "ebb-org": "ebb.org",
    "gmw": "www.gmw.cn", "ietf-1": "tools.ietf.org", "keep-tabular-data": "www.factorio.com",
    "la-nacion": "www.lanacion.com.ar", "lwn-1": "lwn.net", "qq": "tech.qq.com", "v8-blog": "v8.dev",
    "webmd-1": "www.webmd.com", "webmd-2": "www.webmd.com", "youth": "news.youth.cn",
}

# Truth read in the page where Readability's expected metadata is not the headline or the authors.
# Keys: "title" (str), "authors" (list, or None when the page names nobody).
READABILITY_CORRECTIONS: dict[str, dict] = {
    "breitbart": {"title": "'Neutral' Snopes Fact-Checker David Emery: 'Are There Any Un-Angry Trump Supporters?'",
                  "authors": ["Lucas Nolan"]},
    "ebb-org": {"title": "On Recent Controversial Events", "authors": ["Bradley M. Kuhn"]},
    "ehow-1": {"title": "How to Build a Terrarium"},
    "ehow-2": {"title": "How to Throw a Graduation Party on a Budget"},
    "firefox-nightly-blog": {"title": "These Weeks in Firefox: Issue 85"},
    "gmw": {"title": "宇航员在太空中喝酒会怎么样？后果很严重", "authors": None},  # 肖春芳 is the editor (责任编辑)
    "heise": {"authors": None},  # "Mac & i" is the magazine, the page names no author
    "iab-1": {"title": "Getting LEAN with Digital Ad UX"},
    "ietf-1": {"authors": ["Michiel de Jong"]},
    "keep-tabular-data": {"title": "Friday Facts #282 - 0.17 in sight"},
    "lemonde-1": {"authors": ["Martin Untersinger", "Damien Leloup", "Morgane Tual"]},
    "lwn-1": {"title": "LWN.net Weekly Edition for March 26, 2015", "authors": None},  # many authors' articles
    "medium-3": {"title": "Samantha and The Great Big Lie"},
    "pixnet": {"title": "新竹尖石_美樹營地賞楓 (2)", "authors": None},  # the blog's name, not a person's
    "qq": {"title": "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶"},
    "seattletimes-1": {"authors": ["Benjamin Romano"]},  # Readability took the date line
    "spiceworks": {"authors": None},  # Readability took "Last Updated: ..."
    "v8-blog": {"title": "Outside the web: standalone WebAssembly binaries using Emscripten",
                "published_at": "2019-11-21"},
    "webmd-1": {"authors": ["Brenda Goodman"]},
    "webmd-2": {"authors": ["Kelli Miller"]},
    "yahoo-3": {"authors": ["Gillian Mohney"]},
    "yahoo-4": {"title": "トレンドマイクロ、公衆無線LANを安全に使うためのアプリ「フリーWi-Fiプロテクション」",
                "authors": None},  # "個人" is not a name
    "youth": {"title": "海外留学生看两会：出国前后关注点大不同", "authors": None},  # 崔宁宁 is the editor
}

# newspaper pages whose accepted text is not the article: photo galleries, where it holds captions only.
NEWSPAPER_SKIPPED = {"slate.com2": "photo gallery", "cntraveler.com1": "photo gallery",
                     "cntraveler.com2": "photo gallery"}
NEWSPAPER_MIN_WORDS = 100  # shorter accepted texts are a caption, a teaser or a notice, not an article

# Postlight Parser test pages that are not articles (by the test's folder, the site's host).
POSTLIGHT_SKIPPED = {
    "biorxiv.org": "preprint record", "bookwalker.jp": "shop page", "clinicaltrials.gov": "trial record",
    "genius.com": "song lyrics", "github.com": "code repository", "pastebin.com": "paste",
    "jvndb.jvn.jp": "vulnerability record", "www.gruene.de": "party programme page",
    "www.jnsa.org": "seminar page", "www.oreilly.co.jp": "book page", "www.reddit.com": "forum thread",
    "www.youtube.com": "video page",
}
# Truth read in the page where the test's expected author is not a name list (a URL, a label with the
# name, a section) or its title carries a page marker. Keys as in READABILITY_CORRECTIONS.
POSTLIGHT_CORRECTIONS: dict[str, dict] = {
    "www.asahi.com": {"authors": None}, "getnews.jp": {"authors": None},
    "news.mynavi.jp": {"authors": ["後藤大地"]}, "www.infoq.com": {"authors": ["Diogo Carleto"]},
    "weekly.ascii.jp": {"authors": ["オカモト"]}, "www.publickey1.jp": {"authors": ["Junichi Niino"]},
    "www.itmedia.co.jp": {"authors": ["田中宏昌"],
                          "title": "Intel NUCで最新SSDを比較してみた：さらば平成、さらば水冷、いくぜNUC"},
    "www.al.com": {"authors": ["Mike Cason"]}, "fortune.com": {"authors": ["John Patrick Pullen"]},
    "www.investmentexecutive.com": {"authors": ["Paul Wiseman", "Fatima Hussein"]},
    "ici.radio-canada.ca": {"authors": None}, "www.thepoliticalinsider.com": {"authors": None},
}

_BLOCK = {"address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "figcaption",
          "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
          "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul"}
_CELL = {"td", "th"}
_DROPPED = {"script", "style", "noscript", "template", "svg", "math", "head", "title"}
_LINE_BREAK = "\u2028"  # a <br>: source newlines are only white space
_TWO_LEVEL_SUFFIXES = {"ac", "co", "com", "edu", "gov", "ne", "net", "or", "org"}


def site_of(url: str) -> str:
    """The registrable domain of a URL's host ("news.bbc.co.uk" -> "bbc.co.uk"), by the common
    two-level public suffixes (co.uk, com.au, ...): enough to keep one site's pages together."""
    labels = (urlsplit(url).hostname or "").lower().split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _TWO_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, one paragraph per block element (paragraph, heading, list
    item, table row, caption, ...), paragraphs separated by a blank line, `<br>` a line break."""
    root = lxml_html.fragment_fromstring(markup, create_parent="div")
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        lines = [" ".join(line.split()) for line in "".join(current).split(_LINE_BREAK)]
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(node) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _DROPPED or not isinstance(node.tag, str):
            if node.tail:
                current.append(node.tail)
            return
        block = tag in _BLOCK
        if block:
            flush()
        if tag == "br":
            current.append(_LINE_BREAK)
        if node.text:
            current.append(node.text)
        for child in node:
            walk(child)
        if tag in _CELL:
            current.append(" ")
        if block:
            flush()
        if node.tail:
            current.append(node.tail)

    walk(root)
    flush()
    return "\n\n".join(paragraphs)


def page_url(source_html: str) -> str | None:
    """The page's own URL: its canonical link, else og:url."""
    doc = lxml_html.document_fromstring(source_html)
    for xpath in ('//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href',
                  '//meta[@property="og:url"]/@content'):
        for value in doc.xpath(xpath):
            value = value.strip()
            if value.startswith(("http://", "https://")):
                return value
    return None


def split_byline(byline: str | None) -> list[str] | None:
    """Names in a byline: "By A, B and C" -> [A, B, C]; None when there is no byline."""
    if not byline or not byline.strip():
        return None
    text = " ".join(byline.split())
    text = re.sub(r"^(by|par|por|von|door|di)\s*:?\s+", "", text, flags=re.IGNORECASE)
    names = [name.strip(" .") for name in re.split(r"\s*(?:,|;|&|\band\b|\bet\b|\by\b|\bund\b)\s*", text)]
    return [name for name in names if name] or None


def iso_instant(value: str | None) -> str | None:
    """An ISO 8601 date or time as Python writes it ("2015-07-24 05:36:09+01:00"); None if unreadable."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    try:
        return str(datetime.fromisoformat(text))
    except ValueError:
        return None


def language(lang: str | None) -> str | None:
    """"en-US" -> "en"."""
    return lang.split("-")[0].split("_")[0].strip().lower() or None if lang else None


def declared_language(source_html: str) -> str | None:
    """The language the page declares on its <html> element, if any."""
    found = re.search(r"<html[^>]*?\slang=[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z]+)?)", source_html[:5000], re.IGNORECASE)
    return language(found.group(1)) if found else None


def readability_pages(repository: Repository) -> list[tuple[dict, dict]]:
    """(page, truth) rows from Readability's test pages that are articles with a known site."""
    rows = []
    for name in repository.names("test/test-pages"):
        folder = f"test/test-pages/{name}"
        if name in READABILITY_SKIPPED:
            continue
        source = repository.read(f"{folder}/source.html")
        meta = json.loads(repository.read(f"{folder}/expected-metadata.json"))
        if len(source) < 20_000 or not meta.get("readerable", True):
            continue  # the project's small synthetic test cases
        url = page_url(source)
        if url is None and name in READABILITY_DERIVED_HOSTS:
            url = f"https://{READABILITY_DERIVED_HOSTS[name]}/_readability-test-page/{name}"
        if url is None:
            continue
        fix = READABILITY_CORRECTIONS.get(name, {})
        site = site_of(url)
        truth = {
            "url": url,
            "title": fix["title"] if "title" in fix else " ".join((meta.get("title") or "").split()) or None,
            "authors": fix["authors"] if "authors" in fix else split_byline(meta.get("byline")),
            "published_at": fix["published_at"] if "published_at" in fix else iso_instant(meta.get("publishedTime")),
            "body": html_to_text(repository.read(f"{folder}/expected.html")) or None,
            "publisher": site,
            "language_country": language(meta.get("lang")) or declared_language(source),
        }
        rows.append(({"url": url, "html": source, "fetched_at": None, "publisher": site}, truth))
    return rows


_FAILURE_NOTE = re.compile(r"^[A-Z0-9 ,'\"#*().!-]+$")


def newspaper_pages(repository: Repository) -> list[tuple[dict, dict]]:
    """(page, truth) rows from newspaper's full-text test pages whose text is an article text."""
    html_names = set(repository.names("tests/data/html"))
    text_names = set(repository.names("tests/data/text"))
    counters: Counter = Counter()
    rows = []
    for url in repository.read("tests/data/fulltext_url_list.txt").split():
        base = _newspaper_base_domain(url)
        counters[base] += 1
        stem = f"{base}{counters[base]}"
        if f"{stem}.html" not in html_names or f"{stem}.txt" not in text_names or stem in NEWSPAPER_SKIPPED:
            continue
        body = repository.read(f"tests/data/text/{stem}.txt").strip()
        if len(body.split()) < NEWSPAPER_MIN_WORDS or _FAILURE_NOTE.match(body.splitlines()[0]):
            continue  # an empty file, a note of what newspaper got wrong, or no article text
        site = site_of(url)
        body = "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip())
        html = repository.read(f"tests/data/html/{stem}.html")
        truth = {"url": url, "title": None, "authors": None, "published_at": None, "body": body,
                 "publisher": site, "language_country": declared_language(html)}
        rows.append(({"url": url, "html": html, "fetched_at": None, "publisher": site}, truth))
    return rows


def newspaper4k_pages(repository: Repository) -> list[tuple[dict, dict]]:
    """(page, truth) rows from newspaper4k's test pages with their article text (`tests/data/txt`)."""
    rows = []
    for name, (url, lang) in NEWSPAPER4K_PAGES.items():
        body = repository.read(f"tests/data/txt/{name}.txt").strip()
        body = "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip())
        site = site_of(url)
        truth = {"url": url, "title": None, "authors": None, "published_at": None, "body": body,
                 "publisher": site, "language_country": lang}
        html = repository.read(f"tests/data/html/{name}.html")
        rows.append(({"url": url, "html": html, "fetched_at": None, "publisher": site}, truth))
    return rows


_JS_STRING = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`"""
_JS_VALUE = rf"((?:{_JS_STRING})(?:\s*\+\s*(?:{_JS_STRING}))*|null)"


def _js_value(literals: str) -> str | None:
    """The value of a JavaScript string expression ('a' + "b", `c`), or None for null."""
    if literals == "null":
        return None
    parts = re.findall(_JS_STRING, literals, flags=re.DOTALL)
    escaped = {"n": "\n", "t": "\t", "r": ""}
    return "".join(re.sub(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))|\\(.)",
                          lambda m: chr(int(m[1] or m[2], 16)) if m[1] or m[2] else escaped.get(m[3], m[3]),
                          part[1:-1])
                   for part in parts)


def _mercury_day(value: str | None, japanese: bool) -> str | None:
    """A date_published the Parser's tests give as a UTC instant. An instant at local midnight is a day
    the page gave without a time (00:00 UTC, or 15:00 UTC on a Japanese page: midnight in Japan): the day
    as the page printed it; any other instant is kept as it is."""
    instant = iso_instant(value)
    if instant is None:
        return None
    moment = datetime.fromisoformat(instant)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.date().isoformat()
    if japanese and (moment.hour, moment.minute, moment.second, moment.microsecond) == (15, 0, 0, 0):
        return (moment + timedelta(hours=9)).date().isoformat()
    return instant


def postlight_pages(repository: Repository) -> list[tuple[dict, dict]]:
    """(page, truth) rows from the Postlight Parser's custom-extractor tests: the first test case of each
    site, whose title, author and date_published its authors wrote in by hand. No body truth (the tests
    check only the first 13 words)."""
    rows = []
    for site_folder in repository.names("src/extractors/custom"):
        if site_folder in POSTLIGHT_SKIPPED:
            continue
        try:
            test = repository.read(f"src/extractors/custom/{site_folder}/index.test.js")
        except SystemExit:
            continue  # an extractor without a test
        url = re.search(rf"url\s*=\s*{_JS_VALUE}", test)
        fixture = re.search(r"readFileSync\(\s*['\"`]\./(fixtures/[^'\"`]+)['\"`]", test)
        if not url or not fixture:
            continue
        first_case = test[fixture.end():]
        first_case = first_case.split("readFileSync(", 1)[0]
        expected = {}
        for name in ("title", "author", "date_published"):
            found = re.search(rf"assert\.equal\(\s*{name}\s*,\s*{_JS_VALUE}\s*,?\s*\)", first_case)
            expected[name] = _js_value(found.group(1)) if found else None
        url = _js_value(url.group(1))
        site = site_of(url)
        html = restore_meta_content(repository.read(fixture.group(1)))
        fix = POSTLIGHT_CORRECTIONS.get(site_folder, {})
        author = expected["author"]
        japanese = declared_language(html) == "ja" or bool(re.search(r"[\u3040-\u30ff]", expected["title"] or ""))
        truth = {
            "url": url,
            "title": fix.get("title", " ".join(expected["title"].split()) if expected["title"] else None),
            "authors": fix["authors"] if "authors" in fix else split_byline(author),
            "published_at": fix.get("published_at", _mercury_day(expected["date_published"], japanese)),
            "body": None,
            "publisher": site,
            "language_country": declared_language(html),
        }
        rows.append(({"url": url, "html": html, "fetched_at": None, "publisher": site}, truth))
    return rows


_META_VALUE = re.compile(r"(<meta\b[^>]*?\s)value=", re.IGNORECASE)


def restore_meta_content(html: str) -> str:
    """The page with each <meta> tag's `value=` attribute named `content=` again (a tag that has both is
    left alone)."""
    return _META_VALUE.sub(lambda m: m.group(0) if "content=" in m.group(1).lower() else f"{m.group(1)}content=", html)


def _newspaper_base_domain(url: str) -> str:
    """The file-name prefix newspaper's tests give a URL's pages (tests/unit_tests.py, get_base_domain)."""
    labels = (urlsplit(url).hostname or "").split(".")
    keep = 3 if ".".join(labels[-2:]) in ("co.uk", "com.au", "au.com") else 2
    return ".".join(labels[-keep:])


def news_dev_sites() -> set[str]:
    if not (NEWS_DEV / "pages.jsonl.gz").exists():
        raise SystemExit(f"{NEWS_DEV} is absent: its sites must be left out, so it is needed")
    with gzip.open(NEWS_DEV / "pages.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {site_of(json.loads(line)["url"]) for line in lines}


def held_out(site: str) -> bool:
    """Whether a site belongs to web-holdout: a third of the sites, by the SHA-256 of the site's name,
    so that a site never changes sides when sources are added."""
    return int(hashlib.sha256(site.encode()).hexdigest(), 16) % 3 == 0


def split_by_site(rows: list[tuple[dict, dict]]) -> tuple[list, list]:
    """(dev, holdout) rows."""
    return ([r for r in rows if not held_out(r[0]["publisher"])], [r for r in rows if held_out(r[0]["publisher"])])


def write_corpus(folder: Path, rows: list[tuple[dict, dict]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = sorted(rows, key=lambda row: (row[0]["publisher"], row[0]["url"]))
    with gzip.GzipFile(folder / "pages.jsonl.gz.tmp", "wb", mtime=0) as out:  # the same bytes on every build
        for page, _ in rows:
            out.write((json.dumps(page, ensure_ascii=False) + "\n").encode("utf-8"))
    with open(folder / "truth.jsonl.tmp", "w", encoding="utf-8") as out:
        for _, truth in rows:
            out.write(json.dumps(truth, ensure_ascii=False) + "\n")
    (folder / "pages.jsonl.gz.tmp").replace(folder / "pages.jsonl.gz")
    (folder / "truth.jsonl.tmp").replace(folder / "truth.jsonl")


def describe(name: str, rows: list[tuple[dict, dict]]) -> str:
    truths = [truth for _, truth in rows]
    present = {field: sum(truth[field] is not None for truth in truths)
               for field in ("body", "title", "authors", "published_at")}
    languages = Counter(truth["language_country"] or "?" for truth in truths)
    return (f"{name}: {len(rows)} pages, {len({t['publisher'] for t in truths})} sites; truth present: "
            + ", ".join(f"{field} {count}" for field, count in present.items())
            + "; languages: " + ", ".join(f"{lang} {n}" for lang, n in languages.most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    parser.add_argument("--out", type=Path, default=ROOT.parent / "corpora")
    args = parser.parse_args()
    excluded = news_dev_sites()
    def repository(pin: tuple[str, str]) -> Repository:
        return open_repository(args.sources, *pin)

    rows = (readability_pages(repository(READABILITY)) + newspaper_pages(repository(NEWSPAPER))
            + newspaper4k_pages(repository(NEWSPAPER4K)) + postlight_pages(repository(POSTLIGHT)))
    seen: set[str] = set()
    rows = [row for row in rows if row[0]["publisher"] not in excluded
            and not (row[0]["url"] in seen or seen.add(row[0]["url"]))]
    dev, holdout = split_by_site(rows)
    write_corpus(args.out / "web-dev", dev)
    write_corpus(args.out / "web-holdout", holdout)
    print(describe("web-dev", dev))
    print(describe("web-holdout", holdout))


if __name__ == "__main__":
    sys.exit(main())
