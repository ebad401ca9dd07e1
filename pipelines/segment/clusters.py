"""Behavioural clusters: a scikit-learn Pipeline of a skew-taming transform, scaling and KMeans.

Counts, money and day spans are right-skewed (a few customers spend a hundred times the median) and shares
pile up at zero, so every column goes through Yeo-Johnson (a log-like power transform that also takes
zeros and the negative net spend of a month of returns) before standardising; otherwise the big spenders
get clusters of their own and everyone else shares one. k is chosen by silhouette on a seeded sample
because silhouette costs O(rows²); the final model is then fitted on every customer. Every silhouette of a
fit (each candidate k's and the final model's) scores the same sample, so its distances are computed once.

Channel behaviour enters as the number of channels and the app and marketplace shares: store and web
shares are what is left of those (shares sum to one) and, per customer, mostly noise of a few orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, pairwise_distances, silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PowerTransformer, StandardScaler

from pipelines.config import ClusterConfig

# Largest distance matrix a fit keeps to share among its silhouettes: 5,000 sampled customers (the default)
# take 200 MB, and their six scores 0.7 s instead of 2.4 s, with the same values. A larger sample has each
# score compute its distances in chunks, as scikit-learn does, instead of holding rows² floats.
SHARED_DISTANCES_MAX_BYTES = 256 * 2**20

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


def sample_rows(rows: int, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a seeded sample of `size` of `rows` (all of them when there are no more)."""
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))


def _silhouette(z: np.ndarray, labels: np.ndarray, metric: str = "euclidean") -> float | None:
    """Silhouette, or None where it is undefined (one cluster, or as many clusters as customers)."""
    return float(silhouette_score(z, labels, metric=metric)) if 1 < len(set(labels)) < len(z) else None


class SampleSilhouette:
    """Silhouette of labelings of one sample, its pairwise distances computed on first use and kept when
    they fit in SHARED_DISTANCES_MAX_BYTES (float64, as scikit-learn computes them: the same scores)."""

    def __init__(self, sample: np.ndarray):
        self.sample = sample
        self._distances: np.ndarray | None = None

    def __call__(self, labels: np.ndarray) -> float | None:
        if len(self.sample) ** 2 * 8 > SHARED_DISTANCES_MAX_BYTES:
            return _silhouette(self.sample, labels)
        if self._distances is None:
            self._distances = pairwise_distances(self.sample)
        return _silhouette(self._distances, labels, metric="precomputed")


def choose_k(score: SampleSilhouette, cfg: ClusterConfig, seed: int) -> dict[int, float]:
    """Silhouette of each candidate k, each fitted on the seeded sample `score` holds and scored on it."""
    scores = {}
    for k in range(cfg.k_min, min(cfg.k_max, len(score.sample) - 1) + 1):
        labels = KMeans(n_clusters=k, n_init=cfg.n_init, random_state=seed).fit_predict(score.sample)
        scores[k] = score(labels)
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


def _warm_or_fresh(
    z: np.ndarray, k: int, cfg: ClusterConfig, seed: int, start: np.ndarray | None
) -> tuple[KMeans | MiniBatchKMeans, bool]:
    """KMeans with cfg.n_init fresh restarts, or the run started from `start` (the previous snapshot's
    centroids in this fit's space) if its inertia is within cfg.warm_start_tolerance of theirs.

    Fresh restarts alone often land on another partition of nearly the same inertia from one month to the
    next (the demo's Nov -> Dec 2025: a third of the customers under other names); starting from last
    month's solution keeps the structure unless a clearly better one exists.
    """
    fresh = kmeans(k, len(z), cfg, seed).fit(z)
    if start is None or start.shape != (k, z.shape[1]) or not np.isfinite(start).all():
        return fresh, False
    warm = kmeans(k, len(z), cfg, seed).set_params(init=start, n_init=1).fit(z)
    if warm.inertia_ <= fresh.inertia_ * (1 + cfg.warm_start_tolerance):
        return warm, True
    return fresh, False


def fit_clusters(
    features: pd.DataFrame,
    cfg: ClusterConfig,
    seed: int,
    k: int | None = None,
    previous_k: int | None = None,
    start: pd.DataFrame | None = None,
    transform_sample: int | None = None,
) -> ClusterFit:
    """Fit the pipeline, k by silhouette unless given; deterministic for a seed and input.

    `start`: the previous model's centroids as raw feature values (one row each, FEATURES columns); used
    when k stays the previous k (see _warm_or_fresh). `transform_sample`: at most this many customers
    (seeded) estimate the Yeo-Johnson exponents (an optimisation per column that a million rows make slow
    and no more exact than a hundred thousand) and the scaling's means and deviations; KMeans and every
    metric see every customer.
    """
    x = feature_matrix(features)
    scaling = preprocessor().fit(x.iloc[sample_rows(len(x), transform_sample or len(x), seed)])
    z = scaling.transform(x)
    sample = sample_rows(len(z), cfg.sample_size, seed)
    score = SampleSilhouette(z[sample])
    silhouettes = choose_k(score, cfg, seed) if k is None else {}
    k = k if k is not None else pick_k(silhouettes, cfg.k_tolerance, previous_k, cfg.k_keep_tolerance)
    start_z = scaling.transform(start[FEATURES].astype("float64")) if start is not None else None
    model, warm = _warm_or_fresh(z, k, cfg, seed, start_z)
    pipeline = Pipeline([*scaling.steps, ("kmeans", model)])
    labels = model.labels_ if hasattr(model, "labels_") else model.predict(z)
    defined = 1 < len(np.unique(labels)) < len(z)  # as for the silhouette: one cluster, or one per customer
    metrics = {
        "k": k,
        "silhouette": score(labels[sample]),
        "davies_bouldin": float(davies_bouldin_score(z, labels)) if defined else None,
        "calinski_harabasz": float(calinski_harabasz_score(z, labels)) if defined else None,
        "warm_start": warm,
    }
    return ClusterFit(pipeline, np.asarray(labels), metrics, silhouettes)
