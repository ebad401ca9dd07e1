"""A publish writes only the snapshot dates whose rows changed, and ends where a publish from scratch would."""

import os
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import parquet_copies
from pipelines.publish.atomic import PUBLISHED_TABLES, publish
from pipelines.publish.fingerprints import PARQUET_STATE
from pipelines.segment.store import replace_snapshot
from tests.publish.conftest import POOL, SNAPSHOTS, segments

CHANGED_BY_A_SNAPSHOT = ["customer_tier_history", "customer_tiers", "segment_summary", "tier_migration"]


def _paths(root: Path) -> tuple[Path, Path]:
    return root / "publish" / "tiers.duckdb", root / "publish" / "parquet"


def _rows(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {source}").fetchall(), key=repr)


def _same_as_from_scratch(warehouse: Path, target: Path, parquet: Path, scratch: Path) -> None:
    """Every table of the updated file and folders equals what a first publish of the warehouse writes."""
    fresh_target, fresh_parquet = _paths(scratch)
    with duckdb.connect(str(warehouse)) as con:
        assert publish(con, fresh_target, fresh_parquet).whole == list(PUBLISHED_TABLES)
    with duckdb.connect(str(target), read_only=True) as got, duckdb.connect(str(fresh_target), read_only=True) as want:
        for table in PUBLISHED_TABLES:
            assert _rows(got, table) == _rows(want, table), table
            assert _parquet_rows(got, parquet / table) == _parquet_rows(want, fresh_parquet / table), table


def _parquet_rows(con: duckdb.DuckDBPyConnection, folder: Path) -> list[tuple]:
    if not list(folder.glob("*/*.parquet")):  # an empty table is an empty folder
        return []
    return _rows(con, f"read_parquet('{folder}/*/*.parquet', hive_partitioning = true)")


def _inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*.parquet")}


def test_a_changed_snapshot_rewrites_its_date_only_and_leaves_history_files_alone(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        first = publish(con, target, parquet)
        before = _inodes(parquet)
        replace_snapshot(con, segments(SNAPSHOTS[1], 120, seed=7, first=40), SNAPSHOTS[1])
        second = publish(con, target, parquet)
    assert first.whole == list(PUBLISHED_TABLES) and second.whole == []
    assert second.dates == {t: [SNAPSHOTS[1].isoformat()] for t in CHANGED_BY_A_SNAPSHOT}
    assert second.counts["customer_tiers"] == 120
    assert second.counts["customer_tier_history"] == POOL - 40 + 120
    after = _inodes(parquet)
    untouched = [f for f in before if f"snapshot_date={SNAPSHOTS[0]}" in f or f.startswith("drift_metrics/")]
    assert untouched and all(after[f] == before[f] for f in untouched)  # the same files, not rewritten copies
    rewritten = [f for f in before if f.startswith("customer_tier_history/") and str(SNAPSHOTS[1]) in f]
    assert rewritten and all(after[f] != before[f] for f in rewritten)
    _same_as_from_scratch(warehouse, target, parquet, tmp_path / "scratch")


def test_a_publish_with_nothing_changed_writes_no_rows(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, parquet)
        before = _inodes(parquet)
        again = publish(con, target, parquet)
    assert again.whole == [] and again.dates == {}
    assert _inodes(parquet) == before


def test_a_vanished_snapshot_leaves_the_file_and_the_folders(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, parquet)
        con.execute("DELETE FROM segments.customer_segments WHERE snapshot_date = ?", [SNAPSHOTS[1]])
        con.execute("DELETE FROM drift.drift_metrics")
        done = publish(con, target, parquet)
    assert done.dates["customer_tier_history"] == [SNAPSHOTS[1].isoformat()]
    assert done.dates["drift_metrics"] == [SNAPSHOTS[1].isoformat()]
    assert done.counts["customer_tier_history"] == POOL - 40 and done.counts["drift_metrics"] == 0
    assert [p.name for p in (parquet / "customer_tier_history").iterdir()] == [f"snapshot_date={SNAPSHOTS[0]}"]
    assert list((parquet / "drift_metrics").iterdir()) == []
    _same_as_from_scratch(warehouse, target, parquet, tmp_path / "scratch")


def test_parquet_left_half_swapped_by_a_failed_publish_is_rewritten_whole_next_time(warehouse, tmp_path, monkeypatch):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, parquet)
        replace_snapshot(con, segments(SNAPSHOTS[1], 90, seed=8, first=40), SNAPSHOTS[1])
        swaps = []

        def fail_second(fresh, final, drop):  # the first table's partitions move in, then the publish dies
            if swaps:
                raise OSError("disk gone")
            swaps.append(final.name)
            original(fresh, final, drop)

        original = parquet_copies._swap_partitions
        monkeypatch.setattr(parquet_copies, "_swap_partitions", fail_second)
        with pytest.raises(OSError, match="disk gone"):
            publish(con, target, parquet)
        assert swaps and not (parquet / PARQUET_STATE).exists()  # no state: the folders are not trusted
        monkeypatch.setattr(parquet_copies, "_swap_partitions", original)
        again = publish(con, target, parquet)
    assert again.whole == [] and again.dates == {}  # the file was swapped whole before the folders: up to date
    assert (parquet / PARQUET_STATE).exists()
    assert sorted(p.name for p in parquet.iterdir() if p.name.startswith(".")) == [PARQUET_STATE]
    _same_as_from_scratch(warehouse, target, parquet, tmp_path / "scratch")


def test_a_file_published_before_states_were_kept_is_rewritten_whole(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, parquet)
    with duckdb.connect(str(target)) as old:
        old.execute("DROP SCHEMA _stratify CASCADE")
    os.remove(parquet / PARQUET_STATE)
    with duckdb.connect(str(warehouse)) as con:
        assert publish(con, target, parquet).whole == list(PUBLISHED_TABLES)
    _same_as_from_scratch(warehouse, target, parquet, tmp_path / "scratch")


def _edit_published(target: Path, *statements: str) -> None:
    with duckdb.connect(str(target)) as con:
        for statement in statements:
            con.execute(statement)


def test_a_state_the_file_disagrees_with_is_not_trusted(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, parquet)
    _edit_published(target, "DROP TABLE tier_migration", "ALTER TABLE segment_summary DROP COLUMN revenue_share")
    with duckdb.connect(str(warehouse)) as con:
        assert publish(con, target, parquet).whole == ["segment_summary", "tier_migration"]
    _same_as_from_scratch(warehouse, target, parquet, tmp_path / "scratch")


def test_an_unreadable_state_or_a_table_no_longer_published_is_mended(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, parquet)
    _edit_published(
        target, "CREATE OR REPLACE TABLE _stratify.published AS SELECT 1 AS x", "CREATE TABLE retired AS SELECT 1 AS y"
    )
    with duckdb.connect(str(warehouse)) as con:
        assert publish(con, target, parquet).whole == list(PUBLISHED_TABLES)
    with duckdb.connect(str(target), read_only=True) as con:
        assert {r[0] for r in con.execute("SHOW TABLES").fetchall()} == set(PUBLISHED_TABLES)
    _edit_published(target, "CREATE TABLE retired AS SELECT 1 AS y")  # with a good state too
    with duckdb.connect(str(warehouse)) as con:
        assert publish(con, target, parquet).whole == []
    with duckdb.connect(str(target), read_only=True) as con:
        assert {r[0] for r in con.execute("SHOW TABLES").fetchall()} == set(PUBLISHED_TABLES)
