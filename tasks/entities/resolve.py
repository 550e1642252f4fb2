"""Mentions to entities, within one document: one canonical name and one label per entity.

Pure functions over the spans a model labelled (`Mention`); the model side is
in `tasks.entities.models`. Labels arrive already mapped to Pagefold's
(OntoNotes) names: PERSON, ORG, GPE, LOC, FAC, NORP, MISC, ...
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import re

from tasks.entities.names import CAPITALISED_NOUNS, DEMONYM_ENDINGS, INSTITUTION_WORDS, clean_name, genitive_stem, \
    is_office, is_toponym, kind_by_words, nominative, reads_as_person, without_office, without_title

# Numbers, amounts and times are not entities an analyst looks up.
NON_ENTITY_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
# Models trained on other corpora name the same classes differently (GermEval, WikiNER, natasha: PER).
LABEL_ALIASES = {"PER": "PERSON"}
SUMMARY_LABELS = {"people": {"PERSON"}, "organizations": {"ORG"}, "places": {"GPE", "LOC", "FAC"}}


@dataclass(frozen=True)
class Mention:
    """One span the model labelled: where it is (`start` in the text; None in the title) and how it reads."""

    text: str
    label: str
    start: int | None
    first_in_sentence: bool = False  # where every word is capitalised, so the capital says nothing


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


def resolve(mentions: list[Mention], language: str, common_words: frozenset[str] = frozenset(),
            text: str | None = None, evidence: bool = True) -> list[Entity]:
    """Group a document's mentions into entities, most mentioned first.

    Title mentions come first in `mentions`, then the text's in reading order.
    `common_words` are the language's ordinary words, lower case (from the
    model's tables; empty when it has none): they tell an office or a
    portfolio ("minister for Women and Equalities") from a given name.

    A name that is part of a longer person's name of the same document joins
    it, whatever its own label (the model calls a lone surname a place or an
    organisation now and then), and the entity is that person, unless that
    "person" is a misread headline (`_misread_person`); so does a German genitive of a name of
    the document ("Merkels"). Any other entity takes the label most of its
    mentions have, the first full form's label breaking ties.

    Labels and short names are then corrected by the evidence of the words
    (`_by_evidence`, which reads the document's `text` when given), and an
    entity that names nothing is left out (`_names_something`); not with
    `evidence=False`, which groups annotated names as they are.
    """
    named = _named(mentions, language)
    named = _split_office_before_name(named, language, common_words)
    if evidence:
        named = _by_evidence(named, language, text)
    full_names = list(dict.fromkeys(name.casefold() for name, label, _ in named
                                    if label == "PERSON" and len(name.split()) > 1))
    # Only the longest forms are targets: "Fogh Rasmussen" and "Rasmussen" both join "Anders Fogh Rasmussen".
    full_names = [full for full in full_names if not any(_contains(other.split(), full.split()) for other in full_names)]
    known = {name.casefold() for name, _, _ in named}
    labels: dict[str, Counter] = {}
    for name, label, _ in named:
        labels.setdefault(name.casefold(), Counter())[label] += 1
    groups: dict[str, list[tuple[str, str, Mention]]] = {}
    for index, (name, label, mention) in enumerate(named):
        folded = name.casefold()
        stem = genitive_stem(folded, language)
        if stem is not None and (stem in known or _full_name(stem, full_names, [])):
            folded = stem
        key = _full_name(folded, full_names, named[:index])
        if key and label != "PERSON" and _misread_person(key, labels[name.casefold()], labels[key], common_words):
            key = None
        key = key or folded
        groups.setdefault(key, []).append((name, label, mention))
    entities = []
    for key, group in groups.items():
        own = [(name, label, m) for name, label, m in group if name.casefold() == key] or group
        # "SEOUL —" in a dateline and "Seoul" in the text are one place; the name takes the ordinary casing.
        canonical, _, first = next((g for g in own if not g[0].isupper()), own[0])
        votes = Counter(label for _, label, _ in group)
        # Short forms joined a person's full name: the entity is that person, whatever the model said of them.
        label = "PERSON" if key in full_names else max(votes, key=lambda lab: (votes[lab], lab == own[0][1]))
        if evidence and not _names_something(canonical, label, [m for _, _, m in group], language, common_words):
            continue
        starts = [m.start for _, _, m in group if m.start is not None]
        entities.append(Entity(canonical, label, " ".join(first.text.split()), len(group),
                               min(starts) if starts else None, any(m.start is None for _, _, m in group)))
    entities.sort(key=lambda e: (-e.count, _order(e.first_offset)))
    return entities


def _by_evidence(named: list[tuple[str, str, Mention]], language: str,
                 text: str | None) -> list[tuple[str, str, Mention]]:
    """Names and labels corrected by what the words say.

    - A name's own kind words give its label (`names.kind_by_words`: "River Wend" is a place,
      "Baltic Gateway Terminals" an organisation).
    - A "nationality" that is no demonym and follows "the" is a place ("along the Severn").
    - A name the model cut short is the longer name of the same document that the text goes on with
      ("Saltings" in "at Saltings End community centre").
    - A one-word organisation that is the last word of exactly one longer organisation of the document
      is that one ("the Commission" after "the European Commission"); never without the long form.
    """
    out = []
    for name, label, mention in named:
        label = kind_by_words(name, label, language)
        if (label == "NORP" and text is not None and mention.start is not None and " " not in name
                and not name.casefold().endswith(DEMONYM_ENDINGS)
                and re.search(r"\bthe\s+$", text[max(0, mention.start - 5):mention.start], re.IGNORECASE)):
            label = "LOC"
        out.append((name, label, mention))
    longer = [(name, label) for name, label, _ in out if label != "PERSON" and len(name.split()) > 1]
    joined = []
    for name, label, mention in out:
        if label != "PERSON":
            name, label = _long_form(name, label, mention, longer, text)
        joined.append((name, label, mention))
    return joined


def _long_form(name: str, label: str, mention: Mention, longer: list[tuple[str, str]],
               text: str | None) -> tuple[str, str]:
    words = name.casefold().split()
    if text is not None and mention.start is not None:
        after = text[mention.start + len(mention.text):mention.start + len(mention.text) + 80]
        for long, long_label in longer:
            rest = long[len(name):]
            if long.casefold().startswith(name.casefold() + " ") and after.startswith(rest):
                return long, long_label
    if len(words) == 1 and label == "ORG":  # "Korea" is no short form of "South Korea": places never join
        heads = {(long, long_label) for long, long_label in longer
                 if long_label == "ORG" and long.casefold().split()[-1] == words[0]}
        if len({long.casefold() for long, _ in heads}) == 1:
            return next(iter(heads))
    return name, label


def _names_something(canonical: str, label: str, mentions: list[Mention], language: str,
                     common_words: frozenset[str]) -> bool:
    """Whether an entity names something an analyst can count.

    Not a person named in the title only (a headline read as a name, "Ferry de Port-Kerlan"; the model
    must find the person in the text too), nor a "person" with a lower-case word that is no particle of
    names ("Hakea laurina", `names.reads_as_person`). Not one word that says what an institution is ("l'État", "the
    Council") rather than which. Not one common word: in a language that capitalises every noun (German's
    "Bahnhof") wherever it stands; elsewhere when it stands only where every word is capitalised, first in
    a sentence or in the title ("Councillors voted ...").
    """
    if label == "PERSON" and (all(m.start is None for m in mentions) or not reads_as_person(canonical)):
        return False
    if " " in canonical:
        return True
    word = canonical.casefold()
    if word in INSTITUTION_WORDS.get(language, ()):
        return False
    if word not in common_words:
        return True
    if language in CAPITALISED_NOUNS:
        return False
    # Countries and cities (GPE) are in the dictionaries too ("china", "turkey"): the model's own word for them.
    return label == "GPE" or not all(m.start is None or m.first_in_sentence for m in mentions)


def summarize(entities: list[Entity]) -> dict[str, list[str]]:
    """The document's quick-filter columns: canonical names by kind, most mentioned first."""
    return {column: [e.canonical for e in entities if e.label in labels] for column, labels in SUMMARY_LABELS.items()}


def _named(mentions: list[Mention], language: str) -> list[tuple[str, str, Mention]]:
    """(name, label, mention) of every mention that names something: titles and offices taken off."""
    named = []
    for mention in mentions:
        label = LABEL_ALIASES.get(mention.label, mention.label)
        if label in NON_ENTITY_LABELS:
            continue
        name = clean_name(mention.text, language)
        if language == "ru":
            label = "LOC" if label == "PERSON" and is_toponym(name) else label
            name = nominative(name, label)
        if label == "PERSON":
            name = _after_last_office(without_title(name, language), language)
        else:
            name = without_office(name, language)
        if name:
            named.append((name, label, mention))
    return named


def _after_last_office(name: str, language: str) -> str:
    """A person's name without what comes up to an office word inside it ("Labour MP Hana Morrow")."""
    words = name.split()
    for i in range(len(words) - 2, -1, -1):
        if is_office(words[i], language):
            return " ".join(words[i + 1:])
    return name


def _split_office_before_name(named: list[tuple[str, str, Mention]], language: str,
                              common_words: frozenset[str]) -> list[tuple[str, str, Mention]]:
    """Take a person's name out of the end of a longer span of another label.

    "Former minister for Women and Equalities Nicola Brandt" is labelled as
    one organisation by the model; when the document names a person with the
    span's last word as a surname (the end of a full name, or after a title:
    "Ms Brandt"), that word, with the given names before it, is the person;
    not when a small word stands before it ("Gulf of Gdansk"). What is left
    before it stays an entity of its own label only if it holds a word that
    is not a common word of the language (an organisation's name, not a
    portfolio).
    """
    # A person's surname: the last word of a full name, or of a name written with a title ("Ms Brandt").
    surnames = {name.split()[-1].casefold() for name, label, mention in named if label == "PERSON"
                and (len(name.split()) > 1 or name != clean_name(mention.text, language))}
    out = []
    for name, label, mention in named:
        words = name.split()
        # "Gulf of Gdansk", "Universität zu Lübeck": a name that ends with a place after a small word is a name.
        if (label == "PERSON" or len(words) < 2 or words[-1].casefold() not in surnames
                or not words[-2][:1].isupper()):
            out.append((name, label, mention))
            continue
        first = len(words) - 1
        while first > 0 and _given_name(words[first - 1], common_words, language):
            first -= 1
        person = " ".join(words[first:])
        out.append((person, "PERSON", _part_of(mention, words[first])))
        rest = without_office(" ".join(words[:first]), language)
        if any(not _common(word, common_words) and not is_office(word, language) for word in rest.split()):
            out.append((rest, label, mention))
    return out


def _given_name(word: str, common_words: frozenset[str], language: str) -> bool:
    return (bool(common_words) and word.isalpha() and word.istitle() and not _common(word, common_words)
            and not is_office(word, language))


def _common(word: str, common_words: frozenset[str]) -> bool:
    return word.casefold() in common_words


def _part_of(mention: Mention, first_word: str) -> Mention:
    """The mention of the part of `mention` that starts at the last occurrence of `first_word`."""
    at = mention.text.rfind(first_word)
    at = max(at, 0)
    start = None if mention.start is None else mention.start + at
    return Mention(mention.text[at:], "PERSON", start)


def _misread_person(full: str, short: Counter, full_labels: Counter, common_words: frozenset[str]) -> bool:
    """Whether a "person" is a misread headline that a place or organisation should not join: it starts with a
    common word ("Ferry de Port-Kerlan") and is named as a person less often than the short form is named as
    something else (a town named three times)."""
    others = sum(n for label, n in short.items() if label != "PERSON")
    return _common(full.split()[0], common_words) and others > full_labels["PERSON"]


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
