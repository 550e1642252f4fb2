"""The ingest flow, run for real on local folders, read back as analysts do."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from flows.ingest import ingest
from tasks.sources.demo_corpus import DEMO_DAY, build_demo_source
from tests.rawdata import EXPECTED_REJECTS, GOOD_URLS, MAX_PAGE_MB, hard_input_objects, write_day

pytestmark = pytest.mark.usefixtures("prefect_harness")

DAY, OTHER_DAY = "2026-11-20", "2026-11-21"


def documents_sql(lake, sql: str):
    """Run SQL over the documents as an analyst would: DuckDB straight on the Parquet files."""
    view = f"read_parquet('{lake}/documents/*/*.parquet', hive_partitioning = true)"
    return duckdb.sql(sql.replace("documents", view)).fetchall()


def rejects_frame(lake) -> pd.DataFrame:
    return pd.read_parquet(lake / "rejects")


@pytest.fixture(scope="module")
def hard_run(tmp_path_factory):
    """One run over a day of good pages mixed with every kind of bad input."""
    root = tmp_path_factory.mktemp("hard")
    source, lake = root / "raw", root / "lake"
    write_day(source, DAY, hard_input_objects())
    summary = ingest(source=str(source), dest=str(lake), workers=2, max_page_mb=MAX_PAGE_MB)
    return source, lake, summary


def test_counts_reconcile_pages_read_with_rows_written(hard_run):
    _, lake, summary = hard_run
    documents = documents_sql(lake, "SELECT count(*) FROM documents")[0][0]
    rejects = len(rejects_frame(lake))
    assert summary["reconciled"]
    assert summary["pages"] == documents + rejects
    assert (summary["documents"], summary["rejects"]) == (documents, rejects)


@pytest.mark.parametrize("key,line,reason", EXPECTED_REJECTS, ids=[r[2] for r in EXPECTED_REJECTS])
def test_each_hard_input_becomes_its_own_reject(hard_run, key, line, reason):
    _, lake, _ = hard_run
    rejects = rejects_frame(lake)
    mine = rejects[rejects.source_uri.str.endswith(key) & (rejects.reason == reason)]
    assert len(mine) == 1, rejects[["reason", "source_uri", "source_line"]].to_string()
    if line is not None:
        assert mine.source_line.iloc[0] == line


def test_good_pages_survive_their_bad_neighbours(hard_run):
    _, lake, _ = hard_run
    urls = {row[0] for row in documents_sql(lake, "SELECT url FROM documents")}
    assert set(GOOD_URLS.values()) <= urls


def test_legacy_encodings_without_charset_decode_to_the_right_text(hard_run):
    _, lake, _ = hard_run
    texts = dict(documents_sql(lake, "SELECT url, text FROM documents"))
    assert "завод" in texts[GOOD_URLS["novosti"]].lower()
    assert "図書館" in texts[GOOD_URLS["tokyo"]]


def test_documents_have_the_promised_columns_and_types(hard_run):
    _, lake, _ = hard_run
    types = dict(duckdb.sql(
        f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{lake}/documents/*/*.parquet',"
        " hive_partitioning = true))").fetchall())
    assert types["url"] == "VARCHAR" and types["title"] == "VARCHAR" and types["text"] == "VARCHAR"
    assert types["authors"] == "VARCHAR[]"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["language"] == "VARCHAR" and types["date"] == "DATE"
    frame = pd.read_parquet(lake / "documents")
    harbour = frame[frame.url == GOOD_URLS["harbour"]].iloc[0]
    assert list(harbour.authors) == ["Isla Penrose", "Tomasz Wren"]
    assert harbour.language == "en"
    assert str(harbour.published_at.tz) == "UTC"


def test_files_are_sorted_by_hostname_then_url(hard_run):
    _, lake, _ = hard_run
    rows = documents_sql(lake, "SELECT hostname, url FROM documents")
    assert rows == sorted(rows)


def test_rerunning_a_day_replaces_it_without_duplicates_or_leftovers(tmp_path):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, hard_input_objects())
    first = ingest(source=str(source), dest=str(lake), workers=1, max_page_mb=MAX_PAGE_MB)
    ids_first = sorted(r[0] for r in documents_sql(lake, "SELECT doc_id FROM documents"))
    second = ingest(source=str(source), dest=str(lake), workers=1, max_page_mb=MAX_PAGE_MB)
    ids_second = sorted(r[0] for r in documents_sql(lake, "SELECT doc_id FROM documents"))
    assert ids_first == ids_second and len(set(ids_second)) == len(ids_second)
    rows, distinct = duckdb.sql(f"SELECT count(*), count(DISTINCT (doc_id, canonical)) "
                                f"FROM read_parquet('{lake}/entities/*/*.parquet')").fetchall()[0]
    assert rows == distinct == second["entities"] == first["entities"] > 0
    files = sorted(p.name for p in lake.rglob("*.parquet"))
    assert files and all(second["run_id"] in name for name in files), files
    assert first["run_id"] != second["run_id"]
    assert not (lake / "_staging").exists() or not any((lake / "_staging").iterdir())


def test_a_day_rerun_leaves_other_days_untouched(tmp_path):
    source, lake = tmp_path / "raw", tmp_path / "lake"
    objects = hard_input_objects()
    write_day(source, DAY, {"crawl/legacy.warc.gz": objects["crawl/legacy.warc.gz"]})
    write_day(source, OTHER_DAY, {"feeds/mixed.jsonl.gz": objects["feeds/mixed.jsonl.gz"]})
    ingest(source=str(source), dest=str(lake), workers=1)
    other_rows = f"SELECT * EXCLUDE (story_id, is_origin) FROM documents WHERE date = '{OTHER_DAY}' ORDER BY url, doc_id"
    other_before = documents_sql(lake, other_rows)
    (source / f"dt={DAY}" / "crawl" / "legacy.warc.gz").unlink()
    write_day(source, DAY, {"feeds/mixed.jsonl.gz": objects["feeds/mixed.jsonl.gz"]})

    summary = ingest(source=str(source), dest=str(lake), date=dt.date.fromisoformat(DAY), workers=1)

    assert summary["days"] == [DAY]
    assert documents_sql(lake, other_rows) == other_before
    # The other day's pages now have earlier copies (the same pages, on DAY): only their story labels change.
    stories = documents_sql(lake, "SELECT url, list(story_id ORDER BY date), list(is_origin ORDER BY date) "
                                  "FROM documents GROUP BY url")
    assert stories and all(ids[0] == ids[1] and ids[0].startswith(DAY.replace("-", "")) and origins[1] is False
                           for _, ids, origins in stories)
    by_day = dict(documents_sql(lake, "SELECT CAST(date AS VARCHAR), list(url ORDER BY url) FROM documents GROUP BY 1"))
    assert GOOD_URLS["novosti"] not in by_day[DAY]
    assert by_day[DAY] == by_day[OTHER_DAY]


def test_a_day_with_no_raw_objects_leaves_its_output_alone(tmp_path):
    """An empty listing (wrong prefix, lost permission) must not wipe a day that was ingested before."""
    source, lake = tmp_path / "raw", tmp_path / "lake"
    write_day(source, DAY, {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    ingest(source=str(source), dest=str(lake), workers=1)
    before = sorted(r[0] for r in documents_sql(lake, "SELECT url FROM documents"))
    (source / f"dt={DAY}" / "crawl" / "legacy.warc.gz").unlink()

    state = ingest(source=str(source), dest=str(lake), date=dt.date.fromisoformat(DAY), workers=1, return_state=True)

    assert state.is_completed() and state.name == "No raw objects"  # a green run, not to be taken for an ingested day
    assert state.message.startswith(f"no raw objects under {source}/dt={DAY}")
    summary = state.result()
    assert summary["pages"] == 0 and summary["days_without_raw_objects"] == {DAY: f"{source}/dt={DAY}"}
    assert sorted(r[0] for r in documents_sql(lake, "SELECT url FROM documents")) == before




@pytest.mark.parametrize("kwargs, says", [
    (dict(source="{tmp}/nowhere"), "the source folder {tmp}/nowhere does not exist"),
    (dict(source="{tmp}/raw/dt=2026-11-20"), "the folder that holds the dt= folders, {tmp}/raw,"),
    (dict(batch_mb=0), "batch_mb must be more than 0"),
], ids=["missing folder", "a day folder", "bad parameter"])
def test_what_retrying_cannot_fix_fails_the_run_at_once_saying_what_to_change(kwargs, says, tmp_path):
    """As a deployed run meets it: the run fails before any task starts (so no task is retried)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    write_day(tmp_path / "raw", DAY, {"crawl/legacy.warc.gz": hard_input_objects()["crawl/legacy.warc.gz"]})
    params = dict(source=str(tmp_path / "raw"), dest=str(tmp_path / "lake"), workers=1)
    params.update({k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in kwargs.items()})

    state = ingest(**params, return_state=True)

    assert state.is_failed() and says.format(tmp=tmp_path) in state.message, state.message
    with get_client(sync_client=True) as client:
        assert client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))) == []
    assert not (tmp_path / "lake").exists()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One run over the demo corpus (its own pages only: the same with or without ../shared)."""
    root = tmp_path_factory.mktemp("demo")
    build_demo_source(root / "raw")
    summary = ingest(source=str(root / "raw"), dest=str(root / "lake"), workers=2)
    return root / "lake", summary


def test_top_people_of_the_demo_day_from_entities_joined_to_documents(demo_run):
    lake, summary = demo_run
    views = {name: f"read_parquet('{lake}/{name}/*/*.parquet', hive_partitioning = true)"
             for name in ("documents", "entities")}
    top = duckdb.sql(f"""
        SELECT e.canonical, sum(e.count) AS mentions
        FROM {views['entities']} e JOIN {views['documents']} d USING (date, doc_id)
        WHERE e.label = 'PERSON' AND date = DATE '{DEMO_DAY}'
        GROUP BY e.canonical HAVING mentions > 1 ORDER BY mentions DESC, e.canonical""").fetchall()
    # Team-written pages, the invented wire story among them: each names a person in full, then by surname
    # alone ("Wilk said ...", "sagte Habermann", "Mme Dufresne"). The wire story has three copies (its blog
    # repost, all of it re-titled, its first four paragraphs): Kivela and Solvang are counted in each.
    expected = [("Aarne Kivela", 5), ("Ingrid Solvang", 5), ("Claire Dufresne", 2), ("Halla Geirsdottir", 2),
                ("Hélène Carvalho", 2), ("Jens Habermann", 2), ("Julien Morvan", 2), ("Marit Olsen", 2),
                ("Rhiannon Ashdown", 2), ("Tadeusz Wilk", 2)]
    assert top == expected

    unjoined, announced, rows = duckdb.sql(f"""
        SELECT (SELECT count(*) FROM {views['entities']} e ANTI JOIN {views['documents']} d USING (date, doc_id)),
               (SELECT sum(entity_count) FROM {views['documents']}),
               (SELECT count(*) FROM {views['entities']})""").fetchall()[0]
    assert unjoined == 0 and announced == rows == summary["entities"] > 0


def test_documents_that_mention_someone_found_with_pandas(demo_run):
    lake, _ = demo_run
    docs = pd.read_parquet(lake / "documents")
    mentions = pd.read_parquet(lake / "entities", filters=[("canonical", "=", "Tadeusz Wilk")])
    found = docs.merge(mentions, on=["date", "doc_id"], suffixes=("", "_entity"))
    assert list(found.url) == ["https://easterndesk.example/2010/11/baltic-ports-brace-for-strike.html"]
    assert list(docs[docs.people.apply(lambda names: "Tadeusz Wilk" in names)].url) == list(found.url)
