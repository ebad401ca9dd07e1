"""The snapshot calendar: one Dagster partition per period, its snapshot date the period's last day."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from functools import cache

import dagster as dg

from pipelines.config import SnapshotConfig
from pipelines.resources import definitions_config

# backfill_policy is "beta" in Dagster 1.13 but is the documented way to build partitions one per run.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
# Snapshots are built one per run, oldest first: drift and migration compare each with its predecessor.
ONE_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)


def build_partitions(snapshots: SnapshotConfig) -> dg.TimeWindowPartitionsDefinition:
    """Monthly partitions keyed by the month's first day, or weekly ones running Monday to Sunday."""
    start = snapshots.start_date.isoformat()
    if snapshots.cadence == "monthly":
        return dg.MonthlyPartitionsDefinition(start_date=start)
    return dg.WeeklyPartitionsDefinition(start_date=start, day_offset=1)


@cache
def snapshot_partitions() -> dg.TimeWindowPartitionsDefinition:
    """The partitions of the config loaded with the code location (shared by every partitioned asset)."""
    return build_partitions(definitions_config().snapshots)


def snapshot_date_of(partition_key: str) -> date:
    """The snapshot date (inclusive last day) of a partition."""
    window = snapshot_partitions().time_window_for_partition_key(partition_key)
    return window.end.date() - timedelta(days=1)


def period_start_of(partition_key: str) -> date:
    """The first day of a partition's period."""
    return snapshot_partitions().time_window_for_partition_key(partition_key).start.date()


def partition_keys_between(first: date, last: date) -> list[str]:
    """Keys of the partitions whose snapshot date lies in [first, last], oldest first."""
    parts = snapshot_partitions()
    keys = parts.get_partition_keys(current_time=datetime.combine(last + timedelta(days=1), datetime.min.time()))
    return [k for k in keys if first <= snapshot_date_of(k) <= last]


def latest_partition_keys(data_until: date, count: int) -> list[str]:
    """The `count` latest periods that are complete by `data_until` (the data's own clock), oldest first."""
    keys = partition_keys_between(date.min, data_until)
    return keys[-count:]
