"""Load one source's landed files: validate in SQL, keep accepted rows, quarantine the rest.

Every row read ends in exactly one place (raw.<source> or ops.quarantine) and every file gets one
ledger row with the counts, so a load can always be reconciled.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.config import SourceConfig
from pipelines.ingest.contracts import Contract
from pipelines.ingest.readers import header_error, read_as_text
from pipelines.ingest.rules import reason_expression

OPS_DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.load_ledger (
  path VARCHAR, sha256 VARCHAR, source VARCHAR, rows_read BIGINT, rows_accepted BIGINT,
  rows_quarantined BIGINT, status VARCHAR, error VARCHAR, load_id VARCHAR, loaded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.quarantine (
  source VARCHAR, path VARCHAR, row_number BIGINT, raw_record VARCHAR, reason VARCHAR,
  load_id VARCHAR, quarantined_at TIMESTAMP);
"""


@dataclass(frozen=True)
class FileLoad:
    path: str
    status: str  # loaded | rejected | skipped_duplicate | unchanged
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    error: str | None = None


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the ops tables and the typed raw table, so downstream SQL works even with no files."""
    con.execute(OPS_DDL)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    cols = ", ".join(f"{c.name} {c.sql_type}" for c in contract.columns)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS raw.{contract.source} ({cols}, _source_file VARCHAR, "
        "_row_number BIGINT, _load_id VARCHAR, _loaded_at TIMESTAMP)"
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cast(col, source: SourceConfig) -> str:
    text = f"nullif(trim(t.{col.name}), '')"
    if col.sql_type == "VARCHAR":
        return text
    if col.sql_type.startswith(("DECIMAL", "INTEGER", "DOUBLE", "BIGINT")) and source.format == "csv":
        if source.csv.decimal == ",":
            text = f"replace(replace({text}, '.', ''), ',', '.')"
    return f"TRY_CAST({text} AS {col.sql_type})"


def _validate(con: duckdb.DuckDBPyConnection, contract: Contract, source: SourceConfig) -> None:
    """Build temp table `_checked`: canonical typed columns plus `_reason` (NULL when the row is valid)."""
    renames = ", ".join(
        f'"{source.columns[c]}" AS {c}' if c in source.columns else f"NULL AS {c}" for c in contract.names
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _text AS SELECT _row, {renames} FROM _file")
    casts = ", ".join(f"{_cast(c, source)} AS {c.name}" for c in contract.columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _checked AS SELECT c.*, {reason_expression(contract)} AS _reason "
        f"FROM _text t JOIN (SELECT t._row, {casts} FROM _text t) c USING (_row)"
    )
    key = ", ".join(contract.key)
    key_match = " AND ".join(f"r.{k} = k.{k}" for k in contract.key)
    con.execute(f"""
        UPDATE _checked SET _reason = 'duplicate line key' WHERE _row IN (
          SELECT _row FROM (
            SELECT _row, {key}, row_number() OVER (PARTITION BY {key} ORDER BY _row) AS n
            FROM _checked WHERE _reason IS NULL) k
          WHERE n > 1 OR EXISTS (SELECT 1 FROM raw.{contract.source} r WHERE {key_match}))
    """)


def _already_seen(con, contract: Contract, path: str, sha: str) -> FileLoad | None:
    """Skip a file whose content was loaded before: silently at the same path, on the ledger elsewhere."""
    rows = con.execute(
        "SELECT path FROM ops.load_ledger WHERE source = ? AND sha256 = ?", [contract.source, sha]
    ).fetchall()
    if not rows:
        return None
    if any(r[0] == path for r in rows):
        return FileLoad(path, "unchanged")
    return FileLoad(path, "skipped_duplicate", error=f"same content as already loaded {rows[0][0]}")


def _record(con, contract: Contract, sha: str, load: FileLoad, load_id: str) -> FileLoad:
    con.execute(
        "INSERT INTO ops.load_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [
            load.path,
            sha,
            contract.source,
            load.rows_read,
            load.rows_accepted,
            load.rows_quarantined,
            load.status,
            load.error,
            load_id,
        ],
    )
    return load


def load_file(con, path: Path, contract: Contract, source: SourceConfig, load_id: str) -> FileLoad:
    """Load one file in one transaction and return what happened to its rows."""
    sha, name = sha256_of(path), str(path)
    seen = _already_seen(con, contract, name, sha)
    if seen is not None:
        return seen if seen.status == "unchanged" else _record(con, contract, sha, seen, load_id)
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            found = read_as_text(con, path, source)
        except duckdb.Error as exc:
            error = f"{path}: unreadable as {source.format}: {exc}"
            found = None
        else:
            error = header_error(path, found, source.columns)
        if error:
            read = con.execute("SELECT count(*) FROM _file").fetchone()[0] if found is not None else 0
            load = _record(con, contract, sha, FileLoad(name, "rejected", read, 0, 0, error), load_id)
        else:
            load = _record(con, contract, sha, _insert_rows(con, contract, source, name, load_id), load_id)
        con.execute("COMMIT")
        return load
    except Exception:
        con.execute("ROLLBACK")
        raise


def _insert_rows(con, contract: Contract, source: SourceConfig, path: str, load_id: str) -> FileLoad:
    _validate(con, contract, source)
    cols = ", ".join(contract.names)
    con.execute(
        f"INSERT INTO raw.{contract.source} SELECT {cols}, ?, _row, ?, now()::TIMESTAMP "
        "FROM _checked WHERE _reason IS NULL ORDER BY _row",
        [path, load_id],
    )
    con.execute(
        "INSERT INTO ops.quarantine SELECT ?, ?, c._row, to_json(f)::VARCHAR, c._reason, ?, now()::TIMESTAMP "
        "FROM _checked c JOIN _file f USING (_row) WHERE c._reason IS NOT NULL ORDER BY c._row",
        [contract.source, path, load_id],
    )
    read, accepted = con.execute(
        "SELECT count(*), count(*) FILTER (_reason IS NULL) FROM _checked"
    ).fetchone()
    return FileLoad(path, "loaded", read, accepted, read - accepted)
