"""Subscription and login prompts: the boxes a paywalled page shows where the rest of the story would be.

A prompt box ("Weiterlesen mit ... Plus", a price, "Jetzt abonnieren", "bereits Abonnent? Hier anmelden")
sits inside the article's markup, so trafilatura keeps it as text. It is found by its wording, in the
languages below: an element all of whose lines are prompt lines (a line that asks to subscribe, to log in,
to continue reading, or names a price) or short lines (a button, a brand), with at least two kinds of
prompt among them, and a link or a button to act on. On a page that declares itself not free
(JSON-LD `isAccessibleForFree: false`) one kind is enough. The parts the page declares as paid
(`hasPart.cssSelector`) are the article's own text and are never removed.
"""

from __future__ import annotations

import re

from tasks.extraction.markup import visible_texts

# Each kind of prompt, by stems of its words in English, German, French, Spanish, Italian, Portuguese,
# Dutch, the Scandinavian languages, Polish, Turkish, Russian, Japanese, Chinese and Korean.
PROMPT_KINDS = {
    "subscribe": r"subscri|abonn|\babos?\b|abo-|suscri|assin[ae]|abbona|prenumer|abonelik|abone ol|подпис|購読|订阅|訂閱|구독"
                 r"|\bmembership\b|\bpremium\b|unlimited access|unbegrenzte[nr]? zugang|accès illimité|acceso ilimitado"
                 r"|accesso illimitato|kündbar|cancel any ?time|sans engagement|sin compromiso|sem compromisso",
    "login": r"\blog ?in\b|\bsign ?in\b|\banmelden\b|\beinloggen\b|\bse connecter\b|\bconnectez|iniciar sesión"
             r"|inicia sesión|\baccedi\b|\bentrar\b|\binloggen\b|logga in|logg inn|log ind|zaloguj|giriş yap"
             r"|войти|ログイン|登录|登入|로그인",
    "continue": r"continue reading|keep reading|read the full|weiterlesen|lesen sie (?:jetzt )?weiter|lire la suite"
                r"|seguir leyendo|continuar leyendo|continua a leggere|continue lendo|lees verder|läs vidare"
                r"|les videre|læs videre|czytaj dalej|devamını oku|читать далее|続きを読む|阅读全文|閱讀全文"
                r"|this (?:article|story|content) is (?:only |exclusive)|exklusiv für|réservé aux|exclusivo para"
                r"|riservato agli|\d+\s?%\s+(?:de cet article|of (?:this|the) (?:article|story)|(?:dieses|des) artikels"
                r"|del artículo|dell'articolo)|free articles|articles gratuits|artículos gratuitos|kostenlosen artikel"
                r"|gratis-artikel",
    "price": r"(?:€|\$|£|¥|₺|₽|\b(?:eur|euro|usd|chf|kr|zł|sek|nok|dkk)\b)\s?\d|\d(?:[.,]\d{1,2})?\s?(?:€|\$|£|₺|₽"
             r"|\b(?:eur|euro|usd|chf|kr|zł|sek|nok|dkk)\b)",
}
_KINDS = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in PROMPT_KINDS.items()}
# Any kind, matched against lower-cased text (a pattern without IGNORECASE runs twice as fast).
_ANY_KIND = re.compile("|".join(f"(?:{pattern})" for pattern in PROMPT_KINDS.values()))
# A line of this many words or more, without a prompt, is prose: the box around it is not a prompt; and
# so is a line of PROMPT_WORDS or more, whatever it holds (prompts are short).
PROSE_WORDS = 12
PROMPT_WORDS = 60
# A prompt box is short; a longer block is the article, whatever words it holds.
BOX_CHARS = 1500
_BLOCKS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "aside", "form", "ul", "ol",
                     "dl", "dt", "dd", "blockquote", "header", "footer", "figure", "figcaption", "table", "tr", "td",
                     "button", "article", "main", "nav", "span"})
_NEVER_BOXES = frozenset({"html", "body", "article", "main"})
_SIMPLE_SELECTOR = re.compile(r"^\s*([.#])([\w-]+)\s*$")


def prompt_kinds(line: str) -> set[str]:
    """The kinds of prompt a line of text holds: subscribe, login, continue, price."""
    if not _ANY_KIND.search(line.lower()):
        return set()
    return {kind for kind, pattern in _KINDS.items() if pattern.search(line)}


def prune_paywall_prompts(tree, paywalled: bool = False, paid_selectors: tuple[str, ...] = ()) -> None:
    """Remove from the tree the subscription and login prompt boxes (see the module's docstring).

    Only the surroundings of the text that holds prompt words are examined: from each such text up
    through its ancestors, as long as every line below is a prompt or a short line, the largest element
    with enough kinds of prompt and something to act on is the box.
    """
    anchors = {node.getparent() for node in visible_texts(tree) if _ANY_KIND.search(node.lower())}
    if not anchors:
        return
    paid = paid_parts(tree, paid_selectors)
    needed = 1 if paywalled else 2
    judged: dict = {}  # element -> (whether it may be a box or hold one, its kinds of prompt), once per element
    boxes = []
    for anchor in anchors:
        box = None
        for element in (anchor, *anchor.iterancestors()):
            only_prompts, kinds = _judge(element, judged)
            if not only_prompts:
                break  # too long, or a prose line: every larger box holds it too
            if len(kinds) >= needed and _actionable(element):
                box = element
        if box is not None and not _touches(box, paid):
            boxes.append(box)
    for box in boxes:
        if box.getparent() is not None and not any(b in boxes for b in box.iterancestors()):
            box.getparent().remove(box)


def _longer_than(element, limit: int) -> bool:
    """Whether the element's text, spaces collapsed, is longer than `limit`; reads no further than that."""
    length = 0
    for text in element.itertext():
        length += len(" ".join(text.split()))
        if length > limit:
            return True
    return False


def _judge(element, judged: dict) -> tuple[bool, set[str]]:
    """(whether every line under `element` is a prompt or a short line, the kinds of prompt in them), or
    (False, {}) for an element too long to be a box. A line is the text of a block outside its block
    children (inline elements included). Each element is judged once (`judged` holds the answers)."""
    if element in judged:
        return judged[element]
    if element.tag in _NEVER_BOXES or _longer_than(element, BOX_CHARS):
        judged[element] = (False, set())
        return judged[element]
    blocks = [child for child in element if isinstance(child.tag, str) and child.tag in _BLOCKS]
    loose = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _BLOCKS:
            loose.append(child.text_content())
        loose.append(child.tail or "")
    words = " ".join(loose).split()
    kinds = prompt_kinds(" ".join(words)) if len(words) < PROMPT_WORDS else set()
    only_prompts = bool(kinds) or len(words) < PROSE_WORDS
    for child in blocks:
        if not only_prompts:
            break
        child_only, child_kinds = _judge(child, judged)
        only_prompts, kinds = only_prompts and child_only, kinds | child_kinds
    judged[element] = (only_prompts, kinds)
    return judged[element]


def _actionable(element) -> bool:
    """The box offers something to act on: a link, a button or a form."""
    return element.tag in ("a", "button", "form") or next(element.iter("a", "button", "form", "input"), None) is not None


def paid_parts(tree, selectors: tuple[str, ...]) -> set:
    """The elements that simple class or id selectors (".paid-content", "#article-body") name."""
    found = set()
    for selector in selectors:
        for part in selector.split(","):
            match = _SIMPLE_SELECTOR.match(part)
            if not match:
                continue
            attribute = "class" if match.group(1) == "." else "id"
            found.update(tree.xpath(f'//*[contains(concat(" ", normalize-space(@{attribute}), " "), " {match.group(2)} ")]'))
    return found


def _touches(element, paid: set) -> bool:
    """The element is, holds or lies inside a part declared as the paid text."""
    return bool(paid) and (element in paid or any(a in paid for a in element.iterancestors())
                           or any(d in paid for d in element.iterdescendants()))
