"""A dbt step waits out a warehouse held by another process (a BI tool, a duckdb shell) instead of failing."""

import os
import shutil
import subprocess
import sys
from datetime import date

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.transform.assets import dbt_load_models, dbt_snapshot_models
from pipelines.transform.dbt_runs import KEEP_INVOCATIONS, PARSE_STATE, prune_invocations
from tests.conftest import REPO
from tests.jobs import run_job

pytestmark = pytest.mark.slow

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


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A small demo with two month ends (Oct and Nov 2025), ingested once for the module's tests."""
    template = tmp_path_factory.mktemp("dbt_runs") / "home"
    (template / "dagster").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIFY_HOME", str(template))
        mp.setenv("STRATIFY_CONFIG", str(REPO / "stratify.yaml"))
        mp.setenv("DAGSTER_HOME", str(template / "dagster"))
        mp.setenv("STRATIFY_PII_SALT", "test-salt")
        generate(DemoSpec(customers=40, days=70, seed=2), template / "landing")
        run_job("ingest_job")
    return template


@pytest.fixture
def loaded(home, ingested):
    """This test's own copy of the ingested home; dbt's artifacts and parse state stay with the template."""
    shutil.copytree(ingested, home, dirs_exist_ok=True, ignore=shutil.ignore_patterns("dbt-target"))
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
