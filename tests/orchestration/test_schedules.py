"""The schedules ask for the right work at the right time, on a real Dagster instance."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.definitions import defs
from pipelines.orchestration.schedules import SNAPSHOT_TAG
from pipelines.resources import StratifyResource, dagster_home

BERLIN = ZoneInfo("Europe/Berlin")


def _instance(home) -> dg.DagsterInstance:
    """The instance Stratify itself sets up under STRATIFY_HOME (its dagster.yaml included)."""
    dagster_home(StratifyResource().paths)
    return dg.DagsterInstance.get()


def _evaluate(name: str, when: datetime, instance: dg.DagsterInstance):
    schedule = defs.resolve_schedule_def(name)
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as context:
        return schedule.evaluate_tick(context)


def test_snapshot_schedule_builds_the_month_that_just_closed(home):
    with _instance(home) as instance:
        result = _evaluate("snapshot_schedule", datetime(2025, 3, 1, 4, 0, tzinfo=BERLIN), instance)
    (request,) = result.run_requests
    assert request.partition_key == "2025-02-01"
    assert request.tags[SNAPSHOT_TAG] == "2025-02-28"


def test_snapshot_schedule_mid_month_still_builds_the_last_closed_month(home):
    with _instance(home) as instance:
        result = _evaluate("snapshot_schedule", datetime(2025, 7, 15, 4, 0, tzinfo=BERLIN), instance)
    assert [r.partition_key for r in result.run_requests] == ["2025-06-01"]


def test_snapshot_schedule_skips_before_the_first_period_closes(home):
    with _instance(home) as instance:
        result = _evaluate("snapshot_schedule", datetime(2024, 1, 20, 4, 0, tzinfo=BERLIN), instance)
    assert not result.run_requests and "no snapshot period" in result.skip_message


def test_schedules_follow_the_config_and_start_running():
    ingest, snapshot = defs.resolve_schedule_def("ingest_schedule"), defs.resolve_schedule_def("snapshot_schedule")
    assert (ingest.cron_schedule, ingest.execution_timezone) == ("0 2 * * *", "Europe/Berlin")
    assert (snapshot.cron_schedule, snapshot.job_name) == ("0 4 1 * *", "snapshot_job")
    assert ingest.default_status == dg.DefaultScheduleStatus.RUNNING
    assert snapshot.default_status == dg.DefaultScheduleStatus.RUNNING


def test_daemon_tick_requests_the_closed_partition(home):
    """The schedule turned on in a temporary instance; one daemon-style tick evaluated at a fixed time."""
    with _instance(home) as instance:
        result = _evaluate("snapshot_schedule", datetime(2026, 1, 1, 4, 0, tzinfo=BERLIN), instance)
        assert [r.partition_key for r in result.run_requests] == ["2025-12-01"]
        assert [r.run_key for r in result.run_requests] == ["2025-12-01"]  # a re-tick never launches twice
