"""Value tiers by cumulative share of each market's revenue: how few customers carry how much of it.

Unlike quantile scores, the tier sizes follow the spend distribution: in a market where a few customers
bring half the revenue, `high` is those few. Markets are tiered separately so one large market does not
decide who counts as valuable in a small one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.config import ValueTierConfig
from pipelines.segment.rfm import market_of

# monetary_365d is decimal(18,4): summed in units of 1e-4 (integers held exactly in float64 up to ~9e11
# currency units) the prefix sums are exact, so a customer landing on a threshold is placed the same way
# whatever the summation order.
_UNITS_PER_CURRENCY = 10_000


def assign_value_tiers(features: pd.DataFrame, cfg: ValueTierConfig) -> pd.Series:
    """Each customer's value tier: tier k holds the customers whose spend the k-th cumulative share reaches.

    Within a market, customers are taken by monetary_365d descending (ties by customer_key); a customer
    is in the first tier whose cumulative share the revenue of the customers before them has not yet
    reached, so the `high` customers are the smallest prefix making up at least cumulative_shares[0].
    Zero, negative or missing spend brings no revenue and is always the last tier.
    """
    spend = np.round(features["monetary_365d"].astype("float64").fillna(0).to_numpy() * _UNITS_PER_CURRENCY)
    frame = pd.DataFrame(
        {
            "market": market_of(features).to_numpy(),
            "key": features["customer_key"].astype("str").to_numpy(),
            "revenue": np.clip(spend, 0, None),
        }
    )
    ordered = frame.sort_values(["market", "revenue", "key"], ascending=[True, False, True], kind="stable")
    by_market = ordered.groupby("market", sort=False)["revenue"]
    before = (by_market.cumsum() - ordered["revenue"]).to_numpy()
    total = by_market.transform("sum").to_numpy()
    tier = sum((before >= share * total).astype("int64") for share in cfg.cumulative_shares)
    last = len(cfg.tier_names) - 1
    tier = np.where(ordered["revenue"].to_numpy() > 0, tier, last)
    names = np.asarray(cfg.tier_names, dtype="object")[tier]
    # Back to the caller's row order (positions, so a duplicated index cannot misalign).
    placed = np.empty(len(frame), dtype="object")
    placed[ordered.index.to_numpy()] = names
    return pd.Series(placed, index=features.index, name="value_tier", dtype="str")
