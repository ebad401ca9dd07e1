"""Model drift: how far the behavioural clusters moved between the two snapshots' models.

The segment stage writes one card per model, `$STRATIFY_HOME/models/<model_version>/clusters.json`, with
"features", "metrics" {"silhouette", ...}, "centroids" {cluster_name: [standardised coordinates]} and
"sizes". Drift only reads cards; without them model drift is skipped with a note.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd


def model_version_of(segments: pd.DataFrame) -> str | None:
    """The model that scored most customers of a snapshot (None while the column is empty)."""
    if "model_version" not in segments.columns:
        return None
    versions = segments["model_version"].dropna()
    return str(versions.mode().iloc[0]) if len(versions) else None


def read_card(models: Path, version: str | None) -> dict | None:
    if version is None:
        return None
    path = models / version / "clusters.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def cluster_changed_share(reference: pd.DataFrame, current: pd.DataFrame) -> float | None:
    """Share of the customers named in both snapshots whose cluster name is not the same."""
    if "cluster_name" not in reference.columns or "cluster_name" not in current.columns:
        return None
    both = reference[["customer_key", "cluster_name"]].merge(
        current[["customer_key", "cluster_name"]], on="customer_key", suffixes=("_ref", "_cur")
    )
    both = both.dropna()
    if both.empty:
        return None
    return float((both["cluster_name_ref"] != both["cluster_name_cur"]).mean())


def model_drift(reference: pd.DataFrame, current: pd.DataFrame, models: Path) -> dict:
    """Centroid shift per cluster, silhouette change and the share of customers who changed cluster."""
    versions = model_version_of(reference), model_version_of(current)
    out: dict = {"reference_model": versions[0], "current_model": versions[1], "notes": []}
    out["cluster_changed_share"] = cluster_changed_share(reference, current)
    cards = read_card(models, versions[0]), read_card(models, versions[1])
    for version, card in zip(versions, cards, strict=True):
        if card is None:
            where = models / version / "clusters.json" if version else "(no model_version in the segments)"
            out["notes"].append(f"no cluster card at {where}: centroid shift and silhouette skipped")
    if None in cards:
        return out
    ref_card, cur_card = cards
    ref_sil, cur_sil = (c.get("metrics", {}).get("silhouette") for c in cards)
    out["silhouette"] = {"reference": ref_sil, "current": cur_sil}
    out["silhouette_change"] = None if ref_sil is None or cur_sil is None else float(cur_sil - ref_sil)
    if ref_card.get("features") != cur_card.get("features"):
        out["notes"].append("the models use different features: centroids are not comparable")
        out["centroid_shift"] = {}
        return out
    ref_c, cur_c = ref_card.get("centroids", {}), cur_card.get("centroids", {})
    out["centroid_shift"] = {name: math.dist(ref_c[name], cur_c[name]) for name in sorted(set(ref_c) & set(cur_c))}
    out["clusters_new"] = sorted(set(cur_c) - set(ref_c))
    out["clusters_gone"] = sorted(set(ref_c) - set(cur_c))
    out["sizes"] = {"reference": ref_card.get("sizes", {}), "current": cur_card.get("sizes", {})}
    return out
