"""Drift alerts on a webhook (Slack-compatible JSON), delivered at most once per snapshot.

Every delivery is recorded in ops.alerts with its attempts; a snapshot whose alert was sent is never sent
again, while a failed or unconfigured one is tried again when the snapshot is rebuilt. Delivery failures
are returned, never raised: a broken chat integration must not stop tiers from being published.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from pipelines.config import DriftAlertConfig
from pipelines.drift.activity import describe_activity, summary_lines

DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.alerts (
  snapshot_date DATE, kind VARCHAR, status VARCHAR, attempts INTEGER, sent_at TIMESTAMPTZ, error VARCHAR);
"""
KIND = "drift"
MAX_LISTED = 10  # a chat message, not the report: the worst items, then a count of the rest


@dataclass(frozen=True)
class Delivery:
    status: str  # sent | failed | not_configured | already_sent | not_needed
    attempts: int = 0
    error: str | None = None
    sent_at: datetime | None = None


def describe(item: dict) -> str:
    """One drifted item as a CRM lead reads it: what, where, how much."""
    if item["what"] == "activity":
        return describe_activity(item)
    where = "all markets" if item["market"] == "all" else f"market {item['market']}"
    what = item["name"] if item["what"] == "feature" else f"{item['name']} segments"
    detail = f"PSI {item['psi']:.2f}"
    if item.get("p_value") is not None:
        detail += f", {item.get('test', 'chi2')} p={item['p_value']:.1g}"
    return f"{what} in {where}: {detail}"


def build_message(snapshot: str, reference: str, items: list[dict], report: str) -> dict:
    """Slack-compatible payload: `text` for plain webhooks and notifications, `blocks` for Slack layout.

    What customers did comes first, one line per thing that moved (with its markets); then features and segments.
    """
    activity = [i for i in items if i["what"] == "activity"]
    said = summary_lines(activity) + [describe(i) for i in items if i["what"] != "activity"]
    lines = [f"• {line}" for line in said[:MAX_LISTED]]
    if len(said) > MAX_LISTED:
        lines.append(f"• ... and {len(said) - MAX_LISTED} more")
    title = f"Stratify drift alert: snapshot {snapshot} vs {reference}, {len(items)} item(s) at the alert threshold"
    return {
        "text": f"{title}\n" + "\n".join(lines) + f"\nReport: {report}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"Drift alert: snapshot {snapshot}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n" + "\n".join(lines)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Report: {report}"}]},
        ],
    }


def post_json(url: str, payload: dict, timeout: float) -> None:
    """POST the payload; raises on a network error or a non-2xx answer."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL is the operator's)
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "unexpected status", response.headers, None)


def send_with_retries(
    url: str, payload: dict, cfg: DriftAlertConfig, sleep: Callable[[float], None] = time.sleep
) -> Delivery:
    """Up to 1 + retries attempts, waiting backoff, 2 x backoff, ... between them."""
    error = None
    for attempt in range(1, cfg.retries + 2):
        try:
            post_json(url, payload, cfg.timeout_seconds)
            return Delivery("sent", attempt, None, datetime.now(UTC))
        except (OSError, urllib.error.URLError, ValueError) as exc:  # HTTPError and timeouts are OSErrors
            error = f"{type(exc).__name__}: {exc}"
        if attempt <= cfg.retries:
            sleep(cfg.backoff_seconds * 2 ** (attempt - 1))
    return Delivery("failed", cfg.retries + 1, error, datetime.now(UTC))


def already_sent(con: duckdb.DuckDBPyConnection, snapshot: date, kind: str = KIND) -> datetime | None:
    con.execute(DDL)
    return con.execute(
        "SELECT max(sent_at) FROM ops.alerts WHERE snapshot_date = ? AND kind = ? AND status = 'sent'",
        [snapshot, kind],
    ).fetchall()[0][0]


def record(con: duckdb.DuckDBPyConnection, snapshot: date, delivery: Delivery, kind: str = KIND) -> None:
    con.execute(DDL)
    con.execute(
        "INSERT INTO ops.alerts VALUES (?, ?, ?, ?, ?, ?)",
        [snapshot, kind, delivery.status, delivery.attempts, delivery.sent_at, delivery.error],
    )


def deliver(
    con: duckdb.DuckDBPyConnection,
    snapshot: date,
    payload: dict,
    url: str | None,
    cfg: DriftAlertConfig,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send the snapshot's alert unless it was sent before; record what happened in ops.alerts."""
    sent = already_sent(con, snapshot)
    if sent is not None:
        return Delivery("already_sent", 0, None, sent)
    if not url:
        delivery = Delivery("not_configured", 0, "STRATIFY_ALERT_WEBHOOK is not set")
    else:
        delivery = send_with_retries(url, payload, cfg, sleep)
    record(con, snapshot, delivery)
    return delivery
