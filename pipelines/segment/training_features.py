"""Point-in-time features of earlier snapshots, built by the same dbt model that builds each partition.

The churn and value models train on snapshots whose future is known. The snapshot's own dbt build adds
the ones not built yet through the var `earlier_snapshots`, so one statement writes them all, exactly the
rows their partitions would hold (the model is incremental by snapshot_date, delete+insert) and the
feature SQL exists once, in dbt. The segment asset builds any still missing itself (for example when it is
materialized alone after the training horizons changed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import duckdb
from dagster_dbt import DbtCliResource

from pipelines.config import StratifyConfig
from pipelines.resources import StratifyResource
from pipelines.segment import history
from pipelines.segment.snapshot_fit import training_plan
from pipelines.transform.project import dbt_project


def missing_training_snapshots(con: duckdb.DuckDBPyConnection, snapshot: date, config: StratifyConfig) -> list[date]:
    """The training and holdout snapshots of this snapshot's fit that marts.customer_features lacks."""
    plan = training_plan(snapshot, config.segment, config.snapshots.cadence)
    return history.missing_snapshots(con, [day for dates in plan.values() for day in dates])


def snapshot_vars(snapshot: date, earlier: list[date]) -> str:
    """The dbt vars that build `snapshot` and the `earlier` ones in one run of customer_features."""
    return json.dumps({"snapshot_date": snapshot.isoformat(), "earlier_snapshots": [d.isoformat() for d in earlier]})


def build_snapshots(dbt: DbtCliResource, stratify: StratifyResource, dates: list[date], log: Callable) -> None:
    """customer_features for all `dates`, `snapshots.dates_per_build` per dbt run (memory bounds a statement);
    the caller must hold no warehouse connection."""
    per_build = stratify.config.snapshots.dates_per_build
    for start in range(0, len(dates), per_build):
        chunk = dates[start : start + per_build]
        stratify.export_dbt_env()
        log(f"building marts.customer_features for training snapshots {', '.join(map(str, chunk))} with dbt")
        args = ["run", "--select", "customer_features", "--vars", snapshot_vars(chunk[0], chunk[1:]), "--quiet"]
        dbt.cli(args, manifest=dbt_project.manifest_path).wait()
