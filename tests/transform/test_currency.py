"""Base-currency amounts and UTC times in int_orders__unified equal an independent pandas computation
from the landing files, line by line, to the cent."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.demo.generator import DemoSpec, generate
from tests.demo.landing import order_lines
from tests.jobs import run_job

pytestmark = pytest.mark.slow


def _utc(lines: pd.DataFrame, stores: pd.DataFrame) -> pd.Series:
    """Every channel's timestamp in UTC: POS from the store's zone, the others from their offset or Z."""
    utc = pd.Series(pd.NaT, index=lines.index, dtype="datetime64[ns, UTC]")
    online = lines.channel != "pos"
    utc[online] = pd.to_datetime(lines.loc[online, "at"], utc=True, format="mixed")
    pos = lines[~online]
    for zone, group in pos.groupby(pos.store_id.map(stores.set_index("store_id").timezone)):
        utc[group.index] = pd.to_datetime(group["at"]).dt.tz_localize(zone).dt.tz_convert("UTC")
    return utc


def _expected(landing) -> pd.DataFrame:
    lines = order_lines(landing)
    stores = pd.read_csv(landing / "stores" / "stores.csv", dtype=str)
    store_of = {}
    for file in lines.loc[lines.channel == "pos", "file"].unique():
        sep = ";" if file.startswith("pos_de/") else ","
        store_of[file] = pd.read_csv(landing / file, sep=sep, dtype=str).store_id.to_numpy()
    lines["store_id"] = None
    for file, ids in store_of.items():
        lines.loc[lines.file == file, "store_id"] = ids
    lines["line"] = lines.groupby(["channel", "order_id"]).cumcount() + 1
    lines["utc"] = _utc(lines, stores)
    lines["order_date"] = lines.utc.dt.tz_localize(None).dt.normalize().astype("datetime64[us]")
    lines["net"] = lines.qty * lines.unit_price - np.sign(lines.qty) * lines.discount
    fx = pd.read_csv(landing / "fx" / "fx_rates.csv", parse_dates=["rate_date"]).sort_values("rate_date")
    fx["rate_date"] = fx.rate_date.astype("datetime64[us]")
    lines = lines.sort_values("order_date")
    rated = pd.merge_asof(lines, fx, left_on="order_date", right_on="rate_date", by="currency")
    first = fx.groupby("currency").eur_per_unit.first()
    rate = rated.eur_per_unit.fillna(rated.currency.map(first))
    rated["net_base"] = rated.net * rate.where(rated.currency != "EUR", 1.0)
    return rated


def test_base_amounts_and_utc_times_match_line_by_line(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATIFY_HOME", str(tmp_path))
    monkeypatch.setenv("STRATIFY_PII_SALT", "test-salt")
    monkeypatch.delenv("STRATIFY_CONFIG", raising=False)
    generate(DemoSpec(customers=300, days=200, seed=13), tmp_path / "landing")
    run_job("ingest_job")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        got = con.execute(
            "SELECT channel, order_id, line_number, ordered_at_utc, order_date, currency_code, "
            "net_amount_base, is_fx_fallback FROM intermediate.int_orders__unified"
        ).df()
    expected = _expected(tmp_path / "landing")
    both = expected.merge(
        got,
        left_on=["channel", "order_id", "line"],
        right_on=["channel", "order_id", "line_number"],
        how="outer",
        indicator=True,
    )
    assert (both["_merge"] == "both").all(), both["_merge"].value_counts()
    assert set(both.currency) == {"EUR", "GBP", "USD", "JPY"}
    assert (both.utc.dt.tz_localize(None) == both.ordered_at_utc).all()
    assert (both.net_base - both.net_amount_base.astype(float)).abs().max() < 0.005
    totals = both.groupby("currency")[["net_base", "net_amount_base"]].sum()
    assert ((totals.net_base - totals.net_amount_base.astype(float)).abs() < 0.01).all()
    assert both.is_fx_fallback.any() and not both.loc[both.currency == "EUR", "is_fx_fallback"].any()
