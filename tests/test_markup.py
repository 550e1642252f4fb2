"""Unit tests of tasks.extraction.markup.parse_html: pages nested deeper than libxml2's default are parsed whole."""

from __future__ import annotations

import pytest

from tasks.extraction.markup import MarkupError, parse_html
from tasks.extraction.page import extract_page
from tasks.records import Limits, RawPage, Reject, SourcePointer

SENTENCES = [f"Paragraph {i} of the harbour story says the old crane will be restored by the volunteers of the "
             f"museum before the summer festival, weather permitting." for i in range(1, 9)]


def wrapped(depth: int, tag: str = "section") -> str:
    body = "".join(f"<p>{s}</p>" for s in SENTENCES)
    return (f"<html><head><title>Crane restored</title></head><body><nav><a href='/'>Home</a></nav>"
            f"{f'<{tag}>' * depth}<article><h1>Crane restored</h1>{body}</article>{f'</{tag}>' * depth}"
            f"<footer>Harbour Post</footer></body></html>")


def unclosed_fonts(lines: int) -> str:
    """A legacy page: each line opens a <font> it never closes, so each line nests one level deeper."""
    rows = "".join(f'<font size="2"><b>ITEM {i}:</b> the committee noted that the item {i} was agreed after a short '
                   f"debate about the cost of the work.<br>\n" for i in range(1, lines + 1))
    return f"<html><head><title>Minutes</title></head><body><h2>Minutes</h2>{rows}<p>Closed at 9 pm.</p></body></html>"


@pytest.mark.parametrize("html, last", [
    (wrapped(400), SENTENCES[-1]),
    (wrapped(1500, "div"), SENTENCES[-1]),
    (unclosed_fonts(600), "Closed at 9 pm."),
], ids=["400-sections", "1500-divs", "600-unclosed-fonts"])
def test_deep_pages_are_parsed_whole(html, last):
    tree = parse_html(html)

    assert last in tree.text_content()


def test_a_page_deeper_than_the_parser_can_follow_is_an_error_not_a_shortened_tree():
    with pytest.raises(MarkupError) as caught:
        parse_html(wrapped(3000, "div"))

    assert caught.value.reason == "markup_too_deep"
    assert "cannot be parsed whole" in str(caught.value)


@pytest.mark.parametrize("depth", [300, 1000])
def test_an_article_in_hundreds_of_wrappers_is_a_whole_document(depth):
    page = RawPage(SourcePointer("/raw/dt=2026-05-20/p.jsonl", line=1), "https://harbour.example/crane",
                   wrapped(depth, "div"))

    doc = extract_page(page, Limits())

    assert isinstance(doc, dict), doc
    assert all(sentence in doc["text"] for sentence in SENTENCES)


def test_extract_rejects_a_page_too_deep_to_parse_whole():
    page = RawPage(SourcePointer("/raw/dt=2026-05-20/p.jsonl", line=1), "https://harbour.example/crane",
                   wrapped(3000, "div"))

    result = extract_page(page, Limits())

    assert isinstance(result, Reject) and (result.reason, result.stage) == ("markup_too_deep", "extract")
