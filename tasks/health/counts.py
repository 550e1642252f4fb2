"""Day health: per host, how full each field of the day's documents is, where it came from, their kinds, the rejects.

A publisher that changes its templates does not make a run fail: every page
still becomes a document, but from that day on its titles come from another
part of the page, or its authors are empty. `day_health` counts, per host,
what the day's documents and rejects hold (the `health` dataset, written at
the day's commit); `tasks.health.drift` compares each host's day with its own
trailing days. Both are SQL over relations (DuckDB views or registered Arrow
tables).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from schemas import HEALTH, HEALTH_FIELDS
from schemas.datasets import SOURCED_FIELDS
from tasks.records import hostname_of


def _has(name: str) -> str:
    """SQL: whether a document has the field."""
    if name == "authors":
        return "len(authors) > 0"
    if name == "entities":
        return "entity_count > 0"
    return f"{name} IS NOT NULL"


def _main_key(counts: str) -> str:
    """SQL: the key of a MAP(VARCHAR, BIGINT) with the largest count, the first by name on a tie; NULL when empty."""
    return f"list_sort(list_transform(map_entries({counts}), lambda e: {{'n': -e.value, 'key': e.key}}))[1].key"


def day_health(con: duckdb.DuckDBPyConnection, documents: str, rejects: str) -> pa.Table:
    """The `health` rows of one day: one per host, from that day's documents and rejects.

    `documents` and `rejects` name relations (views, tables or parenthesised
    queries) with the columns of those datasets. A reject's host is its URL's
    (`tasks.records.hostname_of`, as for documents); rejects without a URL
    count under a null host. Returns a table of schema `schemas.HEALTH`, in
    no particular order.
    """
    con.create_function("pagefold_hostname", lambda url: hostname_of(url) or None, ["VARCHAR"],
                        "VARCHAR", null_handling="special", side_effects=False)
    per_field = []
    for name in HEALTH_FIELDS:
        per_field.append(f"avg(CASE WHEN {_has(name)} THEN 1.0 ELSE 0.0 END) AS {name}_share")
        if name in SOURCED_FIELDS:
            per_field.append(f"coalesce(histogram(field_sources.{name}), MAP {{}})::MAP(VARCHAR, BIGINT) "
                             f"AS {name}_sources")
    sources = [f"d.{name}_sources" for name in SOURCED_FIELDS]
    shares = [f"d.{name}_share" for name in HEALTH_FIELDS]
    main_sources = [f"{_main_key(f'd.{name}_sources')} AS {name}_source" for name in SOURCED_FIELDS]
    sql = f"""
        WITH d AS (
            SELECT hostname, count(*) AS documents, {', '.join(per_field)},
                   median(word_count)::DOUBLE AS text_words_median,
                   quantile_cont(word_count, 0.1)::DOUBLE AS text_words_p10,
                   avg(CASE WHEN len(field_issues) > 0 THEN 1.0 ELSE 0.0 END) AS field_issues_share,
                   coalesce(histogram(page_kind), MAP {{}})::MAP(VARCHAR, BIGINT) AS documents_by_kind,
                   avg(CASE WHEN page_kind = 'article' THEN 1.0 ELSE 0.0 END) AS article_share,
                   any_value(run_id) AS run_id, any_value(ingested_at) AS ingested_at,
                   any_value(pipeline_version) AS pipeline_version
            FROM {documents} GROUP BY hostname),
        r AS (
            SELECT host AS hostname, count(*) AS rejects, histogram(reason)::MAP(VARCHAR, BIGINT) AS rejects_by_reason,
                   any_value(run_id) AS run_id, any_value(ingested_at) AS ingested_at,
                   any_value(pipeline_version) AS pipeline_version
            FROM (SELECT *, pagefold_hostname(url) AS host FROM {rejects}) GROUP BY host)
        SELECT coalesce(d.hostname, r.hostname) AS hostname,
               coalesce(d.documents, 0) + coalesce(r.rejects, 0) AS pages,
               coalesce(d.documents, 0) AS documents, coalesce(r.rejects, 0) AS rejects,
               coalesce(r.rejects_by_reason, MAP {{}})::MAP(VARCHAR, BIGINT) AS rejects_by_reason,
               {', '.join(shares)},
               {', '.join(main_sources)},
               {', '.join(f"coalesce({s}, MAP {{}})::MAP(VARCHAR, BIGINT) AS {s[2:]}" for s in sources)},
               d.text_words_median, d.text_words_p10, d.field_issues_share,
               coalesce(d.documents_by_kind, MAP {{}})::MAP(VARCHAR, BIGINT) AS documents_by_kind, d.article_share,
               coalesce(d.run_id, r.run_id) AS run_id, coalesce(d.ingested_at, r.ingested_at) AS ingested_at,
               coalesce(d.pipeline_version, r.pipeline_version) AS pipeline_version
        FROM d FULL JOIN r ON d.hostname IS NOT DISTINCT FROM r.hostname"""
    table = con.sql(sql).to_arrow_table()
    return table.select(HEALTH.names).cast(HEALTH)


