"""Landed files are read for their sha256 once while unchanged, and again when their size, times or inode
changed or they were modified just before they were hashed (pipelines/ingest/file_hashes.py)."""

import hashlib
import os
import time

import duckdb
import pytest

from pipelines.ingest import file_hashes
from pipelines.ingest.load_source import prepare_warehouse

HOUR_NS = 3600 * 10**9


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        prepare_warehouse(connection)
        yield connection


@pytest.fixture
def reads(monkeypatch):
    """The paths whose bytes were read to hash them (the real hashing still runs)."""
    seen: list[str] = []
    real = file_hashes.sha256_of

    def reading(path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(file_hashes, "sha256_of", reading)
    return seen


def _landed(path, text: str, age_ns: int = HOUR_NS):
    path.write_text(text, encoding="utf-8")
    then = time.time_ns() - age_ns
    os.utime(path, ns=(then, then))
    return path


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_unchanged_file_is_read_once_and_a_rewritten_one_again(con, tmp_path, reads):
    a, b = _landed(tmp_path / "a.csv", "id\n1\n"), _landed(tmp_path / "b.csv", "id\n2\n")
    assert file_hashes.shas_of(con, [a, b]) == {str(a): _sha("id\n1\n"), str(b): _sha("id\n2\n")}
    assert file_hashes.shas_of(con, [a, b]) == {str(a): _sha("id\n1\n"), str(b): _sha("id\n2\n")}
    assert reads == ["a.csv", "b.csv"]

    # Rewritten in place with as many bytes: a new modification time says so.
    _landed(a, "id\n9\n", age_ns=HOUR_NS // 2)
    assert file_hashes.shas_of(con, [a, b])[str(a)] == _sha("id\n9\n")
    assert reads == ["a.csv", "b.csv", "a.csv"]
    # Rewritten with as many bytes and its old modification time put back, as `cp -p` or `rsync -a` leave a
    # corrected re-send: the status-change time, which no tool sets back, says so.
    hashed = os.stat(b).st_mtime_ns
    b.write_text("id\n3\n", encoding="utf-8")
    os.utime(b, ns=(hashed, hashed))
    assert file_hashes.shas_of(con, [b])[str(b)] == _sha("id\n3\n")
    # Replaced by another file of that size and time (an atomic rename): a new inode.
    (tmp_path / "new.csv").write_text("id\n4\n", encoding="utf-8")
    os.utime(tmp_path / "new.csv", ns=(hashed, hashed))
    os.replace(tmp_path / "new.csv", b)
    assert file_hashes.shas_of(con, [b])[str(b)] == _sha("id\n4\n")
    assert reads == ["a.csv", "b.csv", "a.csv", "b.csv", "b.csv"]
    assert con.execute("SELECT count(*), count(DISTINCT path) FROM ops.file_hashes").fetchall() == [(2, 2)]


def test_a_file_modified_just_before_it_was_hashed_is_read_again(con, tmp_path, reads):
    """Within a tick of a coarse file system clock a second write can leave every time as it was: a hash taken
    less than 2 s after the file's modification is not trusted, until one is taken later."""
    fresh = _landed(tmp_path / "fresh.csv", "id\n1\n", age_ns=0)
    file_hashes.shas_of(con, [fresh])
    file_hashes.shas_of(con, [fresh])
    assert reads == ["fresh.csv", "fresh.csv"]
    _landed(fresh, "id\n1\n")  # the same file, modified an hour before the next hashing
    file_hashes.shas_of(con, [fresh])
    assert file_hashes.shas_of(con, [fresh])[str(fresh)] == _sha("id\n1\n")
    assert reads == ["fresh.csv", "fresh.csv", "fresh.csv"]
