"""Unit tests of tasks.extraction.body: the corrections around trafilatura's main text."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html
from trafilatura.utils import load_html

from tasks.extraction.body import (
    add_declared_parts,
    add_standfirst,
    drop_headline,
    flatten_ruby,
    prefer_article_body,
    prune_boxes,
    prune_link_lists,
    prune_other_stories,
    prune_read_also,
    prune_social_embeds,
    split_printed_byline,
    visible_text,
)

PROSE = "The council voted on Tuesday to build a flood barrier across the mouth of the river."


def body_html(tree) -> str:
    return lxml_html.tostring(tree.find(".//body"), encoding="unicode")


@pytest.mark.parametrize("listing, kept", [
    ('<ul><li><a href="/a">Other story one</a></li><li><a href="/b">Other story two</a></li></ul>', False),
    ('<ul><li>Read: <a href="/a">Other story one with a long title</a></li></ul>', False),
    ('<ul><li><a href="/a">Other story</a></li><li>A point of the article itself, in prose.</li></ul>', True),
    ("<ol><li>First step of the recipe.</li><li>Second step.</li></ol>", True),
], ids=["links-only", "mostly-link", "one-item-of-prose", "no-links"])
def test_prune_link_lists(listing, kept):
    tree = load_html(f"<html><body><p>{PROSE}</p>{listing}</body></html>")

    prune_link_lists(tree)

    assert ("<li>" in body_html(tree)) is kept
    assert PROSE in body_html(tree)


@pytest.mark.parametrize("box, kept", [
    ('<div class="cta"><p>Found a claim to check?</p><p>Contact us</p><ul><li><a href="/m">E-mail</a></li>'
     '<li><a href="/w">WhatsApp</a></li></ul></div>', ""),
    ('<div class="byline"><span>Jane Doe</span><ul><li><a href="/a">All her stories</a></li></ul></div>',
     "Jane Doe"),  # text outside paragraphs: a byline, kept
    (f'<div><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p><ul><li><a href="/x">Next</a></li></ul></div>',
     PROSE),  # more than a line: the article, kept
], ids=["call-to-action", "byline", "article"])
def test_prune_link_lists_takes_a_call_to_action_with_its_links(box, kept):
    tree = load_html(f"<html><body><p>{PROSE}</p>{box}</body></html>")

    prune_link_lists(tree)

    assert "<a " not in body_html(tree) and "Contact us" not in body_html(tree)
    assert kept in body_html(tree)


@pytest.mark.parametrize("teaser, kept", [
    ('<p>Read more: <a href="/other">Council elections: who stands where</a></p>', False),
    ('<p><strong>Lesen Sie auch:</strong> <a href="/x">Neuer Radweg an der Weserstraße</a></p>', False),
    ('<p>Les også: <a href="/y">Tone Damli ofret musikkarrieren</a></p>', False),
    ("<p>Read more: the council will publish its plans next week.</p>", True),  # no link: prose
    ('<p>Residents can <a href="/plans">read more about the plans</a> on the council website.</p>', True),
    ('<p><strong>FUNDA NANSI |</strong> <a href="/z">Umkhandlu uvotile</a></p>', False),  # any language
    ('<p><b>Mehr dazu:</b> <a href="/z">Neuer Radweg</a></p>', False),
    ('<p><strong>Council:</strong> <a href="/z">the plans</a> were approved on Tuesday.</p>', True),  # prose after
    ('<p><strong>Barrier</strong> <a href="/z">Council backs barrier</a></p>', True),  # no separator
], ids=["english", "german", "norwegian", "no-link", "link-in-a-sentence", "bold-label-any-language",
        "bold-label-colon", "bold-label-then-prose", "bold-without-separator"])
def test_prune_read_also(teaser, kept):
    tree = load_html(f"<html><body><p>{PROSE}</p>{teaser}</body></html>")

    prune_read_also(tree)

    assert (teaser in body_html(tree)) is kept
    assert PROSE in body_html(tree)


@pytest.mark.parametrize("embed, kept", [
    ('<blockquote class="twitter-tweet"><p>A post.</p>&mdash; Someone (@someone)</blockquote>', False),
    ('<blockquote class="instagram-media" data-instgrm-version="14"><p>A post.</p></blockquote>', False),
    ('<blockquote class="tiktok-embed" cite="https://www.tiktok.example/v/1"><p>A post.</p></blockquote>', False),
    ("<blockquote><p>A quotation the article makes.</p></blockquote>", True),
    ('<blockquote class="pull-twitter-tweetish"><p>A pull quote.</p></blockquote>', True),
], ids=["tweet", "instagram", "tiktok", "plain-quote", "class-that-only-contains-the-word"])
def test_prune_social_embeds(embed, kept):
    tree = load_html(f"<html><body><p>{PROSE}</p>{embed}</body></html>")

    prune_social_embeds(tree)

    assert ("<blockquote" in body_html(tree)) is kept
    assert PROSE in body_html(tree)


STORY = "".join(f"<p>{PROSE} {PROSE}</p>" for _ in range(3))  # 96 words


@pytest.mark.parametrize("page_body, kept", [
    (f'<div class="text">{STORY}<div class="full-gallery"><h2>Business news in pictures</h2><ul><li>1/50 Other '
     f'picture caption.</li></ul></div>{STORY}</div>', False),
    (f'<div class="text">{STORY}<div class="video-js vjs-paused"><p>This is a modal window.</p></div>{STORY}</div>',
     False),
    (f'<div class="text">{STORY}<div class="nextgen-player"><p>Next video starts in: 7</p></div>{STORY}</div>', False),
    (f'<div class="page"><div class="slideshow"><div class="slide">{STORY}<p>This is a modal window.</p></div></div>'
     '<p>Share this.</p></div>', True),  # a slideshow with nothing beside it is the article
    (f'<div class="text">{STORY}<div class="gallery"><h1>Headline</h1><p>This is a modal window.</p></div></div>',
     True),  # holds the headline: a wrapper
    (f'<div class="text">{STORY}<div class="playerstats"><p>This is a modal window.</p></div>{STORY}</div>', True),
], ids=["gallery-in-story", "video-player", "player", "slideshow-is-the-article", "holds-the-h1", "other-word"])
def test_prune_boxes_galleries_and_players(page_body, kept):
    tree = load_html(f"<html><body>{page_body}</body></html>")

    prune_boxes(tree)

    assert ("This is a modal window" in body_html(tree) or "1/50" in body_html(tree)
            or "Next video" in body_html(tree)) is kept
    assert PROSE in body_html(tree)


@pytest.mark.parametrize("box, kept", [
    ('<div class="fact-box"><p>Postnatal depression affects one mother in ten.</p></div>', False),
    ('<aside class="article-body-infobox"><ul><li>Founded in 1901</li></ul></aside>', False),
    ("<amedia-factbox><p>Call the help line.</p></amedia-factbox>", False),
    ('<div class="info_box"><p>Opening hours.</p></div>', False),
    ('<div class="infoboxes-wrapper"><p>Kept.</p></div>', True),  # another word, not a box
    ('<div class="mailbox"><p>Kept.</p></div>', True),
    ('<div class="factbox-layout"><h1>Headline</h1><p>Kept.</p></div>', True),  # holds the headline: a wrapper
], ids=["fact-box", "infobox", "custom-element", "info_box", "longer-word", "other-box", "wrapper-with-h1"])
def test_prune_boxes_fact_boxes(box, kept):
    tree = load_html(f"<html><body><p>{PROSE}</p>{box}</body></html>")

    prune_boxes(tree)

    assert (len(body_html(tree)) > len(f"<body><p>{PROSE}</p></body>")) is kept
    assert PROSE in body_html(tree)


def test_prune_other_stories_keeps_the_article_with_the_headline():
    tree = load_html("<html><body><article><h1>Our story</h1><p>Ours.</p></article>"
                     "<article><h1>Next story</h1><p>Theirs.</p></article></body></html>")

    prune_other_stories(tree, ["Our story | Site", "Our story"])

    assert "Ours." in body_html(tree) and "Theirs." not in body_html(tree)


@pytest.mark.parametrize("pages", [
    "<article><h1>Our story</h1><p>Ours.</p></article><article><h2>Related</h2><p>Theirs.</p></article>",
    "<article><h1>Story A</h1><p>Ours.</p></article><article><h1>Story B</h1><p>Theirs.</p></article>",
], ids=["one-article-with-h1", "headline-in-none"])
def test_prune_other_stories_leaves_pages_it_cannot_read(pages):
    tree = load_html(f"<html><body>{pages}</body></html>")

    prune_other_stories(tree, ["Our story"])

    assert "Ours." in body_html(tree) and "Theirs." in body_html(tree)


def test_visible_text_leaves_out_scripts_and_styles():
    tree = load_html('<html><head><title>T</title></head><body><p>Shown.</p><script>var hidden = 1;</script>'
                     '<style>p { color: red }</style></body></html>')

    assert visible_text(tree).split() == ["Shown."]


LONG = " ".join(f"Sentence number {i} of the article goes on for a while." for i in range(30))


@pytest.mark.parametrize("text, article_body, expected", [
    (LONG[:200], LONG, LONG),  # trafilatura stopped early: the longer body that contains it wins
    (LONG, LONG[:300], LONG),  # a teaser never replaces the text
    (LONG[:200], "A live blog's latest entry, about something else entirely. " * 20, LONG[:200]),
    (LONG, None, LONG),
], ids=["longer-and-containing", "teaser", "other-content", "none"])
def test_prefer_article_body(text, article_body, expected):
    assert prefer_article_body(text, article_body) == expected


@pytest.mark.parametrize("text, expected", [
    ("Council backs barrier\nThe council voted.", "The council voted."),
    ("Local news: Council backs barrier!\nThe council voted.", "The council voted."),  # kicker before it
    ("The council voted.\nCouncil backs barrier", "The council voted.\nCouncil backs barrier"),
    ("Council backs barrier plans for the east bank\nThe council voted.",
     "Council backs barrier plans for the east bank\nThe council voted."),
    ("The whole article set in one line, long after any kicker, whose last words say council backs barrier",
     "The whole article set in one line, long after any kicker, whose last words say council backs barrier"),
], ids=["headline", "kicker-and-headline", "not-first", "longer-sentence", "one-line-text-is-no-headline"])
def test_drop_headline(text, expected):
    assert drop_headline(text, ["Council backs barrier", None]) == expected


@pytest.mark.parametrize("page_body, text, description, expected", [
    ("<h1>Headline</h1><p>The lead of the story.</p><p>The council voted.</p>", "The council voted.",
     "The lead of the story.", "The lead of the story.\nThe council voted."),
    ("<h1>Headline</h1><p>The council voted.</p><p>The lead of the story.</p>", "The council voted.",
     "The lead of the story.", "The council voted."),  # shown after the text starts: not a standfirst
    ("<h1>Headline</h1><p>The council voted.</p>", "The council voted.", "The lead of the story.",
     "The council voted."),  # not shown on the page
    ("<p>The council voted.</p><script>var d = 'The lead of the story.';</script>", "The council voted.",
     "The lead of the story.", "The council voted."),  # in a script is not shown
    ("<p>The lead of the story.</p><p>The council voted.</p>", "The lead of the story.\nThe council voted.",
     "The lead of the story.", "The lead of the story.\nThe council voted."),  # already there
    ("<p>The council voted.</p>", "The council voted.", None, "The council voted."),
    ("<h1>Council backs barrier</h1><p>The council voted.</p>", "The council voted.", "Council backs barrier!",
     "The council voted."),  # the description is the headline: no standfirst
], ids=["standfirst", "after-the-text", "not-shown", "only-in-a-script", "already-in-text", "no-description",
        "headline-as-description"])
def test_add_standfirst(page_body, text, description, expected):
    tree = load_html(f"<html><body>{page_body}</body></html>")

    assert add_standfirst(text, description, tree, ["Council backs barrier", None]) == expected


@pytest.mark.parametrize("page_body, text, names, rest", [
    ("<p><strong>Jane Doe</strong></p><p>The council voted.</p>", "Jane Doe\nThe council voted.",
     ["Jane Doe"], "The council voted."),
    ("<p><em>A lead.</em></p><p><b>JANE DOE / John Smith</b></p><p>The council voted.</p>",
     "A lead.\nJANE DOE / John Smith\nThe council voted.", ["JANE DOE", "John Smith"], "A lead.\nThe council voted."),
    ("<p>Jane Doe</p><p>The council voted.</p>", "Jane Doe\nThe council voted.", [],
     "Jane Doe\nThe council voted."),  # not bold: a name in the text, not a byline
    ("<h4>MIDDLE EAST CRISIS</h4><p>The council voted.</p>", "MIDDLE EAST CRISIS\nThe council voted.", [],
     "MIDDLE EAST CRISIS\nThe council voted."),  # a kicker, not a paragraph
    ("<p><strong>The council voted.</strong></p>", "The council voted.", [], "The council voted."),  # a sentence
    ("<p><strong>Jane Doe</strong> said no.</p>", "Jane Doe said no.", [], "Jane Doe said no."),  # bold in prose
    ("<p>One.</p><p>Two.</p><p>Three.</p><p><b>Jane Doe</b></p>", "One.\nTwo.\nThree.\nJane Doe", [],
     "One.\nTwo.\nThree.\nJane Doe"),  # too far down to be the byline
    ("<p>Who said no?</p><p><b>Jane Doe</b></p><p>When asked, Jane Doe said no.</p>",
     "Who said no?\nJane Doe\nWhen asked, Jane Doe said no.", [],
     "Who said no?\nJane Doe\nWhen asked, Jane Doe said no."),  # a section about her, not her byline
], ids=["bold-name", "after-standfirst-two-names", "not-bold", "kicker", "bold-sentence", "bold-in-prose",
        "too-far-down", "subject-of-the-text"])
def test_split_printed_byline(page_body, text, names, rest):
    tree = load_html(f"<html><body>{page_body}</body></html>")

    assert split_printed_byline(text, tree) == (names, rest)


FIRST = "The ferry company said on Monday that the crossing to the island would resume in the spring."
SECOND = "Islanders had waited three winters for a boat large enough to carry the school bus across."
THIRD = "The harbour master expects the first sailing to leave before the end of April this year."
AD_ROW = '<div class="ad-row"><div class="advert">Advertisement</div></div>'


def parts_page(*parts: str) -> str:
    return "<html><body>" + AD_ROW.join(f'<div class="story-part">{part}</div>' for part in parts) + "</body></html>"


@pytest.mark.parametrize("page_body, text, selectors, expected", [
    # the article in three declared parts between ad rows; the text holds the first only
    (parts_page(f"<p>{FIRST}</p>", f"<h2>Waiting for a boat</h2><p>{SECOND}</p>", f"<p>{THIRD}</p>"), FIRST,
     (".story-part",), f"{FIRST}\nWaiting for a boat\n{SECOND}\n{THIRD}"),
    # a missing part before the one the text holds goes in before it
    (parts_page(f"<p>{SECOND}</p>", f"<p>{FIRST}</p>"), f"{FIRST}\nPhoto: Harbour office", (".story-part",),
     f"{SECOND}\n{FIRST}\nPhoto: Harbour office"),
    # every part held already: unchanged
    (parts_page(f"<p>{FIRST}</p>", f"<p>{SECOND}</p>"), f"{FIRST}\n{SECOND}", (".story-part",), f"{FIRST}\n{SECOND}"),
    # a part the extraction read stays as trafilatura cut it (its caption is not added back)
    (parts_page(f"<p>{FIRST}</p><p>Photo: Harbour office archive, 2019, taken from the pier at dawn</p>",
                f"<p>{SECOND}</p>"), FIRST, (".story-part",), f"{FIRST}\n{SECOND}"),
    # a missing part of short lines only (a label, a credit) adds nothing
    (parts_page(f"<p>{FIRST}</p>", "<p>Share this story</p>"), FIRST, (".story-part",), FIRST),
    # no declared part: unchanged
    (parts_page(f"<p>{FIRST}</p>", f"<p>{SECOND}</p>"), FIRST, (), FIRST),
], ids=["later-parts-added-in-order", "earlier-part-before", "all-held", "read-part-kept-as-cut", "short-lines-only",
        "nothing-declared"])
def test_add_declared_parts(page_body, text, selectors, expected):
    assert add_declared_parts(text, load_html(page_body), selectors) == expected


@pytest.mark.parametrize("paragraph, expected", [
    # the page's own fallback brackets: written as a browser without ruby support shows them
    ("<p>港の<ruby><rb>渡船</rb><rp>（</rp><rt>とせん</rt><rp>）</rp></ruby>が戻った。</p>", "<p>港の渡船（とせん）が戻った。</p>"),
    ("<p><b>島</b><ruby>渡船<rp>(</rp><rt>とせん</rt><rp>)</rp></ruby>が戻った。</p>", "<p><b>島</b>渡船(とせん)が戻った。</p>"),
    # no fallback given: left to trafilatura
    ("<p>港の<ruby>渡船<rt>とせん</rt></ruby>が戻った。</p>", "<p>港の<ruby>渡船<rt>とせん</rt></ruby>が戻った。</p>"),
], ids=["rb-and-rp", "after-an-element", "no-rp"])
def test_flatten_ruby(paragraph, expected):
    tree = load_html(f"<html><body>{paragraph}</body></html>")

    flatten_ruby(tree)

    assert body_html(tree) == f"<body>{expected}</body>"
