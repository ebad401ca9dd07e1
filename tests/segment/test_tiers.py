import numpy as np
import pandas as pd

from pipelines.segment.tiers import fit_tiers

TIERS = ["platinum", "gold", "silver", "bronze"]


def _customers(seed=0, n=400):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 4, n)
    spend = np.array([2000, 600, 150, 20])[groups] * rng.lognormal(0, 0.2, n)
    freq = np.array([30, 12, 4, 1])[groups] + rng.integers(0, 2, n)
    recency = np.array([5, 20, 60, 300])[groups] + rng.integers(0, 5, n)
    return pd.DataFrame(
        {
            "customer_key": [f"c{i}" for i in range(n)],
            "recency_days": recency,
            "frequency_365d": freq,
            "monetary_365d": spend,
        }
    ), groups


def test_highest_spending_cluster_gets_the_first_tier_name():
    features, groups = _customers()
    tiers = fit_tiers(features, TIERS, seed=1)
    mean_spend = tiers.groupby("tier")["monetary_365d"].mean()
    assert list(mean_spend.sort_values(ascending=False).index) == TIERS
    # The planted groups are recovered exactly: group g is tier g.
    assert (tiers["cluster_id"].to_numpy() == groups).all()


def test_same_input_same_tiers():
    features, _ = _customers()
    first = fit_tiers(features, TIERS, seed=3)
    again = fit_tiers(features.sample(frac=1, random_state=0).sort_index(), TIERS, seed=3)
    assert first["tier"].tolist() == again["tier"].tolist()


def test_fewer_customers_than_tiers():
    features, _ = _customers(n=2)
    assert len(fit_tiers(features, TIERS, seed=1)) == 2
    assert fit_tiers(features.iloc[:0], TIERS, seed=1).empty
