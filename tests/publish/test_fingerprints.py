"""Fingerprints tell which snapshot dates of a published table changed, and survive the round trip."""

from pathlib import Path

import duckdb

from pipelines.publish import fingerprints
from pipelines.publish.fingerprints import TableState


def _state(con: duckdb.DuckDBPyConnection) -> TableState:
    return fingerprints.fingerprint(con, "marts.t", fingerprints.columns(con, "memory", "marts", "t"))


def _table(rows: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute(f"CREATE TABLE marts.t AS SELECT * FROM (VALUES {rows}) AS v(snapshot_date, customer, tier)")
    return con


ROWS = "(DATE '2025-01-31', 'a', 'gold'), (DATE '2025-01-31', 'b', 'silver'), (DATE '2025-02-28', 'a', 'gold')"


def test_only_the_date_whose_rows_changed_is_written_and_a_vanished_one_deleted():
    before = _state(_table(ROWS))
    changed = _table(ROWS.replace("(DATE '2025-02-28', 'a', 'gold')", "(DATE '2025-02-28', 'a', 'bronze')"))
    assert _state(changed).changed_since(before) == (["2025-02-28"], [])
    assert (before.rows(), before.rows(["2025-02-28"])) == (3, 1)  # counts read off the fingerprints
    reordered = _table(
        "(DATE '2025-02-28', 'a', 'gold'), (DATE '2025-01-31', 'b', 'silver'), (DATE '2025-01-31', 'a', 'gold')"
    )
    assert _state(reordered).changed_since(before) == ([], [])  # the same rows in another order
    shrunk = _table(ROWS.split(", (DATE '2025-02-28'")[0])
    assert _state(shrunk).changed_since(before) == ([], ["2025-02-28"])


def test_new_columns_or_no_previous_state_mean_a_whole_rewrite():
    before = _state(_table(ROWS))
    wider = _table(ROWS)
    wider.execute("ALTER TABLE marts.t ADD COLUMN churn_risk DOUBLE")
    assert _state(wider).changed_since(before) is None
    assert before.changed_since(None) is None


def test_the_state_round_trips_through_the_bi_file_and_the_parquet_folder(tmp_path: Path):
    con = _table(ROWS)
    state = {"t": _state(con)}
    con.execute(f"ATTACH '{tmp_path / 'bi.duckdb'}' AS bi")
    assert fingerprints.read_from_database(con, "bi") == {}
    fingerprints.write_to_database(con, "bi", state)
    assert fingerprints.read_from_database(con, "bi") == state
    assert fingerprints.read_parquet_state(tmp_path) == {}
    fingerprints.write_parquet_state(tmp_path, state)
    assert fingerprints.read_parquet_state(tmp_path) == state
    (tmp_path / fingerprints.PARQUET_STATE).write_text("not json")
    assert fingerprints.read_parquet_state(tmp_path) == {}  # unreadable: trusted as nothing, all rewritten
