"""The record types that flow through a batch: a raw page or a reject, then an extracted document or a reject.

Every page read from an object becomes exactly one of `RawPage` or
`Reject`, and every `RawPage` later becomes exactly one `Extracted` or one
`Reject`; that is what makes `pages read = documents + rejects` hold by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from tasks.stories.signatures import Signature


@dataclass(frozen=True)
class SourcePointer:
    """Where a page sits in the raw data: the object, and a line or WARC offset in it."""

    uri: str
    line: int | None = None
    offset: int | None = None


@dataclass
class RawPage:
    """One fetched page as the raw object holds it, not yet decoded."""

    source: SourcePointer
    url: str | None
    body: bytes | str
    fetched_at: datetime | None = None
    http_status: int | None = None
    charset: str | None = None  # declared by HTTP headers, when any
    raw_bytes: int = 0


@dataclass
class Reject:
    """Why a page (or a whole object) did not become a document."""

    reason: str
    stage: str
    detail: str
    source: SourcePointer
    url: str | None = None
    raw_bytes: int | None = None
    page_kind: str | None = None  # the kind of a page set aside (not_an_article)

    def as_row(self) -> dict:
        """Columns of the `rejects` dataset this record fills (run columns excluded)."""
        return {
            "reason": self.reason,
            "stage": self.stage,
            "detail": self.detail,
            "url": self.url,
            "source_uri": self.source.uri,
            "source_line": self.source.line,
            "source_offset": self.source.offset,
            "raw_bytes": self.raw_bytes,
            "page_kind": self.page_kind,
        }


@dataclass
class Extracted:
    """A page that became a document, as an extraction worker returns it.

    `document`: the `documents` row without run, signature and story columns;
    `entities`: its rows of the `entities` dataset (without document columns);
    `signature`: its text's MinHash signature (`tasks.stories.signatures`).
    """

    document: dict
    entities: list[dict]
    signature: Signature


@dataclass(frozen=True)
class RunInfo:
    """Columns every row of one run shares."""

    run_id: str
    ingested_at: datetime
    pipeline_version: str

    def columns(self) -> dict:
        return {"run_id": self.run_id, "ingested_at": self.ingested_at, "pipeline_version": self.pipeline_version}


@dataclass(frozen=True)
class Limits:
    """Knobs that bound the work done on one page, so bad input costs bounded time and memory."""

    max_page_bytes: int = 5 * 1024 * 1024
    min_prose_words: int = 50  # words in sentence-like lines (see tasks.extraction.page.prose_words)
    extract_timeout_s: float = 30.0  # per page: parse, extraction and NER, enforced by killing the worker (tasks.running.pool)
    ner_max_chars: int = 200_000  # longer texts get entities_status too_long (a news article is ~5-60k)
    # Kinds of page written as documents (schemas.PAGE_KINDS); a page of another kind becomes a not_an_article
    # reject. None: every kind.
    keep_kinds: tuple[str, ...] | None = None


@dataclass
class Counts:
    """Pages in, documents and rejects out, for a batch or a whole run."""

    objects: int = 0
    pages: int = 0
    documents: int = 0
    entities: int = 0  # rows of the entities dataset, for the documents
    rejects: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)  # documents per page kind

    def add_reject(self, reason: str, n: int = 1) -> None:
        self.rejects[reason] = self.rejects.get(reason, 0) + n

    def add_document(self, kind: str, n: int = 1) -> None:
        """Count `n` documents of a page kind (a negative `n` takes them back)."""
        self.documents += n
        self.kinds[kind] = self.kinds.get(kind, 0) + n
        if not self.kinds[kind]:
            del self.kinds[kind]

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())

    def merge(self, other: Counts) -> None:
        self.objects += other.objects
        self.pages += other.pages
        self.documents += other.documents
        self.entities += other.entities
        for reason, n in other.rejects.items():
            self.add_reject(reason, n)
        for kind, n in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + n


def hostname_of(url: str) -> str:
    """A capture's host as the lake's `hostname` column holds it: the URL's host, lower case, without "www."."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
