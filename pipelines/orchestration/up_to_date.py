"""Which snapshots `stratify run` may skip: built before by it, and nothing since could change them.

A snapshot reads only orders on or before its date in UTC (point in time), so files whose orders all fall
after it cannot change it; that is the daily case, and skipping turns a re-run into ingestion plus the load
models. Anything else rebuilds: master data (CRM, stores, FX rates) loaded since, a late file with older
orders, a changed stratify.yaml, or changed code or dbt models. `stratify run --rebuild` ignores this.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb

from pipelines.ingest.contracts import CONTRACTS
from pipelines.resources import REPO_ROOT

DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.snapshot_builds (snapshot_date DATE, built_at TIMESTAMP, fingerprint VARCHAR);
"""
# Order lines loaded since, by the UTC order day the snapshot models read (int_orders__unified turns store times
# into UTC by the store's time zone); `stratify run` builds it in ingest_job, before it judges any snapshot.
_EARLIEST_LATE_LINES = """
SELECT channel, min(order_date) FROM intermediate.int_orders__unified WHERE _loaded_at > ?
GROUP BY channel HAVING min(order_date) <= ? ORDER BY 2, 1 LIMIT 1
"""
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
    if loaded:
        late = con.execute(_EARLIEST_LATE_LINES, [built_at, snapshot]).fetchall()
        if late:
            return f"{late[0][0]} orders of {late[0][1]} loaded since it was built"
    return None
