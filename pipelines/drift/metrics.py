"""Drift statistics."""

from __future__ import annotations

import numpy as np

# Floor for empty bins: PSI takes a log of each share, and an empty bin must not make it infinite.
_EPSILON = 1e-4


def population_stability_index(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI between two distributions given as counts over the same bins (0 = identical)."""
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    if ref.shape != cur.shape:
        raise ValueError("reference and current need the same bins")
    ref_share = np.clip(ref / max(ref.sum(), 1.0), _EPSILON, None)
    cur_share = np.clip(cur / max(cur.sum(), 1.0), _EPSILON, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def status_of(value: float, watch: float, alert: float) -> str:
    """ok below the watch threshold, watch below the alert threshold, alert from there on."""
    if value >= alert:
        return "alert"
    return "watch" if value >= watch else "ok"
