"""Keep every check result of every run under reports/quality/, and a readable page of the latest ones.

The JSON files are the record (one per run and check); index.html is rebuilt from the latest result of
each check so an on-call engineer can open one file and see what is failing, where and why.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg


def _as_record(table: str, check: str, result: dg.AssetCheckResult, partition: str | None, run_id: str) -> dict:
    metadata = {k: (v.value if hasattr(v, "value") else v) for k, v in (result.metadata or {}).items()}
    return {
        "table": table, "check": check, "partition": partition, "run_id": run_id,
        "passed": result.passed, "severity": result.severity.value, "description": result.description,
        "metadata": metadata, "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }  # fmt: skip


def record_check(
    reports: Path, run_id: str, table: str, check: str, result: dg.AssetCheckResult, partition: str | None = None
) -> Path:
    """Write the result as JSON for the run, update latest.json and rebuild index.html."""
    folder = reports / "quality"
    record = _as_record(table, check, result, partition, run_id)
    path = folder / "runs" / run_id / f"{table}.{check}{'.' + partition if partition else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    latest_path = folder / "latest.json"
    latest = json.loads(latest_path.read_text(encoding="utf-8")) if latest_path.exists() else {}
    latest[f"{table}.{check}"] = record
    latest_path.write_text(json.dumps(latest, indent=2, default=str), encoding="utf-8")
    (folder / "index.html").write_text(render_page(latest), encoding="utf-8")
    return path


def render_page(latest: dict) -> str:
    """A self-contained page: failures first, each with its severity, what failed and where."""
    rows = sorted(latest.values(), key=lambda r: (r["passed"], r["severity"] != "ERROR", r["table"], r["check"]))
    body = "".join(
        f"<tr class='{'ok' if r['passed'] else r['severity'].lower()}'><td>{'passed' if r['passed'] else r['severity']}"
        f"</td><td>{html.escape(r['table'])}</td><td>{html.escape(r['check'])}</td>"
        f"<td>{html.escape(r['partition'] or '')}</td><td>{html.escape(r['description'] or '')}</td>"
        f"<td>{html.escape(r['checked_at'])}</td><td>{html.escape(r['run_id'][:8])}</td></tr>"
        for r in rows
    )
    failing = sum(not r["passed"] for r in rows)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Stratify data quality</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}tr.error td:first-child{{background:#f8d0d0}}
tr.warn td:first-child{{background:#fbecc0}}tr.ok td:first-child{{background:#d4f0d4}}</style></head>
<body><h1>Data quality: {failing} failing of {len(rows)}</h1>
<table><tr><th>status</th><th>table</th><th>check</th><th>partition</th><th>what failed</th><th>checked at</th>
<th>run</th></tr>{body}</table></body></html>"""
