"""One snapshot's fit: segmentations, clusters named against the previous model, churn and expected value.

Plain functions over frames; the asset does the I/O in three phases (read, build missing training
snapshots with dbt while no connection is open, fit and write) because DuckDB allows one writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from pipelines.config import SegmentConfig
from pipelines.segment import history
from pipelines.segment.churn import ChurnModel, churn_risk, fit_churn
from pipelines.segment.cluster_model import ClusterModel
from pipelines.segment.profiles import cluster_rules, segment_profiles
from pipelines.segment.registry import fingerprint, model_version
from pipelines.segment.segmentation import KEY_FEATURES, segment_customers
from pipelines.segment.value_model import ValueModel, expected_value, fit_value_model

Training = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]  # train, its outcomes, holdout, outcomes


def read_training(con: duckdb.DuckDBPyConnection, plan: dict, seg: SegmentConfig) -> dict[str, Training]:
    """Profiled customers of each training and holdout snapshot (a seeded sample of seg.fit_sample_size
    where there are more) with what they did in the horizon after."""
    horizons = {"churn": seg.churn.horizon_days, "clv": seg.value_model.horizon_days}
    data = {}
    for name, dates in plan.items():
        frames = []
        for day in dates:
            features = history.read_sample(con, day, seg.fit_sample_size, seg.random_seed, seg.require_consent)
            frames += [features, history.read_outcomes(con, features, day, horizons[name])]
        data[name] = tuple(frames)
    return data


@dataclass
class SnapshotFit:
    segments: pd.DataFrame
    clusters: ClusterModel | None
    churn: ChurnModel | None
    value: ValueModel | None
    model_version: str
    profiles: pd.DataFrame
    rules: dict
    rule_fidelity: float | None
    notes: dict = field(default_factory=dict)


def _fit_predictors(training: dict[str, Training], seg: SegmentConfig, notes: dict):
    """Churn and value models, or None with the reason in notes when a snapshot has too few customers."""
    fitted = {}
    for name, fit, cfg in (("churn", fit_churn, seg.churn), ("clv", fit_value_model, seg.value_model)):
        train, train_out, holdout, holdout_out = training[name]
        column = "orders" if name == "churn" else "net_spend"
        if min(len(train), len(holdout)) < cfg.min_customers:
            sizes = f"{len(train)} training and {len(holdout)} holdout customers"
            notes[name] = f"not fitted: {sizes} (< {cfg.min_customers})"
            fitted[name] = None
            continue
        try:
            fitted[name] = fit(train, train_out[column], holdout, holdout_out[column], cfg, seg.random_seed)
        except ValueError as exc:  # e.g. nobody (or everybody) churned in the training window
            notes[name], fitted[name] = f"not fitted: {exc}", None
    return fitted["churn"], fitted["clv"]


def fit_snapshot(features: pd.DataFrame, training: dict[str, Training], seg: SegmentConfig, snapshot: date,
                 previous: tuple[str, ClusterModel] | None,
                 previous_names: pd.Series | None = None) -> SnapshotFit:  # fmt: skip
    """Everything of one snapshot; deterministic in its inputs, the config, the previous model and the
    previous snapshot's cluster names."""
    # Names are kept only against the model they came from: without it, a new model's names are unrelated.
    previous_names = previous_names if previous is not None else None
    segments, clusters = segment_customers(features, seg, previous[1] if previous else None, previous_names)
    notes: dict = {}
    churn, value = _fit_predictors(training, seg, notes)
    profiled = features[segments["profiled"].to_numpy()].reset_index(drop=True)
    mask = segments["profiled"].to_numpy()
    if churn is not None and len(profiled):
        segments.loc[mask, "churn_risk"] = churn_risk(churn, profiled)
    if value is not None and len(profiled):
        segments.loc[mask, "expected_value_365d"] = expected_value(value, profiled)
    inputs = [fingerprint(features), previous[0] if previous else ""]
    inputs += [fingerprint(previous_names.reset_index()) if previous_names is not None else ""]
    inputs += [fingerprint(frame) for frames in training.values() for frame in frames]
    version = model_version(snapshot.isoformat(), seg.model_dump(mode="json"), inputs)
    segments["model_version"] = version
    rules, fidelity, profiles = {}, None, pd.DataFrame()
    if len(profiled):
        scores = segments.loc[mask].drop(columns=[*KEY_FEATURES]).reset_index(drop=True)  # rows: profiled's
        profiles = segment_profiles(pd.concat([profiled, scores], axis=1))
        names = scores["cluster_name"].to_numpy(dtype=object)
        rules, fidelity = cluster_rules(profiled, names, seg.clusters.rule_depth, seg.random_seed, seg.fit_sample_size)
    return SnapshotFit(segments, clusters, churn, value, version, profiles, rules, fidelity, notes)


def cluster_card(fit: SnapshotFit, snapshot: date, params: dict) -> dict:
    """clusters.json: the contract the drift stage reads (see registry.py)."""
    model = fit.clusters
    sizes = fit.segments["cluster_name"].dropna().value_counts()
    return {
        "model_version": fit.model_version, "snapshot_date": snapshot.isoformat(),
        "training_snapshot": snapshot.isoformat(), "params": params, "features": model.features,
        "metrics": {key: model.metrics[key] for key in ("k", "silhouette", "davies_bouldin", "calinski_harabasz")},
        "centroids": {name: [float(v) for v in row] for name, row in zip(model.names, model.centroids, strict=True)},
        "sizes": {name: int(sizes.get(name, 0)) for name in model.names},
    }  # fmt: skip


def predictor_card(fit: SnapshotFit, name: str, snapshot: date, plan: dict, params: dict) -> dict:
    """churn.json / clv.json: training and holdout snapshots, parameters and holdout metrics (or why none)."""
    model = fit.churn if name == "churn" else fit.value
    train, holdout = plan[name]
    return {
        "model_version": fit.model_version, "snapshot_date": snapshot.isoformat(),
        "training_snapshot": train.isoformat(), "holdout_snapshot": holdout.isoformat(), "params": params,
        "fitted": model is not None, "note": fit.notes.get(name), "metrics": model.metrics if model else None,
    }  # fmt: skip
