"""Drift alarms: when a host's day of health falls away from its own trailing days, and what changed.

`drift_sql` compares each host's day in the `health` dataset with the host's
previous days and says which field fell, from what to what, and which source
changed (docs/stories-and-health.md, "Day health and drift alarms"). It is SQL over a relation, so
the run's check after each commit and the `drift` view of `pagefold query`
apply the same rule.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields
from typing import Callable

import duckdb
import pyarrow as pa

from schemas import HEALTH_FIELDS
from schemas.datasets import SOURCED_FIELDS

EVENT = "pagefold.drift.detected"
# Columns of a drift alarm (`drift_sql`), with what each holds.
ALARM_COLUMNS = {
    "date": "Day whose health raised the alarm.",
    "hostname": "Host whose pages drifted.",
    "measure": "A field of `health` (title, authors, ...), text_words_median, reject_share or article_share.",
    "baseline": "Its value over the host's previous days (fill and reject shares 0 to 1, words).",
    "current": "Its value that day.",
    "baseline_source": "For a field: the source it mostly came from over the previous days.",
    "current_source": "For a field: the source it mostly came from that day.",
    "pages": "Pages of the host that day.",
    "history_days": "Previous days of the host in the lake that the baseline covers.",
    "history_pages": "Pages of the host over those days.",
    "message": "The alarm in one line: what fell, from what to what, and which source changed.",
}


@dataclass(frozen=True)
class DriftRules:
    """When a host's day raises a drift alarm against its own trailing days (docs/stories-and-health.md, "Day health and drift alarms").

    A host is checked when it has at least `min_pages` pages that day and at
    least `min_pages` over its `history_days` previous days in the lake. Each
    field raises one alarm when its fill rate, or the share of documents that
    got it from the host's usual source, falls by more than `fill_drop_points`
    percentage points; the text's median word count falling below
    `text_ratio` of its usual value, and the reject share reaching
    `reject_ratio` times its usual value and more than `reject_rise_points`
    above it, raise one each (the rise keeps the first two rejects of 20
    pages, on a host that had none, from raising an alarm). The share of the
    host's documents that are articles falling by more than
    `fill_drop_points` raises one too: a site whose pages all turn into
    listings has changed its layout (days before schema 3.2, without page
    kinds, are left out of that baseline).

    Defaults: 20 pages, 14 days, 30 points, half the text and twice the
    rejects are issue 13's figures; the 10-point rise is ours.
    """

    min_pages: int = 20
    fill_drop_points: float = 30.0
    history_days: int = 14
    text_ratio: float = 0.5
    reject_ratio: float = 2.0
    reject_rise_points: float = 10.0

    @classmethod
    def from_settings(cls, lookup: Callable[[str], str | None]) -> DriftRules:
        """Rules whose values `lookup('drift_min_pages')`, `lookup('drift_fill_drop_points')`, ... give, else the
        defaults. Raises ValueError for a value that is not a number."""
        values = {}
        for field in fields(cls):
            raw = lookup(f"drift_{field.name}")
            if raw not in (None, ""):
                values[field.name] = int(raw) if field.type == "int" else float(raw)
        return cls(**values)

    @classmethod
    def from_env(cls) -> DriftRules:
        """Rules from the environment's PAGEFOLD_DRIFT_MIN_PAGES, PAGEFOLD_DRIFT_FILL_DROP_POINTS, ..."""
        return cls.from_settings(lambda name: os.environ.get(f"PAGEFOLD_{name.upper()}"))


def drift_sql(health: str, rules: DriftRules, day: dt.date | None = None) -> str:
    """SQL for the drift alarms of every day of `health` (a relation with the `health` columns and `date`), or of `day`.

    One row per alarm, with the columns of ALARM_COLUMNS. The baseline of a
    share is weighted by the trailing days' documents (pages for the reject
    share); that of the text's median is the median of the daily medians.
    """
    days, floor = rules.history_days, rules.min_pages
    drop = rules.fill_drop_points / 100
    only_day = f"AND date = DATE '{day.isoformat()}'" if day else ""
    fill = " UNION ALL ".join(
        f"SELECT date, hostname, documents, '{name}' AS field, {name}_share * documents AS filled FROM {health}"
        for name in HEALTH_FIELDS)
    sources = " UNION ALL ".join(
        f"SELECT date, hostname, '{name}' AS field, e.key AS source, e.value AS n "
        f"FROM (SELECT date, hostname, unnest(map_entries({name}_sources)) AS e FROM {health})"
        for name in SOURCED_FIELDS)
    trailing = "{p}.hostname = w.hostname AND {p}.date BETWEEN w.date - {days} AND w.date - 1"
    return f"""
        WITH checked AS (
            SELECT * FROM {health} WHERE pages >= {floor} {only_day}),
        w AS (
            SELECT c.date, c.hostname, any_value(c.pages) AS pages, any_value(c.documents) AS documents,
                   any_value(c.rejects) AS rejects, any_value(c.rejects_by_reason) AS rejects_by_reason,
                   any_value(c.text_words_median) AS text_words_median,
                   count(*) AS history_days, sum(p.pages)::BIGINT AS history_pages,
                   sum(p.documents)::BIGINT AS history_documents, sum(p.rejects)::BIGINT AS history_rejects, median(p.text_words_median) AS history_text_median,
                   any_value(c.article_share) AS article_share, any_value(c.documents_by_kind) AS documents_by_kind,
                   sum(p.article_share * p.documents)
                     / nullif(sum(CASE WHEN p.article_share IS NOT NULL THEN p.documents END), 0) AS history_article_share
            FROM checked c JOIN {health} p
              ON p.hostname = c.hostname AND p.date BETWEEN c.date - {days} AND c.date - 1
            GROUP BY c.date, c.hostname HAVING sum(p.pages) >= {floor}),
        fill AS ({fill}),
        src AS ({sources}),
        field_history AS (
            SELECT w.date, w.hostname, f.field, sum(f.filled) / nullif(any_value(w.history_documents), 0) AS share
            FROM w JOIN fill f ON {trailing.format(p='f', days=days)}
            GROUP BY w.date, w.hostname, f.field),
        source_history AS (
            SELECT w.date, w.hostname, s.field, s.source, sum(s.n) / any_value(w.history_documents) AS share
            FROM w JOIN src s ON {trailing.format(p='s', days=days)}
            GROUP BY w.date, w.hostname, s.field, s.source
            QUALIFY row_number() OVER (PARTITION BY w.date, w.hostname, s.field ORDER BY share DESC, s.source) = 1),
        source_now AS (
            SELECT date, hostname, field, source FROM src
            QUALIFY row_number() OVER (PARTITION BY date, hostname, field ORDER BY n DESC, source) = 1),
        fields AS (
            SELECT w.date, w.hostname, h.field AS measure, h.share AS baseline,
                   f.filled / nullif(w.documents, 0) AS current,
                   sh.source AS baseline_source, sh.share AS baseline_source_share,
                   coalesce(s.n, 0) / nullif(w.documents, 0) AS current_source_share,
                   sn.source AS current_source, w.pages, w.history_days, w.history_pages
            FROM w JOIN field_history h USING (date, hostname)
            JOIN fill f ON f.date = w.date AND f.hostname = w.hostname AND f.field = h.field
            LEFT JOIN source_history sh ON sh.date = w.date AND sh.hostname = w.hostname AND sh.field = h.field
            LEFT JOIN src s ON s.date = w.date AND s.hostname = w.hostname AND s.field = h.field
                           AND s.source = sh.source
            LEFT JOIN source_now sn ON sn.date = w.date AND sn.hostname = w.hostname AND sn.field = h.field),
        alarms AS (
            SELECT date, hostname, measure, baseline, current, baseline_source, current_source, pages,
                   history_days, history_pages,
                   printf('%s: in %.0f%% of documents over the previous days, %.0f%% today', measure,
                          100 * baseline, 100 * current)
                   || CASE WHEN baseline_source IS NULL THEN '' ELSE printf(
                          '; from %s in %.0f%% before, %.0f%% today%s', baseline_source, 100 * baseline_source_share,
                          100 * current_source_share,
                          CASE WHEN current_source <> baseline_source
                               THEN ', now mostly from ' || current_source ELSE '' END) END
                   AS message
            FROM fields
            WHERE round(baseline - current, 9) > {drop}
               OR round(baseline_source_share - current_source_share, 9) > {drop}
            UNION ALL
            SELECT date, hostname, 'text_words_median', history_text_median, text_words_median, NULL, NULL, pages,
                   history_days, history_pages,
                   printf('text_words_median: %.0f words over the previous days (median of daily medians), %.0f today',
                          history_text_median, text_words_median)
            FROM w WHERE text_words_median < {rules.text_ratio} * history_text_median
            UNION ALL
            SELECT date, hostname, 'reject_share', history_rejects / history_pages, rejects / pages, NULL, NULL,
                   pages, history_days, history_pages,
                   printf('reject_share: %.0f%% of pages over the previous days, %.0f%% today (%s)',
                          100 * history_rejects / history_pages, 100 * rejects / pages,
                          array_to_string(list_transform(map_entries(rejects_by_reason),
                                                         lambda e: e.key || ': ' || e.value), ', '))
            FROM w
            WHERE rejects / pages >= {rules.reject_ratio} * history_rejects / history_pages
              AND round(rejects / pages - history_rejects / history_pages, 9) > {rules.reject_rise_points / 100}
            UNION ALL
            SELECT date, hostname, 'article_share', history_article_share, article_share, NULL, NULL, pages,
                   history_days, history_pages,
                   printf('article_share: %.0f%% of documents over the previous days, %.0f%% today (%s)',
                          100 * history_article_share, 100 * article_share,
                          array_to_string(list_transform(map_entries(documents_by_kind),
                                                         lambda e: e.key || ': ' || e.value), ', '))
            FROM w WHERE round(history_article_share - article_share, 9) > {drop})
        SELECT {', '.join(ALARM_COLUMNS)} FROM alarms ORDER BY date, hostname, measure"""


def drift_alarms(health: pa.Table, day: dt.date, rules: DriftRules) -> pa.Table:
    """The drift alarms of `day`, from `health` rows (with `date`) of that day and of its trailing days.

    Columns as `drift_sql`'s; no row for a host below `rules.min_pages` that day or with too little history.
    """
    with duckdb.connect() as con:
        con.register("health_rows", health)
        return con.sql(drift_sql("health_rows", rules, day)).to_arrow_table()
