"""Read one landed file into a temporary table of text, whatever its format.

Everything is read as text so that a bad value becomes a quarantined row with a reason instead of a
failed load; casting happens afterwards, in SQL, where each failure can be attributed to a rule.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.config import FileSet


def sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A file's column name as a quoted SQL identifier (exports use spaces, dots, quotes...)."""
    return '"' + name.replace('"', '""') + '"'


def _scan(path: Path, fileset: FileSet) -> str:
    p = sql_str(path)
    if fileset.format == "csv":
        o = fileset.csv
        return (
            f"read_csv({p}, all_varchar=true, header=true, delim={sql_str(o.delimiter)}, "
            f"encoding={sql_str(o.encoding)}, quote='\"', escape='\"', null_padding=true, strict_mode=false)"
        )
    if fileset.format == "parquet":
        return f"read_parquet({p})"
    return f"read_json({p}, format='newline_delimited', union_by_name=true, sample_size=-1)"


def read_as_text(con: duckdb.DuckDBPyConnection, path: Path, fileset: FileSet) -> tuple[list[str], int]:
    """Create temp table `_file` from the file, in file order; return its columns and rowid offset.

    A temp table's rowids follow insertion (file) order but start at an offset, so the data row number
    of a row is `rowid - offset + 1`.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE _file AS SELECT * FROM {_scan(path, fileset)}")
    columns = [row[0] for row in con.execute("DESCRIBE _file").fetchall()]
    offset = con.execute("SELECT coalesce(min(rowid), 0) FROM _file").fetchall()[0][0]
    return columns, offset


def header_error(path: Path, found: list[str], mapping: dict[str, str]) -> str | None:
    """Why the file's header cannot feed its mapping, or None when every mapped column is present."""
    missing = [col for col in mapping.values() if col not in found]
    if not missing:
        return None
    return (
        f"{path}: header does not match the source mapping: missing {missing}; "
        f"expected {list(mapping.values())}; found {found}"
    )
