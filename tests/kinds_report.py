"""The page-kind section of `make quality`: on wcxb-dev, each kind's precision and recall, body F1 of plain
trafilatura and of Pagefold, and the share of pages kept as documents.

wcxb-dev (`../shared/corpus/wcxb-dev`, ../shared/corpus/README.md) labels each page with its kind
(`page_type`). Its sites are split as the web corpora are (`tests/corpora/build_web_corpus.py`: `held_out`
of `site_of`); the page-kind model is trained on the other sites (`tests/corpora/train_page_kinds.py`), so
by default the section scores those (the training sites: in-sample, a check of the plumbing), and with
`--holdout` the held-out sites, looked at once. Body F1 is `tasks.extraction.scoring`'s (word 4-grams, F1
of the precision and recall averaged over pages; a page without a document scores recall 0).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tasks.extraction.scoring import body_precision_recall, f1
from tests.corpora.build_web_corpus import held_out, site_of

WCXB_DEV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "wcxb-dev"
KINDS = ("article", "forum", "product", "listing", "collection", "documentation", "service")


def load_wcxb(holdout: bool, corpus: Path = WCXB_DEV) -> tuple[list[dict], dict[str, dict]]:
    """The pages of one side of the split (held-out sites or the others), in file order, and the truth by URL."""
    with gzip.open(corpus / "truth.jsonl.gz", "rt", encoding="utf-8") as lines:
        truth = {row["url"]: row for row in map(json.loads, lines)}
    with gzip.open(corpus / "pages.jsonl.gz", "rt", encoding="utf-8") as lines:
        pages = [page for page in map(json.loads, lines) if held_out(site_of(page["url"])) == holdout]
    return pages, truth


def kinds_table(pages: list[dict], truth: dict[str, dict], plain: list[dict], ours: list[dict | None]) -> str:
    """One line per kind: pages, kind precision and recall, body F1 plain and Pagefold, kept share."""
    said = [row.get("page_kind") if row else None for row in ours]
    true = [truth[p["url"]]["page_type"] for p in pages]
    lines = [f"{'kind':<15}{'pages':>6}{'precision':>11}{'recall':>8}{'body plain':>12}{'body Pagefold':>15}"
             f"{'kept':>7}"]
    for kind in KINDS:
        mine = [i for i, t in enumerate(true) if t == kind]
        if not mine:
            continue
        hits = sum(said[i] == kind for i in mine)
        called = sum(s == kind for s in said)
        plain_pr = [body_precision_recall(truth[pages[i]["url"]]["body"], (plain[i] or {}).get("text")) for i in mine]
        our_pr = [body_precision_recall(truth[pages[i]["url"]]["body"], (ours[i] or {}).get("text")) for i in mine]
        lines.append(f"{kind:<15}{len(mine):>6}{hits / called if called else 0:>11.3f}{hits / len(mine):>8.3f}"
                     f"{_f1(plain_pr):>12.3f}{_f1(our_pr):>15.3f}{sum(ours[i] is not None for i in mine) / len(mine):>7.3f}")
    return "\n".join(lines)


def _f1(pairs: list[tuple[float, float]]) -> float:
    return f1(sum(p for p, _ in pairs) / len(pairs), sum(r for _, r in pairs) / len(pairs))
