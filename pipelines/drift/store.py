"""Where drift results go: drift.drift_metrics (published) and the JSON and HTML reports."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.drift.report import write_report

DDL = """
CREATE SCHEMA IF NOT EXISTS drift;
CREATE TABLE IF NOT EXISTS drift.drift_metrics (
  snapshot_date DATE, reference_snapshot DATE, metric VARCHAR, subject VARCHAR, value DOUBLE,
  threshold DOUBLE, status VARCHAR);
"""
COLUMNS = ["snapshot_date", "reference_snapshot", "metric", "subject", "value", "threshold", "status"]


def replace_rows(con: duckdb.DuckDBPyConnection, snapshot: date, rows: list[dict]) -> None:
    """Delete-then-insert in one transaction, so re-running a snapshot never duplicates its rows."""
    con.execute(DDL)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    con.register("_drift_rows", frame)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM drift.drift_metrics WHERE snapshot_date = ?", [snapshot])
        con.execute(f"INSERT INTO drift.drift_metrics ({', '.join(COLUMNS)}) SELECT * FROM _drift_rows")
        con.execute("COMMIT")
    finally:
        con.unregister("_drift_rows")


def report_paths(reports: Path, snapshot: date) -> tuple[Path, Path]:
    folder = reports / "drift"
    return folder / f"{snapshot.isoformat()}.json", folder / f"{snapshot.isoformat()}.html"


def write_reports(reports: Path, snapshot: date, result: dict | None) -> tuple[Path, Path | None]:
    """The JSON figures always; the HTML page when there was a reference to compare with."""
    json_path, html_path = report_paths(reports, snapshot)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    body = result or {"snapshot_date": snapshot.isoformat(), "verdict": "no reference snapshot"}
    json_path.write_text(json.dumps(body, default=str, indent=1), encoding="utf-8")
    if result is None:
        html_path.unlink(missing_ok=True)
        return json_path, None
    return json_path, write_report(result, html_path)


def read_result(reports: Path, snapshot: date) -> dict:
    json_path, _ = report_paths(reports, snapshot)
    return json.loads(json_path.read_text(encoding="utf-8"))
