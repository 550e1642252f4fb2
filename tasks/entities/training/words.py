"""A language's common nouns, witnessed in annotated public text: the words that are written inside sentences
as ordinary words (tag O) and hardly ever as part of a name.

German capitalises every noun, so a capital letter says nothing of a name there; the German pipeline has
no dictionary of its own either. This list stands in for one (`tasks.entities.models` reads it): a lone
"Bahnhof" is no place, "Großkreutz" after "Thomas" is a surname and not a common word.

    python -m tasks.entities.training.words de [--sources DIR]

writes `tasks/entities/words/de.txt` (one lower-case word a line, after a header naming the sources)
and prints its size. `make train-ner LANG=de` runs it too.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from tasks.entities.training.corpora import EUROPEANA, EUROPEANA_CLASSES, EUROPEANA_GERMAN, GERMEVAL, LER, \
    LER_CLASSES, LER_COURTS, Sentence, conll_sentences, germeval_sentences
from tasks.entities.training.repos import DEFAULT_SOURCES

WORDS = Path(__file__).resolve().parents[1] / "words"
# A word counts when it is written as an ordinary word inside sentences at least this often, and inside a
# name at most this share of that.
MIN_PLAIN = 1
MAX_NAME_SHARE = 0.25
SENTENCE_ENDS = frozenset('.!?:;"„“«»()–-')


def common_nouns(sentences: list[Sentence]) -> set[str]:
    """Capitalised words (lower case) seen as ordinary words inside sentences (never first, never after an
    end of sentence or a quote) at least `MIN_PLAIN` times, and inside a name at most `MAX_NAME_SHARE` of that."""
    plain: Counter = Counter()
    named: Counter = Counter()
    for sentence in sentences:
        previous = None
        for token, tag in sentence:
            if token.isalpha() and token[:1].isupper() and not token.isupper() and len(token) > 2:
                if tag != "O":
                    named[token.casefold()] += 1
                elif previous is not None and previous not in SENTENCE_ENDS:
                    plain[token.casefold()] += 1
            previous = token
    return {word for word, n in plain.items() if n >= MIN_PLAIN and named[word] <= MAX_NAME_SHARE * n}


def german_sentences(root: Path) -> list[Sentence]:
    """Every annotated sentence of the German sources that may be shipped from (GermEval, LER, Europeana's
    two cleaner German collections); GermEval's held-out test fifth included, as words only."""
    sentences = germeval_sentences(GERMEVAL.read(root, "Data/NER-de-dev.tsv"))
    sentences += germeval_sentences(GERMEVAL.read(root, "Data/NER-de-test.tsv"))
    for court in LER_COURTS:
        sentences += conll_sentences(LER.read(root, f"data/conll/{court}.conll"), LER_CLASSES)
    for path in EUROPEANA_GERMAN:
        sentences += conll_sentences(EUROPEANA.read(root, path), EUROPEANA_CLASSES)
    return sentences


RECIPES = {"de": (german_sentences, (GERMEVAL, LER, EUROPEANA))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("language", choices=sorted(RECIPES))
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    args = parser.parse_args()
    read, sources = RECIPES[args.language]
    words = sorted(common_nouns(read(args.sources)))
    WORDS.mkdir(exist_ok=True)
    target = WORDS / f"{args.language}.txt"
    header = [f"# Common nouns of '{args.language}', lower case, witnessed in: "
              + "; ".join(f"{s.origin} ({s.licence}, github:{s.repo} at {s.commit})" for s in sources),
              "# Written by `python -m tasks.entities.training.words`: do not edit by hand."]
    target.write_text("\n".join(header + words) + "\n", encoding="utf-8")
    print(f"{target}: {len(words)} words")


if __name__ == "__main__":
    main()
