"""Arrow schemas of every dataset Pagefold writes: the one place they are declared."""

from schemas.datasets import DATASETS, DOCUMENTS, PARTITIONING, REJECTS, SCHEMA_VERSION, SORT_KEYS

__all__ = ["DATASETS", "DOCUMENTS", "PARTITIONING", "REJECTS", "SCHEMA_VERSION", "SORT_KEYS"]
