"""The lake's write path without Prefect: staging, compaction, the day swap, and schema evolution.

Each write-path test runs twice, on a local folder and on moto's S3 server, through the same storage
interface, and reads the lake back as `pagefold query` does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemas import DATASETS, DOCUMENTS, REJECTS
from tasks.lake import staging as lake
from tasks.lake.storage import Store, open_store
from tasks.query import open_lake
from tasks.running.commit import commit_day
from tasks.running.summary import ReconciliationError

RUN_AT = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)


def document(host: str, path: str, **changes) -> dict:
    url = f"https://{host}/{path}"
    row = {field.name: None for field in DOCUMENTS}
    row.update(doc_id=f"id-{host}-{path}", url=url, hostname=host, authors=[], tags=[], categories=[],
               text="Some text.", word_count=2, content_sha256="0" * 64, source_uri="/raw/x.jsonl",
               entities_status="done", entity_count=0, people=[], organizations=[], places=[],
               run_id="r", ingested_at=RUN_AT, pipeline_version="test", page_kind="article")
    row.update(changes)
    return row


def with_entities(row: dict, *names: str) -> dict:
    """A document row that announces entities (as ORG rows), to be staged with them by `stage`."""
    return {**row, "entity_count": len(names), "organizations": list(names)}


def stage(dest: Store, run_id: str, day: str, batches: list[list[dict]]) -> None:
    """Stage each batch's documents, and for each document the entity rows it announces, as a batch does."""
    for index, rows in enumerate(batches):
        writer = lake.StagedWriter(dest, run_id, day, index)
        for row in rows:
            writer.add("documents", row)
            for offset, name in enumerate(row["organizations"]):
                writer.add("entities", {
                    "doc_id": row["doc_id"], "url": row["url"], "text": name, "canonical": name, "label": "ORG",
                    "count": 1, "first_offset": offset, "in_title": False, "source_uri": row["source_uri"],
                    "source_line": row["source_line"], "source_offset": row["source_offset"], "run_id": run_id,
                    "ingested_at": RUN_AT, "pipeline_version": "test"})
        writer.close()


def live_files(store: Store, dataset: str, day: str) -> list[str]:
    return [o.key.rsplit("/", 1)[1] for o in store.list_objects(f"{dataset}/date={day}")]


def read_file(store: Store, dataset: str, day: str) -> pa.Table:
    """The one live file of a day's partition."""
    [name] = live_files(store, dataset, day)
    fs, base = store.arrow()
    return pq.read_table(f"{base}/{dataset}/date={day}/{name}", filesystem=fs)


def query(store: Store, sql: str) -> list[tuple]:
    con, _ = open_lake(store)
    return con.execute(sql).fetchall()


def test_commit_merges_batches_into_one_file_sorted_by_hostname_and_url(store):
    stage(store, "run1", "2026-11-27", [
        [document("b.example", "2"), document("a.example", "9")],
        [document("b.example", "1"), document("a.example", "1")],
    ])
    written = commit_day(store, "run1", "2026-11-27", 4)
    assert written == {"documents": 4, "entities": 0, "rejects": 0, "health": 2, "stories": 4, "duplicates": 0,
                       "duplicate_entities": 0, "duplicates_by_kind": {}, "documents_by_kind": {"article": 4}}
    assert live_files(store, "documents", "2026-11-27") == ["part-run1-0.parquet"]
    urls = read_file(store, "documents", "2026-11-27").column("url").to_pylist()
    assert urls == ["https://a.example/1", "https://a.example/9", "https://b.example/1", "https://b.example/2"]


def test_a_day_without_rejects_still_gets_an_empty_readable_rejects_file(store):
    stage(store, "run1", "2026-11-27", [[document("a.example", "1")]])
    commit_day(store, "run1", "2026-11-27", 1)
    table = read_file(store, "rejects", "2026-11-27")
    assert table.num_rows == 0 and table.schema.equals(REJECTS, check_metadata=False)


def test_commit_replaces_only_its_own_day_and_staging_leaves_nothing_behind(store):
    stage(store, "run1", "2026-11-26", [[document("old.example", "1")]])
    stage(store, "run1", "2026-11-27", [[document("old.example", "2")]])
    commit_day(store, "run1", "2026-11-26", 1)
    commit_day(store, "run1", "2026-11-27", 1)
    stage(store, "run2", "2026-11-27", [[document("new.example", "1")]])
    assert store.list_dirs("_staging/2026-11-27") == ["run1", "run2"]  # staged per day, then per run
    commit_day(store, "run2", "2026-11-27", 1)
    for day in ("2026-11-26", "2026-11-27"):
        lake.discard_staging(store, "run1", day)
    lake.discard_staging(store, "run2", "2026-11-27")

    rows = query(store, "SELECT CAST(date AS VARCHAR), url FROM documents ORDER BY 1")
    assert rows == [("2026-11-26", "https://old.example/1"), ("2026-11-27", "https://new.example/1")]
    assert store.list_objects("_staging") == [] and "_staging" not in store.list_dirs()
    assert live_files(store, "documents", "2026-11-27") == ["part-run2-0.parquet"]


def test_a_day_whose_rows_do_not_add_up_to_its_pages_is_not_published(store):
    stage(store, "run1", "2026-11-27", [[document("a.example", "1")]])
    commit_day(store, "run1", "2026-11-27", 1)
    stage(store, "run2", "2026-11-27", [[document("b.example", "1")]])

    with pytest.raises(ReconciliationError):
        commit_day(store, "run2", "2026-11-27", 2)  # two pages read, one row staged: something was lost

    assert read_file(store, "documents", "2026-11-27").column("url").to_pylist() == ["https://a.example/1"]


def test_a_repeated_capture_becomes_a_reject_so_doc_id_stays_unique(store):
    first = with_entities(document("a.example", "1", source_uri="/raw/a.jsonl", source_line=3), "NATO", "G20")
    # Same doc_id from a later object, whose text (say) differed: none of its entities may survive.
    again = with_entities(document("a.example", "1", source_uri="/raw/b.jsonl", source_line=1), "NATO", "APEC", "EU")
    stage(store, "run1", "2026-11-27", [[again, with_entities(document("a.example", "2"), "UN")], [first]])

    written = commit_day(store, "run1", "2026-11-27", 3)

    assert written == {"documents": 2, "entities": 3, "rejects": 1, "health": 1, "stories": 2, "duplicates": 1,
                       "duplicate_entities": 3, "duplicates_by_kind": {"article": 1}, "documents_by_kind": {"article": 2}}
    entities = query(store, "SELECT doc_id, canonical FROM entities ORDER BY ALL")
    assert entities == [(first["doc_id"], "G20"), (first["doc_id"], "NATO"), ("id-a.example-2", "UN")]
    kept = read_file(store, "documents", "2026-11-27").to_pylist()
    assert [(r["url"], r["source_uri"]) for r in kept] == [("https://a.example/1", "/raw/a.jsonl"),
                                                           ("https://a.example/2", "/raw/x.jsonl")]
    [reject] = read_file(store, "rejects", "2026-11-27").to_pylist()
    assert (reject["reason"], reject["source_uri"], reject["source_line"]) == ("duplicate_capture", "/raw/b.jsonl", 1)
    assert first["doc_id"] in reject["detail"]


def test_entities_are_sorted_by_label_then_canonical_and_joined_to_documents_exactly(store):
    stage(store, "run1", "2026-11-27", [[with_entities(document("b.example", "1"), "Zeta", "Alpha")],
                                        [with_entities(document("a.example", "1"), "Mid"), document("c.example", "1")]])

    commit_day(store, "run1", "2026-11-27", 3)

    table = read_file(store, "entities", "2026-11-27")
    assert table.schema.equals(DATASETS["entities"], check_metadata=False)  # the raw pointer stays in staging
    assert table.column("canonical").to_pylist() == ["Alpha", "Mid", "Zeta"]
    joined = query(store, """
        SELECT d.url, count(e.doc_id) AS rows, any_value(d.entity_count) AS announced
        FROM documents d LEFT JOIN entities e USING (date, doc_id)
        GROUP BY d.url ORDER BY d.url""")
    assert joined == [("https://a.example/1", 1, 1), ("https://b.example/1", 2, 2), ("https://c.example/1", 0, 0)]


def test_a_day_whose_entities_do_not_add_up_is_not_published(store):
    stage(store, "run1", "2026-11-27", [[document("a.example", "1")]])
    commit_day(store, "run1", "2026-11-27", 1)
    lying = {**with_entities(document("b.example", "1"), "NATO"), "entity_count": 2}  # announces a row it lacks
    stage(store, "run2", "2026-11-27", [[lying]])

    with pytest.raises(ReconciliationError, match="entity rows"):
        commit_day(store, "run2", "2026-11-27", 1)

    assert read_file(store, "documents", "2026-11-27").column("url").to_pylist() == ["https://a.example/1"]


def test_day_rows_counts_the_live_partition_from_the_footers(store):
    assert lake.day_rows(store, "2026-11-27") == {"documents": 0, "entities": 0, "rejects": 0, "health": 0, "stories": 0}
    stage(store, "run1", "2026-11-27", [[with_entities(document("a.example", "1"), "NATO"), document("b.example", "1")]])
    commit_day(store, "run1", "2026-11-27", 2)
    assert lake.day_rows(store, "2026-11-27") == {"documents": 2, "entities": 1, "rejects": 0, "health": 2, "stories": 2}


def test_files_written_before_a_new_optional_column_read_with_new_ones(tmp_path):
    """The evolution policy: a new nullable column reads as null in old partitions, by pyarrow and DuckDB alike."""
    old_schema = pa.schema([f for f in DOCUMENTS if f.name != "description"], metadata=DOCUMENTS.metadata)
    old_dir, new_dir = tmp_path / "documents" / "date=2026-11-01", tmp_path / "documents" / "date=2026-11-02"
    old_dir.mkdir(parents=True)
    new_dir.mkdir(parents=True)
    old_row = {k: v for k, v in document("a.example", "old").items() if k != "description"}
    pq.write_table(pa.Table.from_pylist([old_row], schema=old_schema), old_dir / "part-0.parquet")
    pq.write_table(pa.Table.from_pylist([document("a.example", "new", description="Now described.")],
                                        schema=DOCUMENTS), new_dir / "part-0.parquet")

    con, _ = open_lake(open_store(str(tmp_path)))
    assert con.execute("SELECT url, description FROM documents ORDER BY url").fetchall() == [
        ("https://a.example/new", "Now described."), ("https://a.example/old", None)]
    duck = duckdb.sql(f"SELECT url, description FROM read_parquet('{tmp_path}/documents/*/*.parquet', "
                      "union_by_name = true) ORDER BY url").fetchall()
    assert duck == [("https://a.example/new", "Now described."), ("https://a.example/old", None)]


def test_the_lake_guide_documents_every_column_of_every_dataset():
    """The lake guide's schema tables are written by hand; this keeps them in step with schemas/."""
    readme = (Path(__file__).resolve().parents[1] / "docs" / "lake.md").read_text("utf-8")
    for name, schema in DATASETS.items():
        section = readme.split(f"### `{name}`", 1)[1].split("\n#", 1)[0]
        documented = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
        assert documented == [*schema.names, "date"], name


def test_day_versions_are_the_pipeline_versions_of_the_days_committed_rows(store):
    """What a backfill's failed_or_outdated mode compares with the running version (local and S3)."""
    assert lake.day_versions(store, "2026-11-27") == set()  # not in the lake
    stage(store, "run1", "2026-11-27", [[document("a.example", "1", pipeline_version="0.0.9"),
                                         document("a.example", "2", pipeline_version="0.1.0")]])
    commit_day(store, "run1", "2026-11-27", 2)

    assert lake.day_versions(store, "2026-11-27") == {"0.0.9", "0.1.0"}
    assert lake.day_versions(store, "2026-11-26") == set()
