"""Publish asset: the BI database and its Parquet copies, rebuilt after each snapshot."""

import dagster as dg

from pipelines.orchestration.partitions import ONE_PER_RUN, snapshot_partitions
from pipelines.publish.atomic import PUBLISHED_TABLES, SOURCE_SCHEMA, publish
from pipelines.publish.preview import summary_preview
from pipelines.resources import StratifyResource


@dg.asset(
    key=["publish", "customer_tiers"],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    deps=[dg.AssetKey([SOURCE_SCHEMA, table]) for table in PUBLISHED_TABLES],
    partitions_def=snapshot_partitions(),
    backfill_policy=ONE_PER_RUN,
    pool="warehouse",
)
def customer_tiers(stratify: StratifyResource) -> dg.MaterializeResult:
    """The published tables in publish/tiers.duckdb (built aside, swapped in by rename) and publish/parquet/."""
    paths = stratify.paths
    with stratify.warehouse() as con:
        done = publish(con, paths.tiers_db, paths.parquet)
    counts = done.counts
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.tiers_db)),
            "parquet": dg.MetadataValue.path(str(paths.parquet)),
            "size_bytes": paths.tiers_db.stat().st_size,
            "dagster/row_count": counts["customer_tiers"],
            **{f"rows_{table}": n for table, n in counts.items()},
            # What this publish wrote: not all history again, only the dates whose rows changed or vanished.
            "tables_written_whole": ", ".join(done.whole) or "none",
            "dates_changed": dg.MetadataValue.json(done.dates),
            "segment_summary": dg.MetadataValue.md(summary_preview(paths.tiers_db)),
        }
    )


defs = dg.Definitions(assets=[customer_tiers])
