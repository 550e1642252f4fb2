"""Extraction quality, corpus by corpus: plain trafilatura against Pagefold, field by field.

Run with `make quality` (add `--holdout` to include the parts kept aside, web-holdout and wcxb-dev's
set-aside sites, which are looked at last, once). The corpora are news-dev (`../shared/corpus/news-dev`),
every corpus built under `../corpora` (`tests/corpora/build_web_corpus.py` builds web-dev and web-holdout
there) and the articles of wcxb-dev (`../shared/corpus/wcxb-dev`, split by whole sites with web-holdout's
rule, scored by WCXB's rules: see `wcxb_corpus`); a corpus that is absent is skipped with a note. It runs
the whole pipeline as a user would (`pagefold ingest` as a subprocess, once, over a temporary dt= folder that links to every corpus's `pages.jsonl.gz`), reads the documents
back with DuckDB, scores them with `tasks.extraction.scoring` (a truth field that is null is not scored), and
prints the corpora side by side (pages scored, plain trafilatura, Pagefold, per field), then for each
corpus the publishers where Pagefold does worse than plain trafilatura and the ten worst pages per
field. Asserts nothing: tests/test_quality.py holds the floors.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

if not __package__:  # run as a script (python tests/quality_report.py): `tests.*` from this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.extraction.dates import stated_offset  # noqa: E402
from tasks.extraction.markup import parse_html  # noqa: E402
from tasks.extraction.metadata import read_declared  # noqa: E402
from tasks.extraction.scoring import FIELDS, PageScore, printed_names, score_page, scored, summarise  # noqa: E402
from tests.corpora.build_web_corpus import held_out, site_of  # noqa: E402

WORKTREES = Path(__file__).resolve().parents[2]
NEWS_DEV = WORKTREES / "shared" / "corpus" / "news-dev"
WCXB_DEV = WORKTREES / "shared" / "corpus" / "wcxb-dev"
CORPORA = WORKTREES / "corpora"
HOLDOUT = "web-holdout"
WCXB_SET_ASIDE = "wcxb-dev-aside"
# The targets on news-dev (issue 9); on the other corpora the target is plain trafilatura's score.
TARGETS = {"body": 0.97, "title": 0.90, "date": 0.985, "authors": 0.93}
CORPUS_DAY = "2024-05-03"


def corpus_folders(holdout: bool = False) -> dict[str, Path]:
    """news-dev and the corpora under ../corpora, by name (web-holdout only when asked for)."""
    folders = {"news-dev": NEWS_DEV}
    if CORPORA.is_dir():
        for folder in sorted(CORPORA.iterdir()):
            if folder.is_dir() and (holdout or folder.name != HOLDOUT):
                folders[folder.name] = folder
    return folders


def load_corpus(corpus: Path) -> tuple[list[dict], dict[str, dict]]:
    """The corpus pages (url, html, publisher, ...) in file order, and the truth rows by URL."""
    with gzip.open(corpus / "pages.jsonl.gz", "rt", encoding="utf-8") as lines:
        pages = [json.loads(line) for line in lines]
    with open(corpus / "truth.jsonl", encoding="utf-8") as lines:
        truth = {row["url"]: row for row in map(json.loads, lines)}
    return pages, truth


@dataclass
class Corpus:
    """A corpus's pages (url, html, publisher, ...) in file order, its truth rows by URL, the pages file
    they come from, and whether it is scored by WCXB's rules (`tasks.extraction.scoring`)."""

    name: str
    pages: list[dict]
    truth: dict[str, dict]
    pages_file: Path | None
    wcxb: bool = False


def wcxb_corpus(folder: Path, set_aside: bool = False) -> Corpus:
    """wcxb-dev's articles (page_type "article") of its tuning sites, or of its set-aside sites: a third of
    the sites, by `held_out(site_of(url))`, the rule that splits web-dev from web-holdout. Truth in the
    scoring's shape: the printed author string split into names (`printed_names`), `published_date` as
    `published_at`; the page's site as its publisher."""
    with gzip.open(folder / "truth.jsonl.gz", "rt", encoding="utf-8") as lines:
        truth = {row["url"]: {"url": row["url"], "title": row["title"], "authors": printed_names(row["authors"] or None),
                              "published_at": row["published_date"] or None, "body": row["body"]}
                 for row in map(json.loads, lines)
                 if row["page_type"] == "article" and held_out(site_of(row["url"])) == set_aside}
    with gzip.open(folder / "pages.jsonl.gz", "rt", encoding="utf-8") as lines:
        pages = [{**page, "publisher": site_of(page["url"])} for page in map(json.loads, lines)
                 if page["url"] in truth]
    return Corpus(WCXB_SET_ASIDE if set_aside else "wcxb-dev", pages, truth, None, wcxb=True)


def plain_trafilatura(page: dict) -> dict:
    """What `trafilatura.bare_extraction(html, url=url, with_metadata=True)` alone gives, as a row."""
    import trafilatura

    doc = trafilatura.bare_extraction(page["html"], url=page["url"], with_metadata=True)
    if doc is None:
        return {}
    return {"text": doc.text, "title": doc.title, "published_at": doc.date,
            "authors": [a.strip() for a in (doc.author or "").split(";") if a.strip()]}


def ingest_with_cli(pages_files: list[Path], workdir: Path) -> dict[str, dict]:
    """Run `pagefold ingest` once over a day folder linking to every corpus's pages file (each file once);
    the documents written, by URL."""
    import duckdb

    day = workdir / "raw" / f"dt={CORPUS_DAY}"
    day.mkdir(parents=True)
    for number, pages_file in enumerate(dict.fromkeys(pages_files)):
        (day / f"{number}-{pages_file.parent.name}.jsonl.gz").symlink_to(pages_file)
    lake = workdir / "lake"
    command = [str(Path(sys.executable).with_name("pagefold")), "ingest", "--source", str(workdir / "raw"),
               "--dest", str(lake)]
    subprocess.run(command, check=True, capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"})
    rows = duckdb.sql(
        "SELECT url, title, authors, epoch_us(published_at) AS published_us, text, language, dateline, agency, "
        f"page_kind FROM read_parquet('{lake}/documents/*/*.parquet')"
    ).fetchall()
    documents = {}
    for url, title, authors, published_us, text, language, dateline, agency, page_kind in rows:
        published = (datetime.fromtimestamp(published_us / 1e6, tz=timezone.utc)
                     if published_us is not None else None)
        documents[url] = {"title": title, "authors": authors, "published_at": published, "text": text,
                          "language": language, "dateline": dateline, "agency": agency, "page_kind": page_kind}
    return documents


def shown(row: dict | None, field: str, truth: bool = False) -> str:
    """A field's value, short enough for one line of the report."""
    key = {"body": "body" if truth else "text", "date": "published_at"}.get(field, field)
    value = (row or {}).get(key)
    if isinstance(value, datetime):
        value = value.isoformat()
    text = " ".join(str(value).split()) if value is not None else "-"
    return text if len(text) <= 90 else text[:87] + "..."


class CorpusResult:
    """One corpus's pages, truth, and both extractions' rows and scores."""

    def __init__(self, corpus: Corpus, plain: list[dict], ours: list[dict | None]):
        self.name, self.pages, self.truth, self.wcxb = corpus.name, corpus.pages, corpus.truth, corpus.wcxb
        self.plain, self.ours = plain, ours
        self.plain_scores = [score_page(self.truth[p["url"]], row, words=self.wcxb) for p, row in zip(self.pages, plain)]
        self.our_scores = [self.score(p, row) for p, row in zip(self.pages, ours)]

    def score(self, page: dict, row: dict | None) -> PageScore:
        """The page's scores; on wcxb-dev, a publication instant also counts on its day in the page's own zone
        (`in_page_zone`)."""
        score = score_page(self.truth[page["url"]], row, words=self.wcxb)
        if self.wcxb and score.date == 0 and (local := in_page_zone(page["html"], row)) is not row:
            score = replace(score, date=score_page(self.truth[page["url"]], local, words=True).date)
        return score

    def summary(self, scores: list[PageScore]) -> dict[str, float | None]:
        return summarise(scores, page_mean=self.wcxb)


def in_page_zone(html: str, row: dict | None) -> dict | None:
    """The row with its publication instant seen in the offset the page's own timestamps state (JSON-LD, meta tags,
    `<time>`; `tasks.extraction.dates.stated_offset`), when they state one and it is an instant, not a day alone
    (midnight UTC); else the row itself. WCXB's truth is a calendar day with no zone: the day the page prints, in
    its own zone, or the UTC day of its meta tags; Pagefold stores the instant in UTC (2025-12-19 01:00 in India is
    2025-12-18 19:30 UTC), so either day counts, as news-dev's truth is seen in its own offset."""
    published = (row or {}).get("published_at")
    if published is None or (published.hour, published.minute, published.second) == (0, 0, 0):
        return row
    zone = stated_offset(read_declared(parse_html(html)).stamps)
    return {**row, "published_at": published.astimezone(zone)} if zone else row


def side_by_side(results: list[CorpusResult]) -> str:
    """One line per field: for each corpus, pages scored, plain trafilatura, Pagefold and the change; then
    the share of pages each one made a document of (plain trafilatura: a text)."""
    width = 36
    lines = [f"{'':<9}" + "".join(f"{r.name + f' ({len(r.pages)} pages)':<{width}}" for r in results),
             f"{'field':<9}" + f"{'pages':>6}{'plain':>8}{'Pagefold':>10}{'change':>9}   " * len(results)]
    for field in FIELDS:
        line = f"{field:<9}"
        for r in results:
            before, after, count = r.summary(r.plain_scores)[field], r.summary(r.our_scores)[field], \
                scored(r.our_scores)[field]
            if count == 0:
                line += f"{0:>6}{'-':>8}{'-':>10}{'-':>9}   "
            else:
                line += f"{count:>6}{before:>8.3f}{after:>10.3f}{after - before:>+9.3f}   "
        lines.append(line.rstrip())
    line = f"{'kept':<9}"
    for r in results:
        before = sum(bool(row.get("text")) for row in r.plain) / len(r.pages)
        after = sum(row is not None for row in r.ours) / len(r.pages)
        line += f"{len(r.pages):>6}{before:>8.3f}{after:>10.3f}{after - before:>+9.3f}   "
    lines.append(line.rstrip())
    targets = "  ".join(f"{field} {TARGETS[field]:.3f}" for field in FIELDS)
    lines += ["", f"Targets on news-dev: {targets}; on the other corpora: above plain trafilatura on every field.",
              "wcxb-dev: its articles only, body by WCXB's word bags (mean of page F1s), dates as days in the page's "
              "own zone."]
    return "\n".join(lines)


def report(result: CorpusResult) -> str:
    """The publishers where Pagefold scores below plain trafilatura, and the ten worst pages per field."""
    pages, truth, ours, our_scores = result.pages, result.truth, result.ours, result.our_scores
    lines = [f"== {result.name}: {len(pages)} pages, {sum(r is not None for r in ours)} documents written by "
             "Pagefold", "", "Publishers where Pagefold scores below plain trafilatura on a field:"]
    lines += worse_publishers(pages, result.plain_scores, our_scores) or ["  none"]
    for field in FIELDS:
        with_truth = [i for i in range(len(pages)) if our_scores[i].field(field) is not None]
        if not with_truth:
            continue
        lines += ["", f"Ten worst pages for {field} (Pagefold score, url, expected, produced):"]
        worst = sorted(with_truth, key=lambda i: (our_scores[i].field(field), pages[i]["url"]))[:10]
        for i in worst:
            url = pages[i]["url"]
            lines += [f"  {our_scores[i].field(field):.3f}  {url}",
                      f"         expected: {shown(truth[url], field, truth=True)}",
                      f"         produced: {shown(ours[i], field)}"]
    return "\n".join(lines)


def worse_publishers(pages: list[dict], plain: list[PageScore], ours: list[PageScore]) -> list[str]:
    """One line per publisher and field where Pagefold's mean score is below plain trafilatura's."""
    by_publisher: dict[str, list[int]] = {}
    for i, page in enumerate(pages):
        by_publisher.setdefault(page["publisher"], []).append(i)
    found = []
    for publisher, indexes in sorted(by_publisher.items()):
        for field in FIELDS:
            with_truth = [i for i in indexes if ours[i].field(field) is not None]
            if not with_truth:
                continue
            was = sum(plain[i].field(field) for i in with_truth) / len(with_truth)
            now = sum(ours[i].field(field) for i in with_truth) / len(with_truth)
            if now < was - 1e-9:
                found.append(f"  {publisher:<28}{field:<9}{was:.3f} -> {now:.3f}")
    return found


# --- page kinds on wcxb-dev (tests/kinds_report.py) -----------------------------------------------------------

def kinds_section(holdout: bool) -> str:
    """The page-kind table of wcxb-dev's training sites, or of its held-out sites with `holdout`."""
    from tests.kinds_report import WCXB_DEV, kinds_table, load_wcxb

    if not (WCXB_DEV / "pages.jsonl.gz").exists():
        return f"quality: page kinds skipped, no corpus at {WCXB_DEV}"
    pages, truth = load_wcxb(holdout)
    side = "held-out sites" if holdout else "training sites (the page-kind model learnt from them)"
    print(f"plain trafilatura and pagefold ingest over wcxb-dev, {side}, {len(pages)} pages ...", flush=True)
    plain = [plain_trafilatura(page) for page in pages]
    with tempfile.TemporaryDirectory(prefix="pagefold-kinds-") as tmp:
        split = Path(tmp) / "wcxb-dev.jsonl.gz"
        with gzip.open(split, "wt", encoding="utf-8") as out:
            out.writelines(json.dumps(page) + "\n" for page in pages)
        documents = ingest_with_cli([split], Path(tmp) / "run")
    ours = [documents.get(page["url"]) for page in pages]
    return f"== Page kinds on wcxb-dev, {side}\n\n{kinds_table(pages, truth, plain, ours)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holdout", action="store_true",
                        help=f"also score {HOLDOUT} and {WCXB_SET_ASIDE}, and wcxb-dev's held-out sites for page "
                             "kinds (held out: look at them once, at the end, never tune on them)")
    parser.add_argument("--only", action="append", metavar="CORPUS",
                        help="score only this corpus (repeatable); leaves out the page-kind section")
    args = parser.parse_args()
    corpora = []
    for name, folder in corpus_folders(args.holdout).items():
        if args.only and name not in args.only:
            continue
        if (folder / "pages.jsonl.gz").exists() and (folder / "truth.jsonl").exists():
            corpora.append(Corpus(name, *load_corpus(folder), (folder / "pages.jsonl.gz").resolve()))
        else:
            print(f"quality: {name} skipped, no corpus at {folder} (news-dev ships with ../shared; "
                  "tests/corpora/build_web_corpus.py builds the web corpora)")
    if (WCXB_DEV / "truth.jsonl.gz").exists():
        corpora += [corpus for corpus in (wcxb_corpus(WCXB_DEV.resolve(), set_aside)
                                          for set_aside in (False, True)[:1 + args.holdout])
                    if not args.only or corpus.name in args.only]
    else:
        print(f"quality: wcxb-dev skipped, no corpus at {WCXB_DEV} (it ships with ../shared)")
    if not corpora:
        return
    plain = {}
    for corpus in corpora:
        print(f"plain trafilatura over {corpus.name}, {len(corpus.pages)} pages ...", flush=True)
        plain[corpus.name] = [plain_trafilatura(page) for page in corpus.pages]
    print("pagefold ingest over the same pages (a local Prefect starts first) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="pagefold-quality-") as tmp:
        for corpus in corpora:
            if corpus.pages_file is None:
                corpus.pages_file = Path(tmp) / "pages" / corpus.name / "pages.jsonl.gz"
                corpus.pages_file.parent.mkdir(parents=True)
                with gzip.open(corpus.pages_file, "wt", encoding="utf-8") as out:
                    out.writelines(json.dumps(page) + "\n" for page in corpus.pages)
        documents = ingest_with_cli([corpus.pages_file for corpus in corpora], Path(tmp) / "run")
    results = [CorpusResult(corpus, plain[corpus.name], [documents.get(page["url"]) for page in corpus.pages])
               for corpus in corpora]
    print()
    print(side_by_side(results))
    for result in results:
        print()
        print(report(result))
    if not args.only:
        print()
        print(kinds_section(args.holdout))


if __name__ == "__main__":
    main()
