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
TIME_ZONE_MARGIN = timedelta(days=1)
_CODE = ("pipelines", "dbt_project/models", "dbt_project/macros", "dbt_project/tests", "expectations")


def fingerprint(config_file: Path) -> str:
    """A hash of the config and of every file of code, SQL and expectations a snapshot is built from."""
    digest = hashlib.sha256(config_file.read_bytes())
    for root in _CODE:
        for path in sorted((REPO_ROOT / root).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".sql", ".yml", ".json"}:
                digest.update(str(path.relative_to(REPO_ROOT)).encode() + path.read_bytes())
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
        first = con.execute(
            f"SELECT min(CAST(ordered_at AS DATE)) FROM raw.{source} WHERE _loaded_at > ?", [built_at]
        ).fetchall()[0][0]
        if first is not None and first <= snapshot + TIME_ZONE_MARGIN:
            return f"{source} orders of {first} loaded since it was built"
    return None
