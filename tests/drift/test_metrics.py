import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipelines.drift.metrics import ks_p_value, population_stability_index, status_of


def test_identical_distributions_have_zero_psi():
    assert population_stability_index(np.array([10, 20, 30]), np.array([20, 40, 60])) == pytest.approx(0)


def test_psi_matches_the_textbook_formula():
    ref, cur = np.array([50, 50]), np.array([80, 20])
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert population_stability_index(ref, cur) == pytest.approx(expected)


def test_empty_bin_is_finite():
    assert math.isfinite(population_stability_index(np.array([10, 0]), np.array([5, 5])))


def test_status_thresholds():
    assert [status_of(v, 0.1, 0.25) for v in (0.05, 0.1, 0.2, 0.25, 1.0)] == ["ok", "watch", "watch", "alert", "alert"]


def test_quantile_bins_are_fixed_on_the_reference_and_ties_collapse():
    from pipelines.drift.metrics import compare_numeric, quantile_edges

    ref = np.array([0.0] * 60 + list(range(1, 41)), dtype=float)
    edges = quantile_edges(ref, 10)
    assert edges[0] == 0 and len(edges) == len(set(edges)) < 9  # the zeros are one bin, not six
    shifted = compare_numeric(pd.Series(ref), pd.Series(ref + 100), 10)
    assert shifted.labels[-1].startswith(">") and shifted.current[-1] == 100  # all current values past the last edge
    assert shifted.psi > 1 and shifted.p_value < 1e-10


def test_missing_values_get_their_own_bin():
    from pipelines.drift.metrics import MISSING, compare_numeric

    ref = pd.Series([1.0, 2.0, 3.0, None] * 50)
    cur = pd.Series([1.0, 2.0, None, None] * 50)
    comparison = compare_numeric(ref, cur, 4)
    assert comparison.labels[-1] == MISSING
    assert list(comparison.reference[-1:]) == [50] and list(comparison.current[-1:]) == [100]


def test_categories_new_in_the_current_snapshot_count_as_drift():
    from pipelines.drift.metrics import compare_categorical

    ref = pd.Series(["pos"] * 80 + ["web"] * 20)
    cur = pd.Series(["pos"] * 40 + ["web"] * 20 + ["app"] * 40)
    comparison = compare_categorical(ref, cur)
    assert set(comparison.labels) == {"pos", "web", "app"}
    assert comparison.psi > 0.25 and comparison.p_value < 1e-6


def test_a_test_that_cannot_tell_the_change_from_chance_caps_the_alert_at_watch():
    from pipelines.drift.metrics import judged_status

    assert judged_status(0.4, 1e-6, 0.1, 0.25, 0.01) == "alert"
    assert judged_status(0.4, 0.3, 0.1, 0.25, 0.01) == "watch"
    assert judged_status(0.05, 0.3, 0.1, 0.25, 0.01) == "ok"
    assert judged_status(0.4, None, 0.1, 0.25, 0.01) == "alert"


def test_ks_p_value_from_the_limit_distribution_agrees_with_scipy_on_large_samples():
    rng = np.random.default_rng(3)
    checked = 0
    for n, shift in ((10500, 0.0), (12000, 0.05), (40000, 0.03), (200000, 0.012)):  # effective sizes >= 5,000
        ref, cur = rng.gamma(2.0, size=n), rng.gamma(2.0 + shift, size=n + 7)
        exact = stats.ks_2samp(ref, cur).pvalue
        if exact > 1e-4:  # the range a drift verdict turns on
            assert ks_p_value(ref, cur) == pytest.approx(exact, rel=0.01), (n, exact)
            checked += 1
    assert checked >= 3
    small = rng.normal(size=40), rng.normal(size=50)  # below the threshold: scipy's own value
    assert ks_p_value(*small) == stats.ks_2samp(*small).pvalue
