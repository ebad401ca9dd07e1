"""Segment assets: per snapshot partition, every customer's tier in segments.customer_segments."""

import dagster as dg

from pipelines.orchestration.partitions import ONE_PER_RUN, snapshot_date_of, snapshot_partitions
from pipelines.resources import StratifyResource
from pipelines.segment.segmentation import segment_customers
from pipelines.segment.store import replace_snapshot


@dg.asset(
    key=["segments", "customer_segments"],
    group_name="segment",
    kinds={"sklearn", "duckdb"},
    deps=[dg.AssetKey(["marts", "customer_features"])],
    partitions_def=snapshot_partitions(),
    backfill_policy=ONE_PER_RUN,
    pool="warehouse",
)
def customer_segments(context: dg.AssetExecutionContext, stratify: StratifyResource) -> dg.MaterializeResult:
    """Every customer of the snapshot with RFM segment, value tier, lifecycle stage and behavioural tier."""
    snapshot, seg = snapshot_date_of(context.partition_key), stratify.config.segment
    with stratify.warehouse() as con:
        features = con.execute(
            "SELECT * FROM marts.customer_features WHERE snapshot_date = ? ORDER BY customer_key", [snapshot]
        ).df()
        segments = segment_customers(features, seg)
        replace_snapshot(con, segments, snapshot)
    counts = segments["tier"].value_counts().reindex(seg.tier_names, fill_value=0)
    by_segment = segments["rfm_segment"].value_counts()
    return dg.MaterializeResult(
        metadata={
            "snapshot_date": snapshot.isoformat(),
            "dagster/row_count": len(segments),
            "profiled": int(segments["profiled"].sum()),
            "not_profiled": int((~segments["profiled"]).sum()),
            "tiers": dg.MetadataValue.md("\n".join(f"- {t}: {n}" for t, n in counts.items())),
            "rfm_segments": dg.MetadataValue.md("\n".join(f"- {s}: {n}" for s, n in by_segment.items())),
        }
    )


defs = dg.Definitions(assets=[customer_segments])
