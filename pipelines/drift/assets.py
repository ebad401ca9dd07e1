"""Drift asset: the snapshot's tiers against the previous snapshot's, stored and reported."""

import json

import dagster as dg
import pandas as pd

from pipelines.drift.tier_drift import tier_drift
from pipelines.orchestration.partitions import ONE_PER_RUN, snapshot_date_of, snapshot_partitions
from pipelines.resources import StratifyResource

DDL = """
CREATE SCHEMA IF NOT EXISTS drift;
CREATE TABLE IF NOT EXISTS drift.drift_metrics (
  snapshot_date DATE, reference_snapshot DATE, metric VARCHAR, subject VARCHAR, value DOUBLE,
  threshold DOUBLE, status VARCHAR);
"""


@dg.asset(
    key=["drift", "drift_metrics"],
    group_name="drift",
    kinds={"duckdb"},
    deps=[dg.AssetKey(["publish", "customer_tiers"])],
    partitions_def=snapshot_partitions(),
    backfill_policy=ONE_PER_RUN,
    pool="warehouse",
)
def drift_metrics(context: dg.AssetExecutionContext, stratify: StratifyResource) -> dg.MaterializeResult:
    """Tier distribution drift of the snapshot against the previous one (PSI and share changes)."""
    snapshot, config = snapshot_date_of(context.partition_key), stratify.config
    with stratify.warehouse() as con:
        con.execute(DDL)
        rows = tier_drift(con, snapshot, config.segment.tier_names, config.drift)
        con.execute("DELETE FROM drift.drift_metrics WHERE snapshot_date = ?", [snapshot])
        if rows:
            con.register("_drift_rows", pd.DataFrame(rows))
            con.execute("INSERT INTO drift.drift_metrics SELECT * FROM _drift_rows")
            con.unregister("_drift_rows")
    report = stratify.paths.reports / "drift" / f"{snapshot.isoformat()}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(rows, default=str, indent=2), encoding="utf-8")
    verdict = rows[0]["status"] if rows else "no reference snapshot"
    return dg.MaterializeResult(
        metadata={
            "verdict": verdict,
            "tier_psi": rows[0]["value"] if rows else None,
            "reference_snapshot": str(rows[0]["reference_snapshot"]) if rows else None,
            "report": dg.MetadataValue.path(str(report)),
        }
    )


defs = dg.Definitions(assets=[drift_metrics])
