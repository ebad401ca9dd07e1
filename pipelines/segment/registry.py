"""Saved models: one folder per snapshot fit under $STRATIFY_HOME/models/<model_version>/.

The folder holds the scikit-learn objects (joblib) and JSON cards. clusters.json is a contract with the
drift stage: keys model_version, snapshot_date, training_snapshot, params, features, metrics {k,
silhouette, davies_bouldin, calinski_harabasz}, centroids {name: [floats in features order, standardised
space]}, sizes {name: customers}. The version is `<snapshot>-<hash>` of the parameters and every input
frame, so re-running a snapshot on the same data gives the same version (and overwrites it identically).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import joblib
import pandas as pd


def fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a frame (values and column names, not the index)."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def model_version(snapshot: str, params: dict, inputs: list[str]) -> str:
    """`<snapshot>-<12 hex>`: deterministic in the parameters and the fingerprints of the inputs."""
    payload = json.dumps({"params": params, "inputs": inputs}, sort_keys=True, default=str)
    return f"{snapshot}-{hashlib.sha256(payload.encode()).hexdigest()[:12]}"


def save_model(folder: Path, name: str, obj: Any, card: dict) -> None:
    """`<name>.joblib` and its card `<name>.json`, the card written last so its presence means complete."""
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(obj, folder / f"{name}.joblib")
    (folder / f"{name}.json").write_text(json.dumps(card, indent=2, default=str) + "\n", encoding="utf-8")


def load_model(folder: Path, name: str) -> Any | None:
    """The saved object, or None when this fit has none (e.g. too little history for a churn model)."""
    path = folder / f"{name}.joblib"
    return joblib.load(path) if path.is_file() else None


def read_card(folder: Path, name: str) -> dict | None:
    path = folder / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
