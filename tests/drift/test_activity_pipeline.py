"""The issue's bars on the demo at its default size (5,000 customers, two years), with the shipped thresholds.

shift: ingest plus the snapshot job for Nov and Dec 2025, with a webhook receiver on 127.0.0.1 for the whole run.
The shift starts 60 days before the end (early November), so the Nov snapshot (compared with October's orders:
no earlier snapshot is built) is where it shows, and Dec (compared with Nov) must stay quiet.

steady: six consecutive monthly snapshots (Jul to Dec 2025) through the whole pipeline with a webhook listening:
no drift item of any kind (features, segments, model, activity) at the alert level and no alert sent.
"""

import io
import json
from datetime import date

import dagster as dg
import duckdb
import pytest

from pipelines.config import DriftActivityConfig, load_config
from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.drift.activity import compare_activity
from pipelines.orchestration.runner import QUIET_LOGS, run_pipeline
from pipelines.resources import StratifyResource
from tests.drift.browser import open_page
from tests.drift.conftest import REPO, Receiver

pytestmark = pytest.mark.slow
NOV, DEC = date(2025, 11, 30), date(2025, 12, 31)
DRIFT, ALERTS = dg.AssetKey(["drift", "drift_metrics"]), dg.AssetKey(["ops", "alerts"])


def _environment(mp, home) -> None:
    mp.setenv("STRATIFY_HOME", str(home))
    mp.setenv("STRATIFY_CONFIG", str(REPO / "stratify.yaml"))  # the shipped thresholds
    mp.setenv("STRATIFY_PII_SALT", "test-salt")
    mp.delenv("DAGSTER_HOME", raising=False)


@pytest.fixture(scope="module")
def receiver():
    hook = Receiver()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


@pytest.fixture(scope="module")
def shift(tmp_path_factory, receiver):
    """The shift demo built for Nov and Dec 2025 while the webhook listens."""
    home = tmp_path_factory.mktemp("activity_shift") / "home"
    with pytest.MonkeyPatch.context() as mp:
        _environment(mp, home)
        mp.setenv("STRATIFY_ALERT_WEBHOOK", receiver.url)
        generate(DemoSpec(scenario="shift"), home / "landing")
        said: list[str] = []
        outcome = run_pipeline(
            defs, dg.DagsterInstance.ephemeral(), StratifyResource(), (NOV, DEC), io.StringIO(), said.append
        )
        truth = json.loads((home / "landing" / "_truth" / "scenario.json").read_text())
        yield {"home": home, "outcome": outcome, "said": "\n".join(said), "truth": truth, "mp": mp}


def _rows(home, snapshot: date, where: str = "true") -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            f"SELECT metric, subject, value, status FROM drift.drift_metrics WHERE snapshot_date = ? AND {where}",
            [snapshot],
        ).fetchall()


def test_shift_flags_the_country_and_the_app_at_error(shift):
    assert shift["outcome"].ok, shift["outcome"].failures
    country = shift["truth"]["country"]
    spend = {s: (v, st) for _, s, v, st in _rows(shift["home"], NOV, "metric = 'activity_mean_order_value_change'")}
    value, status = spend[f"market={country}"]
    assert status == "alert" and value <= -0.25, spend
    # only the country whose spend fell is flagged on spend
    assert [s for s, (_, st) in spend.items() if st == "alert"] == [f"market={country}"], spend
    app = {s: (v, st) for _, s, v, st in _rows(shift["home"], NOV, "metric = 'activity_channel_share_change'")}
    value, status = app["channel=app market=all"]
    assert status == "alert" and value >= 0.08, app
    assert "drift/drift_metrics:activity_drift failed (ERROR)" in shift["said"]
    # December's orders are compared with November's: both inside the shift, no activity item at the alert
    # level. (December's clusters may reorganise as 90-day windows take in the new behaviour: segment news.)
    assert [r for r in _rows(shift["home"], DEC) if r[3] == "alert" and r[0].startswith("activity")] == []


def test_shift_report_leads_with_the_news(shift, chromium):
    country = shift["truth"]["country"]
    page = shift["home"] / "reports" / "drift" / f"{NOV.isoformat()}.html"
    found, console = open_page(page, *chromium)
    assert [e for e in console if e["level"] in ("SEVERE", "WARNING")] == []
    assert found["verdict"] == "ALERT" and found["resources"] == [] and len(found["plots"]) >= 2
    html = page.read_text()
    headlines = html[html.index("id='headlines'") : html.index("What drifted")]
    assert f"{country} spend per order -" in headlines and "app share of orders +" in headlines
    report = json.loads((shift["home"] / "reports" / "drift" / f"{NOV.isoformat()}.json").read_text())
    assert report["verdict"] == "alert" and report["activity"]["reference_period"] == ["2025-10-01", "2025-10-31"]


def test_shift_sends_exactly_one_alert_naming_country_and_app(shift, receiver):
    country = shift["truth"]["country"]
    november = [m["text"] for m in receiver.received if "snapshot 2025-11-30" in m["text"]]
    assert len(november) == 1, [m["text"] for m in receiver.received]
    text = november[0]
    assert "snapshot 2025-11-30" in text and f"{country} spend per order -" in text and "app share of orders +" in text
    assert text.rstrip().endswith("2025-11-30.html")
    with duckdb.connect(str(shift["home"] / "warehouse.duckdb"), read_only=True) as con:
        sent = dict(con.execute("SELECT snapshot_date, status FROM ops.alerts ORDER BY snapshot_date").fetchall())
    assert sent[NOV] == "sent"
    # December may alert on segment news (see above), never on activity; it alerts exactly when it has an item at
    # the alert level, and the receiver got one message per alert sent.
    december_alerts = [r for r in _rows(shift["home"], DEC) if r[3] == "alert"]
    assert (sent.get(DEC) == "sent") == bool(december_alerts), (sent, december_alerts)
    assert len(receiver.received) == list(sent.values()).count("sent")
    december = "already_sent" if december_alerts else "not_needed"
    posts = receiver.requests

    # Re-running the drift steps sends nothing new: each snapshot alerts at most once.
    for key, expected in (("2025-12-01", december), ("2025-11-01", "already_sent")):
        again = defs.resolve_job_def("snapshot_job").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, partition_key=key,
            asset_selection=[DRIFT, ALERTS],
        )  # fmt: skip
        assert again.success
        assert again.asset_materializations_for_node("ops__alerts")[0].metadata["alert_status"].value == expected
    assert receiver.requests == posts


STEADY = [date(2025, 7, 31), date(2025, 8, 31), date(2025, 9, 30), date(2025, 10, 31), NOV, DEC]


@pytest.fixture(scope="module")
def steady(tmp_path_factory):
    """The steady demo built for six consecutive monthly snapshots while a webhook listens."""
    home = tmp_path_factory.mktemp("activity_steady") / "home"
    hook = Receiver()
    hook.thread.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            _environment(mp, home)
            mp.setenv("STRATIFY_ALERT_WEBHOOK", hook.url)
            generate(DemoSpec(scenario="steady"), home / "landing")
            outcome = run_pipeline(
                defs, dg.DagsterInstance.ephemeral(), StratifyResource(), (STEADY[0], STEADY[-1]), io.StringIO()
            )
            yield {"home": home, "outcome": outcome, "posts": list(hook.received)}
    finally:
        hook.server.shutdown()
        hook.server.server_close()


def test_steady_six_snapshots_send_no_alert_and_flag_nothing_at_error(steady):
    assert steady["outcome"].ok, steady["outcome"].failures
    assert steady["posts"] == []
    with duckdb.connect(str(steady["home"] / "warehouse.duckdb"), read_only=True) as con:
        sql = "SELECT DISTINCT snapshot_date FROM drift.drift_metrics ORDER BY 1"
        built = [r[0] for r in con.execute(sql).fetchall()]
        at_alert = con.execute("SELECT snapshot_date, metric, subject, value FROM drift.drift_metrics "
                               "WHERE status = 'alert'").fetchall()  # fmt: skip
        # ops.alerts only exists once an alert was needed
        sql = "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' AND table_name = 'alerts'"
        alert_table = con.execute(sql).fetchall()[0][0]
    assert built == STEADY and at_alert == [] and alert_table == 0


def test_steady_activity_stays_far_from_the_alert_sizes(steady):
    steady = steady["home"]
    drift = load_config(REPO / "stratify.yaml").drift
    assert drift.activity == DriftActivityConfig()  # the shipped defaults are what is tested
    months = STEADY
    flagged, worst = [], {}
    with duckdb.connect(str(steady / "warehouse.duckdb"), read_only=True) as con:
        for reference, snapshot in zip(months, months[1:], strict=False):
            activity, _ = compare_activity(con, snapshot, reference, "monthly", drift.activity, drift.bins, "EUR")
            judged = [i for i in activity["items"] if i["status"] != "small_sample"]
            assert len(judged) == len(activity["items"])  # every market is large enough to judge
            flagged += [(snapshot, i["metric"], i["market"], i["channel"], i["status"]) for i in judged
                        if i["status"] == "alert"]  # fmt: skip
            for metric in ("order_value", "channel_share"):
                of = [i for i in judged if i["metric"] == metric]
                worst[(snapshot.isoformat(), metric)] = (
                    round(max(abs(i["change"]) for i in of), 3),
                    float(f"{min(i['p_value'] for i in of):.2g}"),
                )
    print("steady: largest |change| and smallest p per comparison:", worst)
    assert flagged == [], flagged
    # far from the alert sizes: a quarter of the spend and 8 points of channel share
    assert max(v[0] for (_, m), v in worst.items() if m == "order_value") < drift.activity.order_value_alert
    assert max(v[0] for (_, m), v in worst.items() if m == "channel_share") < drift.activity.share_alert
