"""A return counts against the customer's spend, whether the export gives its units negative or flags it."""

import duckdb
import pytest

from tests.jobs import run_job

pytestmark = pytest.mark.slow
HEADER = "store_id,receipt_id,line_no,sold_at,loyalty_id,sku,category,qty,unit_price,discount,currency,is_return\n"


def test_a_flagged_return_with_positive_units_is_taken_off_spend(loaded):
    (loaded / "landing" / "pos" / "pos_returns.csv").write_text(
        HEADER
        + "S001,RET1,1,2025-11-15 12:00:00,,X1,home,2,10.00,1.00,EUR,0\n"  # a sale: 2 x 10 less 1
        + "S001,RET2,1,2025-11-16 12:00:00,,X1,home,1,10.00,0.00,EUR,1\n"  # its return, units given positive
        + "S001,RET3,1,2025-11-17 12:00:00,,X1,home,-1,10.00,0.50,EUR,1\n",  # a return as the demo writes it
        encoding="utf-8",
    )
    run_job("ingest_job")
    with duckdb.connect(str(loaded / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT order_id, quantity, is_return, net_amount_base FROM intermediate.int_orders__unified "
            "WHERE order_id LIKE 'RET%' ORDER BY 1"
        ).fetchall()
    assert [(o, q, r, float(n)) for o, q, r, n in rows] == [
        ("RET1", 2, False, 19.0),
        ("RET2", -1, True, -10.0),
        ("RET3", -1, True, -9.5),
    ]
