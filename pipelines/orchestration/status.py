"""`stratify status`: is Stratify healthy, at a glance, without opening the UI.

Everything is read from what the pipeline leaves behind (the warehouse read-only, the quality reports,
the published file), so status works while the daemon is down, and says so when a run holds the
warehouse instead of failing.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.ingest.reconcile import rejected_files
from pipelines.resources import StratifyResource, dagster_home

# Files loaded, each once (a ledger row is an attempt: a rejected file is tried again every run).
LOADS = """
SELECT source, max(loaded_at) FILTER (WHERE status = 'loaded') AS last_loaded_at,
       count(DISTINCT path) FILTER (WHERE status = 'loaded') AS files,
       sum(rows_accepted) AS rows_accepted, sum(rows_quarantined) AS rows_quarantined
FROM ops.load_ledger GROUP BY source ORDER BY source"""
SNAPSHOT = """
SELECT max(snapshot_date), count(DISTINCT snapshot_date) FROM segments.customer_segments"""
# The drift stage's own levels (pipelines/drift/metrics.py: ok, watch, alert), the words its report uses.
DRIFT = """
SELECT snapshot_date, reference_snapshot, count(*) FILTER (WHERE status = 'alert'),
       count(*) FILTER (WHERE status = 'watch')
FROM drift.drift_metrics WHERE snapshot_date = (SELECT max(snapshot_date) FROM drift.drift_metrics)
GROUP BY ALL"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """Rows of a query, or [] when its table does not exist yet (nothing has run that far)."""
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException:
        return []


def _warehouse_status(path: Path) -> dict:
    if not path.exists():
        return {"warehouse": "missing: nothing has been loaded yet"}
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException:
        return {"warehouse": "busy: a run is writing it; try again when it ends"}
    with con:
        rejected = rejected_files(con)
        loads = [
            {"source": s, "last_loaded_at": str(at), "files": f, "rows_accepted": a, "rows_quarantined": q,
             "files_rejected": sum(r["source"] == s for r in rejected)}
            for s, at, f, a, q in _rows(con, LOADS)
        ]  # fmt: skip
        snapshot = (_rows(con, SNAPSHOT) or [(None, 0)])[0]
        drift = _rows(con, DRIFT)
    verdict = None
    if drift:
        snap, ref, alerts, watches = drift[0]
        worst = "ALERT" if alerts else "WATCH" if watches else "OK"
        verdict = {"snapshot_date": str(snap), "reference_snapshot": str(ref), "verdict": worst,
                   "metrics_at_alert": alerts, "metrics_at_watch": watches}  # fmt: skip
    return {
        "warehouse": "ok",
        "sources": loads,
        "rejected_files": rejected,
        "last_snapshot": str(snapshot[0]) if snapshot[0] else None,
        "snapshots_built": snapshot[1],
        "drift": verdict,
    }


def _failed_checks(reports: Path) -> list[dict]:
    """The latest result of every check that is failing now (quality reports)."""
    latest = reports / "quality" / "latest.json"
    if not latest.exists():
        return []
    records = json.loads(latest.read_text(encoding="utf-8")).values()
    return [
        {k: r[k] for k in ("table", "check", "partition", "severity", "description", "checked_at")}
        for r in records
        if not r["passed"]
    ]


def _first_line(error) -> str:
    """The first line of the innermost cause: Dagster wraps an op's exception in 'Error occurred while
    executing op ...', which names the step but not what went wrong."""
    while error is not None and error.cause is not None:
        error = error.cause
    lines = (error.message or "").strip().splitlines() if error else []
    return lines[0] if lines else "(no message)"


def _failed_runs(stratify: StratifyResource) -> list[dict]:
    """The latest finished run of each job, when it failed: its failed steps and their first error line.

    Quality reports hold the checks Stratify records itself; a dbt test that failed its step, or a run that
    stopped for any other reason, is known only to the Dagster instance, which `stratify run`, the UI and the
    schedules all write to. A later successful run of the job clears it."""
    import dagster as dg

    dagster_home(stratify.paths)
    finished = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
    failed = []
    with dg.DagsterInstance.get() as instance:
        for job in ("ingest_job", "snapshot_job"):
            runs = instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=finished), limit=1)
            if not runs or runs[0].status != dg.DagsterRunStatus.FAILURE:
                continue
            run = runs[0]
            steps = [
                f"{e.step_key}: {_first_line(e.dagster_event.step_failure_data.error)}"
                for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
            ]
            partition = run.tags.get("dagster/partition")
            failed.append({"job": job, "run_id": run.run_id, "partition": partition, "failed_steps": steps})
    return failed


def _published(path: Path) -> dict | None:
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        snapshot, customers = con.execute("SELECT max(snapshot_date), count(*) FROM customer_tiers").fetchall()[0]
    return {"path": str(path), "snapshot_date": str(snapshot), "customers": customers}


def collect_status(stratify: StratifyResource) -> dict:
    """Everything `stratify status` reports, as plain JSON-ready data."""
    paths = stratify.paths
    status = {"stratify_home": str(paths.home), **_warehouse_status(paths.warehouse)}
    status["failed_checks"] = _failed_checks(paths.reports)
    status["published"] = _published(paths.tiers_db)
    status["failed_runs"] = _failed_runs(stratify)
    failing = (
        any(c["severity"] == "ERROR" for c in status["failed_checks"])
        or status.get("rejected_files")
        or status["failed_runs"]
    )
    status["healthy"] = not failing and not status["warehouse"].startswith("missing")
    return status


def render_status(status: dict) -> str:
    """The short human summary: one line per source, then snapshot, checks, drift and the BI file."""
    lines = [f"Stratify at {status['stratify_home']}: {'healthy' if status['healthy'] else 'NEEDS ATTENTION'}"]
    lines.append(f"warehouse: {status['warehouse']}")
    for s in status.get("sources", []):
        lines.append(
            f"  {s['source']:<14} last load {s['last_loaded_at'][:19]}  {s['files']} files  "
            f"{s['rows_accepted']} rows loaded  {s['rows_quarantined']} quarantined  "
            f"{s['files_rejected']} files rejected"
        )
    if status.get("rejected_files"):
        lines.append(f"files rejected, not loaded: {len(status['rejected_files'])}")
        lines.extend(f"  {r['source']}: {r['error']}"[:300] for r in status["rejected_files"])
    if "last_snapshot" in status:
        lines.append(f"last snapshot: {status['last_snapshot'] or 'none'} ({status['snapshots_built']} built)")
    drift = status.get("drift")
    lines.append(
        f"drift: {drift['verdict']} at {drift['snapshot_date']} vs {drift['reference_snapshot']} "
        f"({drift['metrics_at_alert']} metrics at alert, {drift['metrics_at_watch']} at watch)"
        if drift
        else "drift: no comparison yet"
    )
    for run in status["failed_runs"]:
        where = f" [{run['partition']}]" if run["partition"] else ""
        lines.append(f"last {run['job']}{where} FAILED (run {run['run_id'][:8]}; see it in the UI):")
        lines.extend(f"  {step}"[:300] for step in run["failed_steps"] or ["(no step failed: the run itself did)"])
    lines.append(f"failed checks: {len(status['failed_checks'])}")
    for c in status["failed_checks"]:
        where = f" [{c['partition']}]" if c["partition"] else ""
        lines.append(f"  {c['severity']} {c['table']}:{c['check']}{where} {c['description'] or ''}"[:200])
    pub = status["published"]
    lines.append(f"published: {pub['path']} snapshot {pub['snapshot_date']}, {pub['customers']} customers" if pub
                 else "published: nothing yet")  # fmt: skip
    return "\n".join(lines)
