"""Benchmark: how long a warm `make demo` takes (`pagefold demo`, its Prefect home migrated, its services running).

Run with `.venv/bin/python tests/bench_demo.py [--runs N]`. One untimed run first creates the Prefect home
(the first start migrates its database) and starts the services commands share (the local Prefect server, the
warm extraction workers); then N timed runs print wall seconds, CPU seconds of the command, of the processes it
waited for and of those services meanwhile (`bench_start.timed`), and the load average, since wall time on a
shared machine says as much about the neighbours as about the demo. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from tasks.running.service import stop_services
from bench_start import timed  # beside this script (run as a script, its folder is first on the path)

PAGEFOLD = str(Path(sys.executable).with_name("pagefold"))


def timed_demo(workdir: Path, env: dict[str, str], home: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds)."""
    _, _, wall, cpu = timed([PAGEFOLD, "demo", "--workdir", str(workdir)], env, home)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pagefold-bench-demo-") as tmp:
        home = Path(tmp) / "prefect-home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
        env.update(PAGEFOLD_PREFECT_HOME=str(home), COLUMNS="120")
        try:
            wall, cpu = timed_demo(Path(tmp) / "demo", env, home)
            print(f"first run (creates the Prefect home): {wall:5.1f} s wall, {cpu:5.1f} s CPU", flush=True)
            for run in range(1, args.runs + 1):
                wall, cpu = timed_demo(Path(tmp) / "demo", env, home)
                print(f"warm run {run}: {wall:5.1f} s wall, {cpu:5.1f} s CPU, load average "
                      f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        finally:
            stop_services(home)  # the services the first run started


if __name__ == "__main__":
    main()
