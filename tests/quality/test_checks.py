"""Suite checks through the ingest job: a daily run judges what it loaded and skips unchanged sources."""

import dagster as dg
import pandas as pd
import pytest

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import QUIET_LOGS

pytestmark = pytest.mark.slow


def _expectation_metadata(instance: dg.DagsterInstance) -> dict[str, dict]:
    # Holding the web shop's last month back fails its channel's freshness in the first run; that is not tested here.
    result = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, run_config=QUIET_LOGS, raise_on_error=False
    )
    return {
        c.asset_key.to_user_string(): {k: v.value for k, v in c.metadata.items()}
        for c in result.get_asset_check_evaluations()
        if c.check_name == "expectations" and c.asset_key.path[0] == "raw"
    }


def test_a_daily_run_judges_the_new_load_and_skips_unchanged_sources(home):
    landing = home / "landing"
    generate(DemoSpec(customers=80, days=90, seed=2), landing)
    last = sorted((landing / "ecommerce").glob("*.csv"))[-1]
    held = home / "held.csv"
    last.rename(held)
    instance = dg.DagsterInstance.ephemeral()

    first = _expectation_metadata(instance)
    assert first["raw/crm_customers"]["rows"] > 0 and first["raw/ecommerce"]["rows"] > 0

    held.rename(last)
    second = _expectation_metadata(instance)
    assert second["raw/crm_customers"] == {"skipped": "no new rows loaded in this run"}
    assert "skipped" in second["raw/pos"]
    # The web shop's new file is judged whole, and only it: the latest load's rows.
    assert second["raw/ecommerce"]["rows"] == len(pd.read_csv(last))


def test_a_load_that_failed_its_suite_is_judged_again_until_new_rows_replace_it(home):
    landing = home / "landing"
    generate(DemoSpec(customers=80, days=90, seed=2), landing)
    crm = next((landing / "crm").glob("*.csv"))
    members = pd.read_csv(crm, dtype=str, keep_default_na=False)
    members.assign(email="").to_csv(crm, index=False)  # an export that lost its emails: an ERROR expectation
    instance = dg.DagsterInstance.ephemeral()

    first, second = _expectation_metadata(instance), _expectation_metadata(instance)
    assert first["raw/crm_customers"]["failed"] >= 1
    # Nothing new was loaded, yet the failed load is not waved through: it is judged, and fails, again.
    assert second["raw/crm_customers"]["failed"] >= 1 and second["raw/crm_customers"]["rows"] == len(members)
