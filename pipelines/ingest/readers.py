"""Read landed files as text, whatever their format, keeping each row's file and place in it.

Everything is read as text so that a bad value becomes a quarantined row with a reason instead of a
failed load; casting happens afterwards, in SQL, where each failure can be attributed to a rule.
Files of one file set are read together in one scan: per-file statement overhead, not row work,
dominates when a source lands as many small files.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path

import duckdb

from pipelines.config import FileSet
from pipelines.sql_literals import sql_str

FILE_COLUMN = "_stratify_file"
# True for a JSON line that is not valid JSON, in scans reading JSON lines line by line (`json_by_line`).
MALFORMED_COLUMN = "_stratify_malformed_json"


def ident(name: str) -> str:
    """A file's column name as a quoted SQL identifier (exports use spaces, dots, quotes...)."""
    return '"' + name.replace('"', '""') + '"'


def peek_columns(path: Path, fileset: FileSet) -> list[str]:
    """The file's column names from its header (CSV), schema (Parquet) or first object (JSON lines)."""
    if fileset.format == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    encoding = fileset.csv.encoding if fileset.format == "csv" else "utf-8"
    if encoding.lower().replace("-", "") == "utf8":  # Excel's "CSV UTF-8" starts with a byte-order mark
        encoding = "utf-8-sig"  # that DuckDB skips; read as plain utf-8 it glued itself to the first column
    with open(path, encoding=encoding, newline="") as handle:
        if fileset.format == "jsonl":
            return _first_object_keys(handle)
        first = handle.readline()
    return next(csv.reader([first], delimiter=fileset.csv.delimiter), [])


def _first_object_keys(handle, lines: int = 1000) -> list[str]:
    """The keys of the first JSON object among the file's first lines; [] when there is none. Blank lines are
    no records, and a malformed or non-object line is quarantined when the file is read, not a reason to
    reject the file (as taking the very first line's keys did)."""
    for line in itertools.islice(handle, lines):
        try:
            record = json.loads(line) if line.strip() else None
        except ValueError:
            continue
        if isinstance(record, dict):
            return list(record)
    return []


def holds_records(path: Path) -> bool:
    """Whether a file has any line that is not blank."""
    with open(path, "rb") as handle:
        return any(line.strip() for line in handle)


def json_by_line_scan(files: str, tag: str, keys: list[str]) -> str:
    """JSON lines read as lines, each valid one's keys extracted, an invalid one flagged in MALFORMED_COLUMN.

    DuckDB's read_json refuses a whole file for one malformed line (a truncated write), so its valid lines
    were lost with it; this reading keeps every line and its number. It is ~3x slower than read_json (5.3 s
    against 1.8 s for 1.4M app lines), so it is the way back only when read_json refuses the files.
    """
    fields = ", ".join(
        f"CASE WHEN _ok THEN json_extract_string(_line, {sql_str('$.' + json.dumps(k))}) END AS {ident(k)}"
        for k in keys
    )
    lines = (
        f"read_csv({files}, columns={{'_line': 'VARCHAR'}}, header=false, delim=chr(31), quote='', escape='', "
        f"auto_detect=false, strict_mode=false, {tag})"
    )
    return (  # blank lines are no records, as read_json has it: the same rows, numbered the same way
        f"(SELECT {FILE_COLUMN}, {fields}, NOT _ok AS {MALFORMED_COLUMN} FROM (SELECT *, "
        f"coalesce(json_valid(_line), false) AS _ok FROM {lines} WHERE NOT regexp_full_match(_line, '[\\s\\x0b]*')))"
    )


def scan(
    paths: list[Path], fileset: FileSet, json_columns: list[str], by_name: bool = False, json_by_line: bool = False
) -> str:
    """A table function reading the files as text, with each row's file in FILE_COLUMN.

    JSON lines are read with their keys given as VARCHAR: letting DuckDB infer a schema over every
    line costs more than reading the values. CSV files are matched by column name (union_by_name) only
    when `by_name` asks: it sniffs every file each time the scan is bound (three times a load; 0.15 s
    against 0.06 s for 25 monthly files) and reads ~15% slower. Without it DuckDB still matches files
    holding the same columns in another order, and refuses (an error, never misaligned rows) files whose
    columns differ or that hold a row longer than the header. CSV is read in strict mode: lenient, DuckDB
    dropped the extra value of a long row past its sniffing sample, and cut '"ab"c' to 'ab', in silence.
    """
    files = "[" + ", ".join(sql_str(p) for p in paths) + "]"
    tag = f"filename={sql_str(FILE_COLUMN)}"
    if fileset.format == "csv":
        o = fileset.csv
        return (
            f"read_csv({files}, all_varchar=true, header=true, delim={sql_str(o.delimiter)}, "
            f"encoding={sql_str(o.encoding)}, quote='\"', escape='\"', null_padding=true, strict_mode=true, "
            f"union_by_name={'true' if by_name else 'false'}, {tag})"
        )
    if fileset.format == "parquet":
        return f"read_parquet({files}, union_by_name=true, {tag})"
    if json_by_line:
        return json_by_line_scan(files, tag, json_columns)
    columns = "{" + ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in json_columns) + "}"
    return f"read_json({files}, format='newline_delimited', columns={columns}, {tag})"


def json_keys(paths: list[Path], fileset: FileSet) -> list[str]:
    """The union of the JSON lines files' keys, in order: each file's first line stands for the file, as it
    does for the header check, and every mapped key is read (null where a record leaves it out, as exports
    do with empty optional values). CSV and Parquet scans find their columns themselves."""
    found: dict[str, None] = {}
    for path in paths:
        found.update(dict.fromkeys(peek_columns(path, fileset)))
    found.update(dict.fromkeys(fileset.columns.values()))
    return list(found)


def text_scan(paths: list[Path], fileset: FileSet, by_name: bool = False, json_by_line: bool = False) -> str:
    """The table function reading the files as text (see `scan`), JSON keys found from the files."""
    keys = json_keys(paths, fileset) if fileset.format == "jsonl" else []
    return scan(paths, fileset, keys, by_name, json_by_line)


def scan_columns(con: duckdb.DuckDBPyConnection, table_function: str) -> list[str]:
    """The file columns a scan yields (the union over its files), without FILE_COLUMN or MALFORMED_COLUMN."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {table_function}").fetchall()
    return [row[0] for row in rows if row[0] not in (FILE_COLUMN, MALFORMED_COLUMN)]


def record_offsets(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path]) -> None:
    """Temp table `<table>_offsets` (file, first_rowid, last_rowid, rows_read) of a table written by a scan.

    A temp table's rowids follow insertion order but start at an offset, so a row's number within its
    file is `rowid - first_rowid + 1`; `_check_file_order` makes sure that arithmetic holds.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table}_offsets AS SELECT {FILE_COLUMN} AS file, min(rowid) AS first_rowid, "
        f"max(rowid) AS last_rowid, count(*) AS rows_read FROM {table} GROUP BY 1"
    )
    _check_file_order(con, f"{table}_offsets", [str(p) for p in paths])


def read_as_text(con: duckdb.DuckDBPyConnection, paths: list[Path], fileset: FileSet) -> list[str]:
    """Create temp table `_file` (rows in file order, files in list order) and `_file_offsets`; return its columns.

    CSV columns are matched by name: a few files re-read, whose rows the batch's scan may have read either way.
    JSON lines are read line by line, the way that also reads a file holding a malformed line (whichever way
    the batch was read: a failed read would abort the load's transaction).
    """
    scan = text_scan(paths, fileset, by_name=True, json_by_line=fileset.format == "jsonl")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _file AS SELECT * FROM {scan}")
    record_offsets(con, "_file", paths)
    columns = con.execute("DESCRIBE _file").fetchall()
    return [row[0] for row in columns if row[0] not in (FILE_COLUMN, MALFORMED_COLUMN)]


def _check_file_order(con: duckdb.DuckDBPyConnection, offsets: str, paths: list[str]) -> None:
    """Fail loudly unless the table holds each file's rows together, files in the order given.

    Row numbers rest on a plain scan being written in file order (DuckDB's preserve_insertion_order);
    a load that cannot show it stops instead of recording wrong lineage.
    """
    spans = con.execute(f"SELECT file, first_rowid, last_rowid, rows_read FROM {offsets} ORDER BY 2").fetchall()
    present = {file for file, *_ in spans}
    in_order = [file for file, *_ in spans] == [p for p in paths if p in present]
    together = all(last - first + 1 == rows for _, first, last, rows in spans)
    if not (in_order and together):
        raise RuntimeError(f"scan order lost reading {paths[0]} and {len(paths) - 1} more files: row numbers unknown")


def header_error(path: Path, found: list[str], mapping: dict[str, str]) -> str | None:
    """Why the file's header cannot feed its mapping, or None when every mapped column is present."""
    missing = [col for col in mapping.values() if col not in found]
    if not missing:
        return None
    return (
        f"{path}: header does not match the source mapping: missing {missing}; "
        f"expected {list(mapping.values())}; found {[_name_or_masked(name) for name in found]}"
    )


def _name_or_masked(name: str) -> str:
    """A header name as found, unless it looks like a value someone could be found by: a file without a header
    has its first record where the names should be, and the error goes to the ledger, the log and status."""
    return "***" if re.search(r"@|\d{4}", name) else name
