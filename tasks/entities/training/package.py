"""Ship a trained pipeline: the best model of `spacy train`, with its test scores and sources in its meta.

    python -m tasks.entities.training.package LANG MODEL_DIR METRICS_JSON TRAIN_SECONDS

writes `tasks/entities/pipelines/<LANG>_pagefold_ner/` (what `tasks.entities.models`
loads), replacing the previous one, and prints its size and test scores. Its string
store keeps only the labels: the pipeline predicts the same without the words of the
corpora (checked on news-dev's 52 German pages), and ships none of them.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from tasks.entities.models import PIPELINES
from tasks.entities.training.corpora import RECIPES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("language", choices=sorted(RECIPES))
    parser.add_argument("model", type=Path)
    parser.add_argument("metrics", type=Path, help="output of `spacy evaluate` on the test split")
    parser.add_argument("train_seconds", type=float)
    args = parser.parse_args()
    import spacy

    nlp = spacy.load(args.model)
    scores = json.loads(args.metrics.read_text())
    _, sources = RECIPES[args.language]
    nlp.meta.update({
        "name": "pagefold_ner",
        "version": "1.0.0",
        "description": f"Pagefold's {args.language} NER pipeline (CNN tok2vec, no vectors), trained by "
                       f"`make train-ner LANG={args.language}`",
        "license": " + ".join(sorted({s.licence for s in sources})) + " (training data)",
        "sources": [{"name": s.origin, "url": f"https://github.com/{s.repo}/tree/{s.commit}", "license": s.licence}
                    for s in sources],
        "performance": {"test_split": scores, "train_seconds": round(args.train_seconds)},
    })
    target = PIPELINES / f"{args.language}_pagefold_ner"
    if target.exists():
        shutil.rmtree(target)
    nlp.to_disk(target)
    # The string store would list every word of the training corpora; prediction needs only the labels (the
    # features are hashes computed from the text), so the shipped pipeline carries no word list of the corpora.
    (target / "vocab" / "strings.json").write_text(json.dumps(sorted(nlp.get_pipe("ner").labels)))
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"{target}: {size / 1e6:.1f} MB; test ents_f {scores['ents_f']:.3f} (p {scores['ents_p']:.3f}, "
          f"r {scores['ents_r']:.3f}); per type: "
          + ", ".join(f"{k} {v['f']:.3f}" for k, v in sorted(scores.get("ents_per_type", {}).items())))


if __name__ == "__main__":
    main()
