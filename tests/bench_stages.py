"""Benchmark: CPU time of `extract_page` over a corpus, and its split by stage.

Run with `.venv/bin/python tests/bench_stages.py` (news-dev by default; `--pages FILE` for another
pages.jsonl.gz). The total is process CPU time of `extract_page` over every page, the best of `--runs`
runs (the machine is shared: CPU time, not wall time, and the best run, not the mean). The split comes from
one more run under cProfile (which slows everything down about twice, so only the shares are meaningful):
the cumulative time of each stage's function, as a share of `extract_page`'s. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import sys
import time
from pathlib import Path

from tasks.extraction.page import extract_page
from tasks.records import Limits, RawPage, SourcePointer

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-dev" / "pages.jsonl.gz"
# The stages of extraction, by the function that does each (module file, function name).
STAGES = [
    ("decoding.py", "decode_page"), ("markup.py", "parse_html"), ("metadata.py", "read_declared"),
    ("body.py", "prune_other_stories"), ("body.py", "prune_link_lists"), ("body.py", "prune_read_also"),
    ("body.py", "prune_social_embeds"), ("body.py", "flatten_ruby"), ("body.py", "prune_boxes"),
    ("paywall.py", "prune_paywall_prompts"),
    ("core.py", "bare_extraction"), ("body.py", "prefer_article_body"), ("body.py", "drop_headline"),
    ("body.py", "add_lead"), ("body.py", "add_declared_parts"), ("body.py", "add_standfirst"), ("body.py", "split_printed_byline"),
    ("metadata.py", "unglued"), ("metadata.py", "choose_title"), ("metadata.py", "choose_authors"),
    ("metadata.py", "choose_published"), ("badness.py", "is_bad"), ("language.py", "identify"),
    ("wire.py", "find_dateline"), ("wire.py", "find_agency"),
]


def load_pages(path: Path) -> list[RawPage]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [RawPage(SourcePointer(str(path), line=i), row["url"], row["html"])
                for i, row in enumerate(map(json.loads, lines), 1)]


def cpu_seconds(pages: list[RawPage]) -> float:
    started = time.process_time()
    for page in pages:
        extract_page(page, Limits())
    return time.process_time() - started


def stage_shares(pages: list[RawPage]) -> list[tuple[str, float]]:
    """Each stage's cumulative share of `extract_page`'s time, under cProfile."""
    profile = cProfile.Profile()
    profile.runcall(lambda: [extract_page(page, Limits()) for page in pages])
    stats = pstats.Stats(profile).stats
    cumulative = {(Path(file).name, name): entry[3] for (file, _, name), entry in stats.items()}
    total = cumulative[("page.py", "extract_page")]
    return [(name, cumulative.get((file, name), 0.0) / total) for file, name in STAGES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.pages.exists():
        sys.exit(f"no pages at {args.pages}: pass --pages")
    pages = load_pages(args.pages)
    extract_page(pages[0], Limits())  # imports and caches warmed
    best = min(cpu_seconds(pages) for _ in range(args.runs))
    print(f"extract_page over {len(pages)} pages: {best:.2f} s CPU (best of {args.runs}), "
          f"{1000 * best / len(pages):.1f} ms a page")
    for name, share in stage_shares(pages):
        print(f"  {name:<24}{share:>6.1%}  ~{share * best * 1000 / len(pages):5.1f} ms a page")


if __name__ == "__main__":
    main()
