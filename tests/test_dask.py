"""Scale-out: a day's batches on a real Dask cluster (two worker processes) give the single-machine output."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from flows.ingest import ingest
from schemas import DATASETS
from tests.rawdata import MAX_PAGE_MB, hard_input_objects, write_day

pytestmark = pytest.mark.usefixtures("prefect_harness")

DAY = "2026-11-20"
RUN_COLUMNS = ["run_id", "ingested_at"]  # differ between any two runs by design


def lake_frame(lake, dataset: str) -> pd.DataFrame:
    frame = pd.read_parquet(lake / dataset).drop(columns=RUN_COLUMNS)
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True).astype(str)


def test_a_day_on_a_two_worker_dask_cluster_equals_the_single_process_output(tmp_path, monkeypatch):
    source = tmp_path / "raw"
    write_day(source, DAY, hard_input_objects())
    params = dict(source=str(source), date=dt.date.fromisoformat(DAY), max_page_mb=MAX_PAGE_MB,
                  batch_mb=0.01)  # about 10 KB: several batches, so both Dask workers get some

    single = ingest(dest=str(tmp_path / "single"), workers=1, **params)
    monkeypatch.setenv("PAGEFOLD_DASK_WORKERS", "2")
    on_dask = ingest(dest=str(tmp_path / "dask"), **params)

    assert on_dask["reconciled"] and single["reconciled"]
    for dataset in DATASETS:
        pd.testing.assert_frame_equal(lake_frame(tmp_path / "dask", dataset), lake_frame(tmp_path / "single", dataset))
    documents = lake_frame(tmp_path / "dask", "documents")
    assert len(documents) > 0 and documents.doc_id.is_unique
