"""Stories: copies of one text (near-duplicates, trims, reposts with a local intro or a blog's chrome) linked by id.

Pure functions over signatures (`tasks.stories.signatures`) and small per-document
records; the day's commit (`tasks.stories.matching`) feeds them the day's
documents and those of the N days around it.

- Candidates: banded LSH over the MinHash matrix (BANDS bands of
  ROWS_PER_BAND positions): two signatures that agree on a whole band are a
  candidate pair. Two rows per band make a pair whose Jaccard similarity is
  0.25 (a copy trimmed to 30% of the original with an intro added) a candidate
  with probability 1 - (1 - 0.25^2)^64 = 0.98. Per band, each signature is
  paired with the next MAX_NEIGHBOURS signatures of equal key in sorted
  order, so a shingle that thousands of pages share (a template's footer)
  costs linear, not quadratic, pairs; copies of one story stay connected.
- Verification: a candidate pair is a copy when the smaller shingle set is
  at least MIN_CONTAINMENT contained in the larger (estimated from the
  MinHash Jaccard J and the sets' sizes: |A∩B| = J(|A|+|B|)/(1+J)) and they
  share at least MIN_SHARED shingles. Containment, not Jaccard, is what
  keeps a trimmed copy or one with a local intro in its story; distinct
  reports that share quotes share far less than half of either text.
  Thresholds: measured on the evaluation set (tests/stories, docs/stories-and-health.md "Quality").
- Boilerplate: the lines two texts share at their end (a site's "About us"
  and "Media enquiries" closing each of its press releases, a newsletter
  box), and then also those they share at their start (a cookie box), found
  from the signatures' edge sketches, do not count: the rule is applied again
  to what is left of the two texts (`shared_edges`). When that is nothing for
  one of them (a copy that is a trim of the other, or the same text), the pair
  stays a copy.
- Stories: connected components of the copy pairs, joined with the stories
  the documents already belong to. A story's id is the smallest of its
  copies' own ids, `<first day YYYYMMDD>-<doc_id>`: the id of the copy that
  landed first (smallest doc_id on that day). That depends only on the set
  of copies, never on the order in which days were ingested: a copy of an
  earlier day, ingested later, gives the story its own id, and the later
  days' copies are relabelled.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from tasks.stories.signatures import NUM_PERM, Signature, as_matrix, read_edges

ROWS_PER_BAND = 2
BANDS = NUM_PERM // ROWS_PER_BAND
MAX_NEIGHBOURS = 16
MIN_CONTAINMENT = 0.5
MIN_SHARED = 20  # shingles (word 5-grams): about two sentences
# A site's closing paragraphs and boxes take a few lines: more shared edge lines (a run that fills a sketch's
# EDGE_LINES, a text that shares its whole lead or end) are the article's own.
BOILERPLATE_LINES = 6
_PAIR_CHUNK = 200_000  # pairs verified at once: 200k x 128 x 4 B = 100 MB of gathered signatures


def story_id_of(day: str | date, doc_id: str) -> str:
    """A document's own story id, `YYYYMMDD-<doc_id>`: ids sort by the day their first copy landed."""
    return f"{str(day).replace('-', '')}-{doc_id}"


def candidate_pairs(matrix: np.ndarray, anchor: np.ndarray | None = None) -> np.ndarray:
    """Index pairs (i < j) of rows of `matrix` (n x NUM_PERM uint32) that agree on a whole band.

    `anchor`: a boolean mask; only pairs with an anchored row are kept (the
    day's documents against their neighbours, not the neighbours among
    themselves). Returns a (k, 2) int64 array, each pair once.
    """
    n = matrix.shape[0]
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    found = []
    for band in range(BANDS):
        keys = (matrix[:, ROWS_PER_BAND * band].astype(np.uint64) << np.uint64(32)) | matrix[:, ROWS_PER_BAND * band + 1]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        for step in range(1, min(MAX_NEIGHBOURS, n - 1) + 1):
            same = np.flatnonzero(ordered[step:] == ordered[:-step])
            if not same.size:
                break  # no run of equal keys is longer than `step`
            a, b = order[same], order[same + step]
            if anchor is not None:
                keep = anchor[a] | anchor[b]
                a, b = a[keep], b[keep]
            found.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found).astype(np.int64), axis=0)


def overlap(matrix: np.ndarray, sizes: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimated shared shingles and containment of the smaller set in the larger, per pair.

    `sizes`: distinct shingles per row. Jaccard J is the share of equal
    MinHash positions; shared = J(|A|+|B|)/(1+J); containment = shared / min(|A|, |B|), capped at 1.
    """
    shared = np.empty(len(pairs))
    for start in range(0, len(pairs), _PAIR_CHUNK):
        chunk = pairs[start:start + _PAIR_CHUNK]
        jaccard = (matrix[chunk[:, 0]] == matrix[chunk[:, 1]]).mean(axis=1)
        total = sizes[chunk[:, 0]] + sizes[chunk[:, 1]]
        shared[start:start + len(chunk)] = jaccard * total / (1 + jaccard)
    smaller = np.minimum(sizes[pairs[:, 0]], sizes[pairs[:, 1]]).astype(float)
    containment = np.minimum(1.0, np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0))
    return shared, containment


def copies(matrix: np.ndarray, sizes: np.ndarray, pairs: np.ndarray,
           edges: Callable[[int], bytes | None] | None = None) -> np.ndarray:
    """The pairs that are copies of one story (see the module's rule); `edges`: a row's edge sketch
    (`tasks.stories.signatures.edges`, None for none), asked for the rows of the pairs that pass the rule only, so
    that the lines two texts share at their edges do not count."""
    if not len(pairs):
        return pairs
    shared, containment = overlap(matrix, sizes, pairs)
    passed = (containment >= MIN_CONTAINMENT) & (shared >= MIN_SHARED)
    if edges is not None:
        for k in np.flatnonzero(passed):
            i, j = pairs[k]
            edge_words, whole = shared_edges(edges(i), edges(j))
            if edge_words and not whole:
                rest = shared[k] - edge_words
                smaller = min(sizes[i], sizes[j]) - edge_words
                passed[k] = rest >= MIN_SHARED and smaller > 0 and rest / smaller >= MIN_CONTAINMENT
    return pairs[passed]


def shared_edges(a: bytes | None, b: bytes | None) -> tuple[int, bool]:
    """The words of the boilerplate lines two texts share (from their edge sketches), and whether their shared
    opening and closing lines are the whole of one of them (then nothing else is left to compare).

    Boilerplate is the closing lines they share, and the opening lines they share as well when they also share
    closing ones (one page template around both texts: a cookie box above, a newsletter box below), at most
    BOILERPLATE_LINES lines in all. Shared opening lines alone do not count: a copy trimmed from the end, under
    another footer, shares its lead; nor do more lines than that: two versions of one article, a paragraph
    edited, share most of theirs.
    """
    first, second = read_edges(a), read_edges(b)
    lead = _common_run(first.lead, second.lead)
    tail = _common_run(first.tail, second.tail)
    whole = lead + tail >= min(first.lines, second.lines)
    if not tail or lead + tail > BOILERPLATE_LINES:  # a trim's lead; more lines than boilerplate takes
        return 0, whole
    return sum(count for _, count in first.lead[:lead]) + sum(count for _, count in first.tail[:tail]), whole


def _common_run(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    """How many records the two lists share from their first one on."""
    run = 0
    while run < min(len(a), len(b)) and a[run][0] == b[run][0]:
        run += 1
    return run


def is_copy(a: Signature, b: Signature) -> bool:
    """Whether the matcher links two texts: their signatures are a candidate pair and pass the copy rule."""
    matrix = as_matrix([a.minhash, b.minhash])
    return len(copies(matrix, np.array([a.shingles, b.shingles]), candidate_pairs(matrix),
                      [a.edges, b.edges].__getitem__)) == 1


def story_ids(own_ids: list[str], current: list[str | None], pairs: np.ndarray) -> list[str]:
    """The story id of each document: the smallest id in its story.

    `own_ids`: each document's own id (`story_id_of`); `current`: the story
    it already belongs to (None for the day's new documents); `pairs`: copy
    pairs (index pairs). A story is a connected component of the copy pairs
    and of the current stories, so stories only ever merge.
    """
    n = len(own_ids)
    if not len(pairs) and not any(current):  # no copies and no stories yet: each document is its own story
        return list(own_ids)
    # Documents of one current story are linked through a node per story id.
    story_nodes = {sid: n + k for k, sid in enumerate(sorted({s for s in current if s}))}
    links = [(i, story_nodes[s]) for i, s in enumerate(current) if s]
    edges = np.concatenate([pairs.reshape(-1, 2), np.array(links, dtype=np.int64).reshape(-1, 2)])
    size = n + len(story_nodes)
    from scipy.sparse import coo_matrix  # here, not at the top: 0.3 s of CPU at the start of every command
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    best: dict[int, str] = {}
    names = list(own_ids) + sorted(story_nodes)
    for node, label in enumerate(labels):
        if label not in best or names[node] < best[label]:
            best[label] = names[node]
    return [best[labels[i]] for i in range(n)]


@dataclass(frozen=True)
class Copy:
    """What a story row needs of one copy (a document)."""

    doc_id: str
    day: date
    hostname: str
    url: str
    published_at: datetime | None
    agency: str | None
    dateline: str | None
    title: str | None


def _fold(text: str) -> str:
    return re.sub(r"\W+", "", unicodedata.normalize("NFKC", text).casefold())


def agency_site(copy: Copy, agency: str | None) -> bool:
    """Whether the copy is on the agency's own site: a label of its host name is the agency's name ("afp" in
    `afp.example`)."""
    return bool(agency) and _fold(agency) in {_fold(label) for label in copy.hostname.split(".")[:-1]}


def story_agency(members: list[Copy]) -> str | None:
    """The agency most copies credit (ties: alphabetical), or None."""
    counts = Counter(m.agency for m in members if m.agency)
    return min(counts, key=lambda a: (-counts[a], a)) if counts else None


def origin(members: list[Copy]) -> Copy:
    """The origin copy: the one on the agency's own site when there is one, else the earliest published
    (copies without a date last), then the earliest landed, then the smallest doc_id."""
    agency = story_agency(members)
    far = datetime.max.replace(tzinfo=None)

    def key(m: Copy):
        published = m.published_at.replace(tzinfo=None) if m.published_at else far
        return (not agency_site(m, agency), published, m.day, m.doc_id)

    return min(members, key=key)


def story_row(story_id: str, members: list[Copy]) -> dict:
    """The `stories` row of a story (run columns excluded)."""
    first = origin(members)
    titles = Counter(m.title for m in members if m.title)
    datelines = Counter(m.dateline for m in members if m.dateline)
    published = [m.published_at for m in members if m.published_at]
    return {
        "story_id": story_id,
        "first_day": min(m.day for m in members),
        "last_day": max(m.day for m in members),
        "copies": len(members),
        "hosts": len({m.hostname for m in members}),
        "origin_doc_id": first.doc_id,
        "origin_url": first.url,
        "origin_hostname": first.hostname,
        "agency": story_agency(members),
        "dateline": first.dateline or (min(datelines, key=lambda d: (-datelines[d], d)) if datelines else None),
        "title": first.title or (min(titles, key=lambda t: (-titles[t], t)) if titles else None),
        "first_published_at": min(published) if published else None,
    }
