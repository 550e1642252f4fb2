"""Benchmark: the day's story matching at commit, at scale: time and peak memory (prints numbers; not a test).

Builds a lake of `--history` days of `--docs` documents each (signatures, edge sketches and
the columns a story row needs; a story of one copy per document), then runs
the commit's story step (`matching.match_day` and `matching.apply`) for
one more day of `--docs` documents, in a child process whose peak RSS is
measured. Of the new day's documents, 10% are copies of a document of the
history (a MinHash with 30% of its positions changed, Jaccard ~0.7) and 5%
copies of another of the same day; the rest are unrelated. Also times the
signature itself on real texts (the demo's wire story).

    .venv/bin/python tests/bench_stories.py [--docs 100000] [--history 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas import DOCUMENTS, STORIES  # noqa: E402
from tasks.stories.copies import story_id_of  # noqa: E402
from tasks.stories.signatures import EDGE_HEADER, EDGE_LINES, LINE, NUM_PERM  # noqa: E402

DAY = dt.date(2026, 11, 27)
COLUMNS = ["doc_id", "hostname", "url", "published_at", "agency", "dateline", "title", "story_id", "is_origin",
           "minhash", "shingle_count", "text_edges"]


def documents(rng: np.random.Generator, day: dt.date, n: int, matrix: np.ndarray) -> pa.Table:
    ids = [f"{day:%m%d}{i:026x}" for i in range(n)]
    published = dt.datetime.combine(day, dt.time(6), tzinfo=dt.timezone.utc)
    return pa.table({
        "doc_id": ids,
        "hostname": [f"site{i % 5000}.example" for i in range(n)],
        "url": [f"https://site{i % 5000}.example/{day}/{i}" for i in range(n)],
        "published_at": [published] * n,
        "agency": [("AFP", "Reuters", None, None)[i % 4] for i in range(n)],
        "dateline": [None] * n,
        "title": [f"Story {i} of {day}" for i in range(n)],
        "story_id": [story_id_of(day.isoformat(), d) for d in ids],
        "is_origin": [True] * n,
        "minhash": [row.tobytes() for row in matrix.astype("<u4")],
        "shingle_count": rng.integers(150, 1500, n).astype(np.int32),
        "text_edges": [edge_sketch(row) for row in matrix],
    })


def edge_sketch(row: np.ndarray) -> bytes:
    """An edge sketch (`tasks.stories.signatures.edges`) of a text of 40 lines whose line hashes follow its MinHash
    positions: a copy shares the lines of the positions it shares."""
    return EDGE_HEADER.pack(40) + b"".join(LINE.pack(int(v), 12) for v in row[:2 * EDGE_LINES])


def build(lake: Path, docs: int, history: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    history_matrices = []
    for back in range(history, 0, -1):
        day = DAY - dt.timedelta(days=back)
        matrix = rng.integers(0, 2**32, (docs, NUM_PERM), dtype=np.uint64).astype(np.uint32)
        history_matrices.append(matrix)
        table = documents(rng, day, docs, matrix)
        folder = lake / "documents" / f"date={day}"
        folder.mkdir(parents=True)
        pq.write_table(table.cast(pa.schema([DOCUMENTS.field(c) for c in COLUMNS])), folder / "part-0.parquet")
        story_rows = pa.table({
            "story_id": table["story_id"], "first_day": [day] * docs, "last_day": [day] * docs,
            "copies": pa.array([1] * docs, pa.int32()), "hosts": pa.array([1] * docs, pa.int32()),
            "origin_doc_id": table["doc_id"], "origin_url": table["url"], "origin_hostname": table["hostname"],
            "agency": table["agency"], "dateline": table["dateline"], "title": table["title"],
            "first_published_at": table["published_at"], "run_id": ["bench"] * docs,
            "ingested_at": table["published_at"], "pipeline_version": ["bench"] * docs})
        folder = lake / "stories" / f"date={day}"
        folder.mkdir(parents=True)
        pq.write_table(story_rows.cast(STORIES), folder / "part-0.parquet")
    # Today: 10% copies of the history, 5% copies of today, the rest new.
    today = rng.integers(0, 2**32, (docs, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    for i in range(docs // 10):
        source = history_matrices[rng.integers(len(history_matrices))][rng.integers(docs)].copy()
        changed = rng.random(NUM_PERM) < 0.3
        source[changed] = rng.integers(0, 2**32, changed.sum(), dtype=np.uint64).astype(np.uint32)
        today[i] = source
    for i in range(docs // 10, docs // 10 + docs // 20):
        today[i] = today[docs - 1 - i]
    table = documents(rng, DAY, docs, today).drop_columns(["story_id", "is_origin"])
    pq.write_table(table, lake / "today.parquet")


def match(lake: Path) -> None:
    """The commit's story step for DAY, as `commit_day` runs it; prints its time."""
    import duckdb

    from tasks.lake.storage import open_store
    from tasks.stories import matching

    dest = open_store(str(lake))
    with duckdb.connect() as con:
        con.execute("SET memory_limit = '1GB'")
        con.execute("CREATE VIEW today AS SELECT *, 'bench' AS run_id, now() AS ingested_at, "
                    f"'bench' AS pipeline_version FROM read_parquet('{lake}/today.parquet')")
        started = time.perf_counter()
        plan = matching.match_day(con, dest, "_staging/bench", DAY.isoformat(), "SELECT * FROM today")
        matched = time.perf_counter() - started
        linked = con.sql("SELECT count(*) FILTER (WHERE NOT starts_with(story_id, strftime(DATE '"
                         f"{DAY}', '%Y%m%d'))), count(DISTINCT story_id) FROM day_stories").fetchall()[0]
    started = time.perf_counter()
    matching.apply(dest, "_staging/bench", plan, "bench")
    applied = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"match_day {matched:.1f} s, apply {applied:.1f} s (other days' partitions rewritten: "
          f"{len(plan.documents)} documents, {len(plan.partitions)} stories), peak RSS {peak:.0f} MiB; "
          f"today's documents joined to an earlier day's story: {linked[0]}, today's stories: {linked[1]}")


def signature_cost() -> None:
    from tasks.sources.demo_corpus import REPOST_STORY
    from tasks.stories.signatures import signature

    text = REPOST_STORY.read_text("utf-8")
    rounds = 300
    started = time.perf_counter()
    for _ in range(rounds):
        signature(text)
    per_doc = (time.perf_counter() - started) / rounds * 1000
    print(f"signature: {per_doc:.2f} ms per document of {len(text.split())} words "
          f"({per_doc / len(text.split()) * 1000:.1f} us per word), in the extraction worker")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=7)
    parser.add_argument("--match", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.match:
        match(Path(args.match))
        return
    signature_cost()
    with tempfile.TemporaryDirectory(prefix="pagefold-bench-stories-") as tmp:
        lake = Path(tmp) / "lake"
        started = time.perf_counter()
        build(lake, args.docs, args.history)
        print(f"lake: {args.history} days of {args.docs} documents, and a day of {args.docs} to commit "
              f"(built in {time.perf_counter() - started:.0f} s)")
        subprocess.run([sys.executable, __file__, "--match", str(lake)], check=True)


if __name__ == "__main__":
    main()
