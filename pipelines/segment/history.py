"""Earlier snapshots for training and testing the predictive models, and what customers did after them.

A model predicting the next `horizon` days is trained on a snapshot whose future is already known and
tested on a later one: holdout = the calendar's last snapshot at least `horizon` days before the training
anchor (the snapshot being scored, or its last quarter end: training_anchor), so its outcome window has
closed by the scored snapshot; training snapshot = `lag` days before the holdout.
Dates stay on the snapshot calendar so that any features built for them are exactly the partition's.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from pipelines.config import SegmentConfig
from pipelines.resources import table_exists
from pipelines.warehouse_frames import fetch_frame

OUTCOMES_SQL = """
    select identity.customer_key,
           count(distinct lines.channel || ':' || lines.order_id)
               filter (where lines.quantity > 0 and not lines.is_return) as orders,
           coalesce(sum(lines.net_amount_base), 0)::double as net_spend
    from intermediate.int_orders__unified as lines
    inner join intermediate.int_customers__identity as identity
        on lines.customer_id_kind = identity.id_kind and lines.customer_id = identity.id
    where lines.order_date > ? and lines.order_date <= ?
      and identity.customer_key in (select customer_key from _outcome_keys)
    group by identity.customer_key
"""

# A seeded sample of a snapshot's customers: ranked by a hash of key and seed, which depends on nothing but
# the rows (not on the order DuckDB reads them in), then returned in customer_key order like read_features.
SAMPLE_SQL = """
    with profiled as (
        select * from marts.customer_features where snapshot_date = ? {consent}
        order by md5(customer_key || ?) limit ?
    )
    select * from profiled order by customer_key
"""


def calendar_floor(day: date, cadence: str) -> date:
    """The latest snapshot date on or before day: a month end, or a Sunday for weekly snapshots."""
    if cadence == "weekly":
        return day - timedelta(days=(day.weekday() + 1) % 7)
    if (day + timedelta(days=1)).day == 1:
        return day
    return day.replace(day=1) - timedelta(days=1)


def training_anchor(snapshot: date, retrain_every: str) -> date:
    """The day the training windows count back from: the snapshot, or the last quarter end on or before it.

    Anchored on quarter ends, the monthly snapshots of a quarter train on the same earlier snapshots: each
    feature date costs a pass over every order before it, and a fresh start of three monthly snapshots
    needs 9 dates instead of 15. Models are then up to two months older with monthly snapshots, up to a
    quarter with weekly ones; early in a short history a training date may fall before the first order,
    and a model not fitted then would have been with every snapshot.
    """
    if retrain_every == "snapshot":
        return snapshot
    next_day = snapshot + timedelta(days=1)
    if next_day.day == 1 and snapshot.month % 3 == 0:
        return snapshot
    return date(snapshot.year, 3 * ((snapshot.month - 1) // 3) + 1, 1) - timedelta(days=1)


def training_dates(snapshot: date, horizon_days: int, lag_days: int, cadence: str) -> tuple[date, date]:
    """(training snapshot, holdout snapshot) whose outcome windows have both closed by `snapshot`."""
    holdout = calendar_floor(snapshot - timedelta(days=horizon_days), cadence)
    return calendar_floor(holdout - timedelta(days=lag_days), cadence), holdout


def missing_snapshots(con: duckdb.DuckDBPyConnection, dates: list[date]) -> list[date]:
    """Dates not yet in marts.customer_features (never built as a partition nor for an earlier fit).

    Dates before the first order are left out: they would have no customers, and each build costs a dbt run.
    """
    built: set[date] = set()
    if table_exists(con, "marts", "customer_features"):  # not before the first snapshot run
        built = {r[0] for r in con.execute("select distinct snapshot_date from marts.customer_features").fetchall()}
    first = con.execute("select min(order_date) from intermediate.int_orders__unified").fetchall()[0][0]
    return sorted({d for d in dates if d not in built and first is not None and d >= first})


def read_features(con: duckdb.DuckDBPyConnection, snapshot: date) -> pd.DataFrame:
    """One snapshot of marts.customer_features in customer_key order (the order fits are deterministic in)."""
    sql = "select * from marts.customer_features where snapshot_date = ? order by customer_key"
    return fetch_frame(con, sql, [snapshot])


def read_sample(
    con: duckdb.DuckDBPyConnection, snapshot: date, size: int, seed: int, profiled_only: bool
) -> pd.DataFrame:
    """At most `size` customers of a snapshot (all of them when it has no more), the same ones for the same
    rows and seed; `profiled_only`: customers with profiling consent only, sampled among themselves.

    The churn and value models learn as well from a sample as from every customer of a retailer with
    millions (on the demo their holdout metrics stop improving at 5,000 to 10,000 training customers),
    while reading, fitting and fingerprinting grow with the rows.
    """
    consent = "and coalesce(has_profiling_consent, false)" if profiled_only else ""
    return fetch_frame(con, SAMPLE_SQL.format(consent=consent), [snapshot, str(seed), size])


def read_outcomes(con: duckdb.DuckDBPyConnection, features: pd.DataFrame, snapshot: date, days: int) -> pd.DataFrame:
    """Orders and net spend of each customer of `features` in the `days` after `snapshot` (0 when none);
    only those customers' orders are aggregated (`features` may be a sample)."""
    window_end = snapshot + timedelta(days=days)
    con.register("_outcome_keys", features[["customer_key"]])
    try:
        found = fetch_frame(con, OUTCOMES_SQL, [snapshot, window_end]).set_index("customer_key")
    finally:
        con.unregister("_outcome_keys")
    out = found.reindex(features["customer_key"]).fillna({"orders": 0, "net_spend": 0.0})
    return out.astype({"orders": "int64", "net_spend": "float64"}).reset_index()


def training_plan(snapshot: date, seg: SegmentConfig, cadence: str) -> dict[str, tuple[date, date]]:
    """(training, holdout) snapshot per model, counted back from the training anchor (seg.retrain_every);
    churn's windows never overlap, expected value's may."""
    churn = seg.churn.horizon_days
    value = seg.value_model
    anchor = training_anchor(snapshot, seg.retrain_every)
    return {
        "churn": training_dates(anchor, churn, churn, cadence),
        "clv": training_dates(anchor, value.horizon_days, value.training_lag_days, cadence),
    }
