"""Vectorised orders and order lines for one chunk of persons.

Every step draws for all orders or all lines of the chunk at once with numpy; there is no Python loop
over orders or lines. The number and order of random draws never depends on the scenario, so a
`shift` run differs from a `steady` run with the same seed only where the scenario says it should:
the same orders exist, some move to the app, and the shift country's recent baskets shrink.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pipelines.demo.archetypes import CATEGORY_EXTRA_UNITS, CATEGORY_PRICE_EUR, SKUS_PER_CATEGORY
from pipelines.demo.clock import sample_hours
from pipelines.demo.people import People
from pipelines.demo.world import SHIFT_APP_FACTOR, SHIFT_BASKET_FACTOR, World

POS, ECOMMERCE, APP, MARKETPLACE = range(4)
RETURN_RATE = 0.04
HOME_STORE_SHARE = 0.85  # POS orders at the person's usual store; the rest at another store nearby
LINK_RATE = np.array([0.85, 0.0, 0.0, 0.0])  # a member scans the loyalty card at the till
EMAIL_VARIED = 0.10  # web orders whose e-mail differs from the CRM's in case or spacing
# Share of persons whose orders carry their delivery phone, per channel: web shoppers who keep a phone in
# their account (optional at checkout), marketplace buyers whose account shares it with sellers. It is the
# only evidence that joins a non-member's marketplace buyer id to anything. Per person, not per order, as
# accounts work: evidence is there from a person's first order, so no later order merges two customers
# that earlier snapshots kept apart (which would change an old snapshot re-run after new data).
PHONE_RATE = np.array([0.0, 0.85, 0.0, 0.75])
DISCOUNT_PCTS = np.array([0.10, 0.15, 0.20, 0.25, 0.30, 0.50])
_PRICE = np.array(CATEGORY_PRICE_EUR)
_EXTRA_UNITS = np.array(CATEGORY_EXTRA_UNITS)


@dataclass(frozen=True)
class Lines:
    """Order lines of one chunk sorted by channel, then time; one array entry per line.

    Amounts are integers of the currency's minor unit (cents; yen for JPY). `tod` is the second of
    the day in local time for POS and web, in UTC for app and marketplace (whose files carry UTC).
    """

    person: np.ndarray
    country: np.ndarray
    channel: np.ndarray
    order: np.ndarray  # number of the order within its channel in this chunk, in time order
    day: np.ndarray
    tod: np.ndarray
    store: np.ndarray
    line_no: np.ndarray
    category: np.ndarray
    sku: np.ndarray
    qty: np.ndarray  # negative on returns
    unit: np.ndarray
    disc: np.ndarray  # money discount on the line, >= 0
    is_return: np.ndarray
    linked: np.ndarray  # the order carries the member's loyalty id (POS, marketplace)
    has_phone: np.ndarray  # the line carries the buyer's delivery phone (web shop, marketplace)
    email_form: np.ndarray  # see people.email_variants
    device: np.ndarray  # which of the person's app devices
    orders_per_channel: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


def make_lines(world: World, people: People, chunk: int) -> Lines:
    rng = np.random.default_rng([world.seed, 2, chunk])
    orders = _orders(rng, world, people)
    lines = _lines(rng, world, people, orders)
    orders, lines = _with_returns(rng, world, people, orders, lines)
    return _with_phones(world, people, chunk, _sorted(people, orders, lines))


def _with_phones(world: World, people: People, chunk: int, lines: Lines) -> Lines:
    """Which lines show a delivery phone: one draw per person and channel on a stream of its own, so adding
    phones left every other draw of a seed (and every figure measured on it) as it was."""
    rng = np.random.default_rng([world.seed, 8, chunk])
    shares = rng.random((len(people), len(PHONE_RATE))) < PHONE_RATE
    return replace(lines, has_phone=shares[lines.person, lines.channel])


def _orders(rng: np.random.Generator, world: World, people: People) -> dict[str, np.ndarray]:
    """Orders per person from the archetype's rate over the person's active days, seasonally placed."""
    a, clock = world.arch, world.clock
    active = people.last_day - people.first_day + 1
    counts = np.maximum(1, rng.poisson(a.orders_per_year[people.arch] * people.freq * active / 365.0))
    person = np.repeat(np.arange(len(people)), counts)
    lo, hi = clock.day_cum[people.first_day[person]], clock.day_cum[people.last_day[person] + 1]
    day = np.searchsorted(clock.day_cum, lo + rng.random(len(person)) * (hi - lo), side="right") - 1
    day = np.clip(day, people.first_day[person], people.last_day[person])
    late = day >= clock.shift_day
    channel = _channels(rng.random(len(person)), people.mix[person], late)
    country = people.country[person]
    n = len(person)
    basket = rng.gamma(3.0, 1.0 / 3.0, n) * a.basket_eur[people.arch[person]] * people.spend[person]
    basket *= np.where(late & (country == world.shift_country), SHIFT_BASKET_FACTOR, 1.0)
    return {
        "person": person,
        "channel": channel,
        "day": day,
        "tod": _times(rng, world, channel, country, day),
        "store": _stores(rng, world, people, person),
        "basket": basket,
        "linked": people.member[person]
        & ((rng.random(n) < LINK_RATE[channel]) | ((channel == 3) & people.mp_linked[person])),
        "email_form": np.where(rng.random(n) < EMAIL_VARIED, rng.integers(1, 4, n), 0),
        "device": ((rng.random(n) < 0.3) & (people.devices[person] == 2)).astype(np.int64),
        "n_lines": 1 + rng.poisson(a.extra_lines[people.arch[person]]),
        "is_return": np.zeros(n, dtype=bool),
    }


def _channels(u: np.ndarray, p: np.ndarray, late: np.ndarray) -> np.ndarray:
    """Channel per order by inverse CDF; in the shift window the app's probability is multiplied."""
    app = p[:, APP]
    boosted = np.where(late, np.maximum(app, np.minimum(app * SHIFT_APP_FACTOR, 0.9)), app)
    scale = (1.0 - boosted) / np.maximum(1.0 - app, 1e-12)
    p = p * scale[:, None]
    p[:, APP] = boosted
    return np.minimum((u[:, None] >= np.cumsum(p, axis=1)).sum(axis=1), MARKETPLACE)


def _times(rng, world: World, channel, country, day) -> np.ndarray:
    """Second of day: local for POS and web; UTC for app and marketplace, kept on the same UTC day."""
    local = sample_hours(rng.random(len(day)), channel) * 3600 + rng.integers(0, 3600, len(day))
    utc = (local - world.clock.utc_offset[country, day]) % 86400
    return np.where(channel >= APP, utc, local)


def _stores(rng, world: World, people: People, person: np.ndarray) -> np.ndarray:
    country = people.country[person]
    other = world.store_first[country] + (rng.random(len(person)) * world.store_count[country]).astype(int)
    return np.where(rng.random(len(person)) < HOME_STORE_SHARE, people.home_store[person], other)


def _lines(rng, world: World, people: People, orders: dict) -> dict[str, np.ndarray]:
    """Lines share their order's basket in proportion to category price; prices end up local."""
    n_lines = orders["n_lines"]
    order = np.repeat(np.arange(len(n_lines)), n_lines)
    n = len(order)
    person = orders["person"][order]
    arch = people.arch[person]
    cum = world.arch.category_cum[arch]
    category = np.minimum((rng.random(n)[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)
    qty = 1 + np.minimum(rng.poisson(_EXTRA_UNITS[category]), 5)
    weight = _PRICE[category] * rng.lognormal(0.0, 0.35, n) * qty
    share = weight / np.bincount(order, weight, minlength=len(n_lines))[order]
    unit_eur = orders["basket"][order] * share / qty
    unit = np.maximum(1, np.rint(unit_eur * world.minor_per_eur[people.country[person]])).astype(np.int64)
    pct = DISCOUNT_PCTS[rng.integers(0, len(DISCOUNT_PCTS), n)]
    disc = np.where(rng.random(n) < world.arch.discount_share[arch], np.rint(qty * unit * pct), 0)
    # The marketplace file has no discount column: its unit price is what the buyer paid per unit.
    mp = orders["channel"][order] == MARKETPLACE
    unit = np.where(mp, _net_unit(qty, unit, disc), unit)
    starts = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
    return {
        "order": order,
        "line_no": np.arange(n) - starts[order] + 1,
        "category": category,
        "sku": (SKUS_PER_CATEGORY * rng.random(n) ** 2).astype(np.int64),
        "qty": qty,
        "unit": unit,
        "disc": np.where(mp, 0, disc).astype(np.int64),
    }


def _net_unit(qty: np.ndarray, unit: np.ndarray, disc: np.ndarray) -> np.ndarray:
    return np.maximum(1, np.rint((qty * unit - disc) / qty)).astype(np.int64)


def _with_returns(rng, world: World, people: People, orders: dict, lines: dict):
    """~4% of lines come back 2-30 days later: a new one-line order in the same channel, negative qty.

    The refund is what was paid, so the return's unit price is the net unit price and it has no
    discount. Returns that would fall after the period's end are not generated.
    """
    n = len(lines["order"])
    lag = rng.integers(2, 31, n)
    src = np.flatnonzero((rng.random(n) < RETURN_RATE) & (orders["day"][lines["order"]] + lag < world.clock.days))
    src_order = lines["order"][src]
    ret = {k: v[src_order] for k, v in orders.items()}
    ret["day"] = ret["day"] + lag[src]
    ret["tod"] = _times(rng, world, ret["channel"], people.country[ret["person"]], ret["day"])
    ret["n_lines"] = np.ones(len(src), dtype=np.int64)
    ret["is_return"] = np.ones(len(src), dtype=bool)
    qty = lines["qty"][src]
    ret_lines = {
        "order": len(orders["day"]) + np.arange(len(src)),
        "line_no": np.ones(len(src), dtype=np.int64),
        "category": lines["category"][src],
        "sku": lines["sku"][src],
        "qty": -qty,
        "unit": _net_unit(qty, lines["unit"][src], lines["disc"][src]),
        "disc": np.zeros(len(src), dtype=np.int64),
    }
    both = {k: np.concatenate([orders[k], ret[k]]) for k in orders}
    return both, {k: np.concatenate([lines[k], ret_lines[k]]) for k in lines}


def _sorted(people: People, orders: dict, lines: dict) -> Lines:
    """Order the chunk by channel and time, and number orders within each channel in that order."""
    n_orders = len(orders["day"])
    perm = np.lexsort((np.arange(n_orders), orders["tod"], orders["day"], orders["channel"]))
    rank = np.empty(n_orders, dtype=np.int64)
    rank[perm] = np.arange(n_orders)
    per_channel = np.bincount(orders["channel"], minlength=4)
    channel_start = np.concatenate([[0], np.cumsum(per_channel)[:-1]])
    line_perm = np.argsort(rank[lines["order"]], kind="stable")
    o = lines["order"][line_perm]
    per_order = {k: v[o] for k, v in orders.items() if k not in ("basket", "n_lines")}
    return Lines(
        country=people.country[per_order["person"]],
        has_phone=np.zeros(len(o), dtype=bool),
        order=rank[o] - channel_start[per_order["channel"]],
        orders_per_channel=per_channel,
        **per_order,
        **{k: v[line_perm] for k, v in lines.items() if k != "order"},
    )
