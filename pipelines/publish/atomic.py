"""Build the BI database aside and swap it in with one rename.

DuckDB lets no other process open a file while a writer holds it, so BI tools must never open the
warehouse. They read publish/tiers.duckdb instead; it is written under a temporary name, closed (no
.wal left behind) and renamed over the old file, so a reader sees either the old or the new file whole.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

# Published table -> query over the warehouse. Only opaque keys and derived values: no PII.
PUBLISHED_TABLES = {
    "customer_tiers": """
        SELECT customer_key, snapshot_date, market, tier, cluster_id, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier,
               lifecycle_stage, recency_days, frequency_365d, monetary_365d, profiled, exclusion_reason
        FROM segments.customer_segments
        WHERE snapshot_date = (SELECT max(snapshot_date) FROM segments.customer_segments)
        ORDER BY customer_key""",
    "customer_tier_history": """
        SELECT customer_key, snapshot_date, market, tier, cluster_id, rfm_r, rfm_f, rfm_m, rfm_segment, value_tier,
               lifecycle_stage, recency_days, frequency_365d, monetary_365d, profiled, exclusion_reason
        FROM segments.customer_segments ORDER BY snapshot_date, customer_key""",
}


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def publish_database(con: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Write every published table into a new file next to `target`, then atomically replace it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.duckdb")
    counts = {}
    try:
        con.execute(f"ATTACH {_sql_str(staging)} AS publish_staging")
        for table, query in PUBLISHED_TABLES.items():
            con.execute(f"CREATE TABLE publish_staging.{table} AS {query}")
            counts[table] = con.execute(f"SELECT count(*) FROM publish_staging.{table}").fetchall()[0][0]
        con.execute("DETACH publish_staging")
        os.replace(staging, target)
    finally:
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts


def publish_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Parquet copies partitioned by snapshot_date, each table's folder replaced as a whole."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, query in PUBLISHED_TABLES.items():
        fresh = folder / f".{table}.{uuid.uuid4().hex}"
        con.execute(f"COPY ({query}) TO {_sql_str(fresh)} (FORMAT parquet, PARTITION_BY (snapshot_date))")
        final, old = folder / table, folder / f".{table}.old.{uuid.uuid4().hex}"
        if final.exists():
            final.rename(old)
        fresh.rename(final)
        shutil.rmtree(old, ignore_errors=True)
