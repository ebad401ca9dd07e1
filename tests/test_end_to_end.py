"""`stratify run` on a user's single export, configured by YAML only: every customer tiered, RFM equal to
an independent pandas computation from the landing file."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = date(2025, 6, 30)
pytestmark = pytest.mark.slow

# One CSV of order lines in the layout of a common retail export: no line ids, US dates, country names,
# cancellations as negative quantities on 'C' invoices, anonymous rows without a customer id.
CONFIG = {
    "base_currency": "GBP",
    "sources": {
        "orders": {
            "path": "export/*.csv",
            "timestamp_format": "%m/%d/%Y %H:%M",
            "columns": {
                "order_id": "InvoiceNo",
                "sku": "StockCode",
                "quantity": "Quantity",
                "ordered_at": "InvoiceDate",
                "unit_price": "UnitPrice",
                "customer_id": "CustomerID",
                "country": "Country",
            },
            "constants": {"currency": "GBP"},
        }
    },
    "snapshots": {"cadence": "monthly", "start_date": "2024-01-01", "latest": 3},
    # An export without a CRM has no consent data; this retailer profiles on another legal basis.
    "segment": {"require_consent": False},
}


def _write_export(folder: Path, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows, invoice = [], 500000
    start = pd.Timestamp("2024-07-01")
    for customer in range(1, 121):
        for _ in range(int(rng.integers(1, 12))):
            invoice += 1
            at = start + pd.Timedelta(minutes=int(rng.integers(0, 364 * 24 * 60)))
            cancelled = rng.random() < 0.05
            for _ in range(int(rng.integers(1, 4))):
                qty = int(rng.integers(1, 6)) * (-1 if cancelled else 1)
                rows.append(
                    {
                        "InvoiceNo": f"{'C' if cancelled else ''}{invoice}",
                        "StockCode": f"{rng.integers(10000, 99999)}",
                        "Description": "ITEM",
                        "Quantity": qty,
                        "InvoiceDate": at.strftime("%m/%d/%Y %H:%M"),
                        "UnitPrice": f"{rng.uniform(0.5, 30):.2f}",
                        "CustomerID": "" if rng.random() < 0.03 else f"{12000 + customer}",
                        "Country": rng.choice(["United Kingdom", "France", "Germany"]),
                    }
                )
    frame = pd.DataFrame(rows)
    folder.mkdir(parents=True)
    frame.to_csv(folder / "online_retail.csv", index=False)
    return frame


def _expected_rfm(lines: pd.DataFrame, snapshot: date) -> pd.DataFrame:
    """RFM from the export with pandas, sharing no code with the pipeline."""
    lines = lines[lines["CustomerID"] != ""].copy()
    lines["day"] = pd.to_datetime(lines["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.date
    lines["net"] = lines["Quantity"].astype(int) * lines["UnitPrice"].astype(float)
    lines = lines[lines["day"] <= snapshot]
    orders = lines.groupby(["CustomerID", "InvoiceNo"]).agg(day=("day", "min"), net=("net", "sum")).reset_index()
    recent = orders[orders["day"] >= snapshot - timedelta(days=364)]
    rfm = pd.DataFrame(
        {
            "recency_days": orders.groupby("CustomerID")["day"].max().map(lambda d: (snapshot - d).days),
            "frequency_365d": recent.groupby("CustomerID").size(),
            "monetary_365d": recent.groupby("CustomerID")["net"].sum(),
        }
    ).fillna({"frequency_365d": 0, "monetary_365d": 0.0})
    return rfm.sort_index()


def _stratify(env: dict, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("stratify")
    done = subprocess.run([str(exe), *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, f"stratify {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e")
    lines = _write_export(home / "landing" / "export")
    (home / "stratify.yaml").write_text(yaml.safe_dump(CONFIG))
    env = {**os.environ, "STRATIFY_HOME": str(home), "STRATIFY_CONFIG": str(home / "stratify.yaml")}
    env.pop("DAGSTER_HOME", None)
    env.pop("STRATIFY_PII_SALT", None)  # an export without PII needs no salt
    done = _stratify(env, "run", "--snapshots", "2025-04-30:2025-06-30")
    return home, env, lines, done


def _tiers(home: Path) -> pd.DataFrame:
    with duckdb.connect(str(home / "publish" / "tiers.duckdb"), read_only=True) as con:
        return con.execute("SELECT * FROM customer_tiers ORDER BY customer_key").df()


def test_run_prints_tiers_and_output_paths(run):
    home, _, _, done = run
    assert "Snapshots built: 2025-04-30, 2025-05-31, 2025-06-30" in done.stdout
    assert "Customers per tier at 2025-06-30" in done.stdout
    assert str(home / "publish" / "tiers.duckdb") in done.stdout


def test_every_customer_is_tiered_once_with_independent_rfm(run):
    home, _, lines, _ = run
    tiers = _tiers(home)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        keys = dict(
            con.execute(
                "SELECT m.published_key, i.id FROM pseudonyms.customer_key_map m "
                "JOIN intermediate.int_customers__identity i USING (customer_key)"
            ).fetchall()
        )
    tiers = tiers.assign(customer_id=tiers["customer_key"].map(keys)).set_index("customer_id").sort_index()
    expected = _expected_rfm(lines, SNAPSHOT)
    assert tiers.index.is_unique and list(tiers.index) == list(expected.index)
    assert tiers["tier"].isin(["platinum", "gold", "silver", "bronze"]).all()
    assert (tiers["snapshot_date"].dt.date == SNAPSHOT).all()
    assert (tiers["recency_days"] == expected["recency_days"]).all()
    assert (tiers["frequency_365d"] == expected["frequency_365d"].astype(int)).all()
    assert (tiers["monetary_365d"].astype(float) - expected["monetary_365d"]).abs().max() < 0.005


def test_history_and_parquet_exist_for_each_snapshot(run):
    home, _, _, _ = run
    with duckdb.connect(str(home / "publish" / "tiers.duckdb"), read_only=True) as con:
        snapshots = [
            r[0].isoformat()
            for r in con.execute("SELECT DISTINCT snapshot_date FROM customer_tier_history ORDER BY 1").fetchall()
        ]
    assert snapshots == ["2025-04-30", "2025-05-31", "2025-06-30"]
    assert (home / "reports" / "drift" / "2025-06-30.json").exists()
    parts = sorted(p.name for p in (home / "publish" / "parquet" / "customer_tier_history").iterdir())
    assert parts == [f"snapshot_date={s}" for s in snapshots]


def _history_files(home: Path) -> dict[str, int]:
    """The Parquet files of every published snapshot's history, by path, with their inode (a rewrite changes it)."""
    folder = home / "publish" / "parquet" / "customer_tier_history"
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*.parquet")}


def test_second_run_is_idempotent(run):
    home, env, _, _ = run
    before, files_before = _tiers(home), _history_files(home)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        ledger_before = con.execute("SELECT count(*), sum(rows_accepted) FROM ops.load_ledger").fetchall()
    _stratify(env, "run", "--snapshots", "2025-06-30:2025-06-30", "--rebuild")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*), sum(rows_accepted) FROM ops.load_ledger").fetchall() == ledger_before
    pd.testing.assert_frame_equal(before, _tiers(home))
    # Republishing one snapshot leaves the earlier snapshots' published files as they were, not copied again.
    earlier = {f: ino for f, ino in files_before.items() if "2025-06-30" not in f}
    assert len(earlier) >= 2 and {f: _history_files(home)[f] for f in earlier} == earlier


def test_a_run_with_nothing_new_skips_up_to_date_snapshots(run):
    home, env, _, _ = run
    published = (home / "publish" / "tiers.duckdb").stat().st_mtime_ns
    done = _stratify(env, "run", "--snapshots", "2025-04-30:2025-06-30")
    assert "Snapshots built: none" in done.stdout
    assert "load models up to date (no rows loaded since their last build): dbt not run" in done.stdout
    assert "Up to date, not rebuilt: 2025-04-30, 2025-05-31, 2025-06-30" in done.stdout
    assert (home / "publish" / "tiers.duckdb").stat().st_mtime_ns == published  # not even republished


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("2025-07-31:2025-09-30", "no orders in the period of snapshot(s) 2025-07-31, 2025-08-31, 2025-09-30: the "
                                  "data's last order is of 2025-06-"),
        ("2025-05-10:2025-05-20", "no snapshot date between 2025-05-10 and 2025-05-20: monthly snapshots fall on each "
                                  "period's last day, from 2024-01-01"),
    ],
)  # fmt: skip
def test_snapshots_asked_for_that_cannot_be_built_are_refused_by_name(run, asked, said):
    """A snapshot after the data would publish every customer as lapsed; a range holding no snapshot date said
    "no complete snapshot period in the data"."""
    home, env, _, _ = run
    published = (home / "publish" / "tiers.duckdb").stat().st_mtime_ns
    exe = Path(sys.executable).with_name("stratify")
    done = subprocess.run([str(exe), "run", "--snapshots", asked], cwd=REPO, capture_output=True, text=True, env=env)
    assert done.returncode == 1 and said in done.stderr, done.stderr[-2000:]
    assert (home / "publish" / "tiers.duckdb").stat().st_mtime_ns == published


def test_a_reversed_snapshot_range_is_an_argument_error(run):
    _, env, _, _ = run
    exe = Path(sys.executable).with_name("stratify")
    done = subprocess.run([str(exe), "run", "--snapshots", "2025-06-30:2025-01-31"], capture_output=True, text=True,
                          env=env)  # fmt: skip
    assert done.returncode == 2 and "the first date comes after the last in '2025-06-30:2025-01-31'" in done.stderr


def test_status_summarises_loads_snapshots_and_drift(run):
    home, env, lines, _ = run
    status = json.loads(_stratify(env, "status", "--json").stdout)
    assert status["healthy"] and status["warehouse"] == "ok"
    (orders,) = status["sources"]
    assert orders["source"] == "orders" and orders["files"] == 1
    assert orders["rows_accepted"] + orders["rows_quarantined"] == len(lines)
    assert status["last_snapshot"] == "2025-06-30" and status["snapshots_built"] == 3
    assert status["drift"]["snapshot_date"] == "2025-06-30"
    assert status["drift"]["reference_snapshot"] == "2025-05-31"
    assert status["published"]["snapshot_date"] == "2025-06-30"
    text = _stratify(env, "status").stdout
    assert "healthy" in text and "orders" in text and "last snapshot: 2025-06-30 (3 built)" in text


def test_status_says_busy_while_a_run_writes(run):
    home, env, _, _ = run
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); time.sleep(60)"
    writer = subprocess.Popen(
        [sys.executable, "-c", hold, str(home / "warehouse.duckdb")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        status = json.loads(_stratify(env, "status", "--json").stdout)
        assert status["warehouse"].startswith("busy")
        assert status["published"]["snapshot_date"] == "2025-06-30"  # the BI file stays readable
    finally:
        writer.kill()
        writer.wait()


def test_dbt_docs_generate_offline_documents_every_model(run, tmp_path):
    """Issue #4: `dbt docs generate` works on this offline machine, over the warehouse a run built, and the
    catalog describes every model the manifest holds, with each model and its columns documented."""
    from pipelines.transform.project import DBT_DIR, DBT_EXECUTABLE

    home, env, _, _ = run
    env = {**env, "STRATIFY_WAREHOUSE_PATH": str(home / "warehouse.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [DBT_EXECUTABLE, "docs", "generate", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    cmd += ["--target-path", str(tmp_path), "--log-path", str(tmp_path)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert len(models) >= 20 and set(models) <= set(catalog["nodes"])
    undocumented = [k for k, n in models.items() if not n["description"].strip()]
    assert not undocumented, undocumented
    undescribed = {}  # every column the warehouse holds is described in its model's YAML
    for key, node in models.items():
        columns = {c.lower() for c in catalog["nodes"][key]["columns"]}
        described = {c.lower() for c, v in node["columns"].items() if v["description"].strip()}
        undescribed.update({key: sorted(columns - described)} if columns - described else {})
    assert not undescribed, "\n".join(f"{k}: {v}" for k, v in undescribed.items())
    assert (tmp_path / "index.html").exists()


# Keep this test last in the module: it lands a file, which the tests above (counts of the one export) must not see.
def test_a_late_order_rebuilds_its_snapshot_and_every_later_one(run):
    """docs/operating.md: a late file with older orders rebuilds that snapshot and every later one (their drift
    and cluster names are judged against the one before); the earlier snapshot is skipped, its files untouched."""
    home, env, _, _ = run
    files_before = _history_files(home)
    late = pd.DataFrame([{"InvoiceNo": "900001", "StockCode": "10001", "Description": "ITEM", "Quantity": 2,
                          "InvoiceDate": "05/15/2025 10:00", "UnitPrice": "9.99", "CustomerID": "12001",
                          "Country": "France"}])  # fmt: skip
    late.to_csv(home / "landing" / "export" / "online_retail_late.csv", index=False)
    done = _stratify(env, "run", "--snapshots", "2025-04-30:2025-06-30")
    assert "==> snapshot 2025-05-31: building (orders orders of 2025-05-15 loaded since it was built)" in done.stdout
    assert "==> snapshot 2025-06-30: building (after 2025-05-31, which was rebuilt)" in done.stdout
    assert "Snapshots built: 2025-05-31, 2025-06-30" in done.stdout
    assert "Up to date, not rebuilt: 2025-04-30" in done.stdout
    april = {f: ino for f, ino in files_before.items() if "2025-04-30" in f}
    assert april and {f: _history_files(home)[f] for f in april} == april
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        frequency = con.execute(
            "SELECT snapshot_date, frequency_365d FROM marts.customer_features f "
            "JOIN intermediate.int_customers__identity i USING (customer_key) WHERE i.id = '12001' ORDER BY 1"
        ).fetchall()
    expected = _expected_rfm(pd.concat([run[2], late.astype(str)]), date(2025, 5, 31)).loc["12001", "frequency_365d"]
    assert dict(frequency)[date(2025, 5, 31)] == expected
