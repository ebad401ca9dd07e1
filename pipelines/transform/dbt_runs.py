"""dbt invocations that wait out a warehouse held by another process instead of failing the run.

DuckDB lets one process write a database file. Stratify's own runs are queued one at a time (the run
queue's warehouse limit), but a BI tool or a `duckdb` shell opened on warehouse.duckdb also holds the lock.
That is transient, so the step is retried with doubling delays; any other dbt failure fails at once.
Python steps need nothing of this: dagster-duckdb's connection already backs off on the same error.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.config import WarehouseConfig

LOCK_HELD = "Conflicting lock is held"


def stream(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, args: list[str], warehouse: WarehouseConfig
) -> Iterator[Any]:
    """The events of `dbt <args>`; RetryRequested (with back-off) when the warehouse file was locked."""
    try:
        yield from dbt.cli(args, context=context).stream()
    except DagsterDbtCliRuntimeError as exc:
        if LOCK_HELD not in str(exc) or warehouse.lock_retries == 0:
            raise
        wait = warehouse.lock_retry_delay_seconds * 2**context.retry_number
        context.log.warning(f"warehouse.duckdb is held by another process; retrying in {wait:.0f} s")
        raise dg.RetryRequested(max_retries=warehouse.lock_retries, seconds_to_wait=wait) from exc
