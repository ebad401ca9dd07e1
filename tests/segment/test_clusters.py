"""The cluster pipeline finds planted groups, is deterministic, and picks k for stability among near-equals."""

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, silhouette_score

from pipelines.config import ClusterConfig, SegmentConfig
from pipelines.segment import clusters
from pipelines.segment.cluster_model import fit_cluster_model, keep_previous_names
from pipelines.segment.clusters import (
    FEATURES,
    SampleSilhouette,
    _warm_or_fresh,
    feature_matrix,
    fit_clusters,
    pick_k,
    sample_rows,
)

CFG = ClusterConfig(k_min=3, k_max=6, sample_size=600)


def planted(n=900, seed=0):
    """Three behaviours: big frequent spenders, discount-driven marketplace buyers, one-off single-channel."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    pick = lambda *v: np.array(v)[group]  # noqa: E731
    frame = pd.DataFrame({
        "customer_key": [f"c{i:05d}" for i in range(n)],
        "recency_days": pick(10, 30, 300) * rng.lognormal(0, 0.3, n),
        "frequency_365d": np.round(pick(25, 10, 1) * rng.lognormal(0, 0.2, n)),
        "monetary_365d": pick(3000, 300, 40) * rng.lognormal(0, 0.3, n),
        "avg_order_value_365d": pick(120, 30, 40) * rng.lognormal(0, 0.2, n),
        "discount_share": np.clip(pick(0.02, 0.3, 0.05) + rng.normal(0, 0.02, n), 0, 1),
        "distinct_channels": pick(3, 2, 1),
        "spend_share_app": np.clip(pick(0.4, 0.05, 0.0) + rng.normal(0, 0.05, n), 0, 1),
        "spend_share_marketplace": np.clip(pick(0.05, 0.6, 0.0) + rng.normal(0, 0.05, n), 0, 1),
    })  # fmt: skip
    return frame, group


def test_planted_groups_are_recovered_deterministically():
    frame, group = planted()
    fit = fit_clusters(frame, CFG, seed=1)
    assert fit.metrics["k"] == 3 and adjusted_rand_score(group, fit.labels) > 0.95
    assert set(fit.metrics) == {"k", "silhouette", "davies_bouldin", "calinski_harabasz", "warm_start"}
    assert fit.centroids.shape == (3, len(FEATURES))
    np.testing.assert_array_equal(fit.labels, fit_clusters(frame, CFG, seed=1).labels)


def test_refit_on_new_data_keeps_names_of_matching_clusters():
    cfg = SegmentConfig(clusters=CFG)
    first, group = planted(seed=0)
    model, labels = fit_cluster_model(first, cfg, None)
    second, group2 = planted(seed=1)
    refit, labels2 = fit_cluster_model(second, cfg, model)
    name_of = lambda m, lab, g: {int(x): m.names[int(np.bincount(lab[g == x]).argmax())] for x in range(3)}  # noqa: E731
    assert name_of(model, labels, group) == name_of(refit, labels2, group2)
    assert refit.ids == [model.ids[model.names.index(n)] for n in refit.names]
    assert len(set(model.names)) == 3 and model.tiers[model.ids.index(0)] == "platinum"


def test_customers_keep_last_names_only_while_barely_nearer_elsewhere():
    frame, _ = planted()
    model, labels = fit_cluster_model(frame, SegmentConfig(clusters=CFG), None)
    z = model.pipeline[:-1].transform(feature_matrix(frame))
    distance = np.linalg.norm(z[:, None, :] - model.centroids[None], axis=2)
    second = np.argsort(distance, axis=1)[:, 1]
    ratio = distance[np.arange(len(z)), second] / distance[np.arange(len(z)), labels]
    previous = pd.Series(np.asarray(model.names)[second], index=frame["customer_key"]).iloc[: len(frame) // 2]
    had = np.arange(len(frame)) < len(frame) // 2
    margin = float(np.median(ratio[had]) - 1)  # half of those with a previous name are within it
    kept = keep_previous_names(model, frame, labels, previous, margin=margin)
    stays = had & (ratio <= 1 + margin)
    assert stays.any() and (~stays & had).any()
    np.testing.assert_array_equal(kept[stays], second[stays])
    np.testing.assert_array_equal(kept[~stays], labels[~stays])  # clear movers and new customers: nearest
    np.testing.assert_array_equal(keep_previous_names(model, frame, labels, previous, margin=0.0), labels)


def _square(seed=0):
    """Four tight blobs at the corners of a square: two clusters split it left/right or top/bottom alike."""
    rng = np.random.default_rng(seed)
    corners = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
    return np.vstack([c + rng.normal(0, 0.1, (400, 2)) for c in corners])


def test_refit_keeps_the_previous_partition_among_equals_but_not_a_worse_one():
    z, cfg = _square(), ClusterConfig(k_min=2, k_max=4, warm_start_tolerance=0.02)
    fresh, _ = _warm_or_fresh(z, 2, cfg, seed=0, start=None)
    fresh_split = 0 if abs(fresh.cluster_centers_[0, 0]) > abs(fresh.cluster_centers_[0, 1]) else 1
    other = np.zeros((2, 2))
    other[:, 1 - fresh_split] = [1, -1]  # last month's centroids: the other split of equal inertia
    kept, warm = _warm_or_fresh(z, 2, cfg, seed=0, start=other)
    assert warm and np.allclose(np.abs(kept.cluster_centers_[:, 1 - fresh_split]), 1, atol=0.05)
    assert kept.inertia_ <= fresh.inertia_ * 1.02
    # A start stuck with two centroids on one corner (and two corners sharing one) is clearly worse: fresh wins.
    stuck = np.array([[1, 1], [1.05, 1.05], [-1, 0], [0.9, -1]])
    best, warm = _warm_or_fresh(z, 4, cfg, seed=0, start=stuck)
    assert not warm and len(np.unique(np.round(best.cluster_centers_))) == 2 and best.inertia_ < 100


def test_k_prefers_previous_then_smallest_among_near_best_silhouettes():
    scores = {4: 0.350, 5: 0.365, 6: 0.360, 7: 0.30}
    assert pick_k(scores, 0.02, previous_k=None) == 4
    assert pick_k(scores, 0.02, previous_k=6) == 6
    assert pick_k(scores, 0.02, previous_k=7) == 4
    assert pick_k(scores, 0.0, previous_k=None) == 5


def test_previous_k_stays_until_another_is_clearly_better():
    december = {4: 0.334, 5: 0.335, 6: 0.352, 7: 0.365, 8: 0.365}  # measured on the shift demo
    assert pick_k(december, 0.02, previous_k=5, keep_tolerance=0.05) == 5
    assert pick_k(december, 0.02, previous_k=5, keep_tolerance=0.02) == 6
    assert pick_k({4: 0.20, 5: 0.36}, 0.02, previous_k=4, keep_tolerance=0.05) == 5


def test_every_silhouette_of_a_fit_scores_one_sample_with_distances_computed_once(monkeypatch):
    frame, _ = planted()
    computed = []
    real = clusters.pairwise_distances
    monkeypatch.setattr(clusters, "pairwise_distances", lambda x: computed.append(len(x)) or real(x))
    fit = fit_clusters(frame, CFG, seed=1)
    assert computed == [CFG.sample_size]  # four candidate k and the final score: one distance matrix
    z = fit.pipeline[:-1].transform(feature_matrix(frame))
    sample = sample_rows(len(z), CFG.sample_size, 1)
    assert fit.metrics["silhouette"] == silhouette_score(z[sample], fit.labels[sample])  # exactly sklearn's
    assert len(fit.silhouette_by_k) == 4 and fit.silhouette_by_k[3] == max(fit.silhouette_by_k.values())


def test_a_sample_too_large_to_share_its_distances_scores_without_holding_them(monkeypatch):
    frame, group = planted(n=300)
    z = feature_matrix(frame).to_numpy()
    monkeypatch.setattr(clusters, "SHARED_DISTANCES_MAX_BYTES", 300**2 * 8 - 1)
    score = SampleSilhouette(z)
    assert score(group) == silhouette_score(z, group) and score._distances is None
    monkeypatch.setattr(clusters, "SHARED_DISTANCES_MAX_BYTES", 300**2 * 8)
    assert score(group) == silhouette_score(z, group) and score._distances.shape == (300, 300)
