"""Running a day: batches of raw objects, the extraction pool, progress, stopping, the day's commit, summaries, backfill plans."""
