"""The segment asset's metadata: model cards, profiles and rules as markdown for the Dagster UI."""

from __future__ import annotations

import json

import dagster as dg
import pandas as pd

from pipelines.segment.snapshot_fit import SnapshotFit

SHOWN = ["monetary_365d", "frequency_365d", "recency_days", "discount_share", "churn_risk", "expected_value_365d"]


def markdown_table(frame: pd.DataFrame) -> str:
    """A markdown table without tabulate (pandas.to_markdown needs it and we do not declare it)."""
    cells = [[str(c) for c in frame.columns], ["---"] * len(frame.columns)]
    cells += [["" if pd.isna(v) else str(v) for v in row] for row in frame.itertuples(index=False)]
    return "\n".join("| " + " | ".join(row) + " |" for row in cells)


def profiles_markdown(profiles: pd.DataFrame) -> str:
    """One table per segmentation: size, revenue share and the index (segment mean / overall mean) of key features."""
    if profiles.empty:
        return "no profiled customers"
    parts = []
    for segmentation, rows in profiles.groupby("segmentation", sort=False):
        wide = rows.pivot_table(index=["segment", "customers", "revenue_share"], columns="feature", values="index")
        wide = wide[[c for c in SHOWN if c in wide.columns]].round(2).reset_index()
        wide["revenue_share"] = (100 * wide["revenue_share"]).round(1)
        parts.append(f"**{segmentation}** (feature columns: segment mean / overall mean)\n\n{markdown_table(wide)}")
    return "\n\n".join(parts)


def rules_markdown(fit: SnapshotFit) -> str:
    lines = [f"Decision tree fidelity: {fit.rule_fidelity:.3f}" if fit.rule_fidelity is not None else "no rules"]
    for name, rules in fit.rules.items():
        lines += [f"- **{name}**", *[f"  - {rule}" for rule in rules]]
    return "\n".join(lines)


def _cluster_start(fit: SnapshotFit) -> str:
    """How KMeans started: from the previous snapshot's centroids (kept structure) or fresh restarts."""
    if fit.clusters is None:
        return "no clusters"
    return "previous snapshot's centroids" if fit.clusters.metrics.get("warm_start") else "fresh restarts"


def segment_metadata(fit: SnapshotFit, cards: dict[str, dict]) -> dict:
    segments = fit.segments
    profiled = segments[segments["profiled"]]
    counts = lambda col: dg.MetadataValue.md(markdown_table(profiled[col].value_counts().reset_index()))  # noqa: E731
    return {
        "dagster/row_count": len(segments),
        "profiled": int(segments["profiled"].sum()),
        "not_profiled": int((~segments["profiled"]).sum()),
        "model_version": fit.model_version,
        "cluster_start": _cluster_start(fit),
        "clusters": counts("cluster_name") if len(profiled) else "none",
        "tiers": counts("tier") if len(profiled) else "none",
        "rfm_segments": counts("rfm_segment") if len(profiled) else "none",
        "cluster_rules": dg.MetadataValue.md(rules_markdown(fit)),
        "profiles": dg.MetadataValue.md(profiles_markdown(fit.profiles)),
        **{f"card_{name}": dg.MetadataValue.json(json.loads(json.dumps(c, default=str))) for name, c in cards.items()},
    }
