"""Pages of the wider web through the real ingest flow, read back with DuckDB: one invented page of each kind of
fault that users of extractors report (a language code a date parser does not know, relative dates, numeric dates
of another region, 12-hour clocks and zones, bylines joined by another language's "and", windows-1252 punctuation
stored as ISO-8859-1, press releases that share only their closing boilerplate), and a re-run of the day.
"""

from __future__ import annotations

import datetime as dt
import html

import duckdb
import pytest

from flows.ingest import ingest
from tasks.sources.demo_corpus import write_jsonl_gz

pytestmark = pytest.mark.usefixtures("prefect_harness")

DAY = "2026-12-01"
FETCHED = f"{DAY}T08:00:00Z"
UTC = dt.timezone.utc

ENGLISH = [
    "The town council voted on Thursday to turn the old rope works by the canal into a library and a small museum.",
    "The building has stood empty for eleven years, and a local trust has collected the money for a new roof.",
    "Work on the roof should start in the spring, and the library is expected to open its doors two years later.",
    "Some residents had hoped for flats on the site, but the council said the building was too narrow for homes.",
]
NORWEGIAN = [
    "Bystyret i Havnvik vedtok torsdag å gjøre det gamle reperbanen ved kanalen om til et bibliotek og et museum.",
    "Bygningen har stått tom i elleve år, og en lokal stiftelse har samlet inn penger til et nytt tak på huset.",
    "Arbeidet med taket skal etter planen begynne til våren, og biblioteket åpner trolig dørene to år senere.",
    "Noen innbyggere hadde håpet på leiligheter på tomten, men kommunen mente at bygget var for smalt til boliger.",
]
INDONESIAN = [
    "Dewan kota Pantai Lestari pada hari Kamis memutuskan untuk mengubah gudang tali tua di tepi kanal menjadi perpustakaan.",
    "Bangunan itu sudah kosong selama sebelas tahun, dan sebuah yayasan lokal telah mengumpulkan dana untuk atap baru.",
    "Pekerjaan atap akan dimulai pada musim hujan berikutnya, dan perpustakaan diperkirakan dibuka dua tahun kemudian.",
    "Sebagian warga berharap ada rumah susun di lahan itu, tetapi dewan kota menilai bangunannya terlalu sempit untuk hunian.",
]
CLOSING = [
    "About Canal Works Trust: the trust looks after the canal's old industrial buildings, its towpath and its two "
    "locks, with the help of four hundred volunteers and the rents of the workshops it lets to local makers.",
    "Media enquiries: the trust's press office answers on weekdays between nine and five; outside those hours, "
    "please leave a message with the warden at the lock cottage and a member of the team will call you back.",
]
RELEASES = {
    "https://canalworks.example/news/new-roof": [
        "The trust has chosen a builder for the new roof of the rope works, after a tender that drew six bids.",
        "Scaffolding will go up in March, and the towpath beside the building will close for about three weeks."],
    "https://canalworks.example/news/lock-repairs": [
        "Both locks will be drained in January so that their wooden gates, made in 1962, can be replaced at last.",
        "Boats moored above the locks will not be able to leave the upper basin until the work ends in February."],
    "https://canalworks.example/news/volunteer-day": [
        "Forty volunteers cleared brambles and litter from two miles of towpath on Saturday, in cold but dry weather.",
        "The next volunteer day is planned for the spring, when the trust hopes to plant a hedge along the wharf."],
}

URLS = {
    "norwegian": "https://havnvik-avis.example/nyheter/reperbanen",
    "hebrew": "https://example-news.example/he/rope-works",
    "indonesian": "https://pantai-lestari.example/berita/gudang-tali",
    "relative": "https://canal-courier.example/news/rope-works-library",
    "locale": "https://canal-courier.example/news/rope-works-library-gb",
    "clock": "https://canal-courier.example/news/rope-works-library-est",
    "byline": "https://la-gazette-du-canal.example/ville/corderie",
    "c1": "https://canal-courier.example/news/rope-works-cost",
}


def page(title: str, paragraphs: list[str], lang: str = "en", head: str = "", meta_line: str = "",
         line_class: str = "meta") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"{head}</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
            f"<main><article><h1>{html.escape(title)}</h1><p class='{line_class}'>{meta_line}</p>{body}</article></main>"
            "<footer><p>Contact</p></footer></body></html>")


def raw_pages() -> list[dict]:
    c1_text = ENGLISH[:3] + ["The trust’s treasurer – a retired engineer – put the “realistic” cost at €2 million."]
    pages = {
        URLS["norwegian"]: page("Reperbanen blir bibliotek", NORWEGIAN, "no",
                                meta_line="Publisert 28. november 2026 kl. 21.40"),
        URLS["hebrew"]: page("Rope works to become a library", ENGLISH, "iw", meta_line="פורסם 28 בנובמבר 2026"),
        URLS["indonesian"]: page("Gudang tali jadi perpustakaan", INDONESIAN, "in",
                                 meta_line="Diterbitkan 28 November 2026"),
        URLS["relative"]: page("Rope works to become a library", ENGLISH, meta_line="Published 6 days ago"),
        URLS["locale"]: page("Rope works to become a library", ENGLISH,
                             head='<meta property="og:locale" content="en_GB">', meta_line="Published 03/11/2026 09:30"),
        URLS["clock"]: page("Rope works to become a library", ENGLISH, "en-US",
                            meta_line="Published November 29, 2026 10:40 PM EST"),
        URLS["byline"]: page("La corderie deviendra une bibliothèque", ENGLISH, "fr",
                             meta_line="Par Margaux Thiel et Bastien Royer", line_class="byline"),
        # stored as text by a crawler that decoded the windows-1252 bytes as ISO-8859-1
        URLS["c1"]: page("Rope works: the cost", c1_text).encode("cp1252").decode("latin-1"),
        **{url: page(f"Canal Works Trust: {url.rsplit('/', 1)[-1]}", body + CLOSING) for url, body in RELEASES.items()},
    }
    return [{"url": url, "html": text, "fetched_at": FETCHED, "status": 200} for url, text in pages.items()]


def documents(lake) -> dict[str, dict]:
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{lake}/documents/*/*.parquet', hive_partitioning = true)")
    return {row[relation.columns.index("url")]: dict(zip(relation.columns, row)) for row in relation.fetchall()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The day ingested, its documents read back, then ingested again and read back."""
    root = tmp_path_factory.mktemp("wider-web")
    write_jsonl_gz(root / "raw" / f"dt={DAY}" / "pages.jsonl.gz", raw_pages())
    ingest(source=str(root / "raw"), dest=str(root / "lake"), workers=1)
    first = documents(root / "lake")
    ingest(source=str(root / "raw"), dest=str(root / "lake"), workers=1)
    return first, documents(root / "lake")


def published(doc: dict) -> dt.datetime | None:
    return doc["published_at"].astimezone(UTC) if doc["published_at"] else None


@pytest.mark.parametrize("kind, language", [("norwegian", "no"), ("hebrew", "en"), ("indonesian", "id")])
def test_legacy_language_codes_give_documents_with_their_dates(runs, kind, language):
    doc = runs[0][URLS[kind]]

    assert doc["language"] == language
    assert published(doc).date() == dt.date(2026, 11, 28)


def test_a_rerun_of_a_day_with_relative_dates_gives_identical_rows(runs):
    first, second = runs
    run_columns = {"run_id", "ingested_at"}

    assert published(first[URLS["relative"]]) == dt.datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 6 days before the fetch
    assert {url: {k: v for k, v in row.items() if k not in run_columns} for url, row in first.items()} == \
        {url: {k: v for k, v in row.items() if k not in run_columns} for url, row in second.items()}


def test_day_and_month_follow_the_pages_region(runs):
    assert published(runs[0][URLS["locale"]]) == dt.datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def test_a_12_hour_time_with_its_zone_is_the_exact_instant(runs):
    assert published(runs[0][URLS["clock"]]) == dt.datetime(2026, 11, 30, 3, 40, tzinfo=UTC)


def test_a_french_byline_names_two_authors(runs):
    assert list(runs[0][URLS["byline"]]["authors"]) == ["Margaux Thiel", "Bastien Royer"]


def test_windows_1252_punctuation_survives_an_iso_8859_1_decoding(runs):
    doc = runs[0][URLS["c1"]]

    assert "The trust’s treasurer – a retired engineer – put the “realistic” cost at €2 million." in doc["text"]
    assert any("C1 control characters read as windows-1252" in issue for issue in doc["field_issues"])
    assert not any("mojibake" in issue for issue in doc["field_issues"])


def test_press_releases_that_share_only_their_closing_are_different_stories(runs):
    ids = [runs[0][url]["story_id"] for url in RELEASES]

    assert len(set(ids)) == 3
