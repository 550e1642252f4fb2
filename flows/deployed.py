"""`pagefold worker` and `pagefold settings`: what the deployed runs of this machine will read, said and checked.

A deployed run reads its settings where it executes (the environment of the
worker) or from Prefect variables (docs/operating.md, "Configuration"). `settings_lines`
lists them, each with where it comes from, and for a missing one the command
that sets it. `pagefold settings` prints them (`make deploy` ends with it);
`pagefold worker` (`make worker`) prints them as its first lines, then

- refuses to join a work pool whose online workers run with other settings:
  a pool's runs go to whichever of its workers asks first, so a worker with
  another lake would silently take runs meant for the others (issue 24).
  The fingerprint of the settings is part of the worker's name
  (`HOST-PID-settings-1a2b3c4d`), which is what Prefect lists of a worker;
- with PAGEFOLD_DASK_WORKERS=N, starts one local Dask cluster (a scheduler
  and N worker processes) for every run it executes, passed to them as
  PAGEFOLD_DASK_ADDRESS: the models load once per Dask worker, not once a day;
- then becomes `prefect worker start --pool POOL --name NAME` (the process is
  replaced: signals, output and exit status are Prefect's worker's own).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from tasks.lake.storage import SetupError

# The environment a deployed run reads (besides credentials, never shown): workers of one pool must agree on it.
RUN_ENVIRONMENT = ("PAGEFOLD_SOURCE", "PAGEFOLD_DEST", "PAGEFOLD_S3_ENDPOINT", "AWS_ENDPOINT_URL",
                   "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION", "AWS_PROFILE", "PAGEFOLD_DASK_ADDRESS",
                   "PAGEFOLD_DASK_WORKERS")
DRIFT_PREFIX = "PAGEFOLD_DRIFT_"
NAME = re.compile(r"^(?P<host>.+)-(?P<pid>\d+)-settings-(?P<fingerprint>[0-9a-f]{8})$")
CLUSTER_START_S = 60.0  # how long the local Dask scheduler may take to write its address


def run_environment() -> dict[str, str]:
    """The variables of this environment that a deployed run reads, set ones only."""
    return {name: value for name, value in sorted(os.environ.items())
            if value and (name in RUN_ENVIRONMENT or name.startswith(DRIFT_PREFIX))}


def fingerprint(environment: dict[str, str]) -> str:
    """8 hex digits that differ when the run environment or Pagefold's version differ."""
    text = json.dumps({**environment, "pagefold": version("pagefold")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def worker_name(environment: dict[str, str]) -> str:
    return f"{socket.gethostname()}-{os.getpid()}-settings-{fingerprint(environment)}"


def settings_lines() -> tuple[list[str], list[str]]:
    """(lines saying each setting a deployed run here reads, and where from; the settings that are missing)."""
    from flows import config

    lines, missing = [], []
    for name, label in (("source", "source"), ("dest", "lake")):
        value, origin = config.setting_and_origin(name)
        if value:
            lines.append(f"  {label:<12} {value} ({origin})")
        else:
            missing.append(name)
            lines.append(f"  {label:<12} NOT SET, runs fail: {config.how_to_set(name)}")
    endpoint, origin = config.s3_endpoint_and_origin()
    lines.append(f"  {'S3 endpoint':<12} {f'{endpoint} ({origin})' if endpoint else 'AWS'}")
    address, address_origin = config.setting_and_origin("dask_address")
    local, local_origin = config.setting_and_origin("dask_workers")
    if address:
        where = f"the Dask cluster at {address} ({address_origin})"
    elif local:
        where = f"a local Dask cluster of {local} worker process(es) ({local_origin})"
    else:
        where = f"this machine, extraction in {len(os.sched_getaffinity(0))} process(es) (no Dask cluster set)"
    lines.append(f"  {'batches on':<12} {where}")
    drift = {k: v for k, v in run_environment().items() if k.startswith(DRIFT_PREFIX)}
    lines.append(f"  {'drift alarms':<12} {', '.join(f'{k}={v}' for k, v in drift.items()) or 'default thresholds'}")
    lines.append(f"  {'Pagefold':<12} {version('pagefold')}")
    return lines, missing


def check_pool(pool: str, ours: str) -> None:
    """SetupError naming an online worker of `pool` whose settings differ from ours (a worker of this machine
    whose process is gone does not count: Prefect still lists it as online for a minute or two)."""
    import psutil
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import WorkerStatus
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            workers = client.read_workers_for_work_pool(pool)
        except ObjectNotFound:  # the pool does not exist yet: no worker to disagree with
            return
    host = socket.gethostname()
    for worker in workers:
        match = NAME.match(worker.name)
        if worker.status != WorkerStatus.ONLINE or worker.name == ours:
            continue
        if match and match["host"] == host and not psutil.pid_exists(int(match["pid"])):
            continue
        if match and match["fingerprint"] == NAME.match(ours)["fingerprint"]:
            continue
        raise SetupError(
            f"the work pool {pool} already has the online worker {worker.name}, "
            f"{'with other settings' if match else 'not started by pagefold worker (its settings are unknown)'}: "
            "a pool's runs go to whichever worker asks first, so all workers of a pool must run with the same "
            f"settings; start this one with the same PAGEFOLD_* and AWS_* settings, stop the other, or give this "
            f"one a pool of its own (PAGEFOLD_WORK_POOL=...)")


def start_local_cluster(workers: int) -> str:
    """A Dask scheduler and `workers` worker processes (one thread each, allowed children), processes of this one's
    that end with it; their address."""
    folder = Path(tempfile.mkdtemp(prefix="pagefold-dask-"))
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    env.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    dask = str(Path(sys.executable).with_name("dask"))
    subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                      "--scheduler-file", str(scheduler_file)], env=env, cwd=folder, stdin=subprocess.DEVNULL,
                     preexec_fn=_die_with_parent)
    subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--nworkers", str(workers),
                      "--nthreads", "1", "--no-dashboard"], env=env, cwd=folder, stdin=subprocess.DEVNULL,
                     preexec_fn=_die_with_parent)
    deadline = time.monotonic() + CLUSTER_START_S
    while time.monotonic() < deadline:
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
    raise SetupError(f"the local Dask scheduler did not start within {CLUSTER_START_S:.0f} s")


def _die_with_parent() -> None:
    """In a child before it starts: SIGTERM when its parent (this worker) ends, even by SIGKILL (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def exec_prefect_worker(pool: str, name: str) -> None:
    """Become `prefect worker start --pool POOL --name NAME`."""
    prefect = str(Path(sys.executable).with_name("prefect"))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(prefect, [prefect, "worker", "start", "--pool", pool, "--name", name])
