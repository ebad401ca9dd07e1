"""Alert delivery against a real HTTP server on 127.0.0.1: retries, the ops.alerts record, no second send."""

from datetime import date

import duckdb
import pytest

from pipelines.config import DriftAlertConfig
from pipelines.drift.alerts import build_message, deliver

SNAPSHOT = date(2025, 12, 31)
FAST = DriftAlertConfig(retries=2, backoff_seconds=0.01, timeout_seconds=2)
ITEM = {"what": "feature", "name": "monetary_90d", "market": "FR", "psi": 0.41, "p_value": 1e-9, "test": "ks"}


@pytest.fixture
def con():
    return duckdb.connect()


def _alerts(con):
    return con.execute("SELECT status, attempts, sent_at IS NOT NULL, error FROM ops.alerts").fetchall()


def test_message_says_what_drifted_where_by_how_much_and_where_the_report_is():
    message = build_message("2025-12-31", "2025-11-30", [ITEM], "/data/reports/drift/2025-12-31.html")
    assert "monetary_90d in market FR: PSI 0.41" in message["text"]
    assert "/data/reports/drift/2025-12-31.html" in message["text"]
    assert message["blocks"][0]["type"] == "header" and "2025-12-31" in message["blocks"][0]["text"]["text"]


def test_delivered_once_after_a_retry_and_never_again(con, webhook):
    webhook.fail_first = 1  # the first attempt gets a 500
    waits: list[float] = []
    message = build_message("2025-12-31", "2025-11-30", [ITEM], "report.html")
    first = deliver(con, SNAPSHOT, message, webhook.url, FAST, sleep=waits.append)
    assert (first.status, first.attempts) == ("sent", 2) and waits == [0.01]
    assert webhook.received == [message]
    again = deliver(con, SNAPSHOT, message, webhook.url, FAST, sleep=waits.append)
    assert again.status == "already_sent" and webhook.requests == 2 and len(webhook.received) == 1
    assert _alerts(con) == [("sent", 2, True, None)]


def test_a_dead_webhook_is_recorded_not_raised_and_tried_again_next_time(con, closed_port_url, webhook):
    waits: list[float] = []
    failed = deliver(con, SNAPSHOT, {"text": "x"}, closed_port_url, FAST, sleep=waits.append)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert waits == [0.01, 0.02]  # back-off doubles
    assert "refused" in failed.error.lower()
    # A failed delivery does not count as sent: the next build of the snapshot delivers it.
    assert deliver(con, SNAPSHOT, {"text": "x"}, webhook.url, FAST).status == "sent"
    assert [row[0] for row in _alerts(con)] == ["failed", "sent"]


def test_without_a_webhook_the_alert_is_recorded_as_not_configured(con):
    delivery = deliver(con, SNAPSHOT, {"text": "x"}, None, FAST)
    assert delivery.status == "not_configured"
    assert _alerts(con) == [("not_configured", 0, False, "STRATIFY_ALERT_WEBHOOK is not set")]
