"""Segment drift (share changes and PSI per segmentation and market) and migration between the snapshots."""

from __future__ import annotations

import pandas as pd

from pipelines.config import DriftConfig
from pipelines.drift.features import ALL_MARKETS, in_market, judge, markets_of
from pipelines.drift.metrics import compare_categorical


def usable_segmentations(reference: pd.DataFrame, current: pd.DataFrame, cfg: DriftConfig) -> tuple[list, list]:
    """Segmentations with values in both snapshots, and notes on those left out (e.g. a column still empty)."""
    usable, notes = [], []
    for name in cfg.segmentations:
        if name not in reference.columns or name not in current.columns:
            notes.append(f"{name}: not a column of segments.customer_segments")
        elif reference[name].isna().all() or current[name].isna().all():
            notes.append(f"{name}: no values in one of the snapshots, not compared")
        else:
            usable.append(name)
    return usable, notes


def segment_drift(reference: pd.DataFrame, current: pd.DataFrame, names: list[str], cfg: DriftConfig) -> list[dict]:
    """Per segmentation and market: each segment's share before and after, and PSI over the segments."""
    found = []
    for name in names:
        order = list(pd.concat([reference[name], current[name]]).dropna().value_counts().index)
        for market in markets_of(reference, current):
            ref, cur = in_market(reference, market)[name], in_market(current, market)[name]
            comparison = compare_categorical(ref.dropna(), cur.dropna(), order)
            ref_share, cur_share = comparison.shares()
            found.append(
                {
                    "segmentation": name,
                    "market": market,
                    "psi": comparison.psi,
                    "p_value": comparison.p_value,
                    "status": judge(comparison, cfg),
                    "n_reference": comparison.sizes[0],
                    "n_current": comparison.sizes[1],
                    "segments": comparison.labels,
                    "reference_share": ref_share,
                    "current_share": cur_share,
                }
            )
    return found


def migration(reference: pd.DataFrame, current: pd.DataFrame, names: list[str], cfg: DriftConfig) -> list[dict]:
    """Transition matrix per segmentation of the customers profiled in both snapshots, and the called-out moves."""
    both = reference.merge(current, on="customer_key", suffixes=("_ref", "_cur"))
    found = []
    for name in names:
        pairs = both[[f"{name}_ref", f"{name}_cur", "market_cur"]].dropna()
        labels = list(pd.concat([pairs[f"{name}_ref"], pairs[f"{name}_cur"]]).value_counts().index)
        counts = pd.crosstab(pairs[f"{name}_ref"], pairs[f"{name}_cur"]).reindex(
            index=labels, columns=labels, fill_value=0
        )
        rates = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0.0)
        found.append(
            {
                "segmentation": name,
                "labels": labels,
                "counts": counts.to_numpy().tolist(),
                "rates": rates.to_numpy().tolist(),
                "customers": int(len(pairs)),
                "moved_share": float(1 - counts.to_numpy().trace() / max(len(pairs), 1)),
                "callouts": _callouts(pairs, name, cfg),
            }
        )
    return found


def _callouts(pairs: pd.DataFrame, name: str, cfg: DriftConfig) -> list[dict]:
    """The configured moves, over all markets and per market: how many left `from` for `to`, and what share."""
    out = []
    for source, target in cfg.movements.get(name, ()):
        frm = pairs[pairs[f"{name}_ref"] == source]
        for market in [ALL_MARKETS, *sorted(frm["market_cur"].unique())]:
            group = frm if market == ALL_MARKETS else frm[frm["market_cur"] == market]
            moved = int((group[f"{name}_cur"] == target).sum())
            out.append(
                {
                    "from": source,
                    "to": target,
                    "market": market,
                    "count": moved,
                    "base": int(len(group)),
                    "rate": moved / len(group) if len(group) else 0.0,
                }
            )
    return out
