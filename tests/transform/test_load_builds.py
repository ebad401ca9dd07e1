"""When the load models may skip a run (load_builds.py): a whole run of ingest_job, with nothing loaded since a
build whose run succeeded under the same config and code. The skip itself, in a real run, is in
test_incremental.py."""

import dagster as dg
import duckdb

from pipelines.transform.load_builds import (
    REBUILD_TAG,
    is_whole_run,
    may_skip,
    record_load_build,
    start_load_build,
    why_build,
)

UNIFIED = dg.AssetKey(["intermediate", "int_orders__unified"])


def test_only_a_whole_run_not_asked_to_rebuild_may_skip():
    assert may_skip(dg.DagsterRun(job_name="ingest_job"))
    assert may_skip(dg.DagsterRun(job_name="ingest_job", asset_selection=frozenset()))  # as execute_in_process
    assert not may_skip(dg.DagsterRun(job_name="ingest_job", tags={REBUILD_TAG: "true"}))
    assert not may_skip(dg.DagsterRun(job_name="ingest_job", asset_selection=frozenset({UNIFIED})))
    checks = frozenset({dg.AssetCheckKey(UNIFIED, "expectations")})
    assert not may_skip(dg.DagsterRun(job_name="ingest_job", asset_check_selection=checks))
    # A run asked to rebuild records its build; a subset's does not (the UI's Materialize of one model must not
    # let the next whole run skip models that never saw the rows loaded before it).
    assert is_whole_run(dg.DagsterRun(job_name="ingest_job", tags={REBUILD_TAG: "true"}))
    assert not is_whole_run(dg.DagsterRun(job_name="ingest_job", asset_selection=frozenset({UNIFIED})))


def test_a_build_is_up_to_date_until_rows_load_or_code_changes_and_only_if_its_run_succeeded(home, tmp_path):
    with dg.DagsterInstance.get() as instance, duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA ops")
        con.execute("CREATE TABLE ops.load_ledger (loaded_at TIMESTAMP, source VARCHAR, rows_accepted BIGINT)")
        assert why_build(con, instance, "stamp") == "no build recorded"
        for status, reason in [
            (dg.DagsterRunStatus.FAILURE, "the run of the last build did not succeed"),
            (dg.DagsterRunStatus.SUCCESS, None),
        ]:
            run = instance.add_run(dg.DagsterRun(job_name="ingest_job", run_id=f"run-{status.value}", status=status))
            record_load_build(con, "stamp", run.run_id)
            assert why_build(con, instance, "stamp") == reason
        assert why_build(con, instance, "other stamp") == "config, code or models changed since the last build"
        con.execute("INSERT INTO ops.load_ledger VALUES (now()::TIMESTAMP + INTERVAL 1 SECOND, 'pos', 0)")
        assert why_build(con, instance, "stamp") is None  # a file whose rows were all quarantined or seen
        con.execute("INSERT INTO ops.load_ledger VALUES (now()::TIMESTAMP + INTERVAL 1 SECOND, 'pos', 3)")
        assert why_build(con, instance, "stamp") == "rows loaded since the last build: pos"
        con.execute("DELETE FROM ops.load_ledger")
        record_load_build(con, "stamp", "a-run-another-instance-ran")
        assert why_build(con, instance, "stamp") == "the last build's run is not in this instance"


def test_a_build_started_and_not_recorded_leaves_the_models_to_be_built_but_keeps_the_time_tests_scope_by(
    home, tmp_path
):
    """Marked before dbt starts: a build killed mid-way (no Python left to withdraw the record) is not skipped."""
    with dg.DagsterInstance.get() as instance, duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA ops")
        con.execute("CREATE TABLE ops.load_ledger (loaded_at TIMESTAMP, source VARCHAR, rows_accepted BIGINT)")
        # A record written before the mark existed (three columns) is read as finished.
        con.execute("CREATE TABLE ops.load_model_builds (built_at TIMESTAMP, fingerprint VARCHAR, run_id VARCHAR)")
        run = instance.add_run(dg.DagsterRun(job_name="ingest_job", status=dg.DagsterRunStatus.SUCCESS))
        con.execute("INSERT INTO ops.load_model_builds VALUES (TIMESTAMP '2026-01-01 07:00', 'stamp', ?)", [run.run_id])
        assert why_build(con, instance, "stamp") is None
        start_load_build(con)
        assert why_build(con, instance, "stamp").startswith("the last build did not finish as a whole run's")
        assert con.execute("SELECT max(built_at) FROM ops.load_model_builds").fetchone()[0].hour == 7
        record_load_build(con, "stamp", run.run_id)
        assert why_build(con, instance, "stamp") is None
