"""Loading one source's files: valid rows land, bad rows are quarantined with their rule, nothing is lost."""

import json

import duckdb
import pytest

from pipelines.config import SourceConfig
from pipelines.ingest.contracts import CONTRACTS
from pipelines.ingest.load_source import holds_pii, prepare_warehouse
from pipelines.ingest.loader import (
    LINEAGE_COLUMNS_DDL,
    LoadRequest,
    _check_scan_order_kept,
    load_file,
    load_files,
)
from pipelines.ingest.reconcile import rejected_files, unreconciled_files
from pipelines.ingest.rules import RuleContext

HEADER = "store_id,receipt_id,line_no,sold_at,loyalty_id,sku,category,qty,unit_price,discount,currency,is_return\n"
POS = SourceConfig.model_validate(
    {
        "path": "pos/*.csv",
        "columns": {
            "store_id": "store_id",
            "order_id": "receipt_id",
            "line_number": "line_no",
            "ordered_at": "sold_at",
            "customer_id": "loyalty_id",
            "sku": "sku",
            "category": "category",
            "quantity": "qty",
            "unit_price": "unit_price",
            "discount": "discount",
            "currency": "currency",
            "is_return": "is_return",
        },
    }
)


RULES = RuleContext(check_currency=True, check_store=True, currencies=("EUR", "GBP"), stores=("S1",))


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    prepare_warehouse(connection)
    connection.execute(
        "INSERT INTO raw.stores (store_id, country, timezone, currency) VALUES ('S1', 'DE', 'Europe/Berlin', 'EUR')"
    )
    connection.execute("INSERT INTO raw.fx_rates VALUES ('2025-01-01', 'GBP', 1.17, 'f', 1, 'l', now())")
    yield connection
    connection.close()


def _load(con, path, source=POS, load_id="load-1"):
    return load_file(con, LoadRequest(path, CONTRACTS["pos"], source, source.files[0], RULES, load_id))


def _write(path, body, header=HEADER):
    path.write_text(header + body, encoding="utf-8")
    return path


def test_bad_rows_are_quarantined_with_the_rule_they_broke(con, tmp_path):
    f = _write(
        tmp_path / "pos_1.csv",
        (
            "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n"  # ok
            "S1,R1,2,2025-01-01 10:00:00,L1,a,shoes,1,abc,0,EUR,0\n"  # unparseable number
            "S1,R2,1,2025-01-01 10:00:00,L1,a,shoes,1,-2.0,0,EUR,0\n"  # negative price
            "S1,,1,2025-01-01 10:00:00,L1,a,shoes,1,2.0,0,EUR,0\n"  # missing key
            "S1,R3,1,2099-01-01 10:00:00,L1,a,shoes,1,2.0,0,EUR,0\n"  # future
            "S1,R4,1,31/02/2025,L1,a,shoes,1,2.0,0,EUR,0\n"  # unparseable date
            "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n"  # duplicate line key
            "S1,R5,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,XXX,0\n"  # unknown currency
            "S9,R6,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,GBP,0\n"  # unknown store
            "S1,R7,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,GBP,maybe\n"  # unparseable boolean
        ),
    )
    load = _load(con, f)
    assert (load.status, load.rows_read, load.rows_accepted, load.rows_quarantined) == ("loaded", 10, 1, 9)
    reasons = dict(con.execute("SELECT row_number, reason FROM ops.quarantine ORDER BY 1").fetchall())
    assert reasons == {
        2: "unparseable number in unit_price",
        3: "negative price",
        4: "missing required order_id",
        5: "timestamp in the future",
        6: "unparseable date in ordered_at",
        7: "duplicate line key",
        8: "unknown currency",
        9: "unknown store",
        10: "unparseable boolean in is_return",
    }
    record = json.loads(con.execute("SELECT raw_record FROM ops.quarantine WHERE row_number = 2").fetchall()[0][0])
    assert record["unit_price"] == "abc" and record["receipt_id"] == "R1"
    duplicate = json.loads(con.execute("SELECT raw_record FROM ops.quarantine WHERE row_number = 7").fetchall()[0][0])
    assert duplicate == dict(
        zip(HEADER.strip().split(","), "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0".split(","), strict=True)
    )
    assert con.execute("SELECT order_id, _row_number FROM raw.pos").fetchall() == [("R1", 1)]
    assert unreconciled_files(con, "pos") == []


def test_padded_values_load_and_blank_ones_are_missing(con, tmp_path):
    f = _write(
        tmp_path / "pos_pad.csv",
        (
            " S1 , R1 , 1 , 2025-01-01 10:00:00 ,L1,a,shoes, 2 , 2.50 , 0 , eur , y \n"  # padded: loads
            "S1,R2,1,2025-01-01 10:00:00,L1,a,shoes,1,   ,0,EUR,0\n"  # spaces only: missing, not unparseable
            "S1,R3,1,2025-01-01 10:00:00,L1,a,shoes,1, 2.5x ,0,EUR,0\n"  # padded garbage: unparseable
        ),
    )
    load = _load(con, f)
    assert (load.rows_accepted, load.rows_quarantined) == (1, 2)
    row = con.execute("SELECT store_id, order_id, line_number, quantity, unit_price, is_return FROM raw.pos").fetchall()
    assert row == [("S1", "R1", 1, 2, 2.5, True)]
    stamp_and_currency = con.execute("SELECT ordered_at::VARCHAR, currency FROM raw.pos").fetchall()
    assert stamp_and_currency == [("2025-01-01 10:00:00", "EUR")]
    reasons = con.execute("SELECT row_number, reason FROM ops.quarantine ORDER BY 1").fetchall()
    assert reasons == [(2, "missing required unit_price"), (3, "unparseable number in unit_price")]


def test_files_loaded_together_keep_their_own_row_numbers_and_records(con, tmp_path):
    line = "S1,R{},{},2025-01-0{} 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n"
    first = _write(tmp_path / "pos_1.csv", line.format(1, 1, 1) + line.format(1, 2, 1) + line.format(2, 1, 1))
    second = _write(  # row 2 repeats a line of the first file, row 3 its own row 1; row 4 breaks a rule
        tmp_path / "pos_2.csv",
        line.format(3, 1, 2) + line.format(1, 2, 1) + line.format(3, 1, 2) + "S1,R4,1,x,L1,a,shoes,1,2.50,0,EUR,0\n",
    )
    loads = load_files(con, [LoadRequest(p, CONTRACTS["pos"], POS, POS.files[0], RULES, "l") for p in (first, second)])
    assert [(f.rows_read, f.rows_accepted, f.rows_quarantined) for f in loads] == [(3, 3, 0), (4, 1, 3)]
    raw = con.execute("SELECT _source_file, _row_number, order_id, line_number FROM raw.pos ORDER BY 1, 2").fetchall()
    assert raw == [
        (str(first), 1, "R1", 1),
        (str(first), 2, "R1", 2),
        (str(first), 3, "R2", 1),
        (str(second), 1, "R3", 1),
    ]
    quarantined = con.execute("SELECT path, row_number, reason, raw_record FROM ops.quarantine ORDER BY 2").fetchall()
    assert [(p, n, r) for p, n, r, _ in quarantined] == [
        (str(second), 2, "duplicate line key"),
        (str(second), 3, "duplicate line key"),
        (str(second), 4, "unparseable date in ordered_at"),
    ]
    assert [json.loads(q[3])["receipt_id"] for q in quarantined] == ["R1", "R3", "R4"]
    assert json.loads(quarantined[0][3])["line_no"] == "2" and json.loads(quarantined[2][3])["sold_at"] == "x"
    assert unreconciled_files(con, "pos") == []


def test_a_file_without_data_rows_loads_as_empty_beside_the_others(con, tmp_path):
    full = _write(tmp_path / "pos_1.csv", "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n")
    empty = _write(tmp_path / "pos_2.csv", "")  # a closed store's day: the header only
    loads = load_files(con, [LoadRequest(p, CONTRACTS["pos"], POS, POS.files[0], RULES, "l") for p in (full, empty)])
    assert [(f.status, f.rows_read, f.rows_accepted) for f in loads] == [("loaded", 1, 1), ("loaded", 0, 0)]
    assert unreconciled_files(con, "pos") == []


def test_a_duplicates_record_has_the_batchs_columns(con, tmp_path):
    line = "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0"
    first = _write(tmp_path / "pos_1.csv", line + "\n" + line + "\n")  # row 2 repeats row 1
    second = _write(tmp_path / "pos_2.csv", line.replace("R1", "R2") + ",late\n", header=HEADER.strip() + ",note\n")
    load_files(con, [LoadRequest(p, CONTRACTS["pos"], POS, POS.files[0], RULES, "l") for p in (first, second)])
    (record,) = con.execute("SELECT raw_record FROM ops.quarantine").fetchall()[0]
    assert json.loads(record)["receipt_id"] == "R1" and json.loads(record)["note"] is None


def test_a_judging_query_that_could_reorder_rows_is_refused(con):
    with pytest.raises(RuntimeError, match="row order"):
        _check_scan_order_kept(con, "SELECT x IN ('a', 'b', 'c', 'd', 'e', 'f') FROM (SELECT 'a' AS x)")
    _check_scan_order_kept(con, "SELECT upper(x) FROM (SELECT 'a' AS x)")


def test_a_line_resent_in_a_later_load_is_a_duplicate_even_with_another_date(con, tmp_path):
    line = "S1,R1,1,{},L1,a,shoes,1,2.50,0,EUR,0\n"
    assert _load(con, _write(tmp_path / "pos_1.csv", line.format("2025-01-01 10:00:00"))).rows_accepted == 1
    later = _load(con, _write(tmp_path / "pos_2.csv", line.format("2025-03-01 09:00:00")), load_id="load-2")
    assert (later.rows_accepted, later.rows_quarantined) == (0, 1)
    assert con.execute("SELECT reason FROM ops.quarantine").fetchall() == [("duplicate line key",)]
    assert con.execute("SELECT ordered_at::VARCHAR FROM raw.pos").fetchall() == [("2025-01-01 10:00:00",)]


def test_wrong_header_rejects_the_file_and_names_the_columns(con, tmp_path):
    f = _write(tmp_path / "pos_bad.csv", "S1,R1\n", header="store_id,receipt\n")
    load = _load(con, f)
    assert load.status == "rejected"
    assert (
        "pos_bad.csv" in load.error and "'receipt_id'" in load.error and "found ['store_id', 'receipt']" in load.error
    )
    assert con.execute("SELECT count(*) FROM raw.pos").fetchall()[0][0] == 0
    assert con.execute("SELECT status, error FROM ops.load_ledger").fetchall() == [("rejected", load.error)]


def test_a_rejected_file_is_tried_again_and_loads_once_the_mapping_is_fixed(con, tmp_path):
    f = _write(tmp_path / "pos_1.csv", "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n")
    misspelt = SourceConfig.model_validate(
        {"path": "pos/*.csv", "columns": {**POS.files[0].columns, "unit_price": "Unitprice"}}
    )
    assert _load(con, f, misspelt).status == "rejected"
    assert _load(con, f, misspelt, load_id="b").status == "rejected"  # each run says again why
    (listed,) = rejected_files(con)
    assert listed["source"] == "pos" and listed["path"] == str(f) and "'Unitprice'" in listed["error"]
    assert _load(con, f, load_id="c").status == "loaded"  # not 'unchanged': its rows were never loaded
    assert con.execute("SELECT count(*) FROM raw.pos").fetchall()[0][0] == 1 and rejected_files(con) == []
    copy = tmp_path / "pos_copy.csv"  # a copy is a duplicate of the load, named as such
    copy.write_bytes(f.read_bytes())
    load = _load(con, copy, load_id="d")
    assert load.status == "skipped_duplicate" and load.error == f"same content as already loaded {f}"


def test_a_file_put_back_as_it_was_loaded_is_no_longer_listed_as_rejected(con, tmp_path):
    f = _write(tmp_path / "pos_1.csv", "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n")
    good = f.read_bytes()
    assert _load(con, f).status == "loaded"
    f.write_text("store_id,receipt\nS1,R2\n", encoding="utf-8")  # overwritten by a broken export
    assert _load(con, f, load_id="b").status == "rejected" and len(rejected_files(con)) == 1
    f.write_bytes(good)  # the export put right: its content is the one loaded, nothing new to record
    assert _load(con, f, load_id="c").status == "unchanged" and rejected_files(con) == []


def test_a_rejected_file_taken_out_of_landing_is_no_longer_listed(con, tmp_path):
    f = _write(tmp_path / "pos_bad.csv", "S1,R1\n", header="store_id,receipt\n")
    assert _load(con, f).status == "rejected" and len(rejected_files(con)) == 1
    f.unlink()
    assert rejected_files(con) == []


def test_a_csv_saved_by_excel_with_a_byte_order_mark_loads(con, tmp_path):
    f = tmp_path / "pos_excel.csv"
    f.write_bytes(("\ufeff" + HEADER + "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n").encode("utf-8"))
    load = _load(con, f)
    assert (load.status, load.rows_accepted) == ("loaded", 1), load.error
    assert con.execute("SELECT store_id, unit_price FROM raw.pos").fetchall() == [("S1", 2.5)]


def test_unreadable_file_is_rejected_not_fatal(con, tmp_path):
    f = tmp_path / "pos_latin1.csv"
    f.write_bytes((HEADER + "S1,R1,1,2025-01-01 10:00:00,L1,a,Küche,1,2.5,0,EUR,0\n").encode("latin-1"))
    load = _load(con, f)
    assert load.status == "rejected" and "pos_latin1.csv" in load.error and "unreadable as csv" in load.error


def test_loading_again_changes_nothing_and_copies_are_flagged(con, tmp_path):
    f = _write(tmp_path / "pos_1.csv", "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n")
    assert _load(con, f).status == "loaded"
    assert _load(con, f, load_id="b").status == "unchanged"
    copy = tmp_path / "pos_copy.csv"
    copy.write_bytes(f.read_bytes())
    assert _load(con, copy, load_id="c").status == "skipped_duplicate"
    assert _load(con, copy, load_id="d").status == "unchanged"  # recorded once, not again each run
    assert con.execute("SELECT count(*) FROM raw.pos").fetchall()[0][0] == 1
    ledger = con.execute("SELECT status FROM ops.load_ledger ORDER BY loaded_at").fetchall()
    assert [s for (s,) in ledger] == ["loaded", "skipped_duplicate"]


def test_reconciliation_catches_a_lost_row(con, tmp_path):
    f = _write(
        tmp_path / "pos_1.csv",
        "S1,R1,1,2025-01-01 10:00:00,L1,a,x,1,2.5,0,EUR,0\nS1,R1,2,2025-01-01 10:00:00,L1,a,x,1,3,0,EUR,0\n",
    )
    _load(con, f)
    con.execute("DELETE FROM raw.pos WHERE line_number = 2")
    problems = unreconciled_files(con, "pos")
    assert len(problems) == 1 and "pos_1.csv" in problems[0] and "in raw 1" in problems[0]


def test_decimal_comma_csv(con, tmp_path):
    semicolon = SourceConfig.model_validate({**POS.files[0].model_dump(), "csv": {"delimiter": ";", "decimal": ","}})
    f = _write(
        tmp_path / "pos_eu.csv",
        "S1;R1;1;2025-01-01 10:00:00;L1;a;x;2;1.234,50;0,5;EUR;0\n",
        header=HEADER.replace(",", ";"),
    )
    assert _load(con, f, source=semicolon).rows_accepted == 1
    assert con.execute("SELECT unit_price, discount FROM raw.pos").fetchall()[0] == (1234.5, 0.5)


def test_a_decimal_point_in_a_decimal_comma_file_is_quarantined_not_read_as_thousands(con, tmp_path):
    semicolon = SourceConfig.model_validate({**POS.files[0].model_dump(), "csv": {"delimiter": ";", "decimal": ","}})
    prices = ["4.46", "12.345.678", "1.2345,6", "0,75"]
    rows = [f"S1;R1;{n};2025-01-01 10:00:00;L1;a;x;2;{price};0;EUR;0" for n, price in enumerate(prices, 1)]
    f = _write(tmp_path / "pos_eu.csv", "\n".join(rows) + "\n", header=HEADER.replace(",", ";"))
    load = _load(con, f, source=semicolon)
    assert (load.rows_accepted, load.rows_quarantined) == (2, 2)
    assert con.execute("SELECT line_number, unit_price FROM raw.pos ORDER BY 1").fetchall() == [
        (2, 12345678),
        (4, 0.75),
    ]
    quarantined = con.execute("SELECT row_number, reason FROM ops.quarantine ORDER BY 1").fetchall()
    assert quarantined == [(1, "unparseable number in unit_price"), (3, "unparseable number in unit_price")]


def test_a_line_number_that_is_not_whole_is_quarantined_not_rounded(con, tmp_path):
    rows = [f"S1,R1,{n},2025-01-01 10:00:00,L1,a,x,1,2.50,0,EUR,0" for n in ("1", "1.5", "2.0", " 3 ", "4.")]
    f = _write(tmp_path / "pos_1.csv", "\n".join(rows) + "\n")
    load = _load(con, f)
    assert (load.rows_accepted, load.rows_quarantined) == (4, 1)
    assert [n for (n,) in con.execute("SELECT line_number FROM raw.pos ORDER BY 1").fetchall()] == [1, 2, 3, 4]
    assert con.execute("SELECT row_number, reason FROM ops.quarantine").fetchall() == [
        (2, "unparseable number in line_number")
    ]


def test_pii_is_hashed_and_masked(con, tmp_path):
    crm = SourceConfig.model_validate(
        {
            "path": "crm/*.csv",
            "columns": {"loyalty_id": "id", "email": "mail", "phone": "tel", "country": "land", "birth_year": "born"},
        }
    )
    f = tmp_path / "crm.csv"
    f.write_text(
        "id,mail,tel,land,born\nL1, Ann@Example.COM ,030 1234567,Germany,1980\n"
        "L2,bob@example.com,+49 30 1234567,DE,19x0\n",
        encoding="utf-8",
    )
    con.execute("SET VARIABLE pii_salt = 'pepper'")
    load = load_file(con, LoadRequest(f, CONTRACTS["crm_customers"], crm, crm.files[0], RULES, "l"))
    assert (load.rows_accepted, load.rows_quarantined) == (1, 1)
    email_hash, phone_hash, country = con.execute(
        "SELECT email_hash, phone_hash, country FROM raw.crm_customers"
    ).fetchall()[0]
    expected = duckdb.sql(
        "SELECT sha256('pepper' || 'ann@example.com'), sha256('pepper' || '+49301234567')"
    ).fetchall()[0]
    assert (email_hash, phone_hash, country) == (*expected, "DE")
    record = con.execute("SELECT raw_record FROM ops.quarantine").fetchall()[0][0]
    assert "bob@example.com" not in record and "1234567" not in record and json.loads(record)["mail"] == "***"


WEB = SourceConfig.model_validate(
    {
        "path": "web/*.csv",
        "columns": {"order_id": "order", "line_number": "line", "email": "mail", "phone": "tel", "country": "ship",
                    "ordered_at": "at", "quantity": "qty", "unit_price": "price", "currency": "cur"},
    }
)  # fmt: skip
WEB_FILE = "order,line,mail,tel,ship,at,qty,price,cur\nW1,1,a@x.fr,06 12 34 56 78,France,2025-01-02T10:00:00Z,1,5,EUR\n"


def test_a_delivery_phone_is_hashed_in_e164_of_the_rows_own_country(con, tmp_path):
    f = tmp_path / "web.csv"
    f.write_text(WEB_FILE, encoding="utf-8")
    con.execute("SET VARIABLE pii_salt = 'pepper'")
    load = load_file(con, LoadRequest(f, CONTRACTS["ecommerce"], WEB, WEB.files[0], RULES, "l"))
    assert load.rows_accepted == 1
    (phone_hash,) = con.execute("SELECT phone_hash FROM raw.ecommerce").fetchall()[0]
    assert phone_hash == duckdb.sql("SELECT sha256('pepper' || '+33612345678')").fetchall()[0][0]


def test_a_repeated_pii_value_hashes_the_same_and_a_phone_follows_its_rows_country(con, tmp_path):
    f = tmp_path / "web.csv"
    f.write_text(
        "order,line,mail,tel,ship,at,qty,price,cur\n"
        "W1,1,A@x.fr,06 12 34 56 78,France,2025-01-02T10:00:00Z,1,5,EUR\n"
        "W1,2,a@x.fr,06 12 34 56 78,France,2025-01-02T10:00:00Z,1,5,EUR\n"
        "W2,1,a@X.FR,06 12 34 56 78,Germany,2025-01-02T10:00:00Z,1,5,EUR\n"
        "W3,1,,,Atlantis,2025-01-02T10:00:00Z,1,5,EUR\n"
        "W4,1,,+33 6 12 34 56 78,,2025-01-02T10:00:00Z,1,5,EUR\n",
        encoding="utf-8",
    )
    con.execute("SET VARIABLE pii_salt = 'pepper'")
    load = load_file(con, LoadRequest(f, CONTRACTS["ecommerce"], WEB, WEB.files[0], RULES, "l"))
    assert (load.rows_accepted, load.rows_quarantined) == (4, 1)  # Atlantis is no country
    rows = con.execute("SELECT order_id, line_number, email_hash, phone_hash FROM raw.ecommerce ORDER BY 1, 2")
    email, france, germany = duckdb.sql(
        "SELECT sha256('pepper' || 'a@x.fr'), sha256('pepper' || '+33612345678'), sha256('pepper' || '+49612345678')"
    ).fetchall()[0]
    assert rows.fetchall() == [
        ("W1", 1, email, france),
        ("W1", 2, email, france),
        ("W2", 1, email, germany),
        ("W4", 1, None, france),
    ]
    assert con.execute("SELECT count(*) FROM raw.ecommerce WHERE email_hash LIKE '%@%'").fetchall() == [(0,)]


def test_files_with_their_columns_in_another_order_load_together(con, tmp_path):
    first = _write(tmp_path / "pos_1.csv", "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0\n")
    columns = HEADER.strip().split(",")
    moved = ",".join(columns[1:] + columns[:1]) + "\n"  # store_id last
    second = _write(tmp_path / "pos_2.csv", "R2,1,2025-01-01 11:00:00,L2,b,bags,2,3.00,0,EUR,0,S1\n", header=moved)
    loads = load_files(con, [LoadRequest(p, CONTRACTS["pos"], POS, POS.files[0], RULES, "l") for p in (first, second)])
    assert [(f.rows_accepted, f.rows_quarantined) for f in loads] == [(1, 0), (1, 0)]
    rows = con.execute("SELECT order_id, store_id, customer_id, quantity FROM raw.pos ORDER BY 1").fetchall()
    assert rows == [("R1", "S1", "L1", 1), ("R2", "S1", "L2", 2)]


def _load_crm_batch(con, tmp_path, *texts: str) -> tuple[list, list]:
    """CRM files crm_1.csv, crm_2.csv, ... (ids in `id`, emails in `mail`) loaded as one batch: (paths, loads)."""
    crm = SourceConfig.model_validate({"path": "crm/*.csv", "columns": {"loyalty_id": "id", "email": "mail"}})
    paths = [tmp_path / f"crm_{i}.csv" for i in range(1, len(texts) + 1)]
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    con.execute("SET VARIABLE pii_salt = 'pepper'")
    reqs = [LoadRequest(path, CONTRACTS["crm_customers"], crm, crm.files[0], RULES, "l") for path in paths]
    return paths, load_files(con, reqs)


def test_files_with_one_header_and_a_row_longer_than_it_load_as_one_batch_that_row_quarantined(con, tmp_path):
    # The second file: an extra field on its first row; L1 again, a duplicate within the batch.
    (_, second), loads = _load_crm_batch(
        con, tmp_path, "id,mail\nL1,a@x.com\nL2,b@x.com\n", "id,mail\nL3,c@x.com,stray\nL1,d@x.com\n"
    )
    assert [(f.status, f.rows_read, f.rows_accepted, f.rows_quarantined) for f in loads] == [
        ("loaded", 2, 2, 0),
        ("loaded", 2, 0, 2),
    ]
    assert con.execute("SELECT loyalty_id FROM raw.crm_customers ORDER BY 1").fetchall() == [("L1",), ("L2",)]
    quarantined = con.execute("SELECT path, row_number, reason, raw_record FROM ops.quarantine ORDER BY 2").fetchall()
    assert [q[:3] for q in quarantined] == [
        (str(second), 1, "more fields than the header"),  # its values may be shifted: not loaded as they stand
        (str(second), 2, "duplicate key"),
    ]
    assert "c@x.com" not in quarantined[0][3]  # a shifted row's values are not shown: its PII could be anywhere
    assert unreconciled_files(con, "crm_customers") == []


def test_a_row_longer_than_a_narrower_header_in_a_batch_of_wider_ones_is_quarantined(con, tmp_path):
    """An export that gained a column (first) batched with an older one (second): read together by name, the
    older file's extra field fell in a column numbered below the wider header's width and was dropped."""
    (_, second), loads = _load_crm_batch(
        con, tmp_path, "id,mail,tier\nL1,a@x.com,gold\n", "id,mail\nL2,b@x.com,stray\nL3,c@x.com\n"
    )
    assert [(f.status, f.rows_read, f.rows_accepted, f.rows_quarantined) for f in loads] == [
        ("loaded", 1, 1, 0),
        ("loaded", 2, 1, 1),
    ]
    assert con.execute("SELECT path, row_number, reason FROM ops.quarantine").fetchall() == [
        (str(second), 1, "more fields than the header")
    ]


def test_the_salt_is_needed_only_when_the_files_bring_pii():
    marketplace = {"path": "mp/*.parquet", "format": "parquet",
                   "columns": {"order_id": "o", "line_number": "l", "customer_id": "buyer", "ordered_at": "at",
                               "quantity": "q", "unit_price": "p", "currency": "c"}}  # fmt: skip
    assert not holds_pii(CONTRACTS["marketplace"], SourceConfig.model_validate(marketplace))
    marketplace["columns"]["phone"] = "buyer_phone"
    assert holds_pii(CONTRACTS["marketplace"], SourceConfig.model_validate(marketplace))
    assert holds_pii(CONTRACTS["ecommerce"], WEB)


def test_a_warehouse_made_before_the_contract_gained_a_column_still_loads(tmp_path):
    """raw.ecommerce as it was before delivery phones, alone or beside every other table: the column is added,
    and rows load by name."""
    with duckdb.connect(str(tmp_path / "older.duckdb")) as older:
        prepare_warehouse(older)
        older.execute("ALTER TABLE raw.ecommerce DROP COLUMN phone_hash")
        prepare_warehouse(older)
        assert ("phone_hash",) in older.execute("SELECT column_name FROM (DESCRIBE raw.ecommerce)").fetchall()
    with duckdb.connect(str(tmp_path / "old.duckdb")) as old:
        cols = ", ".join(f"{c.stored_name} {c.sql_type}" for c in CONTRACTS["ecommerce"].columns if c.name != "phone")
        old.execute("CREATE SCHEMA raw")
        old.execute(f"CREATE TABLE raw.ecommerce ({cols}, {LINEAGE_COLUMNS_DDL})")
        prepare_warehouse(old)
        old.execute("INSERT INTO raw.fx_rates VALUES ('2025-01-01', 'GBP', 1.17, 'f', 1, 'l', now())")
        f = tmp_path / "web.csv"
        f.write_text(WEB_FILE, encoding="utf-8")
        old.execute("SET VARIABLE pii_salt = 'pepper'")
        assert load_file(old, LoadRequest(f, CONTRACTS["ecommerce"], WEB, WEB.files[0], RULES, "l")).rows_accepted == 1
        row = old.execute("SELECT order_id, country, phone_hash IS NOT NULL FROM raw.ecommerce").fetchall()
    assert row == [("W1", "FR", True)]


APP = SourceConfig.model_validate(
    {"path": "app/*.jsonl", "format": "jsonl",
     "columns": {"order_id": "order_id", "line_number": "line_no", "customer_id": "app_user_id",
                 "email": "account_email", "ordered_at": "event_time", "sku": "sku", "quantity": "qty",
                 "unit_price": "unit_price", "discount": "discount", "currency": "currency"}}
)  # fmt: skip


def _load_app(con, path, source=APP):
    con.execute("SET VARIABLE pii_salt = 'test-salt'")
    return load_file(con, LoadRequest(path, CONTRACTS["app"], source, source.files[0], RULES, "load-1"))


def test_a_json_record_may_leave_out_optional_keys_even_the_first(con, tmp_path):
    records = [
        {"order_id": "A1", "line_no": "1", "app_user_id": "U1", "event_time": "2025-01-01T10:00:00Z", "qty": "1",
         "unit_price": "2.5", "currency": "EUR"},  # no account_email, discount or sku: exports drop null keys
        {"order_id": "A1", "line_no": "2", "app_user_id": "U1", "account_email": "a@b.c",
         "event_time": "2025-01-01T10:00:00Z", "sku": "x", "qty": "2", "unit_price": "1", "discount": "0.5",
         "currency": "EUR"},
        {"order_id": "A2", "line_no": "1", "event_time": "2025-01-02T10:00:00Z", "qty": "1", "currency": "EUR"},
    ]  # fmt: skip
    f = tmp_path / "app_1.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    load = _load_app(con, f)
    assert (load.status, load.rows_accepted, load.rows_quarantined) == ("loaded", 2, 1), load.error
    rows = con.execute("SELECT line_number, sku, discount, email_hash IS NULL FROM raw.app ORDER BY 1").fetchall()
    assert rows == [(1, None, None, True), (2, "x", 0.5, False)]
    assert con.execute("SELECT row_number, reason FROM ops.quarantine").fetchall() == [
        (3, "missing required unit_price")
    ]


def test_a_json_file_whose_first_record_lacks_a_required_key_is_rejected(con, tmp_path):
    f = tmp_path / "app_1.jsonl"
    f.write_text(json.dumps({"order_id": "A1", "line_no": "1", "qty": "1"}) + "\n", encoding="utf-8")
    load = _load_app(con, f)
    assert load.status == "rejected" and "missing ['event_time', 'unit_price', 'currency']" in load.error


def test_a_malformed_json_line_is_quarantined_and_the_others_load(con, tmp_path):
    """read_json refuses a file for one bad line; the file is read again line by line, so only that line is
    lost to quarantine, under its own row number, and a duplicate after it is still found in the re-read."""
    line = {"order_id": "A1", "app_user_id": "U1", "account_email": "ann@example.com",
            "event_time": "2025-01-01T10:00:00Z", "qty": "1", "unit_price": "2.5", "currency": "EUR"}  # fmt: skip
    lines = [json.dumps({**line, "line_no": str(n)}) for n in (1, 2, 3, 4)]
    lines[1] = lines[1][:40]  # a truncated write, holding the start of an email
    lines.append(lines[3])  # line 4 again: a duplicate
    f = tmp_path / "app_1.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load = _load_app(con, f)
    assert (load.status, load.rows_read, load.rows_accepted, load.rows_quarantined) == ("loaded", 5, 3, 2)
    assert [n for (n,) in con.execute("SELECT line_number FROM raw.app ORDER BY 1").fetchall()] == [1, 3, 4]
    quarantined = con.execute("SELECT row_number, reason, raw_record FROM ops.quarantine ORDER BY 1").fetchall()
    assert [(n, reason) for n, reason, _ in quarantined] == [(2, "malformed JSON line"), (5, "duplicate line key")]
    assert "ann@" not in quarantined[0][2] and "see the file at this row" in quarantined[0][2]
    assert json.loads(quarantined[1][2])["account_email"] == "***" and unreconciled_files(con, "app") == []


def test_a_row_longer_than_its_header_is_quarantined_in_a_file_read_alone(con, tmp_path):
    good = "S1,R1,1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0"
    shifted = "S1,R1,2,2025-01-01 10:00:00,L1,a,shoes, kids,1,2.50,0,EUR,0"  # an unquoted comma in the category
    f = _write(tmp_path / "pos_1.csv", f"{good}\n{shifted}\n")
    load = _load(con, f)
    assert (load.rows_accepted, load.rows_quarantined) == (1, 1)
    assert con.execute("SELECT row_number, reason FROM ops.quarantine").fetchall() == [
        (2, "more fields than the header")
    ]


def test_empty_files_load_no_rows_and_a_csv_starting_blank_is_rejected(con, tmp_path):
    csv_file, blank_header = tmp_path / "pos_1.csv", tmp_path / "pos_2.csv"
    csv_file.write_bytes(b"")  # an export job's file for a day without orders
    load = _load(con, csv_file)
    assert (load.status, load.rows_read) == ("loaded", 0) and rejected_files(con) == []
    blank_header.write_text("\n" + HEADER + "S1,R1,1,2025-01-01 10:00:00,L1,a,x,1,1,0,EUR,0\n", encoding="utf-8")
    load = _load(con, blank_header)
    assert load.status == "rejected" and load.error == f"{blank_header}: the first line is blank, not a header"
    empty, blank_first = tmp_path / "app_1.jsonl", tmp_path / "app_2.jsonl"
    empty.write_bytes(b"")
    record = {"order_id": "A1", "line_no": "1", "event_time": "2025-01-01T10:00:00Z", "qty": "1",
              "unit_price": "1", "currency": "EUR"}  # fmt: skip
    blank_first.write_text("\n" + json.dumps(record) + "\n", encoding="utf-8")
    load = _load_app(con, empty)
    assert (load.status, load.rows_read) == ("loaded", 0)
    load = _load_app(con, blank_first)
    assert (load.status, load.rows_accepted) == ("loaded", 1), load.error
    assert unreconciled_files(con, "app") == []


def test_a_placeholder_order_date_is_quarantined(con, tmp_path):
    rows = [f"S1,R1,{n},{at},L1,a,shoes,1,2.50,0,EUR,0" for n, at in enumerate(["1900-01-01 00:00:00",
            "1989-12-31 23:59:59", "1990-01-01 00:00:00"], 1)]  # fmt: skip
    load = _load(con, _write(tmp_path / "pos_1.csv", "\n".join(rows) + "\n"))
    assert (load.rows_accepted, load.rows_quarantined) == (1, 2)
    assert con.execute("SELECT DISTINCT reason FROM ops.quarantine").fetchall() == [("timestamp before 1990-01-01",)]


def test_whitespace_lines_count_alike_in_both_json_readings_so_a_duplicate_is_found(con, tmp_path):
    """A duplicate's record is re-read line by line; read_json skips lines of only tabs or spaces, and the
    line reading must too, or the file looked changed while loading and the source failed every run."""
    record = {"order_id": "A1", "app_user_id": "U1", "event_time": "2025-01-01T10:00:00Z", "qty": "1",
              "unit_price": "2.5", "currency": "EUR"}  # fmt: skip
    one, two = (json.dumps({**record, "line_no": n}) for n in ("1", "2"))
    f = tmp_path / "app_1.jsonl"
    f.write_text(f"{one}\n\t\n{two}\n \x0b\r\n{two}\n", encoding="utf-8")
    load = _load_app(con, f)
    assert (load.rows_read, load.rows_accepted, load.rows_quarantined) == (3, 2, 1)
    assert con.execute("SELECT row_number, reason FROM ops.quarantine").fetchall() == [(3, "duplicate line key")]


def test_columns_duckdb_renames_within_the_header_are_no_extra_fields(con, tmp_path):
    """A pandas index column (empty name), a repeated name and a trailing empty name: DuckDB calls them
    column00, note_1 and column13, and their rows are whole rows, loaded."""
    header = "," + HEADER.strip() + ",note,note,\n"
    rows = [f"{i},S1,R1,{i + 1},2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0,x,y,z" for i in range(2)]
    load = _load(con, _write(tmp_path / "pos_1.csv", "\n".join(rows) + "\n", header=header))
    assert (load.status, load.rows_accepted, load.rows_quarantined) == ("loaded", 2, 0), load.error


def test_a_shifted_row_with_pii_is_quarantined_without_its_values(con, tmp_path):
    crm = SourceConfig.model_validate(
        {"path": "crm/*.csv", "columns": {"loyalty_id": "id", "email": "mail", "phone": "tel", "city": "city"}}
    )
    f = tmp_path / "crm_1.csv"  # an unquoted comma in the name moves the phone number under 'city'
    f.write_text("id,name,mail,tel,city\nL1,Ann,a@x.com,+4930123,Berlin\nL2,Smith, John,j@x.com,+4930456,Bonn\n")
    con.execute("SET VARIABLE pii_salt = 'pepper'")
    load = load_file(con, LoadRequest(f, CONTRACTS["crm_customers"], crm, crm.files[0], RULES, "l"))
    assert (load.rows_accepted, load.rows_quarantined) == (1, 1)
    ((reason, record),) = con.execute("SELECT reason, raw_record FROM ops.quarantine").fetchall()
    assert reason == "more fields than the header" and "+4930456" not in record and "j@x.com" not in record


def test_a_refused_file_is_named_without_the_record_duckdb_quotes(con, tmp_path):
    crm = SourceConfig.model_validate({"path": "crm/*.csv", "columns": {"loyalty_id": "id", "email": "mail"}})
    con.execute("SET VARIABLE pii_salt = 'pepper'")
    broken = tmp_path / "crm_1.csv"  # an unclosed quote: DuckDB refuses the file and quotes the line
    broken.write_text('id,mail\nL1,a@x.com\nL2,"b@x.com\n', encoding="utf-8")
    headless = tmp_path / "crm_2.csv"  # no header: its first record is where the names should be
    headless.write_text("L3,c@x.com\n", encoding="utf-8")
    loads = [load_file(con, LoadRequest(f, CONTRACTS["crm_customers"], crm, crm.files[0], RULES, "l"))
             for f in (broken, headless)]  # fmt: skip
    assert [load.status for load in loads] == ["rejected", "rejected"]
    assert str(broken) in loads[0].error and str(headless) in loads[1].error and "found ['L3', '***']" in loads[1].error
    errors = " ".join(e for (e,) in con.execute("SELECT error FROM ops.load_ledger").fetchall())
    assert "@x.com" not in errors


def test_a_long_row_past_duckdbs_sample_rejects_the_file_naming_the_line_instead_of_losing_a_value(con, tmp_path):
    """DuckDB sizes rows from a sample of the file; past it, a longer row had its extra value dropped in
    silence (and a stray quote could cut a field short). Read strictly, the file is refused, naming the line."""
    good = [f"S1,R{i},1,2025-01-01 10:00:00,L1,a,shoes,1,2.50,0,EUR,0" for i in range(30_000)]
    shifted = "S1,RX,1,2025-01-01 10:00:00,L1,a,shoes, kids,1,2.50,0,EUR,0"
    load = _load(con, _write(tmp_path / "pos_1.csv", "\n".join([*good, shifted]) + "\n"))
    assert load.status == "rejected" and "CSV Error on Line: 30002" in load.error, load.error
    assert "kids" not in load.error and con.execute("SELECT count(*) FROM raw.pos").fetchall()[0][0] == 0


@pytest.mark.parametrize(
    ("first", "reason"),
    [('{"order_id": "A0", "line_no":', "malformed JSON line"), ("[]", "missing required order_id")],
)
def test_a_bad_first_json_line_is_quarantined_and_the_records_after_it_load(con, tmp_path, first, reason):
    record = {"order_id": "A1", "line_no": "1", "event_time": "2025-01-01T10:00:00Z", "qty": "1",
              "unit_price": "1", "currency": "EUR"}  # fmt: skip
    f = tmp_path / "app_1.jsonl"
    f.write_text(f"{first}\n{json.dumps(record)}\n", encoding="utf-8")
    load = _load_app(con, f)
    assert (load.status, load.rows_accepted, load.rows_quarantined) == ("loaded", 1, 1), load.error
    assert con.execute("SELECT row_number, reason FROM ops.quarantine").fetchall() == [(1, reason)]
