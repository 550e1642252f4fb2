"""Public NER test sets and how Pagefold's entities score on them: precision and recall of people, places, organisations.

Each test set is a file of a public repository read at a pinned commit (`repos.py`; nothing of it is
committed). Its sentences become documents (a CoNLL document between `-DOCSTART-` lines, or one sentence),
their text is the tokens joined as they would be written, and each document goes through `add_entities` as a
page's text does. The annotated names of the document go through the same grouping (`resolve`) and give the
expected `people`, `organizations` and `places`; a name scores when the document lists it under the right
kind (case-folded). `PER` is people, `ORG` organisations, `LOC` places; `MISC` is not scored (neither side).

Precision is what an analyst's table of names gets right; recall is what of the annotated names it lists.
Scores are micro-averaged over the documents (every name counts once per document).

    python -m tasks.entities.training.benchmarks [--sources DIR] [--sets NAME ...]

prints the table; `make quality-ner` runs it.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tasks.entities.resolve import Mention, resolve, summarize
from tasks.entities.training.corpora import GERMEVAL, Sentence, Source, conll_sentences, germeval_dev, germeval_sentences
from tasks.entities.training.repos import DEFAULT_SOURCES, has_repository, open_repository

KINDS = ("people", "organizations", "places")
GOLD_LABELS = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC"}

WIKINEURAL = Source("Babelscape/wikineural", "d2e28c770cba2b285e742529ae18ed849e336c65", "CC BY-NC-SA 4.0",
                    "WikiNEuRal (Tedeschi et al., EMNLP Findings 2021) and the CoNLL-2003 copies of its repository")
UNER_EN = Source("UniversalNER/UNER_English-PUD", "07ea0553144e3fcf3d6633efe2a075b725a0d262", "CC BY-SA 4.0",
                 "Universal NER (Mayhew et al., NAACL 2024) on UD English PUD: news and Wikipedia sentences")
UNER_DE = Source("UniversalNER/UNER_German-PUD", "47eb039b6d80079b280ba70efe4136413fb7af9c", "CC BY-SA 4.0",
                 "Universal NER (Mayhew et al., NAACL 2024) on UD German PUD: news and Wikipedia sentences")
UNER_RU = Source("UniversalNER/UNER_Russian-PUD", "6f5acd6d728f70b20e4326d841356567796ee844", "CC BY-SA 4.0",
                 "Universal NER (Mayhew et al., NAACL 2024) on UD Russian PUD: news and Wikipedia sentences")

Document = list[Sentence]


@dataclass(frozen=True)
class TestSet:
    """One public test set: which language, where it is, how it is read, and what its licence lets us do."""

    name: str
    language: str
    source: Source
    path: str
    what: str
    limit: int | None = None  # documents read (the first ones), None for all

    def documents(self, sources: Path) -> list[Document]:
        text = self.source.read(sources, self.path)
        if self.source is GERMEVAL and "dev" in self.path:
            documents = [[s] for s in germeval_dev(sources)[:200]]
        elif self.source is GERMEVAL:
            documents = [[s] for s in germeval_sentences(text)]
            documents = documents[len(documents) * 4 // 5:]  # the fifth the training recipe holds out
        elif self.path.endswith(".iob2"):
            documents = uner_documents(text)
        else:
            documents = conll_documents(text)
        return documents[: self.limit]

    def available(self, sources: Path) -> bool:
        return has_repository(sources, self.source.repo, self.source.commit)


TEST_SETS = (
    TestSet("conll03-en-test", "en", WIKINEURAL, "data/conll/en/test.conllu",
            "CoNLL-2003 English test (Reuters news, 231 documents); licensed text: measured only"),
    TestSet("conll03-en-dev", "en", WIKINEURAL, "data/conll/en/val.conllu",
            "CoNLL-2003 English dev (testa, 216 documents); thresholds are chosen here; measured only"),
    TestSet("uner-en-pud", "en", UNER_EN, "en_pud-ud-test.iob2",
            "Universal NER, English PUD (1,000 news and Wikipedia sentences), CC BY-SA 4.0"),
    TestSet("germeval-heldout", "de", GERMEVAL, "Data/NER-de-test.tsv",
            "GermEval 2014, the last fifth of its test split (1,020 sentences), never trained on"),
    TestSet("germeval-dev", "de", GERMEVAL, "Data/NER-de-dev.tsv",
            "GermEval 2014 dev, the 200 sentences the recipe keeps to pick its model; thresholds are chosen here"),
    TestSet("conll03-de-testb", "de", WIKINEURAL, "data/conll/de/test.conllu",
            "CoNLL-2003 German testb (Frankfurter Rundschau news, 155 documents); licensed text: measured only"),
    TestSet("uner-de-pud", "de", UNER_DE, "de_pud-ud-test.iob2",
            "Universal NER, German PUD (1,000 news and Wikipedia sentences), CC BY-SA 4.0"),
    TestSet("wikineural-fr-test", "fr", WIKINEURAL, "data/wikineural/fr/test.conllu",
            "WikiNEuRal French test, first 2,000 sentences (Wikipedia); CC BY-NC-SA: measured only", 2000),
    TestSet("uner-ru-pud", "ru", UNER_RU, "ru_pud-ud-test.iob2",
            "Universal NER, Russian PUD (1,000 news and Wikipedia sentences), CC BY-SA 4.0"),
)


def conll_documents(text: str) -> list[Document]:
    """Documents of a CoNLL file (optionally with an index column): between `-DOCSTART-` lines when it has
    them, else one sentence each."""
    documents: list[Document] = []
    current: Document = []
    starts = "-DOCSTART-" in text
    for block in re.split(r"\n\s*\n", text):
        lines = [line.split()[-2:] for line in block.splitlines() if len(line.split()) >= 2]
        if not lines:
            continue
        if lines[0][0] == "-DOCSTART-":
            if current:
                documents.append(current)
            current = []
            continue
        sentence = conll_sentences("\n".join(" ".join(parts) for parts in lines), {"PER": "PER", "ORG": "ORG",
                                                                                    "LOC": "LOC", "MISC": "MISC"})
        if starts:
            current += sentence
        else:
            documents.append(sentence)
    if current:
        documents.append(current)
    return documents


def uner_documents(text: str) -> list[Document]:
    """Documents of a Universal NER file (`# newdoc` comments; index, token, IOB2 tag, ... per line)."""
    documents: list[Document] = []
    sentence: Sentence = []
    for line in text.splitlines() + [""]:
        if line.startswith("# newdoc") or not line.strip():
            if sentence:
                documents[-1].append(sentence) if documents else documents.append([sentence])
            sentence = []
            if line.startswith("# newdoc"):
                documents.append([])
            continue
        if line.startswith("#"):
            continue
        _, token, tag, *_ = line.split("\t")
        sentence.append((token, tag if tag[:2] in ("B-", "I-") else "O"))
    return [d for d in documents if d]


_NO_SPACE_BEFORE = re.compile(r"^[.,;:!?)\]}%»”]+$|^'s$|^n't$")
_NO_SPACE_AFTER = re.compile(r"^[(\[{«„“]$|['’]$")


def document_text(document: Document) -> tuple[str, list[Mention]]:
    """The document's text (tokens joined as written, one line per sentence) and its annotated mentions
    (`PER`, `ORG`, `LOC`, with their offsets in the text)."""
    parts: list[str] = []
    mentions: list[Mention] = []
    at = 0
    for sentence in document:
        open_span: tuple[int, str] | None = None
        previous = ""
        for token, tag in sentence:
            gap = "" if (not previous or _NO_SPACE_BEFORE.match(token) or _NO_SPACE_AFTER.search(previous)) else " "
            if tag == "O" or tag.startswith("B-"):
                open_span = _closed(open_span, parts, at, mentions)
            parts.append(gap)
            at += len(gap)
            if tag != "O" and open_span is None:
                open_span = (at, tag[2:])
            parts.append(token)
            at += len(token)
            previous = token
        _closed(open_span, parts, at, mentions)
        parts.append("\n")
        at += 1
    return "".join(parts), mentions


def _closed(span: tuple[int, str] | None, parts: list[str], end: int, mentions: list[Mention]) -> None:
    if span is not None and span[1] in GOLD_LABELS:
        start, kind = span
        mentions.append(Mention("".join(parts)[start:end], GOLD_LABELS[kind], start))


def expected(mentions: list[Mention], language: str) -> dict[str, set[str]]:
    """The names a document should list, by kind: its annotated mentions grouped as Pagefold groups them."""
    return {kind: {name.casefold() for name in names} for kind, names in summarize(resolve(mentions, language, evidence=False)).items()}


@dataclass
class Score:
    """Names listed and annotated, and those both: per kind, over every document of a test set."""

    true: Counter
    listed: Counter
    annotated: Counter
    documents: int = 0

    @staticmethod
    def precision_recall_f1(true: int, listed: int, annotated: int) -> tuple[float, float, float]:
        p = true / listed if listed else 0.0
        r = true / annotated if annotated else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def of(self, kind: str | None = None) -> tuple[float, float, float]:
        """(precision, recall, F1) of one kind, or of all three kinds together."""
        kinds = KINDS if kind is None else (kind,)
        return self.precision_recall_f1(*(sum(c[k] for k in kinds) for c in (self.true, self.listed,
                                                                               self.annotated)))


def score(test_set: TestSet, sources: Path, errors: list | None = None, chunk: int = 256) -> Score:
    """Run `add_entities` over the test set's documents and count what it lists against what is annotated.
    `errors`, when given, receives (kind, listed but not annotated, annotated but not listed) per document."""
    from tasks.entities import add_entities

    total = Score(Counter(), Counter(), Counter())
    documents = test_set.documents(sources)
    for i in range(0, len(documents), chunk):
        texts = [document_text(document) for document in documents[i:i + chunk]]
        rows = [{"language": test_set.language, "title": None, "text": text} for text, _ in texts]
        add_entities(rows, max_chars=10**7)
        for row, (_, mentions) in zip(rows, texts):
            gold = expected(mentions, test_set.language)
            for kind in KINDS:
                listed = {name.casefold() for name in row[kind]}
                total.true[kind] += len(listed & gold[kind])
                total.listed[kind] += len(listed)
                total.annotated[kind] += len(gold[kind])
                if errors is not None and listed != gold[kind]:
                    errors.append((kind, sorted(listed - gold[kind]), sorted(gold[kind] - listed)))
    total.documents = len(documents)
    return total


def table(results: dict[str, Score]) -> str:
    """One line per test set: documents, then precision / recall / F1 of all kinds and of each."""
    head = f"{'test set':<20} {'lang':<4} {'docs':>5}  {'P':>5} {'R':>5} {'F1':>5}  " + "  ".join(
        f"{kind[:6] + ' P/R':>11}" for kind in KINDS)
    lines = [head]
    for name, result in results.items():
        language = next(t.language for t in TEST_SETS if t.name == name)
        p, r, f = result.of()
        cells = "  ".join(f"{result.of(kind)[0]:5.3f}/{result.of(kind)[1]:5.3f}" for kind in KINDS)
        lines.append(f"{name:<20} {language:<4} {result.documents:>5}  {p:5.3f} {r:5.3f} {f:5.3f}  {cells}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    parser.add_argument("--sets", nargs="+", choices=[t.name for t in TEST_SETS])
    parser.add_argument("--errors", type=int, default=0, help="print this many documents' errors per set")
    args = parser.parse_args()
    results = {}
    for test_set in TEST_SETS:
        if args.sets and test_set.name not in args.sets:
            continue
        try:
            open_repository(args.sources, test_set.source.repo, test_set.source.commit)  # cloned on first use
        except SystemExit as error:
            print(f"{test_set.name}: skipped, github:{test_set.source.repo} cannot be had: {error}")
            continue
        errors: list = []
        results[test_set.name] = score(test_set, args.sources, errors)
        for kind, wrong, missed in errors[: args.errors]:
            print(f"  {test_set.name} {kind}: listed, not annotated {wrong}; annotated, not listed {missed}")
    print(table(results))
    for test_set in TEST_SETS:
        if test_set.name in results:
            print(f"  {test_set.name}: {test_set.what}; github:{test_set.source.repo} at {test_set.source.commit}")


if __name__ == "__main__":
    main()
