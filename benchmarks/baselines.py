"""The two baselines Stratify's feature stage is compared with, on the demo's landing files.

Both compute the same RFM features at the snapshot: recency_days (days since the last order on or before
it), frequency_365d (orders in the 365 days ending on it) and monetary_365d (net spend of those orders in
EUR, each line converted at the FX rate of its UTC order day or the latest earlier one). Customers are keyed
by the raw id each channel carries (loyalty id, e-mail, app user id, marketplace buyer id): there is no
identity stitching, which is part of what Stratify's feature stage pays for. The files' layout is
hard-coded, as a hand-written query or a notebook would have it.

Run as `python -m benchmarks.baselines duckdb|pandas LANDING SNAPSHOT OUT.parquet` so that each is measured
as a process of its own; it writes OUT.parquet and OUT.json (seconds spent inside, imports excluded).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

FEATURES = ("recency_days", "frequency_365d", "monetary_365d")

LOWER_BOUND_SQL = """
with
stores as (select store_id, timezone from read_csv('{landing}/stores/*.csv', all_varchar = true)),
fx as (
    select cast(rate_date as date) as rate_date, currency, cast(eur_per_unit as double) as rate
    from read_csv('{landing}/fx/*.csv', all_varchar = true)
),
first_fx as (select currency, arg_min(rate, rate_date) as rate from fx group by currency),
pos_files as (
    select * from read_csv('{landing}/pos/*.csv', types = {{'loyalty_id': 'VARCHAR', 'sold_at': 'TIMESTAMP'}})
    union all by name
    select * from read_csv('{landing}/pos_de/*.csv', delim = ';', decimal_separator = ',',
                           types = {{'loyalty_id': 'VARCHAR', 'sold_at': 'TIMESTAMP'}})
),
lines as (
    select 'pos' as channel, loyalty_id as customer_id, receipt_id as order_id,
           cast(timezone('UTC', timezone(stores.timezone, sold_at)) as date) as order_date,
           qty * unit_price - sign(qty) * discount as net, currency
    from pos_files join stores using (store_id)
    union all
    select 'ecommerce', customer_email, order_number, cast(timezone('UTC', cast(created_at as timestamptz)) as date),
           quantity * price - sign(quantity) * discount, currency
    from read_csv('{landing}/ecommerce/*.csv', types = {{'created_at': 'VARCHAR'}})
    union all
    select 'app', app_user_id, order_id, cast(timezone('UTC', cast(event_time as timestamptz)) as date),
           cast(qty as int) * cast(unit_price as double) - sign(cast(qty as int)) * cast(discount as double),
           currency
    from read_json('{landing}/app/*.jsonl', format = 'newline_delimited', columns = {{
        app_user_id: 'VARCHAR', order_id: 'VARCHAR', event_time: 'VARCHAR', qty: 'VARCHAR',
        unit_price: 'VARCHAR', discount: 'VARCHAR', currency: 'VARCHAR'}})
    union all
    select 'marketplace', buyer_id, mp_order_id, cast(cast(order_ts as timestamp) as date),
           cast(units as int) * cast(unit_price as double), currency
    from read_parquet('{landing}/marketplace/*.parquet')
),
known as (
    select lines.*, round(net * case when lines.currency = 'EUR' then 1 else coalesce(fx.rate, first_fx.rate) end, 4)
           as net_base
    from lines
    asof left join fx on lines.currency = fx.currency and lines.order_date >= fx.rate_date
    left join first_fx on lines.currency = first_fx.currency
    where lines.order_date <= date '{snapshot}' and coalesce(lines.customer_id, '') <> ''
),
orders as (
    select channel, customer_id, order_id, min(order_date) as order_date, sum(net_base) as net_base
    from known group by channel, customer_id, order_id
)
select channel || ':' || customer_id as customer,
       date_diff('day', max(order_date), date '{snapshot}') as recency_days,
       count(*) filter (where order_date >= date '{first_day}') as frequency_365d,
       coalesce(sum(net_base) filter (where order_date >= date '{first_day}'), 0) as monetary_365d
from orders group by channel, customer_id
"""


def first_day(snapshot: date) -> date:
    """First day of the 365-day window ending on the snapshot, as customer_features.sql counts it."""
    return snapshot - timedelta(days=364)


def duckdb_features(landing: Path, snapshot: date, out: Path, threads: int, memory_limit: str) -> float:
    """The lower bound: one query from the files to a Parquet file; returns its seconds."""
    import duckdb

    con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")
    sql = LOWER_BOUND_SQL.format(landing=landing, snapshot=snapshot, first_day=first_day(snapshot))
    started = time.perf_counter()
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    return time.perf_counter() - started


def _pos_frame(landing: Path):
    """Store sales from both POS layouts, their local wall-clock time turned into the UTC order day."""
    import pandas as pd

    cols = ["store_id", "receipt_id", "sold_at", "loyalty_id", "qty", "unit_price", "discount", "currency"]
    kinds = [("pos", {}), ("pos_de", {"sep": ";", "decimal": ","})]
    frames = [
        pd.read_csv(f, usecols=cols, dtype={"loyalty_id": str, "store_id": str}, **opts)
        for folder, opts in kinds
        for f in sorted((landing / folder).glob("*.csv"))
    ]
    pos = pd.concat(frames, ignore_index=True)
    stores = pd.read_csv(landing / "stores" / "stores.csv", dtype=str)[["store_id", "timezone"]]
    pos = pos.merge(stores, on="store_id", how="inner")
    local = pd.to_datetime(pos["sold_at"], format="%Y-%m-%d %H:%M:%S")
    days = []
    for tz, idx in pos.groupby("timezone").groups.items():
        utc = local[idx].dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
        days.append(utc.dt.tz_localize(None).dt.normalize())
    order_date = pd.concat(days).reindex(pos.index)
    net = pos["qty"] * pos["unit_price"] - pos["qty"].clip(-1, 1) * pos["discount"]
    return pd.DataFrame(
        {"channel": "pos", "customer_id": pos["loyalty_id"], "order_id": pos["receipt_id"],
         "order_date": order_date, "net": net, "currency": pos["currency"]}
    )  # fmt: skip


def _online_frames(landing: Path) -> list:
    """Web shop, app and marketplace lines in the common shape, timestamps already in UTC."""
    import numpy as np
    import pandas as pd

    def utc_day(text):
        return pd.to_datetime(text, utc=True, format="ISO8601").dt.tz_localize(None).dt.normalize()

    web = pd.concat(pd.read_csv(f, dtype={"customer_email": str}) for f in sorted(landing.glob("ecommerce/*.csv")))
    app = pd.concat(pd.read_json(f, lines=True, dtype=False) for f in sorted(landing.glob("app/*.jsonl")))
    mkt = pd.concat(pd.read_parquet(f) for f in sorted(landing.glob("marketplace/*.parquet")))
    app_qty, mkt_qty = app["qty"].astype(int), mkt["units"].astype(int)
    return [
        pd.DataFrame({"channel": "ecommerce", "customer_id": web["customer_email"], "order_id": web["order_number"],
                      "order_date": utc_day(web["created_at"]), "currency": web["currency"],
                      "net": web["quantity"] * web["price"] - np.sign(web["quantity"]) * web["discount"]}),
        pd.DataFrame({"channel": "app", "customer_id": app["app_user_id"], "order_id": app["order_id"],
                      "order_date": utc_day(app["event_time"]), "currency": app["currency"],
                      "net": app_qty * app["unit_price"].astype(float)
                      - np.sign(app_qty) * app["discount"].astype(float)}),
        pd.DataFrame({"channel": "marketplace", "customer_id": mkt["buyer_id"], "order_id": mkt["mp_order_id"],
                      "order_date": utc_day(mkt["order_ts"]), "currency": mkt["currency"],
                      "net": mkt_qty * mkt["unit_price"].astype(float)}),
    ]  # fmt: skip


def pandas_features(landing: Path, snapshot: date, out: Path) -> float:
    """The notebook way: read every file, concatenate, convert currency, group by; returns its seconds."""
    import pandas as pd

    started = time.perf_counter()
    lines = pd.concat([_pos_frame(landing), *_online_frames(landing)], ignore_index=True)
    snap, start = pd.Timestamp(snapshot), pd.Timestamp(first_day(snapshot))
    lines = lines[(lines["order_date"] <= snap) & lines["customer_id"].fillna("").ne("")]
    fx = pd.concat(pd.read_csv(f) for f in sorted(landing.glob("fx/*.csv")))
    fx["rate_date"] = pd.to_datetime(fx["rate_date"])
    fx = fx.sort_values("rate_date")
    lines = pd.merge_asof(
        lines.sort_values("order_date"), fx, left_on="order_date", right_on="rate_date", by="currency"
    )
    first_rate = fx.groupby("currency")["eur_per_unit"].first()
    rate = lines["eur_per_unit"].fillna(lines["currency"].map(first_rate)).where(lines["currency"] != "EUR", 1.0)
    lines["net_base"] = (lines["net"] * rate).round(4)
    orders = lines.groupby(["channel", "customer_id", "order_id"], sort=False).agg(
        order_date=("order_date", "min"), net_base=("net_base", "sum")
    )
    orders["in_365d"] = orders["order_date"] >= start
    orders["net_365d"] = orders["net_base"].where(orders["in_365d"], 0.0)
    per = orders.groupby(level=["channel", "customer_id"], sort=False).agg(
        last=("order_date", "max"), frequency_365d=("in_365d", "sum"), monetary_365d=("net_365d", "sum")
    )
    per = per.reset_index()
    result = pd.DataFrame(
        {"customer": per["channel"] + ":" + per["customer_id"], "recency_days": (snap - per["last"]).dt.days,
         "frequency_365d": per["frequency_365d"], "monetary_365d": per["monetary_365d"]}
    )  # fmt: skip
    result.to_parquet(out, index=False)
    return time.perf_counter() - started


def disagreements(a: Path, b: Path) -> list[str]:
    """Where two feature files differ: customers present in one only, or a feature off (money by > 1 cent)."""
    import duckdb

    con = duckdb.connect()
    row = con.execute(
        f"""
        select count(*) filter (where a.customer is null or b.customer is null),
               count(*) filter (where a.recency_days <> b.recency_days or a.frequency_365d <> b.frequency_365d),
               count(*) filter (where abs(a.monetary_365d - b.monetary_365d) > 0.01),
               count(*)
        from read_parquet('{a}') as a full join read_parquet('{b}') as b on a.customer = b.customer
        """
    ).fetchall()[0]
    names = ("customers in one only", "recency/frequency differ", "monetary differs by > 0.01")
    found = [f"{n}: {name}" for n, name in zip(row[:3], names, strict=True) if n]
    return found if row[3] else ["no customers at all"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baselines")
    parser.add_argument("engine", choices=["duckdb", "pandas"])
    parser.add_argument("landing", type=Path)
    parser.add_argument("snapshot", type=date.fromisoformat)
    parser.add_argument("out", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args(argv)
    if args.engine == "duckdb":
        seconds = duckdb_features(args.landing, args.snapshot, args.out, args.threads, args.memory_limit)
    else:
        seconds = pandas_features(args.landing, args.snapshot, args.out)
    args.out.with_suffix(".json").write_text(json.dumps({"seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
