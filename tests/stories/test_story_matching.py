"""The story matcher: pair precision and recall on the evaluation set, and the story-id rule.

The set is built from the corpora at test time (tests/stories/pairs.py); the
corpus parts skip when ../shared or ../corpora are absent, the written pairs always run.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from tasks.stories.copies import candidate_pairs, copies, is_copy, story_id_of, story_ids
from tasks.stories.signatures import as_matrix, signature
from tests.stories.evaluate import score
from tests.stories.pairs import DEV, HOLDOUT, available, build, written_pairs


@pytest.mark.slow  # whole corpora through extraction and matching
@pytest.mark.parametrize("corpora", [DEV, HOLDOUT], ids=["dev", "holdout"])
def test_pair_precision_and_recall_on_the_corpora(corpora):
    if not available(corpora):
        pytest.skip(f"corpora {corpora} not found")
    pairs = build(corpora)
    result = score(pairs)
    if corpora == DEV:
        assert result.pairs >= 300 and result.positives >= 150
        assert {"chrome", "trim", "intro", "retitle", "trim_intro", "same_quotes", "follow_up", "same_template"
                } <= set(result.by_kind)
    assert result.precision >= 0.97, [p.source for p in result.errors]
    assert result.recall >= 0.90, [p.source for p in result.errors]


def test_written_pairs_copies_and_distinct_reports_of_one_event():
    result = score(written_pairs(random.Random(1)))
    assert result.errors == []
    assert result.by_kind["written"][0] == 4


def test_candidates_pair_each_copy_once_and_only_with_an_anchor():
    texts = [" ".join(f"word{i}x{j}" for j in range(300)) for i in range(5)]
    texts.append(texts[0])  # a copy of the first
    matrix = as_matrix([signature(t).minhash for t in texts])
    assert candidate_pairs(matrix).tolist() == [[0, 5]]
    anchor = np.zeros(len(texts), dtype=bool)
    anchor[1] = True
    assert candidate_pairs(matrix, anchor).tolist() == []


def test_a_shingle_thousands_of_texts_share_costs_linear_pairs():
    """A template's footer in every text: each text is paired with at most MAX_NEIGHBOURS others per band."""
    footer = " ".join(f"footer{j}" for j in range(8))
    texts = [" ".join(f"t{i}w{j}" for j in range(20)) + " " + footer for i in range(400)]
    sigs = [signature(t) for t in texts]
    matrix = as_matrix([s.minhash for s in sigs])
    pairs = candidate_pairs(matrix)
    assert len(pairs) <= 400 * 16 * 64
    assert len(copies(matrix, np.array([s.shingles for s in sigs]), pairs)) == 0


def test_story_id_is_the_smallest_own_id_whatever_the_order():
    own = [story_id_of("2026-11-28", "b"), story_id_of("2026-11-27", "z"), story_id_of("2026-11-29", "a")]
    pairs = np.array([[0, 1], [1, 2]])
    assert story_ids(own, [None] * 3, pairs) == ["20261127-z"] * 3
    # Shuffled input, same stories.
    order = [2, 0, 1]
    shuffled = story_ids([own[i] for i in order], [None] * 3, np.array([[1, 2], [2, 0]]))
    assert shuffled == ["20261127-z"] * 3


def test_current_stories_merge_through_a_new_copy_and_keep_the_earliest_id():
    own = ["20261120-a", "20261121-b", "20261125-c", "20261122-d"]
    current = ["20261119-x", "20261119-x", "20261121-b", None]
    # d (new) is a copy of c only: c's story joins; a and b stay in their own story.
    assert story_ids(own, current, np.array([[2, 3]])) == ["20261119-x", "20261119-x", "20261121-b", "20261121-b"]
    # d is also a copy of a: both stories merge under the earliest id.
    assert story_ids(own, current, np.array([[2, 3], [0, 3]])) == ["20261119-x"] * 4


SENTENCES = [f"Paragraph {i} of the report tells how the harbour board spent week {i} on the pier, the ferry and the "
             f"fish quay, and what the {i} members of the public who came to the meeting asked it to do next."
             for i in range(12)]
CLOSING = ("About the Harbour Board: the board runs the pier, the ferry terminal and the fish quay for the town, and "
           "puts every penny of its surplus back into the harbour.\nMedia enquiries: call the press office on weekdays "
           "between nine and five, or the duty officer through the harbour switchboard at any other time.")


@pytest.mark.parametrize("a, b, linked", [
    ("\n".join(SENTENCES[:2]) + "\n" + CLOSING, "\n".join(SENTENCES[6:8]) + "\n" + CLOSING, False),
    ("We use cookies on this site.\n" + "\n".join(SENTENCES[:2]) + "\nSign up to our newsletter for the week's news "
     "from the harbour, the ferry and the quay.",
     "We use cookies on this site.\n" + "\n".join(SENTENCES[6:8]) + "\nSign up to our newsletter for the week's news "
     "from the harbour, the ferry and the quay.", False),
    ("\n".join(SENTENCES) + "\n" + CLOSING, "\n".join(SENTENCES[:5]) + "\n" + CLOSING, True),
    ("\n".join(SENTENCES), "\n".join(SENTENCES[:5]) + "\nShare this article with your friends and family.", True),
    ("\n".join(SENTENCES), "\n".join(SENTENCES[:5] + ["An edited paragraph, written again after the meeting."]
                                     + SENTENCES[6:]), True),
], ids=["press-releases-sharing-their-closing", "pages-between-the-same-boxes", "trim-under-the-same-closing",
        "trim-under-another-footer", "one-paragraph-edited"])
def test_lines_shared_at_the_edges_do_not_make_a_copy(a, b, linked):
    assert is_copy(signature(a), signature(b)) is linked
