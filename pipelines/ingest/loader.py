"""Load one source's landed files: validate in SQL, keep accepted rows, quarantine the rest.

Every row read ends in exactly one place (raw.<source> or ops.quarantine) and every file gets one
ledger row with the counts, so a load can always be reconciled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.config import FileSet, SourceConfig
from pipelines.ingest.contracts import Column, Contract
from pipelines.ingest.file_hashes import DDL as FILE_HASHES_DDL
from pipelines.ingest.file_hashes import shas_of
from pipelines.ingest.readers import (
    FILE_COLUMN,
    MALFORMED_COLUMN,
    header_error,
    holds_records,
    ident,
    peek_columns,
    read_as_text,
    record_offsets,
    scan_columns,
    text_scan,
)
from pipelines.ingest.rules import (
    LONGER_THAN_HEADER,
    MALFORMED_JSON,
    RuleContext,
    casts_through_spaces,
    country_lookup,
    duplicate_reason,
    pii_hash,
    reason_expression,
    typed_expression,
)
from pipelines.sql_literals import sql_str

OPS_DDL = (
    """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.load_ledger (
  path VARCHAR, sha256 VARCHAR, source VARCHAR, rows_read BIGINT, rows_accepted BIGINT,
  rows_quarantined BIGINT, status VARCHAR, error VARCHAR, load_id VARCHAR, loaded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.quarantine (
  source VARCHAR, path VARCHAR, row_number BIGINT, raw_record VARCHAR, reason VARCHAR,
  load_id VARCHAR, quarantined_at TIMESTAMP);
"""
    + FILE_HASHES_DDL
)
OPS_TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS ops\.(\w+)", OPS_DDL))


# Errors reading one file that say nothing about the file: our SQL is wrong, memory ran out, or the run was
# cancelled. They stop the load; any other error rejects the file. A batch of several files that fails for any
# reason but memory or cancellation is loaded again file by file (a file's own columns can break the batch's SQL).
NOT_THE_FILE = (
    duckdb.ParserException,
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.OutOfMemoryException,
    duckdb.InterruptException,
)
_STOPS_THE_LOAD = (duckdb.OutOfMemoryException, duckdb.InterruptException)


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


# Every raw table ends with these, in this order: where each row came from and which load brought it.
LINEAGE = {"_source_file": "VARCHAR", "_row_number": "BIGINT", "_load_id": "VARCHAR", "_loaded_at": "TIMESTAMP"}
LINEAGE_COLUMNS = list(LINEAGE)
LINEAGE_COLUMNS_DDL = ", ".join(f"{name} {sql_type}" for name, sql_type in LINEAGE.items())


def ensure_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> None:
    """Create the ops tables and each contract's typed raw table, and add a column a contract gained since the
    warehouse was made (loads name theirs), so downstream SQL works even with no files. Every raw asset and
    its check call this, 16 times a run: one catalog query finds nothing to do (3.5 ms a call on a 10M-line
    warehouse, where running every contract's DDL took 26 ms)."""
    present = set(
        con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns()"
            " WHERE database_name = current_database() AND schema_name IN ('raw', 'ops')"
        ).fetchall()
    )
    tables = {(schema, table) for schema, table, _ in present}
    if not {("ops", table) for table in OPS_TABLES} <= tables:
        con.execute(OPS_DDL)
    for contract in contracts:
        if ("raw", contract.source) not in tables:
            cols = ", ".join(f"{c.stored_name} {c.sql_type}" for c in contract.columns)
            con.execute("CREATE SCHEMA IF NOT EXISTS raw")
            con.execute(f"CREATE TABLE raw.{contract.source} ({cols}, {LINEAGE_COLUMNS_DDL})")
            continue
        for c in contract.columns:
            if ("raw", contract.source, c.stored_name) not in present:
                con.execute(f"ALTER TABLE raw.{contract.source} ADD COLUMN {c.stored_name} {c.sql_type}")


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
        text = f"CAST(f.{ident(req.fileset.columns[col.name])} AS VARCHAR)"
        # '' as NULL, and trimmed once here unless the cast ignores spaces, so rules and casts see clean text.
        return f"nullif({text if casts_through_spaces(col, req.fileset) else f'trim({text})'}, '')"
    if col.name in req.source.constants:
        return sql_str(req.source.constants[col.name])
    return "CAST(NULL AS VARCHAR)"


def _pii_columns(req: LoadRequest) -> set[str]:
    """The file's columns holding PII."""
    return {
        req.fileset.columns[c.name]
        for c in req.contract.columns
        if c.kind.startswith("pii_") and c.name in req.fileset.columns
    }


def _masked_record(req: LoadRequest, found: list[str], ref) -> str:
    """The original record as JSON, with PII values masked (quarantine is in the warehouse).

    `ref(i, name)` is the SQL of the file's i-th column, `name`.
    """
    pii = _pii_columns(req)
    masked = "CASE WHEN {v} IS NULL THEN NULL ELSE '***' END"
    fields = ", ".join(
        f"{ident(col)} := " + (masked if col in pii else "CAST({v} AS VARCHAR)").format(v=ref(i, col))
        for i, col in enumerate(found)
    )
    return f"to_json(struct_pack({fields}))::VARCHAR"


def _judge_sql(
    con: duckdb.DuckDBPyConnection,
    req: LoadRequest,
    table_function: str,
    found: list[str],
    extras: tuple[str, ...] = (),
    by_line: bool = False,
) -> str:
    """The query typing and judging every row of the scan, in the scan's order (see `_judge`).

    `extras` are DuckDB's names for the fields of rows longer than their header (`_extra_field_columns`). A
    value there means the row does not line up with its header (an unquoted comma shifts every later value),
    so the row is quarantined instead of loaded with shifted values. `by_line`: JSON lines read line by line,
    whose malformed lines are flagged (readers.json_by_line_scan).
    """
    contract = req.contract
    originals = ", ".join(f"f.{ident(col)} AS _c{i}" for i, col in enumerate(found))
    texts = ", ".join(f"{_text_of(c, req)} AS _t_{c.name}" for c in contract.columns)
    country = next((c.name for c in contract.columns if c.kind == "country"), None)
    if country:
        rows = con.execute("SELECT key, alpha2, calling_code FROM ref.countries").fetchall()
        alpha2, calling_code = country_lookup(f"_t_{country}", rows)
    else:
        alpha2, calling_code = "NULL", "CAST(NULL AS INTEGER)"
    typed = ", ".join(f"{typed_expression(c, req.fileset)} AS {c.name}" for c in contract.columns)
    reason = reason_expression(contract, req.rules, req.fileset, skip_required=_generated(req))
    record = _masked_record(req, found, lambda i, _: f"_c{i}")
    flag = ""
    if extras:
        longer = " OR ".join(f"_c{found.index(col)} IS NOT NULL" for col in extras)
        reason = f"CASE WHEN {longer} THEN {sql_str(LONGER_THAN_HEADER)} ELSE {reason} END"
        if _pii_columns(req):  # shifted values are masked by the wrong names: a phone can sit under 'city'
            record = f"CASE WHEN {longer} THEN {sql_str(_SHIFTED_RECORD)} ELSE {record} END"
    if by_line:
        flag = f", f.{MALFORMED_COLUMN}"
        reason = f"CASE WHEN {MALFORMED_COLUMN} THEN {sql_str(MALFORMED_JSON)} ELSE {reason} END"
        # The line is not JSON, so its values cannot be told apart to mask its PII: file and row locate it.
        record = f"CASE WHEN {MALFORMED_COLUMN} THEN {sql_str(_MALFORMED_RECORD)} ELSE {record} END"
    return f"""
        WITH texts AS (SELECT f.{FILE_COLUMN}{flag}, {originals}, {texts} FROM {table_function} f),
        located AS (SELECT *, {alpha2} AS _rc_alpha2, {calling_code} AS _rc_calling_code FROM texts),
        typed AS (SELECT *, {typed} FROM located),
        judged AS (SELECT *, {reason} AS _first_reason FROM typed)
        SELECT {FILE_COLUMN}, {", ".join(contract.names)}, _rc_calling_code, _first_reason,
               CASE WHEN _first_reason IS NOT NULL THEN {record} END AS _record
        FROM judged
    """


_NOT_SHOWN = "not shown: its PII could not be masked; see the file at this row"
_MALFORMED_RECORD = json.dumps({MALFORMED_JSON: _NOT_SHOWN})
_SHIFTED_RECORD = json.dumps({LONGER_THAN_HEADER: _NOT_SHOWN})


class _MixedHeaderWidths(Exception):
    """A batch whose CSV headers differ in width holds a field past a narrower header: which file's it is the
    scan cannot say (DuckDB numbers it from the widest header's columns), so the files are read one by one."""


def _extra_field_columns(reqs: list[LoadRequest], found: list[str]) -> tuple[str, ...]:
    """The scan's columns holding fields past the end of their row's header: DuckDB names them column<N>, N
    counting from 0, so N is at least the header's length. (An empty header name or a repeated one is also
    renamed, column00 or note_1, but within the header: those are no extra fields.) Headers are peeked only
    when such a column is there, which a batch of well-formed files never has."""
    numbered = [(col, int(m.group(1))) for col in found if (m := re.fullmatch(r"column(\d+)", col))]
    if reqs[0].fileset.format != "csv" or not numbered:
        return ()
    widths = {len(peek_columns(r.path, r.fileset)) for r in reqs}
    if len(widths) > 1 and any(min(widths) <= n < max(widths) for _, n in numbered):
        raise _MixedHeaderWidths(f"fields past a header {min(widths)} wide among headers up to {max(widths)}")
    return tuple(col for col, n in numbered if n >= max(widths))


def _check_scan_order_kept(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Fail unless the query's plan is scans and projections only, which DuckDB writes in scan order.

    Row numbers are `_judged`'s rowids. A join, aggregate or window in the plan may reorder rows within a
    file, which no count could reveal: DuckDB turns an IN list (or list_contains over a constant list) of
    five or more values into a join, for example.
    """
    plan = "\n".join(row[1] for row in con.execute(f"EXPLAIN {sql}").fetchall())
    operators = re.findall(r"─ ([A-Za-z_ ]+?) ─", plan)
    reordering = [op for op in operators if re.search(r"join|aggregate|group|window|order", op, re.IGNORECASE)]
    if reordering:
        raise RuntimeError(f"the judging query would not keep the files' row order: it plans {reordering}")


def _judge(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest]) -> list[str]:
    """Read, type and judge the batch's files in one pass into `_judged`; return the files' columns.

    `_judged` holds each row's file, typed columns, first broken rule and, for a broken row only, its
    masked record. It is written straight from the scan, so its rowids follow file order and give row
    numbers (`_judged_offsets`): no copy of the text is kept for the valid rows, which are almost all.
    PII columns hold their pre-image until `_insert_rows` hashes them: `_judged` is a temp table of the
    load's connection, never a stored table, and is dropped when the batch ends or fails.
    """
    paths, fileset = [r.path for r in reqs], reqs[0].fileset
    try:
        return _judge_scan(con, reqs, text_scan(paths, fileset))
    except duckdb.Error as exc:
        if fileset.format == "parquet" or isinstance(exc, _STOPS_THE_LOAD):
            raise
    if fileset.format == "jsonl":  # read_json refuses a file for one malformed line: read them line by line
        return _judge_scan(con, reqs, text_scan(paths, fileset, json_by_line=True), by_line=True)
    # DuckDB refuses to read CSV files together unmatched when their columns differ or a row is longer than
    # the header; matched by name they read, the missing columns NULL and an extra field a column of its own.
    return _judge_scan(con, reqs, text_scan(paths, fileset, by_name=True))


def _judge_scan(
    con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], table_function: str, by_line: bool = False
) -> list[str]:
    """`_judge` over one way of reading the batch's files; `_judged` is dropped again if it fails."""
    found = scan_columns(con, table_function)
    sql = _judge_sql(con, reqs[0], table_function, found, _extra_field_columns(reqs, found), by_line)
    _check_scan_order_kept(con, sql)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _judged AS {sql}")
        record_offsets(con, "_judged", [r.path for r in reqs])
    except Exception:
        con.execute("DROP TABLE IF EXISTS _judged")
        raise
    return found


def _rows_sql(req: LoadRequest) -> str:
    """`_judged` with each row's `_seq` (rowid), `_file_path`, `_row` (number in its file) and generated columns."""
    generated = _generated(req)
    cols = ", ".join(
        f"CAST(_row AS {c.sql_type}) AS {c.name}" if c.name in generated else c.name for c in req.contract.columns
    )
    return (
        f"SELECT _seq, _file_path, _row, {cols}, _rc_calling_code, _first_reason FROM ("
        f"SELECT j.*, j.rowid AS _seq, j.{FILE_COLUMN} AS _file_path, j.rowid - o.first_rowid + 1 AS _row "
        f"FROM _judged j JOIN _judged_offsets o ON j.{FILE_COLUMN} = o.file)"
    )


def _valid_keys_sql(req: LoadRequest) -> str:
    """The valid rows' `_seq`, `_file_path` and key; without the row-number join unless the key needs it."""
    key = ", ".join(req.contract.key)
    if set(req.contract.key) & _generated(req):
        return f"SELECT _seq, _file_path, {key} FROM ({_rows_sql(req)}) WHERE _first_reason IS NULL"
    return f"SELECT rowid AS _seq, {FILE_COLUMN} AS _file_path, {key} FROM _judged WHERE _first_reason IS NULL"


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


def _find_duplicates(con: duckdb.DuckDBPyConnection, req: LoadRequest) -> int:
    """Temp table `_dups` (_seq, _file_path): valid rows whose key came earlier in the batch or in an earlier
    load; returns how many. Keys are grouped first and only repeated ones are ranked: ranking every row
    would sort the whole batch.
    """
    key = ", ".join(req.contract.key)
    match = " AND ".join(f"e.{k} = v.{k}" for k in req.contract.key)
    valid = _valid_keys_sql(req)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _dups AS
        SELECT _seq, _file_path FROM (
            SELECT v.*, row_number() OVER (PARTITION BY {key} ORDER BY v._seq) AS n
            FROM ({valid}) v SEMI JOIN (SELECT {key} FROM ({valid}) GROUP BY ALL HAVING count(*) > 1) e ON {match}
        ) WHERE n > 1
    """)
    earlier = _earlier_keys(con, req)
    if earlier:
        con.execute(f"""
            INSERT INTO _dups
            SELECT v._seq, v._file_path FROM ({valid}) v SEMI JOIN ({earlier}) e ON {match}
            WHERE v._seq NOT IN (SELECT _seq FROM _dups)
        """)
    return con.execute("SELECT count(*) FROM _dups").fetchall()[0][0]


def _duplicate_records(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], found: list[str]) -> str:
    """(_seq, _file_path, _record) of the duplicates, their text read again from the files holding any.

    `_judged` keeps no text of valid rows (duplicates among them), so only their files are read twice.
    Records carry the batch's columns (`found`), like those of broken rows, whichever files were re-read.
    """
    files = {row[0] for row in con.execute("SELECT DISTINCT _file_path FROM _dups").fetchall()}
    again = read_as_text(con, [r.path for r in reqs if str(r.path) in files], reqs[0].fileset)
    changed = con.execute(
        "SELECT fo.file FROM _file_offsets fo JOIN _judged_offsets jo USING (file) WHERE fo.rows_read <> jo.rows_read"
    ).fetchall()
    if changed:
        raise RuntimeError(f"{changed[0][0]} changed while it was being loaded; load it again")
    record = _masked_record(reqs[0], found, lambda _, col: f"f.{ident(col)}" if col in again else "NULL")
    return f"""
        SELECT d._seq, d._file_path, {record} AS _record
        FROM _dups d JOIN _judged_offsets jo ON d._file_path = jo.file JOIN _file_offsets fo ON d._file_path = fo.file
        JOIN _file f ON f.rowid = fo.first_rowid + (d._seq - jo.first_rowid)
    """


def _quarantine(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], found: list[str], duplicates: int) -> None:
    """Insert the rows that broke a rule and the duplicates into ops.quarantine, in file order."""
    contract = reqs[0].contract
    broken = (
        f"SELECT rowid AS _seq, {FILE_COLUMN} AS _file_path, _record, _first_reason AS _reason "
        "FROM _judged WHERE _first_reason IS NOT NULL"
    )
    if duplicates:
        records = _duplicate_records(con, reqs, found)
        dup = f"SELECT _seq, _file_path, _record, '{duplicate_reason(contract)}' FROM ({records})"
        broken = f"{broken} UNION ALL {dup}"
    con.execute(
        f"INSERT INTO ops.quarantine SELECT ?, q._file_path, q._seq - o.first_rowid + 1, q._record, q._reason, ?, "
        f"now()::TIMESTAMP FROM ({broken}) q JOIN _judged_offsets o ON q._file_path = o.file ORDER BY q._seq",
        [contract.source, reqs[0].load_id],
    )


def _hashed_pii(req: LoadRequest) -> tuple[list[str], str]:
    """The stored value of each contract column over `_rows_sql` aliased r, and the joins that give PII's hashes.

    Each PII column present in the files is hashed once per distinct pre-image among the valid rows (see
    `_pii_join`); an absent one is NULL.
    """
    values, joins = [], []
    for c in req.contract.columns:
        if not c.kind.startswith("pii_"):
            values.append(f"r.{c.name}")
        elif c.name not in req.fileset.columns and c.name not in req.source.constants:
            values.append("CAST(NULL AS VARCHAR)")
        else:
            joins.append(_pii_join(c, f"_pii_{c.name}"))
            values.append(f"_pii_{c.name}.hashed")
    return values, " ".join(joins)


def _pii_join(col: Column, alias: str) -> str:
    """A join giving `alias.hashed` for each row's pre-image; a phone's also keyed by its calling code, which
    its E.164 form depends on (the same national number is another phone in another country)."""
    keys = [col.name] + (["_rc_calling_code"] if col.kind == "pii_phone" else [])
    distinct = f"SELECT DISTINCT {', '.join(keys)} FROM _judged WHERE _first_reason IS NULL AND {col.name} IS NOT NULL"
    match = " AND ".join(f"r.{k} IS NOT DISTINCT FROM {alias}.{k}" for k in keys)
    return f"LEFT JOIN (SELECT *, {pii_hash(col, col.name)} AS hashed FROM ({distinct})) {alias} ON {match}"


def _insert_rows(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], found: list[str]) -> dict[str, FileLoad]:
    """Insert the judged batch's accepted rows, PII hashed, and quarantine the rest; the outcome per file.

    A file with no data rows (a header only, an empty Parquet file) has no offsets and loads as 0 rows.
    """
    req = reqs[0]
    duplicates = _find_duplicates(con, req)
    values, joins = _hashed_pii(req)
    targets = ", ".join([c.stored_name for c in req.contract.columns] + LINEAGE_COLUMNS)
    not_duplicate = " AND r._seq NOT IN (SELECT _seq FROM _dups)" if duplicates else ""
    # Rows carry their file and row number, so raw needs no order: letting both threads write saves ~20%.
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(
            f"INSERT INTO raw.{req.contract.source} ({targets}) SELECT {', '.join(values)}, r._file_path, r._row, ?, "
            f"now()::TIMESTAMP FROM ({_rows_sql(req)}) r {joins} WHERE r._first_reason IS NULL{not_duplicate}",
            [req.load_id],
        )
    finally:
        con.execute("RESET preserve_insertion_order")
    _quarantine(con, reqs, found, duplicates)
    counts = con.execute(f"""
        SELECT o.file, o.rows_read, coalesce(b.n, 0) + coalesce(d.n, 0)
        FROM _judged_offsets o
        LEFT JOIN (SELECT {FILE_COLUMN} AS file, count(*) AS n FROM _judged WHERE _first_reason IS NOT NULL
                   GROUP BY 1) b ON b.file = o.file
        LEFT JOIN (SELECT _file_path AS file, count(*) AS n FROM _dups GROUP BY 1) d ON d.file = o.file
    """).fetchall()
    loads = {path: FileLoad(path, "loaded", read, read - bad, bad) for path, read, bad in counts}
    return {str(r.path): loads.get(str(r.path), FileLoad(str(r.path), "loaded")) for r in reqs}


def _ledger_paths(con, source: str) -> dict[str, list[tuple[str, str]]]:
    """sha256 -> the (path, status) pairs the ledger holds for `source`'s content, read once per load: one
    query per file cost about a millisecond each, seconds for a marketplace's thousands of Parquet parts."""
    seen: dict[str, list[tuple[str, str]]] = {}
    for sha, path, status in con.execute(
        "SELECT sha256, path, status FROM ops.load_ledger WHERE source = ? ORDER BY loaded_at, path", [source]
    ).fetchall():
        seen.setdefault(sha, []).append((path, status))
    return seen


def _already_seen(seen: dict[str, list[tuple[str, str]]], req: LoadRequest, sha: str) -> FileLoad | None:
    """Skip a file whose content was loaded before: silently at the same path (or where it was already
    recorded as a copy), on the ledger elsewhere. Only loads count: a rejected file is tried again on every
    run, so that fixing the config (a misspelt column) loads it, and until then each run says why not."""
    entries = seen.get(sha, [])
    loaded = [path for path, status in entries if status == "loaded"]
    if not loaded:
        return None
    if any(path == str(req.path) and status != "rejected" for path, status in entries):
        return FileLoad(str(req.path), "unchanged")
    return FileLoad(str(req.path), "skipped_duplicate", error=f"same content as already loaded {loaded[0]}")


def _rejected_before(seen: dict[str, list[tuple[str, str]]], sha: str) -> bool:
    return any(status == "rejected" for _, status in seen.get(sha, []))


def _record(con, req: LoadRequest, sha: str, load: FileLoad) -> FileLoad:
    return _record_all(con, [(req, sha, load)])[0]


def _record_all(con, entries: list[tuple[LoadRequest, str, FileLoad]]) -> list[FileLoad]:
    """One ledger row per (request, sha256, outcome), in one statement."""
    if not entries:
        return []
    row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)"
    params = [
        value
        for req, sha, load in entries
        for value in (load.path, sha, req.contract.source, load.rows_read, load.rows_accepted,
                      load.rows_quarantined, load.status, load.error, req.load_id)
    ]  # fmt: skip
    con.execute(f"INSERT INTO ops.load_ledger VALUES {', '.join([row] * len(entries))}", params)
    return [load for _, _, load in entries]


def _header_problem(req: LoadRequest) -> FileLoad | None:
    """A file rejected whole before the batch read (unreadable, empty, or a header that does not fit the
    mapping), or loaded without reading it (JSON lines holding no record); None when it is to be read."""
    try:
        found = peek_columns(req.path, req.fileset)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return FileLoad(str(req.path), "rejected", error=f"{req.path}: unreadable as {req.fileset.format}: {exc}")
    if not found and not holds_records(req.path):  # an empty export (a day without orders): nothing to read
        return FileLoad(str(req.path), "loaded")
    if not found and req.fileset.format == "csv":
        return FileLoad(str(req.path), "rejected", error=f"{req.path}: the first line is blank, not a header")
    if not found:  # JSON lines without an object to check keys against: each line is judged as it is read
        return None
    columns = req.fileset.columns
    if req.fileset.format == "jsonl":  # a record may leave out the keys it has no value for (null)
        required = {c.name for c in req.contract.columns if c.required}
        columns = {name: key for name, key in columns.items() if name in required}
    error = header_error(req.path, found, columns)
    return FileLoad(str(req.path), "rejected", error=error) if error else None


def _load_batch(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], shas: dict[str, str]) -> list[FileLoad]:
    """Read, judge and insert files of one file set together, in one transaction."""
    try:
        found = _judge(con, reqs)
    except (duckdb.Error, _MixedHeaderWidths) as exc:
        if isinstance(exc, _STOPS_THE_LOAD) or (len(reqs) == 1 and isinstance(exc, NOT_THE_FILE)):
            raise
        if len(reqs) > 1:  # one bad file spoils a shared scan: load them one by one to isolate it
            return [load for r in reqs for load in _load_batch(con, [r], shas)]
        detail = _error_detail(exc)
        error = f"{reqs[0].path}: unreadable as {reqs[0].fileset.format}: {detail}"
        return [_record(con, reqs[0], shas[str(reqs[0].path)], FileLoad(str(reqs[0].path), "rejected", error=error))]
    con.execute("BEGIN TRANSACTION")
    try:
        loads = _insert_rows(con, reqs, found)
        done = _record_all(con, [(r, shas[str(r.path)], loads[str(r.path)]) for r in reqs])
        con.execute("COMMIT")
        return done
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:  # a batch's temp tables hold up to ~1 GiB: free them before the next batch is read
        con.execute("DROP TABLE IF EXISTS _judged; DROP TABLE IF EXISTS _file")


def _error_detail(exc: duckdb.Error) -> str:
    """The first lines of DuckDB's reason for refusing a file, without the line it quotes: that line is a
    record, PII and all, and the error goes to the ledger, the log, the run summary and status."""
    lines = [line.split(" Input: ")[0].strip() for line in str(exc).splitlines()]
    return " ".join([line for line in lines if line and not line.startswith("Original Line")][:3])


def load_files(con: duckdb.DuckDBPyConnection, reqs: list[LoadRequest], batch_bytes: int = 1 << 30) -> list[FileLoad]:
    """Load files of one file set, skipping seen content and rejecting bad headers, in batches of ~1 GiB."""
    outcomes: dict[str, FileLoad] = {}
    shas = shas_of(con, [r.path for r in reqs])
    ledger = _ledger_paths(con, reqs[0].contract.source) if reqs else {}
    pending: list[LoadRequest] = []
    pending_shas: set[str] = set()
    for req in reqs:
        sha = shas[str(req.path)]
        seen = _already_seen(ledger, req, sha)
        if seen is None and sha in pending_shas:
            seen = FileLoad(str(req.path), "skipped_duplicate", error="same content as another file in this load")
        problem = seen or _header_problem(req)
        if problem is None:
            pending.append(req)
            pending_shas.add(sha)
        elif problem.status == "unchanged":
            outcomes[str(req.path)] = problem
        else:
            outcomes[str(req.path)] = _record(con, req, sha, problem)
    # Content rejected before is tried alone: a file DuckDB refuses spoils its batch's shared scan, and every
    # run would otherwise read the whole batch twice, together and then file by file.
    for req in [r for r in pending if _rejected_before(ledger, shas[str(r.path)])]:
        pending.remove(req)
        outcomes.update((load.path, load) for load in _load_batch(con, [req], shas))
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
