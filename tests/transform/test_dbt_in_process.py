"""dbt runs inside the step's process: no dbt subprocess, the same events Dagster got from one, and the
warehouse released afterwards."""

import os
import subprocess
import sys
import threading
import time

import dagster as dg
import pytest
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.definitions import defs
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.resources import StratifyResource
from pipelines.transform.assets import dbt_load_models
from pipelines.transform.dbt_cli import StratifyDbtCli
from pipelines.transform.dbt_in_process import InProcessDbtInvocation
from pipelines.transform.project import DBT_EXECUTABLE, dbt_project

pytestmark = pytest.mark.slow

OPEN_FOR_WRITING = (
    "import sys, duckdb; duckdb.connect(sys.argv[1]).execute('create or replace table _probe as select 1')"
)
# A query that would run for hours: only a cancel ends it.
ENDLESS = "select sum(hash(range)) as s from range(10000000000000)"


@pytest.fixture
def dbt_env(loaded):
    """The loaded home's warehouse exported for dbt, as a dbt step does; the environment restored after."""
    saved = dict(os.environ)
    StratifyResource().export_dbt_env()
    yield loaded
    os.environ.clear()
    os.environ.update(saved)


def _writable(warehouse) -> bool:
    """Whether another process can open the warehouse for writing (DuckDB lets one process hold a file)."""
    return subprocess.run([sys.executable, "-c", OPEN_FOR_WRITING, str(warehouse)], capture_output=True).returncode == 0


def _no_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def _build_staging(executable: str):
    """`dbt build` of the staging views (idempotent) through a resource using `executable`: the raw dbt
    result events and the Dagster events made of them."""
    dbt = StratifyDbtCli(project_dir=dbt_project, dbt_executable=executable)
    invocation = dbt.cli(["build", "--select", "staging"], manifest=dbt_project.manifest_path)
    raw = [
        (e.raw_event["info"]["name"], e.raw_event["data"]["node_info"]["unique_id"], e.raw_event["data"]["status"])
        for e in invocation.stream_raw_events()
        if e.is_result_event
    ]
    again = dbt.cli(["build", "--select", "staging"], manifest=dbt_project.manifest_path)
    converted = sorted(
        (type(e).__name__, e.asset_key.to_user_string(), getattr(e, "check_name", None), getattr(e, "passed", None))
        for e in again.stream()
    )
    return invocation, raw, converted


def test_a_dbt_step_starts_no_process_and_reports_every_model_and_test(loaded, monkeypatch):
    _no_subprocess(monkeypatch)
    result = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, asset_selection=list(dbt_load_models.keys),
    )  # fmt: skip
    assert result.success
    built = {m.asset_key for m in result.asset_materializations_for_node("dbt_load_models")}
    assert built == set(dbt_load_models.keys)
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and e.step_key == "dbt_load_models"
    ]
    assert sorted(c.check_name for c in checks) == sorted(s.name for s in dbt_load_models.check_specs)
    assert len(checks) > 20 and all(c.passed for c in checks)


def test_the_events_are_those_a_dbt_subprocess_prints(dbt_env, tmp_path):
    """The same dbt command run by a dbt elsewhere (dagster-dbt's subprocess) and by ours (in-process):
    the same nodes and statuses from dbt, the same materializations and checks for Dagster."""
    elsewhere = tmp_path / "bin" / "dbt"
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(DBT_EXECUTABLE)
    by_process, raw_process, converted_process = _build_staging(str(elsewhere))
    by_thread, raw_thread, converted_thread = _build_staging(DBT_EXECUTABLE)
    assert not isinstance(by_process, InProcessDbtInvocation) and isinstance(by_thread, InProcessDbtInvocation)
    assert sorted(raw_thread) == sorted(raw_process)
    assert {name for name, _, _ in raw_thread} == {"LogModelResult", "LogTestResult"}
    assert {status for _, _, status in raw_thread} == {"OK", "pass"}, raw_thread
    assert converted_thread == converted_process
    assert {kind for kind, *_ in converted_thread} == {"AssetMaterialization", "AssetCheckEvaluation"}
    assert (by_thread.target_path / "dbt.log").is_file() and (by_thread.target_path / "run_results.json").is_file()


def test_the_warehouse_is_free_and_the_environment_unchanged_after_dbt(dbt_env, monkeypatch):
    before = dict(os.environ)
    dbt = StratifyDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    assert dbt.cli(["run", "--select", "stg_stores__stores"], manifest=dbt_project.manifest_path).wait()
    assert dict(os.environ) == before  # DBT_LOG_FORMAT and the rest were set for dbt only
    assert _writable(dbt_env / "warehouse.duckdb")  # a DuckDB left open by dbt would hold the file's lock


def test_a_failing_dbt_command_fails_naming_dbts_error(dbt_env, monkeypatch):
    _no_subprocess(monkeypatch)
    dbt = StratifyDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    failed = dbt.cli(["run-operation", "no_such_macro"], raise_on_error=False)
    assert not failed.is_successful()
    assert "no_such_macro" in str(failed.get_error())
    with pytest.raises(DagsterDbtCliRuntimeError, match="no_such_macro"):
        dbt.cli(["run-operation", "no_such_macro"]).wait()


@pytest.mark.parametrize("moment", ["starting", "about to query", "querying"])
def test_a_terminated_dbt_step_stops_dbt_and_frees_the_warehouse(dbt_env, moment):
    """Dagster terminating a run raises DagsterExecutionInterruptedError in the step's thread while it waits for
    dbt's events (a dbt subprocess would get SIGINT). Whether dbt is still starting (no query to cancel yet),
    about to send its query (a cancel may come before it) or running it, dbt stops within the grace period,
    the step fails with the interrupt and the warehouse is free for the next run."""
    dbt = StratifyDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    invocation = dbt.cli(["show", "--inline", ENDLESS], manifest=dbt_project.manifest_path, raise_on_error=False)
    events = invocation._stream_stdout()
    names = [next(events)["info"]["name"]]
    while moment != "starting" and names[-1] != "ConcurrencyLine":  # dbt's last word before it runs the query
        names.append(next(events)["info"]["name"])
    if moment == "querying":
        _wait_for_dbts_duckdb(names)
        assert not _writable(dbt_env / "warehouse.duckdb")  # dbt holds it
    with pytest.raises(DagsterExecutionInterruptedError):
        events.throw(DagsterExecutionInterruptedError())
    assert not any(t.name == "stratify-dbt" and t.is_alive() for t in threading.enumerate())
    finished = invocation._wait()
    # dbt was told: by its KeyboardInterrupt, or by the cancel of the query it started when the interrupt was
    # swallowed (a finalizer) and not yet sent again. Either way it stopped within the grace period.
    error = finished.error or ""
    told = error.startswith("KeyboardInterrupt") or "INTERRUPT Error: Interrupted!" in error
    assert finished.terminated and finished.success is False and told, finished
    assert _writable(dbt_env / "warehouse.duckdb")


def _wait_for_dbts_duckdb(names: list[str]) -> None:
    """Until dbt-duckdb has opened the warehouse in this process (watched here: a probe opening the file from
    another process could take its lock first and fail dbt)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    for _ in range(600):
        environment = DuckDBConnectionManager._ENV
        if environment is not None and getattr(environment, "conn", None) is not None:
            return
        time.sleep(0.1)
    pytest.fail(f"dbt never opened the warehouse: {names}")
