"""A dbt step waits out a warehouse held by another process (a BI tool, a duckdb shell) instead of failing."""

import os
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
from pathlib import Path
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
deadline = time.monotonic() + float(sys.argv[2])
target = Path(sys.argv[3]) if len(sys.argv) > 3 else None
def refused():  # a dbt invocation under target logged that it found the warehouse locked
    return any("conflicting lock" in log.read_text(errors="replace").lower() for log in target.glob("*/dbt.log"))
while time.monotonic() < deadline and not (target and refused()):
    time.sleep(0.2)
"""


def _with_retries(home, monkeypatch, retries: int) -> None:
    config = yaml.safe_load((REPO / "stratify.yaml").read_text())
    config["warehouse"] |= {"lock_retries": retries, "lock_retry_delay_seconds": 2}
    (home / "stratify.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("STRATIFY_CONFIG", str(home / "stratify.yaml"))


def _dbt_load_while_held(home, seconds: float, until_refused: bool = False) -> dg.ExecuteInProcessResult:
    """The load models step while another process holds the warehouse for `seconds`, or (until_refused)
    until a dbt invocation has found it locked: however long dbt takes to start on a busy machine."""
    args = [str(home / "warehouse.duckdb"), str(seconds)] + ([os.environ["DBT_TARGET_PATH"]] if until_refused else [])
    holder = subprocess.Popen([sys.executable, "-c", HOLD, *args], stdout=subprocess.PIPE, text=True)
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
    monkeypatch.setenv("DBT_TARGET_PATH", str(loaded / "dbt-target"))  # this test's own dbt logs
    result = _dbt_load_while_held(loaded, seconds=300, until_refused=True)
    assert result.success
    retried = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert retried and retried[0].step_key == "dbt_load_models"


def test_without_retries_the_step_fails_naming_the_lock(loaded, monkeypatch):
    _with_retries(loaded, monkeypatch, retries=0)
    result = _dbt_load_while_held(loaded, seconds=300)  # held until the step has failed, however slow
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "Conflicting lock is held" in str(failure.step_failure_data.error.message)


def _load_models_parse_log(targets) -> str:
    """Run the load models step alone; return what its dbt invocation logged about parsing (lower case)."""
    before = set(targets.glob("dbt_load_models-*"))
    result = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, asset_selection=list(dbt_load_models.keys)
    )
    assert result.success
    (invocation,) = set(targets.glob("dbt_load_models-*")) - before
    lines = (invocation / "dbt.log").read_text().lower().splitlines()
    return "\n".join(line for line in lines if "pars" in line)


def test_the_next_dbt_invocation_starts_from_this_ones_parse_state(loaded, monkeypatch):
    """The parse state written under $STRATIFY_HOME's profile is kept, so the next invocation parses partially
    instead of the whole project (the project's own state, from `make setup`, has another profile)."""
    targets = loaded / "dbt-target"  # this test's own target folder, away from other test workers
    targets.mkdir()
    monkeypatch.setenv("DBT_TARGET_PATH", str(targets))
    first = _load_models_parse_log(targets)
    assert "full parse" in first and (targets / "partial_parse.msgpack").is_file(), first
    second = _load_models_parse_log(targets)
    assert "full parse" not in second and "unable to do partial parsing" not in second, second
