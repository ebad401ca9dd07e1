"""Write one snapshot's segments, replacing any earlier build of the same snapshot."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

SCHEMA = {
    "customer_key": "VARCHAR", "snapshot_date": "DATE", "market": "VARCHAR", "recency_days": "BIGINT",
    "frequency_365d": "BIGINT", "monetary_365d": "DECIMAL(18,4)", "rfm_r": "INTEGER", "rfm_f": "INTEGER",
    "rfm_m": "INTEGER", "rfm_segment": "VARCHAR", "value_tier": "VARCHAR", "lifecycle_stage": "VARCHAR",
    "cluster_id": "INTEGER", "tier": "VARCHAR", "profiled": "BOOLEAN", "exclusion_reason": "VARCHAR",
}  # fmt: skip
COLUMNS = list(SCHEMA)


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create segments.customer_segments, or add the columns an older version of it lacks."""
    con.execute("CREATE SCHEMA IF NOT EXISTS segments")
    cols = ", ".join(f"{name} {sql_type}" for name, sql_type in SCHEMA.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS segments.customer_segments ({cols})")
    present = {r[0] for r in con.execute("DESCRIBE segments.customer_segments").fetchall()}
    for name, sql_type in SCHEMA.items():
        if name not in present:
            con.execute(f"ALTER TABLE segments.customer_segments ADD COLUMN {name} {sql_type}")


def replace_snapshot(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, snapshot: date) -> None:
    """Delete-then-insert in one transaction, so re-running a snapshot never duplicates it."""
    ensure_table(con)
    con.register("_segments", segments[COLUMNS])
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM segments.customer_segments WHERE snapshot_date = ?", [snapshot])
        con.execute(f"INSERT INTO segments.customer_segments ({', '.join(COLUMNS)}) SELECT * FROM _segments")
        con.execute("COMMIT")
    finally:
        con.unregister("_segments")
