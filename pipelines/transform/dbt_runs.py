"""dbt invocations that wait out a warehouse held by another process instead of failing the run.

DuckDB lets one process write a database file. Stratify's own runs are queued one at a time (the run
queue's warehouse limit), but a BI tool or a `duckdb` shell opened on warehouse.duckdb also holds the lock.
That is transient, so the step is retried with doubling delays; any other dbt failure fails at once. The
warehouse reads a dbt step does before dbt starts (the load build record, the missing training snapshots)
are retried the same way (retried_when_locked); other Python steps need nothing of this: dagster-duckdb's
connection already backs off on the same error (about 100 s).

Each invocation also leaves its parse state behind for the next one (keep_parse_state), and the oldest
invocation folders are deleted (prune_invocations).
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.config import WarehouseConfig

LOCK_HELD = "Conflicting lock is held"
PARSE_STATE = "partial_parse.msgpack"
KEEP_INVOCATIONS = 30


def stream(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, args: list[str], warehouse: WarehouseConfig
) -> Iterator[Any]:
    """The events of `dbt <args>`; RetryRequested (with back-off) when the warehouse file was locked."""
    with retried_when_locked(context, warehouse):
        invocation = dbt.cli(args, context=context)
        yield from invocation.stream()
    target = project_target(Path(dbt.project_dir))
    keep_parse_state(Path(invocation.target_path), target)
    prune_invocations(target)


@contextmanager
def retried_when_locked(context: dg.OpExecutionContext, warehouse: WarehouseConfig) -> Iterator[None]:
    """Retry the step later (delay doubled each time) when the warehouse file is held by another process.

    With retries off or spent, fail the step with a message naming the lock (and DuckDB's words for the
    holder, its PID), not dbt's or DuckDB's traceback. Any other error passes through unchanged.
    """
    try:
        yield
    except (DagsterDbtCliRuntimeError, duckdb.IOException) as exc:
        held = next((line.strip() for line in str(exc).splitlines() if LOCK_HELD in line), None)
        if held is None:
            raise
        if context.retry_number >= warehouse.lock_retries:
            raise dg.Failure(
                description=f"warehouse.duckdb is held by another process (a BI tool, a duckdb shell?), "
                f"after {context.retry_number} retries (warehouse.lock_retries: {warehouse.lock_retries}): {held}"
            ) from exc
        wait = warehouse.lock_retry_delay_seconds * 2**context.retry_number
        context.log.warning(f"warehouse.duckdb is held by another process; retrying in {wait:.0f} s")
        raise dg.RetryRequested(max_retries=warehouse.lock_retries, seconds_to_wait=wait) from exc


def project_target(project_dir: Path) -> Path:
    """The target folder dagster-dbt seeds each invocation's parse state from (DBT_TARGET_PATH or target/)."""
    target = Path(os.getenv("DBT_TARGET_PATH", "target"))
    return target if target.is_absolute() else project_dir / target


def keep_parse_state(invocation_target: Path, project_target: Path) -> bool:
    """Make an invocation's partial-parse file the one the next invocation starts from; False if it left none.

    dagster-dbt gives each invocation a target folder of its own, seeded with the project's
    partial_parse.msgpack. dbt re-parses the whole project (about 2 s) when that file was written under
    another profile, as the one `make setup` writes is (the repo's default warehouse path, not
    $STRATIFY_HOME's). No step passes --vars: a state parsed with other vars makes the next invocation
    re-parse everything, so snapshot builds pass their dates in environment variables that dbt reads only
    when a node runs (training_features.snapshot_env). The file is swapped in whole (os.replace), so a
    concurrent reader copies the old one or the new one.
    """
    source = invocation_target / PARSE_STATE
    if not source.is_file():
        return False
    staged = project_target / f".{PARSE_STATE}.{os.getpid()}"
    shutil.copyfile(source, staged)
    os.replace(staged, project_target / PARSE_STATE)
    return True


def prune_invocations(target: Path, keep: int = KEEP_INVOCATIONS) -> list[Path]:
    """Delete all but the `keep` newest invocation folders under `target`; returns those deleted.

    dagster-dbt gives every dbt invocation a folder of its own (manifest, run results, compiled SQL, log:
    about 4 MB), and nothing removed them: three invocations a day pile up 4 GB a year. The newest stay for
    reading what a recent run did. Only folders holding a dbt.log are touched, nothing else in `target`.
    """
    if not target.is_dir():
        return []
    folders = [p for p in target.iterdir() if p.is_dir() and (p / "dbt.log").is_file()]
    folders.sort(key=lambda p: p.stat().st_mtime)
    stale = folders[: max(len(folders) - keep, 0)]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)  # a folder another process removes first is fine
    return stale
