"""The lake's staging area and day partitions: where batches write, and what a day's live partition holds.

Batches write unsorted part files under `<dest>/_staging/<day>/<run_id>/parts/`,
which no reader looks at (pyarrow, DuckDB globs and `pagefold query` skip
`_`-prefixed paths); the day's commit (`tasks.running.commit`) compacts them
and swaps them in for the live partition `<dataset>/date=<day>/`.

Staging is per day, so the run holding a day's lock knows that every other
run's staging of that day is a dead run's leftover (`clear_staging`).
Every dataset of `schemas.STAGED` is staged the same way: adding a dataset is
declaring it, plus the code that stages its rows.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from schemas import DATASETS, DOCUMENTS, STAGED
from tasks.lake.storage import Store

STAGING = "_staging"
ROWS_PER_FILE = 500_000
ROWS_PER_GROUP = 50_000
FLUSH_ROWS = 2_000
COMPRESSION = "zstd"


# Staged entity rows carry their document's raw pointer: when a day holds repeated captures of one doc_id,
# the commit keeps exactly the entities of the capture it keeps.
CAPTURE = ("source_uri", "source_line", "source_offset")


def staging_key(day: str, run_id: str) -> str:
    """Where a run stages a day, relative to the lake's root."""
    return f"{STAGING}/{day}/{run_id}"


def partition_key(dataset: str, day: str) -> str:
    """A day's live partition of a dataset, relative to the lake's root."""
    return f"{dataset}/date={day}"


def staged_schema(name: str) -> pa.Schema:
    schema = DATASETS[name]
    if name == "entities":
        for column in CAPTURE:
            schema = schema.append(DOCUMENTS.field(column))
    return schema


class StagedWriter:
    """Rows of one batch, streamed into one part file per dataset as they come."""

    def __init__(self, dest: Store, run_id: str, day: str, batch_index: int):
        self._dest, self._stage, self._index = dest, staging_key(day, run_id), batch_index
        self._fs, self._base = dest.arrow()
        self._buffers: dict[str, list[dict]] = {name: [] for name in STAGED}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def add(self, dataset: str, row: dict) -> None:
        self._buffers[dataset].append(row)
        if len(self._buffers[dataset]) >= FLUSH_ROWS:
            self._flush(dataset)

    def close(self) -> None:
        for name in STAGED:
            self._flush(name)
            if name in self._writers:
                self._writers.pop(name).close()

    def _flush(self, dataset: str) -> None:
        rows = self._buffers[dataset]
        if not rows:
            return
        schema = staged_schema(dataset)
        table = pa.Table.from_pylist(rows, schema=schema)
        if dataset not in self._writers:
            folder = f"{self._stage}/parts/{dataset}"
            self._dest.make_dir(folder)
            self._writers[dataset] = pq.ParquetWriter(f"{self._base}/{folder}/batch-{self._index:05d}.parquet", schema,
                                                      filesystem=self._fs, compression=COMPRESSION)
        self._writers[dataset].write_table(table)
        self._buffers[dataset] = []


def discard_staging(dest: Store, run_id: str, day: str) -> None:
    """Remove what a run staged for a day."""
    dest.delete_tree(staging_key(day, run_id))


def clear_staging(dest: Store, day: str, keep: str) -> None:
    """Remove every other run's staging of `day`: only for the holder of the day's lock, for whom they are dead."""
    for run_id in dest.list_dirs(f"{STAGING}/{day}"):
        if run_id != keep:
            dest.delete_tree(staging_key(day, run_id))


def _files(fs: pafs.FileSystem, directory: str) -> list[pafs.FileInfo]:
    selector = pafs.FileSelector(directory, allow_not_found=True)
    return [f for f in fs.get_file_info(selector) if f.type == pafs.FileType.File]


def day_rows(dest: Store, day: str) -> dict[str, int]:
    """Rows of each dataset in a day's live partition, from the Parquet footers (0 when absent)."""
    fs, base = dest.arrow()
    return {name: sum(pq.ParquetFile(f.path, filesystem=fs).metadata.num_rows
                      for f in _files(fs, f"{base}/{partition_key(name, day)}") if f.path.endswith(".parquet"))
            for name in DATASETS}


def day_versions(dest: Store, day: str) -> set[str]:
    """The `pipeline_version` values of a day's live documents and rejects (empty when the lake does not hold the
    day, or does not exist yet: nothing is created): one small column read per file."""
    keys = []
    for name in ("documents", "rejects"):
        try:
            keys += [o.key for o in dest.list_objects(partition_key(name, day))
                     if o.problem is None and o.key.endswith(".parquet")]
        except FileNotFoundError:  # a lake folder not made yet
            return set()
    if not keys:
        return set()
    fs, base = dest.arrow()
    return {v for key in keys
            for v in pq.read_table(f"{base}/{key}", columns=["pipeline_version"], filesystem=fs).column(0)
            .unique().to_pylist()}
