"""Which snapshots `stratify run` builds: the latest complete periods by the data's own clock, or those asked for
when their periods hold orders (monthly cadence from 2024-01-01, three latest, as the shipped config has it);
and a run that stays stoppable."""

import io
import signal
from datetime import date

import dagster as dg
import duckdb
import pytest

from pipelines.orchestration.runner import RunOutcome, _execute, _snapshot_keys
from pipelines.resources import StratifyResource


def _orders_until(home, last: str | None) -> StratifyResource:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA intermediate; CREATE TABLE intermediate.int_orders__unified (order_date DATE)")
        if last:
            con.execute("INSERT INTO intermediate.int_orders__unified VALUES ('2023-06-05'), (?)", [last])
    return StratifyResource()


@pytest.mark.parametrize(
    ("last", "keys"),
    [
        ("2025-12-31", ["2025-10-01", "2025-11-01", "2025-12-01"]),  # December is complete on its last day
        ("2025-12-30", ["2025-09-01", "2025-10-01", "2025-11-01"]),  # not yet: the three before it
        ("2024-02-29", ["2024-01-01", "2024-02-01"]),  # fewer complete periods than three since start_date
    ],
)
def test_without_dates_the_latest_complete_periods_are_built(home, last, keys):
    assert _snapshot_keys(_orders_until(home, last), None) == (keys, None)


def test_an_empty_warehouse_or_one_without_a_complete_period_builds_nothing(home):
    assert _snapshot_keys(_orders_until(home, None), None) == ([], "no orders in the warehouse; land order files first")
    (home / "warehouse.duckdb").unlink()
    keys, problem = _snapshot_keys(_orders_until(home, "2023-12-20"), None)
    assert keys == [] and problem == "no complete snapshot period in the data (its last order is of 2023-12-20)"


def test_dates_asked_for_are_built_when_their_periods_hold_orders(home):
    stratify = _orders_until(home, "2025-12-31")
    assert _snapshot_keys(stratify, (date(2025, 11, 1), date(2025, 12, 31))) == (["2025-11-01", "2025-12-01"], None)
    keys, problem = _snapshot_keys(stratify, (date(2025, 12, 31), date(2026, 2, 28)))
    assert keys == [] and problem.startswith("no orders in the period of snapshot(s) 2026-01-31, 2026-02-28")
    keys, problem = _snapshot_keys(stratify, (date(2025, 12, 1), date(2025, 12, 30)))
    assert keys == [] and problem.startswith("no snapshot date between 2025-12-01 and 2025-12-30")


def test_a_run_started_in_the_background_still_hears_sigterm(home):
    """Started from cron or with `&`, a process ignores SIGINT; Dagster maps SIGTERM to SIGINT's handler when
    a run ends, so `stratify run` went on ignoring SIGTERM (`timeout`, `kill`) after its first job."""

    @dg.op
    def one() -> int:
        return 1

    @dg.job
    def tiny():
        one()

    sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
    sigterm = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a fresh process has it
    try:
        result = _execute(tiny, dg.DagsterInstance.ephemeral(), lambda line: None, None, RunOutcome(), io.StringIO())
        after = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGINT, sigint)
        signal.signal(signal.SIGTERM, sigterm)
    assert result.success
    assert after == signal.SIG_DFL
