"""Latent customer archetypes: the hidden truth that drives each synthetic customer's behaviour.

Segmentation is judged by how well it recovers these, so they differ in the dimensions a retailer's
tiers should see: how often, how much, through which channel and whether the customer stays.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Archetype:
    name: str
    share: float  # share of the customer base
    orders_per_year: float
    basket_eur: float  # mean order value
    ecommerce_share: float  # probability an order goes through the web shop rather than a store
    active_fraction: float  # share of the period the customer stays active (lapsing customers stop)


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("loyal_high_spender", 0.12, 22.0, 140.0, 0.30, 1.0),
    Archetype("bargain_hunter", 0.25, 10.0, 28.0, 0.20, 1.0),
    Archetype("one_off_buyer", 0.30, 0.8, 45.0, 0.40, 1.0),
    Archetype("omnichannel_regular", 0.18, 14.0, 70.0, 0.55, 1.0),
    Archetype("lapsing", 0.15, 9.0, 60.0, 0.25, 0.45),
)
