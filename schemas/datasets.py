"""Declared schemas of the lake's datasets.

Tables are always built against these schemas, never inferred from data, so a
column's type cannot drift with whatever the first page of a run happens to
hold. Each field carries a one-line description in its metadata, which travels
into every Parquet file and shows up in `pagefold query` and in DuckDB's
`DESCRIBE`.

Evolution policy (see docs/lake.md, "Schema evolution"):
- A new *optional* (nullable) column may be appended; SCHEMA_VERSION's minor
  part goes up. Old files stay as they are: readers that use the declared
  schema (pyarrow datasets, `pagefold query`) or DuckDB's `union_by_name` see
  the column as null in old partitions.
- Removing a column, renaming it, changing its type or making a new column
  required is a breaking change: the major part goes up and the affected
  partitions are rewritten by a backfill, never patched in place.
"""

import pyarrow as pa

SCHEMA_VERSION = "3.3"

_UTC_MICROS = pa.timestamp("us", tz="UTC")
# Where each field's value came from (docs/lake.md, "Field sources and field issues"): json-ld, meta, page, url,
# trafilatura, text, declared; for page_kind, json-ld or meta (the page declared the kind the model found) or model.
FIELD_SOURCES = pa.struct([pa.field(name, pa.string(), nullable=True)
                           for name in ("title", "authors", "published_at", "language", "dateline", "agency",
                                        "page_kind")])
# The kinds of page (tasks.extraction.kinds; docs/extraction.md, "Page kinds").
PAGE_KINDS = ("article", "forum", "product", "listing", "collection", "documentation", "service")


def _field(name: str, type_: pa.DataType, nullable: bool, description: str) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def _schema(name: str, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(fields, metadata={"dataset": name, "schema_version": SCHEMA_VERSION})


DOCUMENTS = _schema(
    "documents",
    [
        _field("doc_id", pa.string(), False, "Stable id of one capture: hash of the fetched URL and its fetch time."),
        _field("url", pa.string(), False, "URL the page was fetched from (http or https)."),
        _field("canonical_url", pa.string(), True, "Canonical URL declared by the page, if any."),
        _field("hostname", pa.string(), False, "Host name of `url`, lower case, without `www.`."),
        _field("site_name", pa.string(), True, "Publisher or site name declared by the page."),
        _field("title", pa.string(), True, "Title of the article."),
        _field("authors", pa.list_(pa.string()), False, "Author names as declared by the page; empty when unknown."),
        _field("published_at", _UTC_MICROS, True, "Publication time in UTC (midnight UTC when only a day is known)."),
        _field("description", pa.string(), True, "Summary the page gives of itself (meta description)."),
        _field("language", pa.string(), True, "ISO 639-1 code of the text's language (identified, checked with the page's)."),
        _field("tags", pa.list_(pa.string()), False, "Tags and keywords declared by the page."),
        _field("categories", pa.list_(pa.string()), False, "Sections or categories declared by the page."),
        _field("text", pa.string(), False, "Main text without navigation, comments or ads; paragraphs split by newlines."),
        _field("word_count", pa.int32(), False, "Words in `text` (each Chinese or Japanese character counts as one)."),
        _field("content_sha256", pa.string(), False, "Hex SHA-256 of `text`, to find identical texts."),
        _field("fetched_at", _UTC_MICROS, True, "Time the raw page was fetched, in UTC, when the source says."),
        _field("http_status", pa.int16(), True, "HTTP status of the fetch, when the source says."),
        _field("source_uri", pa.string(), False, "Raw object the page came from (s3:// URI or local path)."),
        _field("source_line", pa.int64(), True, "1-based line of the page in a JSONL object."),
        _field("source_offset", pa.int64(), True, "Byte offset of the WARC record in a WARC object."),
        _field("entities_status", pa.string(), False,
               "Named-entity recognition: done, unsupported_language, too_long or failed."),
        _field("entity_count", pa.int32(), False, "Rows of this document in the `entities` dataset."),
        _field("people", pa.list_(pa.string()), False, "Canonical names of the people mentioned, most mentioned first."),
        _field("organizations", pa.list_(pa.string()), False,
               "Canonical names of the organisations mentioned, most mentioned first."),
        _field("places", pa.list_(pa.string()), False,
               "Canonical names of the places (countries, cities, regions, sites) mentioned, most mentioned first."),
        _field("run_id", pa.string(), False, "Id of the Pagefold run that wrote the row."),
        _field("ingested_at", _UTC_MICROS, False, "Time the run started, in UTC."),
        _field("pipeline_version", pa.string(), False, "Pagefold version that wrote the row."),
        _field("dateline", pa.string(), True, "Place of a wire story's dateline as written (\"SEOUL\"), if any."),
        _field("agency", pa.string(), True, "News agency credited for the story (AFP, AP, Reuters, dpa, ...), if any."),
        _field("field_issues", pa.list_(pa.string()), False,
               "Values dropped as implausible, each '<field>: <value and source> is <why>', and what a reader should "
               "know of a kept value (its zone is unknown, it was counted back from the fetch time); empty when none."),
        _field("field_sources", FIELD_SOURCES, False,
               "Where title, authors, published_at, language, dateline, agency and page_kind came from "
               "(json-ld, meta, page, url, trafilatura, text, declared, model); null when the field is null."),
        _field("story_id", pa.string(), True,
               "The story this text is a copy of (`stories.story_id`): YYYYMMDD-doc_id of its first copy."),
        _field("is_origin", pa.bool_(), True, "Whether this copy is its story's origin (`stories.origin_doc_id`)."),
        _field("minhash", pa.binary(), True,
               "MinHash of the text's word 5-grams: 128 little-endian uint32 (datasketch, affine32, seed 1)."),
        _field("shingle_count", pa.int32(), True, "Distinct word 5-grams in `text` (the set the MinHash summarises)."),
        _field("page_kind", pa.string(), True,
               "Kind of page: article, forum, product, listing, collection, documentation or service; "
               "null in days written before schema 3.2."),
        _field("text_edges", pa.binary(), True,
               "The text's first and last 8 lines for story matching: uint32 lines, then per line a uint32 hash "
               "and uint16 words (little-endian); what two texts share there is boilerplate, not a copy; "
               "null in days written before schema 3.3."),
    ],
)

ENTITIES = _schema(
    "entities",
    [
        _field("doc_id", pa.string(), False, "The document (`documents.doc_id`, unique within a day)."),
        _field("url", pa.string(), False, "URL of the document."),
        _field("text", pa.string(), False, "The entity's first mention under its canonical name, as written."),
        _field("canonical", pa.string(), False,
               "Name the document's mentions share: full name, no possessive or leading article."),
        _field("label", pa.string(), False, "Kind, by majority of mentions: PERSON, ORG, GPE, LOC, NORP, EVENT, ..."),
        _field("count", pa.int32(), False, "Mentions in the title and text."),
        _field("first_offset", pa.int32(), True, "Character offset of the first mention in `text`; null if title only."),
        _field("in_title", pa.bool_(), False, "Whether the title mentions the entity."),
        _field("run_id", pa.string(), False, "Id of the Pagefold run that wrote the row."),
        _field("ingested_at", _UTC_MICROS, False, "Time the run started, in UTC."),
        _field("pipeline_version", pa.string(), False, "Pagefold version that wrote the row."),
    ],
)

REJECTS = _schema(
    "rejects",
    [
        _field("reason", pa.string(), False, "Reason code, e.g. corrupt_gzip, invalid_json, no_main_content."),
        _field("stage", pa.string(), False, "Step that rejected the page: read, decode, extract or validate."),
        _field("detail", pa.string(), True, "Human-readable explanation of the reason."),
        _field("url", pa.string(), True, "URL of the page, when it could be read."),
        _field("source_uri", pa.string(), False, "Raw object the page came from (s3:// URI or local path)."),
        _field("source_line", pa.int64(), True, "1-based line of the page in a JSONL object."),
        _field("source_offset", pa.int64(), True, "Byte offset of the WARC record in a WARC object."),
        _field("raw_bytes", pa.int64(), True, "Size of the raw page (or object) in bytes, when known."),
        _field("run_id", pa.string(), False, "Id of the Pagefold run that wrote the row."),
        _field("ingested_at", _UTC_MICROS, False, "Time the run started, in UTC."),
        _field("pipeline_version", pa.string(), False, "Pagefold version that wrote the row."),
        _field("page_kind", pa.string(), True,
               "Kind of the page set aside (reason not_an_article) or repeated (duplicate_capture); else null."),
    ],
)

# The fields whose fill rate `health` measures: FIELD_SOURCES' fields (but page_kind, which every document has),
# and whether NER found any entity.
SOURCED_FIELDS = tuple(name for name in FIELD_SOURCES.names if name != "page_kind")
HEALTH_FIELDS = (*SOURCED_FIELDS, "entities")


def _health_field_columns(name: str) -> list[pa.Field]:
    has = "at least one entity row" if name == "entities" else name
    columns = [_field(f"{name}_share", pa.float64(), True,
                      f"Share of the host's documents that have {has} (0 to 1); null without documents.")]
    if name in SOURCED_FIELDS:
        columns += [
            _field(f"{name}_source", pa.string(), True,
                   f"Source most of the host's {name} values came from (ties: first by name); null when none has it."),
            _field(f"{name}_sources", pa.map_(pa.string(), pa.int64()), False,
                   f"Documents per source of {name} (json-ld, meta, page, url, trafilatura, text, declared)."),
        ]
    return columns


HEALTH = _schema(
    "health",
    [
        _field("hostname", pa.string(), True,
               "Host of the pages (as `documents.hostname`); null for rejects whose URL is unknown."),
        _field("pages", pa.int64(), False, "Pages of the host read that day: documents + rejects."),
        _field("documents", pa.int64(), False, "Documents of the host that day."),
        _field("rejects", pa.int64(), False, "Rejects of the host that day (host taken from the reject's URL)."),
        _field("rejects_by_reason", pa.map_(pa.string(), pa.int64()), False, "Rejects per reason code."),
        *[column for name in HEALTH_FIELDS for column in _health_field_columns(name)],
        _field("text_words_median", pa.float64(), True, "Median `word_count` of the host's documents."),
        _field("text_words_p10", pa.float64(), True,
               "10th percentile of `word_count` (linear interpolation, as DuckDB's quantile_cont)."),
        _field("field_issues_share", pa.float64(), True,
               "Share of the host's documents with at least one `field_issues` entry; null without documents."),
        _field("run_id", pa.string(), False, "Id of the Pagefold run that wrote the row."),
        _field("ingested_at", _UTC_MICROS, False, "Time the run started, in UTC."),
        _field("pipeline_version", pa.string(), False, "Pagefold version that wrote the row."),
        _field("documents_by_kind", pa.map_(pa.string(), pa.int64()), True,
               "Documents per `page_kind` (they add up to `documents`); null in days written before schema 3.2."),
        _field("article_share", pa.float64(), True,
               "Share of the host's documents whose page_kind is article (0 to 1); null without documents."),
    ],
)

STORIES = _schema(
    "stories",
    [
        _field("story_id", pa.string(), False,
               "YYYYMMDD-doc_id of the story's first copy (first day landed, then smallest doc_id); partition: that day."),
        _field("first_day", pa.date32(), False, "First day a copy landed."),
        _field("last_day", pa.date32(), False, "Last day a copy landed."),
        _field("copies", pa.int32(), False, "Documents that are copies of the story."),
        _field("hosts", pa.int32(), False, "Distinct host names that ran a copy."),
        _field("origin_doc_id", pa.string(), False,
               "The origin copy: on the agency's own site when there is one, else the earliest published."),
        _field("origin_url", pa.string(), False, "URL of the origin copy."),
        _field("origin_hostname", pa.string(), False, "Host name of the origin copy."),
        _field("agency", pa.string(), True, "News agency most copies credit, if any."),
        _field("dateline", pa.string(), True, "Dateline of the origin copy (else the most common), if any."),
        _field("title", pa.string(), True, "Representative title: the origin's, else the most common."),
        _field("first_published_at", _UTC_MICROS, True, "Earliest publication time of a copy, in UTC."),
        _field("run_id", pa.string(), False, "Id of the Pagefold run that wrote the row."),
        _field("ingested_at", _UTC_MICROS, False, "Time the run started, in UTC."),
        _field("pipeline_version", pa.string(), False, "Pagefold version that wrote the row."),
    ],
)

DATASETS: dict[str, pa.Schema] = {"documents": DOCUMENTS, "entities": ENTITIES, "rejects": REJECTS, "health": HEALTH,
                                  "stories": STORIES}
# Datasets the batches stage; the others are derived at the day's commit (stories staged there by matching).
STAGED = ("documents", "entities", "rejects")

# Files of each dataset are sorted by these columns, so scans that filter on them skip row groups.
SORT_KEYS: dict[str, list[str]] = {
    "documents": ["hostname", "url"],
    "entities": ["label", "canonical", "doc_id"],
    "rejects": ["reason", "source_uri", "source_line", "source_offset"],
    "health": ["hostname"],
    "stories": ["story_id"],
}

# Every dataset is partitioned by the raw partition's day: <dataset>/date=YYYY-MM-DD/.
PARTITION_SCHEMA = pa.schema([pa.field("date", pa.date32())])


def __getattr__(name: str):
    """PARTITIONING, pyarrow's hive partitioning by PARTITION_SCHEMA, made on first use (PEP 562): pyarrow.dataset
    imports pandas, half a second of every extraction process's start, and they never read a dataset."""
    if name == "PARTITIONING":
        import pyarrow.dataset as ds

        globals()[name] = ds.partitioning(PARTITION_SCHEMA, flavor="hive")
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
