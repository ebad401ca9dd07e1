"""Operating Stratify from a real `dagster dev`: what the UI lists, runs launched through GraphQL, and
two runs launched at once both succeeding, one after the other (DuckDB has one writer)."""

import itertools

import pytest

from tests.dagster_dev import SELECTOR, demo_dagster_dev

pytestmark = pytest.mark.slow

LISTING = """
query Listing($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    ... on Repository {
      schedules { name cronSchedule executionTimezone scheduleState { status } }
      sensors { name sensorState { status } }
    }
  }
  assetNodes { assetKey { path } groupName kinds description }
}"""
RUNS = "{ runsOrError { ... on Runs { results { runId jobName status startTime endTime } } } }"
CHECKS = """
query Checks($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status } } } }
    }
  }
}"""


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    with demo_dagster_dev(tmp_path_factory.mktemp("operate"), seed=5) as server:
        yield server


def test_ui_lists_assets_schedules_and_sensors(dev):
    data = dev.query(LISTING, {"selector": SELECTOR})
    repo = data["repositoryOrError"]
    schedules = {s["name"]: s for s in repo["schedules"]}
    assert schedules["snapshot_schedule"]["cronSchedule"] == "0 4 1 * *"
    assert schedules["snapshot_schedule"]["executionTimezone"] == "Europe/Berlin"
    assert {s["scheduleState"]["status"] for s in schedules.values()} == {"RUNNING"}
    assert {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}["landing_sensor"] == "RUNNING"
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert nodes["raw/pos"]["groupName"] == "ingest"
    assert "dbt" in nodes["marts/customer_features"]["kinds"]
    assert all(n["description"] for n in nodes.values()), [k for k, n in nodes.items() if not n["description"]]


def test_runs_launched_together_both_succeed_one_after_the_other(dev):
    ingest = dev.wait(dev.launch("ingest_job"))
    assert ingest["status"] == "SUCCESS"
    first, second = dev.launch("snapshot_job", "2025-11-01"), dev.launch("snapshot_job", "2025-12-01")
    runs = [dev.wait(first), dev.wait(second)]
    assert [r["status"] for r in runs] == ["SUCCESS", "SUCCESS"], runs
    (a, b) = sorted(runs, key=lambda r: r["startTime"])
    assert b["startTime"] >= a["endTime"], "two warehouse runs overlapped"
    tags = {t["key"]: t["value"] for t in runs[1]["tags"]}
    assert tags["dagster/partition"] == "2025-12-01"
    # Every run of the instance ran alone: the three launched here, and the landing sensor's ingestion when it fired.
    every = sorted(dev.query(RUNS)["runsOrError"]["results"], key=lambda r: r["startTime"])
    assert len(every) >= 3 and all(r["status"] == "SUCCESS" for r in every), every
    assert all(later["startTime"] >= earlier["endTime"] for earlier, later in itertools.pairwise(every)), every
    # The check results of those runs, as the asset's page shows them.
    data = dev.query(CHECKS, {"key": {"path": ["marts", "customer_features"]}})
    checks = data["assetNodeOrError"]["assetChecksOrError"]["checks"]
    status = {c["name"]: (c["executionForLatestMaterialization"] or {}).get("status") for c in checks}
    assert status.get("expectations") == "SUCCEEDED", status
