"""The lake's ground floor: one storage interface (a folder or S3), staging and day partitions, day locks, row checks."""
