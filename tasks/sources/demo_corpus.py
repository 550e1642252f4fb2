"""The demo corpus: the team's sample pages, packed as the raw objects Pagefold reads.

One day's landing folder holds every format the pipeline accepts (JSONL,
WARC, single HTML pages), pages in five languages and three scripts and legacy encodings, a
page with no article and a truncated file, so `make demo` exercises the
same paths production does. Everything it needs ships in `demo/pages`
(invented pages and an invented wire story reposted on a blog), so every
checkout's demo prints the same result, with or without `../shared`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
import io
import json
import re
import shutil
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "demo" / "pages"
# The team's seed story (a real AFP repost), which the extraction tests use when ../shared is present, and
# when its blog posted it (US Eastern).
SEED_STORY = REPO.parent / "shared" / "corpus" / "seed" / "article.txt"
SEED_POSTED = dt.datetime(2010, 11, 12, 23, 20, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
# The demo's own wire story of the same kind: invented, so that the demo never depends on ../shared.
REPOST_STORY = PAGES / "wire-repost-story.txt"
REPOST_URL = "https://easterndesk.example/2026/11/nordic-ministers-agree-joint-arctic-watch.html"
# Two more copies of the wire story, on regional news sites: its first four paragraphs, and all of it re-titled.
TRIMMED_URL = "https://www.northcoast-courier.example/news/arctic-patrol-deal-coast-guard"
RETITLED_URL = "https://www.fjordpost.example/world/2026/11/27/rescue-planes-to-cross-nordic-borders"
DEMO_DAY = "2026-11-27"
# The blog's post time in its page, as its permalink's month and its header say (US Eastern, as the blog shows it).
REPOST_POSTED = dt.datetime(2026, 11, 27, 0, 50, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
FETCHED_AT = f"{DEMO_DAY}T06:05:00Z"


def build_demo_source(raw: Path) -> list[Path]:
    """Write the demo day's raw objects under `raw/dt=DEMO_DAY/`, replacing any earlier copy."""
    day = raw / f"dt={DEMO_DAY}"
    if day.exists():
        shutil.rmtree(day)
    page = lambda name: (PAGES / name).read_bytes()  # noqa: E731
    written = [
        write_jsonl_gz(day / "news" / "gazette-0001.jsonl.gz", [
            {"url": "https://www.harbourgazette.example/news/local/council-backs-tidal-barrier-after-winter-floods",
             "html": page("harbour-news-tidal-barrier.html").decode("utf-8"), "fetched_at": FETCHED_AT,
             "status": 200},
            {"url": "https://www.nordstadt-tageblatt.example/lokales/neuer-radweg-weserstrasse-lueckenschluss",
             "html": page("tageblatt-radweg.html").decode("utf-8"), "fetched_at": FETCHED_AT, "status": 200},
            {"url": "https://www.gazette-du-littoral.example/economie/ferry-port-kerlan-plymouth",
             "html": page("gazette-littoral-ferry.html").decode("utf-8"), "fetched_at": FETCHED_AT, "status": 200},
            {"url": "https://www.harbourgazette.example/members/login",
             "html": page("members-login.html").decode("utf-8"), "fetched_at": FETCHED_AT, "status": 200},
        ]),
        write_jsonl_gz(day / "news" / "regional-0001.jsonl.gz", [
            {"url": TRIMMED_URL, "html": regional_copy(REPOST_STORY.read_text("utf-8"), None, 4, TRIMMED_URL,
                                                       "The North Coast Courier", "2026-11-27T08:40:00Z"),
             "fetched_at": FETCHED_AT, "status": 200},
            {"url": RETITLED_URL, "html": regional_copy(REPOST_STORY.read_text("utf-8"),
                                                        "Rescue planes to cross Nordic borders without asking", None,
                                                        RETITLED_URL, "Fjord Post", "2026-11-27T11:15:00Z"),
             "fetched_at": FETCHED_AT, "status": 200},
        ]),
        write_file(day / "blogs" / "field-notes-sourdough.html", page("field-notes-sourdough.html")),
        write_warc(day / "crawl" / "eastern-desk-and-wires.warc.gz", [
            (REPOST_URL, seed_repost_page(REPOST_STORY.read_text("utf-8"), REPOST_POSTED),
             "text/html; charset=utf-8"),
            ("https://easterndesk.example/2010/11/baltic-ports-brace-for-strike.html", page("wire-afp-ports.html"),
             "text/html; charset=utf-8"),
            # Legacy encodings, declared nowhere: detection has to find them.
            ("https://novosti-severogorsk.example/2026/11/25/zavod.html", page("novosti-zavod.cp1251.html"),
             "text/html"),
            ("https://wangan-shinbun.example/news/20261126-library.html", page("tokyo-shinbun.sjis.html"),
             "text/html"),
        ]),
        write_file(day / "broken" / "gazette-0002.jsonl.gz", truncated_gzip([
            {"url": f"https://www.harbourgazette.example/news/item-{i}", "html": "<html><body><p>" +
             "Lorem ipsum dolor sit amet. " * 50 + "</p></body></html>", "fetched_at": FETCHED_AT}
            for i in range(20)
        ])),
    ]
    return written


def seed_repost_page(story: str, posted: dt.datetime) -> bytes:
    """A wire story as text (title line, paragraphs, the blog's 'N comments:' footer) in the blog's page
    template, which adds its own navigation and comment footer, posted at `posted` (an aware datetime)."""
    title, paragraphs = split_story(story)
    fields = {"TITLE": html.escape(title), "BODY": "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs),
              "POSTED_DAY": f"{posted:%A, %B} {posted.day}, {posted.year}", "POSTED_MONTH": f"{posted:%Y/%m}",
              "POSTED_AT": posted.isoformat(), "POSTED_TIME": posted.strftime("%I:%M %p").lstrip("0")}
    page = (PAGES / "wire-repost-template.html").read_text("utf-8")
    for name, value in fields.items():
        page = page.replace("{{" + name + "}}", value)
    return page.encode("utf-8")


def regional_copy(story: str, title: str | None, paragraphs: int | None, url: str, site: str, published: str) -> str:
    """A regional site's copy of a wire story: its first `paragraphs` (all when None), under `title` (the
    story's own, without the agency credit, when None), in the regional page template."""
    own_title, body = split_story(story)
    kept = body[:paragraphs] if paragraphs else body
    fields = {"TITLE": html.escape(title or own_title.rsplit(" - ", 1)[0]), "SITE": site,
              "HOST": url.split("/")[2].removeprefix("www."), "PUBLISHED": published,
              "BODY": "\n".join(f"<p>{html.escape(p)}</p>" for p in kept)}
    page = (PAGES / "regional-template.html").read_text("utf-8")
    for name, value in fields.items():
        page = page.replace("{{" + name + "}}", value)
    return page


def split_story(story: str) -> tuple[str, list[str]]:
    """Title line and paragraphs of a story as text, up to the blog's 'N comments:' footer."""
    lines = [line.strip() for line in story.splitlines() if line.strip()]
    paragraphs = []
    for line in lines[1:]:
        if re.match(r"^\d+ comments?:", line):
            break
        paragraphs.append(line)
    return lines[0], paragraphs


def write_file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def jsonl_gz_bytes(records: list[dict]) -> bytes:
    return gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8"))


def write_jsonl_gz(path: Path, records: list[dict]) -> Path:
    return write_file(path, jsonl_gz_bytes(records))


def truncated_gzip(records: list[dict]) -> bytes:
    """A JSONL.gz cut off mid-stream, as an interrupted upload leaves it."""
    data = jsonl_gz_bytes(records)
    return data[: len(data) // 2]


def warc_bytes(responses: list[tuple[str, bytes, str]], warc_date: str = FETCHED_AT) -> bytes:
    """A gzipped WARC of HTTP 200 response records: (url, body, content type) each."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for url, body, content_type in responses:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers,
                                           warc_headers_dict={"WARC-Date": warc_date})
        writer.write_record(record)
    return buffer.getvalue()


def write_warc(path: Path, responses: list[tuple[str, bytes, str]]) -> Path:
    return write_file(path, warc_bytes(responses))
