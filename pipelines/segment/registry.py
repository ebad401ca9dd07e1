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
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def fingerprint(frame: pd.DataFrame) -> str:
    """Content hash of a frame (values, column names and types, not the index).

    A fit hashes every input frame, a million customers' features among them; pandas' row hashing took
    1 s for that frame, mostly turning Arrow text into Python objects. Column bytes fed to SHA-256 cost
    a tenth of it.
    """
    header = ",".join(f"{name}:{frame[name].dtype}" for name in frame.columns)
    digest = hashlib.sha256(f"{len(frame)} rows;{header}".encode())
    for name in frame.columns:
        for part in _column_bytes(frame[name]):
            digest.update(part)
    return digest.hexdigest()


def _column_bytes(column: pd.Series) -> list:
    """The column's content as bytes that equal values give equal: numbers as their array, text as its
    lengths (-1 for a missing value) and characters, anything else through pandas' own value hash."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biufmM":
        values = column.to_numpy()
        if values.dtype.kind == "f":  # -0.0 is 0.0, and every NaN the same NaN, as to pandas' hash
            values = np.where(np.isnan(values), np.nan, values + 0.0)
        return [np.ascontiguousarray(values).tobytes()]
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        text = pa.array(column)
        text = (text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text).cast(pa.large_string())
        lengths = pc.fill_null(pc.binary_length(text), -1).to_numpy()
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
        data = text.buffers()[2]
        chars = data[int(offsets[0]) : int(offsets[-1])] if data is not None and len(text) else b""
        return [lengths.tobytes(), chars]
    return [pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes()]


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
