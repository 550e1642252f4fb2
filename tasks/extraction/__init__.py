"""Extraction: one raw page to one document row or a reject (body, title, authors, dates, language, wire, paywall)."""

from __future__ import annotations


def extract_chunk(pages: list, limits) -> list:
    """`page.extract_pages(pages, limits)`, imported where it runs: the process that hands chunks to the extraction
    workers (tasks.running.batch) never loads trafilatura, lxml and the rest of extraction (0.5 s of its start)."""
    from tasks.extraction.page import extract_pages

    return extract_pages(pages, limits)
