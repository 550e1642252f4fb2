"""Precision floors of the entities on public NER test sets, per language (`make quality-ner` prints the table).

The test sets are public repositories read at pinned commits from NER_SOURCES (default
~/.cache/pagefold/sources, laid out as <owner>/<name>.git): a set whose repository is not there is
skipped, nothing is cloned here. A floor sits a little under the precision measured when it was set, so a
change that makes an analyst's tables less right fails here rather than silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tasks.entities.training.benchmarks import TEST_SETS, score
from tasks.entities.training.repos import DEFAULT_SOURCES

SOURCES = Path(os.environ.get("NER_SOURCES", DEFAULT_SOURCES))
# Precision of people, organisations and places together; measured (at the commit that set them) minus about 0.02.
PRECISION_FLOORS = {
    "conll03-en-test": 0.66,
    "conll03-en-dev": 0.71,
    "uner-en-pud": 0.57,
    "germeval-heldout": 0.78,
    "germeval-dev": 0.77,
    "conll03-de-testb": 0.58,
    "uner-de-pud": 0.65,
    "wikineural-fr-test": 0.81,
    "uner-ru-pud": 0.69,
}


def test_every_test_set_has_a_floor():
    assert {t.name for t in TEST_SETS} == set(PRECISION_FLOORS)


@pytest.mark.slow  # a whole public test set through the models
@pytest.mark.parametrize("test_set", TEST_SETS, ids=[t.name for t in TEST_SETS])
def test_precision_stays_above_its_floor(test_set):
    if not test_set.available(SOURCES):
        pytest.skip(f"github:{test_set.source.repo} at {test_set.source.commit} is not under {SOURCES}")
    precision, recall, _ = score(test_set, SOURCES).of()
    assert precision >= PRECISION_FLOORS[test_set.name], f"{test_set.name}: precision {precision:.3f}"
    assert recall > 0.25, f"{test_set.name}: recall {recall:.3f} (a floor on precision alone rewards listing nothing)"
