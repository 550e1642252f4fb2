"""Faults from outside: a network that drops, resets, cuts and fails S3 requests, and a run killed with kill -9.

Either way the lake ends up exactly as a clean run writes it (same rows, same ids), and nothing is left
behind that blocks or litters the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb  # noqa: F401  (queries the Arrow tables by their Python names)
import pyarrow.dataset as ds
import pytest

from flows.ingest import ingest
from schemas import DATASETS
from tasks.lake.storage import open_store
from tests.faultproxy import FaultProxy, Rule
from tests.rawdata import FETCHED, GOOD_URLS, MAX_PAGE_MB, hard_input_objects, page, write_day

DAY = "2026-11-20"
RUN_COLUMNS = ("run_id", "ingested_at")  # differ between any two runs by design
PAGEFOLD = str(Path(sys.executable).with_name("pagefold"))


def lake_rows(store) -> dict[str, list[tuple]]:
    """Every row of every dataset but its run columns, sorted, read through pyarrow as `pagefold query` does."""
    fs, base = store.arrow()
    rows = {}
    for name in DATASETS:
        written = ds.dataset(f"{base}/{name}", filesystem=fs, format="parquet").to_table()
        written = written.drop_columns([c for c in RUN_COLUMNS if c in written.column_names])
        rows[name] = sorted(duckdb.sql("SELECT * FROM written").fetchall(), key=repr)
    return rows


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_through_a_faulty_network_writes_what_a_clean_run_writes(s3_bucket, s3_endpoint):
    """10% of requests fail at random (seeded), plus the two the lock used to trip on: the answer to its
    conditional PUT is lost (botocore re-sends it and meets 412), and the release's read is cut mid-body."""
    bucket, client = s3_bucket
    for i in range(6):  # a few batches' worth of objects
        for key, data in hard_input_objects().items():
            client.put_object(Bucket=bucket, Key=f"landing/dt={DAY}/copy-{i}/{key}", Body=data)
    params = dict(source=f"s3://{bucket}/landing", date=dt.date.fromisoformat(DAY), workers=2, batch_mb=0.05,
                  max_page_mb=MAX_PAGE_MB)
    clean = ingest(dest=f"s3://{bucket}/clean", s3_endpoint=s3_endpoint, **params)
    lock_faults = [Rule("PUT", "/_locks/", "drop_after"),  # the acquire: stored, answer lost, retried: 412
                   Rule("GET", "/_locks/", "truncate", skip=1)]  # the first read is the acquire's, then the release's

    with FaultProxy(s3_endpoint, rate=0.10, seed=14, rules=lock_faults, exempt="/_locks/") as proxy:
        faulty = ingest(dest=f"s3://{bucket}/faulty", s3_endpoint=proxy.endpoint, **params)
    print(f"fault proxy: {proxy.report()}")

    assert proxy.counts["faults"] >= 15 and proxy.counts["retries"] >= 15
    assert all(proxy.counts[f"rule {r.method} {r.path} {r.fault}"] == 1 for r in lock_faults)
    assert faulty["reconciled"] and faulty["pages"] == clean["pages"]
    lake = open_store(f"s3://{bucket}", s3_endpoint)
    assert lake_rows(open_store(f"s3://{bucket}/faulty", s3_endpoint)) == lake_rows(
        open_store(f"s3://{bucket}/clean", s3_endpoint))
    assert lake.list_objects("faulty/_staging") == [] and lake.list_objects("faulty/_locks") == []


def busy_day(root: Path, pages: int) -> None:
    """A day of `pages` distinct news pages, two per object of ~250 KB (a comment pads each page), so that with
    1 MB batches the run stages batch after batch."""
    harbour = page("harbour-news-tidal-barrier.html").decode().replace("</body>", f"<!-- {'x' * 110_000} --></body>")
    objects = {}
    for start in range(0, pages, 2):
        records = [{"url": f"{GOOD_URLS['harbour']}?n={i}", "html": harbour, "fetched_at": FETCHED}
                   for i in range(start, min(pages, start + 2))]
        objects[f"feeds/part-{start // 2:03d}.jsonl"] = "".join(json.dumps(r) + "\n" for r in records).encode()
    write_day(root, DAY, objects)


def pagefold_ingest(source: Path, lake: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    return subprocess.Popen([PAGEFOLD, "ingest", "--source", str(source), "--dest", str(lake), "--workers", "1",
                             "--batch-mb", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)


@pytest.mark.usefixtures("prefect_harness", "command_home")
def test_a_run_killed_mid_way_is_rerun_at_once_and_leaves_the_lake_as_a_clean_run(tmp_path):
    """kill -9 of the whole run (the process group: the flow and its workers) once its first batch is staged; a
    rerun started right after takes the dead run's lock over, removes its staging and writes the day."""
    source = tmp_path / "raw"
    busy_day(source, pages=24)
    ingest(source=str(source), dest=str(tmp_path / "clean"), workers=1)

    lake = tmp_path / "lake"
    killed = pagefold_ingest(source, lake)
    deadline = time.monotonic() + 600
    while not list((lake / "_staging").glob(f"{DAY}/*/parts/*/*.parquet")):
        assert killed.poll() is None and time.monotonic() < deadline, killed.stdout.read()
        time.sleep(0.2)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=60)
    assert (lake / "_locks" / f"{DAY}.json").exists()  # the dead run's lock, fresh
    dead_run = json.loads((lake / "_locks" / f"{DAY}.json").read_text())["owner"]
    assert (lake / "_staging" / DAY / dead_run).is_dir()  # its staged batch, with a part file cut short maybe

    started = time.monotonic()
    rerun = pagefold_ingest(source, lake)
    output = rerun.communicate(timeout=900)[0]

    assert rerun.returncode == 0, output
    assert f"took over the lock of run {dead_run}" in output and "is gone" in output
    assert time.monotonic() - started < 600
    assert lake_rows(open_store(str(lake))) == lake_rows(open_store(str(tmp_path / "clean")))
    assert not [p for p in (lake / "_staging").rglob("*") if p.is_file()] if (lake / "_staging").exists() else True
    assert not (lake / "_locks" / f"{DAY}.json").exists()
    assert dead_run not in "".join(p.name for p in lake.rglob("*"))
