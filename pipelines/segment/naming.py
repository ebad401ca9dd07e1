"""Readable, stable cluster names: generated from a cluster's profile, inherited from the previous model.

KMeans numbers its clusters arbitrarily and a re-fit may number them differently, so a CRM team could
never rely on "cluster 3". Each cluster is named from what sets it apart (its centroid in standardised
units, so +1 means one standard deviation above the customer average), and when a previous snapshot's
model exists its clusters are matched one-to-one to the new ones (Hungarian assignment on centroid
distance, measured in the previous model's space) so that a name keeps its meaning from run to run.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

# feature -> (word when well above average, word when well below); None: not worth saying.
DESCRIPTORS = {
    "monetary_365d": ("high-spend", "low-spend"),
    "frequency_365d": ("frequent", "occasional"),
    "recency_days": ("lapsed", None),
    "discount_share": ("discount-driven", None),
    "distinct_channels": ("omnichannel", "single-channel"),
    "avg_order_value_365d": ("big-basket", "small-basket"),
    "spend_share_app": ("app-first", None),
    "spend_share_marketplace": ("marketplace", None),
}
THRESHOLD = 0.5  # standard deviations from the average before a trait is worth naming
WORDS = 2


def _traits(centroid: np.ndarray, features: list[str]) -> list[tuple[float, str]]:
    """(strength, word) for every trait beyond the threshold, strongest first; ties broken by word."""
    traits = []
    for value, feature in zip(centroid, features, strict=True):
        above, below = DESCRIPTORS.get(feature, (None, None))
        word = above if value >= THRESHOLD else below if value <= -THRESHOLD else None
        if word:
            traits.append((abs(float(value)), word))
    return sorted(traits, key=lambda t: (-t[0], t[1]))


def _compose(words: list[str]) -> str:
    """Adjectives in a fixed order so 'frequent high-spend' and 'high-spend frequent' cannot both exist."""
    order = [w for pair in DESCRIPTORS.values() for w in pair if w]
    return " ".join(sorted(words, key=order.index)) if words else "average"


def name_clusters(centroids: np.ndarray, features: list[str], taken: set[str] = frozenset()) -> list[str]:
    """A name per centroid from its two strongest traits, lengthened or numbered until unique."""
    traits = [_traits(c, features) for c in centroids]
    words = [min(WORDS, len(t)) for t in traits]
    names = [_compose([w for _, w in t[:n]]) for t, n in zip(traits, words, strict=True)]
    for i in range(len(names)):
        clash = lambda i: names[i] in taken or names.count(names[i]) > 1  # noqa: E731
        while clash(i) and words[i] < len(traits[i]):
            words[i] += 1
            names[i] = _compose([w for _, w in traits[i][: words[i]]])
    used = set(taken)
    for i, name in enumerate(names):
        number = 2
        while names[i] in used:
            names[i], number = f"{name} {number}", number + 1
        used.add(names[i])
    return names


def match_clusters(previous: np.ndarray, current: np.ndarray, max_distance: float) -> dict[int, int]:
    """current cluster -> previous cluster, one-to-one by least total distance, pairs beyond max_distance dropped.

    Both centroid sets must be in the same space: the previous model's standardised features.
    """
    cost = np.linalg.norm(current[:, None, :] - previous[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if cost[r, c] <= max_distance}


def tiers_by_spend(mean_spend: np.ndarray, tier_names: list[str]) -> list[str]:
    """Tier per cluster: clusters ranked by mean spend, spread evenly from the first tier to the last."""
    order = np.argsort(-mean_spend, kind="stable")
    span = max(len(mean_spend) - 1, 1)
    tiers = [""] * len(mean_spend)
    for rank, cluster in enumerate(order):
        tiers[cluster] = tier_names[round(rank * (len(tier_names) - 1) / span)]
    return tiers
