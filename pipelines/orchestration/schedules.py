"""Schedules: nightly ingestion, and one stratification run per closed snapshot period.

Cron expressions and their time zone come from `schedules:` in stratify.yaml. The snapshot schedule asks
for the latest period that has closed at the tick's time, so a tick on 1 March builds February; a
backfill (UI or `stratify run --snapshots`) is how older periods are built.
"""

from datetime import datetime

import dagster as dg

from pipelines.orchestration.jobs import ingest_job, snapshot_job
from pipelines.orchestration.partitions import snapshot_date_of, snapshot_partitions
from pipelines.resources import definitions_config

SNAPSHOT_TAG = "stratify/snapshot_date"


def closed_partition_at(when: datetime) -> str | None:
    """Key of the latest snapshot period that has ended by `when`, or None before the first one ends."""
    keys = snapshot_partitions().get_partition_keys(current_time=when)
    return keys[-1] if keys else None


def snapshot_run_request(partition_key: str) -> dg.RunRequest:
    """One snapshot's run, tagged with its snapshot date so runs are findable by it in the UI."""
    snapshot = snapshot_date_of(partition_key).isoformat()
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key, tags={SNAPSHOT_TAG: snapshot})


def _default_status() -> dg.DefaultScheduleStatus:
    running = definitions_config().schedules.running_by_default
    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


def build_schedules() -> list[dg.ScheduleDefinition]:
    """Both schedules, from the config loaded with the code location."""
    cfg = definitions_config().schedules

    @dg.schedule(
        name="ingest_schedule",
        job=ingest_job,
        cron_schedule=cfg.ingest_cron,
        execution_timezone=cfg.timezone,
        default_status=_default_status(),
        description="Load whatever has landed since the last load, then rebuild staging and intermediate models.",
    )
    def ingest_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(tags={"stratify/trigger": "schedule"})

    @dg.schedule(
        name="snapshot_schedule",
        job=snapshot_job,
        cron_schedule=cfg.snapshot_cron,
        execution_timezone=cfg.timezone,
        default_status=_default_status(),
        description="Build the snapshot period that has just closed, and everything downstream of it.",
    )
    def snapshot_schedule(context: dg.ScheduleEvaluationContext):
        key = closed_partition_at(context.scheduled_execution_time)
        if key is None:
            return dg.SkipReason("no snapshot period has closed yet")
        return snapshot_run_request(key)

    return [ingest_schedule, snapshot_schedule]


defs = dg.Definitions(schedules=build_schedules())
