"""The article's main text: trafilatura's extraction, corrected with what the page says about itself.

trafilatura finds the main block of a page well; what it gets wrong is at the
edges: lists of links and "read also" teasers for other stories inside the
article, embedded social posts, the next story of an endless-scroll page, the headline repeated as the
first line, and the
standfirst (the lead paragraph shown above the body) left out, the later parts of an article the page
declares in several parts, the readings of ruby annotations. The pruning and flattening
functions edit the parsed tree before extraction; the others are pure
functions over the extracted text (and, for the standfirst, the lead and the declared parts, the page).
"""

from __future__ import annotations

import re

from lxml import etree

from tasks.extraction.markup import visible_texts
from tasks.extraction.metadata import split_byline
from tasks.extraction.paywall import paid_parts
from tasks.extraction.scoring import ngrams, normalise

# A list item whose text is at least this share link text points to another page.
LINK_SHARE = 0.8
# JSON-LD articleBody replaces trafilatura's text when it holds nearly all of it (same article) and is
# much longer (trafilatura stopped early, e.g. at an inline widget).
BODY_CONTAINS = 0.95
BODY_LONGER = 1.5
# Posts embedded from social networks: the publisher's script turns each into a card; its text is
# the post quoted, not the article.
_EMBEDS = ('//blockquote[contains(concat(" ", normalize-space(@class), " "), " twitter-tweet ")'
           ' or contains(@class, "instagram-media") or contains(@class, "tiktok-embed")]')
# A fact box or info box: background facts set beside the story (in a box of their own), named so by the
# element's class or, for a custom element, its tag ("amedia-factbox", "article-body-infobox", "fact-box").
_FACT_BOX = re.compile(r"(?<![a-z])(?:fact|info|fakten)[-_]?box(?![a-z])", re.IGNORECASE)
# A photo gallery, slideshow or media player, named so by a class ("full-gallery", "video-js", "nextgen-player").
_MEDIA_BOX = re.compile(r"(?:^|[\s_-])(?:gallery|slideshow|carousel|player|video-js|jwplayer)(?:$|[\s_-])", re.IGNORECASE)
# Words of paragraphs beside such a box that show it is set inside a story rather than being the page's content.
MEDIA_BESIDE_WORDS = 100
_NEVER_BOXES = frozenset({"html", "body", "main", "article"})
# "Read also: <link>" in the languages of news-dev and their neighbours: a teaser for another story.
_READ_ALSO = re.compile(
    r"^\s*(?:[-•>]+\s*)?(?:read (?:more|also|next)|also read|see also|more on this|lesen sie (?:auch|mehr)"
    r"|mehr zum thema|auch interessant|les også|læs også|läs också|lees ook|lire aussi|à lire aussi|leggi anche"
    r"|lee también|leia também|czytaj (?:też|także|więcej))\s*[:|>»]", re.IGNORECASE)
# What closes the label of a teaser line.
_LABEL_END = "|:>»"
# A teaser is one line; a longer block that happens to start with such words is left alone.
TEASER_CHARS = 300
# The paragraphs and boxes of one short line (fewer than TEASER_CHARS characters) that hold a link.
_SHORT_WITH_LINK = etree.XPath(f"//p[.//a][string-length(.) < {TEASER_CHARS}]"
                               f" | //div[.//a][string-length(.) < {TEASER_CHARS}]")
# A printed byline sits among the first lines of the text, above the story proper (after a standfirst).
BYLINE_LINES = 3
# Words in one person's name, as printed in a byline.
NAME_WORDS = (2, 4)
_NOT_IN_NAMES = re.compile(r"[\d.!?:;\"“”«»()]")
# A paragraph that is one bold run and nothing else: how many CMSs typeset a byline inside the text.
_BOLD_PARAGRAPHS = '//p[count(*) = 1 and (b or strong) and not(normalize-space(text()))]'
# A lead paragraph is a sentence or more, not a kicker or a byline; one whose word 4-grams the text holds
# for more than this share is there already (with a caption run into it, or links spelled out).
LEAD_WORDS = 10
KICKER_WORDS = 8  # the most words a kicker before a headline on its line takes ("Analysis | Headline")
LEAD_OVERLAP = 0.3
# The blocks of an article's declared part, as lines of text (the outermost of them: a list item's paragraph is
# read with its item).
_PART_BLOCKS = ("p", "h2", "h3", "h4", "li", "blockquote")


def prune_link_lists(tree) -> None:
    """Remove from the tree every <ul>/<ol> whose items are all links: "related stories", "more on
    this", a topic's latest headlines. A list with one item of its own prose is kept whole.

    When the list's own box is left with no more than a line of text, all in paragraphs (its title or a
    call to action: "Found a claim to check? Contact us" above the contact links), the box goes too:
    without its links that line would read as a stray paragraph of the article.
    """
    for listing in list(tree.iter("ul", "ol")):
        items = [child for child in listing if child.tag == "li"]
        parent = listing.getparent()
        if items and parent is not None and all(_link_share(item) >= LINK_SHARE for item in items):
            parent.remove(listing)
            if _call_to_action(parent):
                parent.getparent().remove(parent)


def _call_to_action(box) -> bool:
    """The box holds one line of text or less, all of it in paragraphs: a link list's title or call to
    action. A byline or a date (text outside paragraphs) and the article itself are not."""
    text = "".join(box.text_content().split())
    in_paragraphs = "".join("".join(p.text_content().split()) for p in box.iter("p"))
    return (box.getparent() is not None and box.tag not in ("body", "article", "main")
            and 0 < len(text) < TEASER_CHARS and in_paragraphs == text)


def prune_read_also(tree) -> None:
    """Remove from the tree the paragraphs that only point to another story, in one short line: a
    "Read also:" label (in one of a dozen languages) and a link, or, in any language, a bold label
    closed by a separator and a link ("<p><b>MORE ON THIS |</b> <a>Other story</a></p>")."""
    for element in _SHORT_WITH_LINK(tree):  # one XPath pass: measuring each element's text in Python was 10x slower
        parent = element.getparent()
        if parent is not None and (_READ_ALSO.match("".join(element.itertext())) or _bold_label_and_link(element)):
            parent.remove(element)


def _bold_label_and_link(element) -> bool:
    """The element holds a bold label ending in a separator, then one link, and no other text."""
    children = list(element)
    if len(children) != 2 or children[0].tag not in ("b", "strong") or children[1].tag != "a":
        return False
    label = "".join(children[0].itertext()).strip()
    loose = (element.text or "") + (children[0].tail or "") + (children[1].tail or "")
    return bool(label) and label[-1] in _LABEL_END and not loose.strip()


def prune_social_embeds(tree) -> None:
    """Remove from the tree the posts embedded from X/Twitter, Instagram and TikTok."""
    for embed in tree.xpath(_EMBEDS):
        if embed.getparent() is not None:
            embed.getparent().remove(embed)


def flatten_ruby(tree) -> None:
    """Write each ruby annotation that carries its own fallback brackets (`<rp>`) as text, the way a browser
    without ruby support shows it: `<ruby>尹錫悦<rp>（</rp><rt>ユンソンニョル</rt><rp>）</rp></ruby>` becomes
    "尹錫悦（ユンソンニョル）". trafilatura drops `<rt>` and `<rp>` with their text, which leaves the base
    only and cuts the reading out of the sentence. Ruby without `<rp>` (a reading meant only above the
    base, with no plain-text form given) is left to trafilatura.
    """
    for ruby in list(tree.iter("ruby")):
        if ruby.find(".//rp") is None or ruby.getparent() is None:
            continue
        parent, previous = ruby.getparent(), ruby.getprevious()
        text = ruby.text_content() + (ruby.tail or "")
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(ruby)


def prune_boxes(tree) -> None:
    """Remove from the tree, in one pass over its elements, the boxes set beside or inside a story whose
    text is not the story's:

    - fact boxes and info boxes (named so by the element's class or, for a custom element, its tag:
      "fact-box", "article-body-infobox", "amedia-factbox"): a definition, a timeline or a help-line number;
    - photo galleries, slideshows and media players (a class names them: `gallery`, `slideshow`,
      `carousel`, `player`, `video-js`, `jwplayer`): captions of other pictures ("1/50 United goin down ...")
      and player buttons ("This is a modal window", "Next video starts in"). Only when set inside a story:
      the box's parent holds at least MEDIA_BESIDE_WORDS words of paragraphs outside it; a slideshow that
      is the article (its slides hold the text) has nothing of the kind beside it and stays.

    A box that holds the page's <h1> is a layout wrapper and stays.
    """
    for element in list(tree.iter(etree.Element)):
        classes = element.get("class") or ""
        fact_box = bool(_FACT_BOX.search(f"{element.tag} {classes}"))
        if not fact_box and (element.tag in _NEVER_BOXES or not _MEDIA_BOX.search(classes)):
            continue
        parent = element.getparent()
        if parent is None or element.find(".//h1") is not None:
            continue
        if fact_box or _words_beside(element, parent) >= MEDIA_BESIDE_WORDS:
            parent.remove(element)


def _words_beside(element, parent) -> int:
    """Words of the paragraphs in `parent` outside `element`."""
    inside = set(element.iter("p"))
    return sum(len(p.text_content().split()) for p in parent.iter("p") if p not in inside)


def _link_share(element) -> float:
    text = "".join(element.itertext()).strip()
    if not text:
        return 0.0
    linked = sum(len("".join(a.itertext()).strip()) for a in element.iter("a"))
    return linked / len(text)


def prune_other_stories(tree, headlines: list[str]) -> None:
    """On a page holding several <article>s with their own <h1> (an endless-scroll page appends the
    next story), remove those whose <h1> is not the page's headline; nothing when no single article
    carries the headline."""
    articles = [a for a in tree.iter("article") if a.find(".//h1") is not None]
    if len(articles) < 2:
        return
    keys = {normalise(h) for h in headlines if h}
    own = [a for a in articles if any(normalise(h.text_content()) in keys for h in a.iter("h1"))]
    if len(own) != 1:
        return
    ours = own[0]
    related = set(ours.iterancestors()) | set(ours.iterdescendants())
    for article in articles:
        if article is not ours and article not in related and article.getparent() is not None:
            article.getparent().remove(article)


def split_printed_byline(text: str, tree) -> tuple[list[str], str]:
    """The authors printed as a bold line near the top of the article ("<p><strong>Jane Doe / John
    Smith</strong></p>"), and the text without that line; no names and the text unchanged when there is none.

    Small newsrooms whose CMS credits every story to one house account print the real byline that way,
    as the first paragraph of the story. Only a paragraph that is a single bold run and reads as one to
    three full names counts: a bold kicker ("MIDDLE EAST CRISIS" in an <h4>, a bold lead sentence) does not,
    nor a bold name the rest of the text mentions (the heading of a section about that person: "Elton John").
    """
    lines = text.split("\n")
    bold = {" ".join(p.text_content().split()) for p in tree.xpath(_BOLD_PARAGRAPHS)}
    for i, line in enumerate(lines[:BYLINE_LINES]):
        line = " ".join(line.split())
        names = split_byline(line) if line in bold else []
        if names and all(_reads_as_name(name) for name in names):
            rest = "\n".join(lines[:i] + lines[i + 1:])
            if any(f" {normalise(name)} " in f" {normalise(rest)} " for name in names):
                return [], text  # a bold name the text goes on about: a section's subject, not its author
            return names, rest
    return [], text


def _reads_as_name(name: str) -> bool:
    """Two to four words, each starting with a capital letter, no digits or sentence punctuation."""
    words = name.split()
    return (NAME_WORDS[0] <= len(words) <= NAME_WORDS[1] and all(w[0].isupper() for w in words)
            and not _NOT_IN_NAMES.search(name))


def visible_text(tree) -> str:
    """The page's text as a reader sees it: the body without scripts, styles and templates."""
    return " ".join(visible_texts(tree))


def prefer_article_body(text: str, article_body: str | None) -> str:
    """JSON-LD's articleBody when it contains trafilatura's text and is much longer, else the text.

    A teaser-length articleBody, or one about something else (a live blog's latest entry), never
    replaces the extraction.
    """
    if not article_body:
        return text
    extracted, declared = ngrams(text), ngrams(article_body)
    if not extracted:
        return text
    contained = sum((extracted & declared).values()) / sum(extracted.values())
    longer = sum(declared.values()) / sum(extracted.values())
    return article_body.strip() if contained >= BODY_CONTAINS and longer >= BODY_LONGER else text


def drop_headline(text: str, headlines: list[str]) -> str:
    """The text without a first line that is the headline (or ends with it, after a kicker of at most KICKER_WORDS
    words: a text set in one line that ends with the headline's words is no headline line)."""
    first, _, rest = text.partition("\n")
    line = normalise(first)
    for headline in headlines:
        key = normalise(headline)
        if key and (line == key or (line.endswith(" " + key)
                                    and len(line.split()) <= len(key.split()) + KICKER_WORDS)):
            return rest.lstrip("\n")
    return text


def add_lead(text: str, tree) -> str:
    """The text with the paragraphs the page shows right before its first prose paragraph, in the same
    box, when they are prose and the text lacks them: a lead set apart by its class ("teaser") that the
    extractor discarded as boilerplate. A heading, a short line (a byline, a date), a line the text holds
    already, anything that is not a paragraph, or a hidden paragraph ends the lead.
    """
    lines = text.split("\n")
    paragraphs = {normalise(p.text_content()): p for p in tree.iter("p")}
    at, start = next(((i, paragraphs[normalise(line)]) for i, line in enumerate(lines)
                      if len(line.split()) >= LEAD_WORDS and normalise(line) in paragraphs), (0, None))
    lead: list[str] = []
    held = ngrams(text)
    for sibling in start.itersiblings(preceding=True) if start is not None else ():
        line = " ".join(sibling.text_content().split())
        grams = ngrams(line)
        if (sibling.tag != "p" or _hidden(sibling) or len(line.split()) < LEAD_WORDS
                or not line.endswith((".", "!", "?", "…", "\"", "”", "»", "«", "。"))
                or sum((grams & held).values()) > LEAD_OVERLAP * sum(grams.values())):
            break
        lead.insert(0, line)
    return "\n".join([*lines[:at], *lead, *lines[at:]]) if lead else text


def add_declared_parts(text: str, tree, selectors: tuple[str, ...]) -> str:
    """The text with the declared parts of the article that it lacks.

    A paywalled page declares which elements hold its article (JSON-LD `hasPart` with `cssSelector`, the
    markup search engines ask of paywalled pages) and sends them in the HTML; some set the article in several
    such elements one after the other, with an advertising row between them, and trafilatura keeps the first
    only. `selectors`: the declared parts' class or id selectors (`Declared.paid_selectors`). A part whose
    text the extraction lacks (its word 4-grams held for no more than LEAD_OVERLAP) and that holds a prose
    paragraph (LEAD_WORDS words or more) is missing: its paragraphs, subheadings, list items and quotations
    that the text lacks go in, in page order, after the text's line of the last block before them that the
    text holds. A part the extraction read is left as trafilatura cut it.
    """
    parts = paid_parts(tree, selectors) if selectors and text else set()
    outermost = [p for p in parts if not any(a in parts for a in p.iterancestors())]
    if not outermost:
        return text
    held = ngrams(text)
    missing = {p for p in outermost if _lacks(held, p.text_content())
               and any(len(b.text_content().split()) >= LEAD_WORDS for b in _part_blocks(p))}
    if not missing:
        return text
    order = {element: i for i, element in enumerate(tree.iter())}
    lines = text.split("\n")
    line_grams = [ngrams(line) for line in lines]
    added: dict[int, list[str]] = {}
    after = -1  # the text's line of the last block seen that the text holds (-1: before the first line)
    blocks = sorted(((b, p in missing) for p in outermost for b in _part_blocks(p)), key=lambda item: order[item[0]])
    for block, from_missing in blocks:
        line = " ".join(block.text_content().split())
        grams = ngrams(line)
        if not grams:
            continue
        if _lacks(held, line):
            if from_missing:
                added.setdefault(after, []).append(line)
            continue
        shared = [sum((grams & own).values()) for own in line_grams]
        after = max(after, max(range(len(lines)), key=shared.__getitem__))
    return "\n".join([*added.get(-1, []), *(line for i, own in enumerate(lines) for line in [own, *added.get(i, [])])])


def _part_blocks(part) -> list:
    """The outermost visible paragraphs, subheadings, list items and quotations of an element."""
    return [b for b in part.iter(*_PART_BLOCKS) if not _hidden(b) and not _inside_block(b, part)]


def _inside_block(element, part) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is part:
            return False
        if ancestor.tag in _PART_BLOCKS:
            return True
    return False


def _lacks(held, text: str) -> bool:
    """The text's word 4-grams are held (in the multiset `held`) for no more than LEAD_OVERLAP."""
    grams = ngrams(text)
    return sum((grams & held).values()) <= LEAD_OVERLAP * sum(grams.values())


def _hidden(element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return element.get("hidden") is not None or element.get("aria-hidden") == "true" or "display:none" in style


def add_standfirst(text: str, description: str | None, tree, headlines: list[str | None] = ()) -> str:
    """The text with the page's description as its first paragraph, when the page shows that
    description above the text (a standfirst) and the text does not hold it already. A description that
    is only the headline (`headlines`: og:title, <title>, <h1>, ...) is no standfirst."""
    if not description or not text:
        return text
    lead = normalise(description)
    if not lead or lead in normalise(text) or any(lead == normalise(headline) for headline in headlines if headline):
        return text
    page = normalise(visible_text(tree))  # only now: most pages' text holds the description already
    shown_at = page.find(lead)
    text_at = page.find(normalise(text.partition("\n")[0]))
    if shown_at < 0 or (0 <= text_at < shown_at):
        return text
    return f"{description.strip()}\n{text}"
