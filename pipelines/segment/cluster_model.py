"""A fitted cluster model with its names and ids, labelled against the previous snapshot's model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from pipelines.config import SegmentConfig
from pipelines.segment.clusters import FEATURES, ClusterFit, feature_matrix, fit_clusters
from pipelines.segment.naming import match_clusters, name_clusters, tiers_by_spend


@dataclass(frozen=True)
class ClusterModel:
    """What is saved and reloaded: the pipeline and, per raw KMeans label, a stable name, id and tier."""

    pipeline: Pipeline
    features: list[str]
    names: list[str]
    ids: list[int]
    tiers: list[str]
    metrics: dict

    @property
    def centroids(self) -> np.ndarray:
        return self.pipeline.named_steps["kmeans"].cluster_centers_

    def assign(self, features: pd.DataFrame, labels: np.ndarray | None = None) -> pd.DataFrame:
        """cluster_id, cluster_name and tier per customer (labels: the fit's own, else predicted)."""
        raw = self.pipeline.predict(feature_matrix(features)) if labels is None else labels
        return pd.DataFrame({
            "cluster_id": np.asarray(self.ids)[raw], "cluster_name": np.asarray(self.names, dtype=object)[raw],
            "tier": np.asarray(self.tiers, dtype=object)[raw],
        })  # fmt: skip


def _inherit(fit: ClusterFit, x: pd.DataFrame, previous: ClusterModel, max_distance: float) -> dict[int, int]:
    """New cluster -> previous cluster, comparing both in the previous model's standardised space."""
    z = previous.pipeline[:-1].transform(x)
    means = np.vstack([z[fit.labels == c].mean(axis=0) for c in range(len(fit.centroids))])
    return match_clusters(previous.centroids, means, max_distance)


def label_fit(
    fit: ClusterFit, features: pd.DataFrame, cfg: SegmentConfig, previous: ClusterModel | None
) -> ClusterModel:
    """Names and ids: inherited where a previous cluster matches, generated from the profile otherwise."""
    x, k = feature_matrix(features), len(fit.centroids)
    same_space = previous is not None and previous.features == FEATURES
    matched = _inherit(fit, x, previous, cfg.clusters.match_max_distance) if same_space else {}
    names: list[str | None] = [previous.names[matched[c]] if c in matched else None for c in range(k)]
    ids: list[int | None] = [previous.ids[matched[c]] if c in matched else None for c in range(k)]
    fresh = [c for c in range(k) if names[c] is None]
    for c, name in zip(fresh, name_clusters(fit.centroids[fresh], FEATURES, {n for n in names if n}), strict=True):
        names[c] = name
    spend = np.array([x["monetary_365d"][fit.labels == c].mean() for c in range(k)])
    free = (i for i in range(10**6) if i not in set(ids))
    by_spend = sorted(fresh, key=lambda c: (-spend[c], c))
    for c in by_spend:
        ids[c] = next(free)
    tiers = tiers_by_spend(spend, cfg.tier_names)
    return ClusterModel(fit.pipeline, list(FEATURES), names, ids, tiers, fit.metrics)


def fit_cluster_model(
    features: pd.DataFrame, cfg: SegmentConfig, previous: ClusterModel | None
) -> tuple[ClusterModel, np.ndarray]:
    """Fit, then label; too few customers for the smallest k give one cluster per customer at most."""
    k = min(cfg.clusters.k_min, len(features)) if len(features) <= cfg.clusters.k_min else None
    previous_k = len(previous.names) if previous is not None else None
    start = _previous_centroids(previous)
    fit = fit_clusters(
        features, cfg.clusters, cfg.random_seed, k=k, previous_k=previous_k, start=start,
        transform_sample=cfg.fit_sample_size,
    )  # fmt: skip
    return label_fit(fit, features, cfg, previous), fit.labels


def _previous_centroids(previous: ClusterModel | None) -> pd.DataFrame | None:
    """The previous model's centroids as raw feature values (its scaling undone), the start of a warm re-fit."""
    if previous is None or previous.features != FEATURES:
        return None
    with np.errstate(all="ignore"):  # a power transform's inverse can leave its domain: no warm start then
        raw = previous.pipeline[:-1].inverse_transform(previous.centroids)
    return pd.DataFrame(raw, columns=FEATURES) if np.isfinite(raw).all() else None


def keep_previous_names(
    model: ClusterModel, features: pd.DataFrame, labels: np.ndarray, previous: pd.Series | None, margin: float
) -> np.ndarray:
    """Labels where each customer keeps last snapshot's cluster (by name) while its centroid is within
    (1 + margin) x the distance to the nearest centroid; otherwise the nearest, as fitted.

    A CRM team acts on a customer's segment; a name that flips because a month of recency moved the
    customer across a boundary by a hair is noise to them. A clear move still changes the name.
    """
    if previous is None or margin <= 0 or not len(features):
        return labels
    index = {name: c for c, name in enumerate(model.names)}
    before = features["customer_key"].map(previous).map(index)
    has = before.notna().to_numpy()
    if not has.any():
        return labels
    z = model.pipeline[:-1].transform(feature_matrix(features))[has]
    kept = before[has].astype(int).to_numpy()
    nearest = labels[has]
    distance = lambda c: np.linalg.norm(z - model.centroids[c], axis=1)  # noqa: E731
    stay = distance(kept) <= distance(nearest) * (1 + margin)
    out = labels.copy()
    out[np.flatnonzero(has)[stay]] = kept[stay]
    return out
