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
from pipelines.ingest.readers import FILE_COLUMN, header_error, ident, peek_columns, read_as_text, sql_str
from pipelines.ingest.rules import RuleContext, duplicate_reason, reason_expression, typed_expression

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


def _text_of(col: Column, req: LoadRequest) -> str:
    """The file's text for a canonical column: its mapped column, a constant, the row number, or NULL."""
    if col.name in req.fileset.columns:
        # Trimmed once here, with '' as NULL, so every rule and cast downstream sees clean text.
        return f"nullif(trim(CAST(f.{ident(req.fileset.columns[col.name])} AS VARCHAR)), '')"
    if col.name in req.source.constants:
        return sql_str(req.source.constants[col.name])
    if col.kind == "row_number":
        return "CAST(f.rowid - o.first_rowid + 1 AS VARCHAR)"
    return "CAST(NULL AS VARCHAR)"


def _typed_sql(req: LoadRequest) -> str:
    """SQL over `_file`: `_seq` (rowid), `_file_path`, `_row` (in its file), texts `_t_<col>`, typed columns."""
    contract = req.contract
    texts = ", ".join(f"{_text_of(c, req)} AS _t_{c.name}" for c in contract.columns)
    country = next((c.name for c in contract.columns if c.kind == "country"), None)
    join = (
        f"LEFT JOIN ref.countries _rc ON _rc.key = lower(_t_{country})"
        if country
        else "LEFT JOIN (SELECT NULL AS alpha2, NULL AS calling_code) _rc ON false"
    )
    typed = ", ".join(f"{typed_expression(c, req.fileset)} AS {c.name}" for c in contract.columns)
    text_names = ", ".join(f"_t_{c}" for c in contract.names)
    rows = (
        f"SELECT f.rowid AS _seq, f.{FILE_COLUMN} AS _file_path, f.rowid - o.first_rowid + 1 AS _row, {texts} "
        f"FROM _file f JOIN _offsets o ON f.{FILE_COLUMN} = o.file"
    )
    return f"SELECT _seq, _file_path, _row, {text_names}, {typed} FROM ({rows}) {join}"


def _earlier_keys(req: LoadRequest) -> str:
    """Keys of this source already loaded from earlier files, as a SQL relation over `judged`.

    Only event sources (order lines) are checked across loads: master data (CRM, stores, FX) is re-sent
    on purpose and its latest version wins in staging. Lines are looked up only within the batch's own
    time span, so the check reads a sliver of a large raw table instead of all of it.
    """
    contract = req.contract
    key = ", ".join(contract.key)
    if not contract.is_event:
        return f"SELECT {key} FROM raw.{contract.source} WHERE false"
    return (
        f"SELECT DISTINCT {key} FROM raw.{contract.source} "
        "WHERE ordered_at BETWEEN (SELECT min(ordered_at) FROM judged) AND (SELECT max(ordered_at) FROM judged)"
    )


def _find_rejects(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> None:
    """Temp table `_rejected` (_seq, _file_path, _row, _reason): each row that broke a rule, with the first.

    Only the (few) rejected rows are materialised; accepted rows are cast again straight into raw, which
    costs less than writing every row to a wide temporary table first.
    """
    contract = req.contract
    key = ", ".join(f"j.{k}" for k in contract.key)
    key_match = " AND ".join(f"e.{k} = j.{k}" for k in contract.key)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rejected AS
        WITH judged AS (
            SELECT *, {reason_expression(contract, req.rules)} AS _first_reason FROM ({_typed_sql(req)})
        ),
        earlier AS ({_earlier_keys(req)}),
        reasons AS (
            SELECT j._seq, j._file_path, j._row,
                   CASE WHEN j._first_reason IS NOT NULL THEN j._first_reason
                        WHEN e.{contract.key[0]} IS NOT NULL
                          OR row_number() OVER (PARTITION BY j._first_reason IS NULL, {key} ORDER BY j._seq) > 1
                        THEN '{duplicate_reason(contract)}'
                   END AS _reason
            FROM judged j LEFT JOIN earlier e ON {key_match}
        )
        SELECT * FROM reasons WHERE _reason IS NOT NULL
    """)


def _masked_record(req: LoadRequest, found: list[str]) -> str:
    """The original record as JSON, with the values of PII columns masked (quarantine is in the warehouse)."""
    pii = {
        req.fileset.columns[c.name]
        for c in req.contract.columns
        if c.kind.startswith("pii_") and c.name in req.fileset.columns
    }
    masked = "CASE WHEN f.{c} IS NULL THEN NULL ELSE '***' END"
    fields = ", ".join(
        f"{ident(col)} := " + (masked.format(c=ident(col)) if col in pii else f"CAST(f.{ident(col)} AS VARCHAR)")
        for col in found
    )
    return f"to_json(struct_pack({fields}))::VARCHAR"


def _insert_rows(con: duckdb.DuckDBPyConnection, req: LoadRequest, found: list[str]) -> dict[str, FileLoad]:
    """Insert the batch's accepted rows and quarantine the rest; the outcome per file."""
    _find_rejects(con, req)
    stored = ", ".join(c.name for c in req.contract.columns)
    # Rows carry their file and row number, so raw needs no order: letting both threads write saves ~20%.
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(
            f"INSERT INTO raw.{req.contract.source} SELECT {stored}, _file_path, _row, ?, now()::TIMESTAMP "
            f"FROM ({_typed_sql(req)}) WHERE _seq NOT IN (SELECT _seq FROM _rejected)",
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
