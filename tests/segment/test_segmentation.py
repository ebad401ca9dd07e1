"""Consent decides who is profiled; the profiled get every segmentation, the others none and a reason."""

import numpy as np
import pandas as pd
import pandas.testing as pdt

from pipelines.config import SegmentConfig
from pipelines.segment.segmentation import NO_CONSENT, SEGMENT_COLUMNS, segment_customers


def _features(n=240, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_key": [f"c{i:04d}" for i in range(n)], "snapshot_date": pd.Timestamp("2025-12-31"),
        "recency_days": rng.integers(0, 400, n), "frequency_365d": rng.integers(0, 30, n),
        "monetary_365d": rng.gamma(2, 200, n).round(2), "orders_90d": rng.integers(0, 8, n),
        "tenure_days": rng.integers(10, 700, n), "median_days_between_orders": rng.uniform(5, 120, n),
        "avg_order_value_365d": rng.gamma(2, 30, n), "discount_share": rng.uniform(0, 0.3, n),
        "distinct_channels": rng.integers(1, 4, n), "spend_share_app": rng.uniform(0, 1, n),
        "spend_share_marketplace": rng.uniform(0, 1, n), "return_rate": rng.uniform(0, 0.2, n),
        "home_market": rng.choice(["DE", "JP", None], n), "has_profiling_consent": rng.random(n) < 0.7,
    })  # fmt: skip


def test_only_consenting_customers_are_profiled_and_all_of_them_fully():
    features = _features()
    out, _ = segment_customers(features, SegmentConfig())
    assert len(out) == len(features) and out.customer_key.is_unique
    profiled = out[out.profiled]
    assert (profiled.customer_key.isin(features.customer_key[features.has_profiling_consent])).all()
    assert profiled[SEGMENT_COLUMNS].notna().all().all()
    excluded = out[~out.profiled]
    assert len(excluded) == (~features.has_profiling_consent).sum()
    assert excluded[SEGMENT_COLUMNS].isna().all().all() and (excluded.exclusion_reason == NO_CONSENT).all()


def test_customers_without_consent_do_not_influence_anyone_elses_segments():
    features = _features()
    consenting = features[features.has_profiling_consent]
    with_all = segment_customers(features, SegmentConfig())[0].query("profiled").reset_index(drop=True)
    alone = segment_customers(consenting, SegmentConfig())[0].reset_index(drop=True)
    pdt.assert_frame_equal(with_all, alone)


def test_consent_can_be_waived_by_config():
    out, _ = segment_customers(_features(), SegmentConfig(require_consent=False))
    assert out.profiled.all() and out.exclusion_reason.isna().all()


def test_rows_keep_their_own_scores_whatever_the_index():
    """Scores are joined back by position: a shuffled frame with its old index gets, row for row, what the
    same rows under a fresh index get, each row with its own key, features and consent."""
    shuffled = _features().sample(frac=1, random_state=3)
    out, _ = segment_customers(shuffled, SegmentConfig())
    fresh, _ = segment_customers(shuffled.reset_index(drop=True), SegmentConfig())
    pdt.assert_frame_equal(out, fresh)
    assert list(out.customer_key) == list(shuffled.customer_key)
    assert (out.recency_days.to_numpy() == shuffled.recency_days.to_numpy()).all()
    assert (out.profiled.to_numpy() == shuffled.has_profiling_consent.to_numpy()).all()
