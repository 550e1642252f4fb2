"""Unit tests of tasks.extraction.paywall: subscription and login prompts are not text, a visible lead is."""

from __future__ import annotations

import json

import pytest

from tasks.extraction.markup import parse_html
from tasks.extraction.page import extract_page
from tasks.extraction.paywall import prompt_kinds, prune_paywall_prompts
from tasks.records import Limits, RawPage, SourcePointer

LEAD = ("La mairie a présenté mardi soir un projet de nouvelle piscine municipale au bord du canal, qui doit "
        "remplacer le bassin fermé depuis deux ans pour des raisons de sécurité.")
SECOND = ("Plus de cent habitants sont venus à la réunion publique pour poser des questions sur le prix des "
          "entrées, les horaires d'ouverture et le stationnement autour du futur équipement.")


def text_after_pruning(body: str, paywalled: bool = False, selectors: tuple[str, ...] = ()) -> str:
    tree = parse_html(f"<html><head><title>t</title></head><body><article>{body}</article></body></html>")
    prune_paywall_prompts(tree, paywalled, selectors)
    return " ".join(tree.text_content().split())


@pytest.mark.parametrize("line, kinds", [
    ("Already a subscriber? Sign in", {"subscribe", "login"}),
    ("Continuez la lecture: abonnez-vous pour 1 € le premier mois", {"subscribe", "price"}),
    ("Sigue leyendo con tu suscripción", {"subscribe"}),
    ("Continue reading with a digital pass", {"continue"}),
    ("Der Gemeinderat tagte am Dienstag", set()),
], ids=["english", "french-price", "spanish", "continue", "none"])
def test_prompt_kinds(line, kinds):
    assert prompt_kinds(line) == kinds


@pytest.mark.parametrize("box", [
    '<div class="offer-wall"><h3>Vous avez aimé cet article ?</h3><p>Abonnez-vous pour lire la suite : 1 € le '
    'premier mois, sans engagement.</p><p><a href="/abo">Je m\'abonne</a></p><p>Déjà abonné ? '
    '<a href="/login">Se connecter</a></p></div>',
    '<section><p>This story is only for members.</p><p>Subscribe for $4.99 a month.</p>'
    '<button>Subscribe now</button><p>Already a subscriber? <a href="/signin">Sign in</a></p></section>',
    '<aside id="x9"><p>Sigue leyendo con tu suscripción digital por 2,99 € al mes.</p>'
    '<a href="/suscripcion">Suscríbete</a></aside>',
], ids=["french", "english", "spanish"])
def test_prompt_box_goes_and_the_article_stays(box):
    text = text_after_pruning(f"<h1>Piscine</h1><p>{LEAD}</p><p>{SECOND}</p>{box}")

    assert LEAD in text and SECOND in text
    assert not any(word in text for word in ("abonn", "Subscribe", "subscriber", "Suscríbete", "suscripción"))


def test_one_kind_is_enough_on_a_page_declared_not_free():
    box = '<div class="bar"><p>Weiter geht es mit einem Abo</p><a href="/abo">Los</a></div>'

    assert "Abo" in text_after_pruning(f"<p>{LEAD}</p>{box}", paywalled=False)
    assert "Abo" not in text_after_pruning(f"<p>{LEAD}</p>{box}", paywalled=True)


@pytest.mark.parametrize("body", [
    # an article about subscriptions: prose, no prompt box
    "<p>The newspaper said its digital subscription would rise to $12 a month from March, and that readers who "
    "already subscribe can log in to keep their current price until the end of the year.</p>"
    "<p>Analysts said the increase was the third in two years and reflected higher printing costs.</p>",
    # a prompt-like box without anything to act on is left alone
    "<div><p>Subscribe to our newsletter</p><p>Log in later</p></div>",
], ids=["article-about-prices", "nothing-to-click"])
def test_prose_and_boxes_without_action_stay(body):
    assert text_after_pruning(body, paywalled=False) == " ".join(parse_html(
        f"<html><head><title>t</title></head><body><article>{body}</article></body></html>").text_content().split())


def test_the_declared_paid_part_is_never_removed():
    paid = ('<div class="locked-body"><p>Subscribers read on: the pool will cost 9 million euros.</p>'
            '<p><a href="/x">Log in</a></p></div>')

    assert "9 million" in text_after_pruning(f"<p>{LEAD}</p>{paid}", paywalled=True, selectors=(".locked-body",))
    assert "9 million" not in text_after_pruning(f"<p>{LEAD}</p>{paid}", paywalled=True)


def test_paywalled_page_keeps_its_lead_whatever_its_class_and_loses_the_prompt():
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Nouvelle piscine au bord du canal",
          "isAccessibleForFree": "False",
          "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": "False", "cssSelector": ".reserve"}}
    html = f"""<html lang="fr"><head><title>Nouvelle piscine au bord du canal</title>
<script type="application/ld+json">{json.dumps(ld)}</script></head><body><nav><a href="/">Accueil</a></nav>
<article><h1>Nouvelle piscine au bord du canal</h1><p class="auteur">Par Claire Dumas</p>
<p class="teaser chapo">{LEAD}</p><p>{SECOND}</p>
<div class="mur"><p>Il vous reste 80% de cet article à lire.</p><p>Abonnez-vous dès 1 € par mois.</p>
<p><a href="/abonnement">Je m'abonne</a></p><p>Déjà abonné ? <a href="/connexion">Se connecter</a></p></div>
<div class="reserve"></div></article></body></html>"""
    page = RawPage(SourcePointer("/raw/dt=2026-05-20/p.jsonl", line=1), "https://canal.example/piscine", html)

    doc = extract_page(page, Limits())

    assert isinstance(doc, dict), doc
    assert LEAD in doc["text"] and doc["text"].index(LEAD) < doc["text"].index(SECOND)
    assert "abonn" not in doc["text"].lower() and "connecter" not in doc["text"]
