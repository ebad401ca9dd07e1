"""Readers for the demo generator's landing files, written against the file contract only.

They do not import the generator's renderers: a test that read files with the code that wrote them
would agree with any mistake in it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

COUNTRY_NAMES = {"Germany": "DE", "France": "FR", "United Kingdom": "GB", "United States": "US", "Japan": "JP"}
ORDER_SOURCES = ("pos", "ecommerce", "app", "marketplace")


def sep_of(file: str) -> str:
    return ";" if file.startswith("pos_de/") else ","


def data_files(out: Path, source: str) -> list[str]:
    """The regular monthly files of an order-line source (not the extra rejected ones)."""
    patterns = {
        "pos": ["pos/pos_????-??.csv", "pos_de/pos_de_????-??.csv"],
        "ecommerce": ["ecommerce/web_orders_????-??.csv"],
        "app": ["app/app_orders_????-??.jsonl"],
        "marketplace": ["marketplace/marketplace_????-??_part*.parquet"],
    }[source]
    return sorted(p.relative_to(out).as_posix() for pat in patterns for p in out.glob(pat))


def header(out: Path, file: str) -> list[str]:
    if file.endswith(".parquet"):
        return pq.read_schema(out / file).names
    if file.endswith(".jsonl"):
        with open(out / file, encoding="utf-8") as handle:
            return list(json.loads(handle.readline()))
    with open(out / file, encoding="utf-8") as handle:
        return handle.readline().rstrip("\n").split(sep_of(file))


def rows(out: Path, file: str) -> list[list]:
    """Data rows as lists of values (strings; None for a Parquet null), header excluded."""
    if file.endswith(".parquet"):
        return [list(r.values()) for r in pq.read_table(out / file).to_pylist()]
    text = (out / file).read_text(encoding="utf-8")
    if file.endswith(".jsonl"):
        return [list(json.loads(line).values()) for line in text.splitlines()]
    return [r for r in csv.reader(io.StringIO(text), delimiter=sep_of(file))][1:]


def frame(out: Path, file: str) -> pd.DataFrame:
    return pd.DataFrame(rows(out, file), columns=header(out, file)).assign(file=file)


def truth(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "_truth" / name, dtype=str, keep_default_na=False)


def number(values: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Parse prices; blank or malformed values become NaN."""
    text = values.str.replace(",", ".", regex=False) if decimal_comma else values
    return pd.to_numeric(text, errors="coerce")


def order_lines(out: Path) -> pd.DataFrame:
    """All regular order lines in one canonical frame: channel, order_id, at, country, qty, price..."""
    stores = pd.read_csv(out / "stores/stores.csv", dtype=str).set_index("store_id")["country"]
    parts = []
    for file in data_files(out, "pos"):
        f = frame(out, file)
        parts.append(
            _canonical(
                f,
                "pos",
                "receipt_id",
                "sold_at",
                f.store_id.map(stores),
                "qty",
                "unit_price",
                decimal_comma=file.startswith("pos_de/"),
            )
        )
    for file in data_files(out, "ecommerce"):
        f = frame(out, file)
        parts.append(
            _canonical(
                f, "ecommerce", "order_number", "created_at", f.ship_country.map(COUNTRY_NAMES), "quantity", "price"
            )
        )
    for file in data_files(out, "app"):
        f = frame(out, file)
        parts.append(_canonical(f, "app", "order_id", "event_time", f.country, "qty", "unit_price"))
    for file in data_files(out, "marketplace"):
        f = frame(out, file).assign(discount="0")
        parts.append(
            _canonical(
                f, "marketplace", "mp_order_id", "order_ts", f.buyer_country.map(COUNTRY_NAMES), "units", "unit_price"
            )
        )
    return pd.concat(parts, ignore_index=True)


def _canonical(f, channel, order_id, at, country, qty, price, decimal_comma=False) -> pd.DataFrame:
    out = pd.DataFrame({
        "channel": channel,
        "file": f.file,
        "order_id": f[order_id],
        "at": f[at],
        "day": pd.to_datetime(f[at].str[:10], errors="coerce"),
        "country": country,
        "currency": f.currency,
        "qty": pd.to_numeric(f[qty], errors="coerce"),
        "price_text": f[price],
        "unit_price": number(f[price], decimal_comma),
        "discount": number(f.discount, decimal_comma),
    })  # fmt: skip
    out["net"] = out.qty * out.unit_price - out.discount
    return out
