"""The uniqueness test of an incremental model looks at the keys written since the last recorded build of
the load models, against every row (macros/test_unique_combination_of_columns.sql, `latest_by`), and at the
whole table after a full build or with no build recorded. The staging order lines are judged the same way by
the time ingestion loaded each line (raw only grows: a re-sent key is quarantined, not loaded)."""

import os
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.transform.project import DBT_DIR, DBT_EXECUTABLE

UNIFIED = "unique_combination_of_columns_int_orders__unified_channel__order_id__line_number"
POS = "unique_combination_of_columns_stg_pos__order_lines_order_id__line_number"
FIRST, FAILED, LATEST = datetime(2026, 1, 1, 6), datetime(2026, 1, 1, 18), datetime(2026, 1, 2, 6)
RECORDED = datetime(2026, 1, 1, 7)  # the first build passed and was recorded (ops.load_model_builds)


def _warehouse(path: Path, lines: list[tuple[str, int | None, datetime]], recorded: datetime | None) -> Path:
    """int_orders__unified and stg_pos__order_lines (a table standing in for the view) holding only the given
    (order_id, line_number, stamp) lines, and the record of the last build that passed, when there is one."""
    with duckdb.connect(str(path)) as con:
        if recorded:
            con.execute("CREATE SCHEMA ops")
            con.execute("CREATE TABLE ops.load_model_builds (built_at TIMESTAMP, fingerprint VARCHAR, run_id VARCHAR)")
            con.execute("INSERT INTO ops.load_model_builds VALUES (?, 'stamp', 'run')", [recorded])
        con.execute("CREATE SCHEMA intermediate")
        con.execute(
            "CREATE TABLE intermediate.int_orders__unified (channel VARCHAR, order_id VARCHAR, line_number INTEGER,"
            " ordered_at_utc TIMESTAMP, order_date DATE, net_amount_base DOUBLE, _converted_at TIMESTAMP)"
        )
        con.executemany(
            "INSERT INTO intermediate.int_orders__unified VALUES ('pos', ?, ?, ?, ?, 1.0, ?)",
            [(order, line, at, at.date(), at) for order, line, at in lines],
        )
        con.execute("CREATE SCHEMA staging")
        con.execute(
            "CREATE TABLE staging.stg_pos__order_lines AS"
            " SELECT order_id, line_number, _converted_at AS _loaded_at FROM intermediate.int_orders__unified"
        )
    return path


def _unique_tests(warehouse: Path, code: str | None) -> dict[str, str]:
    """dbt's verdict on each model's uniqueness test, in one dbt call, as the dbt_load_models step of a run of
    `code` (its fingerprint; None: dbt run by hand) calls it: PASS or FAIL."""
    env = {**os.environ, "STRATIFY_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("STRATIFY_LOAD_FINGERPRINT", None)
    env |= {"STRATIFY_LOAD_FINGERPRINT": code} if code else {}
    cmd = [DBT_EXECUTABLE, "test", "--select"]
    cmd += [
        f"test_name:unique_combination_of_columns,{model}" for model in ("int_orders__unified", "stg_pos__order_lines")
    ]
    cmd += ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    cmd += ["--target-path", str(warehouse.parent / "dbt_target")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    verdicts = {}
    for test in (UNIFIED, POS):
        found = [v for v in ("PASS", "FAIL") if f"{v} {test}" in done.stdout or f"{v} 1 {test}" in done.stdout]
        assert len(found) == 1, done.stdout[-3000:]
        verdicts[test] = found[0]
    return verdicts


OLD = [("A1", 1, FIRST), ("A1", 2, FIRST), ("A2", 1, FIRST), ("A3", None, FIRST)]


NEW_KEYS = [("B1", 1, LATEST), ("B2", 1, LATEST)]
JUDGED_REPEAT = [*OLD, ("A1", 2, FIRST), *NEW_KEYS]  # a repeat among the rows the recorded build judged


@pytest.mark.parametrize(
    ("lines", "recorded", "verdict", "code"),
    [
        pytest.param(
            OLD + [("B1", 1, LATEST), ("A2", 1, LATEST)], RECORDED, "FAIL", "stamp", id="latest run repeats an old key"
        ),
        pytest.param(
            OLD + [("A3", None, LATEST)], RECORDED, "FAIL", "stamp", id="latest run repeats an old key with a null"
        ),
        pytest.param([*OLD, ("A1", 2, FIRST)], RECORDED, "FAIL", "stamp", id="one full build holds a repeated key"),
        # The recorded build's rows were judged by its passing test: a later run adding other keys does not group
        # the whole table again (what makes the test cheap), so it passes.
        pytest.param([*OLD, *NEW_KEYS], RECORDED, "PASS", "stamp", id="new keys only"),
        # The trade-off that makes it cheap, shown: a repeat among rows the recorded build judged is not grouped again.
        pytest.param(JUDGED_REPEAT, RECORDED, "PASS", "stamp", id="rows the recorded build judged"),
        # ... but only under the code and config it ran: a changed staging view reshapes old rows (a new trim of a
        # key), so a build recorded under other code, or dbt run by hand, groups the whole table.
        pytest.param(JUDGED_REPEAT, RECORDED, "FAIL", "changed", id="code changed since"),
        pytest.param(JUDGED_REPEAT, RECORDED, "FAIL", None, id="dbt by hand"),
        # A run that failed its test after the recorded build left a repeat: the next run, adding other keys,
        # still groups it (it was written since the record) and fails too.
        pytest.param([*OLD, ("A1", 2, FAILED), *NEW_KEYS], RECORDED, "FAIL", "stamp", id="a failed run's repeat"),
        # No build recorded (a warehouse built by hand): the whole table.
        pytest.param([*OLD, ("A1", 2, FIRST), *NEW_KEYS], None, "FAIL", "stamp", id="no build recorded"),
    ],
)
def test_uniqueness_is_judged_on_the_keys_written_since_the_last_recorded_build(
    tmp_path, lines, recorded, verdict, code
):
    verdicts = _unique_tests(_warehouse(tmp_path / "warehouse.duckdb", lines, recorded), code)
    assert verdicts == {UNIFIED: verdict, POS: verdict}
