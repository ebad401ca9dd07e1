"""Loading one source's files: valid rows land, bad rows are quarantined with their rule, nothing is lost."""

import json

import duckdb
import pytest

from pipelines.config import load_config
from pipelines.ingest.contracts import CONTRACTS
from pipelines.ingest.loader import ensure_tables, load_file
from pipelines.ingest.reconcile import unreconciled_files
from tests.conftest import REPO

HEADER = "receipt_id,line_no,loyalty_id,sold_at,sku,qty,unit_price,store_id\n"


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_tables(connection, CONTRACTS["pos"])
    yield connection
    connection.close()


@pytest.fixture
def pos():
    return load_config(REPO / "stratify.yaml").sources["pos"]


def _write(path, body):
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_bad_rows_are_quarantined_with_the_rule_they_broke(con, pos, tmp_path):
    f = _write(tmp_path / "pos_1.csv", (
        "R1,1,L1,2025-01-01 10:00:00,a,1,2.50,S1\n"      # ok
        "R1,2,L1,2025-01-01 10:00:00,a,1,abc,S1\n"       # unparseable number
        "R2,1,L1,2025-01-01 10:00:00,a,1,-2.0,S1\n"      # negative price
        ",1,L1,2025-01-01 10:00:00,a,1,2.0,S1\n"         # missing key
        "R3,1,L1,2099-01-01 10:00:00,a,1,2.0,S1\n"       # future
        "R4,1,L1,31/02/2025,a,1,2.0,S1\n"                # unparseable date
        "R1,1,L1,2025-01-01 10:00:00,a,1,2.50,S1\n"      # duplicate line key
    ))
    load = load_file(con, f, CONTRACTS["pos"], pos, "load-1")
    assert (load.status, load.rows_read, load.rows_accepted, load.rows_quarantined) == ("loaded", 7, 1, 6)
    reasons = dict(con.execute("SELECT row_number, reason FROM ops.quarantine ORDER BY 1").fetchall())
    assert reasons == {
        2: "unparseable number in unit_price",
        3: "negative price",
        4: "missing required order_id",
        5: "timestamp in the future",
        6: "unparseable date in ordered_at",
        7: "duplicate line key",
    }
    record = json.loads(con.execute("SELECT raw_record FROM ops.quarantine WHERE row_number = 2").fetchone()[0])
    assert record["unit_price"] == "abc"
    assert con.execute("SELECT order_id, unit_price FROM raw.pos").fetchall()[0][0] == "R1"
    assert unreconciled_files(con, "pos") == []


def test_wrong_header_rejects_the_file_and_names_the_columns(con, pos, tmp_path):
    f = tmp_path / "pos_bad.csv"
    f.write_text("receipt,line,who\nR1,1,L1\n", encoding="utf-8")
    load = load_file(con, f, CONTRACTS["pos"], pos, "load-1")
    assert load.status == "rejected"
    assert "pos_bad.csv" in load.error and "receipt_id" in load.error and "found ['receipt', 'line', 'who']" in load.error
    assert con.execute("SELECT count(*) FROM raw.pos").fetchone()[0] == 0
    assert con.execute("SELECT status FROM ops.load_ledger").fetchall() == [("rejected",)]


def test_loading_again_changes_nothing_and_copies_are_flagged(con, pos, tmp_path):
    f = _write(tmp_path / "pos_1.csv", "R1,1,L1,2025-01-01 10:00:00,a,1,2.50,S1\n")
    assert load_file(con, f, CONTRACTS["pos"], pos, "a").status == "loaded"
    assert load_file(con, f, CONTRACTS["pos"], pos, "b").status == "unchanged"
    copy = tmp_path / "pos_copy.csv"
    copy.write_bytes(f.read_bytes())
    assert load_file(con, copy, CONTRACTS["pos"], pos, "c").status == "skipped_duplicate"
    assert con.execute("SELECT count(*) FROM raw.pos").fetchone()[0] == 1
    ledger = con.execute("SELECT path, status FROM ops.load_ledger ORDER BY loaded_at").fetchall()
    assert [s for _, s in ledger] == ["loaded", "skipped_duplicate"]


def test_reconciliation_catches_a_lost_row(con, pos, tmp_path):
    f = _write(tmp_path / "pos_1.csv", "R1,1,L1,2025-01-01 10:00:00,a,1,2.50,S1\nR1,2,L1,2025-01-01 10:00:00,a,1,3,S1\n")
    load_file(con, f, CONTRACTS["pos"], pos, "a")
    con.execute("DELETE FROM raw.pos WHERE line_number = 2")
    problems = unreconciled_files(con, "pos")
    assert len(problems) == 1 and "pos_1.csv" in problems[0] and "in raw 1" in problems[0]


def test_decimal_comma_csv(con, pos, tmp_path):
    semicolon = pos.model_copy(update={"csv": pos.csv.model_copy(update={"delimiter": ";", "decimal": ","})})
    f = tmp_path / "pos_eu.csv"
    f.write_text(HEADER.replace(",", ";") + "R1;1;L1;2025-01-01 10:00:00;a;2;1.234,50;S1\n", encoding="utf-8")
    load = load_file(con, f, CONTRACTS["pos"], semicolon, "a")
    assert load.rows_accepted == 1
    assert float(con.execute("SELECT unit_price FROM raw.pos").fetchone()[0]) == 1234.5
