"""Where each snapshot's fit is saved, and how the previous snapshot's cluster model is found again."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.config import SegmentConfig
from pipelines.resources import table_exists
from pipelines.segment.cluster_model import ClusterModel
from pipelines.segment.registry import load_model, save_model
from pipelines.segment.snapshot_fit import SnapshotFit, cluster_card, predictor_card
from pipelines.warehouse_frames import fetch_frame


def _previous_snapshot(con: duckdb.DuckDBPyConnection, snapshot: date) -> date | None:
    """The latest snapshot before `snapshot` in segments.customer_segments, if any."""
    if not table_exists(con, "segments", "customer_segments"):
        return None
    query = "select max(snapshot_date) from segments.customer_segments where snapshot_date < ?"
    return con.execute(query, [snapshot]).fetchall()[0][0]


def previous_model(con: duckdb.DuckDBPyConnection, models: Path, snapshot: date) -> tuple[str, ClusterModel] | None:
    """The cluster model behind the latest earlier snapshot in segments.customer_segments, if saved.

    The segments table, not the folder listing, says which fit is live: a snapshot re-fitted with other
    parameters leaves its older folder behind, and only the version in the table is the one published.
    """
    previous = _previous_snapshot(con, snapshot)
    if previous is None:
        return None
    query = "select model_version from segments.customer_segments where snapshot_date = ? and model_version is not null"
    rows = con.execute(query + " limit 1", [previous]).fetchall()
    model = load_model(models / rows[0][0], "clusters") if rows else None
    return (rows[0][0], model) if model is not None else None


def previous_names(con: duckdb.DuckDBPyConnection, snapshot: date) -> pd.Series | None:
    """cluster_name by customer_key at the latest earlier snapshot in segments.customer_segments (profiled)."""
    previous = _previous_snapshot(con, snapshot)
    if previous is None:
        return None
    query = (
        "select customer_key, cluster_name from segments.customer_segments where snapshot_date = ? and "
        "cluster_name is not null"
    )
    frame = fetch_frame(con, query, [previous])
    return frame.set_index("customer_key")["cluster_name"] if len(frame) else None


def save_fit(models: Path, fit: SnapshotFit, snapshot: date, plan: dict, seg: SegmentConfig) -> dict[str, dict]:
    """Every model of the fit with its card under models/<model_version>/; returns the cards by name."""
    folder, cards = models / fit.model_version, {}
    if fit.clusters is not None:
        params = seg.clusters.model_dump(mode="json") | {"seed": seg.random_seed}
        cards["clusters"] = cluster_card(fit, snapshot, params)
        save_model(folder, "clusters", fit.clusters, cards["clusters"])
    for name, model, params in (("churn", fit.churn, seg.churn), ("clv", fit.value, seg.value_model)):
        cards[name] = predictor_card(fit, name, snapshot, plan, params.model_dump(mode="json"))
        if model is not None:
            save_model(folder, name, model, cards[name])
        else:
            _write(folder, name, cards[name])
    rules = {"fidelity": fit.rule_fidelity, "depth": seg.clusters.rule_depth, "rules": fit.rules}
    _write(folder, "rules", rules)
    fit.profiles.to_csv(folder / "profiles.csv", index=False)
    return cards


def _write(folder: Path, name: str, card: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(card, indent=2, default=str) + "\n", encoding="utf-8")
