"""Behavioural clusters: a scikit-learn Pipeline of a skew-taming transform, scaling and KMeans.

Counts, money and day spans are right-skewed (a few customers spend a hundred times the median) and shares
pile up at zero, so every column goes through Yeo-Johnson (a log-like power transform that also takes
zeros and the negative net spend of a month of returns) before standardising; otherwise the big spenders
get clusters of their own and everyone else shares one. k is chosen by silhouette on a seeded sample
because silhouette costs O(rows²); the final model is then fitted on every customer.

Channel behaviour enters as the number of channels and the app and marketplace shares: store and web
shares are what is left of those (shares sum to one) and, per customer, mostly noise of a few orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PowerTransformer, StandardScaler

from pipelines.config import ClusterConfig

FEATURES = [
    "recency_days", "frequency_365d", "monetary_365d", "avg_order_value_365d", "discount_share",
    "distinct_channels", "spend_share_app", "spend_share_marketplace",
]  # fmt: skip  # the order of the model's standardised space


def feature_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """The clustering inputs as floats; undefined values (no order in 365 days: no basket, no shares) are 0."""
    return features[FEATURES].astype("float64").fillna(0.0).reset_index(drop=True)


def preprocessor() -> Pipeline:
    """Yeo-Johnson per column, then standardise: the space centroids live in (a constant column stays 0)."""
    return Pipeline([("unskew", PowerTransformer(standardize=False)), ("scale", StandardScaler())])


def kmeans(k: int, rows: int, cfg: ClusterConfig, seed: int) -> KMeans | MiniBatchKMeans:
    """KMeans, or MiniBatchKMeans beyond cfg.minibatch_above rows where full Lloyd passes get slow."""
    if rows > cfg.minibatch_above:
        return MiniBatchKMeans(n_clusters=k, n_init=cfg.n_init, random_state=seed, batch_size=8192)
    return KMeans(n_clusters=k, n_init=cfg.n_init, random_state=seed)


@dataclass(frozen=True)
class ClusterFit:
    """A fitted pipeline, every customer's raw KMeans label, and the fit's quality figures."""

    pipeline: Pipeline
    labels: np.ndarray
    metrics: dict[str, float]
    silhouette_by_k: dict[int, float]

    @property
    def centroids(self) -> np.ndarray:
        """Centroids in the standardised space, one row per raw KMeans label, columns in FEATURES order."""
        return self.pipeline.named_steps["kmeans"].cluster_centers_


def _sample(rows: int, size: int, seed: int) -> np.ndarray:
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))


def _silhouette(z: np.ndarray, labels: np.ndarray) -> float | None:
    """Silhouette, or None where it is undefined (one cluster, or as many clusters as customers)."""
    return float(silhouette_score(z, labels)) if 1 < len(set(labels)) < len(z) else None


def choose_k(z: np.ndarray, cfg: ClusterConfig, seed: int) -> dict[int, float]:
    """Silhouette of each candidate k, each fitted and scored on the same seeded sample."""
    sample = z[_sample(len(z), cfg.sample_size, seed)]
    scores = {}
    for k in range(cfg.k_min, min(cfg.k_max, len(sample) - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=cfg.n_init, random_state=seed).fit_predict(sample)
        scores[k] = _silhouette(sample, labels)
    return scores


def pick_k(
    silhouettes: dict[int, float | None], tolerance: float, previous_k: int | None, keep_tolerance: float = 0.0
) -> int:
    """The previous snapshot's k while its silhouette stays within keep_tolerance of the best; otherwise the
    smallest k within tolerance of the best.

    Silhouette is often nearly flat across k and moves by a few hundredths from one month to the next;
    chasing it changes k, and with it every customer's cluster and a segment of new names, which costs a
    CRM team far more than a slightly lower score. A new k needs a clear gain.
    """
    scores = {k: s if s is not None else -1.0 for k, s in silhouettes.items()}
    best = max(scores.values())
    if previous_k in scores and scores[previous_k] >= best - max(tolerance, keep_tolerance):
        return previous_k
    return min(k for k, s in scores.items() if s >= best - tolerance)


def fit_clusters(
    features: pd.DataFrame, cfg: ClusterConfig, seed: int, k: int | None = None, previous_k: int | None = None
) -> ClusterFit:
    """Fit the pipeline on every customer, k by silhouette unless given; deterministic for a seed and input."""
    x = feature_matrix(features)
    z = preprocessor().fit_transform(x)
    silhouettes = choose_k(z, cfg, seed) if k is None else {}
    k = k if k is not None else pick_k(silhouettes, cfg.k_tolerance, previous_k, cfg.k_keep_tolerance)
    pipeline = Pipeline([*preprocessor().steps, ("kmeans", kmeans(k, len(x), cfg, seed))])
    labels = pipeline.fit_predict(x)
    z = pipeline[:-1].transform(x)
    sample = _sample(len(z), cfg.sample_size, seed)
    metrics = {
        "k": k,
        "silhouette": _silhouette(z[sample], labels[sample]),
        "davies_bouldin": float(davies_bouldin_score(z, labels)) if 1 < len(set(labels)) < len(z) else None,
        "calinski_harabasz": float(calinski_harabasz_score(z, labels)) if 1 < len(set(labels)) < len(z) else None,
    }
    return ClusterFit(pipeline, labels, metrics, silhouettes)
