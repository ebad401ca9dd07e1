"""Segment assets: per snapshot partition, every customer's segments in segments.customer_segments."""

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.orchestration.partitions import ONE_PER_RUN, snapshot_date_of, snapshot_partitions
from pipelines.resources import StratifyResource


@dg.asset(
    key=["segments", "customer_segments"],
    group_name="segment",
    kinds={"sklearn", "duckdb"},
    deps=[dg.AssetKey(["marts", "customer_features"])],
    partitions_def=snapshot_partitions(),
    backfill_policy=ONE_PER_RUN,
    pool="warehouse",
)
def customer_segments(
    context: dg.AssetExecutionContext, stratify: StratifyResource, dbt: DbtCliResource
) -> dg.MaterializeResult:
    """Every customer of the snapshot with RFM, value tier, lifecycle, named cluster, churn risk and expected value."""
    # Imported here: scikit-learn and the models take ~0.5 s to import, which every `stratify run` and UI
    # reload would pay at start-up even when no snapshot is built (a day's load inside a month).
    from pipelines.segment import history
    from pipelines.segment.model_store import previous_model, previous_names, save_fit
    from pipelines.segment.report import segment_metadata
    from pipelines.segment.snapshot_fit import fit_snapshot, read_training
    from pipelines.segment.store import replace_profiles, replace_snapshot
    from pipelines.segment.training_features import build_snapshots, missing_training_snapshots

    snapshot, config = snapshot_date_of(context.partition_key), stratify.config
    plan = history.training_plan(snapshot, config.segment, config.snapshots.cadence)
    with stratify.warehouse() as con:  # closed again before dbt needs the warehouse
        missing = missing_training_snapshots(con, snapshot, config)  # none after the partition's dbt build
    build_snapshots(dbt, stratify, missing, context.log.info)
    with stratify.warehouse() as con:
        features = history.read_features(con, snapshot)
        previous = previous_model(con, stratify.paths.models, snapshot)
        training, names = read_training(con, plan, config.segment), previous_names(con, snapshot)
        fit = fit_snapshot(features, training, config.segment, snapshot, previous, names)
        replace_snapshot(con, fit.segments, snapshot)
        replace_profiles(con, fit.profiles, snapshot, fit.model_version)
    cards = save_fit(stratify.paths.models, fit, snapshot, plan, config.segment)
    metadata = {"snapshot_date": snapshot.isoformat(), "training_snapshots_built": [d.isoformat() for d in missing]}
    return dg.MaterializeResult(metadata=metadata | segment_metadata(fit, cards))


defs = dg.Definitions(assets=[customer_segments])
