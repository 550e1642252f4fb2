"""Scale-out: a day's batches on a real Dask cluster (two worker processes) give the single-machine output,
the per-page deadline included (each Dask worker extracts in a pool process of its own, killed at the deadline)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from flows.ingest import ingest
from schemas import DATASETS
from tests.rawdata import FETCHED, hard_input_objects, slow_entities_page, write_day

pytestmark = pytest.mark.usefixtures("prefect_harness")

DAY = "2026-11-20"
RUN_COLUMNS = ["run_id", "ingested_at"]  # differ between any two runs by design


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
