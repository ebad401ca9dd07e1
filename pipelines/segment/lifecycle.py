"""Lifecycle stages judged against each customer's own order rhythm.

Sixty days without an order is alarming for a weekly shopper and normal for a twice-a-year one, so
recency is compared with the customer's typical gap between orders rather than with one fixed window.
A hard cap still churns anyone silent for long enough, whatever their rhythm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.config import LifecycleConfig

STAGES = ("new", "active", "at_risk", "dormant", "churned")


def typical_gap_days(features: pd.DataFrame, cfg: LifecycleConfig) -> pd.Series:
    """The median gap between the customer's orders; default_gap_days without one, never below min_gap_days.

    The fallback is a fixed number rather than, say, the market's median gap, so that a one-order
    customer's stage never moves because other customers' habits changed. The floor keeps a near-daily
    buyer's short pause from reading as churn.
    """
    gap = features["median_days_between_orders"].astype("float64").fillna(cfg.default_gap_days)
    return gap.clip(lower=cfg.min_gap_days).rename("typical_gap_days")


def assign_lifecycle(features: pd.DataFrame, cfg: LifecycleConfig) -> pd.Series:
    """Each customer's stage; the first that applies of new, churned (hard cap), active, at_risk, dormant.

    New customers have too little history for a rhythm, so they are staged by tenure and order count;
    everyone else by recency against multiples of their typical gap. A null tenure (no first order)
    never counts as new.
    """
    recency = features["recency_days"].astype("float64").to_numpy()
    gap = typical_gap_days(features, cfg).to_numpy()
    # Within a tenure of new_days (well under a year) frequency_365d counts all of the customer's orders.
    is_new = (features["tenure_days"].astype("float64").to_numpy() <= cfg.new_days) & (
        features["frequency_365d"].astype("float64").to_numpy() <= cfg.new_max_orders
    )
    stage = np.select(
        [
            is_new,
            recency >= cfg.churned_after_days,
            recency <= cfg.active_factor * gap,
            recency <= cfg.at_risk_factor * gap,
            recency <= cfg.churned_factor * gap,
        ],
        ["new", "churned", "active", "at_risk", "dormant"],
        default="churned",
    )
    return pd.Series(stage, index=features.index, name="lifecycle_stage", dtype="str")
