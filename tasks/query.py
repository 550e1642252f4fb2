"""SQL over the lake with DuckDB, each dataset registered as a view.

Datasets are opened through pyarrow (local or S3 alike, since DuckDB's own
S3 extension cannot be installed offline) with the declared schema, so
partitions written before a new optional column read as null in it.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from schemas import DATASETS, PARTITIONING
from tasks.storage import Store


def open_lake(lake: Store) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """A DuckDB connection with a view per dataset found in the lake, and the views' names."""
    fs, base = lake.arrow()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    views = []
    for name, schema in DATASETS.items():
        path = f"{base}/{name}"
        if fs.get_file_info(path).type != pafs.FileType.Directory:
            continue
        dataset = ds.dataset(path, schema=with_partition_column(schema), format="parquet", filesystem=fs,
                             partitioning=PARTITIONING)
        con.register(f"{name}_arrow", dataset)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_arrow")
        for field in schema:
            description = (field.metadata or {}).get(b"description", b"").decode().replace("'", "''")
            con.execute(f"COMMENT ON COLUMN {name}.{field.name} IS '{description}'")
        con.execute(f"COMMENT ON COLUMN {name}.date IS 'Day the raw pages landed (partition key).'")
        views.append(name)
    return con, views


def with_partition_column(schema: pa.Schema) -> pa.Schema:
    return schema.append(PARTITIONING.schema.field("date"))


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int) -> tuple[list[str], list[tuple], bool]:
    """Column names, at most `max_rows` rows, and whether more rows were left out."""
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description] if cursor.description else []
    rows = cursor.fetchmany(max_rows + 1)
    return columns, rows[:max_rows], len(rows) > max_rows
