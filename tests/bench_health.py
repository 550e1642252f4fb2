"""Benchmark: what day health and drift alarms cost, beside the day's run that pays for them.

Runs the ingest flow (in this process, on a temporary Prefect) over one day of news-dev pages (`--copies`
copies, distinct URLs), then times, on the lake it wrote:

- health: counting the day's documents and rejects into its `health` rows and writing them, as the
  commit does (`tasks.health.counts.day_health`);
- drift: the run's check of that day (the `check-drift` Prefect task: reading 15 days of `health`, the
  rule, log lines, one event per host with alarms), with 14 days of history copied from the day and
  changed so that every host raises alarms (the worst case: a line and an event each);
- the rule alone on a large lake's history (`--hosts` hosts x 15 days of made-up health rows).

Prints numbers; asserts nothing. `.venv/bin/python tests/bench_health.py [--copies 4] [--workers 2]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flows.prefect_defaults  # noqa: E402,F401  (before Prefect is imported)
from tests.bench_ingest import write_copies  # noqa: E402

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-dev" / "pages.jsonl.gz"
DAY = dt.date(2026, 11, 15)


def median_seconds(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def health_seconds(lake: Path, repeat: int) -> tuple[float, int]:
    """Median seconds of the commit's health step over the day's live documents and rejects; rows it wrote."""
    import duckdb
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from schemas import DATASETS
    from tasks.health.counts import day_health

    rows = []

    def count() -> None:
        with duckdb.connect() as con:
            for name in ("documents", "rejects"):
                con.register(f"final_{name}", ds.dataset(str(lake / name / f"date={DAY}"), schema=DATASETS[name]))
            table = day_health(con, "final_documents", "final_rejects").sort_by("hostname")
            pq.write_table(table, lake / "bench-health.parquet", compression="zstd")
            rows.append(table.num_rows)

    return median_seconds(count, repeat), rows[-1]


def make_history(lake: Path) -> None:
    """14 days before DAY, copies of its health rows in which every host had all its titles from meta and 2.5
    times the text, so that DAY raises alarms (titles left meta, text more than halved) on every host."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    [today] = list((lake / "health" / f"date={DAY}").iterdir())
    table = pq.read_table(today)
    changed = table.set_column(table.schema.get_field_index("title_sources"), "title_sources",
                               pa.array([[("meta", n)] for n in table.column("documents").to_pylist()],
                                        type=table.schema.field("title_sources").type))
    changed = changed.set_column(changed.schema.get_field_index("text_words_median"), "text_words_median",
                                 pc.multiply(changed.column("text_words_median"), 2.5))
    for back in range(1, 15):
        folder = lake / "health" / f"date={DAY - dt.timedelta(days=back)}"
        folder.mkdir()
        pq.write_table(changed, folder / "part-bench-0.parquet")


def drift_seconds(lake: Path, repeat: int, copies: int) -> tuple[float, int]:
    """Median seconds of the run's `check-drift` task on DAY (as the flow calls it); alarms it raised."""
    from prefect import flow

    from flows.drift import check_drift
    from tasks.health.drift import DriftRules
    from tasks.lake.storage import open_store

    store, alarms = open_store(str(lake)), []

    @flow(name="bench-drift")
    def bench() -> float:
        def check() -> None:
            # news-dev has at most 3 pages per host: a floor of one corpus copy checks every host
            alarms.append(len(check_drift(store, DAY.isoformat(), DriftRules(min_pages=copies))))

        return median_seconds(check, repeat)

    return bench(), alarms[-1]


def rule_on_large_history(hosts: int, repeat: int) -> float:
    """Median seconds of the rule alone for one day over `hosts` hosts x 15 days of health rows."""
    import pyarrow as pa

    from schemas import HEALTH, HEALTH_FIELDS
    from tasks.health.drift import DriftRules, drift_alarms
    from tasks.query import with_partition_column

    rows = []
    for back in range(15):
        for h in range(hosts):
            row = {f"{f}_share": 0.9 for f in HEALTH_FIELDS}
            row.update({f"{f}_sources": {"meta": 36, "json-ld": 4} for f in HEALTH_FIELDS if f != "entities"})
            row.update(date=DAY - dt.timedelta(days=back), hostname=f"host-{h}.example", pages=40, documents=40,
                       rejects=0, rejects_by_reason={}, text_words_median=400.0, run_id="r", pipeline_version="b",
                       ingested_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
            rows.append(row)
    table = pa.Table.from_pylist(rows, schema=with_partition_column(HEALTH))
    return median_seconds(lambda: drift_alarms(table, DAY, DriftRules()), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--copies", type=int, default=4, help="copies of the corpus in the day (distinct URLs)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=2000, help="hosts of the large history the rule is timed on")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.pages.exists():
        sys.exit(f"no pages at {args.pages}: pass --pages")

    from prefect.testing.utilities import prefect_test_harness

    from flows.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="pagefold-bench-health-") as tmp, \
            prefect_test_harness(server_startup_timeout=180):
        raw, lake = Path(tmp) / "raw", Path(tmp) / "lake"
        write_copies(args.pages, raw / f"dt={DAY.isoformat()}", args.copies)
        summary = ingest(source=str(raw), dest=str(lake), workers=args.workers)
        run_s = summary["seconds"]
        health_s, hosts = health_seconds(lake, args.repeat)
        make_history(lake)
        drift_s, alarms = drift_seconds(lake, args.repeat, args.copies)
        shutil.rmtree(lake)
    print(f"day: {summary['pages']} pages ({summary['documents']} documents, {summary['rejects']} rejects), "
          f"{hosts} hosts; ingest run {run_s:.1f} s with --workers {args.workers}")
    print(f"health at the commit: {1000 * health_s:.0f} ms = {100 * health_s / run_s:.2f}% of the run")
    print(f"drift check (Prefect task, 15 days of health, {alarms} alarms, their log lines and events; "
          f"hosts with at least {args.copies} pages checked): "
          f"{1000 * drift_s:.0f} ms = {100 * drift_s / run_s:.2f}% of the run")
    print(f"together: {100 * (health_s + drift_s) / run_s:.2f}% of the run")
    rule_s = rule_on_large_history(args.hosts, args.repeat)
    print(f"the rule alone, {args.hosts} hosts x 15 days of health: {1000 * rule_s:.0f} ms")


if __name__ == "__main__":
    main()
