"""Mentions to entities, within one document: one canonical name and one label per entity.

Pure functions over the spans a model labelled (`Mention`); the model side is
in `tasks.entities.models`. Labels arrive already mapped to Pagefold's
(OntoNotes) names: PERSON, ORG, GPE, LOC, FAC, NORP, MISC, ...
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tasks.entities.names import clean_name, genitive_stem, is_office, without_office, without_title

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


def resolve(mentions: list[Mention], language: str, common_words: frozenset[str] = frozenset()) -> list[Entity]:
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
    """
    named = _named(mentions, language)
    named = _split_office_before_name(named, language, common_words)
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
        starts = [m.start for _, _, m in group if m.start is not None]
        entities.append(Entity(canonical, label, " ".join(first.text.split()), len(group),
                               min(starts) if starts else None, any(m.start is None for _, _, m in group)))
    entities.sort(key=lambda e: (-e.count, _order(e.first_offset)))
    return entities


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
