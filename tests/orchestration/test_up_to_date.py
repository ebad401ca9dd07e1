"""Which snapshots `stratify run` skips: judged on a real warehouse's ledger and raw order lines."""

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
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.pos (ordered_at TIMESTAMP, _loaded_at TIMESTAMP, store_id VARCHAR)")
        con.execute("CREATE TABLE raw.stores (store_id VARCHAR, timezone VARCHAR, _loaded_at TIMESTAMP)")
        con.execute("INSERT INTO raw.stores VALUES ('BER-1', 'Europe/Berlin', '2025-01-01'), "
                    "('TYO-1', 'Europe/Berlin', '2025-01-01'), (' tyo-1 ', 'Asia/Tokyo ', '2025-02-01')")  # fmt: skip
        con.execute("CREATE TABLE raw.ecommerce (ordered_at TIMESTAMPTZ, _loaded_at TIMESTAMP)")  # as in the contract
        yield con


def _land(con, source: str, ordered_at: str | None, accepted: int = 1, store: str = "BER-1") -> None:
    """A file loaded now: its ledger row and, for order lines, one accepted line (a store's, for pos)."""
    con.execute("INSERT INTO ops.load_ledger (source, rows_accepted, loaded_at) VALUES (?, ?, ?)",
                [source, accepted, datetime.now()])  # fmt: skip
    if ordered_at and accepted:
        con.execute(f"INSERT INTO raw.{source} (ordered_at, _loaded_at) VALUES (?, ?)", [ordered_at, datetime.now()])
        if source == "pos":
            con.execute("UPDATE raw.pos SET store_id = ? WHERE store_id IS NULL", [store])


def test_never_built_and_changed_code_or_config_rebuild(con):
    assert "not built" in why_rebuild(con, SNAPSHOT, "a")
    record_build(con, SNAPSHOT, "a")
    assert why_rebuild(con, SNAPSHOT, "a") is None
    assert "changed" in why_rebuild(con, SNAPSHOT, "b")


def test_orders_after_the_snapshot_keep_it_up_to_date(con):
    record_build(con, SNAPSHOT, "a")
    _land(con, "pos", "2025-07-02 09:00")  # more than a time zone's reach after the snapshot
    _land(con, "ecommerce", "2025-06-01 09:00", accepted=0)  # quarantined whole: nothing loaded
    assert why_rebuild(con, SNAPSHOT, "a") is None


@pytest.mark.parametrize(
    "source, ordered_at, store, utc_day",
    [
        ("pos", "2025-06-30 23:00", "BER-1", "2025-06-30"),
        ("pos", "2025-07-01 01:30", "BER-1", "2025-06-30"),  # Berlin in summer is UTC+2: June 30, 23:30 UTC
        ("pos", "2025-07-01 08:00", "tyo-1", "2025-06-30"),  # the store's latest row, ids matched as dbt does: Tokyo
        ("pos", "2025-06-30 23:30", "NEW-1", "2025-06-30"),  # a store without a time zone keeps its time as UTC
        ("ecommerce", "2025-01-15 12:00+00", None, "2025-01-15"),
        ("ecommerce", "2025-07-01 00:30+02", None, "2025-06-30"),  # June 30, 22:30 UTC
    ],
)
def test_a_late_order_on_or_before_it_rebuilds_it(con, source, ordered_at, store, utc_day):
    record_build(con, SNAPSHOT, "a")
    _land(con, source, ordered_at, store=store)
    assert why_rebuild(con, SNAPSHOT, "a") == f"{source} orders of {utc_day} loaded since it was built"


def test_an_order_with_its_offset_is_judged_by_its_utc_day(con):
    record_build(con, SNAPSHOT, "a")
    _land(con, "ecommerce", "2025-07-01 00:30-05")  # July 1, 05:30 UTC: after the snapshot wherever it was placed
    assert why_rebuild(con, SNAPSHOT, "a") is None


@pytest.mark.parametrize(
    "ordered_at, store",
    [("2025-07-01 08:00", "BER-1"), ("2025-07-01 02:30", "BER-1"), ("2025-07-01 00:30", "NEW-1")],
)
def test_a_store_sale_is_judged_by_its_utc_day(con, ordered_at, store):
    """A sale of the first morning after the snapshot, in UTC already July 1 (Berlin 02:30 is 00:30 UTC), keeps
    the snapshot up to date: the first day of a month need not rebuild the month's snapshot."""
    record_build(con, SNAPSHOT, "a")
    _land(con, "pos", ordered_at, store=store)
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
