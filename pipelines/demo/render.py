"""Order lines as each source system writes them: its own column names, ids, clocks and number formats.

All columns are Arrow strings built with vectorised compute functions and `take` from small lookup
tables, so rendering costs a few passes over C arrays rather than a Python call per value. Strings
also let dirty.py put any bad value into any column, as a broken export would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.archetypes import CATEGORIES, SKUS_PER_CATEGORY
from pipelines.demo.clock import time_text
from pipelines.demo.orders import APP, ECOMMERCE, MARKETPLACE, POS, Lines
from pipelines.demo.people import People, email_variants
from pipelines.demo.world import World, text

COLUMNS = {
    "pos": ["store_id", "receipt_id", "line_no", "sold_at", "loyalty_id", "sku", "category", "qty",
            "unit_price", "discount", "currency", "is_return"],
    "ecommerce": ["order_number", "line_id", "customer_email", "delivery_phone", "ship_country", "created_at",
                  "sku", "category", "quantity", "price", "discount", "currency"],
    "app": ["order_id", "line_no", "app_user_id", "account_email", "device_id_hash", "event_time", "sku",
            "category", "qty", "unit_price", "discount", "currency", "country"],
    "marketplace": ["buyer_id", "mp_order_id", "item_seq", "order_ts", "sku", "category", "units",
                    "unit_price", "currency", "buyer_country", "loyalty_number", "buyer_phone"],
}  # fmt: skip
ORDER_ID_PREFIX = {POS: "R", ECOMMERCE: "W", APP: "A", MARKETPLACE: "MP-"}
SOURCE_OF = {POS: "pos", ECOMMERCE: "ecommerce", APP: "app", MARKETPLACE: "marketplace"}


@dataclass(frozen=True)
class Block:
    """The lines of one chunk that go to one monthly file."""

    source: str
    file: str  # path under `out` without the parquet part suffix
    idx: np.ndarray  # line indices
    decimal: str = "."


def blocks(world: World, lines: Lines) -> Iterator[Block]:
    """Split a chunk's lines by channel and month (lines are sorted by channel, then day); DE POS apart."""
    de = np.array([c.code == "DE" for c in world.countries])
    bounds = np.searchsorted(lines.channel, np.arange(5))
    for ch in (POS, ECOMMERCE, APP, MARKETPLACE):
        idx = np.arange(bounds[ch], bounds[ch + 1])
        month = world.clock.month_of_day[lines.day[idx]]
        cuts = np.searchsorted(month, np.arange(len(world.clock.months) + 1))
        for m, label in enumerate(world.clock.months):
            part = idx[cuts[m] : cuts[m + 1]]
            if not len(part):
                continue
            if ch != POS:
                yield Block(SOURCE_OF[ch], _file_name(ch, label), part)
                continue
            in_de = de[lines.country[part]]
            if (~in_de).any():
                yield Block("pos", f"pos/pos_{label}.csv", part[~in_de])
            if in_de.any():
                yield Block("pos", f"pos_de/pos_de_{label}.csv", part[in_de], decimal=",")


def _file_name(channel: int, month: str) -> str:
    return {
        ECOMMERCE: f"ecommerce/web_orders_{month}.csv",
        APP: f"app/app_orders_{month}.jsonl",
        MARKETPLACE: f"marketplace/marketplace_{month}",
    }[channel]


class Renderer:
    """Lookup tables built once per run; `table` renders one block of one chunk."""

    def __init__(self, world: World):
        self.world = world
        self.store_id = text(s.store_id for s in world.stores)
        self.currency = text(c.currency for c in world.countries)
        self.code = text(c.code for c in world.countries)
        self.name = text(c.name for c in world.countries)
        self.category = text(CATEGORIES)
        self.sku = text(f"{c[:3].upper()}-{n:05d}" for c in CATEGORIES for n in range(SKUS_PER_CATEGORY))
        self.time = time_text()

    def table(self, block: Block, lines: Lines, people: People, id_base: np.ndarray) -> pa.Table:
        """Render one block; id_base holds the first order number of this chunk per channel."""
        i = block.idx
        ch = int(lines.channel[i[0]])
        order_no = id_base[ch] + lines.order[i] + 1
        unit, disc = lines.unit[i], lines.disc[i]
        factor = self.world.incidents.money_factor(block.source, lines.day[i])  # the `cents` incident
        if factor is not None:
            unit, disc = unit * factor, disc * factor
        common = {
            "order_id": _numbered(ORDER_ID_PREFIX[ch], order_no, 10),
            "line_no": _int_text(lines.line_no[i]),
            "sku": self.sku.take(lines.category[i] * SKUS_PER_CATEGORY + lines.sku[i]),
            "category": self.category.take(lines.category[i]),
            "qty": _int_text(lines.qty[i]),
            "unit_price": self.money(unit, lines.country[i], block.decimal),
            "discount": self.money(disc, lines.country[i], block.decimal),
            "currency": self.currency.take(lines.country[i]),
        }
        person = lines.person[i]
        cols = [self.pos, self.web, self.app, self.marketplace][ch](lines, i, people, person, common)
        return pa.table({name: cols[name] for name in COLUMNS[block.source]})

    def pos(self, lines: Lines, i, people: People, person, c: dict) -> dict:
        c["store_id"] = self.store_id.take(lines.store[i])
        c["receipt_id"] = c["order_id"]
        c["sold_at"] = self.stamp(lines.day[i], lines.tod[i], " ")
        c["loyalty_id"] = pc.if_else(pa.array(lines.linked[i]), people.loyalty_id.take(person), "")
        c["is_return"] = pc.if_else(pa.array(lines.is_return[i]), "1", "0")
        return c

    def web(self, lines: Lines, i, people: People, person, c: dict) -> dict:
        offset = self.world.clock.offset_text.take(lines.country[i] * self.world.clock.days + lines.day[i])
        c.update(order_number=c["order_id"], line_id=c["line_no"], quantity=c["qty"], price=c["unit_price"])
        c["customer_email"] = email_variants(people.email.take(person), lines.email_form[i])
        c["delivery_phone"] = _shown(lines.has_phone[i], people.phone.take(person), "")
        c["ship_country"] = self.name.take(lines.country[i])
        c["created_at"] = pc.binary_join_element_wise(self.stamp(lines.day[i], lines.tod[i], "T"), offset, "")
        return c

    def app(self, lines: Lines, i, people: People, person, c: dict) -> dict:
        c["app_user_id"] = people.app_user_id.take(person)
        c["account_email"] = people.email.take(person)  # the app account's login
        c["device_id_hash"] = people.device_hash.take(person * 2 + lines.device[i])
        c["event_time"] = pc.binary_join_element_wise(self.stamp(lines.day[i], lines.tod[i], "T"), "Z", "")
        c["country"] = self.code.take(lines.country[i])
        return c

    def marketplace(self, lines: Lines, i, people: People, person, c: dict) -> dict:
        c.update(mp_order_id=c["order_id"], item_seq=c["line_no"], units=c["qty"])
        c["buyer_id"] = people.buyer_id.take(person)
        c["order_ts"] = self.stamp(lines.day[i], lines.tod[i], " ")
        c["buyer_country"] = self.name.take(lines.country[i])
        linked = pa.array(lines.linked[i])
        c["loyalty_number"] = pc.if_else(linked, people.loyalty_id.take(person), pa.scalar(None, pa.string()))
        c["buyer_phone"] = _shown(lines.has_phone[i], people.phone.take(person), pa.scalar(None, pa.string()))
        return c

    def stamp(self, day: np.ndarray, tod: np.ndarray, sep: str) -> pa.Array:
        return pc.binary_join_element_wise(self.world.clock.day_text.take(day), self.time.take(tod), sep)

    def money(self, minor: np.ndarray, country: np.ndarray, decimal: str) -> pa.Array:
        """Integer minor units as text: 1250 -> '12.50' (or '12,50'); yen stay whole: 1250 -> '1250'."""
        a = np.abs(minor)
        whole = _int_text(a // 100)
        cents = pc.utf8_lpad(_int_text(a % 100), 2, "0")
        two = pc.binary_join_element_wise(whole, cents, decimal)
        body = pc.if_else(pa.array(self.world.decimals[country] == 0), _int_text(a), two)
        return pc.binary_join_element_wise(pc.if_else(pa.array(minor < 0), "-", ""), body, "")


def _shown(mask: np.ndarray, values: pa.Array, otherwise) -> pa.Array:
    return pc.if_else(pa.array(mask), values, otherwise)


def _int_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(_int_text(numbers), width, "0"), "")
