"""Value tiers from behavioural clusters: KMeans on log-scaled RFM, clusters ranked by spend.

Spend and frequency are heavily right-skewed, so they are log-scaled before standardising; otherwise
a handful of big spenders would get clusters of their own. Ranking clusters by mean spend gives the
tiers a stable meaning across runs even though KMeans numbers its clusters arbitrarily.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

FEATURES = ["recency_days", "frequency_365d", "monetary_365d"]


def _log_scale(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(x, 0, None))


def tier_pipeline(k: int, seed: int) -> Pipeline:
    """log1p -> standardise -> KMeans; deterministic for a given seed."""
    return Pipeline(
        [
            ("log", FunctionTransformer(_log_scale)),
            ("scale", StandardScaler()),
            ("kmeans", KMeans(n_clusters=k, n_init=10, random_state=seed)),
        ]
    )


def fit_tiers(features: pd.DataFrame, tier_names: list[str], seed: int) -> pd.DataFrame:
    """Assign every customer a cluster and a tier; tier_names[0] goes to the highest-spending cluster."""
    k = min(len(tier_names), len(features))
    if k == 0:
        return features.assign(cluster_id=pd.Series(dtype="int64"), tier=pd.Series(dtype="str"))
    x = features[FEATURES].astype("float64").to_numpy()
    labels = tier_pipeline(k, seed).fit_predict(x)
    spend = pd.Series(features["monetary_365d"].astype("float64").to_numpy()).groupby(labels).mean()
    rank = {cluster: i for i, cluster in enumerate(spend.sort_values(ascending=False).index)}
    ranked = np.array([rank[c] for c in labels])
    return features.assign(cluster_id=ranked, tier=[tier_names[r] for r in ranked])
