"""Whether the load models (staging and intermediate) may skip a run of ingest_job: nothing to rebuild.

They read nothing but the raw tables, so when no source accepted a row since their last build, with the
same config and code, a rebuild would write what is there. A scheduled run that finds no new files then
costs ingestion's look at the landing folders, not a `dbt build` (at 10M order lines 37 s of a 60 s run:
the identity rebuilt whole, the incremental models' look for new lines, whole-table tests).

The last build must also have passed its gates: its run succeeded (a failed blocking check, e.g. the
int_orders__unified suite, fails the run), else the next run would skip the gate that stopped it and carry
on to the snapshots. The record vouches for the models as that whole run left them, so every build marks it
`building` before dbt starts and only a whole run's passed build clears the mark: a failed build (some models
rebuilt, perhaps under code since reverted to the recorded fingerprint), one killed mid-way, or a subset's
leaves it, and the next whole run builds them all. Only whole runs of the job skip: a run that selects
assets (the UI's Materialize, a test, a retry of the step) builds what it selected, and so does a run
tagged `stratify/rebuild`.

The record also scopes the uniqueness tests of the incremental order models: they group the keys written
since it (macros/test_unique_combination_of_columns.sql), so a repeat that stopped a run stops the next one.
"""

from __future__ import annotations

import dagster as dg
import duckdb

DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.load_model_builds (built_at TIMESTAMP, fingerprint VARCHAR, run_id VARCHAR);
ALTER TABLE ops.load_model_builds ADD COLUMN IF NOT EXISTS building BOOLEAN DEFAULT false;
"""
REBUILD_TAG = "stratify/rebuild"


def record_load_build(con: duckdb.DuckDBPyConnection, stamp: str, run_id: str) -> None:
    """The load models were built by `run_id` with the config and code of `stamp`: the latest build only."""
    con.execute(DDL)
    con.execute("DELETE FROM ops.load_model_builds")
    con.execute("INSERT INTO ops.load_model_builds VALUES (now()::TIMESTAMP, ?, ?, false)", [stamp, run_id])


def start_load_build(con: duckdb.DuckDBPyConnection) -> None:
    """dbt is about to change the load models: the record no longer vouches for them until a whole run's
    build passes. Its time stays, so the scoped uniqueness tests still group every key written since."""
    con.execute(DDL)
    con.execute("UPDATE ops.load_model_builds SET building = true")


def is_whole_run(run: dg.DagsterRun) -> bool:
    """A run of the whole job (it carries no selection or an empty one, depending on how it was launched).
    Only such a run records its build: a subset's build does not vouch for the models it left alone."""
    return not run.asset_selection and not run.asset_check_selection


def may_skip(run: dg.DagsterRun) -> bool:
    """A whole run of the job, not asked to rebuild: only such a run may find the load models up to date."""
    return is_whole_run(run) and REBUILD_TAG not in run.tags


def why_build(con: duckdb.DuckDBPyConnection, instance: dg.DagsterInstance, stamp: str) -> str | None:
    """None when the load models are up to date, else why they must be built."""
    con.execute(DDL)
    rows = con.execute("SELECT built_at, fingerprint, run_id, building FROM ops.load_model_builds").fetchall()
    if not rows:
        return "no build recorded"
    built_at, built_print, run_id, building = rows[0]
    if building:
        return "the last build did not finish as a whole run's (it failed, was stopped, or built a subset)"
    if built_print != stamp:
        return "config, code or models changed since the last build"
    loaded = con.execute(
        "SELECT DISTINCT source FROM ops.load_ledger WHERE loaded_at > ? AND rows_accepted > 0 ORDER BY source",
        [built_at],
    ).fetchall()
    if loaded:
        return "rows loaded since the last build: " + ", ".join(source for (source,) in loaded)
    last = instance.get_run_by_id(run_id)
    if last is None or last.status != dg.DagsterRunStatus.SUCCESS:
        return "the run of the last build did not succeed" if last else "the last build's run is not in this instance"
    return None
