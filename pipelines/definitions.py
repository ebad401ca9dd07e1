"""Stratify's Dagster definitions, merged stage by stage in the order data flows.

ingest -> transform -> quality -> segment -> publish -> drift, then how they are run.
"""

from __future__ import annotations

import dagster as dg

from pipelines.drift import assets as drift
from pipelines.ingest import assets as ingest
from pipelines.orchestration import jobs as orchestration
from pipelines.orchestration import schedules, sensors
from pipelines.orchestration.catalog import describe_asset
from pipelines.publish import assets as publish
from pipelines.quality import checks as quality
from pipelines.quality import order_checks, snapshot_checks
from pipelines.resources import StratifyResource
from pipelines.segment import assets as segment
from pipelines.transform import assets as transform

defs = dg.Definitions.merge(
    ingest.defs,
    transform.defs,
    quality.defs,
    order_checks.defs,
    snapshot_checks.defs,
    segment.defs,
    publish.defs,
    drift.defs,
    orchestration.defs,
    schedules.defs,
    sensors.defs,
    dg.Definitions(resources={"stratify": StratifyResource()}),
).map_asset_specs(func=describe_asset)  # owners, kinds and code versions for the UI
