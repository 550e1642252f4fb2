"""A day's commit: the day's staged parts compacted, matched into stories, counted into health, swapped in.

Committing a day compacts its staged parts (`tasks.lake.staging`) into few
large files sorted by the dataset's sort key (DuckDB sorts out of core, so
memory stays bounded), writes them under `.../final/`, and only then swaps
them in for the day's live partition with `Store.replace_tree`: two renames in
a folder (readers see the old day or the new one), copy-then-delete on S3 (for
those seconds readers may see both). The `health` dataset is counted from the
day's compacted documents and rejects (`tasks.health.counts.day_health`) and
swapped in with them. A day whose rows do not reconcile is never published.
"""

from __future__ import annotations

import importlib
import tempfile
import threading

import duckdb
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from schemas import DATASETS, SORT_KEYS, STAGED
from tasks.health.counts import day_health
from tasks.lake.staging import (
    CAPTURE,
    COMPRESSION,
    ROWS_PER_FILE,
    ROWS_PER_GROUP,
    partition_key,
    staged_schema,
    staging_key,
)
from tasks.lake.storage import Store
from tasks.running.summary import ReconciliationError
from tasks.stories import matching


def import_ahead() -> threading.Thread:
    """Import pyarrow.dataset on a thread now: a commit needs it, and its import (pandas with it: 1.1 s of CPU here)
    then overlaps the day's batches, during which the run's own thread mostly waits, instead of delaying the
    command's start or the day's commit. Returns the (daemon) thread."""
    thread = threading.Thread(target=importlib.import_module, args=("pyarrow.dataset",), name="pagefold-import",
                              daemon=True)
    thread.start()
    return thread


def commit_day(dest: Store, run_id: str, day: str, pages: int, story_days: int | None = None) -> dict:
    """Compact the day's staged parts, then swap them in, if they account for all `pages` read.

    Returns the rows written per dataset (ints), `duplicates`: documents that
    repeated an earlier capture (same `doc_id`) and were turned into rejects,
    `duplicate_entities`: the entity rows those repeats had, `duplicates_by_kind`: the repeats per page kind,
    and `documents_by_kind`: the documents written per page kind, as the health rows count them. A day whose
    rows do not add up (pages to documents and rejects, documents'
    `entity_count` to entity rows) is never published. Its documents are
    matched into stories against the `story_days` days around it (default `matching.WINDOW_DAYS`).
    """
    stage = staging_key(day, run_id)
    with matching.matching_lock(dest, run_id):
        with tempfile.TemporaryDirectory(prefix="pagefold-sort-") as spill, duckdb.connect() as con:
            con.execute("SET memory_limit = '1GB'")
            con.execute(f"SET temp_directory = '{spill}'")
            duplicates, duplicate_entities, duplicates_by_kind = _reject_duplicate_captures(con, dest, stage)
            documents = _parts(con, dest, stage, "documents")
            plan = matching.match_day(con, dest, stage, day, documents and _kept_rows("documents", documents),
                                        matching.WINDOW_DAYS if story_days is None else story_days)
            # The batches' datasets, then the stories `match_day` staged; health is counted from them.
            written = {name: _compact(con, dest, stage, name, run_id) for name in (*STAGED, "stories")}
            expected_entities = _entity_rows_of_kept_documents(con)
            written["health"], health_pages, by_kind = _write_health(con, dest, stage, run_id)
        if written["documents"] + written["rejects"] != pages:
            raise ReconciliationError(f"{day}: {pages} pages read but {written} rows staged; the day is left as it was")
        if written["entities"] != expected_entities:
            raise ReconciliationError(f"{day}: documents announce {expected_entities} entity rows but "
                                      f"{written['entities']} were staged; the day is left as it was")
        if health_pages != pages:
            raise ReconciliationError(f"{day}: the health rows count {health_pages} pages, not {pages}; "
                                      "the day is left as it was")
        if sum(by_kind.values()) != written["documents"]:
            raise ReconciliationError(f"{day}: the health rows count {by_kind} documents by kind, not "
                                      f"{written['documents']}; the day is left as it was")
        for name in DATASETS:
            dest.replace_tree(f"{stage}/final/{name}", partition_key(name, day))
        matching.apply(dest, stage, plan, run_id)
    return {**written, "duplicates": duplicates, "duplicate_entities": duplicate_entities,
            "duplicates_by_kind": duplicates_by_kind, "documents_by_kind": by_kind}


# The first capture of a doc_id, in raw-data order, is the document; later ones are duplicates.
_CAPTURE_RANK = "row_number() OVER (PARTITION BY doc_id ORDER BY source_uri, source_line, source_offset)"


def _kept_rows(name: str, parts: str) -> str:
    """SQL for the staged rows of a dataset that the day keeps."""
    if name == "documents":
        return f"SELECT * FROM {parts} QUALIFY {_CAPTURE_RANK} = 1"
    if name == "entities":
        same_capture = " AND ".join(f"e.{c} IS NOT DISTINCT FROM d.{c}" for c in CAPTURE)
        return (f"SELECT e.* EXCLUDE ({', '.join(CAPTURE)}) FROM {parts} e SEMI JOIN "
                f"({_kept_rows('documents', 'parts_documents')}) d ON e.doc_id = d.doc_id AND {same_capture}")
    return f"SELECT * FROM {parts}"


def _parts(con: duckdb.DuckDBPyConnection, dest: Store, stage: str, name: str) -> str | None:
    """Register the day's staged parts of a dataset as a DuckDB view; None when there are none."""
    import pyarrow.dataset as ds  # here, not at the top: it imports pandas (1 s of CPU)

    fs, base = dest.arrow()
    parts_dir = f"{base}/{stage}/parts/{name}"
    if fs.get_file_info(parts_dir).type == pafs.FileType.NotFound:
        return None
    con.register(f"parts_{name}", ds.dataset(parts_dir, schema=staged_schema(name), format="parquet", filesystem=fs))
    return f"parts_{name}"


def _reject_duplicate_captures(con: duckdb.DuckDBPyConnection, dest: Store, stage: str
                               ) -> tuple[int, int, dict[str, int]]:
    """Stage a reject for every repeated capture, so that doc_id stays unique within a day.

    Returns the repeats, the entity rows they announced (which the commit drops with them), and the repeats per
    page kind.
    """
    documents = _parts(con, dest, stage, "documents")
    if documents is None:
        return 0, 0, {}
    rows = con.sql(f"""
        SELECT 'duplicate_capture' AS reason, 'validate' AS stage,
               'same URL and fetch time as an earlier page of the day: doc_id ' || doc_id AS detail,
               url, source_uri, source_line, source_offset, NULL::BIGINT AS raw_bytes,
               run_id, ingested_at, pipeline_version, page_kind, entity_count
        FROM {documents} QUALIFY {_CAPTURE_RANK} > 1""").to_arrow_table()
    if rows.num_rows:
        fs, base = dest.arrow()
        dest.make_dir(f"{stage}/parts/rejects")
        pq.write_table(rows.drop_columns(["entity_count"]).cast(DATASETS["rejects"]),
                       f"{base}/{stage}/parts/rejects/duplicates.parquet", filesystem=fs, compression=COMPRESSION)
    kinds = rows.column("page_kind").to_pylist()
    return rows.num_rows, sum(rows.column("entity_count").to_pylist()), {k: kinds.count(k) for k in set(kinds)}


def _entity_rows_of_kept_documents(con: duckdb.DuckDBPyConnection) -> int:
    if "parts_documents" not in {row[0] for row in con.sql("SHOW TABLES").fetchall()}:
        return 0
    return con.sql(f"SELECT coalesce(sum(entity_count), 0) FROM ({_kept_rows('documents', 'parts_documents')})"
                   ).fetchall()[0][0]


def _compact(con: duckdb.DuckDBPyConnection, dest: Store, stage: str, name: str, run_id: str) -> int:
    """Sort the day's parts into few large files under `final/`; rows written."""
    import pyarrow.dataset as ds

    schema = DATASETS[name]
    fs, base = dest.arrow()
    dest.make_dir(f"{stage}/final/{name}")
    final_dir = f"{base}/{stage}/final/{name}"
    parts = _parts(con, dest, stage, name)
    if parts is None:
        # An empty file keeps the day explicit and the schema readable.
        pq.write_table(schema.empty_table(), f"{final_dir}/part-{run_id}-0.parquet", filesystem=fs,
                       compression=COMPRESSION)
        return 0
    order = ", ".join(f'"{key}"' for key in SORT_KEYS[name])
    kept = matching.labelled(_kept_rows(name, parts)) if name == "documents" else _kept_rows(name, parts)
    query = f"{kept} ORDER BY {order}"
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
        create_dir=False,  # made by the store: a folder locally, nothing on S3 (no empty markers left behind)
        preserve_order=True,
        file_visitor=lambda f: written.append(f.metadata.num_rows),
    )
    return sum(written)


def _write_health(con: duckdb.DuckDBPyConnection, dest: Store, stage: str, run_id: str
                  ) -> tuple[int, int, dict[str, int]]:
    """Count the day's compacted documents and rejects into its `health` rows under `final/`; rows, pages and
    documents per page kind."""
    import pyarrow.dataset as ds

    fs, base = dest.arrow()
    for name in ("documents", "rejects"):
        con.register(f"final_{name}", ds.dataset(f"{base}/{stage}/final/{name}", schema=DATASETS[name],
                                                 format="parquet", filesystem=fs))
    table = day_health(con, "final_documents", "final_rejects").sort_by(
        [(key, "ascending") for key in SORT_KEYS["health"]])
    dest.make_dir(f"{stage}/final/health")
    pq.write_table(table, f"{base}/{stage}/final/health/part-{run_id}-0.parquet", filesystem=fs,
                   row_group_size=ROWS_PER_GROUP, compression=COMPRESSION)
    by_kind: dict[str, int] = {}
    for host in table.column("documents_by_kind").to_pylist():
        for kind, n in host or []:
            by_kind[kind] = by_kind.get(kind, 0) + n
    return table.num_rows, sum(table.column("pages").to_pylist()), by_kind


