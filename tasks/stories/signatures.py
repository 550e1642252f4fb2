"""A text's similarity signature: the MinHash of its set of word 5-grams (shingles), the set's size, and its edges.

Computed in the extraction workers, next to the text (see `tasks.extraction.page`);
the day's commit matches signatures into stories (`tasks.stories.copies`) without
reading any text again. MinHash is datasketch's (Broder's min-wise
permutations, 32-bit hash values): the share of equal positions of two
signatures estimates the Jaccard similarity of the two shingle sets, and with
the sets' sizes, how much of the smaller set the larger one contains.

The edges are a hash and a word count of each of the text's first and last EDGE_LINES lines: what two texts
share line for line at their start and at their end (a site's "About us" and "Media enquiries" closing
every press release, a cookie or newsletter box) is found from them, and does not make the texts copies.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass

import numpy as np

# Chinese and Japanese write no spaces: each of their characters counts as a word.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")

NUM_PERM = 128  # signature length: Jaccard estimated within +-0.04 (one s.d.) at J = 0.3
SHINGLE_WORDS = 5  # quotes of 5 words and more are what copies share and distinct reports rarely do
SEED = 1  # the permutations: fixed, so that signatures of every run and day compare
SIGNATURE_BYTES = 4 * NUM_PERM
EDGE_LINES = 8  # lines sketched at each end of a text: as many as a site's closing boilerplate and boxes take
LINE = struct.Struct("<IH")  # a line's hash (the first 4 bytes of its BLAKE2b) and its words (at most 65,535)
EDGE_HEADER = struct.Struct("<I")  # the text's lines


@dataclass(frozen=True)
class Signature:
    """`minhash`: NUM_PERM little-endian uint32 (SIGNATURE_BYTES bytes); `shingles`: distinct shingles in the text;
    `edges`: its first and last lines (`edges`)."""

    minhash: bytes
    shingles: int
    edges: bytes = b""


@dataclass(frozen=True)
class Edges:
    """A text's lines (`lines`: how many) as (hash, words) pairs: the first EDGE_LINES in order (`lead`), the last
    EDGE_LINES from the last one back (`tail`). A text of at most EDGE_LINES lines is whole in each."""

    lines: int
    lead: list[tuple[int, int]]
    tail: list[tuple[int, int]]


def words(text: str) -> list[str]:
    """The text's words, case-folded and NFKC-normalised (each CJK character is a word)."""
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str) -> set[bytes]:
    """Word SHINGLE_WORDS-grams of the text, UTF-8 encoded; a text shorter than that is one shingle."""
    tokens = words(text)
    if len(tokens) < SHINGLE_WORDS:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i:i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(tokens) - SHINGLE_WORDS + 1)}


def signature(text: str) -> Signature:
    """The text's Signature (an empty text gives the all-max MinHash, 0 shingles and no lines)."""
    grams = shingles(text)
    minhash = _minhash_class()(num_perm=NUM_PERM, seed=SEED, permutations=_permutations(), scheme="affine32")
    minhash.update_batch(list(grams))
    return Signature(minhash.hashvalues.astype("<u4").tobytes(), len(grams), edges(text))


def edges(text: str) -> bytes:
    """The text's edge sketch: the number of its lines that hold words (uint32), then (hash, words) of its first
    EDGE_LINES such lines in order and of its last EDGE_LINES from the last back (`LINE` each: uint32 hash, uint16
    words, little-endian).
    A line's hash is of its words as `words` gives them, so case and spacing do not count."""
    lines = [line for line in text.splitlines() if WORD.search(line)]
    ends = lines if len(lines) <= EDGE_LINES else lines[:EDGE_LINES] + lines[-EDGE_LINES:]
    sketch = [_line(line) for line in ends]
    return EDGE_HEADER.pack(len(lines)) + b"".join(sketch[:EDGE_LINES] + sketch[::-1][:EDGE_LINES])


def _line(line: str) -> bytes:
    tokens = words(line)
    return LINE.pack(int.from_bytes(hashlib.blake2b(" ".join(tokens).encode("utf-8"), digest_size=4).digest(),
                                    "little"), min(len(tokens), 0xFFFF))


def read_edges(sketch: bytes | None) -> Edges:
    """The lines of an edge sketch (`edges`); an empty or missing sketch has none."""
    if not sketch:
        return Edges(0, [], [])
    (lines,) = EDGE_HEADER.unpack_from(sketch)
    kept = min(lines, EDGE_LINES)
    records = [LINE.unpack_from(sketch, EDGE_HEADER.size + i * LINE.size) for i in range(2 * kept)]
    return Edges(lines, records[:kept], records[kept:])


def as_matrix(minhashes: list[bytes]) -> np.ndarray:
    """Signatures as an (n, NUM_PERM) uint32 matrix."""
    if not minhashes:
        return np.empty((0, NUM_PERM), dtype=np.uint32)
    return np.frombuffer(b"".join(minhashes), dtype="<u4").reshape(len(minhashes), NUM_PERM)


@functools.cache
def _minhash_class() -> type:
    """datasketch's MinHash, imported on first use: datasketch imports scipy's integration routines (0.5 s of CPU),
    which only the processes that compute signatures need, not those that read them."""
    from datasketch import MinHash

    return MinHash


@functools.cache
def _permutations() -> np.ndarray:
    return _minhash_class()(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
