"""Load one source's landed files: validate in SQL, keep accepted rows, quarantine the rest.

Every row read ends in exactly one place (raw.<source> or ops.quarantine) and every file gets one
ledger row with the counts, so a load can always be reconciled.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.config import FileSet, SourceConfig
from pipelines.ingest.contracts import Column, Contract
from pipelines.ingest.readers import (
    FILE_COLUMN,
    header_error,
    ident,
    peek_columns,
    read_as_text,
    sql_str,
)
from pipelines.ingest.rules import (
    RuleContext,
    country_lookup,
    duplicate_reason,
    reason_expression,
    typed_expression,
)

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


@dataclass(frozen=True)
class LoadRequest:
    """One file to load and everything needed to judge its rows."""

    path: Path
    contract: Contract
    source: SourceConfig
    fileset: FileSet
    rules: RuleContext
    load_id: str


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the ops tables and the typed raw table, so downstream SQL works even with no files."""
    con.execute(OPS_DDL)
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    cols = ", ".join(f"{c.stored_name} {c.sql_type}" for c in contract.columns)
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


def _generated(req: LoadRequest) -> set[str]:
    """Columns the file lacks that take the row's number in its file (exports without line ids)."""
    return {
        c.name
        for c in req.contract.columns
        if c.kind == "row_number" and c.name not in req.fileset.columns and c.name not in req.source.constants
    }


def _text_of(col: Column, req: LoadRequest) -> str:
    """The file's text for a canonical column: its mapped column, a constant, or NULL (row numbers come later)."""
    if col.name in req.fileset.columns:
        # Trimmed once here, with '' as NULL, so every rule and cast downstream sees clean text.
        return f"nullif(trim(CAST(f.{ident(req.fileset.columns[col.name])} AS VARCHAR)), '')"
    if col.name in req.source.constants:
        return sql_str(req.source.constants[col.name])
    return "CAST(NULL AS VARCHAR)"


def _masked_record(req: LoadRequest, found: list[str]) -> str:
    """The original record (`_file f`) as JSON, with PII values masked (quarantine is in the warehouse)."""
    pii = {
        req.fileset.columns[c.name]
        for c in req.contract.columns
        if c.kind.startswith("pii_") and c.name in req.fileset.columns
    }
    masked = "CASE WHEN {v} IS NULL THEN NULL ELSE '***' END"
    fields = ", ".join(
        f"{ident(col)} := " + (masked if col in pii else "CAST({v} AS VARCHAR)").format(v=f"f.{ident(col)}")
        for col in found
    )
    return f"to_json(struct_pack({fields}))::VARCHAR"


def _judge(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> None:
    """Type and judge every row of the batch's text (`_file`) once, into `_judged`.

    `_judged` holds each row's `_seq` (rowid in `_file`), file, row number in its file, typed columns and
    first broken rule. Row numbers come from `_file`, a plain scan that DuckDB writes in file order;
    everything after carries `_seq` explicitly, so no later step depends on the order rows are written in.
    """
    contract = req.contract
    texts = ", ".join(f"{_text_of(c, req)} AS _t_{c.name}" for c in contract.columns)
    country = next((c.name for c in contract.columns if c.kind == "country"), None)
    if country:
        rows = con.execute("SELECT key, alpha2, calling_code FROM ref.countries").fetchall()
        alpha2, calling_code = country_lookup(f"_t_{country}", rows)
    else:
        alpha2, calling_code = "NULL", "CAST(NULL AS INTEGER)"
    typed = ", ".join(f"{typed_expression(c, req.fileset)} AS {c.name}" for c in contract.columns)
    reason = reason_expression(contract, req.rules, skip_required=_generated(req))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _judged AS
        WITH texts AS (
            SELECT f.rowid AS _seq, f.{FILE_COLUMN} AS _file_path, f.rowid - o.first_rowid + 1 AS _row, {texts}
            FROM _file f JOIN _offsets o ON f.{FILE_COLUMN} = o.file
        ),
        located AS (SELECT *, {alpha2} AS _rc_alpha2, {calling_code} AS _rc_calling_code FROM texts),
        typed AS (SELECT *, {typed} FROM located)
        SELECT _seq, _file_path, _row, {", ".join(contract.names)}, {reason} AS _first_reason FROM typed
    """)


def _rows_sql(req: LoadRequest) -> str:
    """`_judged` with generated row-number columns filled in."""
    generated = _generated(req)
    cols = ", ".join(
        f"CAST(_row AS {c.sql_type}) AS {c.name}" if c.name in generated else c.name for c in req.contract.columns
    )
    return f"SELECT _seq, _file_path, _row, {cols}, _first_reason FROM _judged"


def _earlier_keys(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> str | None:
    """The source's raw table as a relation of keys loaded before, or None when it holds no row yet.

    Only event sources (order lines) are checked across loads: master data (CRM, stores, FX) is re-sent
    on purpose and its latest version wins in staging. Every stored line is checked, not only those near
    the batch's dates, so an order line's key is in raw at most once and staging need not de-duplicate
    (a re-sent line with a corrected timestamp is a duplicate too).
    """
    contract = req.contract
    if not contract.is_event:
        return None
    if not con.execute(f"SELECT count(*) FROM raw.{contract.source}").fetchall()[0][0]:
        return None
    return f"SELECT {', '.join(contract.key)} FROM raw.{contract.source}"


def _find_rejects(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> None:
    """Temp table `_rejected` (_seq, _file_path, _row, _reason): each row that broke a rule, with the first.

    A valid row whose key came earlier in the batch, or in an earlier load, is a duplicate. Keys are
    grouped first and only repeated ones are ranked: ranking every row would sort the whole batch.
    """
    contract = req.contract
    rows = _rows_sql(req)
    key = ", ".join(contract.key)
    match = " AND ".join(f"e.{k} = v.{k}" for k in contract.key)
    duplicate = f"'{duplicate_reason(contract)}' AS _reason"
    valid = f"SELECT _seq, _file_path, _row, {key} FROM ({rows}) WHERE _first_reason IS NULL"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejected AS SELECT _seq, _file_path, _row, _first_reason AS _reason "
        f"FROM ({rows}) WHERE _first_reason IS NOT NULL"
    )
    con.execute(f"""
        INSERT INTO _rejected
        SELECT _seq, _file_path, _row, {duplicate} FROM (
            SELECT v.*, row_number() OVER (PARTITION BY {key} ORDER BY v._seq) AS n
            FROM ({valid}) v SEMI JOIN (SELECT {key} FROM ({valid}) GROUP BY ALL HAVING count(*) > 1) e ON {match}
        ) WHERE n > 1
    """)
    earlier = _earlier_keys(con, req)
    if earlier:
        con.execute(f"""
            INSERT INTO _rejected
            SELECT v._seq, v._file_path, v._row, {duplicate} FROM ({valid}) v SEMI JOIN ({earlier}) e ON {match}
            WHERE v._seq NOT IN (SELECT _seq FROM _rejected)
        """)


def _insert_rows(con: duckdb.DuckDBPyConnection, req: LoadRequest, found: list[str]) -> dict[str, FileLoad]:
    """Insert the batch's accepted rows and quarantine the rest; the outcome per file."""
    _judge(con, req)
    _find_rejects(con, req)
    stored = ", ".join(c.name for c in req.contract.columns)
    # Rows carry their file and row number, so raw needs no order: letting both threads write saves ~20%.
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(
            f"INSERT INTO raw.{req.contract.source} SELECT {stored}, _file_path, _row, ?, now()::TIMESTAMP "
            f"FROM ({_rows_sql(req)}) WHERE _first_reason IS NULL AND _seq NOT IN (SELECT _seq FROM _rejected)",
            [req.load_id],
        )
    finally:
        con.execute("RESET preserve_insertion_order")
    con.execute(
        f"INSERT INTO ops.quarantine SELECT ?, r._file_path, r._row, {_masked_record(req, found)}, r._reason, ?, "
        "now()::TIMESTAMP FROM _rejected r JOIN _file f ON f.rowid = r._seq ORDER BY r._seq",
        [req.contract.source, req.load_id],
    )
    counts = con.execute(
        "SELECT o.file, o.rows_read, count(r._seq) FROM _offsets o LEFT JOIN _rejected r ON r._file_path = o.file "
        "GROUP BY ALL"
    ).fetchall()
    return {path: FileLoad(path, "loaded", read, read - bad, bad) for path, read, bad in counts}


def _already_seen(con, req: LoadRequest, sha: str) -> FileLoad | None:
    """Skip a file whose content was loaded before: silently at the same path, on the ledger elsewhere."""
    rows = con.execute(
        "SELECT path FROM ops.load_ledger WHERE source = ? AND sha256 = ?", [req.contract.source, sha]
    ).fetchall()
    if not rows:
        return None
    if any(r[0] == str(req.path) for r in rows):
        return FileLoad(str(req.path), "unchanged")
    return FileLoad(str(req.path), "skipped_duplicate", error=f"same content as already loaded {rows[0][0]}")


def _record(con, req: LoadRequest, sha: str, load: FileLoad) -> FileLoad:
    con.execute(
        "INSERT INTO ops.load_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [
            load.path,
            sha,
            req.contract.source,
            load.rows_read,
            load.rows_accepted,
            load.rows_quarantined,
            load.status,
            load.error,
            req.load_id,
        ],
    )
    return load


def _header_problem(req: LoadRequest) -> FileLoad | None:
    """A file rejected whole before the batch read: unreadable, or a header that does not fit the mapping."""
    try:
        found = peek_columns(req.path, req.fileset)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return FileLoad(str(req.path), "rejected", error=f"{req.path}: unreadable as {req.fileset.format}: {exc}")
    error = header_error(req.path, found, req.fileset.columns)
    return FileLoad(str(req.path), "rejected", error=error) if error else None


def _load_batch(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], shas: dict[str, str]) -> list[FileLoad]:
    """Read, judge and insert files of one file set together, in one transaction."""
    try:
        found = read_as_text(con, [r.path for r in reqs], reqs[0].fileset)
    except duckdb.Error as exc:
        if len(reqs) > 1:  # one bad file spoils a shared scan: load them one by one to isolate it
            return [load for r in reqs for load in _load_batch(con, [r], shas)]
        detail = " ".join(line.strip() for line in str(exc).splitlines()[:3] if line.strip())
        error = f"{reqs[0].path}: unreadable as {reqs[0].fileset.format}: {detail}"
        return [_record(con, reqs[0], shas[str(reqs[0].path)], FileLoad(str(reqs[0].path), "rejected", error=error))]
    con.execute("BEGIN TRANSACTION")
    try:
        loads = _insert_rows(con, reqs[0], found)
        done = [_record(con, r, shas[str(r.path)], loads[str(r.path)]) for r in reqs]
        con.execute("COMMIT")
        return done
    except Exception:
        con.execute("ROLLBACK")
        raise


def load_files(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], batch_bytes: int = 1 << 30) -> list[FileLoad]:
    """Load files of one file set, skipping seen content and rejecting bad headers, in batches of ~1 GiB."""
    outcomes: dict[str, FileLoad] = {}
    shas: dict[str, str] = {}
    pending: list[LoadRequest] = []
    for req in reqs:
        sha = shas[str(req.path)] = sha256_of(req.path)
        seen = _already_seen(con, req, sha)
        if seen is None and sha in [shas[str(p.path)] for p in pending]:
            seen = FileLoad(str(req.path), "skipped_duplicate", error="same content as another file in this load")
        problem = seen or _header_problem(req)
        if problem is None:
            pending.append(req)
        else:
            outcomes[str(req.path)] = problem if problem.status == "unchanged" else _record(con, req, sha, problem)
    batch, size = [], 0
    for req in pending:
        batch.append(req)
        size += req.path.stat().st_size
        if size >= batch_bytes:
            outcomes.update((load.path, load) for load in _load_batch(con, batch, shas))
            batch, size = [], 0
    if batch:
        outcomes.update((load.path, load) for load in _load_batch(con, batch, shas))
    return [outcomes[str(r.path)] for r in reqs]


def load_file(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> FileLoad:
    """Load one file (a batch of one)."""
    return load_files(con, [req])[0]
