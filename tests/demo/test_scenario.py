"""`scenario="shift"`: the last 60 days change exactly as scenario.json says; `steady` changes nothing."""

from __future__ import annotations

import json

import pandas as pd

from tests.demo.conftest import SCENARIO
from tests.demo.landing import order_lines

SHIFT_START = pd.Timestamp(SCENARIO.end) - pd.Timedelta(days=59)


def _recent_baskets(out) -> pd.DataFrame:
    """Net value per sale order in the last 60 days, with its country and channel."""
    lines = order_lines(out)
    sales = lines[(lines.qty > 0) & (lines.day >= SHIFT_START)]
    return sales.groupby(["channel", "order_id", "country"], as_index=False).net.sum()


def _app_share(out, since: pd.Timestamp | None = None, until: pd.Timestamp | None = None) -> float:
    lines = order_lines(out)
    lines = lines[lines.qty > 0]
    if since is not None:
        lines = lines[lines.day >= since]
    if until is not None:
        lines = lines[lines.day < until]
    orders = lines.drop_duplicates(["channel", "order_id"])
    return (orders.channel == "app").mean()


def test_scenario_file(steady_out, shift_out):
    assert json.loads((steady_out / "_truth/scenario.json").read_text()) == {"name": "steady"}
    assert json.loads((shift_out / "_truth/scenario.json").read_text()) == {
        "name": "shift",
        "start": SHIFT_START.date().isoformat(),
        "country": SCENARIO.countries[1],
        "basket_factor": 0.6,
        "app_share_factor": 2.0,
    }


def test_shift_country_baskets_fall_by_40_percent(steady_out, shift_out):
    steady, shift = _recent_baskets(steady_out), _recent_baskets(shift_out)
    country = SCENARIO.countries[1]
    ratio = shift[shift.country == country].net.mean() / steady[steady.country == country].net.mean()
    assert 0.5 < ratio < 0.7
    others = shift[shift.country != country].net.mean() / steady[steady.country != country].net.mean()
    assert 0.9 < others < 1.1


def test_app_share_rises_only_in_the_shift_window(steady_out, shift_out):
    before_steady = _app_share(steady_out, until=SHIFT_START)
    before_shift = _app_share(shift_out, until=SHIFT_START)
    assert before_shift == before_steady  # nothing changes before the window
    recent_steady, recent_shift = _app_share(steady_out, since=SHIFT_START), _app_share(shift_out, since=SHIFT_START)
    assert recent_shift > 1.5 * recent_steady


def test_the_same_orders_exist_in_both_scenarios(steady_out, shift_out):
    """Only channel and price move: the number of sale orders per day is the same."""

    def per_day(out):
        lines = order_lines(out)
        return lines[lines.qty > 0].drop_duplicates(["channel", "order_id"]).groupby("day").size()

    pd.testing.assert_series_equal(per_day(steady_out), per_day(shift_out))
