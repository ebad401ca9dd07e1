"""A dbt step waits out a warehouse held by another process (a BI tool, a duckdb shell) instead of failing."""

import subprocess
import sys

import dagster as dg
import pytest
import yaml

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.transform.assets import dbt_load_models
from tests.conftest import REPO
from tests.jobs import run_job

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _with_retries(home, monkeypatch, retries: int) -> None:
    config = yaml.safe_load((REPO / "stratify.yaml").read_text())
    config["warehouse"] |= {"lock_retries": retries, "lock_retry_delay_seconds": 2}
    (home / "stratify.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("STRATIFY_CONFIG", str(home / "stratify.yaml"))


def _dbt_load_while_held(home, seconds: float) -> dg.ExecuteInProcessResult:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(home / "warehouse.duckdb"), str(seconds)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        job = defs.resolve_job_def("ingest_job")
        return job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, raise_on_error=False,
            asset_selection=list(dbt_load_models.keys),
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture
def loaded(home, monkeypatch):
    generate(DemoSpec(customers=40, days=40, seed=2), home / "landing")
    run_job("ingest_job")
    return home


def test_a_held_warehouse_is_retried_and_the_step_succeeds(loaded, monkeypatch):
    _with_retries(loaded, monkeypatch, retries=4)
    result = _dbt_load_while_held(loaded, seconds=10)  # longer than dbt takes to start
    assert result.success
    retried = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert retried and retried[0].step_key == "dbt_load_models"


def test_without_retries_the_step_fails_naming_the_lock(loaded, monkeypatch):
    _with_retries(loaded, monkeypatch, retries=0)
    result = _dbt_load_while_held(loaded, seconds=30)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "Conflicting lock is held" in str(failure.step_failure_data.error.message)
