"""Point in time: re-building an old snapshot after newer files arrived gives the same features."""

import duckdb
import pandas as pd
import pytest

from pipelines.demo.generator import DemoSpec, generate
from tests.jobs import run_up_to_features

pytestmark = pytest.mark.slow
LATER_MONTHS = ("2025-11", "2025-12")
OCTOBER = "2025-10-01"  # the partition whose snapshot date is 2025-10-31


def _october(home) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        frame = con.execute("SELECT * FROM marts.customer_features WHERE snapshot_date = '2025-10-31'").df()
    return frame.sort_values("customer_key").reset_index(drop=True)


def _last_order_month(home) -> str:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        sql = "SELECT strftime(max(order_date), '%Y-%m') FROM intermediate.int_orders__unified"
        return con.execute(sql).fetchone()[0]


def test_old_snapshot_is_unchanged_by_later_data(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATIFY_HOME", str(tmp_path))
    monkeypatch.setenv("STRATIFY_PII_SALT", "test-salt")
    monkeypatch.delenv("STRATIFY_CONFIG", raising=False)
    landing, held = tmp_path / "landing", tmp_path / "held"
    generate(DemoSpec(customers=300, days=200, seed=17), landing)
    later = [p for m in LATER_MONTHS for p in landing.rglob(f"*{m}*") if not {"_truth", "crm"} & set(p.parts)]
    for path in later:
        (held / path.relative_to(landing)).parent.mkdir(parents=True, exist_ok=True)
        path.rename(held / path.relative_to(landing))

    assert len(later) >= 8  # the later months of every order channel, held back
    run_up_to_features("ingest_job")
    run_up_to_features("snapshot_job", OCTOBER)
    before = _october(tmp_path)
    assert _last_order_month(tmp_path) == "2025-10"
    for path in held.rglob("*"):
        if path.is_file():
            path.rename(landing / path.relative_to(held))
    run_up_to_features("ingest_job")
    run_up_to_features("snapshot_job", OCTOBER)

    assert _last_order_month(tmp_path) >= "2025-12"  # the later orders were loaded, yet October is the same
    assert len(before) > 100
    pd.testing.assert_frame_equal(before, _october(tmp_path))
