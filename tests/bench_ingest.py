"""Benchmark: pages per second of extraction and of NER alone, and of `pagefold ingest` by worker count.

Run with `make bench` (needs ../shared/corpus/news-dev, or pass --pages FILE
with a JSONL.gz of pages). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tasks.entities import MODELS_ENV, add_entities
from tasks.extraction.page import extract_page
from tasks.records import Limits, RawPage, SourcePointer

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-dev" / "pages.jsonl.gz"


def extraction_and_ner(pages_file: Path) -> tuple[int, float, float]:
    """One core, no Prefect, no I/O: CPU seconds of extraction, then of NER on its documents, as a worker runs them.

    CPU time rather than wall time, so that the split holds on a machine doing other work too.
    """
    with gzip.open(pages_file, "rt") as lines:
        pages = [RawPage(SourcePointer("bench", line=i), r["url"], r["html"]) for i, r in
                 enumerate(map(json.loads, lines), 1)]
    warm = [extract_page(pages[0], Limits())]  # imports and caches warmed, the model loaded
    add_entities([d for d in warm if isinstance(d, dict)], Limits().ner_max_chars)
    started = time.process_time()
    documents = [d for d in (extract_page(page, Limits()) for page in pages) if isinstance(d, dict)]
    extracted = time.process_time()
    for i in range(0, len(documents), 4):  # the chunk size the pool uses
        add_entities(documents[i:i + 4], Limits().ner_max_chars)
    return len(pages), extracted - started, time.process_time() - extracted


def write_copies(pages_file: Path, day: Path, copies: int) -> None:
    """A day folder holding `copies` copies of a pages.jsonl.gz, one object each, every URL made distinct
    (`?copy=i`), so that copies are distinct captures, not duplicates."""
    day.mkdir(parents=True)
    with gzip.open(pages_file, "rt") as lines:
        records = [json.loads(line) for line in lines]
    for i in range(copies):
        copy = [{**r, "url": f"{r['url']}{'&' if '?' in r['url'] else '?'}copy={i}"} for r in records]
        with gzip.open(day / f"part-{i:03d}.jsonl.gz", "wt") as out:
            out.writelines(json.dumps(r) + "\n" for r in copy)


def ingest_run(pages_file: Path, workers: int, copies: int, entities: bool) -> str:
    """`pagefold ingest` on a local day folder holding `copies` copies of the corpus; returns its summary table."""
    with tempfile.TemporaryDirectory(prefix="pagefold-bench-") as tmp:
        write_copies(pages_file, Path(tmp) / "raw" / "dt=2024-05-03", copies)
        command = [str(Path(sys.executable).with_name("pagefold")), "ingest", "--source", str(Path(tmp) / "raw"),
                   "--dest", str(Path(tmp) / "lake"), "--workers", str(workers)]
        started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        env = {**os.environ, "COLUMNS": "120", **({} if entities else {MODELS_ENV: ""})}
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    table = [line for line in result.stdout.splitlines() if "│" in line and "days" not in line]
    # CPU time of the command and the processes it waited for (its workers, Prefect's server): steadier than wall
    # time on a machine doing other work.
    return "\n".join(table) + (f"\n  command wall time incl. Prefect start: {wall:.1f} s; CPU time of the command "
                               f"and its children: {cpu_s:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--copies", type=int, default=4, help="copies of the corpus in the day (distinct objects)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--entities", choices=["on", "off"], nargs="+", default=["on", "off"])
    args = parser.parse_args()
    if not args.pages.exists():
        sys.exit(f"no pages at {args.pages}: pass --pages")
    n, extract_s, ner_s = extraction_and_ner(args.pages)
    print(f"1 core, no Prefect, CPU time: extraction {n} pages in {extract_s:.1f} s = {n / extract_s:.1f} pages/s; "
          f"NER on its documents {ner_s:.1f} s = {n / ner_s:.1f} pages/s; "
          f"NER share of the two: {ner_s / (extract_s + ner_s):.0%}")
    for workers in args.workers:
        for entities in args.entities:
            print(f"\npagefold ingest, {args.copies} x {n} pages, --workers {workers}, entities {entities}:")
            print(ingest_run(args.pages, workers, args.copies, entities == "on"))


if __name__ == "__main__":
    main()
