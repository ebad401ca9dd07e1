"""Build the BI database aside and swap it in with one rename.

DuckDB lets no other process open a file while a writer holds it, so BI tools must never open the
warehouse. They read publish/tiers.duckdb instead; it is written under a temporary name, closed (no
.wal left behind) and renamed over the old file, so a reader sees either the old or the new file whole.
A run killed half-way leaves only its temporary files, which the next publish removes.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import duckdb

# Published table -> its sort order. Each is the dbt view marts.<table> (dbt_project/models/marts/,
# contracts in _marts__published.yml): the shapes, the opaque customer ids and the docs live there.
PUBLISHED_TABLES = {
    "customer_tiers": "customer_key",
    "customer_tier_history": "snapshot_date, customer_key",
    "segment_summary": "snapshot_date, segmentation, market, segment",
    "tier_migration": "snapshot_date, segmentation, from_segment, to_segment",
    "drift_metrics": "snapshot_date, metric, subject",
}
SOURCE_SCHEMA = "marts"
STAGING_ALIAS = "publish_staging"
_HEX = "[0-9a-f]{32}"


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def remove_leftovers(target: Path, parquet: Path) -> list[str]:
    """Delete the temporary files of publishes that died before their rename (names only this module makes)."""
    staging = re.compile(rf"\.{re.escape(target.stem)}\.{_HEX}\.duckdb(\.wal)?")
    folders = re.compile(rf"\.[a-z_]+\.(old\.)?{_HEX}")
    removed = []
    for folder, pattern in ((target.parent, staging), (parquet, folders)):
        for path in folder.glob(".*") if folder.is_dir() else []:
            if pattern.fullmatch(path.name):
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
                removed.append(path.name)
    return removed


def publish(con: duckdb.DuckDBPyConnection, target: Path, parquet: Path) -> dict[str, int]:
    """Copy every published table into a new file and new Parquet folders, then swap them in.

    The tables are copied in one transaction, so they agree with each other (customer_tiers and
    segment_summary count the same customers). The DuckDB file is swapped first, then each Parquet folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    parquet.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target, parquet)
    staging = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.duckdb")
    fresh = {table: parquet / f".{table}.{uuid.uuid4().hex}" for table in PUBLISHED_TABLES}
    try:
        con.execute(f"ATTACH {_sql_str(staging)} AS {STAGING_ALIAS}")
        counts = _copy_tables(con)
        for table, folder in fresh.items():
            if counts[table]:  # an empty table writes no folder; _swap_folder publishes an empty one
                con.execute(
                    f"COPY {STAGING_ALIAS}.{table} TO {_sql_str(folder)} (FORMAT parquet, PARTITION_BY (snapshot_date))"
                )
        con.execute(f"DETACH {STAGING_ALIAS}")
        os.replace(staging, target)
        for table, folder in fresh.items():
            _swap_folder(folder, parquet / table)
    finally:
        if STAGING_ALIAS in {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}:
            con.execute(f"DETACH {STAGING_ALIAS}")
        remove_leftovers(target, parquet)
    return counts


def _copy_tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    con.execute("BEGIN TRANSACTION")
    try:
        for table, order in PUBLISHED_TABLES.items():
            con.execute(
                f"CREATE TABLE {STAGING_ALIAS}.{table} AS SELECT * FROM {SOURCE_SCHEMA}.{table} ORDER BY {order}"
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {t: con.execute(f"SELECT count(*) FROM {STAGING_ALIAS}.{t}").fetchall()[0][0] for t in PUBLISHED_TABLES}


def _swap_folder(fresh: Path, final: Path) -> None:
    """Two renames: a reader listing the folder in between finds it missing for a moment, never half-written."""
    fresh.mkdir(exist_ok=True)
    old = final.with_name(f".{final.name}.old.{uuid.uuid4().hex}")
    if final.exists():
        final.rename(old)
    fresh.rename(final)
    shutil.rmtree(old, ignore_errors=True)
