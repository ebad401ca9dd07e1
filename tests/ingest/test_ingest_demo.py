"""Ingestion of a dirty generated demo, materialized by Dagster, judged against the generator's truth."""

import re

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.demo.generator import DemoSpec, generate
from pipelines.ingest.assets import raw_assets, raw_checks
from pipelines.resources import StratifyResource

pytestmark = pytest.mark.slow


def _materialize() -> dg.ExecuteInProcessResult:
    result = dg.materialize([*raw_assets, *raw_checks], resources={"stratify": StratifyResource()})
    assert result.success
    return result


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    home = tmp_path_factory.mktemp("ingest")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIFY_HOME", str(home))
        mp.setenv("STRATIFY_PII_SALT", "test-salt")
        mp.delenv("STRATIFY_CONFIG", raising=False)
        generate(DemoSpec(customers=400, days=300, seed=5, dirty=True), home / "landing")
        first = _materialize()
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            before = _counts(con)
        second = _materialize()
        yield home, first, second, before


def _counts(con) -> dict:
    tables = [
        "ops.load_ledger",
        "ops.quarantine",
        "raw.pos",
        "raw.ecommerce",
        "raw.app",
        "raw.marketplace",
        "raw.crm_customers",
        "raw.stores",
        "raw.fx_rates",
    ]
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def test_reconciliation_holds_for_every_file(loaded):
    home, first, _, _ = loaded
    checks = first.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks if c.check_name == "rows_reconcile")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        off = con.execute(
            "SELECT count(*) FROM ops.load_ledger WHERE status = 'loaded' "
            "AND rows_read <> rows_accepted + rows_quarantined"
        ).fetchall()[0][0]
    assert off == 0


def test_quarantine_holds_exactly_the_injected_rows_with_their_rule(loaded):
    home, _, _, _ = loaded
    truth = pd.read_csv(home / "landing" / "_truth" / "injected.csv")
    assert len(truth) > 20 and truth["reason"].nunique() >= 7
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        quarantine = con.execute("SELECT source, path, row_number, reason FROM ops.quarantine").df()
    quarantine["file"] = quarantine["path"].str.replace(f"{home / 'landing'}/", "", regex=False)
    got = set(quarantine[["source", "file", "row_number", "reason"]].itertuples(index=False, name=None))
    expected = set(truth[["source", "file", "row_number", "reason"]].itertuples(index=False, name=None))
    assert got == expected


def test_rejected_files_are_named_and_the_rest_loads(loaded):
    home, first, _, _ = loaded
    truth = pd.read_csv(home / "landing" / "_truth" / "rejected_files.csv")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        ledger = con.execute("SELECT path, status, error FROM ops.load_ledger").df()
    rejected = ledger[ledger["status"] == "rejected"]  # tried in both loads, rejected both times
    assert sorted(rejected["path"].str.replace(f"{home / 'landing'}/", "", regex=False)) == sorted([*truth["file"]] * 2)
    header = rejected[rejected["path"].str.endswith("_late.csv")]["error"].iloc[0]
    assert "missing ['qty']" in header and "expected [" in header and "'quantity_sold'" in header
    assert (ledger["status"] == "loaded").sum() == len(ledger) - len(rejected)
    pos = next(
        m
        for m in first.get_asset_materialization_events()
        if m.step_materialization_data.materialization.asset_key == dg.AssetKey(["raw", "pos"])
    )
    assert pos.step_materialization_data.materialization.metadata["files_rejected"].value == 1


def test_second_load_changes_nothing_but_tries_the_rejected_files_again(loaded):
    home, _, second, before = loaded
    truth = pd.read_csv(home / "landing" / "_truth" / "rejected_files.csv")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert _counts(con) == {**before, "ops.load_ledger": before["ops.load_ledger"] + len(truth)}
        retried = dict(con.execute("SELECT source, count(DISTINCT path) FROM ops.load_ledger "
                                   "WHERE status = 'rejected' GROUP BY source").fetchall())  # fmt: skip
    assert sum(retried.values()) == len(truth)
    for event in second.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        source = materialization.asset_key.path[-1]
        expected = retried.get(source, 0)
        assert materialization.metadata["files_new"].value == expected, source
        assert materialization.metadata["files_rejected"].value == expected, source
        assert materialization.metadata["rows_accepted"].value == 0, source


def test_no_clear_text_email_or_phone_anywhere_in_the_warehouse(loaded):
    home, _, _, _ = loaded
    persons = pd.read_csv(home / "landing" / "_truth" / "persons.csv", dtype=str)
    emails = set(persons["email"].dropna())
    phone_digits = {re.sub(r"\D", "", p) for p in persons["phone_e164"].dropna()}  # full numbers: no chance hits
    assert emails and phone_digits
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
        ).fetchall()
        leaks = []
        for schema, table, column in columns:
            values = {v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM {schema}.{table}').fetchall() if v}
            if any("@" in v for v in values) or any(d in v for v in values for d in phone_digits):
                leaks.append(f"{schema}.{table}.{column}")
    assert leaks == []
