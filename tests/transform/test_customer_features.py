"""marts/customer_features built by the snapshot job on a small demo equals an independent pandas
computation from the unified order lines, and a snapshot uses no order after its date."""

import os
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.demo.generator import DemoSpec, generate
from pipelines.quality.suites import load_suite_files, validate
from tests.jobs import run_up_to_features

CHANNELS = ["pos", "ecommerce", "app", "marketplace", "orders"]
# Partition key (month start) -> snapshot date (month end); September is built first, October after it.
SNAPSHOTS = {"2025-09-01": date(2025, 9, 30), "2025-10-01": date(2025, 10, 31)}
SHARES = ["return_rate", "discount_share", *[f"spend_share_{c}" for c in CHANNELS], "top_category_share"]


# June's sales returned under their own receipt ids in July: at 2025-06-30, a training snapshot the September
# partition builds in its statement (whose latest date is 2025-09-30), these orders have only their June lines.
LATE_RETURN_AT = "2025-07-05 12:00:00"
PART_KNOWN_AT = date(2025, 6, 30)


def _add_late_returns(landing: Path) -> None:
    """Returns under the sale's receipt id, days later: orders with lines on two days, whose net at a snapshot
    between the days counts the first day's lines only (the demo books every return as an order of its own)."""
    path = landing / "pos" / "pos_2025-06.csv"
    lines = pd.read_csv(path, dtype=str, keep_default_na=False)
    members = lines[lines["loyalty_id"] != ""]
    returns = members.groupby("receipt_id").head(1).head(20).copy()
    last_line = members.groupby("receipt_id")["line_no"].apply(lambda n: n.astype(int).max())
    returns["line_no"] = returns["receipt_id"].map(last_line + 1).astype(str)
    returns = returns.assign(sold_at=LATE_RETURN_AT, qty="-1", discount="0", is_return="1")
    returns.to_csv(path, mode="a", header=False, index=False)


def _ranked_first(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    """The first row per customer after sorting: ties resolved by the later sort keys."""
    return frame.sort_values(["customer_key", *by], ascending=[True, *ascending]).groupby("customer_key").head(1)


def _expected(lines: pd.DataFrame, snapshot: date) -> pd.DataFrame:
    """The features from the order lines with pandas, sharing no code with the dbt model."""
    snap = pd.Timestamp(snapshot)
    lines = lines[lines["order_date"] <= snap].copy()
    lines["is_sale"] = (lines["quantity"] > 0) & ~lines["is_return"]
    lines["gross"] = np.where(lines["is_sale"], lines["quantity"] * lines["unit_price"] * lines["fx_rate"], 0.0)
    lines["discount_base"] = np.where(lines["is_sale"], lines["discount"] * lines["fx_rate"], 0.0)
    orders = (
        lines.groupby(["customer_key", "channel", "order_id"])
        .agg(order_date=("order_date", "min"), ordered_at=("ordered_at_utc", "min"), net=("net_amount_base", "sum"))
        .reset_index()
    )
    out = pd.DataFrame(index=pd.Index(sorted(orders["customer_key"].unique()), name="customer_key"))

    out["first_order_date"] = orders.groupby("customer_key")["order_date"].min()
    out["last_order_date"] = orders.groupby("customer_key")["order_date"].max()
    in_year = orders[orders["order_date"] >= snap - pd.Timedelta(days=364)].groupby("customer_key")
    out["frequency_365d"] = in_year.size().reindex(out.index, fill_value=0)
    out["monetary_365d"] = in_year["net"].sum().reindex(out.index, fill_value=0.0)
    recent = orders[orders["order_date"] >= snap - pd.Timedelta(days=89)].groupby("customer_key")
    out["orders_90d"] = recent.size().reindex(out.index, fill_value=0)
    out["monetary_90d"] = recent["net"].sum().reindex(out.index, fill_value=0.0)

    year = lines[lines["order_date"] >= snap - pd.Timedelta(days=364)]
    by_customer = year.groupby("customer_key")
    out["return_rate"] = by_customer["is_return"].mean()
    gross = by_customer["gross"].sum()
    out["discount_share"] = (by_customer["discount_base"].sum() / gross).where(gross > 0)
    out["distinct_channels"] = by_customer["channel"].nunique().reindex(out.index, fill_value=0)
    per_channel = year.pivot_table(index="customer_key", columns="channel", values="gross", aggfunc="sum")
    for channel in CHANNELS:
        column = per_channel[channel] if channel in per_channel else pd.Series(0.0, index=per_channel.index)
        out[f"spend_share_{channel}"] = (column.fillna(0) / gross).where(gross > 0).reindex(out.index).fillna(0.0)

    categories = year.groupby(["customer_key", "category"])["net_amount_base"].sum().reset_index()
    categories = categories[categories["net_amount_base"] > 0]
    categories["share"] = categories["net_amount_base"] / categories.groupby("customer_key")[
        "net_amount_base"
    ].transform("sum")
    top = _ranked_first(categories, ["net_amount_base", "category"], [False, True]).set_index("customer_key")
    out["top_category"] = top["category"]
    out["top_category_share"] = top["share"]

    countries = lines.dropna(subset=["country_code"]).groupby(["customer_key", "country_code"])["net_amount_base"]
    countries = countries.sum().reset_index()
    home = _ranked_first(countries, ["net_amount_base", "country_code"], [False, True]).set_index("customer_key")
    out["home_market"] = home["country_code"]

    days = orders[["customer_key", "order_date"]].drop_duplicates().sort_values(["customer_key", "order_date"])
    days["gap"] = days.groupby("customer_key")["order_date"].diff().dt.days
    gaps = days.dropna(subset=["gap"]).groupby("customer_key")["gap"]
    out["mean_days_between_orders"] = gaps.mean()
    out["median_days_between_orders"] = gaps.median()

    first = _ranked_first(orders, ["ordered_at", "channel", "order_id"], [True, True, True])
    last = _ranked_first(orders, ["ordered_at", "channel", "order_id"], [False, False, False])
    out["first_channel"] = first.set_index("customer_key")["channel"]
    out["last_channel"] = last.set_index("customer_key")["channel"]
    return out


def _age_band(age: float) -> str:
    if pd.isna(age) or not 0 <= age <= 120:
        return "unknown"
    bands = [(25, "<25"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64")]
    return next((band for limit, band in bands if age < limit), "65+")


def _expected_profiles(identity: pd.DataFrame, crm: pd.DataFrame, snapshot: date) -> pd.DataFrame:
    members = identity.dropna(subset=["loyalty_id"]).groupby("customer_key")["loyalty_id"].min().reset_index()
    profiles = members.merge(crm, on="loyalty_id").set_index("customer_key")
    out = pd.DataFrame(index=identity["customer_key"].unique())
    out["age_band"] = (snapshot.year - profiles["birth_year"]).reindex(out.index).map(_age_band)
    out["gender"] = profiles["gender"].where(profiles["gender"].isin(["F", "M", "X"])).reindex(out.index)
    out["gender"] = out["gender"].fillna("unknown")
    out["has_profiling_consent"] = profiles["has_profiling_consent"].reindex(out.index).fillna(False).astype(bool)
    return out


def _compare(got: pd.DataFrame, want: pd.DataFrame, snapshot: date) -> None:
    assert sorted(got.index) == sorted(want.index), f"{snapshot}: different customers"
    got = got.loc[want.index]
    for column in ["first_order_date", "last_order_date", "frequency_365d", "orders_90d", "distinct_channels"]:
        assert (got[column] == want[column]).all(), f"{snapshot}: {column}"
    for column, first_or_last in (("recency_days", "last_order_date"), ("tenure_days", "first_order_date")):
        days = (pd.Timestamp(snapshot) - pd.to_datetime(want[first_or_last])).dt.days
        assert (got[column] == days).all(), f"{snapshot}: {column}"
    average = want["monetary_365d"] / want["frequency_365d"].where(want["frequency_365d"] > 0)
    np.testing.assert_allclose(
        got["avg_order_value_365d"].astype(float), average, atol=0.01, equal_nan=True, err_msg="avg_order_value_365d"
    )
    for column in ["monetary_365d", "monetary_90d"]:
        np.testing.assert_allclose(got[column].astype(float), want[column], atol=0.01, err_msg=column)
    # SQL rounds each line's base amounts to 1/10000; pandas keeps floats.
    for column in [*SHARES, "mean_days_between_orders", "median_days_between_orders"]:
        np.testing.assert_allclose(
            got[column].astype(float), want[column].astype(float), atol=1e-4, equal_nan=True, err_msg=column
        )
    for column in ["top_category", "home_market", "first_channel", "last_channel", "age_band", "gender"]:
        mismatched = got[column].fillna("<null>") != want[column].fillna("<null>")
        assert not mismatched.any(), f"{snapshot}: {column} differs for {mismatched.sum()} customers"
    assert (got["has_profiling_consent"] == want["has_profiling_consent"]).all()


@pytest.mark.slow
def test_snapshots_equal_an_independent_computation_and_use_no_later_order(home):
    generate(DemoSpec(customers=300, days=300, seed=3), home / "landing")
    _add_late_returns(home / "landing")
    run_up_to_features("ingest_job")
    september, october = SNAPSHOTS
    # September's two training snapshots (in the data's range) are built in the partition's statement.
    run_up_to_features("snapshot_job", september)
    # October's two each in statements of their own (retrained with every snapshot: per quarter it would share
    # September's), and every date in two customer shares, as when memory is short: the same rows. Built
    # twice, so the first share must clear what the last build wrote.
    config = yaml.safe_load(Path(os.environ["STRATIFY_CONFIG"]).read_text(encoding="utf-8"))
    config["snapshots"].update(dates_per_build=1, customer_buckets=2)
    config["segment"]["retrain_every"] = "snapshot"
    (home / "stratify.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    os.environ["STRATIFY_CONFIG"] = str(home / "stratify.yaml")  # restored by the home fixture's monkeypatch
    run_up_to_features("snapshot_job", october)
    run_up_to_features("snapshot_job", october)

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        lines = con.execute("""
            select identity.customer_key, lines.*
            from intermediate.int_orders__unified as lines
            inner join intermediate.int_customers__identity as identity
                on lines.customer_id_kind = identity.id_kind and lines.customer_id = identity.id
        """).df()
        identity = con.execute("select * from intermediate.int_customers__identity").df()
        crm = con.execute("select * from staging.stg_crm_customers__customers").df()
        features = con.execute("select * from marts.customer_features").df()

    # Every snapshot is built with later orders already loaded, so equality below proves they were ignored.
    assert (lines["order_date"] > pd.Timestamp(max(SNAPSHOTS.values()))).sum() > 100
    # Orders with lines on both sides of a snapshot built with later dates in one statement.
    days = lines.groupby(["customer_key", "channel", "order_id"])["order_date"].agg(["min", "max"])
    part_known = pd.Timestamp(PART_KNOWN_AT)
    assert ((days["min"] <= part_known) & (days["max"] > part_known)).sum() >= 10
    # The partitions, plus the earlier snapshots the segment stage built with the same model to train on.
    built = set(features["snapshot_date"].dt.date)
    assert set(SNAPSHOTS.values()) | {PART_KNOWN_AT} < built and len(built) == 6
    for snapshot in sorted(built):
        got = features[features["snapshot_date"] == pd.Timestamp(snapshot)].set_index("customer_key")
        assert (got["last_order_date"] <= pd.Timestamp(snapshot)).all()
        want = _expected(lines, snapshot)
        want = want.join(_expected_profiles(identity, crm, snapshot).reindex(want.index))
        _compare(got, want, snapshot)
    # The demo exercises the interesting cases, so the equalities above are not vacuous.
    assert (features["distinct_channels"] > 1).any() and (features["return_rate"] > 0).any()
    assert features["median_days_between_orders"].isna().any() and (features["discount_share"] > 0).any()
    assert (features["age_band"] != "unknown").any() and (features["orders_90d"] == 0).any()


def test_suite_rejects_out_of_range_shares_and_unknown_age_bands():
    suite = next(s for s in load_suite_files() if s.name == "customer_features")
    shares = {column: [0.0, 0.5, 1.0] for column in SHARES}
    frame = pd.DataFrame(
        {
            "customer_key": ["a", "b", "c"],
            "snapshot_date": pd.to_datetime(["2025-01-31"] * 3),
            "recency_days": [1, 10, 100],
            "frequency_365d": [5, 2, 0],
            "monetary_365d": [100.0, 20.0, 0.0],
            "tenure_days": [300, 200, 150],
            "first_order_date": pd.to_datetime(["2024-04-01"] * 3),
            "last_order_date": pd.to_datetime(["2025-01-30"] * 3),
            "age_band": ["<25", "65+", "unknown"],
            "has_profiling_consent": [True, False, False],
            **shares,
        }
    )
    _, failures = validate(frame, suite)
    assert failures == []
    dirty = frame.assign(spend_share_app=[0.0, 1.2, 0.0], return_rate=[-0.1, 0.0, 0.0], age_band=["<25", "teen", "65+"])
    _, failures = validate(dirty, suite)
    assert {f.column for f in failures} == {"spend_share_app", "return_rate", "age_band"}
