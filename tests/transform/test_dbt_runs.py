"""A dbt step waits out a warehouse held by another process (a BI tool, a duckdb shell) instead of failing."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.definitions import defs
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.transform.assets import dbt_load_models, dbt_publish_models, dbt_snapshot_models
from pipelines.transform.dbt_runs import KEEP_INVOCATIONS, PARSE_STATE, prune_invocations
from tests.conftest import REPO

pytestmark = pytest.mark.slow

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(600)
"""
PUBLISH_PARTITION = "2025-11-01"  # November 2025


def _with_retries(home, monkeypatch, retries: int) -> None:
    config = yaml.safe_load((REPO / "stratify.yaml").read_text())
    config["warehouse"] |= {"lock_retries": retries, "lock_retry_delay_seconds": 2}
    (home / "stratify.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("STRATIFY_CONFIG", str(home / "stratify.yaml"))


def _run_while_held(home, assets, until_refused=False, job="ingest_job", **args) -> dg.ExecuteInProcessResult:
    """Run the steps of `assets` while another process holds the warehouse: until the run has ended, or
    (until_refused) until a step was refused and set up for a retry, however long the machine takes to start."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(home / "warehouse.duckdb")], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        with dg.instance_for_test(temp_dir=str(home / "dagster")) as instance, ThreadPoolExecutor(1) as pool:
            run = pool.submit(
                defs.resolve_job_def(job).execute_in_process,
                instance=instance, run_config=QUIET_LOGS, raise_on_error=False, asset_selection=list(assets), **args,
            )  # fmt: skip
            while until_refused and not run.done() and not _retried(instance):
                time.sleep(0.2)
            if until_refused:
                holder.kill()
            return run.result()
    finally:
        holder.kill()
        holder.wait()


def _retried(instance: dg.DagsterInstance) -> bool:
    """A step of the instance's run was refused the warehouse and set up for a retry."""
    return any(
        instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY) for run in instance.get_runs()
    )


def test_a_held_warehouse_is_retried_and_the_step_succeeds(loaded, monkeypatch):
    _with_retries(loaded, monkeypatch, retries=4)
    result = _run_while_held(loaded, dbt_load_models.keys, until_refused=True)
    assert result.success
    retried = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert retried and retried[0].step_key == "dbt_load_models"


def test_without_retries_the_step_fails_naming_the_lock(loaded, monkeypatch):
    """The load models step opens the warehouse before dbt (its build record): that is refused."""
    _with_retries(loaded, monkeypatch, retries=0)
    result = _run_while_held(loaded, dbt_load_models.keys)
    assert _failure(result).startswith("warehouse.duckdb is held by another process")
    assert "Conflicting lock is held" in _failure(result)


def test_dbt_refused_the_warehouse_fails_the_step_naming_the_lock(loaded, monkeypatch):
    """The publish step starts with dbt: dbt's own refusal is recognised the same way."""
    _with_retries(loaded, monkeypatch, retries=0)
    result = _run_while_held(loaded, dbt_publish_models.keys, job="snapshot_job", partition_key=PUBLISH_PARTITION)
    assert _failure(result).startswith("warehouse.duckdb is held by another process")
    assert "Conflicting lock is held" in _failure(result)


def test_dbt_refused_the_warehouse_retries_the_step(loaded, monkeypatch):
    """The publish step's first statement is dbt's: its refusal sets the step up for a retry."""
    _with_retries(loaded, monkeypatch, retries=1)
    result = _run_while_held(
        loaded, dbt_publish_models.keys, until_refused=True, job="snapshot_job", partition_key=PUBLISH_PARTITION
    )
    retried = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert retried and retried[0].step_key == "dbt_publish_models"


def _failure(result: dg.ExecuteInProcessResult) -> str:
    """The message of the run's first step failure, as the Dagster UI shows it."""
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    return failure.step_failure_data.user_failure_data.description


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


def test_each_home_keeps_its_parse_state_and_the_next_invocation_parses_nothing(loaded):
    """dbt's profile holds the warehouse path, so a parse state shared by homes (dbt_project/target) made the
    next invocation re-parse the whole project; each home keeps its own in $STRATIFY_HOME/dbt-target."""
    targets = loaded / "dbt-target"
    first = _load_models_parse_log(targets)  # the copied home has no parse state
    assert "full parse" in first and (targets / "partial_parse.msgpack").is_file(), first
    second = _load_models_parse_log(targets)
    assert "no changes found, skipping parsing" in second, second


def test_snapshot_partitions_pass_their_dates_without_making_dbt_parse_again(loaded):
    """The snapshot dates reach dbt as environment variables: with --vars every partition re-parsed the
    whole project (3.3 s of a 6.4 s dbt run on the demo)."""
    home, job = loaded, defs.resolve_job_def("snapshot_job")
    targets = home / "dbt-target"
    _load_models_parse_log(targets)  # the copied home's first invocation parses everything (asserted above)
    for key in ("2025-10-01", "2025-11-01"):
        before = set(targets.glob("dbt_snapshot_models-*"))
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, partition_key=key,
            asset_selection=list(dbt_snapshot_models.keys),
        )  # fmt: skip
        assert result.success
        (invocation,) = set(targets.glob("dbt_snapshot_models-*")) - before
        log = (invocation / "dbt.log").read_text().lower()
        assert "no changes found, skipping parsing" in log, [line for line in log.splitlines() if "pars" in line]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        built = {row[0] for row in con.execute("select distinct snapshot_date from marts.customer_features").fetchall()}
    assert {date(2025, 10, 31), date(2025, 11, 30)} <= built
    assert "STRATIFY_SNAPSHOT_DATE" not in os.environ  # set for the dbt run only, not for later steps


def test_only_the_newest_invocation_folders_are_kept(tmp_path):
    for n in range(KEEP_INVOCATIONS + 5):
        folder = tmp_path / f"dbt_load_models-{n:04d}"
        folder.mkdir()
        (folder / "dbt.log").write_text("{}")
        os.utime(folder, (1_000_000 + n, 1_000_000 + n))
    (tmp_path / "notes").mkdir()  # not an invocation: no dbt.log
    (tmp_path / PARSE_STATE).write_bytes(b"state")
    deleted = prune_invocations(tmp_path)
    assert sorted(p.name for p in deleted) == [f"dbt_load_models-{n:04d}" for n in range(5)]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"dbt_load_models-{n:04d}" for n in range(5, KEEP_INVOCATIONS + 5)] + ["notes", PARSE_STATE]
