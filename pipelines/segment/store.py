"""Write one snapshot's segments, replacing any earlier build of the same snapshot."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

COLUMNS = [
    "customer_key",
    "snapshot_date",
    "recency_days",
    "frequency_365d",
    "monetary_365d",
    "cluster_id",
    "tier",
]


def replace_snapshot(con: duckdb.DuckDBPyConnection, segments: pd.DataFrame, snapshot: date) -> None:
    """Delete-then-insert in one transaction, so re-running a snapshot never duplicates it."""
    con.execute("CREATE SCHEMA IF NOT EXISTS segments")
    con.execute("""
        CREATE TABLE IF NOT EXISTS segments.customer_segments (
          customer_key VARCHAR, snapshot_date DATE, recency_days BIGINT, frequency_365d BIGINT,
          monetary_365d DECIMAL(18,4), cluster_id INTEGER, tier VARCHAR)
    """)
    con.register("_segments", segments[COLUMNS])
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM segments.customer_segments WHERE snapshot_date = ?", [snapshot])
        con.execute("INSERT INTO segments.customer_segments SELECT * FROM _segments")
        con.execute("COMMIT")
    finally:
        con.unregister("_segments")
