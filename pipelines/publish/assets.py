"""Publish asset: the BI database and its Parquet copies, rebuilt after each snapshot."""

import dagster as dg

from pipelines.orchestration.partitions import ONE_PER_RUN, snapshot_partitions
from pipelines.publish.atomic import publish_database, publish_parquet
from pipelines.resources import StratifyResource


@dg.asset(
    key=["publish", "customer_tiers"],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    deps=[dg.AssetKey(["segments", "customer_segments"])],
    partitions_def=snapshot_partitions(),
    backfill_policy=ONE_PER_RUN,
    pool="warehouse",
)
def customer_tiers(stratify: StratifyResource) -> dg.MaterializeResult:
    """Latest tiers and their history in publish/tiers.duckdb (atomic swap) and publish/parquet/."""
    paths = stratify.paths
    with stratify.warehouse() as con:
        counts = publish_database(con, paths.tiers_db)
        publish_parquet(con, paths.parquet)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.tiers_db)),
            "parquet": dg.MetadataValue.path(str(paths.parquet)),
            "dagster/row_count": counts["customer_tiers"],
            **{f"rows_{table}": n for table, n in counts.items()},
        }
    )


defs = dg.Definitions(assets=[customer_tiers])
