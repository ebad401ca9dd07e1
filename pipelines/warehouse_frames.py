"""Query results as pandas frames, through Arrow, typed as DuckDB's own `.df()` types them.

The segment stage reads a million customers per snapshot. `.df()` builds a Python string for every
VARCHAR value (about 0.6 s per million customer keys on the benchmark machine, 1.4 s for the feature
table's seven text columns); Arrow hands pandas its string buffers instead. Callers and saved fingerprints
rely on `.df()`'s types, so those are kept: DECIMAL as float64, DATE as datetime64[us], integer or
boolean columns holding NULLs as pandas' nullable Int*/boolean (plain numpy types when they hold none),
and a text column without any text as object.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa


def _column(values: pa.ChunkedArray) -> pd.Series | pd.api.extensions.ExtensionArray:
    kind = values.type
    if values.null_count == len(values) and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return pd.Series(values.to_pylist(), dtype=object)  # as .df() gives a text column without text
    if pa.types.is_decimal(kind):
        return values.cast(pa.float64()).to_pandas()
    if pa.types.is_date(kind):
        return values.cast(pa.timestamp("us")).to_pandas()
    if values.null_count and pa.types.is_integer(kind):
        nullable = f"{'UInt' if pa.types.is_unsigned_integer(kind) else 'Int'}{kind.bit_width}"
        return values.to_pandas(types_mapper={kind: pd.api.types.pandas_dtype(nullable)}.get)
    if values.null_count and pa.types.is_boolean(kind):
        return values.to_pandas(types_mapper={kind: pd.BooleanDtype()}.get)
    return values.to_pandas()


# DuckDB type ids whose Arrow form _column turns into exactly what .df() gives; others (enums, intervals,
# UUIDs, zoned timestamps, nested types) are left to .df().
CONVERTED = frozenset({
    "boolean", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger", "ubigint",
    "float", "double", "decimal", "varchar", "date", "timestamp",
})  # fmt: skip


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    """The rows of a read-only query, the frame `con.execute(sql, params).df()` would give, made faster;
    a result with a column type not converted here, or a repeated column name, is fetched by .df() itself.
    The result's types are known before it runs, so the query runs once either way."""
    relation = con.sql(sql, params=params or None)
    names = relation.columns
    if len(set(names)) < len(names) or not all(kind.id in CONVERTED for kind in relation.types):
        return relation.df()
    table = relation.to_arrow_table()
    return pd.DataFrame({name: _column(table.column(name)) for name in names}, columns=names)
