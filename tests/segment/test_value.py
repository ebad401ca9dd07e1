from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.config import ValueTierConfig, load_config
from pipelines.segment.value import assign_value_tiers

REPO = Path(__file__).resolve().parents[2]
CFG = ValueTierConfig()


def _customers(market, spends):
    return pd.DataFrame(
        {
            "customer_key": [f"{market}{i:03d}" for i in range(len(spends))],
            "home_market": market,
            "monetary_365d": spends,
        }
    )


def _prefix_share(spend):
    spend = np.sort(spend)[::-1]
    return np.cumsum(spend) / spend.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tiers_are_the_smallest_prefixes_reaching_each_cumulative_share(seed):
    rng = np.random.default_rng(seed)
    features = pd.concat(
        [_customers("DE", rng.lognormal(3, 1, 200)), _customers("JP", rng.lognormal(9, 1.5, 80))], ignore_index=True
    )
    tiers = assign_value_tiers(features, CFG)
    for _, group in features.assign(tier=tiers).groupby("home_market"):
        total = group["monetary_365d"].sum()
        share = group.groupby("tier")["monetary_365d"].sum() / total
        n_high, n_mid = (group["tier"] == "high").sum(), (group["tier"] == "mid").sum()
        # The high tier is exactly the biggest spenders up to the first prefix reaching 50%.
        prefix = _prefix_share(group["monetary_365d"].to_numpy())
        assert n_high == np.argmax(prefix >= 0.5) + 1
        assert n_high + n_mid == np.argmax(prefix >= 0.8) + 1
        assert share["high"] >= 0.5 and share["high"] + share["mid"] >= 0.8
        assert (
            group.loc[group["tier"] == "high", "monetary_365d"].min()
            >= group.loc[group["tier"] != "high", "monetary_365d"].max()
        )


def test_each_market_is_tiered_on_its_own_revenue():
    # JP spends 1000x more; tiered together, DE would be all `low`.
    features = pd.concat([_customers("DE", [50.0, 30, 20]), _customers("JP", [50_000.0, 30_000, 20_000])])
    assert assign_value_tiers(features, CFG).tolist() == ["high", "mid", "low"] * 2


def test_customer_on_a_threshold_belongs_to_the_tier_above_it():
    # 0.3 is exactly half of 0.6: that customer alone is `high`. (Summed naively in floats, 0.3 / 0.6
    # comes out just under half and the next customer would join `high` too.)
    tiers = assign_value_tiers(_customers("DE", [0.15, 0.15, 0.3]), CFG)
    assert tiers.tolist() == ["mid", "mid", "high"]
    assert assign_value_tiers(_customers("DE", [50.0, 30.0, 20.0]), CFG).tolist() == ["high", "mid", "low"]


def test_zero_and_negative_spend_are_always_the_lowest_tier():
    features = _customers("DE", [0.0, -25.0, 100.0, 0.0])
    assert assign_value_tiers(features, CFG).tolist() == ["low", "low", "high", "low"]
    # A market without any revenue puts everyone in the lowest tier.
    assert set(assign_value_tiers(_customers("FR", [0.0, -1.0]), CFG)) == {"low"}


def test_ties_are_broken_by_customer_key_whatever_the_row_order():
    features = _customers("DE", [10.0, 10.0, 10.0, 10.0])
    tiers = assign_value_tiers(features, CFG)
    assert tiers.tolist() == ["high", "high", "mid", "mid"]  # cumulative shares before each: 0, 25, 50, 75%
    shuffled = features.iloc[[3, 1, 0, 2]]
    pd.testing.assert_series_equal(assign_value_tiers(shuffled, CFG), tiers.iloc[[3, 1, 0, 2]])


def test_unknown_market_is_one_group_and_the_index_is_kept():
    features = _customers("DE", [10.0, 90.0]).assign(home_market=None).set_axis(["x", "y"])
    assert assign_value_tiers(features, CFG).to_dict() == {"x": "low", "y": "high"}


def test_names_and_shares_come_from_config():
    cfg = ValueTierConfig(tier_names=("top", "rest"), cumulative_shares=(0.9,))
    assert assign_value_tiers(_customers("DE", [50.0, 45.0, 5.0]), cfg).tolist() == ["top", "top", "rest"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"cumulative_shares": [0.8, 0.5]}, "value.cumulative_shares must increase strictly"),
        ({"cumulative_shares": [0.5, 1.0]}, "value.cumulative_shares must increase strictly within"),
        ({"cumulative_shares": [0.5]}, "value.cumulative_shares needs one share per tier but the last"),
        ({"tier_names": ["a", "a", "b"]}, "value.tier_names must be distinct"),
    ],
)
def test_invalid_tier_config_names_the_field(tmp_path, value, message):
    raw = yaml.safe_load((REPO / "stratify.yaml").read_text())
    raw["segment"]["value"].update(value)
    path = tmp_path / "stratify.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=rf"(?s)segment\.value\n.*{message}"):
        load_config(path)
