"""Activity drift: what customers did in the snapshot's own period against the reference period, per market.

Customer features look back 90 or 365 days over every customer, inactive ones included, so a change in the
last weeks is diluted there. The orders of the period itself show it plainly, in figures a CRM lead uses:
spend per order (relative change of the mean, Welch t-test, PSI over the reference's quantile bins as
supporting evidence) and the channel mix (each channel's share of orders, change in points, two-proportion
z-test). Effects are sizes a CRM team cares about, not PSI, so they mean the same at any sample size; the test
only decides whether the effect can be told from chance.

Periods: the snapshot's period is the cadence window ending on the snapshot date; the reference period is the
one ending on the reference snapshot, or, when no earlier snapshot is built, the period just before the
snapshot's own (the order lines of every period are in the warehouse either way).

Market: the order's country (country_code of intermediate.int_orders__unified: the store's country for POS
sales, the order's for online channels). Every order has one, guests and channel ids never linked to a member
included, and it is where the sales are booked. Purchase orders only: an order counts with its net amount in
the base currency when that is positive; refunds and cancellations (net <= 0) are left out.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from pipelines.config import DriftActivityConfig
from pipelines.drift.features import ALL_MARKETS, in_market, markets_of
from pipelines.drift.metrics import compare_numeric, scipy_stats, status_of
from pipelines.resources import table_exists
from pipelines.warehouse_frames import fetch_frame

ORDER_VALUE, CHANNEL_SHARE = "order_value", "channel_share"
TABLE = "intermediate.int_orders__unified"
ORDERS_SQL = f"""
SELECT channel, order_id, any_value(country_code) AS market, sum(net_amount_base) AS amount,
       min(order_date) AS order_date
FROM {TABLE}
WHERE order_date BETWEEN ? AND ?
GROUP BY channel, order_id
HAVING sum(net_amount_base) > 0
"""


def period_of(snapshot: date, cadence: str) -> tuple[date, date]:
    """First and last day of the cadence window that ends on the snapshot date."""
    if cadence == "monthly":
        return snapshot.replace(day=1), snapshot
    return snapshot - timedelta(days=6), snapshot


def reference_period(snapshot: date, reference: date | None, cadence: str) -> tuple[date, date]:
    """The reference snapshot's period, or the period just before the snapshot's when none is built."""
    if reference is not None:
        return period_of(reference, cadence)
    start, _ = period_of(snapshot, cadence)
    return period_of(start - timedelta(days=1), cadence)


def has_orders_table(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, *TABLE.split("."))


def load_orders(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    """Purchase orders with their channel, market (order country) and net amount in the base currency."""
    frame = fetch_frame(con, ORDERS_SQL, [start, end])  # through Arrow: 0.18 s for 313k orders, .df() 0.45 s
    frame["market"] = frame["market"].fillna("unknown")
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def order_value_change(reference: pd.Series, current: pd.Series, bins: int) -> dict:
    """Mean and median spend per order before and after, the relative change, Welch's t-test and PSI."""
    ref = reference.to_numpy(dtype="float64")
    cur = current.to_numpy(dtype="float64")
    comparison = compare_numeric(reference, current, bins)
    ref_shares, cur_shares = comparison.shares()
    mean_ref = float(ref.mean()) if ref.size else None
    mean_cur = float(cur.mean()) if cur.size else None
    p_value = None
    if ref.size >= 2 and cur.size >= 2 and (ref.var() > 0 or cur.var() > 0):
        p_value = float(scipy_stats().ttest_ind(cur, ref, equal_var=False).pvalue)
    median_ref = float(np.median(ref)) if ref.size else None
    median_cur = float(np.median(cur)) if cur.size else None
    return {
        "reference": mean_ref,
        "current": mean_cur,
        "change": mean_cur / mean_ref - 1 if mean_ref and mean_cur is not None else None,
        "median_reference": median_ref,
        "median_current": median_cur,
        "median_change": median_cur / median_ref - 1 if median_ref and median_cur is not None else None,
        "test": "welch",
        "p_value": p_value,
        "psi": comparison.psi,
        "bins": comparison.labels,
        "reference_share": ref_shares,
        "current_share": cur_shares,
    }


def share_change(ref_hits: int, ref_n: int, cur_hits: int, cur_n: int) -> dict:
    """A share before and after, its change in points and the two-proportion z-test's p-value."""
    ref_share = ref_hits / ref_n if ref_n else None
    cur_share = cur_hits / cur_n if cur_n else None
    p_value = None
    if ref_n and cur_n:
        pooled = (ref_hits + cur_hits) / (ref_n + cur_n)
        se = np.sqrt(pooled * (1 - pooled) * (1 / ref_n + 1 / cur_n))
        if se > 0:
            p_value = float(2 * scipy_stats().norm.sf(abs(cur_share - ref_share) / se))
    return {
        "reference": ref_share,
        "current": cur_share,
        "change": cur_share - ref_share if ref_share is not None and cur_share is not None else None,
        "test": "z",
        "p_value": p_value,
    }


def judge_effect(change: float | None, p_value: float | None, sizes: tuple[int, int], watch: float, alert: float,
                 cfg: DriftActivityConfig) -> str:  # fmt: skip
    """small_sample below min_orders; ok unless the test backs the change (p < p_value); else by effect size."""
    if min(sizes) < cfg.min_orders:
        return "small_sample"
    if change is None or p_value is None or p_value >= cfg.p_value:
        return "ok"
    return status_of(abs(change), watch, alert)


def activity_drift(
    reference: pd.DataFrame, current: pd.DataFrame, cfg: DriftActivityConfig, bins: int, currency: str = ""
) -> list[dict]:
    """Per market (all markets first): spend per order, and each channel's share of orders.

    Each item carries its alert threshold (`threshold`, the effect that raises an alert) for ranking and the table.
    """
    markets = markets_of(reference, current)
    channels = sorted(set(reference["channel"]) | set(current["channel"]))
    items: list[dict] = []
    for market in markets:
        ref, cur = in_market(reference, market), in_market(current, market)
        sizes = (len(ref), len(cur))
        base = {"market": market, "n_reference": sizes[0], "n_current": sizes[1]}
        value = order_value_change(ref["amount"], cur["amount"], bins)
        status = judge_effect(value["change"], value["p_value"], sizes, cfg.order_value_watch,
                              cfg.order_value_alert, cfg)  # fmt: skip
        items.append({"metric": ORDER_VALUE, "channel": None, **base, **value, "status": status,
                      "threshold": cfg.order_value_alert, "currency": currency})  # fmt: skip
        ref_counts, cur_counts = ref["channel"].value_counts(), cur["channel"].value_counts()
        for channel in channels:
            share = share_change(int(ref_counts.get(channel, 0)), sizes[0], int(cur_counts.get(channel, 0)), sizes[1])
            status = judge_effect(share["change"], share["p_value"], sizes, cfg.share_watch, cfg.share_alert, cfg)
            items.append({"metric": CHANNEL_SHARE, "channel": channel, **base, **share, "status": status,
                          "threshold": cfg.share_alert})  # fmt: skip
    return items


def compare_activity(
    con: duckdb.DuckDBPyConnection,
    snapshot: date,
    reference: date | None,
    cadence: str,
    cfg: DriftActivityConfig,
    bins: int,
    currency: str = "",
) -> tuple[dict | None, list[str]]:
    """The activity comparison of the snapshot's period with the reference period, and notes on what was left out."""
    if not has_orders_table(con):
        return None, [f"activity: {TABLE} does not exist, orders not compared"]
    current_period, ref_period = period_of(snapshot, cadence), reference_period(snapshot, reference, cadence)
    ref, cur = load_orders(con, *ref_period), load_orders(con, *current_period)
    notes = []
    if reference is None:
        notes.append(
            f"activity: no earlier snapshot built; orders compared with the period before "
            f"({ref_period[0].isoformat()} to {ref_period[1].isoformat()})"
        )
    if ref.empty or cur.empty:
        notes.append("activity: no purchase orders in one of the periods, not compared")
        return None, notes
    return {
        "current_period": [d.isoformat() for d in current_period],
        "reference_period": [d.isoformat() for d in ref_period],
        "orders": {"reference": len(ref), "current": len(cur)},
        "currency": currency,
        "thresholds": cfg.model_dump(),
        "items": activity_drift(ref, cur, cfg, bins, currency),
    }, notes


def label(item: dict) -> str:
    """What an activity item measures, in a CRM lead's words."""
    return "spend per order" if item["metric"] == ORDER_VALUE else f"{item['channel']} share of orders"


def change_text(item: dict) -> str:
    """The change as people say it: '-37%' for spend per order, '+11 pp' for a share."""
    if item["metric"] == ORDER_VALUE:
        return f"{item['change']:+.0%}"
    return f"{item['change'] * 100:+.0f} pp"


def headline(item: dict) -> str:
    """'FR spend per order -37%', 'app share of orders +13 pp across all markets'."""
    if item["market"] == ALL_MARKETS:
        return f"{label(item)} {change_text(item)} across all markets"
    return f"{item['market']} {label(item)} {change_text(item)}"


def _figure(item: dict, value: float | None) -> str:
    if value is None:
        return "-"
    if item["metric"] == ORDER_VALUE:
        return f"{value:,.2f} {item.get('currency') or ''}".strip()
    return f"{value:.1%}"


TEST_NAMES = {"welch": "Welch t-test", "z": "z-test"}


def describe_activity(item: dict) -> str:
    """'FR spend per order -37% (82.22 EUR → 51.86 EUR, Welch t-test p=1e-15)'."""
    test = TEST_NAMES.get(item["test"], item["test"])
    p_value = "" if item["p_value"] is None else f", {test} p={item['p_value']:.1g}"
    return f"{headline(item)} ({_figure(item, item['reference'])} → {_figure(item, item['current'])}{p_value})"


def summary_lines(items: list[dict]) -> list[str]:
    """Activity items grouped by what moved (spend per order, a channel's share), largest effect first.

    A change seen in all markets is one line, with each market's figure after it, so that a rise of the app
    everywhere reads as one story and not as six.
    """
    groups: dict[tuple, list[dict]] = {}
    for item in items:
        groups.setdefault((item["metric"], item["channel"]), []).append(item)
    lines = []
    for group in sorted(groups.values(), key=lambda g: -max(abs(i["change"]) / i["threshold"] for i in g)):
        overall = next((i for i in group if i["market"] == ALL_MARKETS), None)
        markets = sorted((i for i in group if i["market"] != ALL_MARKETS), key=lambda i: -abs(i["change"]))
        if overall is None:
            lines += [describe_activity(i) for i in markets]
        else:
            by_market = ", ".join(f"{i['market']} {change_text(i)}" for i in markets)
            lines.append(describe_activity(overall) + (f"; by market: {by_market}" if by_market else ""))
    return lines
