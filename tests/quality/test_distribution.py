"""The FX feed's freshness, judged on rate dates against the data's own clock (quality/distribution.py)."""

from datetime import date, timedelta

import duckdb

from pipelines.config import FreshnessConfig
from pipelines.quality.distribution import stale_fx_rates

TODAY = date(2026, 1, 10)


def _warehouse(lines: list[tuple[str, date]], rates: list[tuple[str, date]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA intermediate; CREATE SCHEMA staging")
    con.execute("CREATE TABLE intermediate.int_orders__unified (currency_code VARCHAR, order_date DATE)")
    con.execute("CREATE TABLE staging.stg_fx_rates__rates (currency_code VARCHAR, rate_date DATE)")
    con.executemany("INSERT INTO intermediate.int_orders__unified VALUES (?, ?)", lines)
    con.executemany("INSERT INTO staging.stg_fx_rates__rates VALUES (?, ?)", rates)
    return con


def test_currencies_of_recent_lines_without_a_recent_rate_are_stale():
    days_ago = lambda n: TODAY - timedelta(days=n)  # noqa: E731
    lines = [("EUR", TODAY), ("GBP", TODAY), ("SEK", days_ago(1)), ("PLN", days_ago(3)), ("CHF", days_ago(60))]
    rates = [("GBP", days_ago(2)), ("SEK", days_ago(21)), ("CHF", days_ago(90)), ("EUR", days_ago(400))]
    with _warehouse(lines, rates) as con:
        stale = stale_fx_rates(con, FreshnessConfig(max_lag_days=7), "EUR")
    # GBP two days behind (a weekend) is fresh; CHF has no line in the last 7 days; EUR is the base currency.
    assert stale == [("PLN", None, None), ("SEK", str(days_ago(21)), 21)]


def test_a_rate_exactly_max_lag_days_behind_is_fresh():
    lines = [("GBP", TODAY)]
    with _warehouse(lines, [("GBP", TODAY - timedelta(days=7))]) as con:
        assert stale_fx_rates(con, FreshnessConfig(max_lag_days=7), "EUR") == []
    with _warehouse(lines, [("GBP", TODAY - timedelta(days=8))]) as con:
        assert stale_fx_rates(con, FreshnessConfig(max_lag_days=7), "EUR") == [("GBP", "2026-01-02", 8)]


def test_with_no_lag_allowed_the_latest_day_is_still_judged():
    """max_lag_days 0: the latest order day's currencies need that day's rate (the window is never empty)."""
    lines = [("GBP", TODAY), ("SEK", TODAY - timedelta(days=1))]
    rates = [("GBP", TODAY - timedelta(days=1)), ("SEK", TODAY - timedelta(days=1))]
    with _warehouse(lines, rates) as con:
        assert stale_fx_rates(con, FreshnessConfig(max_lag_days=0), "EUR") == [("GBP", "2026-01-09", 1)]
