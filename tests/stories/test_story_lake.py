"""Stories at commit without Prefect, on a local folder and on moto's S3: relabelling, merging, re-running.

Rows are staged as a batch stages them (tests/test_lake.py's helpers), with the signatures of texts
written here, and read back through `pagefold query`'s views.
"""

from __future__ import annotations

import pyarrow.parquet as pq

from tasks.running.commit import commit_day
from tasks.stories.signatures import signature
from tests.test_lake import document, live_files, query, read_file, stage

WIRE = " ".join(f"Paragraph {p}: the ministers agreed on measure {p} after talks that lasted {p + 2} hours, "
                f"officials from {p} countries said on Thursday." for p in range(12))
OTHER = " ".join(f"Section {p}: the harbour council reviewed a plan for quay {p} and its {p + 3} cranes "
                 f"with residents of ward {p} on Monday evening." for p in range(12))


def signed(host: str, path: str, text: str, **changes) -> dict:
    sig = signature(text)
    return document(host, path, text=text, minhash=sig.minhash, shingle_count=sig.shingles, text_edges=sig.edges,
                    **changes)


def labels(store) -> dict[str, tuple]:
    return {url: (story, origin) for url, story, origin in
            query(store, "SELECT url, story_id, is_origin FROM documents")}


def commit(store, run_id: str, day: str, rows: list[dict]) -> None:
    stage(store, run_id, day, [rows])
    commit_day(store, run_id, day, len(rows))


def test_an_earlier_copy_committed_later_relabels_the_later_day(store):
    later = [signed("blog.example", "repost", WIRE[: len(WIRE) // 2]), signed("news.example", "harbour", OTHER)]
    earlier = [signed("afp.example", "wire", WIRE, agency="AFP")]
    commit(store, "run1", "2026-11-27", later)
    first = labels(store)
    assert first["https://blog.example/repost"][0].startswith("20261127-")
    commit(store, "run2", "2026-11-25", earlier)
    found = labels(store)
    wire_story = found["https://afp.example/wire"][0]
    assert wire_story.startswith("20261125-") and found["https://blog.example/repost"] == (wire_story, False)
    assert found["https://afp.example/wire"][1] is True
    assert found["https://news.example/harbour"] == first["https://news.example/harbour"]
    rows = query(store, "SELECT story_id, CAST(date AS VARCHAR), copies, hosts, agency, origin_hostname FROM stories "
                        "ORDER BY story_id")
    assert rows == sorted([(wire_story, "2026-11-25", 2, 2, "AFP", "afp.example"),
                           (first["https://news.example/harbour"][0], "2026-11-27", 1, 1, None, "news.example")])
    # Committing the later day again changes nothing.
    commit(store, "run3", "2026-11-27", later)
    assert labels(store) == found


def test_days_further_apart_than_the_window_stay_apart(store):
    commit(store, "run1", "2026-11-01", [signed("afp.example", "wire", WIRE)])
    commit(store, "run2", "2026-11-27", [signed("blog.example", "repost", WIRE)])
    found = labels(store)
    assert found["https://afp.example/wire"][0] != found["https://blog.example/repost"][0]


def test_a_day_written_before_text_edges_still_matches_its_copies(store):
    """Schema 3.3 added documents.text_edges: a day written before has no such column and matches as before."""
    commit(store, "run1", "2026-11-25", [signed("afp.example", "wire", WIRE)])
    old = read_file(store, "documents", "2026-11-25").drop_columns(["text_edges"])
    fs, base = store.arrow()
    [name] = live_files(store, "documents", "2026-11-25")
    pq.write_table(old, f"{base}/documents/date=2026-11-25/{name}", filesystem=fs)
    commit(store, "run2", "2026-11-26", [signed("blog.example", "repost", WIRE[: len(WIRE) // 2])])
    found = labels(store)
    assert found["https://blog.example/repost"][0] == found["https://afp.example/wire"][0]
    assert found["https://afp.example/wire"][0].startswith("20261125-")
