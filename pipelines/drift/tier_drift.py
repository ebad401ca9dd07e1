"""Compare one snapshot's tier distribution with the previous snapshot's."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np

from pipelines.config import DriftConfig
from pipelines.drift.metrics import population_stability_index, status_of


def previous_snapshot(con: duckdb.DuckDBPyConnection, snapshot: date) -> date | None:
    """The latest snapshot built before this one: the reference it is compared with."""
    row = con.execute(
        "SELECT max(snapshot_date) FROM segments.customer_segments WHERE snapshot_date < ?", [snapshot]
    ).fetchall()[0]
    return row[0] if row else None


def tier_counts(con: duckdb.DuckDBPyConnection, snapshot: date, tiers: list[str]) -> np.ndarray:
    rows = dict(
        con.execute(
            "SELECT tier, count(*) FROM segments.customer_segments WHERE snapshot_date = ? GROUP BY tier",
            [snapshot],
        ).fetchall()
    )
    return np.array([rows.get(t, 0) for t in tiers], dtype="float64")


def tier_drift(con, snapshot: date, tiers: list[str], thresholds: DriftConfig) -> list[dict]:
    """Drift metric rows: PSI over tiers and each tier's share change; empty without a reference."""
    reference = previous_snapshot(con, snapshot)
    if reference is None:
        return []
    ref, cur = tier_counts(con, reference, tiers), tier_counts(con, snapshot, tiers)
    psi = population_stability_index(ref, cur)
    rows = [
        {
            "snapshot_date": snapshot,
            "reference_snapshot": reference,
            "metric": "psi",
            "subject": "tier",
            "value": psi,
            "threshold": thresholds.psi_alert,
            "status": status_of(psi, thresholds.psi_watch, thresholds.psi_alert),
        }
    ]
    ref_share, cur_share = ref / max(ref.sum(), 1), cur / max(cur.sum(), 1)
    for tier, r, c in zip(tiers, ref_share, cur_share, strict=True):
        rows.append(
            {
                "snapshot_date": snapshot,
                "reference_snapshot": reference,
                "metric": "share_change",
                "subject": f"tier={tier}",
                "value": float(c - r),
                "threshold": None,
                "status": "info",
            }
        )
    return rows
