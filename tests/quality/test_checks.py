"""Suite checks through the ingest job: a daily run judges what it loaded and skips unchanged sources."""

import dagster as dg
import pandas as pd
import pytest

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.quality.checks import _read_table, _suite_query
from pipelines.quality.suites import SuiteFile
from pipelines.resources import StratifyResource

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


def _sampled_suite(table: str, max_rows: int | None) -> SuiteFile:
    body = {"expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "amount"}}]}
    return SuiteFile("t", table, "ERROR", None, "latest_load", ("_source_file", "_row_number"), max_rows, body)


def test_a_large_load_is_judged_on_a_seeded_sample_of_its_rows_in_load_order(home):
    """Three row groups of a later load after an earlier one: the sample is drawn from the latest load only,
    is the same on every read, and comes in table order (a parallel scan or a reservoir does not keep it)."""
    stratify = StratifyResource()
    with stratify.warehouse() as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.lines AS SELECT i AS _row_number, 'old.csv' AS _source_file, 'a' AS _load_id, "
            "TIMESTAMP '2025-01-01' AS _loaded_at, i * 1.5 AS amount FROM range(50000) t(i)"
        )
        con.execute(
            "INSERT INTO raw.lines SELECT i, 'new.csv', 'b', TIMESTAMP '2025-01-02', i * 1.5 FROM range(300000) t(i)"
        )
        con.execute("CREATE VIEW raw.lines_view AS SELECT * FROM raw.lines")

    # DuckDB happens to keep the order of a row-id filter today; the query asks for it, not relying on that.
    assert _suite_query(_sampled_suite("raw.lines", 1000), {"amount"}, None).endswith("ORDER BY rowid")
    sample = _read_table(stratify, _sampled_suite("raw.lines", 1000), None)
    partitioned = SuiteFile("t", "raw.lines", "ERROR", "snapshot_date", "all", (), 10, {"expectations": []})
    assert _suite_query(partitioned, {"snapshot_date"}, "2025-12-01").count("?") == 1  # one value for _params
    assert len(sample) == 1000 and set(sample["_source_file"]) == {"new.csv"}
    assert sample["_row_number"].is_monotonic_increasing and sample["_row_number"].is_unique
    assert sample["_row_number"].iloc[-1] > 200_000  # drawn over the whole load, not its first rows
    pd.testing.assert_frame_equal(sample, _read_table(stratify, _sampled_suite("raw.lines", 1000), None))
    assert list(sample.columns) == ["_source_file", "_row_number", "amount"]

    whole = _read_table(stratify, _sampled_suite("raw.lines", None), None)
    assert len(whole) == 300_000 and whole["_row_number"].tolist() == list(range(300_000))
    viewed = _read_table(stratify, _sampled_suite("raw.lines_view", 1000), None)  # a view has no row ids
    assert len(viewed) == 1000 and set(viewed["_source_file"]) == {"new.csv"}
