"""Extraction: one raw page to one document row or a reject (body, title, authors, dates, language, wire, paywall)."""
