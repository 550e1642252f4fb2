"""Pure functions that do Pagefold's work; Prefect tasks in `flows/` wrap them.

Sub-packages, each importing only those listed before it (tests/test_layers.py checks this):

    lake        the ground floor: storage (a folder or S3), staging and day partitions, day locks, row checks
    stories     similarity signatures, which texts are copies, a day's stories matched at its commit
    records     (module) the record types a batch passes along, and a capture's host
    health      per-host counts of a day, drift alarms
    sources     raw objects to raw pages (JSONL, WARC, HTML), bytes to text
    entities    people, organisations and places of a document
    extraction  one raw page to one document row or a reject
    query       (module) reading the lake: DuckDB views, pyarrow datasets, pandas (the analysts' entry point)
    running     batches, the extraction pool, progress, stopping, the day's commit, summaries, backfill plans
"""
