"""Churn propensity: will a customer order within the horizon? Fitted on one snapshot, tested on a later one.

The model is trained on a snapshot whose next `horizon` days are known and evaluated, unchanged, on a
later holdout snapshot, so the reported AUC and calibration describe exactly the model that scores today's
customers. Logistic regression on log-scaled inputs is the default: its probabilities are close to
calibrated out of the box, which matters more to a CRM team than a sliver of AUC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from pipelines.config import ChurnConfig
from pipelines.segment.predictors import log1p_clipped, predictor_matrix


@dataclass(frozen=True)
class ChurnModel:
    pipeline: Pipeline
    metrics: dict


def churn_pipeline(model: str, seed: int) -> Pipeline:
    if model == "gradient_boosting":
        return Pipeline([("gbm", HistGradientBoostingClassifier(random_state=seed))])
    return Pipeline(
        [
            ("log", FunctionTransformer(log1p_clipped)),
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(max_iter=2000)),
        ]
    )


def churn_risk(model: ChurnModel, features: pd.DataFrame) -> np.ndarray:
    """Probability of no order within the horizon, in [0, 1]."""
    return model.pipeline.predict_proba(predictor_matrix(features))[:, 1]


def reliability(risk: np.ndarray, churned: np.ndarray, bins: int) -> list[dict]:
    """Mean predicted risk against the observed churn rate, in equal-width bins of predicted risk."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(risk, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            table.append({
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "customers": int(inside.sum()),
                "mean_risk": round(float(risk[inside].mean()), 4),
                "churn_rate": round(float(churned[inside].mean()), 4),
            })  # fmt: skip
    return table


def _auc(churned: np.ndarray, risk: np.ndarray) -> float | None:
    return float(roc_auc_score(churned, risk)) if 0 < churned.sum() < len(churned) else None


def fit_churn(train: pd.DataFrame, train_orders: pd.Series, holdout: pd.DataFrame, holdout_orders: pd.Series,
              cfg: ChurnConfig, seed: int) -> ChurnModel:  # fmt: skip
    """Fit on the training snapshot (label: no order in the horizon), evaluate on the holdout snapshot."""
    y_train = (train_orders.to_numpy() == 0).astype(int)
    if y_train.min() == y_train.max():
        raise ValueError("churn: the training snapshot has a single outcome; nothing to learn")
    pipeline = churn_pipeline(cfg.model, seed).fit(predictor_matrix(train), y_train)
    model = ChurnModel(pipeline, {})
    churned = (holdout_orders.to_numpy() == 0).astype(int)
    risk = churn_risk(model, holdout)
    active = holdout["frequency_365d"].to_numpy() > 0
    model.metrics.update({
        "model": cfg.model, "horizon_days": cfg.horizon_days,
        "train_customers": len(train), "train_churn_rate": round(float(y_train.mean()), 4),
        "holdout_customers": len(holdout), "holdout_churn_rate": round(float(churned.mean()), 4),
        "auc": _auc(churned, risk), "auc_active_365d": _auc(churned[active], risk[active]),
        "brier": float(brier_score_loss(churned, risk)),
        "brier_base_rate": float(brier_score_loss(churned, np.full(len(churned), y_train.mean()))),
        "reliability": reliability(risk, churned, cfg.reliability_bins),
    })  # fmt: skip
    return model
