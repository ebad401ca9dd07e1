"""Cluster names read as the cluster's profile, are unique, and follow their cluster across re-fits."""

import numpy as np

from pipelines.segment.clusters import FEATURES
from pipelines.segment.naming import match_clusters, name_clusters, tiers_by_spend


def _centroid(**traits):
    return np.array([traits.get(f, 0.0) for f in FEATURES])


def test_names_say_what_sets_a_cluster_apart_and_are_unique():
    centroids = np.vstack([
        _centroid(monetary_365d=1.5, distinct_channels=1.2),
        _centroid(discount_share=1.4, frequency_365d=-0.9),
        _centroid(discount_share=1.4, frequency_365d=-0.9, spend_share_marketplace=0.6),
        _centroid(),
    ])  # fmt: skip
    names = name_clusters(centroids, FEATURES)
    assert names[0] == "high-spend omnichannel"
    assert names[1] == "occasional discount-driven"
    assert names[2] == "occasional discount-driven marketplace"  # lengthened until unique
    assert names[3] == "average"
    assert len(set(names)) == len(names)
    assert name_clusters(centroids[[0]], FEATURES, taken={"high-spend omnichannel"}) == ["high-spend omnichannel 2"]


def test_matching_recovers_a_permutation_and_drops_far_clusters():
    previous = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
    current = previous[[2, 0, 1]] + 0.1
    assert match_clusters(previous, current, max_distance=1.0) == {0: 2, 1: 0, 2: 1}
    moved = current.copy()
    moved[1] += 20
    matched = match_clusters(previous, moved, max_distance=1.0)
    assert 1 not in matched and matched[0] == 2


def test_tiers_spread_clusters_ranked_by_spend_over_the_tier_names():
    tiers = tiers_by_spend(np.array([10.0, 500.0, 80.0, 20.0, 2000.0]), ["platinum", "gold", "silver", "bronze"])
    assert tiers == ["bronze", "gold", "silver", "silver", "platinum"]
