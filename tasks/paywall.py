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
    return {kind for kind, pattern in _KINDS.items() if pattern.search(line)}


def prune_paywall_prompts(tree, paywalled: bool = False, paid_selectors: tuple[str, ...] = ()) -> None:
    """Remove from the tree the subscription and login prompt boxes (see the module's docstring)."""
    paid = _paid_parts(tree, paid_selectors)
    boxes: dict = {}
    for element in reversed(list(tree.iter())):  # children before their parents
        if isinstance(element.tag, str):
            boxes[element] = _box(element, boxes)
    needed = 1 if paywalled else 2
    for element in list(tree.iter()):
        info = boxes.get(element)
        if (info is None or not info[0] or len(info[1]) < needed or element.tag in _NEVER_BOXES
                or not _actionable(element) or element.getparent() is None or _touches(element, paid)):
            continue
        if len(" ".join(element.text_content().split())) <= BOX_CHARS:
            element.getparent().remove(element)


def _box(element, boxes: dict) -> tuple[bool, set[str]]:
    """(whether every line under `element` is a prompt or a short line, the kinds of prompt in them)."""
    children = [c for c in element if isinstance(c.tag, str) and c.tag in _BLOCKS and c in boxes]
    if not children:
        words = element.text_content().split()
        kinds = prompt_kinds(" ".join(words)) if len(words) < PROMPT_WORDS else set()
        return (bool(kinds) or len(words) < PROSE_WORDS), kinds
    own = " ".join(((element.text or "") + " ".join(c.tail or "" for c in element)).split())
    kinds = prompt_kinds(own)
    ok = bool(kinds) or len(own.split()) < PROSE_WORDS
    for child in children:
        child_ok, child_kinds = boxes[child]
        ok, kinds = ok and child_ok, kinds | child_kinds
    return ok, kinds


def _actionable(element) -> bool:
    """The box offers something to act on: a link, a button or a form."""
    return element.tag in ("a", "button", "form") or next(element.iter("a", "button", "form", "input"), None) is not None


def _paid_parts(tree, selectors: tuple[str, ...]) -> set:
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
