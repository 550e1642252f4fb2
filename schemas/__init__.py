"""Arrow schemas of every dataset Pagefold writes: the one place they are declared."""

from schemas.datasets import DATASETS, DOCUMENTS, ENTITIES, PARTITIONING, REJECTS, SCHEMA_VERSION, SORT_KEYS, STORIES

__all__ = ["DATASETS", "DOCUMENTS", "ENTITIES", "PARTITIONING", "REJECTS", "SCHEMA_VERSION", "SORT_KEYS", "STORIES"]
