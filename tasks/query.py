"""Reading the lake: DuckDB views for SQL, pyarrow datasets and pandas frames with the declared types.

Datasets are opened through pyarrow (local or S3 alike: DuckDB's own S3
extension is downloaded on first use, which a machine without internet
cannot do) with the declared schema and partitioning, so `date` reads as a
date, nullable integers stay integers, and partitions written before a new
optional column read as null in it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs

import schemas
from schemas import DATASETS, PARTITION_SCHEMA
from tasks.health.drift import ALARM_COLUMNS, DriftRules, drift_sql
from tasks.lake.storage import Store, check_location, endpoint_from_env, open_store

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.dataset as ds


def dataset(lake: str | Store, name: str, s3_endpoint: str | None = None) -> ds.Dataset:
    """One dataset of the lake (`documents`, `entities`, `rejects`, `health` or `stories`) as a pyarrow dataset.

    Read with its declared schema plus the `date` partition column (date32), whatever the
    files hold. `lake`: a folder or s3://bucket/prefix; `s3_endpoint` defaults to
    AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. Raises KeyError for an unknown name and
    FileNotFoundError when the lake has no such dataset yet.
    """
    import pyarrow.dataset as ds  # here, not at the top: it imports pandas (1 s of CPU)

    store = open_store(lake, endpoint_from_env(s3_endpoint)) if isinstance(lake, str) else lake
    fs, base = store.arrow()
    path = f"{base}/{name}"
    schema = with_partition_column(DATASETS[name])
    if fs.get_file_info(path).type != pafs.FileType.Directory:
        raise FileNotFoundError(f"no {name} dataset under {store.url}")
    return ds.dataset(path, schema=schema, format="parquet", filesystem=fs, partitioning=schemas.PARTITIONING)


def read_pandas(lake: str | Store, name: str, columns: list[str] | None = None, filters: list | None = None,
                s3_endpoint: str | None = None) -> pd.DataFrame:
    """One dataset of the lake as a pandas DataFrame with the declared types.

    `date` holds `datetime.date` values (compare with `datetime.date(2026, 11, 27)`); nullable
    integers (`http_status`, `source_line`, ...) are pandas' Int16/Int32/Int64, never float;
    strings are pandas strings; lists are arrays. `filters` are pyarrow's (DNF, as in
    `pandas.read_parquet`), pushed down to the files; a `date` value may be a date or
    'YYYY-MM-DD'. Needs pandas.
    """
    table = dataset(lake, name, s3_endpoint).to_table(
        columns=columns, filter=_filter_expression(filters) if filters else None)
    return table.to_pandas(types_mapper=_nullable_pandas_type)


def _filter_expression(filters: list) -> ds.Expression:
    import pyarrow.parquet as pq

    dnf = filters if isinstance(filters[0], list) else [filters]
    as_dates = [[(c, op, _as_date(v) if c == "date" else v) for c, op, v in conjunction] for conjunction in dnf]
    return pq.filters_to_expression(as_dates)


def _as_date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(value, (list, tuple, set)):
        return type(value)(_as_date(v) for v in value)
    return value


def _nullable_pandas_type(arrow_type: pa.DataType):
    """pandas' nullable dtype for an Arrow integer, boolean or string type (None: pandas' default)."""
    import pandas as pd

    if pa.types.is_integer(arrow_type):
        kind = "UInt" if pa.types.is_unsigned_integer(arrow_type) else "Int"
        return pd.api.types.pandas_dtype(f"{kind}{arrow_type.bit_width}")
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None


def open_lake(lake: Store, rules: DriftRules | None = None) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """A DuckDB connection with a view per dataset found in the lake, and the views' names.

    With a `health` dataset, also the view `drift`: the drift alarms of every day
    (`tasks.health.drift.drift_sql`) under `rules`, by default those of the environment
    (`DriftRules.from_env`). Raises storage.SetupError, in one sentence saying what to set, when an S3
    lake cannot be listed.
    """
    check_location(lake, "lake")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    views = []
    for name, schema in DATASETS.items():
        try:
            arrow = dataset(lake, name)
        except FileNotFoundError:
            continue
        con.register(f"{name}_arrow", arrow)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_arrow")
        for field in schema:
            description = (field.metadata or {}).get(b"description", b"").decode().replace("'", "''")
            con.execute(f"COMMENT ON COLUMN {name}.{field.name} IS '{description}'")
        con.execute(f"COMMENT ON COLUMN {name}.date IS 'Day the raw pages landed (partition key).'")
        views.append(name)
    if "health" in views:
        con.execute(f"CREATE VIEW drift AS {drift_sql('health', rules or DriftRules.from_env())}")
        for column, description in ALARM_COLUMNS.items():
            quoted = description.replace("'", "''")
            con.execute(f"COMMENT ON COLUMN drift.{column} IS '{quoted}'")
        views.append("drift")
    return con, views


def with_partition_column(schema: pa.Schema) -> pa.Schema:
    return schema.append(PARTITION_SCHEMA.field("date"))


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int) -> tuple[list[str], list[tuple], bool]:
    """Column names, at most `max_rows` rows, and whether more rows were left out."""
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description] if cursor.description else []
    rows = cursor.fetchmany(max_rows + 1)
    return columns, rows[:max_rows], len(rows) > max_rows
