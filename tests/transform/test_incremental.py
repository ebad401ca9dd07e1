"""int_orders__unified and the order totals built from it are incremental: loading one more month
converts only the new lines and re-adds only the days they touch, the order lines' identity links are added
to, and the result equals building everything at once; a run that loads nothing new does not rebuild them,
unless a subset's or a failed build came between."""

import shutil

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.definitions import defs
from pipelines.demo.generator import DemoSpec, generate
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.transform import dbt_runs
from pipelines.transform.assets import dbt_load_models
from pipelines.transform.load_builds import REBUILD_TAG
from tests.jobs import run_job

pytestmark = pytest.mark.slow
SPEC = DemoSpec(customers=400, days=120, seed=21)
LAST_MONTH = "2025-12"
UNIFIED = dg.AssetKey(["intermediate", "int_orders__unified"])


def _ingest(home, monkeypatch, instance: dg.DagsterInstance | None = None, assets=None) -> set[dg.AssetKey]:
    """ingest_job on `home` (only the steps of `assets` if given); the load models (dbt) it materialized."""
    monkeypatch.setenv("STRATIFY_HOME", str(home))
    result = run_job("ingest_job", instance=instance, assets=assets)
    return {e.asset_key for e in result.get_asset_materialization_events()} & dbt_load_models.keys


def _table(home, name: str, key: list[str]) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM intermediate.{name}").df()
    return frame.sort_values(key).reset_index(drop=True)


def _unified(home) -> pd.DataFrame:
    return _table(home, "int_orders__unified", ["channel", "order_id", "line_number"])


ORDER_DAY = ["channel", "order_id", "order_date", "customer_id_kind", "customer_id", "country_code"]
LINK_KEY = ["from_kind", "from_id", "to_kind", "to_id", "evidence"]
TOTALS = {
    "int_orders__daily_totals": ORDER_DAY,
    "int_orders__category_daily_totals": ["customer_id_kind", "customer_id", "order_date", "category"],
}


def _assert_uniqueness_tests_trust_the_recorded_build(home):
    """The latest dbt build's incremental uniqueness tests group only the keys written since the build recorded
    under this run's code and config: the step handed dbt its fingerprint (without it they group every row)."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        recorded = {r[0] for r in con.execute("SELECT fingerprint FROM ops.load_model_builds").fetchall()}
    latest = max((home / "dbt-target").glob("dbt_load_models-*"), key=lambda d: d.stat().st_mtime)
    tests = [p.read_text() for p in (latest / "compiled").rglob("unique_combination_of_columns_*.sql")]
    incremental = [sql for sql in tests if " as stamp from " in sql]  # latest_by: the staging and unified tests
    assert incremental and len(recorded) == 1
    assert all(f"fingerprint = '{next(iter(recorded))}'" in sql for sql in incremental)


def test_one_more_month_converts_only_new_lines_and_matches_a_full_build(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATIFY_PII_SALT", "test-salt")
    monkeypatch.delenv("STRATIFY_CONFIG", raising=False)
    stepwise, at_once, held = tmp_path / "stepwise", tmp_path / "at_once", tmp_path / "held"
    generate(SPEC, stepwise / "landing")
    shutil.copytree(stepwise / "landing", at_once / "landing")
    late = [
        p for p in (stepwise / "landing").rglob(f"*{LAST_MONTH}*") if "_truth" not in p.parts and "crm" not in p.parts
    ]
    assert late
    for path in late:
        target = held / path.relative_to(stepwise)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)

    # One instance keeps the stepwise runs' history, as DAGSTER_HOME does for `stratify run` and schedules.
    (tmp_path / "dagster").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster"))
    assert UNIFIED in _ingest(stepwise, monkeypatch, instance)
    before = _unified(stepwise)
    totals_before = {name: _table(stepwise, name, key) for name, key in TOTALS.items()}
    links_before = _table(stepwise, "int_identity__order_links", LINK_KEY)
    for path in held.rglob("*"):
        if path.is_file():
            path.rename(stepwise / path.relative_to(held))
    assert UNIFIED in _ingest(stepwise, monkeypatch, instance)  # rows loaded since the last build
    _assert_uniqueness_tests_trust_the_recorded_build(stepwise)
    _ingest(at_once, monkeypatch)

    after, full = _unified(stepwise), _unified(at_once)
    assert len(after) > len(before) and (after["order_date"].astype(str) >= f"{LAST_MONTH}-01").any()
    # Lines converted in the first run were not converted again (recent FX fallbacks excepted).
    kept = before.merge(after, on=["channel", "order_id", "line_number"], suffixes=("", "_after"))
    untouched = kept[~kept["is_fx_fallback"]]
    assert len(untouched) > 0.8 * len(before)
    assert (untouched["_converted_at"] == untouched["_converted_at_after"]).all()
    audit = ["_loaded_at", "_converted_at"]
    pd.testing.assert_frame_equal(after.drop(columns=audit), full.drop(columns=audit))

    # The totals were re-added only for days with (re)converted lines, and equal a build from scratch.
    rebuilt_days = set(after.loc[after["_converted_at"] > before["_converted_at"].max(), "order_date"])
    for name, key in TOTALS.items():
        stepped, whole = _table(stepwise, name, key), _table(at_once, name, key)
        audit = ["_converted_at", "_added_at"]
        pd.testing.assert_frame_equal(stepped.drop(columns=audit), whole.drop(columns=audit))
        first_run = totals_before[name]["_added_at"].max()
        rebuilt = stepped["order_date"].isin(rebuilt_days)
        assert rebuilt.any() and (stepped.loc[rebuilt, "_added_at"] > first_run).all()
        kept = stepped[~rebuilt].merge(totals_before[name], on=key, suffixes=("", "_before"))
        assert len(kept) > 0.8 * len(totals_before[name]) and len(kept) == (~rebuilt).sum()
        assert (kept["_added_at"] == kept["_added_at_before"]).all()

    # The order lines' identity links were added to, not rebuilt, and the links, hubs and customers they make
    # equal a build from scratch.
    order_links = _table(stepwise, "int_identity__order_links", LINK_KEY)
    kept = order_links.merge(links_before, on=LINK_KEY, suffixes=("", "_before"))
    assert len(kept) == len(links_before) and (kept["_added_at"] == kept["_added_at_before"]).all()
    assert len(order_links) > len(links_before)  # the month's new links, appended
    for name, key, audit in [
        ("int_identity__order_links", LINK_KEY, ["_added_at", "_lines_loaded_until"]),
        ("int_identity__links", LINK_KEY, []),
        ("int_customers__identity", ["id_kind", "id"], []),
    ]:
        stepped, whole = _table(stepwise, name, key), _table(at_once, name, key)
        pd.testing.assert_frame_equal(stepped.drop(columns=audit), whole.drop(columns=audit))

    # Nothing new lands: the job succeeds without rebuilding the load models (load_builds.py), same rows.
    assert _ingest(stepwise, monkeypatch, instance) == set()
    pd.testing.assert_frame_equal(_unified(stepwise), after)
    # A subset's build (the UI's Materialize of one model) leaves the record marked: the next whole run builds all.
    assert _ingest(stepwise, monkeypatch, instance, [UNIFIED]) == {UNIFIED}
    assert _ingest(stepwise, monkeypatch, instance) == dbt_load_models.keys
    # So does a whole run whose build fails after dbt wrote some models (here: dbt's events, then the error a
    # failed test raises), which may have run code since reverted to the recorded fingerprint. No handler
    # clears the mark set before dbt started: a step killed there leaves it as well.
    real_stream = dbt_runs.stream

    def failing_stream(*args, **kwargs):
        yield from real_stream(*args, **kwargs)
        raise DagsterDbtCliRuntimeError("a dbt test failed")

    monkeypatch.setattr(dbt_runs, "stream", failing_stream)
    failed = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, run_config=QUIET_LOGS, tags={REBUILD_TAG: "true"}, raise_on_error=False
    )
    assert not failed.success
    monkeypatch.setattr(dbt_runs, "stream", real_stream)
    assert _ingest(stepwise, monkeypatch, instance) == dbt_load_models.keys
