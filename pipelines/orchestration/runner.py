"""Run the whole graph in-process: what `stratify run` does, through the same jobs Dagster schedules."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

import dagster as dg

from pipelines.orchestration.partitions import (
    latest_partition_keys,
    partition_keys_between,
    period_start_of,
    snapshot_date_of,
)
from pipelines.orchestration.up_to_date import fingerprint, record_build, why_rebuild
from pipelines.resources import StratifyResource, config_path
from pipelines.transform.assets import dbt_load_models
from pipelines.transform.load_builds import REBUILD_TAG

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
SHOWN_METADATA = (
    "files_new",
    "rows_accepted",
    "rows_quarantined",
    "files_rejected",
    "dagster/row_count",
    "verdict",
    "tier_psi",
)


@dataclass
class RunOutcome:
    snapshots: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # up to date (pipelines/orchestration/up_to_date.py)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _describe(event) -> str:
    mat = event.step_materialization_data.materialization
    shown = {k: v.value for k, v in mat.metadata.items() if k in SHOWN_METADATA and v.value is not None}
    facts = ", ".join(
        f"{k.removeprefix('dagster/')}={v:.4g}" if isinstance(v, float) else f"{k.removeprefix('dagster/')}={v}"
        for k, v in shown.items()
    )
    return f"    {mat.asset_key.to_user_string()}: {facts or 'built'}"


@contextlib.contextmanager
def _sigterm_kept():
    """SIGTERM handled afterwards as before. Dagster maps SIGTERM to SIGINT's handler when a run ends, and a
    `stratify run` started in the background (cron, nohup, `&`) ignores SIGINT, so after its first job it
    ignored SIGTERM: `timeout`, `kill` or a scheduler stopping it between jobs went unheard."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread has signal handlers
        yield
        return
    before = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _execute(
    job: dg.JobDefinition,
    instance,
    say: Callable[[str], None],
    partition_key: str | None,
    outcome: RunOutcome,
    log: TextIO,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    started = time.monotonic()
    label = job.name + (f" [snapshot {snapshot_date_of(partition_key)}]" if partition_key else "")
    say(f"==> {label}")
    # dbt echoes its whole log to stdout; keep it in the log file and the terminal for progress lines.
    with contextlib.redirect_stdout(log), _sigterm_kept():
        result = job.execute_in_process(
            instance=instance,
            partition_key=partition_key,
            run_config=QUIET_LOGS,
            raise_on_error=False,
            tags={
                "stratify/entry": "cli",
                **({"stratify/snapshot_date": str(snapshot_date_of(partition_key))} if partition_key else {}),
                **(tags or {}),
            },
        )
    for event in result.get_asset_materialization_events():
        say(_describe(event))
    checks = result.get_asset_check_evaluations()
    if checks:
        say(f"    checks: {sum(c.passed for c in checks)} passed, {sum(not c.passed for c in checks)} failed")
    for check in checks:
        if not check.passed:
            why = check.description or ""
            name = f"{check.asset_key.to_user_string()}:{check.check_name}"
            failure = f"check {name} failed ({check.severity.value}) {why}"
            say(f"    {failure}")
            # Non-blocking checks (drift: customers changing is news, not broken data) report but never fail.
            if check.severity == dg.AssetCheckSeverity.ERROR and check.blocking is not False:
                outcome.failures.append(failure)
    for step in result.get_step_failure_events():
        error = step.step_failure_data.error
        while error.cause is not None:  # Dagster wraps the user's exception; the cause says what broke
            error = error.cause
        if error.cls_name == "DagsterAssetCheckFailedError":
            continue  # the failed check itself is reported above, with its reason
        outcome.failures.append(f"step {step.step_key} failed: {error.message.strip()}")
        say(f"    FAILED {step.step_key}: {error.message.strip()}")
    if not result.success and not outcome.failures:
        outcome.failures.append(f"{label} did not succeed")
    say(f"    done in {time.monotonic() - started:.1f}s")
    return result


def data_until(stratify: StratifyResource) -> date | None:
    """The data's own clock: the latest order date in the warehouse."""
    with stratify.warehouse() as con:
        return con.execute("SELECT max(order_date) FROM intermediate.int_orders__unified").fetchall()[0][0]


def run_pipeline(
    defs: dg.Definitions,
    instance,
    stratify: StratifyResource,
    snapshots: tuple[date, date] | None,
    log: TextIO,
    say: Callable[[str], None] = print,
    rebuild: bool = False,
) -> RunOutcome:
    """Ingest and transform once, then build each snapshot in order so drift has its predecessor."""
    outcome = RunOutcome()
    # Load models with nothing loaded since their last build are not rebuilt, unless asked (load_builds.py).
    tags = {REBUILD_TAG: "true"} if rebuild else {}
    ingest = _execute(defs.resolve_job_def("ingest_job"), instance, say, None, outcome, log, tags)
    if not outcome.ok:
        return outcome
    built = {e.asset_key for e in ingest.get_asset_materialization_events()}
    if not built & dbt_load_models.keys:
        say("    load models up to date (no rows loaded since their last build): dbt not run")
    keys, problem = _snapshot_keys(stratify, snapshots)
    if problem:
        outcome.failures.append(problem)
        return outcome
    outcome.snapshots = [snapshot_date_of(k).isoformat() for k in keys]
    _build_snapshots(defs, instance, stratify, keys, rebuild, outcome, log, say)
    return outcome


def _snapshot_keys(stratify: StratifyResource, asked: tuple[date, date] | None) -> tuple[list[str], str | None]:
    """The partitions to build, or why none can be: the latest complete periods by the data's clock, or those
    asked for unless a period starts after the last order (it would publish every customer as lapsed)."""
    until = data_until(stratify)
    if until is None:
        return [], "no orders in the warehouse; land order files first"
    if asked is None:
        keys = latest_partition_keys(until, stratify.config.snapshots.latest)
        return keys, None if keys else f"no complete snapshot period in the data (its last order is of {until})"
    keys = partition_keys_between(*asked)
    cfg = stratify.config.snapshots
    if not keys:
        return [], (f"no snapshot date between {asked[0]} and {asked[1]}: {cfg.cadence} snapshots fall on each "
                    f"period's last day, from {cfg.start_date}")  # fmt: skip
    empty = [snapshot_date_of(k).isoformat() for k in keys if period_start_of(k) > until]
    if empty:
        return [], (f"no orders in the period of snapshot(s) {', '.join(empty)}: the data's last order is of "
                    f"{until}; land their orders first")  # fmt: skip
    return keys, None


def _build_snapshots(defs, instance, stratify, keys, rebuild: bool, outcome: RunOutcome, log, say) -> None:
    """Each snapshot in order, skipping those up to date; after one is rebuilt, every later one is too
    (its drift and cluster names are judged against the one before it)."""
    stamp = fingerprint(config_path())
    first_stale = None  # the first snapshot found stale: every later one is rebuilt after it
    for key in keys:
        snapshot = snapshot_date_of(key)
        if not rebuild:
            with stratify.warehouse() as con:
                reason = why_rebuild(con, snapshot, stamp)
            if reason is None:
                say(f"==> snapshot {snapshot}: up to date (nothing on or before it loaded since), skipped")
                outcome.skipped.append(snapshot.isoformat())
                continue
            say(f"==> snapshot {snapshot}: building ({reason})")
            rebuild, first_stale = True, snapshot
        elif first_stale is not None:
            say(f"==> snapshot {snapshot}: building (after {first_stale}, which was rebuilt)")
        _execute(defs.resolve_job_def("snapshot_job"), instance, say, key, outcome, log)
        if not outcome.ok:
            return
        with stratify.warehouse() as con:
            record_build(con, snapshot, stamp)
