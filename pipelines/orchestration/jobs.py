"""Jobs: one per cadence. Both run in-process, because DuckDB allows a single writer at a time.

Both carry WAREHOUSE_TAG, which the instance's run queue limits to one run at a time (pipelines/resources.py).
"""

from __future__ import annotations

import dagster as dg

from pipelines.orchestration.partitions import snapshot_partitions
from pipelines.resources import WAREHOUSE_TAG
from pipelines.transform.assets import dbt_load_models, dbt_publish_models, dbt_snapshot_models

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("ingest") | dg.AssetSelection.assets(dbt_load_models),
    description="Load new landed files, then rebuild staging and intermediate models.",
    executor_def=dg.in_process_executor,
    tags={WAREHOUSE_TAG: "write"},
)

snapshot_job = dg.define_asset_job(
    "snapshot_job",
    selection=dg.AssetSelection.assets(dbt_snapshot_models, dbt_publish_models)
    | dg.AssetSelection.groups("segment", "publish", "drift"),
    description="Build one snapshot: features, quality gate, segments, drift, published shapes and the BI file.",
    partitions_def=snapshot_partitions(),
    executor_def=dg.in_process_executor,
    tags={WAREHOUSE_TAG: "write"},
)

defs = dg.Definitions(jobs=[ingest_job, snapshot_job])
