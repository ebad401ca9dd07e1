"""The Parquet copies of the published tables: a folder per table, a partition folder per snapshot date.

A table published for the first time, or with changed columns, is written whole into a hidden folder. Else
only the partitions of the dates whose rows changed are written there, and the unchanged partitions join
them as hard links to their files. Either way the hidden folder is then swapped for the table's folder by
two renames, so a reader listing a table sees the old folder or the new one, each whole (the folder is
missing between the two renames, for a moment). What the folders hold is kept in a state file
(fingerprints.PARQUET_STATE) removed before the first swap and written after the last, so a publish killed
in between makes the next one rewrite every table whole.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.publish import fingerprints
from pipelines.sql_literals import date_list, sql_str


@dataclass
class Staged:
    """Folders written aside, waiting for the BI file's swap: whole tables, and per table the new partitions
    of changed dates with the dates to remove."""

    whole: dict[str, Path] = field(default_factory=dict)
    dates: dict[str, tuple[Path, list[str]]] = field(default_factory=dict)


def stage(
    con: duckdb.DuckDBPyConnection, alias: str, folder: Path, tables: list[str], now: fingerprints.State
) -> Staged:
    """Write, from the staged BI database `alias`, what each table's folder lacks to match `now`."""
    before = fingerprints.read_parquet_state(folder)
    staged = Staged()
    for table in tables:
        fresh = folder / f".{table}.{uuid.uuid4().hex}"
        change = now[table].changed_since(before.get(table)) if (folder / table).is_dir() else None
        if change is None:
            if now[table].rows():  # an empty table writes no folder: swap_folder publishes an empty one
                _copy(con, f"SELECT * FROM {alias}.{table}", fresh)
            staged.whole[table] = fresh
        elif change != ([], []):
            write, drop = change
            if now[table].rows(write):
                _copy(con, f"SELECT * FROM {alias}.{table} WHERE snapshot_date IN ({date_list(write)})", fresh)
            staged.dates[table] = (fresh, drop)
    return staged


def swap_in(staged: Staged, folder: Path, now: fingerprints.State) -> None:
    """Rename the staged folders and partitions into place, then record `now` as the folders' state."""
    fingerprints.forget_parquet_state(folder)
    for table, fresh in staged.whole.items():
        swap_folder(fresh, folder / table)
    for table, (fresh, drop) in staged.dates.items():
        _swap_partitions(fresh, folder / table, drop)
    fingerprints.write_parquet_state(folder, now)


def swap_folder(fresh: Path, final: Path) -> None:
    """Two renames: a reader listing the folder in between finds it missing for a moment, never half-written."""
    fresh.mkdir(exist_ok=True)  # an empty table wrote no folder: publish an empty one
    old = final.with_name(f".{final.name}.old.{uuid.uuid4().hex}")
    if final.exists():
        final.rename(old)
    fresh.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _swap_partitions(fresh: Path, final: Path, drop: list[str]) -> None:
    """The table's folder swapped whole for one holding the new partitions and hard links to the files of
    the unchanged ones: no date is ever missing from a folder a reader lists, nothing unchanged is copied,
    and unchanged files keep their inode (a reader holding one open is undisturbed)."""
    fresh.mkdir(exist_ok=True)
    gone = {f"snapshot_date={day}" for day in drop}
    for part in final.iterdir() if final.is_dir() else []:
        if part.is_dir() and part.name not in gone and not (fresh / part.name).exists():
            (fresh / part.name).mkdir()
            for file in part.iterdir():
                os.link(file, fresh / part.name / file.name)
    swap_folder(fresh, final)


def _copy(con: duckdb.DuckDBPyConnection, query: str, fresh: Path) -> None:
    """The query's rows as Parquet under `fresh`, a partition per snapshot date. The staged table holds each
    date's rows in published order (written with ORDER BY, whole or date by date), and a scan keeps it."""
    con.execute(f"COPY ({query}) TO {sql_str(fresh)} (FORMAT parquet, PARTITION_BY (snapshot_date))")
