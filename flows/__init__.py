"""Prefect flows and the `pagefold` command line: orchestration only."""
