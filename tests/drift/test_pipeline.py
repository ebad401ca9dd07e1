"""The drift stage inside real snapshot runs: reports, non-blocking checks, the alert delivered exactly once.

Thresholds are lowered in this test's config so that the small generated shift surely reaches the alert
level; what is tested here is the wiring (checks, ops.alerts, webhook, metadata), not the sensitivity.
"""

import io
from datetime import date

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import QUIET_LOGS, run_pipeline
from pipelines.orchestration.status import collect_status, render_status
from pipelines.resources import StratifyResource
from tests.drift.browser import open_page

pytestmark = pytest.mark.slow
DEC, DEC_KEY = date(2025, 12, 31), "2025-12-01"
DRIFT, ALERTS = dg.AssetKey(["drift", "drift_metrics"]), dg.AssetKey(["ops", "alerts"])
TEST_DRIFT = {"psi_watch": 0.005, "psi_alert": 0.01, "min_group_size": 50, "p_value": 0.99,
              "alert": {"retries": 1, "backoff_seconds": 0.05, "timeout_seconds": 2}}  # fmt: skip


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    """A generated shift demo, built for Nov and Dec 2025 while the webhook is down."""
    from tests.conftest import REPO

    home = tmp_path_factory.mktemp("drift") / "home"
    config = yaml.safe_load((REPO / "stratify.yaml").read_text())
    config["drift"] |= TEST_DRIFT
    (home.parent / "stratify.yaml").write_text(yaml.safe_dump(config))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIFY_HOME", str(home))
        mp.setenv("STRATIFY_CONFIG", str(home.parent / "stratify.yaml"))
        mp.setenv("STRATIFY_PII_SALT", "test-salt")
        mp.delenv("DAGSTER_HOME", raising=False)
        mp.setenv("STRATIFY_ALERT_WEBHOOK", "http://127.0.0.1:9/hook")  # discard port: nobody listens
        generate(DemoSpec(customers=500, days=400, seed=11, scenario="shift"), home / "landing")
        said: list[str] = []
        outcome = run_pipeline(
            defs, dg.DagsterInstance.ephemeral(), StratifyResource(), (date(2025, 11, 30), DEC), io.StringIO(),
            said.append,
        )  # fmt: skip
        yield {"home": home, "outcome": outcome, "said": "\n".join(said), "mp": mp}


def _alerts(home):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT status, attempts, error FROM ops.alerts WHERE snapshot_date = ?", [DEC]).fetchall()


def _rerun_drift(webhook_url: str, mp) -> dg.ExecuteInProcessResult:
    mp.setenv("STRATIFY_ALERT_WEBHOOK", webhook_url)
    return defs.resolve_job_def("snapshot_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, partition_key=DEC_KEY,
        asset_selection=[DRIFT, ALERTS],
    )  # fmt: skip


def test_drift_errors_and_a_dead_webhook_do_not_fail_the_run(shifted):
    assert shifted["outcome"].ok, shifted["outcome"].failures
    assert "drift/drift_metrics:feature_drift failed (ERROR)" in shifted["said"]
    assert "ops/alerts:alert_delivered failed (WARN)" in shifted["said"]
    (status, attempts, error), *_ = _alerts(shifted["home"])
    assert (status, attempts) == ("failed", 2) and "refused" in error.lower()
    with duckdb.connect(str(shifted["home"] / "publish" / "tiers.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(snapshot_date) FROM customer_tiers").fetchall()[0][0] == DEC


def test_drift_rows_and_reports(shifted):
    home = shifted["home"]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT metric, count(*), count(*) FILTER (status = 'alert') FROM drift.drift_metrics "
            "WHERE snapshot_date = ? GROUP BY metric",
            [DEC],
        ).fetchall()
    counts = {metric: (n, alerts) for metric, n, alerts in rows}
    assert counts["feature_psi"][1] > 0 and counts["segment_psi"][0] > 0 and "migration_rate" in counts
    assert (home / "reports" / "drift" / "2025-12-31.json").is_file()


def test_status_gives_the_drift_verdict_with_its_counts(shifted):
    """`stratify status` reads the same levels the drift stage writes (it once counted 'ERROR' rows: always OK)."""
    with duckdb.connect(str(shifted["home"] / "warehouse.duckdb"), read_only=True) as con:
        alerts, watches = con.execute(
            "SELECT count(*) FILTER (status = 'alert'), count(*) FILTER (status = 'watch') FROM drift.drift_metrics "
            "WHERE snapshot_date = ?",
            [DEC],
        ).fetchall()[0]
    drift = collect_status(StratifyResource())["drift"]
    assert alerts > 0 and drift["verdict"] == "ALERT", drift
    assert (drift["metrics_at_alert"], drift["metrics_at_watch"]) == (alerts, watches)
    assert (drift["snapshot_date"], drift["reference_snapshot"]) == ("2025-12-31", "2025-11-30")
    assert f"drift: ALERT at 2025-12-31 vs 2025-11-30 ({alerts} metrics at alert" in render_status(
        collect_status(StratifyResource())
    )


def test_report_from_the_run_renders_in_chromium(shifted, chromium):
    found, console = open_page(shifted["home"] / "reports" / "drift" / "2025-12-31.html", *chromium)
    assert [e for e in console if e["level"] == "SEVERE"] == []
    assert found["verdict"] == "ALERT" and len(found["plots"]) >= 5 and found["resources"] == []


def _drift_rows(home) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT metric, subject, status, count(*) FROM drift.drift_metrics WHERE snapshot_date = ? "
            "GROUP BY ALL ORDER BY ALL",
            [DEC],
        ).fetchall()


def test_alert_reaches_the_webhook_once_per_snapshot(shifted, webhook):
    before = _drift_rows(shifted["home"])
    first = _rerun_drift(webhook.url, shifted["mp"])
    assert first.success
    assert _drift_rows(shifted["home"]) == before and all(n == 1 for *_, n in before)  # replaced, not appended
    assert len(webhook.received) == 1
    message = webhook.received[0]
    assert (
        "snapshot 2025-12-31" in message["text"] and "PSI" in message["text"] and "2025-12-31.html" in message["text"]
    )
    meta = first.asset_materializations_for_node("ops__alerts")[0].metadata
    assert meta["alert_status"].value == "sent"
    report = first.asset_materializations_for_node("drift__drift_metrics")[0].metadata["report"]
    assert report.value.endswith("2025-12-31.html")

    second = _rerun_drift(webhook.url, shifted["mp"])
    assert second.success and len(webhook.received) == 1 and webhook.requests == 1
    assert second.asset_materializations_for_node("ops__alerts")[0].metadata["alert_status"].value == "already_sent"
    assert [row[0] for row in _alerts(shifted["home"])] == ["failed", "sent"]
