"""Benchmark: NER alone, per language and by batching, on the documents of news-dev.

Run with `make bench-ner` (needs ../shared/corpus/news-dev, or --pages FILE).
Pages are extracted once (not timed); then, on one core, in CPU time:

- each language's model: load time, and pages per second over the corpus's
  pages of that language, in calls of 4 documents (what a worker does today);
- English and German: seconds per page by documents per `add_entities` call
  and by `nlp.pipe` batch size, and the slowest single call (what a slow page
  costs the pages batched with it).

Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

from tasks.entities import add_entities, model_for, models
from tasks.extraction.page import extract_page
from tasks.records import Limits, RawPage, SourcePointer

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-dev" / "pages.jsonl.gz"
MAX_CHARS = Limits().ner_max_chars


def documents(pages_file: Path) -> list[dict]:
    with gzip.open(pages_file, "rt") as lines:
        pages = [RawPage(SourcePointer("bench", line=i), r["url"], r["html"]) for i, r in
                 enumerate(map(json.loads, lines), 1)]
    return [d for d in (extract_page(page, Limits()) for page in pages) if isinstance(d, dict)]


def fresh(docs: list[dict]) -> list[dict]:
    return [{"language": d["language"], "title": d["title"], "text": d["text"]} for d in docs]


def timed_calls(docs: list[dict], per_call: int, repeat: int = 2) -> tuple[float, float]:
    """(CPU seconds per page, slowest call in s), best of `repeat` runs over `docs` in calls of `per_call`."""
    best, slowest = float("inf"), 0.0
    for _ in range(repeat):
        calls = []
        for i in range(0, len(docs), per_call):
            chunk = fresh(docs[i:i + per_call])
            started = time.process_time()
            add_entities(chunk, MAX_CHARS)
            calls.append(time.process_time() - started)
        if sum(calls) < best:
            best, slowest = sum(calls), max(calls)
    return best / len(docs), slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--per-call", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--pipe-batch", type=int, nargs="+", default=[16, 128])
    args = parser.parse_args()
    if not args.pages.exists():
        sys.exit(f"no pages at {args.pages}: pass --pages")
    docs = documents(args.pages)
    by_language: dict[str, list[dict]] = {}
    for doc in docs:
        by_language.setdefault(doc["language"], []).append(doc)
    print(f"{len(docs)} documents; languages: "
          + ", ".join(f"{lang} {len(ds)}" for lang, ds in sorted(by_language.items(), key=lambda x: -len(x[1]))))
    print("\nper language, calls of 4 documents (CPU time, one core):")
    print(f"{'lang':5} {'pages':>5} {'load s':>7} {'pages/s':>8} {'chars/page':>10} {'ms/1000 chars':>13}")
    for language in models.configured_models():
        pages = by_language.get(language, [])
        started = time.process_time()
        model_for(language)
        load_s = time.process_time() - started
        if not pages:
            print(f"{language:5} {0:5} {load_s:7.2f}   (no pages of this language)")
            continue
        add_entities(fresh(pages[:1]), MAX_CHARS)  # warm
        per_page, _ = timed_calls(pages, 4)
        chars = statistics.mean(len(d["text"]) for d in pages)
        print(f"{language:5} {len(pages):5} {load_s:7.2f} {1 / per_page:8.1f} {chars:10.0f} "
              f"{1000 * per_page / chars * 1000:13.2f}")
    for language in ("en", "de"):
        pages = by_language.get(language, [])
        if not pages or language not in models.configured_models():
            continue
        print(f"\n{language}: ms of CPU per page (slowest call in ms) by documents per call (rows) "
              f"and nlp.pipe batch size (columns)")
        print(f"{'per call':>8} " + " ".join(f"{'batch ' + str(b):>18}" for b in args.pipe_batch))
        for per_call in args.per_call:
            cells = []
            for batch in args.pipe_batch:
                models.PIPE_BATCH = batch
                per_page, slowest = timed_calls(pages, per_call)
                cells.append(f"{1000 * per_page:8.1f} ({1000 * slowest:7.0f})")
            print(f"{per_call:8} " + " ".join(f"{c:>18}" for c in cells))


if __name__ == "__main__":
    main()
