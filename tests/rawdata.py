"""Raw objects for the integration tests, built from the demo pages.

One function lays out a landing folder (or its bytes, for S3) with every
kind of hard input next to good pages, and says what each must become.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from tasks.sources.demo_corpus import PAGES, truncated_gzip, warc_bytes

FETCHED = "2026-11-27T09:00:00Z"  # after the harbour story's publication (27 November, 07:45 CET)
GOOD_URLS = {
    "harbour": "https://www.harbourgazette.example/news/local/council-backs-tidal-barrier-after-winter-floods",
    "tageblatt": "https://www.nordstadt-tageblatt.example/lokales/neuer-radweg-weserstrasse-lueckenschluss",
    "novosti": "https://novosti-severogorsk.example/2026/11/25/zavod.html",
    "tokyo": "https://wangan-shinbun.example/news/20261126-library.html",
}
# Page-size limit for the hard-input run: larger than every demo page, smaller than the oversized one.
MAX_PAGE_MB = 0.1


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def hard_input_objects() -> dict[str, bytes]:
    """Relative key -> bytes of one day's objects: good pages among every kind of bad input."""
    harbour = page("harbour-news-tidal-barrier.html").decode()
    return {
        "feeds/mixed.jsonl.gz": _mixed_jsonl(harbour),
        "crawl/legacy.warc.gz": warc_bytes([
            (GOOD_URLS["novosti"], page("novosti-zavod.cp1251.html"), "text/html"),
            (GOOD_URLS["tokyo"], page("tokyo-shinbun.sjis.html"), "text/html"),
        ]),
        "feeds/truncated.jsonl.gz": truncated_gzip([
            {"url": f"https://www.harbourgazette.example/brief-{i}", "html": harbour, "fetched_at": FETCHED}
            for i in range(12)
        ]),
        "pages/junk.html": random.Random(7).randbytes(20_000),
        "feeds/empty.jsonl": b"",
        "notes/readme.txt": b"not a page format",
    }


# What each hard input must become: (object key, line in it or None when any, reject reason).
EXPECTED_REJECTS = [
    ("feeds/mixed.jsonl.gz", 2, "invalid_json"),
    ("feeds/mixed.jsonl.gz", 3, "missing_url"),
    ("feeds/mixed.jsonl.gz", 4, "page_too_large"),
    ("feeds/truncated.jsonl.gz", None, "corrupt_gzip"),
    ("pages/junk.html", None, "binary_content"),
    ("feeds/empty.jsonl", None, "empty_object"),
    ("notes/readme.txt", None, "unsupported_format"),
]


def _mixed_jsonl(harbour: str) -> bytes:
    """Good records around a non-JSON line, a record without URL and an oversized page."""
    lines = [
        json.dumps({"url": GOOD_URLS["harbour"], "html": harbour, "fetched_at": FETCHED, "status": 200}),
        "{this is not json",
        json.dumps({"html": harbour, "fetched_at": FETCHED}),
        json.dumps({"url": "https://www.harbourgazette.example/huge", "html": harbour * 20, "fetched_at": FETCHED}),
        json.dumps({"url": GOOD_URLS["tageblatt"], "html": page("tageblatt-radweg.html").decode(),
                    "fetched_at": FETCHED}),
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def write_day(root: Path, day: str, objects: dict[str, bytes]) -> None:
    for key, data in objects.items():
        path = root / f"dt={day}" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def slow_entities_page() -> tuple[str, str]:
    """(URL, HTML) of an article of ~190,000 characters in short words: trafilatura reads it in a fraction of a
    second, spaCy's NER needs ~7 s of CPU for it (just under the 200,000-character NER limit): a page for the
    per-page deadline, which must cover NER too."""
    names = ["Ann", "Bo", "Cy", "Di", "Ed", "Oslo", "Rome", "Acme"]
    pick = random.Random(1).choice
    paragraphs, size = [], 0
    while size < 190_000:
        paragraph = " ".join(f"{pick(names)} said that {pick(names)} was not at the talks in {pick(names)}, and that "
                             "it was not a good day for all of us." for _ in range(6))
        paragraphs.append(f"<p>{paragraph}</p>")
        size += len(paragraph)
    html = ("<html><head><title>A very long report</title></head><body><article><h1>A very long report</h1>"
            + "".join(paragraphs) + "</article></body></html>")
    return "https://long-reports.example/2026/11/budget", html
