"""Canonical names, per language: what of a mention is the name an analyst looks up.

Pure functions over strings. Each table is a fact about a language (its
articles, its courtesy titles, the office words that stand before or after a
name), never about a publisher. A language without a table gets the rules
that hold everywhere (surrounding punctuation, casing).
"""

from __future__ import annotations

import functools
import re

# Leading articles and elided prepositions are not part of a name ("the Kremlin" is "Kremlin", "l'Élysée" is
# "Élysée", "d'Israël" is "Israël", "des Bundestags" is "Bundestag").
LEADING_ARTICLES = {
    "en": ("the",),
    "fr": ("le", "la", "les", "l'", "l’", "d'", "d’", "du", "des", "au", "aux"),
    "de": ("der", "die", "das", "den", "dem", "des"),
    "es": ("el", "la", "los", "las", "del", "al"),
    "it": ("il", "lo", "la", "i", "gli", "le", "l'", "l’", "dell'", "dell’", "del", "della", "dei", "degli", "delle"),
}

# Courtesy titles and offices written before a person's name ("Dr Samuel Okafor", "Herr Scholz",
# "Mme Borne", "Bundeskanzler Olaf Scholz"): not part of the name. Compared case-folded, without a final full stop.
PERSON_TITLES = {
    "en": frozenset("mr mrs ms miss mx dr prof professor sir dame lord lady rev cllr councillor president senator "
                    "sen rep gov governor minister chancellor premier mayor judge general gen col captain capt "
                    "mp mep sheriff".split()),
    "de": frozenset("herr herrn frau dr prof professor professorin bundeskanzler bundeskanzlerin kanzler kanzlerin "
                    "bundespräsident bundespräsidentin präsident präsidentin minister ministerin "
                    "ministerpräsident ministerpräsidentin bürgermeister bürgermeisterin oberbürgermeister "
                    "oberbürgermeisterin abgeordneter abgeordnete senator senatorin landrat landrätin richter "
                    "richterin general generalin papst pfarrer pfarrerin trainer trainerin sir lord lady dame graf "
                    "gräfin fürst fürstin prinz prinzessin könig königin bischof kardinal".split()),
    "fr": frozenset("m mm mme mmes mlle me dr pr président présidente ministre maire député députée sénateur "
                    "sénatrice général générale juge monsieur madame mademoiselle maître".split()),
    "es": frozenset("sr sra srta don doña dr dra presidente presidenta ministro ministra alcalde alcaldesa "
                    "diputado diputada senador senadora general juez jueza".split()),
    "it": frozenset("sig sig.ra signor signora dott dott.ssa prof presidente ministro ministra sindaco "
                    "deputato deputata senatore senatrice generale giudice".split()),
}

# Offices and party roles written after an organisation's name ("Labour MP", "SPD-Chef"): the organisation is
# the name before them. Compared case-folded; for German also as the last part of a hyphenated compound.
OFFICE_AFTER_NAME = {
    "en": frozenset("mp mps mep meps msp ms mla mla's leader leaders chief chiefs chair chairman chairwoman "
                    "president spokesman spokeswoman spokesperson minister ministers secretary councillor "
                    "councillors senator senators candidate candidates member members lawmaker lawmakers "
                    "politician politicians official officials boss deputy peer peers backbencher "
                    "backbenchers frontbencher".split()),
    "de": frozenset("chef chefin vorsitzender vorsitzende politiker politikerin abgeordneter abgeordnete "
                    "fraktionschef fraktionschefin sprecher sprecherin minister ministerin kandidat kandidatin "
                    "generalsekretär generalsekretärin spitze spitzenkandidat spitzenkandidatin mitglied "
                    "landeschef landeschefin parteichef parteichefin".split()),
    "fr": frozenset("député députée sénateur sénatrice ministre porte-parole président présidente "
                    "secrétaire candidat candidate élu élue maire".split()),
}

_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_EDGE_PUNCTUATION = " \t\n\"'“”‘’«»„‚()[]{},.;:!?-–—"


def clean_name(text: str, language: str) -> str:
    """The name a mention refers to: no possessive, no leading article, no surrounding punctuation.

    Returns "" when nothing that reads as a name is left (digits, dashes).
    """
    name = " ".join(text.split()).strip(_EDGE_PUNCTUATION)
    name = _POSSESSIVE.sub("", name).strip(_EDGE_PUNCTUATION)
    for article in LEADING_ARTICLES.get(language, ()):
        if name.casefold().startswith(article) and len(name) > len(article):
            rest = name[len(article):]
            if article.endswith(("'", "’")) or rest[0].isspace():
                name = rest.strip()
                break
    # Letters that are not numerals ("二十六" is a number written in kanji).
    return name if any(c.isalpha() and not c.isnumeric() for c in name) else ""


def without_title(name: str, language: str) -> str:
    """A person's name without the courtesy titles and offices before it ("Frau Dr. Weber" is "Weber")."""
    titles = PERSON_TITLES.get(language, frozenset())
    words = name.split()
    while len(words) > 1 and words[0].rstrip(".").casefold() in titles:
        words = words[1:]
    return " ".join(words)


# Small words a person's name may hold in lower case ("Charles de Gaulle", "Ursula von der Leyen"); any other
# lower-case word says the span is no person's name ("Hakea laurina", a plant; "a. le lendemain").
NAME_PARTICLES = frozenset("de du des d' d’ la le van von der den ter ten zu da di dos das do del della y e "
                           "bin ibn al el af och und and".split())


def reads_as_person(name: str) -> bool:
    """Whether every word of `name` starts with a capital (or is not written in letters at all), but for
    the small words of names (`NAME_PARTICLES`). Scripts without case (Japanese, ...) always read so."""
    return all(not word[:1].islower() or word in NAME_PARTICLES for word in name.split())


# Prepositions a place's or an organisation's span may start with ("de Californie", from "la côte de
# Californie"); written in lower case only, so "De Beers" keeps its "De". Not for people: "de Gaulle".
LEADING_PREPOSITIONS = {"fr": ("de",), "es": ("de",), "it": ("di", "da")}


def without_office(name: str, language: str) -> str:
    """A name that is not a person's without the office after it ("Labour MP" is "Labour", "SPD-Chef" is
    "SPD") and without a lower-case preposition before it ("de Californie" is "Californie")."""
    offices = OFFICE_AFTER_NAME.get(language, frozenset())
    words = name.split()
    while len(words) > 1 and words[0] in LEADING_PREPOSITIONS.get(language, ()):
        words = words[1:]
    while len(words) > 1 and words[-1].casefold() in offices:
        words = words[:-1]
    if language == "de" and len(words) == 1 and "-" in words[0]:
        head, _, tail = words[0].rpartition("-")
        if head and tail.casefold() in offices:
            words = [head]
    return " ".join(words)


def is_office(word: str, language: str) -> bool:
    """Whether `word` is an office or courtesy title of the language (either table); in German also a
    compound ending in one ("Verkehrsministerin", "SPD-Fraktionschef")."""
    folded = word.rstrip(".").casefold()
    offices = PERSON_TITLES.get(language, frozenset()) | OFFICE_AFTER_NAME.get(language, frozenset())
    if folded in offices:
        return True
    return language == "de" and any(folded.endswith(office) for office in offices if len(office) >= 5)


def genitive_stem(name: str, language: str) -> str | None:
    """The name a German genitive stands for ("Merkels" -> "Merkel", "Deutschlands" -> "Deutschland",
    "Klaus’" -> "Klaus"); None when the word has no genitive ending. The caller decides whether the stem is
    a name of the same document: "Paris" is not a genitive of "Pari"."""
    if language != "de" or len(name) < 3:
        return None
    if name.endswith(("’", "'")):
        return name[:-1]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return None


# Words that make a name a place or an organisation whatever the model said: a place's kind word before or after
# its name ("River Wend", "Saltings End", "Chandler Street"), an organisation's last word ("Baltic Gateway
# Terminals", "Wend Harbour Trust"). Compared case-folded. FAC is spaCy's label for buildings and streets.
PLACE_FIRST = {
    "en": {"river": "LOC", "lake": "LOC", "mount": "LOC", "gulf": "LOC", "bay": "LOC", "cape": "LOC",
           "port": "GPE", "isle": "LOC", "loch": "LOC"},
    "de": {"fluss": "LOC", "insel": "LOC"},
    "fr": {"rivière": "LOC", "fleuve": "LOC", "lac": "LOC", "mont": "LOC", "golfe": "LOC", "île": "LOC",
           "rue": "LOC", "place": "LOC", "avenue": "LOC", "boulevard": "LOC", "quai": "LOC"},
}
PLACE_LAST = {
    "en": {"river": "LOC", "sea": "LOC", "ocean": "LOC", "strait": "LOC", "estuary": "LOC", "valley": "LOC",
           "hill": "LOC", "hills": "LOC", "island": "LOC", "islands": "LOC", "end": "LOC", "point": "LOC",
           "quay": "LOC", "wharf": "LOC", "marsh": "LOC", "marshes": "LOC", "green": "LOC", "common": "LOC",
           "street": "FAC", "road": "FAC", "lane": "FAC", "avenue": "FAC", "square": "FAC", "bridge": "FAC",
           "hall": "FAC", "airport": "FAC", "station": "FAC", "stadium": "FAC", "cathedral": "FAC"},
    "de": {"straße": "LOC", "strasse": "LOC", "platz": "LOC", "allee": "LOC", "weg": "LOC", "gasse": "LOC",
           "ufer": "LOC", "brücke": "LOC", "bahnhof": "LOC", "see": "LOC"},
}
ORG_LAST = {
    "en": frozenset("council councils trust agency union unions party commission committee ministry department "
                    "authority association federation company corporation group holdings terminals ports "
                    "airlines airways ferries shipping logistics partners industries ltd plc inc llc limited "
                    "university college institute foundation club fc court police service services "
                    "organisation organization alliance coalition board office".split()),
    "de": frozenset("partei verband verein gewerkschaft ministerium bundesamt amt behörde gmbh ag kg "
                    "stiftung universität hochschule institut gericht rat kommission club klub".split()),
    "fr": frozenset("parti syndicat ministère commission conseil association fédération société compagnie "
                    " université institut fondation club tribunal cour".split()),
}
# Words an institution is called by when the text has named it already, capitalised by convention
# ("l'État", "the Commission"): alone they name no particular place or organisation.
INSTITUTION_WORDS = {
    "en": frozenset("state government parliament council councils councillors commission committee ministry "
                    "court crown authority agency".split()),
    "de": frozenset("staat regierung bund land länder kommission rat ministerium gericht".split()),
    "fr": frozenset("état gouvernement parlement conseil commission ministère région département préfecture "
                    "mairie ville tribunal cour".split()),
}
# Languages that capitalise every noun: a capital letter is no sign of a name there.
CAPITALISED_NOUNS = frozenset({"de"})
# How a nationality or a group is written ("Dutch", "Norwegians", "Japanese", "Thai"): a NORP of a word
# without such an ending, written after "the" ("along the Severn"), is a place.
DEMONYM_ENDINGS = ("an", "ans", "ian", "ians", "ish", "ese", "ch", "sh", "i", "is", "ic", "ics", "ss", "ots",
                   "ers", "ites", "s")


# One-word names that end in a building's kind word ("Guildhall").
BUILDING_SUFFIXES = {"en": ("hall",)}


# A company's legal form, in any language ("Stoxx Limited", "Harbour Logistics GmbH"), and the words a street's
# name ends with: no person is called so, whatever the model said.
COMPANY_FORMS = frozenset("ltd limited inc plc llc corp gmbh ag kg se sa sas sarl nv bv ab asa oy spa".split())
STREETS = {"de": frozenset("straße strasse platz allee gasse".split()), "en": frozenset("street road avenue".split())}


def kind_by_words(name: str, label: str, language: str) -> str:
    """The label a name's own words give it, else `label`: a place's kind word first or last, an
    organisation's last word, a building's in one word. A person's name is left alone (a Mr Hill is no hill),
    but for a company's legal form or a street's last word."""
    words = name.casefold().split()
    if len(words) > 1 and words[-1] in COMPANY_FORMS:
        return "ORG"
    if label in ("PERSON", "PER"):
        return "LOC" if len(words) > 1 and words[-1] in STREETS.get(language, ()) else label
    if len(words) == 1:
        return "FAC" if label == "ORG" and words[0].endswith(BUILDING_SUFFIXES.get(language, ())) else label
    if words[-1] in ORG_LAST.get(language, ()):
        return "ORG"
    return PLACE_LAST.get(language, {}).get(words[-1]) or PLACE_FIRST.get(language, {}).get(words[0]) or label


# Russian names: the grammemes of a person's name, and the case endings of a man's surname pymorphy3 does not
# know ("Вовка" -> "Вовк").
NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})
MASCULINE_ENDINGS = {"gent": "а", "accs": "а", "datv": "у", "ablt": "ом", "loct": "е"}


@functools.cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def nominative(name: str, label: str) -> str:
    """A Russian `name` in the nominative case ("Павла Вовка" -> "Павел Вовк", "Москве" -> "Москва"), so a
    person or place named in several cases is one entity; by pymorphy3 (MIT) and its OpenCorpora
    dictionaries. Every word of a person's name goes from the case its best-known word is in (the given
    name's, usually); of a place's or an organisation's name, the first noun and the adjectives before it, from
the case of the first word ("Северогорском заводе" -> "Северогорский завод", "Министерства иностранных дел" ->
"Министерство иностранных дел"). Words pymorphy3
    cannot inflect stay as written; a man's unknown surname loses its case ending ("Вовка" -> "Вовк")."""
    words = name.split()
    if not words or not all(w.replace("-", "").isalpha() for w in words):
        return name
    morph = _morph()
    if label in ("PER", "PERSON"):
        known = [p for w in words for p in morph.parse(w)[:1] if NAME_GRAMMEMES & p.tag.grammemes]
        if not known or known[0].tag.case in (None, "nomn"):
            return name
        # A lone surname that reads as a nominative too ("Климова": a woman's, or a man's genitive) stays.
        if len(words) == 1 and any(p.tag.case == "nomn" and NAME_GRAMMEMES & p.tag.grammemes
                                   for p in morph.parse(name)):
            return name
        case, gender = known[0].tag.case, known[0].tag.gender
        return " ".join(_word_nominative(w, case, gender) for w in words)
    case = morph.parse(words[0])[0].tag.case
    if case in (None, "nomn"):
        return name
    out = list(words)
    for i, word in enumerate(words):  # the first noun and the adjectives before it agree; what follows it does not
        parse = next((p for p in morph.parse(word) if p.tag.case == case and p.tag.POS in ("NOUN", "ADJF")), None)
        if parse is None:
            break
        out[i] = _word_nominative(word, case, None)
        if parse.tag.POS == "NOUN":
            break
    return " ".join(out)


def _word_nominative(word: str, case: str, gender: str | None) -> str:
    parses = [p for p in _morph().parse(word) if p.tag.case == case]
    named = [p for p in parses if NAME_GRAMMEMES & p.tag.grammemes] or parses
    for parse in named:
        inflected = parse.inflect({"nomn"})
        if inflected is not None:
            return _cased(inflected.word, word)
    ending = MASCULINE_ENDINGS.get(case)
    if gender == "masc" and ending and word.lower().endswith(ending) and len(word) > len(ending) + 2:
        return word[: -len(ending)]
    return word


def _cased(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    return "-".join(part.capitalize() for part in word.split("-")) if like[:1].isupper() else word


def is_toponym(name: str) -> bool:
    """Whether a one-word Russian name reads only as a place in pymorphy3's dictionary and guesses
    ("Северогорска", which the NER tagger may call a person): no reading as a given name, surname or patronymic."""
    if " " in name or not name.replace("-", "").isalpha():
        return False
    parses = _morph().parse(name)
    return bool(parses) and all("Geox" in p.tag.grammemes and not NAME_GRAMMEMES & p.tag.grammemes for p in parses)
