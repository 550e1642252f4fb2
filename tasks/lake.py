"""Writing the lake: staged batch files, then one commit per day.

Batches write unsorted part files under `<dest>/_staging/<run_id>/parts/`,
which no reader looks at (pyarrow, DuckDB globs and `pagefold query` skip
`_`-prefixed paths). Committing a day compacts its parts into few large
files sorted by the dataset's sort key (DuckDB sorts out of core, so memory
stays bounded), writes them under `_staging/<run_id>/final/`, and only then
swaps them in for the day's live partition:

- local folders: the old partition directory is renamed away and the new
  one renamed in, so readers see the old day or the new day, never a mix;
- S3 (no rename): new files are copied in, then old ones deleted, so for the
  seconds between the two, readers may see both.
"""

from __future__ import annotations

import tempfile

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from schemas import DATASETS, DOCUMENTS, SORT_KEYS
from tasks.storage import Location, arrow_filesystem
from tasks.summary import ReconciliationError

STAGING = "_staging"
ROWS_PER_FILE = 500_000
ROWS_PER_GROUP = 50_000
FLUSH_ROWS = 2_000
COMPRESSION = "zstd"


# Staged entity rows carry their document's raw pointer: when a day holds repeated captures of one doc_id,
# the commit keeps exactly the entities of the capture it keeps.
_CAPTURE = ("source_uri", "source_line", "source_offset")


def staging_dir(base: str, run_id: str) -> str:
    return f"{base}/{STAGING}/{run_id}"


def staged_schema(name: str) -> pa.Schema:
    schema = DATASETS[name]
    if name == "entities":
        for column in _CAPTURE:
            schema = schema.append(DOCUMENTS.field(column))
    return schema


class StagedWriter:
    """Rows of one batch, streamed into one part file per dataset as they come."""

    def __init__(self, dest: Location, run_id: str, day: str, batch_index: int):
        self._fs, base = arrow_filesystem(dest)
        self._paths = {
            name: f"{staging_dir(base, run_id)}/parts/{name}/date={day}/batch-{batch_index:05d}.parquet"
            for name in DATASETS
        }
        self._buffers: dict[str, list[dict]] = {name: [] for name in DATASETS}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def add(self, dataset: str, row: dict) -> None:
        self._buffers[dataset].append(row)
        if len(self._buffers[dataset]) >= FLUSH_ROWS:
            self._flush(dataset)

    def close(self) -> None:
        for name in DATASETS:
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
            path = self._paths[dataset]
            self._fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
            self._writers[dataset] = pq.ParquetWriter(path, schema, filesystem=self._fs, compression=COMPRESSION)
        self._writers[dataset].write_table(table)
        self._buffers[dataset] = []


def commit_day(dest: Location, run_id: str, day: str, pages: int) -> dict[str, int]:
    """Compact the day's staged parts, then swap them in, if they account for all `pages` read.

    Returns the rows written per dataset, `duplicates`: documents that
    repeated an earlier capture (same `doc_id`) and were turned into rejects,
    and `duplicate_entities`: the entity rows those repeats had. A day whose
    rows do not add up (pages to documents and rejects, documents'
    `entity_count` to entity rows) is never published.
    """
    fs, base = arrow_filesystem(dest)
    stage = staging_dir(base, run_id)
    with tempfile.TemporaryDirectory(prefix="pagefold-sort-") as spill, duckdb.connect() as con:
        con.execute("SET memory_limit = '1GB'")
        con.execute(f"SET temp_directory = '{spill}'")
        duplicates, duplicate_entities = _reject_duplicate_captures(con, fs, stage, day)
        written = {name: _compact(con, fs, stage, name, day, run_id) for name in DATASETS}
        expected_entities = _entity_rows_of_kept_documents(con)
    if written["documents"] + written["rejects"] != pages:
        raise ReconciliationError(f"{day}: {pages} pages read but {written} rows staged; the day is left as it was")
    if written["entities"] != expected_entities:
        raise ReconciliationError(f"{day}: documents announce {expected_entities} entity rows but "
                                  f"{written['entities']} were staged; the day is left as it was")
    for name in DATASETS:
        _swap_in(fs, f"{stage}/final/{name}/date={day}", f"{base}/{name}/date={day}", f"{stage}/old/{name}")
    return {**written, "duplicates": duplicates, "duplicate_entities": duplicate_entities}


def discard_staging(dest: Location, run_id: str) -> None:
    fs, base = arrow_filesystem(dest)
    stage = staging_dir(base, run_id)
    if fs.get_file_info(stage).type != pafs.FileType.NotFound:
        fs.delete_dir(stage)


# The first capture of a doc_id, in raw-data order, is the document; later ones are duplicates.
_CAPTURE_RANK = "row_number() OVER (PARTITION BY doc_id ORDER BY source_uri, source_line, source_offset)"


def _kept_rows(name: str, parts: str) -> str:
    """SQL for the staged rows of a dataset that the day keeps."""
    if name == "documents":
        return f"SELECT * FROM {parts} QUALIFY {_CAPTURE_RANK} = 1"
    if name == "entities":
        same_capture = " AND ".join(f"e.{c} IS NOT DISTINCT FROM d.{c}" for c in _CAPTURE)
        return (f"SELECT e.* EXCLUDE ({', '.join(_CAPTURE)}) FROM {parts} e SEMI JOIN "
                f"({_kept_rows('documents', 'parts_documents')}) d ON e.doc_id = d.doc_id AND {same_capture}")
    return f"SELECT * FROM {parts}"


def _parts(con: duckdb.DuckDBPyConnection, fs: pafs.FileSystem, stage: str, name: str, day: str) -> str | None:
    """Register the day's staged parts of a dataset as a DuckDB view; None when there are none."""
    parts_dir = f"{stage}/parts/{name}/date={day}"
    if fs.get_file_info(parts_dir).type == pafs.FileType.NotFound:
        return None
    con.register(f"parts_{name}", ds.dataset(parts_dir, schema=staged_schema(name), format="parquet", filesystem=fs))
    return f"parts_{name}"


def _reject_duplicate_captures(con: duckdb.DuckDBPyConnection, fs: pafs.FileSystem, stage: str,
                               day: str) -> tuple[int, int]:
    """Stage a reject for every repeated capture, so that doc_id stays unique within a day.

    Returns the repeats, and the entity rows they announced (which the commit drops with them).
    """
    documents = _parts(con, fs, stage, "documents", day)
    if documents is None:
        return 0, 0
    rows = con.sql(f"""
        SELECT 'duplicate_capture' AS reason, 'validate' AS stage,
               'same URL and fetch time as an earlier page of the day: doc_id ' || doc_id AS detail,
               url, source_uri, source_line, source_offset, NULL::BIGINT AS raw_bytes,
               run_id, ingested_at, pipeline_version, entity_count
        FROM {documents} QUALIFY {_CAPTURE_RANK} > 1""").to_arrow_table()
    if rows.num_rows:
        rejects_dir = f"{stage}/parts/rejects/date={day}"
        fs.create_dir(rejects_dir, recursive=True)
        pq.write_table(rows.drop_columns(["entity_count"]).cast(DATASETS["rejects"]),
                       f"{rejects_dir}/duplicates.parquet", filesystem=fs, compression=COMPRESSION)
    return rows.num_rows, sum(rows.column("entity_count").to_pylist())


def _entity_rows_of_kept_documents(con: duckdb.DuckDBPyConnection) -> int:
    if "parts_documents" not in {row[0] for row in con.sql("SHOW TABLES").fetchall()}:
        return 0
    return con.sql(f"SELECT coalesce(sum(entity_count), 0) FROM ({_kept_rows('documents', 'parts_documents')})"
                   ).fetchall()[0][0]


def _compact(con: duckdb.DuckDBPyConnection, fs: pafs.FileSystem, stage: str, name: str, day: str,
             run_id: str) -> int:
    """Sort the day's parts into few large files under `final/`; rows written."""
    schema = DATASETS[name]
    final_dir = f"{stage}/final/{name}/date={day}"
    fs.create_dir(final_dir, recursive=True)
    parts = _parts(con, fs, stage, name, day)
    if parts is None:
        # An empty file keeps the day explicit and the schema readable.
        pq.write_table(schema.empty_table(), f"{final_dir}/part-{run_id}-0.parquet", filesystem=fs,
                       compression=COMPRESSION)
        return 0
    order = ", ".join(f'"{key}"' for key in SORT_KEYS[name])
    query = f"{_kept_rows(name, parts)} ORDER BY {order}"
    written: list[int] = []
    ds.write_dataset(
        con.sql(query).to_arrow_reader(ROWS_PER_GROUP).cast(schema),
        final_dir,
        format="parquet",
        filesystem=fs,
        basename_template=f"part-{run_id}-{{i}}.parquet",
        max_rows_per_file=ROWS_PER_FILE,
        max_rows_per_group=ROWS_PER_GROUP,
        min_rows_per_group=min(ROWS_PER_GROUP, 10_000),
        file_options=ds.ParquetFileFormat().make_write_options(compression=COMPRESSION),
        existing_data_behavior="overwrite_or_ignore",
        preserve_order=True,
        file_visitor=lambda f: written.append(f.metadata.num_rows),
    )
    return sum(written)


def _swap_in(fs: pafs.FileSystem, new_dir: str, live_dir: str, trash: str) -> None:
    if isinstance(fs, pafs.LocalFileSystem):
        fs.create_dir(live_dir.rsplit("/", 1)[0], recursive=True)
        if fs.get_file_info(live_dir).type != pafs.FileType.NotFound:
            fs.create_dir(trash, recursive=True)
            fs.move(live_dir, f"{trash}/{live_dir.rsplit('/', 1)[1]}")
        fs.move(new_dir, live_dir)
        return
    old = {f.path for f in _files(fs, live_dir, recursive=True)}
    fresh = {f"{live_dir}/{f.base_name}": f.path for f in _files(fs, new_dir)}
    for target, staged in fresh.items():
        fs.copy_file(staged, target)
    for path in old - fresh.keys():
        fs.delete_file(path)


def _files(fs: pafs.FileSystem, directory: str, recursive: bool = False) -> list[pafs.FileInfo]:
    selector = pafs.FileSelector(directory, recursive=recursive, allow_not_found=True)
    return [f for f in fs.get_file_info(selector) if f.type == pafs.FileType.File]


def day_rows(dest: Location, day: str) -> dict[str, int]:
    """Rows of each dataset in a day's live partition, from the Parquet footers (0 when absent)."""
    fs, base = arrow_filesystem(dest)
    return {name: sum(pq.ParquetFile(f.path, filesystem=fs).metadata.num_rows
                      for f in _files(fs, f"{base}/{name}/date={day}") if f.path.endswith(".parquet"))
            for name in DATASETS}
