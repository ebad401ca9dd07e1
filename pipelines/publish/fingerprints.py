"""What a publish holds, per table and snapshot date, so the next publish rewrites only the dates that changed.

Every publish used to copy every snapshot of history into a new file and new Parquet folders, so its cost
grew with each snapshot kept. A date's fingerprint is its row count and the sum of its rows' hashes (DuckDB's
hash of the whole row): equal fingerprints mean the same rows, in any order, short of a 64-bit collision. A
table's columns and their types are part of its state: a changed shape republishes the table whole.

The BI file keeps its state in a table of its own (STATE_SCHEMA.STATE_TABLE), swapped in with the data it
describes; the Parquet folders keep theirs in a hidden JSON file (PARQUET_STATE) that a publish removes before
touching any folder and writes back after the last one, so a publish killed half-way leaves no state and the
next one rewrites the Parquet copies whole.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

STATE_SCHEMA, STATE_TABLE = "_stratify", "published"
PARQUET_STATE = ".stratify-published.json"


@dataclass
class TableState:
    """One published table: its column list ('name type, ...') and a fingerprint per snapshot date (ISO)."""

    columns: str
    dates: dict[str, str] = field(default_factory=dict)

    def changed_since(self, before: TableState | None) -> tuple[list[str], list[str]] | None:
        """(dates to write, dates to delete) to turn `before` into this state; None when only a whole rewrite can."""
        if before is None or before.columns != self.columns or "null" in self.dates or "null" in before.dates:
            return None
        write = sorted(d for d, fp in self.dates.items() if before.dates.get(d) != fp)
        return write, sorted(set(before.dates) - set(self.dates))

    def rows(self, dates: list[str] | None = None) -> int:
        """Rows of the given dates (all by default), read off the fingerprints ('count:hash') without a query."""
        return sum(int(fp.split(":")[0]) for d, fp in self.dates.items() if dates is None or d in dates)


State = dict[str, TableState]


def columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> str:
    """The table's columns and types, in order, as one string ('' when there is no such table)."""
    found = con.execute(
        "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) "
        "FROM information_schema.columns WHERE table_catalog = ? AND table_schema = ? AND table_name = ?",
        [database, schema, table],
    ).fetchall()[0][0]
    return found or ""


def fingerprint(con: duckdb.DuckDBPyConnection, relation: str, columns: str) -> TableState:
    """The per-date fingerprints of `relation` (a table or view name) as `con` sees it now."""
    rows = con.execute(
        f"SELECT snapshot_date, count(*), sum(hash(t)) FROM {relation} AS t GROUP BY snapshot_date"
    ).fetchall()
    return TableState(columns, {("null" if d is None else d.isoformat()): f"{n}:{h}" for d, n, h in rows})


def read_from_database(con: duckdb.DuckDBPyConnection, alias: str) -> State:
    """The state stored in the attached BI file `alias`; empty for a file published before states were kept."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [alias, STATE_SCHEMA, STATE_TABLE],
    ).fetchall()[0][0]
    if not found:
        return {}
    rows = con.execute(f"SELECT * FROM {alias}.{STATE_SCHEMA}.{STATE_TABLE}").fetchall()
    return _from_rows(rows)


def write_to_database(con: duckdb.DuckDBPyConnection, alias: str, state: State) -> None:
    """Replace the state stored in the attached BI file `alias` (inside the caller's transaction)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {alias}.{STATE_SCHEMA}")
    con.execute(
        f"CREATE OR REPLACE TABLE {alias}.{STATE_SCHEMA}.{STATE_TABLE} "
        "(table_name VARCHAR, columns VARCHAR, snapshot_date VARCHAR, fingerprint VARCHAR)"
    )
    rows = _to_rows(state)
    if rows:
        con.executemany(f"INSERT INTO {alias}.{STATE_SCHEMA}.{STATE_TABLE} VALUES (?, ?, ?, ?)", rows)


def read_parquet_state(folder: Path) -> State:
    """The Parquet folders' state; empty when the file is missing or unreadable (then everything is rewritten)."""
    try:
        return _from_rows([tuple(r) for r in json.loads((folder / PARQUET_STATE).read_text(encoding="utf-8"))])
    except (OSError, ValueError, TypeError):
        return {}


def forget_parquet_state(folder: Path) -> None:
    (folder / PARQUET_STATE).unlink(missing_ok=True)


def write_parquet_state(folder: Path, state: State) -> None:
    staged = folder / f"{PARQUET_STATE}.tmp"  # one name: a kill here leaves one file, overwritten next time
    staged.write_text(json.dumps(_to_rows(state)), encoding="utf-8")
    os.replace(staged, folder / PARQUET_STATE)


def _to_rows(state: State) -> list[tuple[str, str, str | None, str | None]]:
    rows = []
    for table, ts in state.items():
        rows += [(table, ts.columns, d, fp) for d, fp in ts.dates.items()] or [(table, ts.columns, None, None)]
    return rows


def _from_rows(rows) -> State:
    state: State = {}
    for table, columns, snapshot, fingerprint in rows:
        ts = state.setdefault(table, TableState(columns))
        if snapshot is not None:
            ts.dates[snapshot] = fingerprint
    return state
