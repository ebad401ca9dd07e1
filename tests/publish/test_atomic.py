"""The BI file is replaced whole: an open reader keeps its snapshot, a new reader sees the new one, and a
publish killed half-way leaves the previous one as it was."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pipelines.publish.atomic import PUBLISHED_TABLES, publish
from pipelines.publish.fingerprints import PARQUET_STATE
from pipelines.segment.store import replace_snapshot
from tests.publish.conftest import DRIFT_DDL, POOL, SNAPSHOTS, build_publish_models, segments

REPO = Path(__file__).resolve().parents[2]


def _count_in_new_process(path, table):
    query = f"SELECT count(*) FROM {table}"
    code = f"import duckdb; print(duckdb.connect({str(path)!r}, read_only=True).execute({query!r}).fetchall()[0][0])"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def _paths(root: Path) -> tuple[Path, Path]:
    return root / "publish" / "tiers.duckdb", root / "publish" / "parquet"


def _parquet_count(folder: Path) -> int:
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/*/*.parquet')").fetchall()[0][0]


def test_publish_swaps_the_file_and_open_readers_keep_reading(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        counts = publish(con, target, parquet).counts
    assert counts["customer_tiers"] == POOL - 40 and counts["customer_tier_history"] == 2 * (POOL - 40)
    assert counts["drift_metrics"] == 1 and counts["segment_summary"] > 0 and counts["tier_migration"] > 0
    reader = duckdb.connect(str(target), read_only=True)

    with duckdb.connect(str(warehouse)) as con:
        replace_snapshot(con, segments(SNAPSHOTS[1], 100, seed=3), SNAPSHOTS[1])
        publish(con, target, parquet)

    assert reader.execute("SELECT count(*) FROM customer_tiers").fetchall()[0][0] == POOL - 40
    # A new reader is another process, as a BI tool is (DuckDB caches open databases per process).
    assert _count_in_new_process(target, "customer_tiers") == 100
    assert _count_in_new_process(target, "customer_tier_history") == POOL - 40 + 100
    reader.close()
    assert sorted(p.name for p in target.parent.iterdir()) == ["parquet", "tiers.duckdb"]


def test_parquet_copies_equal_the_database_and_are_partitioned_by_snapshot(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        counts = publish(con, target, parquet).counts
        publish(con, target, parquet)  # a second publish leaves nothing behind
    assert sorted(p.name for p in parquet.iterdir()) == sorted([*PUBLISHED_TABLES, PARQUET_STATE])
    history = parquet / "customer_tier_history"
    assert sorted(p.name for p in history.iterdir()) == [f"snapshot_date={d}" for d in SNAPSHOTS]
    assert {t: _parquet_count(parquet / t) for t in PUBLISHED_TABLES} == counts


def test_published_ids_are_opaque_and_stable_across_snapshots_and_runs(warehouse):
    query = "SELECT customer_key, published_key FROM pseudonyms.customer_key_map"
    with duckdb.connect(str(warehouse)) as con:
        before = dict(con.execute(query).fetchall())
        history = con.execute("SELECT customer_key, count(*) FROM marts.customer_tier_history GROUP BY 1").fetchall()
        replace_snapshot(con, segments(SNAPSHOTS[1], 50, seed=4, first=POOL), SNAPSHOTS[1])  # 50 new customers
    assert {n for _, n in history} == {1, 2}  # customers in both snapshots kept one id
    build_publish_models(warehouse)
    build_publish_models(warehouse, "--full-refresh")  # the key map ignores a full refresh
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = dict(con.execute(query).fetchall())
    assert {k: after[k] for k in before} == before
    assert len(after) == len(before) + 50 and len(set(after.values())) == len(after)
    assert all(v.startswith("cus_") and len(v) == 20 for v in after.values())


def test_published_ids_cannot_be_recomputed_from_the_customer_key(warehouse, tmp_path):
    """The same customers published by another warehouse get other ids: a published id is drawn, not derived, so
    nobody holding a customer_key (itself a hash of a channel id) can find the customer's published row."""
    query = "SELECT customer_key, published_key FROM pseudonyms.customer_key_map"
    other = tmp_path / "other" / "warehouse.duckdb"
    other.parent.mkdir()
    with duckdb.connect(str(other)) as con:
        replace_snapshot(con, segments(SNAPSHOTS[0], POOL - 40, seed=1), SNAPSHOTS[0])
        con.execute(DRIFT_DDL)
    build_publish_models(other)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ours = dict(con.execute(query).fetchall())
    with duckdb.connect(str(other), read_only=True) as con:
        theirs = dict(con.execute(query).fetchall())
    shared = ours.keys() & theirs.keys()
    assert len(shared) == POOL - 40
    assert all(ours[k] != theirs[k] for k in shared)


READER = """
import json, sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
reads, errors, inconsistent, seen = 0, [], [], set()
while True:
    done = __import__("os").path.exists(stop)
    try:
        with duckdb.connect(path, read_only=True) as con:
            con.execute("BEGIN TRANSACTION")
            snapshot, customers = con.execute(
                "SELECT max(snapshot_date), count(*) FROM customer_tiers").fetchall()[0]
            summed = con.execute(
                "SELECT sum(customers) FROM segment_summary WHERE snapshot_date = ? AND market = 'ALL' "
                "GROUP BY segmentation", [snapshot]).fetchall()
            con.execute("COMMIT")
        reads += 1
        seen.add(customers)
        if not summed or any(s != customers for (s,) in summed):
            inconsistent.append([str(snapshot), customers, [s for (s,) in summed]])
    except Exception as e:
        errors.append(repr(e))
    if done:
        break
print(json.dumps({"reads": reads, "errors": errors[:5], "n_errors": len(errors),
                  "inconsistent": inconsistent[:5], "seen": sorted(seen)}))
"""


def test_a_reader_process_sees_only_whole_consistent_publishes(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    stop = tmp_path / "stop"
    with duckdb.connect(str(warehouse)) as con:
        publish(con, target, parquet)
        reader = subprocess.Popen([sys.executable, "-c", READER, str(target), str(stop)], stdout=subprocess.PIPE)
        time.sleep(1.0)  # the reader is reading before the first republish
        started, sizes = time.perf_counter(), [60 + 35 * i for i in range(6)]
        for i, n in enumerate(sizes):
            # The latest snapshot changes size each round, so a torn read would show as a mismatch.
            replace_snapshot(con, segments(SNAPSHOTS[1], n, seed=10 + i, first=40), SNAPSHOTS[1])
            publish(con, target, parquet)
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    stop.touch()
    out, _ = reader.communicate(timeout=60)
    result = json.loads(out)
    print(f"reader: {result['reads']} reads during {len(sizes)} publishes in {elapsed:.1f}s; saw {result['seen']}")
    assert result["n_errors"] == 0, result["errors"]
    assert result["inconsistent"] == [], result["inconsistent"]
    assert result["reads"] >= 20 and len(result["seen"]) >= 3, result  # it read across several publishes
    assert sizes[-1] in result["seen"]


STALLED_PUBLISH = """
import sys, time, types, duckdb
from pathlib import Path
from pipelines.publish import atomic
warehouse, target, parquet, flag = map(Path, sys.argv[1:5])

def stall(src, dst):  # everything is written aside; stop just before the swap and wait to be killed
    flag.write_text(str(src))
    time.sleep(600)

atomic.os = types.SimpleNamespace(replace=stall)
with duckdb.connect(str(warehouse)) as con:
    atomic.publish(con, target, parquet)
"""


def test_a_publish_killed_before_the_swap_leaves_the_previous_one_and_is_cleaned_up(warehouse, tmp_path):
    target, parquet = _paths(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        first = publish(con, target, parquet).counts
        replace_snapshot(con, segments(SNAPSHOTS[1], 77, seed=5, first=40), SNAPSHOTS[1])
    flag = tmp_path / "stalled"
    args = [str(p) for p in (warehouse, target, parquet, flag)]
    proc = subprocess.Popen([sys.executable, "-c", STALLED_PUBLISH, *args], cwd=REPO)
    deadline = time.monotonic() + 60
    while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.exists(), "the publish never reached the swap"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    leftovers = [p.name for p in target.parent.iterdir() if p.name.startswith(".")]
    leftovers += [p.name for p in parquet.iterdir() if p.name.startswith(".") and p.name != PARQUET_STATE]
    # The staged file and a folder of new partitions for each table the changed snapshot touches (not drift).
    assert Path(flag.read_text()).name in leftovers and len(leftovers) == 1 + len(PUBLISHED_TABLES) - 1
    assert _count_in_new_process(target, "customer_tiers") == first["customer_tiers"]
    assert _count_in_new_process(target, "segment_summary") == first["segment_summary"]
    assert _parquet_count(parquet / "customer_tiers") == first["customer_tiers"]

    with duckdb.connect(str(warehouse)) as con:
        assert publish(con, target, parquet).counts["customer_tiers"] == 77
    assert sorted(p.name for p in target.parent.iterdir()) == ["parquet", "tiers.duckdb"]
    assert sorted(p.name for p in parquet.iterdir()) == sorted([*PUBLISHED_TABLES, PARQUET_STATE])
    assert _count_in_new_process(target, "customer_tiers") == 77
