"""Sources: listing and reading raw objects (JSONL, WARC, HTML, gzipped or not) into raw pages, and decoding their bytes."""
