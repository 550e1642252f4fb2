"""A page's text to an lxml tree, whole, or the reason it cannot be parsed whole.

libxml2 (lxml's parser) stops descending at 256 levels of nesting by default and drops what lies
deeper without an exception: a page of 300 wrapper divs, or a legacy page whose unclosed <font> tags
nest one level per line, would lose its article. With `huge_tree` the limit is libxml2's own maximum,
2048 levels; a page deeper than that is reported, never returned shortened.
"""

from __future__ import annotations

from lxml.etree import ParserError, XPath
from lxml.html import HTMLParser, fromstring
from trafilatura.utils import is_dubious_html, repair_faulty_html

# The text nodes a reader sees: in the body, not blank, not in a script, style, noscript or template.
_VISIBLE_TEXTS = XPath("//body//text()[normalize-space() and not(ancestor::script or ancestor::style"
                       " or ancestor::noscript or ancestor::template)]")
# libxml2's message when a document is nested deeper than its limit (ERR_RESOURCE_LIMIT).
_TOO_DEEP = "Excessive depth"


class MarkupError(Exception):
    """A page lxml cannot turn into a whole tree; `reason` is the reject code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def parse_html(html: str):
    """The page's lxml tree (the <html> element), with comments and processing instructions left out.

    Raises MarkupError: `markup_too_deep` when the page nests deeper than libxml2 can follow (what lies
    below would be lost), `unparsable_html` when no tree comes out at all.
    """
    parser = HTMLParser(huge_tree=True, collect_ids=False, default_doctype=False, remove_comments=True,
                        remove_pis=True, encoding="utf-8")
    html = repair_faulty_html(html, html[:50].lower())
    try:
        try:
            tree = fromstring(html, parser=parser)
        except ValueError:  # a str that declares its own encoding (<?xml encoding=...?>): lxml wants bytes
            tree = fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
    except ParserError:  # "Document is empty"
        tree = None
    deep = [e for e in parser.error_log if _TOO_DEEP in e.message]
    if deep:
        raise MarkupError("markup_too_deep", f"the page nests elements deeper than the parser's limit "
                                             f"({deep[0].message.split(':')[1].split(',')[0].strip()} levels): "
                                             "it cannot be parsed whole")
    if tree is None or (is_dubious_html(html[:50].lower()) and len(tree) < 2):
        raise MarkupError("unparsable_html", "lxml could not build a tree from the page")
    return tree


def visible_texts(tree) -> list:
    """The page's visible text nodes (lxml "smart strings": `getparent()` and `is_tail` say where each is), in
    document order. One XPath pass; callers that need them several times share the list."""
    return _VISIBLE_TEXTS(tree)
