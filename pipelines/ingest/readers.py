"""Read one landed file into a temporary all-text table, whatever its format.

Everything is read as text so that a bad value becomes a quarantined row with a reason instead of a
failed load; casting happens afterwards, in SQL, where each failure can be attributed to a rule.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.config import SourceConfig


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _scan(path: Path, source: SourceConfig) -> str:
    p = _sql_str(str(path))
    if source.format == "csv":
        o = source.csv
        return (
            f"read_csv({p}, all_varchar=true, header=true, delim={_sql_str(o.delimiter)}, "
            f"encoding={_sql_str(o.encoding)}, quote='\"', escape='\"', null_padding=true, "
            "strict_mode=false, auto_detect=true)"
        )
    if source.format == "parquet":
        return f"read_parquet({p})"
    return f"read_json({p}, format='newline_delimited', union_by_name=true)"


def read_as_text(con: duckdb.DuckDBPyConnection, path: Path, source: SourceConfig) -> list[str]:
    """Create temp table `_file` (original columns as VARCHAR, in file order); return the column names."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _file_raw AS SELECT * FROM {_scan(path, source)}")
    columns = [row[0] for row in con.execute("DESCRIBE _file_raw").fetchall()]
    casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
    # rowid follows file order, but a temp table's rowids start at an offset: count from its first.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _file AS "
        f"SELECT rowid - (SELECT min(rowid) FROM _file_raw) + 1 AS _row, {casts} FROM _file_raw"
    )
    con.execute("DROP TABLE _file_raw")
    return columns


def header_error(path: Path, found: list[str], mapping: dict[str, str]) -> str | None:
    """Why the file's header cannot feed its mapping, or None when every mapped column is present."""
    missing = [col for col in mapping.values() if col not in found]
    if not missing:
        return None
    return (
        f"{path}: header does not match the source mapping; missing columns {missing}; "
        f"expected {sorted(mapping.values())}; found {found}"
    )
