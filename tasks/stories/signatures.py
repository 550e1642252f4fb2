"""A text's similarity signature: the MinHash of its set of word 5-grams (shingles), and the set's size.

Computed in the extraction workers, next to the text (see `tasks.extraction.page`);
the day's commit matches signatures into stories (`tasks.stories.copies`) without
reading any text again. MinHash is datasketch's (Broder's min-wise
permutations, 32-bit hash values): the share of equal positions of two
signatures estimates the Jaccard similarity of the two shingle sets, and with
the sets' sizes, how much of the smaller set the larger one contains.
"""

from __future__ import annotations

import functools
import re
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


@dataclass(frozen=True)
class Signature:
    """`minhash`: NUM_PERM little-endian uint32 (SIGNATURE_BYTES bytes); `shingles`: distinct shingles in the text."""

    minhash: bytes
    shingles: int


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
    """The text's Signature (an empty text gives the all-max MinHash and 0 shingles)."""
    grams = shingles(text)
    minhash = _minhash_class()(num_perm=NUM_PERM, seed=SEED, permutations=_permutations(), scheme="affine32")
    minhash.update_batch(list(grams))
    return Signature(minhash.hashvalues.astype("<u4").tobytes(), len(grams))


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
