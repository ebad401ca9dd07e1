"""Which snapshots `stratify run` skips: judged on a warehouse's ledger and the UTC order days of the lines loaded
since. The order lines stand in for `intermediate.int_orders__unified` (the columns the judgement reads): dbt
computes their UTC day (tests/transform/test_currency.py checks it against an independent conversion), and the
tiny benchmark's runs (tests/benchmarks/test_run.py) judge a dbt-built warehouse end to end."""

from datetime import date, datetime

import duckdb
import pytest

from pipelines.ingest.loader import OPS_DDL
from pipelines.orchestration.up_to_date import fingerprint, record_build, why_rebuild

SNAPSHOT = date(2025, 6, 30)


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(OPS_DDL)
        con.execute("CREATE SCHEMA intermediate")
        con.execute(
            "CREATE TABLE intermediate.int_orders__unified (channel VARCHAR, order_date DATE, _loaded_at TIMESTAMP)"
        )
        yield con


def _land(con, source: str, *utc_days: str, accepted: int = 1) -> None:
    """A file loaded now: its ledger row and, for order lines, its accepted lines by their UTC order day."""
    con.execute("INSERT INTO ops.load_ledger (source, rows_accepted, loaded_at) VALUES (?, ?, ?)",
                [source, accepted, datetime.now()])  # fmt: skip
    for day in utc_days if accepted else ():
        con.execute("INSERT INTO intermediate.int_orders__unified VALUES (?, ?, ?)", [source, day, datetime.now()])


def test_never_built_and_changed_code_or_config_rebuild(con):
    assert "not built" in why_rebuild(con, SNAPSHOT, "a")
    record_build(con, SNAPSHOT, "a")
    assert why_rebuild(con, SNAPSHOT, "a") is None
    assert "changed" in why_rebuild(con, SNAPSHOT, "b")


def test_orders_after_the_snapshot_keep_it_up_to_date(con):
    record_build(con, SNAPSHOT, "a")
    _land(con, "pos", "2025-07-01", "2025-07-02")  # the first day after it in UTC: a store's morning in Europe
    _land(con, "ecommerce", "2025-06-01", accepted=0)  # quarantined whole: nothing loaded
    assert why_rebuild(con, SNAPSHOT, "a") is None


def test_a_late_order_on_or_before_it_rebuilds_it_naming_the_earliest(con):
    record_build(con, SNAPSHOT, "a")
    _land(con, "pos", "2025-07-01", "2025-06-30")  # a Tokyo store's July 1, 08:00 is June 30 in UTC
    _land(con, "ecommerce", "2025-06-29", "2025-07-01")
    assert why_rebuild(con, SNAPSHOT, "a") == "ecommerce orders of 2025-06-29 loaded since it was built"


def test_lines_loaded_before_the_build_do_not_count(con):
    _land(con, "pos", "2025-06-30")
    record_build(con, SNAPSHOT, "a")
    assert why_rebuild(con, SNAPSHOT, "a") is None


def test_master_data_loaded_since_rebuilds_it(con):
    record_build(con, SNAPSHOT, "a")
    _land(con, "crm_customers", None)
    assert why_rebuild(con, SNAPSHOT, "a") == "crm_customers loaded since it was built"


def test_fingerprint_follows_the_config(tmp_path):
    config = tmp_path / "stratify.yaml"
    config.write_text("snapshots: {latest: 3}\n")
    first = fingerprint(config)
    assert fingerprint(config) == first
    config.write_text("snapshots: {latest: 4}\n")
    assert fingerprint(config) != first


@pytest.mark.parametrize("changed", ["dbt_project/dbt_project.yml", "dbt_project/profiles.yml", "pipelines/a.py"])
def test_fingerprint_follows_the_dbt_project_its_profile_and_the_code(tmp_path, changed):
    config = tmp_path / "stratify.yaml"
    config.write_text("snapshots: {latest: 3}\n")
    repo = tmp_path / "repo"
    for name in ["dbt_project/dbt_project.yml", "dbt_project/profiles.yml", "pipelines/a.py", "dbt_project/x.txt"]:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("first")
    first = fingerprint(config, repo)
    (repo / "dbt_project/x.txt").write_text("a file no build reads")
    assert fingerprint(config, repo) == first
    (repo / changed).write_text("second")
    assert fingerprint(config, repo) != first
