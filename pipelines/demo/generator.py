"""Seeded generator of multi-channel order lines (`stratify demo-data`).

Deterministic: the same arguments give byte-identical files. The period ends on a fixed date by default
so that a demo is reproducible; downstream stages judge time by the data's own clock.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from pipelines.demo.archetypes import ARCHETYPES

CATEGORIES = ("apparel", "footwear", "beauty", "home", "electronics", "grocery")
CATEGORY_PRICE = (35.0, 70.0, 22.0, 30.0, 120.0, 6.0)
# Month weights: a December peak and a summer dip, as retail has.
SEASONALITY = np.array([0.9, 0.8, 0.9, 1.0, 1.0, 0.9, 0.85, 0.9, 1.0, 1.05, 1.25, 1.6])
POS_HEADER = ["receipt_id", "line_no", "loyalty_id", "sold_at", "sku", "qty", "unit_price", "store_id"]
ECOM_HEADER = ["order_number", "line_id", "customer_ref", "created_at", "product_sku", "quantity", "price"]


@dataclass(frozen=True)
class DemoSpec:
    customers: int = 5000
    days: int = 730
    end: date = date(2025, 12, 31)
    seed: int = 7

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)


def _order_days(rng: np.random.Generator, n: int, first: int, last: int, start: date) -> np.ndarray:
    """Draw n order days in [first, last] weighted by the month's seasonality."""
    span = np.arange(first, last + 1)
    months = np.array([(start + timedelta(days=int(d))).month - 1 for d in span])
    weights = SEASONALITY[months] / SEASONALITY[months].sum()
    return np.sort(rng.choice(span, size=n, replace=True, p=weights))


def _customer_orders(rng: np.random.Generator, spec: DemoSpec, customer_id: str, arch) -> list[dict]:
    """All orders of one customer, each with its lines."""
    joined = int(rng.integers(0, spec.days))
    active_days = max(1, int((spec.days - joined) * arch.active_fraction))
    last = min(spec.days - 1, joined + active_days)
    expected = arch.orders_per_year * (last - joined + 1) / 365.0
    n_orders = max(1, int(rng.poisson(expected)))
    orders = []
    for day in _order_days(rng, n_orders, joined, last, spec.start):
        channel = "ecommerce" if rng.random() < arch.ecommerce_share else "pos"
        seconds = int(rng.integers(8 * 3600, 21 * 3600))
        at = datetime.combine(spec.start + timedelta(days=int(day)), datetime.min.time())
        at += timedelta(seconds=seconds)
        basket = rng.gamma(4.0, arch.basket_eur / 4.0)
        n_lines = 1 + int(rng.poisson(1.2))
        cats = rng.integers(0, len(CATEGORIES), size=n_lines)
        prices = np.array([CATEGORY_PRICE[c] for c in cats]) * rng.lognormal(0, 0.25, n_lines)
        prices *= basket / prices.sum()
        lines = [
            (f"SKU-{CATEGORIES[c][:3].upper()}-{int(rng.integers(1, 400)):04d}", 1, round(float(p), 2))
            for c, p in zip(cats, prices, strict=True)
        ]
        orders.append({"customer_id": customer_id, "at": at, "channel": channel, "lines": lines})
    return orders


def generate(spec: DemoSpec, out: Path) -> dict[str, int]:
    """Write monthly CSV files per channel plus `_truth/customers.csv`; return line counts per channel."""
    rng = np.random.default_rng(spec.seed)
    shares = np.array([a.share for a in ARCHETYPES])
    kinds = rng.choice(len(ARCHETYPES), size=spec.customers, p=shares / shares.sum())
    orders: list[dict] = []
    truth = []
    for i, kind in enumerate(kinds):
        customer_id = f"L{i + 1:08d}"
        truth.append((customer_id, ARCHETYPES[kind].name))
        orders.extend(_customer_orders(rng, spec, customer_id, ARCHETYPES[kind]))
    orders.sort(key=lambda o: (o["at"], o["customer_id"]))
    return _write(orders, truth, out)


def _write(orders: list[dict], truth: list[tuple[str, str]], out: Path) -> dict[str, int]:
    counts = {"pos": 0, "ecommerce": 0}
    writers: dict[tuple[str, str], tuple] = {}
    try:
        for n, order in enumerate(orders, start=1):
            month = order["at"].strftime("%Y-%m")
            key = (order["channel"], month)
            if key not in writers:
                folder = out / order["channel"]
                folder.mkdir(parents=True, exist_ok=True)
                handle = open(folder / f"{order['channel']}_{month}.csv", "w", newline="", encoding="utf-8")
                writer = csv.writer(handle)
                writer.writerow(POS_HEADER if order["channel"] == "pos" else ECOM_HEADER)
                writers[key] = (handle, writer)
            writer = writers[key][1]
            for line_no, (sku, qty, price) in enumerate(order["lines"], start=1):
                at = order["at"].strftime("%Y-%m-%d %H:%M:%S")
                if order["channel"] == "pos":
                    row = [f"R{n:09d}", line_no, order["customer_id"], at, sku, qty, f"{price:.2f}", "S001"]
                else:
                    row = [f"W{n:09d}", line_no, order["customer_id"], at, sku, qty, f"{price:.2f}"]
                writer.writerow(row)
                counts[order["channel"]] += 1
    finally:
        for handle, _ in writers.values():
            handle.close()
    truth_dir = out / "_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    with open(truth_dir / "customers.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "archetype"])
        writer.writerows(truth)
    return counts
