"""Score the story matcher on the evaluation set (tests/stories/pairs.py): pair precision and recall, per kind.

A pair counts as matched when the whole matcher links it: its two
signatures are an LSH candidate pair and pass the copy rule
(`tasks.stories.copies.is_copy`). Run:

    .venv/bin/python -m tests.stories.evaluate            # the dev corpora (news-dev, web-dev) and written texts
    .venv/bin/python -m tests.stories.evaluate --holdout  # web-holdout, kept aside
    .venv/bin/python -m tests.stories.evaluate --sweep    # and precision/recall at other containment thresholds
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass

from tasks.stories.copies import is_copy
from tasks.stories.signatures import signature
from tests.stories.pairs import DEV, HOLDOUT, Pair, available, build


@dataclass
class Score:
    pairs: int
    positives: int
    true_positives: int
    false_positives: int
    by_kind: dict[str, tuple[int, int]]  # kind: (pairs, pairs judged right)
    errors: list[Pair]

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.positives if self.positives else 1.0


def score(pairs: list[Pair]) -> Score:
    kinds: Counter = Counter()
    right: Counter = Counter()
    tp = fp = 0
    errors = []
    for pair in pairs:
        linked = is_copy(signature(pair.a), signature(pair.b))
        kinds[pair.kind] += 1
        if linked == pair.copy:
            right[pair.kind] += 1
        else:
            errors.append(pair)
        tp += linked and pair.copy
        fp += linked and not pair.copy
    return Score(len(pairs), sum(p.copy for p in pairs), tp, fp, {k: (kinds[k], right[k]) for k in sorted(kinds)},
                 errors)


def report(name: str, result: Score) -> str:
    lines = [f"{name}: {result.pairs} pairs ({result.positives} copies), precision {result.precision:.3f}, "
             f"recall {result.recall:.3f}"]
    lines += [f"  {kind:<14} {n:>4} pairs, {ok / n:.3f} right" for kind, (n, ok) in result.by_kind.items()]
    lines += [f"  wrong: {p.kind} ({'copy' if p.copy else 'not a copy'}) {p.source}" for p in result.errors]
    return "\n".join(lines)


def sweep(pairs: list[Pair]) -> str:
    """Precision and recall of the candidate pairs at other containment thresholds (how MIN_CONTAINMENT was chosen)."""
    import numpy as np

    from tasks.stories import copies as stories
    from tasks.stories.signatures import as_matrix

    lines = []
    measured = []
    for pair in pairs:
        a, b = signature(pair.a), signature(pair.b)
        matrix = as_matrix([a.minhash, b.minhash])
        sizes = np.array([a.shingles, b.shingles])
        candidate = len(stories.candidate_pairs(matrix)) == 1
        shared, containment = stories.overlap(matrix, sizes, np.array([[0, 1]]))
        measured.append((pair.copy, candidate and shared[0] >= stories.MIN_SHARED, containment[0]))
    positives = sum(c for c, _, _ in measured)
    for threshold in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
        tp = sum(c and ok and x >= threshold for c, ok, x in measured)
        fp = sum(not c and ok and x >= threshold for c, ok, x in measured)
        lines.append(f"  containment >= {threshold:.2f}: precision {tp / max(1, tp + fp):.3f}, "
                     f"recall {tp / max(1, positives):.3f}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    corpora = HOLDOUT if "--holdout" in argv else DEV
    if not available(corpora):
        print(f"corpora {corpora} not found", file=sys.stderr)
        return 1
    pairs = build(corpora)
    print(report(" + ".join(corpora), score(pairs)))
    if "--sweep" in argv:
        print(sweep(pairs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
