"""Build the BI database aside and swap it in with one rename.

DuckDB lets no other process open a file while a writer holds it, so BI tools must never open the
warehouse. They read publish/tiers.duckdb instead; a copy of it is updated under a temporary name, closed
(no .wal left behind) and renamed over the old file, so a reader sees either the old or the new file whole.
Only the snapshot dates whose rows changed are rewritten (fingerprints.py). A run killed half-way leaves
only its temporary files, which the next publish removes.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.publish import fingerprints, parquet_copies
from pipelines.sql_literals import date_list, sql_str

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


@dataclass
class Published:
    """Rows per published table after a publish, and what it wrote: the tables rewritten whole (first
    publish, changed columns) and, for the others, the snapshot dates rewritten or removed."""

    counts: dict[str, int]
    whole: list[str] = field(default_factory=list)
    dates: dict[str, list[str]] = field(default_factory=dict)


def publish(con: duckdb.DuckDBPyConnection, target: Path, parquet: Path) -> Published:
    """Update a copy of the BI file and new Parquet folders to what the warehouse holds, then swap them in.

    Only the snapshot dates whose rows changed since the last publish are written (fingerprints.py): the
    writes cost what changed; finding it still reads every published view and copies the file. The tables
    are updated in one transaction, so they agree with each other (customer_tiers and segment_summary count
    the same customers). The DuckDB file is swapped first, then the Parquet folders (parquet_copies.py).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    parquet.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target, parquet)
    staging = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.duckdb")
    try:
        before = _attach_copy(con, target, staging)
        result, now = _update_tables(con, before)
        staged = parquet_copies.stage(con, STAGING_ALIAS, parquet, list(PUBLISHED_TABLES), now)
        con.execute(f"DETACH {STAGING_ALIAS}")
        os.replace(staging, target)
        parquet_copies.swap_in(staged, parquet, now)
    finally:
        if STAGING_ALIAS in {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}:
            con.execute(f"DETACH {STAGING_ALIAS}")
        remove_leftovers(target, parquet)
    return result


def _attach_copy(con: duckdb.DuckDBPyConnection, target: Path, staging: Path) -> fingerprints.State:
    """Attach a copy of the published file as the staging database; its stored state ({} when there is none)."""
    if target.is_file():
        shutil.copyfile(target, staging)
        try:
            con.execute(f"ATTACH {sql_str(staging)} AS {STAGING_ALIAS}")
            return fingerprints.read_from_database(con, STAGING_ALIAS)
        except (duckdb.Error, ValueError, TypeError):  # not a file or state we can read: publish anew, whole
            con.execute(f"DETACH DATABASE IF EXISTS {STAGING_ALIAS}")
            staging.unlink(missing_ok=True)
    con.execute(f"ATTACH {sql_str(staging)} AS {STAGING_ALIAS}")
    return {}


def _update_tables(con: duckdb.DuckDBPyConnection, before: fingerprints.State) -> tuple[Published, fingerprints.State]:
    """Rewrite, in one transaction, each table whole or only its changed dates; the rows and the new state."""
    result, now = Published(counts={}), {}
    warehouse = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute("BEGIN TRANSACTION")
    try:
        _drop_unpublished(con)
        for table, order in PUBLISHED_TABLES.items():
            columns = fingerprints.columns(con, warehouse, SOURCE_SCHEMA, table)
            now[table] = _update_table(con, table, order, columns, before.get(table), result)
        fingerprints.write_to_database(con, STAGING_ALIAS, now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result.counts = {table: state.rows() for table, state in now.items()}
    return result, now


def _drop_unpublished(con: duckdb.DuckDBPyConnection) -> None:
    """Tables of the copied file that are no longer published (a table dropped from PUBLISHED_TABLES)."""
    found = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'", [STAGING_ALIAS]
    ).fetchall()
    for (table,) in found:
        if table not in PUBLISHED_TABLES:
            con.execute(f'DROP TABLE {STAGING_ALIAS}.main."{table}"')


def _update_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    order: str,
    columns: str,
    known: fingerprints.TableState | None,
    result: Published,
) -> fingerprints.TableState:
    """One table brought up to date in the staged file (noted in `result`); its new state.

    Without a usable previous state the table is copied whole and fingerprinted from the copy, so its view
    is read once; otherwise the view is fingerprinted and only the dates that differ are rewritten.
    """
    source, staged = f"{SOURCE_SCHEMA}.{table}", f"{STAGING_ALIAS}.{table}"
    in_file = fingerprints.columns(con, STAGING_ALIAS, "main", table)  # the state is trusted only if the file agrees
    if known is not None and known.columns == columns == in_file:
        state = fingerprints.fingerprint(con, source, columns)
        change = state.changed_since(known)
        if change is not None:  # None: a NULL snapshot date, which no date-wise rewrite can reach
            if change != ([], []):
                result.dates[table] = _rewrite_dates(con, table, order, *change)
            return state
    result.whole.append(table)
    con.execute(f"CREATE OR REPLACE TABLE {staged} AS SELECT * FROM {source} ORDER BY {order}")
    return fingerprints.fingerprint(con, staged, columns)


def _rewrite_dates(con: duckdb.DuckDBPyConnection, table: str, order: str, write: list[str], drop: list[str]):
    """Delete the rows of the changed and vanished dates, insert the changed dates' rows anew."""
    con.execute(f"DELETE FROM {STAGING_ALIAS}.{table} WHERE snapshot_date IN ({date_list(write + drop)})")
    if write:
        con.execute(
            f"INSERT INTO {STAGING_ALIAS}.{table} SELECT * FROM {SOURCE_SCHEMA}.{table} "
            f"WHERE snapshot_date IN ({date_list(write)}) ORDER BY {order}"
        )
    return sorted(write + drop)
