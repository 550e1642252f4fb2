"""Unit tests of tasks.extraction.language: identification from the text, cross-checked with the declaration."""

from __future__ import annotations

import pytest

from tasks.extraction.language import CONFIDENT, choose_language, identify

SAMPLES = {
    "en": "The harbour council voted on Tuesday evening to build a movable flood barrier across the river.",
    "de": "Der Stadtrat hat am Dienstagabend beschlossen, eine bewegliche Flutschutzwand über den Fluss zu bauen.",
    "fr": "Le conseil municipal a voté mardi soir la construction d'une barrière mobile contre les inondations.",
    "es": "El ayuntamiento votó el martes por la noche construir una barrera móvil contra las inundaciones.",
    "ja": "港町の議会は火曜日の夜、川の河口に可動式の防潮堤を建設することを決めた。",
    "it": "Il consiglio comunale ha votato martedì sera la costruzione di una barriera mobile contro le inondazioni.",
}


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_identify_names_the_language_of_a_sentence(code):
    detected, probability = identify(SAMPLES[code])

    assert detected == code
    assert probability >= CONFIDENT


@pytest.mark.parametrize("declared, detected, probability, expected", [
    ("en", "en", 0.99, ("en", "text")),
    ("en", "zu", 0.99, ("zu", "text")),  # a template's lang="en" over an isiZulu story
    (None, "de", 0.99, ("de", "text")),
    ("de", "fr", 0.5, ("de", "declared")),  # an unsure identification does not overrule the page
    (None, "fr", 0.5, (None, None)),  # nor stands alone
    ("nb", "no", 0.99, ("nb", "declared")),  # Norwegian Bokmål declared, Norwegian identified: the page is more precise
    ("id", "ms", 0.99, ("id", "declared")),
    ("de", None, 0.99, ("de", "declared")),
    (None, None, 0.0, (None, None)),
], ids=["agree", "text-wins", "undeclared", "unsure", "unsure-undeclared", "bokmal", "indonesian", "no-code", "none"])
def test_choose_language(declared, detected, probability, expected):
    """The language and where it came from (`field_sources.language`)."""
    assert choose_language(declared, detected, probability) == expected
