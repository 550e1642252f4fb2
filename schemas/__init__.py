"""Arrow schemas of every dataset Pagefold writes: the one place they are declared."""

from schemas.datasets import (
                              DATASETS,
                              DOCUMENTS,
                              ENTITIES,
                              HEALTH,
                              HEALTH_FIELDS,
                              PAGE_KINDS,
                              PARTITIONING,
                              REJECTS,
                              SCHEMA_VERSION,
                              SORT_KEYS,
                              STAGED,
                              STORIES,
)

__all__ = ["DATASETS", "DOCUMENTS", "ENTITIES", "HEALTH", "HEALTH_FIELDS", "PAGE_KINDS", "PARTITIONING", "REJECTS", "SCHEMA_VERSION",
           "SORT_KEYS", "STAGED", "STORIES"]
