"""`stratify run` on tiny generated data: every customer tiered, RFM equal to an independent computation."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.config import load_config
from pipelines.demo.generator import DemoSpec, generate

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = date(2025, 12, 31)
pytestmark = pytest.mark.slow


def _stratify(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("stratify")
    done = subprocess.run([str(exe), *args], cwd=REPO, capture_output=True, text=True, env=os.environ.copy(),
                          timeout=900)
    assert done.returncode == 0, f"stratify {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def _expected_rfm(landing: Path, snapshot: date) -> pd.DataFrame:
    """RFM from the landing CSVs with pandas, sharing no code with the pipeline."""
    config = load_config(REPO / "stratify.yaml")
    frames = []
    for name, source in config.sources.items():
        files = sorted(landing.glob(source.path))
        lines = pd.concat([pd.read_csv(f, dtype=str) for f in files])
        lines = lines.rename(columns={v: k for k, v in source.columns.items()})
        frames.append(lines.assign(channel=name))
    lines = pd.concat(frames)
    lines["order_date"] = pd.to_datetime(lines["ordered_at"]).dt.date
    lines["net"] = lines["quantity"].astype(int) * lines["unit_price"].astype(float)
    lines = lines[lines["order_date"] <= snapshot]
    orders = lines.groupby(["customer_id", "channel", "order_id"]).agg(day=("order_date", "min"), net=("net", "sum"))
    orders = orders.reset_index()
    recent = orders[orders["day"] >= snapshot - timedelta(days=364)]
    rfm = pd.DataFrame({
        "recency_days": orders.groupby("customer_id")["day"].max().map(lambda d: (snapshot - d).days),
        "frequency_365d": recent.groupby("customer_id").size(),
        "monetary_365d": recent.groupby("customer_id")["net"].sum(),
    }).fillna({"frequency_365d": 0, "monetary_365d": 0.0})
    return rfm.rename_axis("customer_key").sort_index()


@pytest.fixture(scope="module")
def run_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e")
    os.environ["STRATIFY_HOME"] = str(home)
    os.environ["STRATIFY_CONFIG"] = str(REPO / "stratify.yaml")
    os.environ.pop("DAGSTER_HOME", None)
    generate(DemoSpec(customers=300, days=400, seed=11), home / "landing")
    first = _stratify("run")
    yield home, first
    for var in ("STRATIFY_HOME", "STRATIFY_CONFIG", "DAGSTER_HOME"):
        os.environ.pop(var, None)


def _tiers(home: Path) -> pd.DataFrame:
    with duckdb.connect(str(home / "publish" / "tiers.duckdb"), read_only=True) as con:
        return con.execute("SELECT * FROM customer_tiers ORDER BY customer_key").df()


def test_run_prints_tiers_and_output_paths(run_home):
    home, done = run_home
    assert "Snapshots built: 2025-10-31, 2025-11-30, 2025-12-31" in done.stdout
    assert "Customers per tier at 2025-12-31" in done.stdout
    assert str(home / "publish" / "tiers.duckdb") in done.stdout


def test_every_customer_is_tiered_once_with_independent_rfm(run_home):
    home, _ = run_home
    tiers = _tiers(home).set_index("customer_key")
    expected = _expected_rfm(home / "landing", SNAPSHOT)
    assert tiers.index.is_unique
    assert list(tiers.index) == list(expected.index)
    assert set(tiers["tier"]) <= set(load_config(REPO / "stratify.yaml").segment.tier_names)
    assert tiers["tier"].notna().all()
    assert (tiers["snapshot_date"].dt.date == SNAPSHOT).all()
    assert (tiers["recency_days"] == expected["recency_days"]).all()
    assert (tiers["frequency_365d"] == expected["frequency_365d"].astype(int)).all()
    diff = (tiers["monetary_365d"].astype(float) - expected["monetary_365d"]).abs()
    assert diff.max() < 0.005


def test_history_drift_and_parquet_exist_for_each_snapshot(run_home):
    home, _ = run_home
    with duckdb.connect(str(home / "publish" / "tiers.duckdb"), read_only=True) as con:
        snapshots = [r[0].isoformat() for r in con.execute(
            "SELECT DISTINCT snapshot_date FROM customer_tier_history ORDER BY 1").fetchall()]
    assert snapshots == ["2025-10-31", "2025-11-30", "2025-12-31"]
    reports = {p.stem: json.loads(p.read_text()) for p in (home / "reports" / "drift").glob("*.json")}
    assert reports["2025-10-31"] == []  # nothing earlier to compare with
    psi = next(r for r in reports["2025-12-31"] if r["metric"] == "psi")
    assert psi["reference_snapshot"] == "2025-11-30" and psi["status"] in {"ok", "watch", "alert"}
    parts = sorted(p.name for p in (home / "publish" / "parquet" / "customer_tier_history").iterdir())
    assert parts == [f"snapshot_date={s}" for s in snapshots]


def test_second_run_is_idempotent(run_home):
    home, _ = run_home
    before = _tiers(home)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        ledger_before = con.execute("SELECT count(*), sum(rows_accepted) FROM ops.load_ledger").fetchone()
    _stratify("run")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*), sum(rows_accepted) FROM ops.load_ledger").fetchone() == ledger_before
        per_snapshot = con.execute(
            "SELECT snapshot_date, count(*), count(DISTINCT customer_key) FROM segments.customer_segments GROUP BY 1"
        ).fetchall()
    assert all(n == distinct for _, n, distinct in per_snapshot)
    pd.testing.assert_frame_equal(before, _tiers(home))
