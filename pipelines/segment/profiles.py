"""Segment profiles and cluster rules: what each segment is, in numbers and in words a CRM team reads.

Profiles: for every segmentation and segment, its size, its share of revenue and its feature means
against the average of all profiled customers. Rules: a shallow decision tree fitted to the cluster
names turns each cluster into a few readable conditions on raw features; its fidelity (how often the
rules give the cluster KMeans gave) says how far those words can be trusted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from pipelines.segment.clusters import FEATURES, feature_matrix, sample_rows

SEGMENTATIONS = ["rfm_segment", "value_tier", "lifecycle_stage", "cluster_name"]
PROFILE_FEATURES = [*FEATURES, "return_rate", "churn_risk", "expected_value_365d"]


def segment_profiles(profiled: pd.DataFrame) -> pd.DataFrame:
    """Long table: segmentation, segment, customers, customer_share, revenue_share, feature, means, index."""
    values = profiled[[c for c in PROFILE_FEATURES if c in profiled]].astype("float64")
    overall = values.mean()
    revenue = profiled["monetary_365d"].astype("float64").clip(lower=0)
    rows = []
    for segmentation in SEGMENTATIONS:
        for segment, members in profiled.groupby(segmentation, sort=True).groups.items():
            means = values.loc[members].mean()
            base = {
                "segmentation": segmentation, "segment": str(segment), "customers": len(members),
                "customer_share": len(members) / len(profiled),
                "revenue_share": float(revenue.loc[members].sum() / revenue.sum()) if revenue.sum() > 0 else None,
            }  # fmt: skip
            for feature in values.columns:
                ratio = means[feature] / overall[feature] if overall[feature] else None
                rows.append({**base, "feature": feature, "segment_mean": means[feature],
                             "overall_mean": overall[feature], "index": ratio})  # fmt: skip
    return pd.DataFrame(rows)


def _bound(feature: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} < {feature} <= {high:g}"
    return f"{feature} > {low:g}" if low is not None else f"{feature} <= {high:g}"


def _paths(tree: DecisionTreeClassifier, names: list[str], counts: np.ndarray) -> list[tuple[str, list[str], int]]:
    """(class, conditions, customers) per leaf, conditions merged per feature into one bound each side;
    `counts`: customers per tree node."""
    t, out = tree.tree_, []

    def walk(node: int, bounds: dict[str, list[float | None]]) -> None:
        if t.children_left[node] == -1:
            conditions = [_bound(f, lo, hi) for f, (lo, hi) in bounds.items()]
            out.append((names[int(np.argmax(t.value[node][0]))], conditions, int(counts[node])))
            return
        feature, threshold = FEATURES[t.feature[node]], round(float(t.threshold[node]), 2)
        lo, hi = bounds.get(feature, [None, None])
        walk(t.children_left[node], {**bounds, feature: [lo, threshold if hi is None else min(hi, threshold)]})
        walk(t.children_right[node], {**bounds, feature: [threshold if lo is None else max(lo, threshold), hi]})

    walk(0, {})
    return out


def cluster_rules(
    features: pd.DataFrame, cluster_names: np.ndarray, depth: int, seed: int, sample: int | None = None
) -> tuple[dict, float]:
    """Readable rules per cluster (leaves of a depth-limited tree, largest first) and the tree's fidelity.

    The tree learns from at most `sample` customers (seeded): a depth-4 tree's splits settle long before a
    million rows. Fidelity and the customer counts of each rule are measured on everyone.
    """
    x = feature_matrix(features)
    rows = sample_rows(len(x), sample or len(x), seed)
    tree = DecisionTreeClassifier(max_depth=depth, random_state=seed).fit(x.iloc[rows], cluster_names[rows])
    fidelity = float((tree.predict(x) == cluster_names).mean())
    rules: dict[str, list[str]] = {str(n): [] for n in sorted(set(cluster_names))}
    counts = np.bincount(tree.apply(x), minlength=tree.tree_.node_count)
    for name, conditions, customers in sorted(_paths(tree, list(tree.classes_), counts), key=lambda p: -p[2]):
        rules[name].append(f"{' and '.join(conditions) or 'everyone'} ({customers} customers)")
    return rules, fidelity
