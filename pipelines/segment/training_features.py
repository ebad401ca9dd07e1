"""Point-in-time features of earlier snapshots, built by the same dbt model that builds each partition.

The churn and value models train on snapshots whose future is known. The snapshot's own dbt build adds
the ones not built yet (STRATIFY_EARLIER_SNAPSHOTS, see snapshot_env), so one statement writes them all,
exactly the rows their partitions would hold (the model is incremental by snapshot_date, delete+insert)
and the feature SQL exists once, in dbt. The segment asset builds any still missing itself (for example
when it is materialized alone after the training horizons changed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import duckdb
from dagster_dbt import DbtCliResource

from pipelines.config import StratifyConfig
from pipelines.resources import StratifyResource, table_exists
from pipelines.segment import history
from pipelines.transform.project import dbt_project


def missing_training_snapshots(con: duckdb.DuckDBPyConnection, snapshot: date, config: StratifyConfig) -> list[date]:
    """The training and holdout snapshots of this snapshot's fit that marts.customer_features lacks."""
    plan = history.training_plan(snapshot, config.segment, config.snapshots.cadence)
    return history.missing_snapshots(con, [day for dates in plan.values() for day in dates])


def snapshot_env(snapshot: date, earlier: list[date], bucket: int = 0) -> dict[str, str]:
    """The environment that builds `snapshot` and the `earlier` ones in one run of customer_features (for
    customer share `bucket`; dbt_project/macros/snapshot_date.sql reads it). The number of shares comes
    from the config through StratifyResource.export_dbt_env, for every dbt run alike.

    Environment variables, not dbt --vars: dbt re-parses the whole project whenever --vars change (3.3 s
    of a 6.4 s dbt run on the demo, once per partition), but only the files reading a changed variable.
    """
    return {
        "STRATIFY_SNAPSHOT_DATE": snapshot.isoformat(),
        "STRATIFY_EARLIER_SNAPSHOTS": ",".join(d.isoformat() for d in earlier),
        "STRATIFY_CUSTOMER_BUCKET": str(bucket),
    }


@contextmanager
def exported(env: dict[str, str]) -> Iterator[None]:
    """`env` in os.environ while the block runs (dagster-dbt hands dbt a copy of it), then as it was: a
    later dbt run in the same process (the publish models) must not build these snapshots' settings in."""
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_buckets(
    dbt: DbtCliResource, stratify: StratifyResource, dates: list[date], buckets: range, log: Callable
) -> None:
    """`dbt run` of customer_features for `dates`, one statement per customer bucket in `buckets`.

    Bucket 0 clears the dates, later ones append. If a statement fails, the dates are deleted again: a date
    holding only some buckets would otherwise pass for built (missing_snapshots) and train a model on part
    of the customers. The caller must hold no warehouse connection.
    """
    total = stratify.config.snapshots.customer_buckets
    try:
        for bucket in buckets:
            stratify.export_dbt_env()
            share = f" (customer share {bucket + 1} of {total})" if total > 1 else ""
            log(f"building marts.customer_features for {', '.join(map(str, dates))}{share} with dbt")
            with exported(snapshot_env(dates[0], dates[1:], bucket)):
                args = ["run", "--select", "customer_features", "--quiet"]
                invocation = dbt.cli(args, manifest=dbt_project.manifest_path)
            invocation.wait()
    except BaseException:  # also a cancelled run (Dagster's interrupt is not an Exception)
        if total > 1:
            clear_snapshots(stratify, dates)
        raise


def clear_snapshots(stratify: StratifyResource, dates: list[date]) -> None:
    """Delete `dates` from marts.customer_features (a bucketed build that stopped part-way)."""
    with stratify.warehouse() as con:
        if table_exists(con, "marts", "customer_features"):
            con.execute("delete from marts.customer_features where snapshot_date in (select unnest(?))", [dates])


def build_snapshots(dbt: DbtCliResource, stratify: StratifyResource, dates: list[date], log: Callable) -> None:
    """customer_features for all `dates`, `snapshots.dates_per_build` per dbt run (memory bounds a statement)
    and each in `snapshots.customer_buckets` statements; the caller must hold no warehouse connection."""
    per_build = stratify.config.snapshots.dates_per_build
    for start in range(0, len(dates), per_build):
        chunk = dates[start : start + per_build]
        run_buckets(dbt, stratify, chunk, range(stratify.config.snapshots.customer_buckets), log)
