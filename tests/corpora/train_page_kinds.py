"""Train the page-kind model (`tasks/extraction/kinds_model.json`) on wcxb-dev, whole sites held out.

The labelled pages are `../shared/corpus/wcxb-dev` (`truth.jsonl.gz` gives each page's `page_type`; WCXB,
Foley 2026, CC BY 4.0: the weights derived from it ship with that attribution in the model file), and, as
articles, news-dev and web-dev (`../shared/corpus/news-dev`, `../corpora/web-dev`: news sites in many
languages, whose pages carry more teasers and link lists around the story than WCXB's English web). The split
is the one of the web corpora (`build_web_corpus.held_out(site_of(url))`: a site whose name's SHA-256 is a
multiple of 3 is held out); the model is trained on the other sites only. While training, five folds by
site (again by SHA-256) give each training page a prediction from a model that never saw its site; the
per-kind precision and recall of those predictions are printed, for the margin the model ships with and a
few others. The held-out sites are scored by `make quality` (tests/quality_report.py), never here.

The model is a multinomial logistic regression (L2-regularised, full-batch gradient descent with numpy) over
`tasks.extraction.kinds.page_signals`: the fixed signals, and the label and title words that at least
MIN_PAGES training pages hold.

Run

    .venv/bin/python tests/corpora/train_page_kinds.py [--corpus ../shared/corpus/wcxb-dev]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np

from tasks.extraction.kinds import MODEL_FILE, Model, page_signals
from tasks.extraction.markup import parse_html
from tests.corpora.build_web_corpus import held_out, site_of

ROOT = Path(__file__).resolve().parents[2]
WCXB_DEV = ROOT.parent / "shared" / "corpus" / "wcxb-dev"
ARTICLE_CORPORA = (ROOT.parent / "shared" / "corpus" / "news-dev", ROOT.parent / "corpora" / "web-dev")
KINDS = ("article", "forum", "product", "listing", "collection", "documentation", "service")
MIN_PAGES = 40  # a word is a signal when at least this many training pages hold it
L2 = 3.0  # weight of the L2 penalty (per page)
STEPS, RATE = 600, 0.5
FOLDS = 5
# The margin another kind needs over the article to be chosen (`Model.decide`): trades non-articles kept as
# articles for fewer articles set aside.
ARTICLE_MARGIN = 0.2


def load(corpus: Path, articles: tuple[Path, ...] = ARTICLE_CORPORA) -> list[tuple[str, str, dict[str, float]]]:
    """(site, kind, signals) of each training page: wcxb-dev's sites not held out, then every page of the article
    corpora (those absent are skipped), in file order."""
    with gzip.open(corpus / "truth.jsonl.gz", "rt", encoding="utf-8") as lines:
        kinds = {row["url"]: row["page_type"] for row in map(json.loads, lines)}
    rows = []
    with gzip.open(corpus / "pages.jsonl.gz", "rt", encoding="utf-8") as lines:
        for page in map(json.loads, lines):
            site = site_of(page["url"])
            if not held_out(site):
                rows.append((site, kinds[page["url"]], page_signals(parse_html(page["html"]), page["url"])))
    for folder in articles:
        if (folder / "pages.jsonl.gz").exists():
            with gzip.open(folder / "pages.jsonl.gz", "rt", encoding="utf-8") as lines:
                rows += [(site_of(page["url"]), "article", page_signals(parse_html(page["html"]), page["url"]))
                         for page in map(json.loads, lines)]
    return rows


def signal_names(rows: list[tuple[str, str, dict[str, float]]]) -> list[str]:
    """The fixed signals, then the words (label:, title:) that at least MIN_PAGES pages hold."""
    pages = Counter(name for _, _, signals in rows for name in signals if ":" in name)
    fixed = sorted(name for name in rows[0][2] if ":" not in name)
    return fixed + sorted(name for name, n in pages.items() if n >= MIN_PAGES)


def fit(rows: list[tuple[str, str, dict[str, float]]], margin: float = ARTICLE_MARGIN) -> Model:
    names = signal_names(rows)
    x = np.array([[signals.get(name, 0.0) for name in names] for _, _, signals in rows])
    y = np.eye(len(KINDS))[[KINDS.index(kind) for _, kind, _ in rows]]
    mean, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    weights, bias = np.zeros((len(KINDS), len(names))), np.zeros(len(KINDS))
    for _ in range(STEPS):
        scores = z @ weights.T + bias
        p = np.exp(scores - scores.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        error = (p - y) / len(rows)
        weights -= RATE * (error.T @ z + L2 * weights / len(rows))
        bias -= RATE * error.sum(0)
    return Model(KINDS, tuple(names), tuple(mean.round(6)), tuple(scale.round(6)),
                 tuple(tuple(row) for row in weights.round(5)), tuple(bias.round(5)), margin)


def fold_of(site: str) -> int:
    return int(hashlib.sha256(f"fold:{site}".encode()).hexdigest(), 16) % FOLDS


def cross_validated(rows: list[tuple[str, str, dict[str, float]]]) -> list[dict[str, float]]:
    """Each page's kind probabilities from the model trained on the other folds' sites."""
    predicted: list[dict[str, float]] = [{} for _ in rows]
    for fold in range(FOLDS):
        model = fit([row for row in rows if fold_of(row[0]) != fold])
        for i, (site, _, signals) in enumerate(rows):
            if fold_of(site) == fold:
                predicted[i] = model.probabilities(signals)
    return predicted


def report(rows, predicted, margin: float) -> str:
    model = Model(KINDS, (), (), (), (), (), margin)
    chosen = [model.decide(p)[0] for p in predicted]
    cells = []
    for kind in KINDS:
        hits = sum(c == kind and row[1] == kind for c, row in zip(chosen, rows))
        said, true = sum(c == kind for c in chosen), sum(row[1] == kind for row in rows)
        cells.append(f"{kind} {hits / said if said else 0:.2f}/{hits / true:.2f}")
    return f"margin {margin:.1f}: " + "  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=WCXB_DEV)
    args = parser.parse_args()
    rows = load(args.corpus)
    print(f"{len(rows)} training pages of {len({r[0] for r in rows})} sites: "
          + ", ".join(f"{k} {n}" for k, n in Counter(r[1] for r in rows).most_common()))
    predicted = cross_validated(rows)
    print("Site-grouped cross-validation, precision/recall per kind (all training pages):")
    for margin in (0.0, ARTICLE_MARGIN, 0.4):
        print("  " + report(rows, predicted, margin) + ("  (shipped)" if margin == ARTICLE_MARGIN else ""))
    model = fit(rows)
    data = {"trained_on": "WCXB dev split (Foley 2026, CC BY 4.0), sites not held out "
                          "(tests/corpora/train_page_kinds.py)", **model.as_dict()}
    out = ROOT / "tasks" / "extraction" / MODEL_FILE
    out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}: {len(model.signals)} signals, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
