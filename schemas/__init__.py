"""Arrow schemas of every dataset Pagefold writes: the one place they are declared."""

from schemas.datasets import (
                              DATASETS,
                              DOCUMENTS,
                              ENTITIES,
                              HEALTH,
                              HEALTH_FIELDS,
                              PAGE_KINDS,
                              PARTITION_SCHEMA,
                              REJECTS,
                              SCHEMA_VERSION,
                              SORT_KEYS,
                              STAGED,
                              STORIES,
)

__all__ = ["DATASETS", "DOCUMENTS", "ENTITIES", "HEALTH", "HEALTH_FIELDS", "PAGE_KINDS", "PARTITION_SCHEMA", "PARTITIONING",
           "REJECTS", "SCHEMA_VERSION", "SORT_KEYS", "STAGED", "STORIES"]


def __getattr__(name: str):
    """PARTITIONING on first use (see schemas.datasets)."""
    from schemas import datasets

    return getattr(datasets, name)
