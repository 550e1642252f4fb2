"""Two invented news sites over a run of days, for the day-health and drift tests.

Each day both sites publish a few articles in one JSONL object, next to
two pages that are rejected every day: the second site's sign-in page and a
line that is not JSON. From
`broken_from` on, the first site's template changes as publishers' do: its
headline is no longer in og:title (the <title> only names the section) and
its byline is gone; everything else stays as it was. The second site never
changes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from pathlib import Path

CHANGING, STEADY = "riverside-ledger.example", "hillcrest-courier.example"
NAMES = ["Mara Quill", "Oskar Brandt", "Leah Okafor", "Tomas Reyes", "Ines Varga", "Colm Doyle"]
TOPICS = ["the library roof", "the ferry timetable", "the new cycle lane", "the school canteen", "the harbour wall",
          "the winter market", "the bus depot", "the river footbridge"]
SENTENCES = [
    "Residents said the work on {topic} had taken longer than the council promised in the spring.",
    "A spokesperson for the district confirmed that the budget for {topic} would be reviewed next month.",
    "Local traders told reporters that {topic} had changed how people move through the town centre.",
    "Engineers inspected {topic} on Tuesday and found that the repairs were holding up well after the storms.",
    "The planning committee will discuss {topic} again at its meeting in the old town hall on Thursday.",
    "Several families wrote to the newspaper to ask why {topic} was still closed during the holidays.",
    "Officials expect the final report on {topic} to be published before the end of the year.",
]


def article(host: str, day: dt.date, n: int, broken: bool, rng: random.Random) -> dict:
    """One raw JSONL record: an article page of `host`, in its old template or (when `broken`) its new one."""
    topic, author = rng.choice(TOPICS), rng.choice(NAMES)
    headline = f"Council to decide on {topic} after {rng.choice(['long', 'heated', 'short', 'public'])} debate"
    paragraphs = "".join("<p>" + " ".join(s.format(topic=topic) for s in rng.sample(SENTENCES, 4)) + "</p>"
                         for _ in range(3))
    site = "Riverside Ledger" if host == CHANGING else "Hillcrest Courier"
    published = f"{day.isoformat()}T07:{n:02d}:00Z"
    if broken:
        head = f'<title>Local news | {site}</title>'
        byline = ""
    else:
        head = (f'<title>{headline} | {site}</title><meta property="og:title" content="{headline}">'
                f'<meta name="author" content="{author}">')
        byline = f'<p class="byline">By <span class="author">{author}</span></p>'
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">{head}'
            f'<meta property="og:site_name" content="{site}">'
            f'<meta property="article:published_time" content="{published}"></head><body>'
            f'<nav><a href="/">Home</a> <a href="/local">Local</a> <a href="/sport">Sport</a></nav>'
            f'<article><h1>{headline}</h1>{byline}{paragraphs}</article>'
            f'<footer>Copyright {site}. All rights reserved.</footer></body></html>')
    return {"url": f"https://www.{host}/local/{day:%Y/%m/%d}/story-{n}.html", "html": html,
            "fetched_at": f"{day.isoformat()}T12:00:00Z", "status": 200}


def sign_in_page(day: dt.date) -> dict:
    """The steady site's sign-in page: no article, rejected (too little prose)."""
    html = ('<html lang="en"><head><title>Sign in | Hillcrest Courier</title></head><body><form>'
            '<label>Email</label><input name="email"><label>Password</label><input name="password" type="password">'
            '<button>Sign in</button></form></body></html>')
    return {"url": f"https://www.{STEADY}/account/login", "html": html, "fetched_at": f"{day.isoformat()}T12:00:00Z"}


def write_days(root: Path, first: dt.date, days: int, per_site: int, broken_from: int) -> list[dt.date]:
    """Write `days` days of raw pages (`per_site` per site and day) under `root/dt=.../`; day numbers start at 1."""
    written = []
    for number in range(1, days + 1):
        day = first + dt.timedelta(days=number - 1)
        rng = random.Random(number)
        records = [article(host, day, n, host == CHANGING and number >= broken_from, rng)
                   for host in (CHANGING, STEADY) for n in range(per_site)]
        lines = [json.dumps(r) for r in records] + [json.dumps(sign_in_page(day)), '{"url": "https://']
        path = root / f"dt={day.isoformat()}" / "feed.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress("".join(line + "\n" for line in lines).encode()))
        written.append(day)
    return written
