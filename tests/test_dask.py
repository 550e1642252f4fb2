"""Scale-out: a day's batches on a real Dask cluster (two worker processes) give the single-machine output,
the per-page deadline included (each Dask worker extracts in a pool process of its own, killed at the deadline)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pandas as pd
import pytest

from flows.ingest import ingest
from schemas import DATASETS
from tasks.lake.storage import open_store
from tests.prefect_runs import api_url, register_deployments
from tests.rawdata import FETCHED, hard_input_objects, slow_entities_page, write_day
from tests.s3server import free_port
from tests.test_fault_injection import lake_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")

DAY = "2026-11-20"
RUN_COLUMNS = ["run_id", "ingested_at"]  # differ between any two runs by design
DASK = str(Path(sys.executable).with_name("dask"))
PAGEFOLD = str(Path(sys.executable).with_name("pagefold"))


def lake_frame(lake, dataset: str) -> pd.DataFrame:
    frame = pd.read_parquet(lake / dataset).drop(columns=RUN_COLUMNS)
    for column in [c for c in frame.columns if any(isinstance(v, bytes) for v in frame[c])]:  # documents.minhash
        frame[column] = frame[column].map(lambda v: v.hex() if v is not None else v)
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True).astype(str)


def test_a_day_on_a_two_worker_dask_cluster_equals_the_single_process_output(tmp_path, monkeypatch):
    source = tmp_path / "raw"
    slow_url, slow_html = slow_entities_page()  # NER needs ~7 s of CPU: past the 3 s deadline
    slow = json.dumps({"url": slow_url, "html": slow_html, "fetched_at": FETCHED}).encode() + b"\n"
    write_day(source, DAY, {**hard_input_objects(), "long/report.jsonl": slow})
    params = dict(source=str(source), date=dt.date.fromisoformat(DAY), max_page_mb=1, extract_timeout_s=3,
                  batch_mb=0.01)  # about 10 KB: several batches, so both Dask workers get some

    single = ingest(dest=str(tmp_path / "single"), workers=1, **params)
    monkeypatch.setenv("PAGEFOLD_DASK_WORKERS", "2")
    on_dask = ingest(dest=str(tmp_path / "dask"), **params)

    assert on_dask["reconciled"] and single["reconciled"]
    for dataset in DATASETS:
        pd.testing.assert_frame_equal(lake_frame(tmp_path / "dask", dataset), lake_frame(tmp_path / "single", dataset))
    documents = lake_frame(tmp_path / "dask", "documents")
    assert len(documents) > 0 and documents.doc_id.is_unique
    rejects = lake_frame(tmp_path / "dask", "rejects")
    assert rejects[rejects.url == slow_url].reason.tolist() == ["extract_timeout"]


def test_a_local_dask_cluster_from_the_command_line_is_quiet_and_closes_cleanly(tmp_path):
    """Issue 24's trial: 36 `distributed.*` INFO lines and "Worker process still alive after 4.0 seconds, killing"
    on every run with PAGEFOLD_DASK_WORKERS. Dask's own lines are left out unless --verbose, and the cluster closes
    at once (its workers stop their extraction pools)."""
    write_day(tmp_path / "raw", DAY, {"feeds/mixed.jsonl.gz": hard_input_objects()["feeds/mixed.jsonl.gz"]})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_", "DASK_"))}
    env.update(PAGEFOLD_PREFECT_HOME=str(tmp_path / "home"), PAGEFOLD_DASK_WORKERS="1")
    result = subprocess.run([PAGEFOLD, "ingest", "--source", str(tmp_path / "raw"), "--dest", str(tmp_path / "lake")],
                            env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)

    output = result.stdout + result.stderr
    assert result.returncode == 0 and "yes: pages = documents + rejects" in result.stdout, output
    assert "batches on Dask at tcp://127.0.0.1:" in output  # not a terminal: Prefect's INFO lines are printed
    assert "distributed." not in output and "killing" not in output and "Traceback" not in output, output


@contextmanager
def external_cluster(workdir: Path, workers: int = 2) -> Iterator[str]:
    """A Dask scheduler and `workers` workers (one thread each), each its own process started with this venv's
    `dask` command in a folder that holds no Pagefold code (as on another machine), the workers allowed children
    as the README says (DASK_DISTRIBUTED__WORKER__DAEMON=False); yields the scheduler's address."""
    from distributed import Client

    workdir.mkdir(parents=True, exist_ok=True)
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    commands = [[DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"]]
    commands += [[DASK, "worker", address, "--nthreads", "1", "--no-dashboard", "--name", f"worker-{n}"]
                 for n in range(workers)]
    processes = [subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                  stdout=(workdir / f"{command[1]}-{n}.log").open("w"), stderr=subprocess.STDOUT,
                                  start_new_session=True) for n, command in enumerate(commands)]
    try:
        with Client(address, timeout=120) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the worker's extraction process with it
            process.wait()


def worker_environment(workdir: Path, **env_vars: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAGEFOLD_"))}
    env.update(PREFECT_API_URL=api_url(), PREFECT_HOME=str(workdir / "prefect-home"), PREFECT_WORKER_QUERY_SECONDS="1",
               **env_vars)
    return env


@contextmanager
def pagefold_worker(pool: str, workdir: Path, **env_vars: str) -> Iterator[Path]:
    """`pagefold worker --pool POOL` (what `make worker` runs: it becomes `prefect worker start`) against the test
    Prefect API, from a folder that holds no Pagefold code; yields its log."""
    log = workdir / "worker.log"
    worker = subprocess.Popen([PAGEFOLD, "worker", "--pool", pool], cwd=workdir,
                              env=worker_environment(workdir, **env_vars), stdin=subprocess.DEVNULL, stdout=log.open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        yield log
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def said_first_line(log: Path) -> str:
    return log.read_text().splitlines()[0]


# Two days with nothing in common (no story spans them), so their rows do not depend on which commits first.
DEPLOYED_DAYS = {"2026-11-21": ["feeds/mixed.jsonl.gz", "pages/junk.html"],
                 "2026-11-22": ["crawl/legacy.warc.gz", "notes/readme.txt"]}


def test_a_deployed_backfill_on_an_external_dask_cluster_writes_what_a_local_run_writes(tmp_path, s3_bucket,
                                                                                       s3_endpoint):
    """The operator's scale-out: the deployments registered as `make deploy` does, a worker as `make worker` starts
    it with PAGEFOLD_DASK_ADDRESS, a run of the backfill deployment; its days run as deployed `ingest-day` runs whose
    batches go to the cluster, and write the rows a local run writes (issue 24's trial: every day failed, the Dask
    workers could not import the deployment's flow module, and only the scheduler's log said so)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, \
        FlowRunFilterParentFlowRunId, LogFilter, LogFilterFlowRunId
    from prefect.deployments import run_deployment

    bucket, client = s3_bucket
    objects = hard_input_objects()
    for day, keys in DEPLOYED_DAYS.items():
        for key in keys:
            client.put_object(Bucket=bucket, Key=f"raw/dt={day}/{key}", Body=objects[key])
    source, days = f"s3://{bucket}/raw", sorted(DEPLOYED_DAYS)
    local = ingest(source=source, dest=f"s3://{bucket}/local", s3_endpoint=s3_endpoint, workers=1)
    assert local["reconciled"] and local["days"] == days
    register_deployments("pagefold-dask")
    settings = dict(PAGEFOLD_SOURCE=source, PAGEFOLD_DEST=f"s3://{bucket}/deployed", AWS_ENDPOINT_URL=s3_endpoint)

    with external_cluster(tmp_path / "dask") as address, \
            pagefold_worker("pagefold-dask", tmp_path, PAGEFOLD_DASK_ADDRESS=address, **settings) as worker_log:
        backfill = run_deployment("backfill/backfill", parameters={"start_date": days[0], "end_date": days[-1]},
                                  timeout=600, poll_interval=1)
        assert backfill.state.is_completed(), f"{backfill.state}\n{worker_log.read_text()[-6000:]}"

        # A run that cannot work as configured fails in one sentence, in its state and in the worker's output.
        misplaced = run_deployment("ingest-day/daily", timeout=600, poll_interval=1,
                                   parameters={"date": days[0], "source": "s3://pagefold-nowhere/raw"})
        # A second worker for the pool with another lake is refused: it would take runs meant for the first.
        other = subprocess.run([PAGEFOLD, "worker", "--pool", "pagefold-dask"], cwd=tmp_path, capture_output=True,
                               text=True, timeout=120, stdin=subprocess.DEVNULL,
                               env=worker_environment(tmp_path, **settings | {"PAGEFOLD_DEST": f"s3://{bucket}/other"}))

    with get_client(sync_client=True) as prefect:
        children = prefect.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[backfill.id])))
        assert sorted((c.name, c.state.type.value) for c in children) == [(f"day-{d}", "COMPLETED") for d in days]
        logs = prefect.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[c.id for c in children])))
        progress = [a for a in prefect.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[c.id for c in children]))) if a.type == "progress"]
    assert sum(f"batches on Dask at {address}" in log.message for log in logs) == len(days)
    worker_name = said_first_line(worker_log).split()[2]
    assert len({log.flow_run_id for log in logs if f"run by worker {worker_name} on " in log.message}) == len(days)
    # Progress in pages on Dask too (issue 24's trial: "0/25 batches done"), read from the Dask workers' counts.
    assert sorted((a.data, a.description.split("pages done: ")[1].split(",")[0]) for a in progress) == \
        [(100.0, "3/3 pages (100%)"), (100.0, "6/6 pages (100%)")]
    assert lake_rows(open_store(f"s3://{bucket}/deployed", s3_endpoint)) == \
        lake_rows(open_store(f"s3://{bucket}/local", s3_endpoint))

    said = worker_log.read_text()
    first = said_first_line(worker_log)
    assert first.startswith("pagefold worker ")
    assert first.endswith("for the work pool pagefold-dask; its runs will read:")
    assert f"Dask cluster at {address} (PAGEFOLD_DASK_ADDRESS)" in said
    assert misplaced.state.is_failed() and misplaced.state.message.startswith("no bucket 'pagefold-nowhere'")
    assert "\n" not in misplaced.state.message and "Traceback" not in said, said[-6000:]
    assert other.returncode == 1 and "Traceback" not in other.stdout + other.stderr
    assert other.stderr.strip().startswith("the work pool pagefold-dask already has the online worker "), other.stderr
    assert "with other settings" in other.stderr
