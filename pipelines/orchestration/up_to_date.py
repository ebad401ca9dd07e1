"""Which snapshots `stratify run` may skip: built before by it, and nothing since could change them.

A snapshot reads only orders on or before its date (point in time), so files whose orders all fall after
it cannot change it; that is the daily case, and skipping turns a re-run into ingestion plus the load
models. Anything else rebuilds: master data (CRM, stores, FX rates) loaded since, a late file with older
orders, a changed stratify.yaml, or changed code or dbt models. `stratify run --rebuild` ignores this.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipelines.ingest.contracts import CONTRACTS
from pipelines.resources import REPO_ROOT

DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.snapshot_builds (snapshot_date DATE, built_at TIMESTAMP, fingerprint VARCHAR);
"""
# Local order times can be up to 14 h ahead of UTC: a line stamped the day after a snapshot may belong to it.
# Sources whose timestamps carry their offset (TIMESTAMPTZ), and store times placed by their store's time zone,
# are judged by their exact UTC day instead.
TIME_ZONE_MARGIN = timedelta(days=1)
# Folders and files; the dbt project and profile set model configs (materializations, +tags, vars, threads).
_CODE = (
    "pipelines",
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/tests",
    "dbt_project/dbt_project.yml",
    "dbt_project/profiles.yml",
    "expectations",
)


def fingerprint(config_file: Path, repo: Path = REPO_ROOT) -> str:
    """A hash of the config and of every file of code, SQL and expectations a snapshot is built from."""
    digest = hashlib.sha256(config_file.read_bytes())
    for root in (repo / name for name in _CODE):
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".sql", ".yml", ".json"}:
                digest.update(str(path.relative_to(repo)).encode() + path.read_bytes())
    return digest.hexdigest()


def record_build(con: duckdb.DuckDBPyConnection, snapshot: date, stamp: str) -> None:
    con.execute(DDL)
    con.execute("DELETE FROM ops.snapshot_builds WHERE snapshot_date = ?", [snapshot])
    con.execute("INSERT INTO ops.snapshot_builds VALUES (?, now()::TIMESTAMP, ?)", [snapshot, stamp])


def why_rebuild(con: duckdb.DuckDBPyConnection, snapshot: date, stamp: str) -> str | None:
    """None when the snapshot is up to date, else the reason it must be built."""
    con.execute(DDL)
    rows = con.execute(
        "SELECT built_at, fingerprint FROM ops.snapshot_builds WHERE snapshot_date = ?", [snapshot]
    ).fetchall()
    if not rows:
        return "not built by `stratify run` before"
    built_at, built_print = rows[0]
    if built_print != stamp:
        return "config, code or models changed since it was built"
    loaded = con.execute(
        "SELECT DISTINCT source FROM ops.load_ledger WHERE loaded_at > ? AND rows_accepted > 0", [built_at]
    ).fetchall()
    for (source,) in loaded:
        if not CONTRACTS[source].is_event:
            return f"{source} loaded since it was built"
        first, margin = _first_order_day(con, source, built_at)
        if first is not None and first <= snapshot + margin:
            return f"{source} orders of {first} loaded since it was built"
    return None


def _first_order_day(con: duckdb.DuckDBPyConnection, source: str, since) -> tuple[date | None, timedelta]:
    """The earliest order day among a source's lines loaded since, and how far past a snapshot it may be
    and still belong to it. The day is the UTC day the snapshot models give a line: a TIMESTAMPTZ's own, or a
    store's local time turned to UTC by the store's time zone (kept as it is for a store without one, as
    int_orders__unified does). Only local times with no store to place them may be a day ahead."""
    contract = CONTRACTS[source]
    if contract.column("ordered_at").sql_type == "TIMESTAMPTZ":
        day, join, margin = "CAST(timezone('UTC', line.ordered_at) AS DATE)", "", timedelta(0)
    elif "store_id" in contract.names:  # raw.stores exists: the snapshot's dbt models read it
        day, join, margin = _STORE_UTC_DAY, _STORE_JOIN, timedelta(0)
    else:
        day, join, margin = "CAST(line.ordered_at AS DATE)", "", TIME_ZONE_MARGIN
    sql = f"SELECT min({day}) FROM raw.{source} AS line {join} WHERE line._loaded_at > ?"
    return con.execute(sql, [since]).fetchall()[0][0], margin


# The stores as stg_stores__stores keeps them (ids trimmed and upper-cased, the latest row per store), and
# the to_utc macro's conversion.
_STORE_JOIN = """LEFT JOIN (
    SELECT upper(trim(store_id)) AS store_id, trim(timezone) AS timezone FROM raw.stores
    QUALIFY row_number() OVER (PARTITION BY upper(trim(store_id)) ORDER BY _loaded_at DESC) = 1
) AS store ON upper(trim(line.store_id)) = store.store_id"""
_STORE_UTC_DAY = (
    "CAST(coalesce(CAST(timezone('UTC', timezone(store.timezone, line.ordered_at)) AS TIMESTAMP), line.ordered_at)"
    " AS DATE)"
)
