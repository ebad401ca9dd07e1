import math

import numpy as np
import pytest

from pipelines.drift.metrics import population_stability_index, status_of


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
