"""Write one snapshot's segments, replacing any earlier build of the same snapshot."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

SCHEMA = {
    "customer_key": "VARCHAR", "snapshot_date": "DATE", "market": "VARCHAR", "recency_days": "BIGINT",
    "frequency_365d": "BIGINT", "monetary_365d": "DECIMAL(18,4)", "rfm_r": "INTEGER", "rfm_f": "INTEGER",
    "rfm_m": "INTEGER", "rfm_segment": "VARCHAR", "value_tier": "VARCHAR", "lifecycle_stage": "VARCHAR",
    "cluster_id": "INTEGER", "tier": "VARCHAR", "cluster_name": "VARCHAR", "churn_risk": "DOUBLE",
    "expected_value_365d": "DOUBLE", "profiled": "BOOLEAN", "exclusion_reason": "VARCHAR", "model_version": "VARCHAR",
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


PROFILE_SCHEMA = {
    "snapshot_date": "DATE", "model_version": "VARCHAR", "segmentation": "VARCHAR", "segment": "VARCHAR",
    "customers": "BIGINT", "customer_share": "DOUBLE", "revenue_share": "DOUBLE", "feature": "VARCHAR",
    "segment_mean": "DOUBLE", "overall_mean": "DOUBLE", "index": "DOUBLE",
}  # fmt: skip


def replace_profiles(con: duckdb.DuckDBPyConnection, profiles: pd.DataFrame, snapshot: date, version: str) -> None:
    """segments.segment_profiles for one snapshot, replaced as a whole like the segments themselves."""
    con.execute("CREATE SCHEMA IF NOT EXISTS segments")
    cols = ", ".join(f'"{name}" {sql_type}' for name, sql_type in PROFILE_SCHEMA.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS segments.segment_profiles ({cols})")
    rows = profiles.assign(snapshot_date=snapshot, model_version=version).reindex(columns=list(PROFILE_SCHEMA))
    con.register("_profiles", rows)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM segments.segment_profiles WHERE snapshot_date = ?", [snapshot])
        con.execute("INSERT INTO segments.segment_profiles SELECT * FROM _profiles")
        con.execute("COMMIT")
    finally:
        con.unregister("_profiles")
