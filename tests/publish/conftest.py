"""A small warehouse with segments, drift rows and the published dbt views, built once per session and copied."""

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.segment.store import replace_snapshot
from pipelines.transform.project import DBT_DIR, DBT_EXECUTABLE

SNAPSHOTS = [date(2025, 1, 31), date(2025, 2, 28)]
# The drift table's published columns (the drift stage owns the table and may add more).
DRIFT_DDL = """CREATE SCHEMA IF NOT EXISTS drift;
CREATE TABLE IF NOT EXISTS drift.drift_metrics (snapshot_date DATE, reference_snapshot DATE, metric VARCHAR,
  subject VARCHAR, value DOUBLE, threshold DOUBLE, status VARCHAR)"""
POOL = 300  # customers known to the key map; republishing tests draw snapshots from them
TIERS, MARKETS = ["platinum", "gold", "silver", "bronze"], ["DE", "FR", "GB", "unknown"]


def segments(snapshot: date, n: int, seed: int = 0, first: int = 0) -> pd.DataFrame:
    """n customers c<first>.. with varied tiers, markets, spend and consent, in segments.customer_segments' shape."""
    rng = np.random.default_rng(seed)
    profiled = rng.random(n) < 0.7
    scored = lambda values: [v if p else None for v, p in zip(values, profiled, strict=True)]  # noqa: E731
    return pd.DataFrame({
        "customer_key": [f"c{first + i:05d}" for i in range(n)], "snapshot_date": snapshot,
        "market": rng.choice(MARKETS, n), "recency_days": rng.integers(0, 300, n),
        "frequency_365d": rng.integers(0, 20, n), "monetary_365d": rng.uniform(-20, 900, n).round(2),
        "rfm_r": scored(rng.integers(1, 6, n)), "rfm_f": scored(rng.integers(1, 6, n)),
        "rfm_m": scored(rng.integers(1, 6, n)), "rfm_segment": scored(rng.choice(["Champions", "At Risk"], n)),
        "value_tier": scored(rng.choice(["high", "low"], n)),
        "lifecycle_stage": scored(rng.choice(["new", "active"], n)),
        "cluster_id": scored(rng.integers(0, 4, n)), "tier": scored(rng.choice(TIERS, n)), "cluster_name": None,
        "churn_risk": scored(rng.random(n)), "expected_value_365d": scored(rng.uniform(0, 500, n)),
        "profiled": profiled, "exclusion_reason": [None if p else "no profiling consent" for p in profiled],
        "model_version": "test",
    })  # fmt: skip


def build_publish_models(warehouse: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`dbt build` of the published views and the key map on `warehouse` (which no connection may hold open)."""
    env = {**os.environ, "STRATIFY_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [DBT_EXECUTABLE, "build", "--select", "tag:publish", "--project-dir", str(DBT_DIR)]
    cmd += ["--profiles-dir", str(DBT_DIR), "--target-path", str(warehouse.parent / "dbt_target"), *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 or not check, done.stdout[-4000:]
    return done


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> Path:
    """Two snapshots of POOL customers (some leave, some join), one drift row, the dbt views built."""
    path = tmp_path_factory.mktemp("publish") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        replace_snapshot(con, segments(SNAPSHOTS[0], POOL - 40, seed=1), SNAPSHOTS[0])
        replace_snapshot(con, segments(SNAPSHOTS[1], POOL - 40, seed=2, first=40), SNAPSHOTS[1])
        con.execute(DRIFT_DDL)
        con.execute(
            "INSERT INTO drift.drift_metrics VALUES ('2025-02-28', '2025-01-31', 'psi', 'tier', 0.1, 0.25, 'ok')"
        )
    build_publish_models(path)
    return path


@pytest.fixture
def warehouse(built_warehouse, tmp_path) -> Path:
    """A private copy of the built warehouse (dbt's views and key map included)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, copy)
    return copy
