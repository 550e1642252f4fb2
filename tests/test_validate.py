"""Unit tests of tasks.lake.validate.check_document, from one valid row changed one field at a time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from schemas import DOCUMENTS
from tasks.extraction.page import extract_pages
from tasks.lake.validate import check_document
from tasks.records import Extracted, Limits, RawPage, RunInfo, SourcePointer

UTC = timezone.utc
NOW = datetime.now(UTC)
RUN = RunInfo("run-20240316T060500Z-test", datetime(2024, 3, 16, 6, 30, tzinfo=UTC), "0.1.0")

SENTENCES = [
    "The harbour council voted on Tuesday evening to build a movable flood barrier across the mouth of the river.",
    "Residents of the old quay have been flooded twice in the last three winters, and several shops never reopened.",
    "Engineers expect the barrier to take four years to build and to cost slightly more than the original estimate.",
    "Opponents argued that the money would be better spent on raising the existing walls along the eastern bank.",
]
PAGE = f"""<!DOCTYPE html><html lang="en-GB"><head><title>Harbour council approves flood barrier</title>
<meta name="author" content="Jane Doe; John Smith">
<meta property="article:published_time" content="2024-03-15T09:30:00+00:00">
<meta property="article:tag" content="Flooding"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour council approves flood barrier</h1>{"".join(f"<p>{s}</p>" for s in SENTENCES)}</article>
<footer>Copyright 2024 Harbour Gazette</footer></body></html>"""

REQUIRED = [f.name for f in DOCUMENTS if not f.nullable]
NULLABLE = [f.name for f in DOCUMENTS if f.nullable]


@pytest.fixture(scope="module")
def extracted() -> dict:
    page = RawPage(SourcePointer("/raw/dt=2024-03-16/news.jsonl.gz", line=3),
                   "https://www.harbour-gazette.example/news/flood-barrier", PAGE.encode("utf-8"),
                   datetime(2024, 3, 16, 6, 5, tzinfo=UTC), 200, "utf-8", len(PAGE.encode("utf-8")))
    [result] = extract_pages([page], Limits())
    assert isinstance(result, Extracted), f"the base page must extract, got {result!r}"
    # As the batch stages it: the signature's columns in the row, the entity rows apart.
    return {**result.document, "minhash": result.signature.minhash, "shingle_count": result.signature.shingles}


@pytest.fixture
def row(extracted) -> dict:
    """A fresh valid row: an extracted document plus the run columns."""
    return {**extracted, "authors": list(extracted["authors"]), "tags": list(extracted["tags"]),
            "categories": list(extracted["categories"]), **RUN.columns()}


def test_valid_row_passes(row):
    assert row["published_at"] is not None and row["language"] == "en"  # the checks below have values to check
    assert check_document(row, NOW) is None


def test_valid_row_converts_to_the_declared_schema(row):
    table = pa.Table.from_pylist([row], schema=DOCUMENTS)

    assert table.num_rows == 1
    assert table.schema.equals(DOCUMENTS, check_metadata=True)
    assert table.to_pylist() == [{name: row.get(name) for name in DOCUMENTS.names}]  # story columns: at commit


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("how", ["none", "absent"])
def test_missing_required_field(row, field, how):
    if how == "none":
        row[field] = None
    else:
        del row[field]

    assert check_document(row, NOW) == f"missing_{field}"


@pytest.mark.parametrize("field", NULLABLE)
def test_nullable_field_may_be_null(row, field):
    row[field] = None

    assert check_document(row, NOW) is None
    assert pa.Table.from_pylist([row], schema=DOCUMENTS).num_rows == 1


@pytest.mark.parametrize("field, value", [
    ("url", 42),
    ("doc_id", b"0123abcd"),
    ("title", ["a", "list"]),
    ("authors", "Jane Doe"),
    ("authors", ["Jane Doe", None]),
    ("authors", ["Jane Doe", 7]),
    ("tags", ("Flooding",)),
    ("word_count", "120"),
    ("word_count", 120.0),
    ("word_count", True),
    ("word_count", 2**31),
    ("http_status", 2**15),
    ("source_line", 2**63),
    ("published_at", datetime(2024, 3, 15)),
    ("published_at", date(2024, 3, 15)),
    ("fetched_at", "2024-03-16T06:05:00Z"),
    ("ingested_at", 1710570300),
    ("field_issues", "published_at: placeholder"),
    ("field_issues", [None]),
    ("field_sources", "json-ld"),
    ("field_sources", {"title": 1}),
    ("field_sources", {"title": "meta", "headline": "meta"}),
], ids=["url-int", "doc_id-bytes", "title-list", "authors-str", "authors-with-null", "authors-with-int",
        "tags-tuple", "word_count-str", "word_count-float", "word_count-bool", "word_count-over-int32",
        "http_status-over-int16", "source_line-over-int64", "published_at-naive", "published_at-date",
        "fetched_at-str", "ingested_at-epoch-int", "field_issues-str", "field_issues-with-null",
        "field_sources-str", "field_sources-int-member", "field_sources-unknown-member"])
def test_wrong_type(row, field, value):
    row[field] = value

    assert check_document(row, NOW) == f"wrong_type_{field}"


@pytest.mark.parametrize("field, value, reason", [
    ("url", "ftp://files.example.org/page.html", "invalid_url"),
    ("url", "mailto:desk@example.org", "invalid_url"),
    ("url", "https:///no-host", "invalid_url"),
    ("url", "www.example.org/page", "invalid_url"),
    ("url", "http://example.org/page", None),
    ("language", "english", "invalid_language"),
    ("language", "xx", "invalid_language"),
    ("language", "EN", "invalid_language"),
    ("language", "ja", None),
    ("text", "   \n\t ", "empty_text"),
    ("text", "", "empty_text"),
    ("text", "One short line.", None),
], ids=["ftp", "mailto", "no-host", "no-scheme", "http", "language-word", "language-unknown", "language-upper",
        "language-ja", "whitespace-text", "empty-text", "short-text"])
def test_rule_checks(row, field, value, reason):
    row[field] = value

    assert check_document(row, NOW) == reason


@pytest.mark.parametrize("published", [NOW + timedelta(days=3), datetime(1850, 6, 1, tzinfo=UTC),
                                       datetime(1, 1, 1, tzinfo=UTC)], ids=["in-3-days", "1850", "year-1"])
def test_an_implausible_published_at_is_never_a_reject(row, published):
    """Plausibility is judged field by field in extraction, which falls back or leaves the field null
    (tasks.extraction.plausibility); one field never costs the page here."""
    row["published_at"] = published

    assert check_document(row, NOW) is None


def test_field_sources_may_leave_members_null(row):
    row["field_sources"] = {"title": "meta", "authors": None}

    assert check_document(row, NOW) is None
    assert pa.Table.from_pylist([row], schema=DOCUMENTS).column("field_sources").to_pylist()[0]["authors"] is None
