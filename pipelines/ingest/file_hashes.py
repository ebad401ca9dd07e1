"""sha256 of landed files, remembered by path, size, times and inode.

The ledger knows a file by its content, so each run needs every landed file's sha256. Read afresh, that is
every byte ever landed, every run: 1.4 GB at 10M order lines, growing with each day's files. A file whose
size, modification time, status-change time and inode are as they were when it was hashed keeps that hash,
as git trusts its index. The status-change time moves with any write and cannot be set back, so a copy that
keeps the old modification time (`cp -p`, `rsync -a`, an unzip) still reads as changed. As in git, a file
modified shortly before it was hashed is hashed again next time: a second write in the same tick of a
coarse file system clock would leave its times as they were.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

DDL = """
CREATE TABLE IF NOT EXISTS ops.file_hashes (
  path VARCHAR, size BIGINT, mtime_ns BIGINT, ctime_ns BIGINT, inode BIGINT, sha256 VARCHAR, hashed_at_ns BIGINT);
"""
# A hash is trusted only for a file last modified this long before it was hashed (coarse file system clocks).
RACY_NS = 2_000_000_000


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read(paths: list[Path]) -> dict[str, str]:
    """sha256 of each file, several at a time: hashlib releases the GIL, and 1.3 GB take ~2 s on one core."""
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return dict(zip(map(str, paths), pool.map(sha256_of, paths), strict=True))


def shas_of(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[str, str]:
    """sha256 of each path: remembered where the file is unchanged since it was hashed, read otherwise."""
    stats = {str(p): _identity(p.stat()) for p in paths}
    known = _remembered(con, list(stats))
    shas, unread = {}, []
    for path, identity in stats.items():
        was, sha, hashed_at_ns = known.get(path, (None, None, None))
        if was == identity and identity[1] < hashed_at_ns - RACY_NS:
            shas[path] = sha
        else:
            unread.append(Path(path))
    hashed_at_ns = time.time_ns()
    read = _read(unread)
    _remember(con, [(p, *stats[p], sha, hashed_at_ns) for p, sha in read.items()])
    return {path: shas.get(path) or read[path] for path in stats}


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """What says a file is as it was: size, modification time, status-change time, inode."""
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _remembered(con: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, tuple]:
    if not paths:
        return {}
    rows = con.execute(
        "SELECT path, size, mtime_ns, ctime_ns, inode, sha256, hashed_at_ns FROM ops.file_hashes"
        " WHERE path IN (SELECT unnest(?))",
        [paths],
    ).fetchall()
    return {path: ((size, mtime, ctime, inode), sha, at) for path, size, mtime, ctime, inode, sha, at in rows}


def _remember(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """Replace what is remembered of these paths, in one transaction."""
    if not rows:
        return
    columns = [list(column) for column in zip(*rows, strict=True)]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM ops.file_hashes WHERE path IN (SELECT unnest(?))", [columns[0]])
        # One statement for any number of files (a marketplace lands thousands of Parquet parts).
        con.execute(
            "INSERT INTO ops.file_hashes (path, size, mtime_ns, ctime_ns, inode, sha256, hashed_at_ns)"
            " SELECT unnest(?::VARCHAR[]), unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::BIGINT[]),"
            " unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[])",
            columns,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
