"""Every segmentation of one snapshot, for the customers who may be profiled.

Consent is decided first: customers who may not be profiled are neither fitted nor scored, so they
cannot influence anyone else's quantiles or clusters; they stay in the output, unscored, with a reason.
"""

from __future__ import annotations

import pandas as pd

from pipelines.config import SegmentConfig
from pipelines.segment.cluster_model import ClusterModel, fit_cluster_model, keep_previous_names
from pipelines.segment.lifecycle import assign_lifecycle
from pipelines.segment.rfm import market_of, name_rfm_segments, score_rfm
from pipelines.segment.value import assign_value_tiers

KEY_FEATURES = ["customer_key", "snapshot_date", "recency_days", "frequency_365d", "monetary_365d"]
CLUSTER_COLUMNS = ["cluster_id", "cluster_name", "tier"]
SEGMENT_COLUMNS = ["rfm_r", "rfm_f", "rfm_m", "rfm_segment", "value_tier", "lifecycle_stage", *CLUSTER_COLUMNS]
NO_CONSENT = "no profiling consent"


def segment_customers(
    features: pd.DataFrame,
    cfg: SegmentConfig,
    previous: ClusterModel | None = None,
    previous_names: pd.Series | None = None,
) -> tuple[pd.DataFrame, ClusterModel | None]:
    """One row per customer (key features, market, every segmentation, `profiled`, `exclusion_reason`) and
    the cluster model fitted on the profiled customers, named after `previous` where clusters match;
    `previous_names` (cluster_name by customer_key, last snapshot) lets customers near a boundary keep theirs."""
    profiled = features["has_profiling_consent"].fillna(False).astype(bool) | (not cfg.require_consent)
    fit = features[profiled].reset_index(drop=True)
    scored = score_rfm(fit, cfg.rfm)[["customer_key", "rfm_r", "rfm_f", "rfm_m"]]
    scored["rfm_segment"] = name_rfm_segments(scored, cfg.rfm.rules).to_numpy()
    scored["value_tier"] = assign_value_tiers(fit, cfg.value).to_numpy()
    scored["lifecycle_stage"] = assign_lifecycle(fit, cfg.lifecycle).to_numpy()
    model = None
    if len(fit):
        model, labels = fit_cluster_model(fit, cfg, previous)
        labels = keep_previous_names(model, fit, labels, previous_names, cfg.clusters.switch_margin)
        scored[CLUSTER_COLUMNS] = model.assign(fit, labels)[CLUSTER_COLUMNS].to_numpy()
    else:
        scored[CLUSTER_COLUMNS] = None
    out = features[KEY_FEATURES].assign(market=market_of(features).to_numpy(), profiled=profiled.to_numpy())
    # scored holds the profiled rows in their order: joined by position, not by a million string keys
    scored = scored.drop(columns="customer_key").set_axis(profiled.to_numpy().nonzero()[0])
    out = out.reset_index(drop=True).join(scored)
    out = out.astype({c: "Int64" for c in ("rfm_r", "rfm_f", "rfm_m", "cluster_id")})  # unscored rows stay NA
    out["exclusion_reason"] = out["profiled"].map({True: None, False: NO_CONSENT})
    for column in ("churn_risk", "expected_value_365d", "model_version"):
        out[column] = None  # filled by the predictive models (snapshot_fit.py)
    return out, model
