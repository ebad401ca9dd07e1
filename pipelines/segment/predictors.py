"""The inputs of the churn and expected-value models, from one snapshot of marts.customer_features.

Gaps between orders are undefined for one-order customers; their tenure is the least their gap can be,
which keeps them comparable with repeat buyers instead of dropping them. `overdue` (days since the last
order over the customer's own median gap) is the rhythm signal the lifecycle stage also relies on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PREDICTORS = [
    "recency_days", "frequency_365d", "monetary_365d", "orders_90d", "monetary_90d", "tenure_days",
    "avg_order_value_365d", "median_days_between_orders", "overdue", "return_rate", "discount_share",
    "distinct_channels",
]  # fmt: skip


def predictor_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """One float row per customer in PREDICTORS order; undefined shares and baskets become 0."""
    frame = features.reset_index(drop=True)
    tenure = frame["tenure_days"].astype("float64")
    gap = frame["median_days_between_orders"].astype("float64").fillna(tenure).clip(lower=1.0)
    out = pd.DataFrame({c: frame[c].astype("float64") for c in PREDICTORS if c in frame})
    out["median_days_between_orders"] = gap
    out["overdue"] = frame["recency_days"].astype("float64") / gap
    return out[PREDICTORS].fillna(0.0)


def log1p_clipped(x: np.ndarray) -> np.ndarray:
    """log1p of non-negative values: spend can dip below zero after returns, which log cannot take."""
    return np.log1p(np.clip(np.asarray(x, dtype="float64"), 0, None))
