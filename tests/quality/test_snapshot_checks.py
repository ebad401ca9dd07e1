from datetime import date

import duckdb
import pytest

from pipelines.quality.snapshot_checks import _counts, judge
from pipelines.resources import StratifyResource


@pytest.mark.parametrize(
    ("current", "previous", "passed"),
    [
        (1000, None, True),  # first snapshot or warm-up
        (1000, 1000, True),
        (1400, 1000, True),
        (1600, 1000, False),  # customers appeared from nowhere (a doubled load)
        (600, 1000, False),  # customers vanished (a missing channel export)
    ],
)
def test_customer_count_change_is_judged_against_the_previous_snapshot(current, previous, passed):
    assert judge(current, previous, 1.5)[0] is passed


def _features(home, counts: dict[str, int], first_order: str) -> None:
    """marts.customer_features with `counts` customers per snapshot date, the earliest order on `first_order`."""
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.customer_features (snapshot_date DATE, first_order_date DATE)")
        for snapshot, n in counts.items():
            con.execute("INSERT INTO marts.customer_features SELECT ?::DATE, ?::DATE FROM range(?)",
                        [snapshot, first_order, n])  # fmt: skip


def test_the_previous_snapshot_is_the_latest_before_and_warm_up_is_not_judged(home):
    _features(home, {"2024-11-30": 50, "2024-12-31": 100, "2025-01-31": 400}, first_order="2024-01-02")
    stratify = StratifyResource()
    # December is the latest before January, but within a year of the first order: customers still accumulate.
    assert _counts(stratify, date(2025, 1, 31)) == (400, None, None)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("UPDATE marts.customer_features SET first_order_date = '2023-06-01'")
    assert _counts(stratify, date(2025, 1, 31)) == (400, date(2024, 12, 31), 100)  # not November's 50
    assert judge(400, 100, 1.5)[0] is False
    assert _counts(stratify, date(2024, 11, 30)) == (50, None, None)  # the first snapshot has no previous
