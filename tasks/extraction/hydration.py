"""The article of a page rendered in the browser: its markup only in the page's script data.

Client-rendered pages (React, Next.js, Nuxt and the like) send a near-empty body and the article as data
for their scripts: a JSON string such as `"contentHtml": "\\u003cp\\u003e..."` in `__NEXT_DATA__`, in a
query cache pushed onto `window`, or in a `self.__next_f.push(...)` chunk. trafilatura reads no scripts, so
it finds no main text on such a page (trafilatura issues "empty result on JavaScript-rendered pages").
When it finds none, this module looks for that markup: the longest string in the page's scripts that,
decoded as JSON, is HTML with at least MIN_PARAGRAPHS paragraphs. A string inside a string (a JSON
payload carried as a JavaScript string) is decoded once more.
"""

from __future__ import annotations

import json
import re

from lxml.html import fragments_fromstring

# A JSON string literal long enough to hold an article's paragraphs.
_STRING = re.compile(r'"((?:[^"\\]|\\.){200,})"', re.DOTALL)
_PARAGRAPH = re.compile(r"<p[\s>]", re.IGNORECASE)
# Paragraphs an article's markup has at least: fewer is a teaser, a caption or a template.
MIN_PARAGRAPHS = 3
# Levels of strings inside strings that are decoded.
NESTING = 2


def embedded_article(tree) -> str | None:
    """The HTML of the article that the page's scripts carry as data, or None.

    `tree`: the page's lxml tree. Returns the longest decoded string of its scripts (JSON-LD excepted:
    its `articleBody` is read as JSON-LD) that holds at least MIN_PARAGRAPHS `<p>` elements.
    """
    best = None
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json":
            continue
        for value in _html_strings(script.text or "", NESTING):
            if best is None or len(value) > len(best):
                best = value
    return best


def with_article_body(tree, article: str) -> None:
    """Replace the children of the tree's <body> with `article`'s elements inside one <article>."""
    body = tree.find("body")
    if body is None:
        return
    for child in list(body):
        body.remove(child)
    wrapper = body.makeelement("article", {})
    body.append(wrapper)
    for item in fragments_fromstring(article):
        if isinstance(item, str):
            wrapper.text = (wrapper.text or "") + item
        else:
            wrapper.append(item)


def _html_strings(source: str, levels: int):
    for match in _STRING.finditer(source):
        try:
            value = json.loads(f'"{match.group(1)}"')
        except ValueError:
            continue
        # A decoded value that still holds escaped quotes carries JSON strings of its own: read those.
        inner = list(_html_strings(value, levels - 1)) if levels > 1 and '\\"' in value else []
        if inner:
            yield from inner
        elif len(_PARAGRAPH.findall(value)) >= MIN_PARAGRAPHS:
            yield value
