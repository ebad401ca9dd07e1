"""Terminating a run from the UI while dbt builds the warehouse: the whole way a data engineer takes it, through
a real `dagster dev` (GraphQL's terminateRun, the run launcher, the run worker, the dbt step's thread).

The dbt step's own stopping is tested at its depth in tests/transform/test_dbt_in_process.py; this checks
that Dagster's termination reaches it: the run ends CANCELED with the dbt step stopped, nothing after it
runs, and the next run finds the warehouse free and builds it."""

import time

import duckdb
import pytest

from tests.dagster_dev import demo_dagster_dev

pytestmark = pytest.mark.slow

TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}"""
STEPS = """
query Steps($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status stepStats { stepKey status } } }
}"""
DBT_STEP = "dbt_snapshot_models"
SEGMENT_STEP = "segments__customer_segments"
PARTITION = "2025-12-01"


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    with demo_dagster_dev(tmp_path_factory.mktemp("terminate"), seed=11) as server:
        yield server


def _steps(dev, run_id: str) -> tuple[str, dict[str, str]]:
    run = dev.query(STEPS, {"runId": run_id})["runOrError"]
    return run["status"], {s["stepKey"]: s["status"] for s in run["stepStats"]}


def _when_dbt_runs(dev, run_id: str, timeout: float = 300) -> None:
    """Until the run's dbt step has started; fails if the run ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, steps = _steps(dev, run_id)
        if steps.get(DBT_STEP) == "IN_PROGRESS":
            return
        assert status in ("QUEUED", "NOT_STARTED", "STARTING", "STARTED"), (status, steps)
        time.sleep(0.2)
    pytest.fail(f"the dbt step never started: {steps}\n{dev.log.read_text()[-3000:]}")


def test_a_run_terminated_while_dbt_builds_is_canceled_and_the_next_run_builds(dev):
    assert dev.wait(dev.launch("ingest_job"))["status"] == "SUCCESS"
    run_id = dev.launch("snapshot_job", PARTITION)
    _when_dbt_runs(dev, run_id)
    result = dev.query(TERMINATE, {"runId": run_id})["terminateRun"]
    assert result["__typename"] == "TerminateRunSuccess", result

    run = dev.wait(run_id, timeout=300)
    status, steps = _steps(dev, run_id)
    assert run["status"] == "CANCELED", (status, steps)
    assert steps[DBT_STEP] == "FAILURE", steps  # stopped, not left to finish
    assert steps.get(SEGMENT_STEP) != "SUCCESS", steps  # nothing segmented half-built features

    # The run's process let go of the warehouse: it opens for writing, and the next run builds the snapshot.
    duckdb.connect(str(dev.home / "warehouse.duckdb")).close()
    again = dev.launch("snapshot_job", PARTITION)
    assert dev.wait(again)["status"] == "SUCCESS", _steps(dev, again)
    with duckdb.connect(str(dev.home / "warehouse.duckdb"), read_only=True) as con:
        segmented = con.execute("SELECT count(*) FROM segments.customer_segments").fetchall()[0][0]
    assert segmented > 0
