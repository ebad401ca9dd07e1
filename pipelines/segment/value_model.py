"""Expected value: net spend over the next horizon, judged against 'same as the last 365 days'.

Future spend is zero for many customers and heavy-tailed for the rest, so a gradient-boosted model with a
Poisson loss predicts its mean (non-negative, multiplicative in the inputs). Returns can make a year's
net spend negative; the label is floored at zero for fitting, and errors are measured against the real,
unfloored spend, as are the naive forecast's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from pipelines.config import ValueModelConfig
from pipelines.segment.predictors import predictor_matrix


@dataclass(frozen=True)
class ValueModel:
    model: HistGradientBoostingRegressor
    metrics: dict


def value_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """The predictors with the 365-day spend and order counts annualised over the customer's tenure.

    A training snapshot can lie less than a year after the data starts; raw 365-day sums there cover
    fewer days than at the holdout and the model would learn the wrong scale. Rates do not.
    """
    x = predictor_matrix(features)
    days = np.clip(features["tenure_days"].astype("float64").to_numpy() + 1, 1, 365)
    x["spend_rate_365d"] = x["monetary_365d"] * 365 / days
    x["order_rate_365d"] = x["frequency_365d"] * 365 / days
    return x.drop(columns=["monetary_365d", "frequency_365d", "tenure_days"])


def expected_value(model: ValueModel, features: pd.DataFrame) -> np.ndarray:
    return model.model.predict(value_inputs(features))


def _errors(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    error = predicted - actual
    return {"mae": round(float(np.abs(error).mean()), 2), "rmse": round(float(np.sqrt((error**2).mean())), 2)}


def fit_value_model(train: pd.DataFrame, train_spend: pd.Series, holdout: pd.DataFrame, holdout_spend: pd.Series,
                    cfg: ValueModelConfig, seed: int) -> ValueModel:  # fmt: skip
    """Fit on the training snapshot's realised spend; report model and naive errors on the holdout."""
    regressor = HistGradientBoostingRegressor(loss="poisson", random_state=seed)
    regressor.fit(value_inputs(train), train_spend.clip(lower=0).to_numpy())
    model = ValueModel(regressor, {})
    actual = holdout_spend.to_numpy(dtype="float64")
    naive = holdout["monetary_365d"].astype("float64").to_numpy()
    model.metrics.update({
        "horizon_days": cfg.horizon_days, "train_customers": len(train), "holdout_customers": len(holdout),
        "holdout_mean_spend": round(float(actual.mean()), 2),
        "model": _errors(actual, expected_value(model, holdout)), "naive_last_365d": _errors(actual, naive),
    })  # fmt: skip
    return model
