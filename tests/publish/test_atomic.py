"""The BI file is replaced whole: an open reader keeps its snapshot, a new reader sees the new one."""

import subprocess
import sys

import duckdb
import pandas as pd

from pipelines.publish.atomic import publish_database, publish_parquet
from pipelines.segment.store import replace_snapshot


def _segments(snapshot, n):
    return pd.DataFrame({
        "customer_key": [f"c{i}" for i in range(n)], "snapshot_date": snapshot, "market": "DE",
        "recency_days": 1, "frequency_365d": 2, "monetary_365d": 3.0, "rfm_r": 5, "rfm_f": 4, "rfm_m": 3,
        "rfm_segment": "Loyal", "value_tier": "high", "lifecycle_stage": "active", "cluster_id": 0, "tier": "gold",
        "profiled": True, "exclusion_reason": None,
    })  # fmt: skip


def _count_in_new_process(path, table):
    query = f"SELECT count(*) FROM {table}"
    code = f"import duckdb; print(duckdb.connect({str(path)!r}, read_only=True).execute({query!r}).fetchall()[0][0])"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def test_publish_swaps_the_file_and_open_readers_keep_reading(tmp_path):
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    target = tmp_path / "publish" / "tiers.duckdb"
    replace_snapshot(warehouse, _segments(pd.Timestamp("2025-01-31").date(), 3), pd.Timestamp("2025-01-31").date())
    assert publish_database(warehouse, target) == {"customer_tiers": 3, "customer_tier_history": 3}
    reader = duckdb.connect(str(target), read_only=True)

    replace_snapshot(warehouse, _segments(pd.Timestamp("2025-02-28").date(), 5), pd.Timestamp("2025-02-28").date())
    publish_database(warehouse, target)

    assert reader.execute("SELECT count(*) FROM customer_tiers").fetchall()[0][0] == 3
    # A new reader is another process, as a BI tool is (DuckDB caches open databases per process).
    assert _count_in_new_process(target, "customer_tiers") == 5
    assert _count_in_new_process(target, "customer_tier_history") == 8
    reader.close()
    leftovers = [p.name for p in target.parent.iterdir() if p.name != "tiers.duckdb"]
    assert leftovers == []


def test_parquet_copies_are_partitioned_by_snapshot(tmp_path):
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    for day, n in (("2025-01-31", 2), ("2025-02-28", 4)):
        replace_snapshot(warehouse, _segments(pd.Timestamp(day).date(), n), pd.Timestamp(day).date())
    publish_parquet(warehouse, tmp_path / "parquet")
    history = tmp_path / "parquet" / "customer_tier_history"
    assert sorted(p.name for p in history.iterdir()) == ["snapshot_date=2025-01-31", "snapshot_date=2025-02-28"]
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{history}/*/*.parquet')").fetchall()[0][0]
    assert count == 6
    publish_parquet(warehouse, tmp_path / "parquet")
    assert [p.name for p in (tmp_path / "parquet").iterdir() if p.name.startswith(".")] == []
