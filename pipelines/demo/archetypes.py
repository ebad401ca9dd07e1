"""Latent customer archetypes: the hidden truth that drives each synthetic customer's behaviour.

Segmentation is judged by how well it recovers these, so they differ in the dimensions a retailer's
tiers should see: how often, how much, at what discount, through which channel, on what, and whether
the customer stays. Everything here is plain data; `table()` turns it into arrays so that the order
generator can look values up for millions of rows at once instead of looping over customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHANNELS = ("pos", "ecommerce", "app", "marketplace")
CATEGORIES = ("apparel", "footwear", "beauty", "home", "electronics", "grocery")
# Typical unit price in EUR and mean number of extra units per line, per category: a line of groceries
# often has several units, a TV rarely does.
CATEGORY_PRICE_EUR = (32.0, 65.0, 18.0, 28.0, 110.0, 5.0)
CATEGORY_EXTRA_UNITS = (0.15, 0.05, 0.4, 0.2, 0.02, 1.2)
SKUS_PER_CATEGORY = 400


@dataclass(frozen=True)
class Archetype:
    name: str
    share: float  # share of the customer base
    member_rate: float  # probability the person joined the loyalty programme (is in the CRM)
    orders_per_year: float
    basket_eur: float  # mean order value before discounts
    extra_lines: float  # mean number of lines per order beyond the first
    discount_share: float  # probability that a line carries a discount
    channel_mix: tuple[float, float, float, float]  # weights over CHANNELS before adoption
    app_adoption: float  # probability the person installed the app at all
    marketplace_adoption: float  # probability the person also buys through the marketplace
    categories: tuple[float, ...]  # weights over CATEGORIES
    active_fraction: float  # share of the remaining period the customer stays (lapsing ones stop)


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "loyal_high_spender", 0.12, 0.95, 20.0, 140.0, 2.0, 0.10,
        (0.45, 0.25, 0.20, 0.10), 0.60, 0.30, (0.30, 0.20, 0.15, 0.15, 0.15, 0.05), 1.0,
    ),
    Archetype(
        "bargain_hunter", 0.25, 0.70, 10.0, 30.0, 1.0, 0.55,
        (0.30, 0.20, 0.10, 0.40), 0.30, 0.80, (0.25, 0.10, 0.15, 0.15, 0.05, 0.30), 1.0,
    ),
    Archetype(
        "one_off_buyer", 0.30, 0.50, 0.4, 50.0, 0.8, 0.20,
        (0.50, 0.30, 0.05, 0.15), 0.10, 0.40, (0.30, 0.20, 0.10, 0.15, 0.15, 0.10), 1.0,
    ),
    Archetype(
        "omnichannel_regular", 0.18, 0.85, 14.0, 70.0, 1.4, 0.20,
        (0.30, 0.30, 0.30, 0.10), 0.80, 0.40, (0.25, 0.15, 0.20, 0.20, 0.10, 0.10), 1.0,
    ),
    Archetype(
        "lapsing", 0.15, 0.65, 9.0, 60.0, 1.2, 0.25,
        (0.50, 0.25, 0.10, 0.15), 0.30, 0.40, (0.30, 0.15, 0.15, 0.20, 0.10, 0.10), 0.45,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class ArchetypeTable:
    """The archetypes as arrays indexed by archetype number, for vectorised look-ups."""

    names: tuple[str, ...]
    share: np.ndarray
    member_rate: np.ndarray
    orders_per_year: np.ndarray
    basket_eur: np.ndarray
    extra_lines: np.ndarray
    discount_share: np.ndarray
    channel_mix: np.ndarray  # (archetypes, channels)
    app_adoption: np.ndarray
    marketplace_adoption: np.ndarray
    category_cum: np.ndarray  # (archetypes, categories), cumulative probabilities
    active_fraction: np.ndarray


def table(archetypes: tuple[Archetype, ...] = ARCHETYPES) -> ArchetypeTable:
    """Stack the archetypes into arrays; shares and category weights are normalised here."""

    def col(name: str) -> np.ndarray:
        return np.array([getattr(a, name) for a in archetypes], dtype=float)

    cats = np.array([a.categories for a in archetypes], dtype=float)
    share = col("share")
    return ArchetypeTable(
        names=tuple(a.name for a in archetypes),
        share=share / share.sum(),
        member_rate=col("member_rate"),
        orders_per_year=col("orders_per_year"),
        basket_eur=col("basket_eur"),
        extra_lines=col("extra_lines"),
        discount_share=col("discount_share"),
        channel_mix=np.array([a.channel_mix for a in archetypes], dtype=float),
        app_adoption=col("app_adoption"),
        marketplace_adoption=col("marketplace_adoption"),
        category_cum=np.cumsum(cats / cats.sum(axis=1, keepdims=True), axis=1),
        active_fraction=col("active_fraction"),
    )
