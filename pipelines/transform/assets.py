"""dbt models as assets: staging and intermediate once per load, marts once per snapshot partition, then the
published shapes (tag publish) over the segments and drift of that snapshot."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.orchestration.partitions import ONE_PER_RUN, snapshot_date_of, snapshot_partitions
from pipelines.orchestration.up_to_date import fingerprint
from pipelines.resources import StratifyResource, config_path
from pipelines.segment.training_features import (
    build_snapshots,
    clear_snapshots,
    exported,
    missing_training_snapshots,
    run_buckets,
    snapshot_env,
)
from pipelines.transform import dbt_runs, load_builds
from pipelines.transform.dbt_cli import StratifyDbtCli
from pipelines.transform.project import DBT_EXECUTABLE, dbt_project, translator

SNAPSHOT_TAG = "tag:snapshot"
PUBLISH_TAG = "tag:publish"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude=SNAPSHOT_TAG,
    name="dbt_load_models",
    pool="warehouse",
)
def dbt_load_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, stratify: StratifyResource):
    """Staging and intermediate models, rebuilt after each load that accepted rows (load_builds.py)."""
    stratify.export_dbt_env()
    stamp = fingerprint(config_path())
    if not _start_load_build(context, stratify, stamp):
        return
    # The uniqueness tests trust the last recorded build's judgement only when it ran this code and config.
    with exported({"STRATIFY_LOAD_FINGERPRINT": stamp}):
        yield from dbt_runs.stream(context, dbt, ["build"], stratify.config.warehouse)
    if load_builds.is_whole_run(context.run):
        with stratify.warehouse() as con:
            load_builds.record_load_build(con, stamp, context.run.run_id)


def _start_load_build(context: dg.AssetExecutionContext, stratify: StratifyResource, stamp: str) -> bool:
    """False when the load models are up to date; else mark their record `building` (load_builds.py).

    Done before dbt starts, so a build that fails or is killed mid-way leaves the mark. A warehouse held by
    another process retries the step like a locked dbt run does.
    """
    with dbt_runs.retried_when_locked(context, stratify.config.warehouse), stratify.warehouse(wait=False) as con:
        if load_builds.may_skip(context.run):
            reason = load_builds.why_build(con, context.instance, stamp)
            if reason is None:
                context.log.info("load models up to date (no rows loaded since their last build): dbt not run")
                return False
            context.log.info(f"building the load models: {reason}")
        load_builds.start_load_build(con)
    return True


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=SNAPSHOT_TAG,
    exclude=PUBLISH_TAG,
    name="dbt_snapshot_models",
    partitions_def=snapshot_partitions(),
    pool="warehouse",
    backfill_policy=ONE_PER_RUN,
)
def dbt_snapshot_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, stratify: StratifyResource):
    """Point-in-time marts for one snapshot partition; the partition sets the snapshot date (STRATIFY_SNAPSHOT_DATE).

    The earlier snapshots the segment stage trains on are built in the same statement when missing, up to
    `snapshots.dates_per_build` dates per statement; the rest first, in statements of their own. With
    `snapshots.customer_buckets` > 1 the training snapshots are built first, whole, and the partition in
    that many statements, the last one inside `dbt build` so its tests see every customer.
    """
    stratify.export_dbt_env()
    snapshot = snapshot_date_of(context.partition_key)
    buckets = stratify.config.snapshots.customer_buckets
    # A warehouse held by another process retries the step here too, as in dbt_runs.stream.
    with dbt_runs.retried_when_locked(context, stratify.config.warehouse):
        with stratify.warehouse(wait=False) as con:  # closed before dbt opens the warehouse
            earlier = missing_training_snapshots(con, snapshot, stratify.config)
        per_build = stratify.config.snapshots.dates_per_build if buckets == 1 else 1
        split = len(earlier) - min(len(earlier), per_build - 1)  # those before it do not fit the partition's
        build_snapshots(dbt, stratify, earlier[:split], context.log.info)
        earlier = earlier[split:]
        if earlier:
            context.log.info(f"also building training snapshots {', '.join(map(str, earlier))}")
        run_buckets(dbt, stratify, [snapshot], range(buckets - 1), context.log.info)
    try:
        with exported(snapshot_env(snapshot, earlier, buckets - 1)):
            yield from dbt_runs.stream(context, dbt, ["build"], stratify.config.warehouse)
    except BaseException:  # a date holding only some shares must not pass for built (see run_buckets)
        if buckets > 1:
            clear_snapshots(stratify, [snapshot])
        raise


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=PUBLISH_TAG,
    name="dbt_publish_models",
    partitions_def=snapshot_partitions(),
    pool="warehouse",
    backfill_policy=ONE_PER_RUN,
)
def dbt_publish_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, stratify: StratifyResource):
    """Published shapes (views over every snapshot) and the key map, partitioned to run in snapshot_job. The
    partition's date reaches dbt (STRATIFY_SNAPSHOT_DATE) so that the views' tests look at this snapshot
    only (macros/published_snapshot.sql) instead of growing with history."""
    stratify.export_dbt_env()
    with exported(snapshot_env(snapshot_date_of(context.partition_key), [], 0)):
        yield from dbt_runs.stream(context, dbt, ["build"], stratify.config.warehouse)


defs = dg.Definitions(
    assets=[dbt_load_models, dbt_snapshot_models, dbt_publish_models],
    resources={"dbt": StratifyDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
)
