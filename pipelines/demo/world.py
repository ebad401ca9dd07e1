"""The fixed world a demo run lives in: countries, stores, calendar, name pools and the FX feed.

Built once per run from the spec, before any customer exists, and read by every chunk. Per-country
values that rendering needs for millions of rows (currency text, decimals, price factors) are kept
as small arrays so that a row's value is one vectorised look-up by country index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from pipelines.demo import archetypes, incidents
from pipelines.demo.clock import Clock, build_clock
from pipelines.demo.countries import (
    BASE_CURRENCY,
    CURRENCY_DECIMALS,
    EUR_PER_UNIT,
    Country,
    resolve,
)
from pipelines.demo.names import NamePool, build_pools

if TYPE_CHECKING:
    from pipelines.demo.generator import DemoSpec

SCENARIOS = ("steady", "shift")
SHIFT_BASKET_FACTOR = 0.6  # basket values fall by 40% in the shift country
SHIFT_APP_FACTOR = 2.0  # the app's share of orders doubles everywhere


@dataclass(frozen=True)
class Store:
    store_id: str
    country: int  # index into World.countries
    city: str
    opened: date


@dataclass(frozen=True)
class World:
    seed: int
    dirty: bool
    scenario: str
    countries: tuple[Country, ...]
    arch: archetypes.ArchetypeTable
    clock: Clock
    pools: tuple[NamePool, ...]
    stores: tuple[Store, ...]
    store_first: np.ndarray  # per country: index of its first store (a country's stores are adjacent)
    store_count: np.ndarray
    shift_country: int  # index of the country whose baskets shrink; -1 when steady
    decimals: np.ndarray  # per country: decimals of its currency
    minor_per_eur: np.ndarray  # per country: minor currency units per EUR of goods
    incidents: incidents.Incidents = incidents.Incidents()  # data-quality incidents applied when exporting


def build_world(spec: DemoSpec) -> World:
    """Validate the spec and derive everything that does not depend on individual customers."""
    if spec.scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {SCENARIOS}, got {spec.scenario!r}")
    if spec.customers < 1 or spec.days < 1:
        raise ValueError("customers and days must be positive")
    countries = resolve(tuple(spec.countries))
    shift = spec.scenario == "shift"
    rng = np.random.default_rng([spec.seed, 0])
    pools = build_pools(countries, spec.seed)
    stores = _stores(rng, countries, pools, spec.start)
    decimals = np.array([CURRENCY_DECIMALS[c.currency] for c in countries])
    store_country = np.array([s.country for s in stores])
    return World(
        seed=spec.seed,
        dirty=spec.dirty,
        scenario=spec.scenario,
        countries=countries,
        arch=archetypes.table(),
        clock=build_clock(spec.start, spec.days, countries, shift),
        pools=pools,
        stores=stores,
        store_first=np.searchsorted(store_country, np.arange(len(countries))),
        store_count=np.bincount(store_country, minlength=len(countries)),
        shift_country=(1 if len(countries) > 1 else 0) if shift else -1,
        decimals=decimals,
        minor_per_eur=np.array([c.price_factor for c in countries]) * 10.0**decimals,
        incidents=incidents.resolve(spec.incidents, spec.start, spec.days),
    )


def _stores(rng: np.random.Generator, countries, pools, start: date) -> tuple[Store, ...]:
    """2-4 stores per country in distinct cities of the country's pool, all open before the period."""
    stores: list[Store] = []
    for ci, pool in enumerate(pools):
        count = min(int(rng.integers(2, 5)), len(pool.cities))
        for city in pool.cities[:count]:
            opened = start - timedelta(days=int(rng.integers(90, 5000)))
            stores.append(Store(f"S{len(stores) + 1:03d}", ci, city, opened))
    return tuple(stores)


def text(values) -> pa.Array:
    """A small lookup table as an Arrow string array, to be `take`n by index."""
    return pa.array([str(v) for v in values], type=pa.string())


def store_rows(world: World) -> list[list[str]]:
    header = ["store_id", "country", "city", "timezone", "currency", "opened_date"]
    rows = [header]
    for s in world.stores:
        c = world.countries[s.country]
        rows.append([s.store_id, c.code, s.city, c.timezone, c.currency, s.opened.isoformat()])
    return rows


def fx_rows(world: World) -> list[list[str]]:
    """Daily EUR rates as a mean-reverting random walk; weekends are missing, as in real feeds."""
    rng = np.random.default_rng([world.seed, 4])
    currencies = [c for c in dict.fromkeys(x.currency for x in world.countries) if c != BASE_CURRENCY]
    days = world.clock.days
    rows = [["rate_date", "currency", "eur_per_unit"]]
    walks = {}
    for cur in currencies:
        steps = rng.normal(0.0, 0.004, days)
        level = np.empty(days)
        acc = 0.0
        for d in range(days):  # a few thousand steps; the recursion does not vectorise
            acc = 0.995 * acc + steps[d]
            level[d] = acc
        walks[cur] = EUR_PER_UNIT[cur] * np.exp(level)
    for d in range(days):
        day = world.clock.start + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        rows.extend([day.isoformat(), cur, f"{walks[cur][d]:.6f}"] for cur in currencies)
    return rows
