"""Fault-injection measurement: an S3 ingest through a proxy that drops, resets, cuts and fails requests.

    .venv/bin/python tests/fault_bench.py [--pages N] [--rate 0.1] [--faults KIND ...] [--seeds 1 2 3]
                                          [--workers 2] [--corpus F]

Uploads N pages of ../shared/corpus/news-dev (distinct URLs, 25 pages per
object) to moto's S3 server, ingests them once directly (the clean lake),
then once per seed through `tests/faultproxy.py` with `--rate` of all
requests failing (source reads, staging writes, the commit, the lock) in
one of the `--faults` ways (default: all of them, in equal shares), and
prints for each: how the run ended, requests, faults by kind, retried
requests, Prefect batch-task attempts, pages sent to extraction, and whether
the lake equals the clean one (same rows, same ids). Prints numbers; asserts
nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flows.prefect_defaults  # noqa: E402,F401  (before Prefect is imported)
from tests.faultproxy import FAULTS  # noqa: E402

NEWS_DEV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-dev" / "pages.jsonl.gz"
DAY = "2026-11-27"
COUNTER_ENV = "PAGEFOLD_BENCH_EXTRACTIONS"
RUN_COLUMNS = ["run_id", "ingested_at"]


def counting_extract(pages, limits):
    """`tasks.extraction.page.extract_pages`, counting the pages it is given (in a file: it runs in worker processes)."""
    from tasks.extraction.page import extract_pages

    with open(os.environ[COUNTER_ENV], "a") as counter:
        counter.write(f"{len(pages)}\n")
    return extract_pages(pages, limits)


def upload(client, bucket: str, corpus: Path, pages: int) -> None:
    with gzip.open(corpus, "rt") as lines:
        records = [json.loads(line) for line in lines]
    rows = []
    for i in range(pages):
        record = records[i % len(records)]
        rows.append({**record, "url": f"{record['url']}{'&' if '?' in record['url'] else '?'}copy={i}"})
    for start in range(0, len(rows), 25):
        body = gzip.compress("".join(json.dumps(r) + "\n" for r in rows[start:start + 25]).encode())
        client.put_object(Bucket=bucket, Key=f"raw/dt={DAY}/part-{start // 25:04d}.jsonl.gz", Body=body)


def lake_frames(dest: str, endpoint: str) -> dict:
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(endpoint_override=endpoint.split("://")[1], scheme="http", access_key="testing",
                           secret_key="testing", region="us-east-1")
    base = dest[len("s3://"):]
    frames = {}
    for name in ("documents", "entities", "rejects"):
        frame = ds.dataset(f"{base}/{name}", filesystem=fs, format="parquet").to_table().to_pandas()
        frame = frame.drop(columns=RUN_COLUMNS).astype(str)
        frames[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return frames


def run(dest: str, endpoint: str, workers: int, counter: Path) -> tuple[str, int, int, float]:
    """One ingest; (how it ended, batch attempts, pages sent to extraction, seconds)."""
    from flows.ingest import ingest
    from tests.prefect_runs import batch_attempts

    counter.write_text("")
    started = time.perf_counter()
    state = ingest(source="s3://raw-bench/raw", dest=dest, s3_endpoint=endpoint, workers=workers, batch_mb=0.3,
                   return_state=True)
    seconds = time.perf_counter() - started
    ended = "completed" if state.is_completed() else f"FAILED: {(state.message or '')[:300]}"
    extracted = sum(int(n) for n in counter.read_text().split())
    return ended, batch_attempts(state), extracted, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=NEWS_DEV, help="a JSONL.gz of pages (url, html)")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0.10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--faults", nargs="+", default=list(FAULTS), choices=FAULTS)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"no corpus at {args.corpus}: pass --corpus")

    import boto3

    import tasks.running.batch
    from tests.faultproxy import FaultProxy
    from tests.s3server import moto_server

    tasks.running.batch.extract_pages = counting_extract
    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        counter = Path(tmp) / "extractions"
        os.environ[COUNTER_ENV] = str(counter)
        client = boto3.client("s3", endpoint_url=endpoint)
        for bucket in ("raw-bench", "lake-bench"):
            client.create_bucket(Bucket=bucket)
        upload(client, "raw-bench", args.corpus, args.pages)
        ended, attempts, extracted, seconds = run("s3://lake-bench/clean", endpoint, args.workers, counter)
        print(f"clean run: {ended}, {attempts} batch attempts, {extracted} pages extracted, {seconds:.0f} s",
              flush=True)
        clean = lake_frames("s3://lake-bench/clean", endpoint)
        print(f"  lake: {', '.join(f'{n} {len(f)}' for n, f in clean.items())}", flush=True)
        for seed in args.seeds:
            with FaultProxy(endpoint, rate=args.rate, seed=seed, faults=tuple(args.faults)) as proxy:
                dest = f"s3://lake-bench/faulty-{seed}"
                ended, attempts, extracted, seconds = run(dest, proxy.endpoint, args.workers, counter)
            try:
                faulty = lake_frames(dest, endpoint)
                same = all(faulty[n].equals(clean[n]) for n in clean)
                lake = f"{'equals' if same else 'DIFFERS from'} the clean lake"
            except Exception as exc:  # no lake written at all
                lake = f"unreadable lake ({type(exc).__name__})"
            print(f"seed {seed}, {args.rate:.0%} faults: {ended}; {proxy.report()}; {attempts} batch attempts; "
                  f"{extracted} pages extracted for {args.pages}; {seconds:.0f} s; {lake}", flush=True)


if __name__ == "__main__":
    main()
