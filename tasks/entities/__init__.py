"""Named entities of documents: the people, organisations and places each one is about.

Runs in the extraction workers, right after trafilatura, on the clean text
and the title. A model per language finds mentions (`models`); the rules
turn mentions into entities an analyst can count (`resolve`, with the
per-language name rules of `names`): one canonical name per entity within a
document ("Lavrov" after "Sergei Lavrov" counts for "Sergei Lavrov"), one
label per entity (its mentions' majority), no numbers or dates.
"""

from __future__ import annotations

from tasks.entities.models import (
    MODELS_ENV,
    REGISTRY,
    SEGMENT_CHARS,
    ModelNotLoaded,
    NerModel,
    configured_models,
    model_for,
    not_loaded,
    preload,
    segments,
)
from tasks.entities.names import clean_name
from tasks.entities.resolve import NON_ENTITY_LABELS, Entity, Mention, resolve, summarize

__all__ = ["ENTITIES_DONE", "FAILED", "MODELS_ENV", "NON_ENTITY_LABELS", "REGISTRY", "SEGMENT_CHARS", "TOO_LONG",
           "UNSUPPORTED_LANGUAGE", "Entity", "Mention", "ModelNotLoaded", "add_entities", "clean_name",
           "configured_models", "model_for", "no_entities", "not_loaded", "preload", "resolve", "segments", "summarize"]

ENTITIES_DONE = "done"
UNSUPPORTED_LANGUAGE = "unsupported_language"
TOO_LONG = "too_long"
FAILED = "failed"


def no_entities(status: str) -> dict:
    """The entity columns of a document that has none, and why."""
    return {"entities_status": status, "entity_count": 0, "people": [], "organizations": [], "places": [],
            "entities": []}


def with_entities(entities: list[Entity]) -> dict:
    return {"entities_status": ENTITIES_DONE, "entity_count": len(entities), **summarize(entities),
            "entities": [e.as_row() for e in entities]}


def add_entities(documents: list[dict], max_chars: int) -> None:
    """Give each extracted document its entity columns, in place, with one `nlp.pipe` per language.

    `documents` need `language`, `title` and `text`. A language's model is
    loaded the first time one of its documents comes (in an extraction
    worker, ModelNotLoaded instead: `models.preload`). A page the model (or
    the rules after it) fails on gets `failed` and costs nothing else: the
    call is re-run page by page to find it. Raises RuntimeError when a
    language's configured models are none of them installed.
    """
    missing = not_loaded({doc["language"] for doc in documents if len(doc["text"]) <= max_chars})
    if missing:
        raise ModelNotLoaded(missing)
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
            doc.update(_entities_or_failed(mentions, doc["language"], model.common_words, doc["text"]))


def _entities_or_failed(mentions: list[Mention] | None, language: str, common_words: frozenset[str],
                        text: str) -> dict:
    if mentions is None:
        return no_entities(FAILED)
    try:
        return with_entities(resolve(mentions, language, common_words, text))
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
