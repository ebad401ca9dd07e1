"""Set-based quality measures over the unified order lines, judged on the data's own clock."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.config import FreshnessConfig, SpendCheckConfig
from pipelines.resources import table_exists


@dataclass(frozen=True)
class SpendShift:
    channel: str
    market: str
    stat: str
    recent: float
    baseline: float

    @property
    def ratio(self) -> float:
        return self.recent / self.baseline if self.baseline else float("inf")

    def describe(self) -> str:
        return (
            f"{self.channel} in {self.market}: {self.stat} line spend {self.recent:.2f} vs {self.baseline:.2f} "
            f"before (x{self.ratio:.1f})"
        )


def spend_shifts(con: duckdb.DuckDBPyConnection, cfg: SpendCheckConfig) -> list[SpendShift]:
    """Channel/market groups whose recent line spend (mean, median, p90) left [1/max_ratio, max_ratio] x baseline."""
    rows = con.execute(
        """
        WITH clock AS (SELECT max(order_date) AS today FROM intermediate.int_orders__unified),
        lines AS (
            SELECT channel, coalesce(country_code, '??') AS market, net_amount_base AS amount,
                   order_date > today - ?::INTEGER AS is_recent
            FROM intermediate.int_orders__unified, clock
            WHERE order_date > today - (?::INTEGER + ?::INTEGER) AND NOT is_return
        ),
        stats AS (
            SELECT channel, market, is_recent, count(*) AS n, avg(amount) AS mean,
                   quantile_cont(amount, 0.5) AS median, quantile_cont(amount, 0.9) AS p90
            FROM lines GROUP BY ALL
        )
        SELECT r.channel, r.market, r.mean, b.mean, r.median, b.median, r.p90, b.p90
        FROM stats r JOIN stats b ON r.channel = b.channel AND r.market = b.market AND r.is_recent AND NOT b.is_recent
        WHERE r.n >= ? AND b.n >= ?
        ORDER BY r.channel, r.market
    """,
        [cfg.recent_days, cfg.recent_days, cfg.baseline_days, cfg.min_lines, cfg.min_lines],
    ).fetchall()
    shifts = []
    for channel, market, *values in rows:
        for stat, recent, baseline in zip(("mean", "median", "p90"), values[0::2], values[1::2], strict=True):
            shift = SpendShift(channel, market, stat, float(recent), float(baseline))
            if not (1 / cfg.max_ratio <= shift.ratio <= cfg.max_ratio):
                shifts.append(shift)
    return shifts


def stale_channels(con: duckdb.DuckDBPyConnection, cfg: FreshnessConfig) -> list[tuple[str, str, int]]:
    """(channel, latest order date, days behind the latest order overall) for channels lagging too far."""
    rows = con.execute("""
        WITH latest AS (SELECT channel, max(order_date) AS last_day FROM intermediate.int_orders__unified GROUP BY 1)
        SELECT channel, last_day, (SELECT max(last_day) FROM latest) - last_day AS lag FROM latest ORDER BY channel
    """).fetchall()
    return [(channel, str(day), int(lag)) for channel, day, lag in rows if lag > cfg.max_lag_days]


def stale_fx_rates(
    con: duckdb.DuckDBPyConnection, cfg: FreshnessConfig, base: str
) -> list[tuple[str, str | None, int | None]]:
    """(currency, latest rate date, days behind the latest order; None, None without any rate) for each foreign
    currency of recent lines (the latest order's day and the max_lag_days before it, so 0 still judges that day)
    whose rates lag too far: its lines are converted at an old rate (flagged is_fx_fallback). Judged on dates,
    not on the share of fallback lines, which a weekend, a holiday or a run re-converting last week's fallbacks
    pushes over any bound without the feed being late."""
    if not table_exists(con, "staging", "stg_fx_rates__rates"):
        return []
    rows = con.execute(
        """
        WITH clock AS (SELECT max(order_date) AS today FROM intermediate.int_orders__unified),
        used AS (
            SELECT DISTINCT currency_code FROM intermediate.int_orders__unified, clock
            WHERE order_date >= today - ?::INTEGER AND currency_code <> ?
        ),
        rates AS (SELECT currency_code, max(rate_date) AS last_day FROM staging.stg_fx_rates__rates GROUP BY 1)
        SELECT used.currency_code, rates.last_day, today - rates.last_day AS lag
        FROM used CROSS JOIN clock LEFT JOIN rates ON used.currency_code = rates.currency_code
        ORDER BY 1
    """,
        [cfg.max_lag_days, base],
    ).fetchall()
    return [
        (currency, None if day is None else str(day), None if lag is None else int(lag))
        for currency, day, lag in rows
        if lag is None or lag > cfg.max_lag_days
    ]
