"""Point-in-time features of earlier snapshots, built by the same dbt model that builds each partition.

The churn and value models train on snapshots whose future is known. When such a snapshot was never built
as a partition, `dbt run --select customer_features` with its date writes exactly the rows the partition
would (the model is incremental by snapshot_date, delete+insert), so the feature SQL exists once, in dbt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from dagster_dbt import DbtCliResource

from pipelines.resources import StratifyResource
from pipelines.transform.project import dbt_project


def build_snapshots(dbt: DbtCliResource, stratify: StratifyResource, dates: list[date], log: Callable) -> None:
    """Run the customer_features model once per date; the caller must hold no warehouse connection."""
    stratify.export_dbt_env()
    for day in dates:
        log(f"building marts.customer_features for training snapshot {day} with dbt")
        dbt_vars = json.dumps({"snapshot_date": day.isoformat()})
        args = ["run", "--select", "customer_features", "--vars", dbt_vars, "--quiet"]
        dbt.cli(args, manifest=dbt_project.manifest_path).wait()
