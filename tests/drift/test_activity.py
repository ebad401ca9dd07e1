"""Activity drift on hand-made orders: periods, effect sizes, the tests that back them, and how they are said."""

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from pipelines.config import DriftActivityConfig, DriftConfig
from pipelines.drift.activity import (
    activity_drift,
    compare_activity,
    headline,
    period_of,
    reference_period,
    share_change,
    summary_lines,
)
from pipelines.drift.alerts import build_message
from pipelines.drift.checks import drift_check_results
from pipelines.drift.compare import compare_snapshots, drifted, metric_rows

CFG = DriftActivityConfig()
CHANNELS = np.array(["pos", "ecommerce", "app", "marketplace"])


def _orders(rng, market: str, n: int, mean: float, app: float, start: date) -> pd.DataFrame:
    rest = (1 - app) / 3
    return pd.DataFrame(
        {
            "channel": rng.choice(CHANNELS, n, p=[rest, rest, app, rest]),
            "order_id": [f"{market}{start}{i}" for i in range(n)],
            "market": market,
            "amount": rng.gamma(3.0, mean / 3.0, n),
            "order_date": start,
        }
    )


def _periods(rng, fr_mean: float, app: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref = pd.concat([_orders(rng, m, n, 80.0, 0.14, date(2025, 10, 5)) for m, n in (("DE", 600), ("FR", 600))])
    cur = pd.concat(
        [
            _orders(rng, "DE", 650, 80.0, app, date(2025, 11, 5)),
            _orders(rng, "FR", 650, fr_mean, app, date(2025, 11, 5)),
            _orders(rng, "JP", 40, 20.0, 0.9, date(2025, 11, 5)),  # too few orders to judge
        ]
    )
    return ref, cur


def _find(items, metric, market, channel=None):
    return next(i for i in items if i["metric"] == metric and i["market"] == market and i["channel"] == channel)


def test_periods_follow_the_cadence():
    assert period_of(date(2025, 11, 30), "monthly") == (date(2025, 11, 1), date(2025, 11, 30))
    assert period_of(date(2025, 11, 30), "weekly") == (date(2025, 11, 24), date(2025, 11, 30))
    # the reference snapshot's period, or the period just before when no earlier snapshot is built
    assert reference_period(date(2025, 11, 30), date(2025, 9, 30), "monthly") == (date(2025, 9, 1), date(2025, 9, 30))
    assert reference_period(date(2025, 11, 30), None, "monthly") == (date(2025, 10, 1), date(2025, 10, 31))
    assert reference_period(date(2025, 11, 30), None, "weekly") == (date(2025, 11, 17), date(2025, 11, 23))


def test_two_proportion_z_test():
    same = share_change(140, 1000, 141, 1000)
    assert abs(same["change"] - 0.001) < 1e-12 and same["p_value"] > 0.9
    moved = share_change(140, 1000, 250, 1000)
    assert abs(moved["change"] - 0.11) < 1e-12 and moved["p_value"] < 1e-9
    assert share_change(0, 100, 0, 100)["p_value"] is None  # nobody on either side: nothing to test


def test_spend_fall_and_app_rise_are_alerts_and_noise_is_not():
    ref, cur = _periods(np.random.default_rng(1), fr_mean=48.0, app=0.26)
    items = activity_drift(ref, cur, CFG, bins=10, currency="EUR")
    fr = _find(items, "order_value", "FR")
    assert fr["status"] == "alert" and -0.5 < fr["change"] < -0.3 and fr["p_value"] < 1e-6 and fr["psi"] > 0.1
    assert _find(items, "order_value", "DE")["status"] == "ok"
    app = _find(items, "channel_share", "all", "app")
    assert app["status"] == "alert" and 0.08 < app["change"] < 0.16
    assert _find(items, "order_value", "JP")["status"] == "small_sample"
    assert headline(fr).startswith("FR spend per order -") and headline(app).startswith("app share of orders +")
    lines = summary_lines([i | {"what": "activity"} for i in items if i["status"] == "alert"])
    app_line = next(line for line in lines if line.startswith("app share"))
    assert "across all markets" in app_line and "by market: " in app_line and "FR +" in app_line
    assert any(line.startswith("FR spend per order -") and "EUR" in line for line in lines)


def test_a_large_change_the_test_cannot_tell_from_chance_is_not_flagged():
    rng = np.random.default_rng(2)
    ref = _orders(rng, "FR", 120, 80.0, 0.14, date(2025, 10, 5))
    cur = _orders(rng, "FR", 120, 80.0, 0.14, date(2025, 11, 5))
    cur.loc[cur.index[0], "amount"] = 8000.0  # one huge order moves the mean a lot
    item = _find(activity_drift(ref, cur, CFG, bins=10), "order_value", "FR")
    assert item["change"] > CFG.order_value_alert and item["p_value"] > CFG.p_value and item["status"] == "ok"


def _warehouse(rng) -> duckdb.DuckDBPyConnection:
    """Order lines in the shape of intermediate.int_orders__unified, plus a refund that must be left out."""
    ref, cur = _periods(rng, fr_mean=48.0, app=0.26)
    lines = pd.concat([ref, cur]).rename(columns={"market": "country_code", "amount": "net_amount_base"})
    lines["is_return"] = False
    refund = lines.iloc[:1].assign(order_id="refund", net_amount_base=-5000.0, is_return=True)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA intermediate")
    con.register("lines", pd.concat([lines, refund]))
    con.execute("CREATE TABLE intermediate.int_orders__unified AS SELECT * FROM lines")
    con.execute("CREATE SCHEMA segments")
    con.execute("CREATE TABLE segments.customer_segments (snapshot_date DATE)")
    return con


def test_first_snapshot_is_compared_with_the_period_before_and_flows_into_rows_checks_and_alert(tmp_path):
    con = _warehouse(np.random.default_rng(3))
    activity, notes = compare_activity(con, date(2025, 11, 30), None, "monthly", CFG, 10, "EUR")
    assert activity["reference_period"] == ["2025-10-01", "2025-10-31"] and activity["orders"]["reference"] == 1200
    assert any("period before" in n for n in notes)

    result = compare_snapshots(con, date(2025, 11, 30), DriftConfig(), tmp_path, "monthly", "EUR")
    assert result["reference_snapshot"] is None and result["features"] == [] and result["verdict"] == "alert"
    worst = drifted(result, "alert")
    assert worst[0]["what"] == "activity"
    rows = metric_rows(result, DriftConfig())
    spend = next(r for r in rows if r["metric"] == "activity_mean_order_value_change" and r["subject"] == "market=FR")
    assert (
        spend["status"] == "alert" and spend["threshold"] == 0.25 and spend["reference_snapshot"] == date(2025, 10, 31)
    )
    app = next(
        r for r in rows if r["metric"] == "activity_channel_share_change" and r["subject"] == "channel=app market=all"
    )
    assert app["status"] == "alert" and app["value"] > 0.08

    checks = {c.check_name: c for c in drift_check_results(result)}
    assert not checks["activity_drift"].passed and checks["activity_drift"].severity.value == "ERROR"
    assert checks["feature_drift"].passed and checks["segment_drift"].passed

    message = build_message("2025-11-30", "orders of 2025-10-01 to 2025-10-31", worst, "/r/2025-11-30.html")
    assert "FR spend per order -" in message["text"] and "app share of orders +" in message["text"]
    assert "/r/2025-11-30.html" in message["text"]


def test_without_the_orders_table_activity_is_left_out_with_a_note(tmp_path):
    con = duckdb.connect()
    activity, notes = compare_activity(con, date(2025, 11, 30), None, "monthly", CFG, 10)
    assert activity is None and "does not exist" in notes[0]
