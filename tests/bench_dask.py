"""Benchmark: one day of N pages (default 2,000) on two workers, this machine's pool against a two-worker Dask cluster.

Both are `pagefold ingest` runs of the same day into a fresh lake: `--workers 2` (the local extraction pool),
then with PAGEFOLD_DASK_ADDRESS pointing at a Dask scheduler and two Dask workers started beforehand on this
same machine (one thread each, each extracting in a pool process of its own, as the scale-out guide says).
Pages are copies of ../shared/corpus/news-dev (or the demo pages without it), their URLs made distinct.
Prints each run's seconds (the flow run's, from its summary, and the command's), pages per second, and the CPU
seconds of every process it took (the command, its temporary Prefect and extraction processes; on Dask also the
scheduler, the workers and their extraction processes): on a machine shared with other work, wall time says how
much CPU the run got, CPU time what it cost, and so the overhead of Dask. Asserts nothing.

    .venv/bin/python tests/bench_dask.py [--pages 2000] [--batch-mb 4]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.sources.demo_corpus import PAGES as DEMO_PAGES  # noqa: E402
from tests.test_dask import external_cluster  # noqa: E402

NEWS_DEV = ROOT.parent / "shared" / "corpus" / "news-dev" / "pages.jsonl.gz"
PAGEFOLD = str(Path(sys.executable).with_name("pagefold"))
DAY = "2026-11-20"
PAGES_PER_OBJECT = 50


def corpus() -> tuple[str, list[dict]]:
    if NEWS_DEV.exists():
        with gzip.open(NEWS_DEV, "rt") as lines:
            return "news-dev", [{"url": r["url"], "html": r["html"]} for r in map(json.loads, lines)]
    return "demo pages", [{"url": f"https://demo.example/{p.stem}", "html": p.read_bytes().decode("utf-8", "replace")}
                          for p in sorted(DEMO_PAGES.glob("*.html"))]


def write_day(raw: Path, records: list[dict], pages: int) -> int:
    """`pages` pages, copies of `records` with distinct URLs, PAGES_PER_OBJECT to a gzipped JSONL object."""
    folder = raw / f"dt={DAY}"
    folder.mkdir(parents=True)
    batch: list[str] = []
    objects = 0
    for n in range(pages):
        record = records[n % len(records)]
        url = f"{record['url']}{'&' if '?' in record['url'] else '?'}copy={n // len(records)}"
        batch.append(json.dumps({**record, "url": url, "fetched_at": f"{DAY}T09:00:00Z"}) + "\n")
        if len(batch) == PAGES_PER_OBJECT or n == pages - 1:
            with gzip.open(folder / f"part-{objects:04d}.jsonl.gz", "wt") as out:
                out.writelines(batch)
            objects, batch = objects + 1, []
    return objects


def children_cpu_s() -> float:
    """CPU seconds of this process's children that have ended (and of theirs, that they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds so far of these processes and of every descendant, living or ended and waited for."""
    total = 0.0
    for pid in pids:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def ingest(raw: Path, lake: Path, batch_mb: int, home: Path, **env_vars: str) -> dict[str, str]:
    """`pagefold ingest`; its summary table's rows, the command's own seconds and the CPU seconds it took."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_", "DASK_"))}
    env.update(PAGEFOLD_PREFECT_HOME=str(home), **env_vars)
    started, cpu = time.monotonic(), children_cpu_s()
    result = subprocess.run([PAGEFOLD, "ingest", "--source", str(raw), "--dest", str(lake), "--batch-mb",
                             str(batch_mb), *(["--workers", "2"] if not env_vars else [])], env=env,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    rows = dict(re.findall(r"│ (\w[\w ]*?) +│ +(.+?) │", result.stdout))
    return {**rows, "command seconds": f"{time.monotonic() - started:.1f}", "cpu": children_cpu_s() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--batch-mb", type=int, default=4, help="raw megabytes per batch (the day needs several "
                                                                   "batches for two Dask workers to share it)")
    args = parser.parse_args()
    name, records = corpus()
    with tempfile.TemporaryDirectory(prefix="pagefold-bench-dask-") as tmp:
        root = Path(tmp)
        objects = write_day(root / "raw", records, args.pages)
        size = sum(p.stat().st_size for p in (root / "raw").rglob("*.gz"))
        print(f"{args.pages} pages of {name} in {objects} objects ({size / 1e6:.1f} MB gzipped), --batch-mb "
              f"{args.batch_mb}, on {len(os.sched_getaffinity(0))} cores (load average {os.getloadavg()[0]:.1f})")
        home = root / "prefect-home"
        write_day(root / "one-page", records, 1)
        ingest(root / "one-page", root / "warm-up", args.batch_mb, home)  # the Prefect home's database, made once
        local = ingest(root / "raw", root / "local", args.batch_mb, home)
        with external_cluster(root / "dask") as address:
            cluster = [p.pid for p in psutil.Process().children() if "dask" in " ".join(p.cmdline())]
            idle = tree_cpu_s(cluster)  # the cluster's start, the workers' imports: not the run's
            on_dask = ingest(root / "raw", root / "dask", args.batch_mb, home, PAGEFOLD_DASK_ADDRESS=address)
            on_dask["cpu"] += tree_cpu_s(cluster) - idle
    print(f"{'':>28} {'flow s':>8} {'command s':>10} {'pages/s':>8} {'CPU s':>8} {'CPU ms/page':>12}")
    for label, run in (("local pool, 2 processes", local), ("Dask, 2 workers (1 thread)", on_dask)):
        print(f"{label:>28} {float(run['seconds']):>8.1f} {float(run['command seconds']):>10.1f} "
              f"{float(run['pages per second']):>8.2f} {run['cpu']:>8.1f} {1000 * run['cpu'] / args.pages:>12.0f}"
              f"   ({run['pages read']} pages, {run['documents written']} documents)")
    local_s, dask_s = float(local["seconds"]), float(on_dask["seconds"])
    print(f"Dask against the local pool: {dask_s / local_s - 1:+.0%} of the flow's time ({dask_s - local_s:+.1f} s), "
          f"{on_dask['cpu'] / local['cpu'] - 1:+.0%} CPU ({on_dask['cpu'] - local['cpu']:+.1f} s); load average now "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
