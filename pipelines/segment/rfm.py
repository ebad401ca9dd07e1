"""RFM scores by quantile within each home market, and named segments from the configured rule table.

Scores are relative to the customer's own market: spend levels differ so much between countries that
pooled quantiles would put a whole low-price market in the bottom scores. Equal values always get
equal scores (average ranks), so the score never depends on row order or on an arbitrary tie-break;
the price is that a heavily tied value (e.g. the many one-order customers) sits in a single score,
the one around the middle of its rank span.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipelines.config import RfmConfig, RfmRule

UNKNOWN_MARKET = "unknown"
# score column -> (feature, whether a higher value earns a higher score)
SCORED = {
    "rfm_r": ("recency_days", False),
    "rfm_f": ("frequency_365d", True),
    "rfm_m": ("monetary_365d", True),
}


def market_of(features: pd.DataFrame) -> pd.Series:
    """The home market, with customers of unknown market grouped together rather than dropped."""
    return features["home_market"].astype("object").where(features["home_market"].notna(), UNKNOWN_MARKET)


def quantile_scores(values: pd.Series, groups: pd.Series, levels: int, higher_is_better: bool) -> pd.Series:
    """Score 1..levels by the midpoint of each value's rank span within its group.

    The midpoint percentile (rank - 0.5) / n keeps equal values together and puts a lone customer (or a
    group of identical values) in the middle score rather than at the top. Computed in integers, since
    average ranks are halves: no float edge decides a boundary.
    """
    grouped = values.groupby(groups, sort=False)
    twice_rank = np.rint(grouped.rank(method="average", ascending=higher_is_better).to_numpy() * 2).astype("int64")
    size = grouped.transform("size").to_numpy().astype("int64")
    return pd.Series((levels * (twice_rank - 1)) // (2 * size) + 1, index=values.index, dtype="int64")


def score_rfm(features: pd.DataFrame, cfg: RfmConfig) -> pd.DataFrame:
    """`features` with rfm_r, rfm_f, rfm_m (1..cfg.levels; 5 = most recent, most orders, most spend)."""
    nulls = [feature for feature, _ in SCORED.values() if features[feature].isna().any()]
    if nulls:
        raise ValueError(f"score_rfm: null values in {nulls}; the features contract has them not null")
    markets = market_of(features)
    scores = {
        score: quantile_scores(features[feature].astype("float64"), markets, cfg.levels, higher_is_better)
        for score, (feature, higher_is_better) in SCORED.items()
    }
    return features.assign(**scores)


def name_rfm_segments(scores: pd.DataFrame, rules: Sequence[RfmRule]) -> pd.Series:
    """The segment of the first rule matching each customer's R and (F + M) / 2.

    Every customer gets exactly one segment: the config requires the last rule to catch all, and a
    rule list that leaves a customer unmatched is refused here rather than published with gaps.
    """
    r = scores["rfm_r"].to_numpy()
    fm = (scores["rfm_f"].to_numpy() + scores["rfm_m"].to_numpy()) / 2
    matches = [(rule.r[0] <= r) & (r <= rule.r[1]) & (rule.fm[0] <= fm) & (fm <= rule.fm[1]) for rule in rules]
    # np.select takes the first true condition per row: exactly first-match-wins.
    segments = np.select(matches, [rule.segment for rule in rules], default="") if matches else np.full(len(r), "")
    unmatched = segments == ""
    if unmatched.any():
        sample = scores.loc[unmatched, ["rfm_r", "rfm_f", "rfm_m"]].drop_duplicates().head(3).to_dict("records")
        raise ValueError(f"name_rfm_segments: {int(unmatched.sum())} customers match no rule, e.g. {sample}")
    return pd.Series(segments, index=scores.index, name="rfm_segment")
