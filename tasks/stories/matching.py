"""Stories at a day's commit: the day's documents matched against the lake's days around it, once per day.

`match_day` runs inside `tasks.running.commit.commit_day`, before compaction: it reads the
day's staged signatures and, one day at a time, those of the WINDOW_DAYS
days before and after it that the lake holds (so memory holds two days of
signatures, whatever the window), links copies (`tasks.stories.copies`), and
plans what changes:

- the day's documents get `story_id` and `is_origin` (joined in at compaction, `labelled`);
- the `stories` rows of the stories it touches, partitioned by the day in
  their id (the day their first copy landed): the day's own partition is
  staged and swapped with the day's other datasets; other days' partitions,
  and other days' documents whose story or origin changed (an earlier copy
  ingested after later ones, two stories joined by a new copy), are
  rewritten by `apply` after the day is swapped in.

Ids depend only on the set of days in the lake (see `tasks.stories.copies`): days
ingested in any order, or again, give the same ids. Stories only merge: a
re-run whose texts changed does not split a story that its old texts had joined.
One commit at a time matches stories in a lake (the `stories` lock, see
`tasks.lake.daylock`), since a commit may rewrite other days.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from schemas import DOCUMENTS, SORT_KEYS, STORIES
from tasks.lake import daylock
from tasks.lake.storage import Store
from tasks.stories import copies as stories
from tasks.stories.signatures import SIGNATURE_BYTES, as_matrix

if TYPE_CHECKING:
    import pyarrow.dataset as ds

WINDOW_DAYS = 7  # a copy joins a story with a copy landed at most this many days before or after it
LOCK = "stories"
LOCK_WAIT_S = 900.0  # how long a commit waits for another run's story matching
_COPY_COLUMNS = ["doc_id", "hostname", "url", "published_at", "agency", "dateline", "title"]
_NO_SIGNATURE = b"\xff" * SIGNATURE_BYTES
_LABELS = pa.schema([pa.field("doc_id", pa.string()), pa.field("story_id", pa.string()),
                     pa.field("is_origin", pa.bool_())])


@dataclass
class StoryPlan:
    """What a day's commit writes about stories. `documents`: other days' changed labels (day -> label table);
    `partitions`: other days' complete `stories` partitions (day -> table)."""

    day_stories: int = 0
    documents: dict[str, pa.Table] = field(default_factory=dict)
    partitions: dict[str, pa.Table] = field(default_factory=dict)


@contextmanager
def matching_lock(dest: Store, run_id: str, wait_s: float = LOCK_WAIT_S):
    """Hold the lake's `stories` lock (waiting up to `wait_s` for another run's commit); DayLocked after that."""
    with daylock.DayClaims(dest, run_id) as claims:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                claims.claim(LOCK)
                break
            except daylock.DayLocked:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        yield


def labelled(kept_documents_sql: str) -> str:
    """SQL of the day's kept documents with the story columns `match_day` registered (`day_stories`)."""
    return (f"SELECT k.* REPLACE (s.story_id AS story_id, s.is_origin AS is_origin) "
            f"FROM ({kept_documents_sql}) k LEFT JOIN day_stories s USING (doc_id)")


def match_day(con: duckdb.DuckDBPyConnection, dest: Store, stage: str, day: str, kept_documents_sql: str | None,
              window_days: int = WINDOW_DAYS) -> StoryPlan:
    """Match the day's staged documents into stories; registers `day_stories` in `con` and stages the day's
    own `stories` partition under `<stage>/parts/stories/`. Returns what `apply` writes to other days."""
    today = (con.sql(f"SELECT {', '.join(_COPY_COLUMNS)}, minhash, shingle_count, text_edges, run_id, ingested_at, "
                     f"pipeline_version FROM ({kept_documents_sql})").to_arrow_table()
             if kept_documents_sql else None)
    n = today.num_rows if today is not None else 0
    day_date = dt.date.fromisoformat(day)
    doc_ids = today.column("doc_id").to_pylist() if n else []
    own = [stories.story_id_of(day, d) for d in doc_ids]
    # A document without a signature (none was computed for it) has no copies: 0 shingles match nothing.
    matrix = as_matrix([m or _NO_SIGNATURE for m in today.column("minhash").to_pylist()] if n else [])
    sizes = np.array([s or 0 for s in today.column("shingle_count").to_pylist()] if n else [], dtype=np.int64)
    text_edges = today.column("text_edges") if n else None
    edges = [stories.copies(matrix, sizes, stories.candidate_pairs(matrix), lambda i: text_edges[i].as_py())]
    # The lake's documents that today's are copies of: index n + k in the graph.
    matched_own: list[str] = []
    matched_current: list[str | None] = []
    lake_days = _days(dest, "documents")
    for other in lake_days:
        if other == day or abs((dt.date.fromisoformat(other) - day_date).days) > window_days or not n:
            continue
        table = _read_day(dest, "documents", other, DOCUMENTS,
                          ["doc_id", "story_id", "minhash", "shingle_count", "text_edges"], pc.field("minhash").is_valid())
        if not table.num_rows:
            continue
        both = np.vstack([matrix, as_matrix(table.column("minhash").to_pylist())])
        both_sizes = np.concatenate([sizes, np.array(table.column("shingle_count").to_pylist(), dtype=np.int64)])
        anchor = np.arange(len(both)) < n
        theirs = table.column("text_edges")
        pairs = stories.copies(both, both_sizes, stories.candidate_pairs(both, anchor),
                               lambda i: (text_edges[i] if i < n else theirs[i - n]).as_py())
        pairs = pairs[pairs[:, 1] >= n]  # today <-> that day (today's own pairs are counted once, above)
        if not len(pairs):
            continue
        rows, inverse = np.unique(pairs[:, 1] - n, return_inverse=True)
        base = n + len(matched_own)
        ids, current = table.column("doc_id").to_pylist(), table.column("story_id").to_pylist()
        matched_own += [stories.story_id_of(other, ids[r]) for r in rows]
        matched_current += [current[r] for r in rows]
        edges.append(np.stack([pairs[:, 0], base + inverse.reshape(-1)], axis=1))
    new_ids = stories.story_ids(own + matched_own, [None] * n + matched_current, np.concatenate(edges))
    renamed = {old: new for old, new in zip(matched_current, new_ids[n:]) if old and old != new}
    previous = _read_day(dest, "documents", day, DOCUMENTS, ["story_id"]).column("story_id").to_pylist() \
        if day in lake_days else []
    touched = set(new_ids[:n]) | set(renamed) | set(renamed.values()) | {s for s in previous if s}
    # Every copy of the touched stories: today's, and the lake's of other days (under their new ids).
    touched_ids = pa.array(sorted(touched), pa.string())
    story_days = _days(dest, "stories")
    existing = {p: _read_day(dest, "stories", p, STORIES) for p in sorted({_day_of(s) for s in touched})
                if p in story_days}
    last_days = [pc.max(t.filter(pc.is_in(t["story_id"], touched_ids))["last_day"]).as_py() for t in existing.values()]
    last = max([(day_date + dt.timedelta(days=window_days)).isoformat()] + [str(d) for d in last_days if d])
    members: dict[str, list[stories.Copy]] = defaultdict(list)
    # (day, doc_id) of the lake's copies -> their current (story, is_origin); doc_id is unique within a day only.
    labels: dict[tuple[dt.date, str], tuple[str, bool | None]] = {}
    first = min([day] + [_day_of(s) for s in touched])
    for other in lake_days:
        if other == day or not first <= other <= last:
            continue
        table = _read_day(dest, "documents", other, DOCUMENTS, [*_COPY_COLUMNS, "story_id", "is_origin"],
                          pc.field("story_id").isin(touched_ids))
        for row in table.to_pylist():
            sid = renamed.get(row["story_id"], row["story_id"])
            members[sid].append(_copy(row, dt.date.fromisoformat(other)))
            labels[(dt.date.fromisoformat(other), row["doc_id"])] = (row["story_id"], row["is_origin"])
    for k, row in enumerate(today.select(_COPY_COLUMNS).to_pylist() if n else []):
        members[new_ids[k]].append(_copy(row, day_date))
    # Run columns of the rows this commit writes: its documents', or (a re-run left the day without any) its own.
    run = ({c: today.column(c)[0].as_py() for c in ("run_id", "ingested_at", "pipeline_version")} if n else
           {"run_id": stage.rsplit("/", 1)[-1], "ingested_at": dt.datetime.now(dt.timezone.utc),
            "pipeline_version": version("pagefold")})
    rows = {sid: {**stories.story_row(sid, copies), **run} for sid, copies in members.items()}
    origins = {(o.day, o.doc_id) for o in map(stories.origin, members.values())}
    con.register("day_stories", pa.Table.from_pylist(
        [{"doc_id": d, "story_id": new_ids[k], "is_origin": (day_date, d) in origins} for k, d in enumerate(doc_ids)],
        schema=_LABELS))
    plan = StoryPlan()
    changed: dict[str, list[dict]] = defaultdict(list)
    for sid, copies in members.items():
        for c in copies:
            if (c.day, c.doc_id) in labels and labels[(c.day, c.doc_id)] != (sid, (c.day, c.doc_id) in origins):
                changed[c.day.isoformat()].append({"doc_id": c.doc_id, "story_id": sid,
                                                   "is_origin": (c.day, c.doc_id) in origins})
    plan.documents = {other: pa.Table.from_pylist(r, schema=_LABELS) for other, r in changed.items()}
    fresh_by_day: dict[str, list[dict]] = defaultdict(list)
    for sid, row in rows.items():
        fresh_by_day[_day_of(sid)].append(row)
    for partition in sorted({_day_of(s) for s in touched} | set(fresh_by_day)):
        table = existing.get(partition, STORIES.empty_table())
        kept = table.filter(pc.invert(pc.is_in(table["story_id"], touched_ids)))
        stories_of_day = pa.concat_tables([kept, pa.Table.from_pylist(fresh_by_day[partition], schema=STORIES)])
        if partition == day:
            plan.day_stories = stories_of_day.num_rows
            if stories_of_day.num_rows:
                fs, base = dest.arrow()
                dest.make_dir(f"{stage}/parts/stories")
                pq.write_table(stories_of_day, f"{base}/{stage}/parts/stories/stories.parquet", filesystem=fs)
        else:
            plan.partitions[partition] = stories_of_day
    return plan


def apply(dest: Store, stage: str, plan: StoryPlan, run_id: str) -> None:
    """Write the other days' relabelled documents and their `stories` partitions, each swapped in whole."""
    import pyarrow.dataset as ds  # here, not at the top: it imports pandas (1 s of CPU)

    fs, base = dest.arrow()
    for other, changes in sorted(plan.documents.items()):
        folder = f"{stage}/stories/documents/{other}"
        dest.make_dir(folder)
        with duckdb.connect() as con:
            con.register("docs", ds.dataset(f"{base}/documents/date={other}", schema=DOCUMENTS, format="parquet",
                                            filesystem=fs))
            con.register("changes", changes)
            order = ", ".join(f'"{key}"' for key in SORT_KEYS["documents"])
            reader = con.sql(f"""SELECT d.* REPLACE (coalesce(c.story_id, d.story_id) AS story_id,
                                                     coalesce(c.is_origin, d.is_origin) AS is_origin)
                                 FROM docs d LEFT JOIN changes c USING (doc_id) ORDER BY {order}""").to_arrow_reader()
            ds.write_dataset(reader.cast(DOCUMENTS), f"{base}/{folder}", format="parquet", filesystem=fs,
                             basename_template=f"part-{run_id}-{{i}}.parquet", create_dir=False,
                             existing_data_behavior="overwrite_or_ignore", preserve_order=True,
                             file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"))
        dest.replace_tree(folder, f"documents/date={other}")
    for partition, table in sorted(plan.partitions.items()):
        folder = f"{stage}/stories/stories/{partition}"
        dest.make_dir(folder)
        pq.write_table(table.sort_by("story_id"), f"{base}/{folder}/part-{run_id}-0.parquet", filesystem=fs,
                       compression="zstd")
        dest.replace_tree(folder, f"stories/date={partition}")


def _day_of(story_id: str) -> str:
    stamp = story_id.split("-", 1)[0]
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"


def _days(dest: Store, dataset: str) -> list[str]:
    return [name.split("=", 1)[1] for name in dest.list_dirs(dataset) if name.startswith("date=")]


def _read_day(dest: Store, dataset: str, day: str, schema: pa.Schema, columns: list[str] | None = None,
              where: ds.Expression | None = None) -> pa.Table:
    """Columns of one day's live partition, read with the declared schema (absent columns read as null)."""
    import pyarrow.dataset as ds

    fs, base = dest.arrow()
    path = f"{base}/{dataset}/date={day}"
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return schema.empty_table().select(columns) if columns else schema.empty_table()
    return ds.dataset(path, schema=schema, format="parquet", filesystem=fs).to_table(columns=columns, filter=where)


def _copy(row: dict, day: dt.date) -> stories.Copy:
    return stories.Copy(row["doc_id"], day, row["hostname"], row["url"], row["published_at"], row["agency"],
                        row["dateline"], row["title"])
