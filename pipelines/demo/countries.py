"""Countries the demo retailer trades in: currency, time zone, Faker locale, prices and phone plans.

Each country differs in the ways that make ingestion hard in real life: a currency with no minor unit
(JPY), a local clock with its own daylight saving rules, and phone numbers written nationally or
internationally. Kept as data so that adding a country is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhonePlan:
    """How numbers are written: +<calling_code> <area> <groups> or <trunk><area> <groups>."""

    calling_code: str
    trunk: str  # national prefix ("0"), empty where there is none (US)
    areas: tuple[tuple[str, tuple[int, ...]], ...]  # area code, digit groups of the subscriber number


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str  # English name, as web shops and marketplaces write it
    currency: str
    timezone: str  # IANA
    locale: str  # Faker locale
    price_factor: float  # local currency units per EUR of the same goods
    phone: PhonePlan


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country("DE", "Germany", "EUR", "Europe/Berlin", "de_DE", 1.0, PhonePlan(
            "49", "0", (("30", (7,)), ("40", (7,)), ("89", (7,)), ("221", (7,)), ("151", (4, 4)))
        )),
        Country("FR", "France", "EUR", "Europe/Paris", "fr_FR", 1.0, PhonePlan(
            "33", "0", (("1", (2, 2, 2, 2)), ("4", (2, 2, 2, 2)), ("6", (2, 2, 2, 2)), ("7", (2, 2, 2, 2)))
        )),
        Country("GB", "United Kingdom", "GBP", "Europe/London", "en_GB", 0.85, PhonePlan(
            "44", "0", (("20", (4, 4)), ("161", (3, 4)), ("121", (3, 4)), ("7700", (6,)))
        )),
        Country("US", "United States", "USD", "America/New_York", "en_US", 1.08, PhonePlan(
            "1", "", (("212", (3, 4)), ("415", (3, 4)), ("312", (3, 4)), ("617", (3, 4)))
        )),
        Country("JP", "Japan", "JPY", "Asia/Tokyo", "ja_JP", 150.0, PhonePlan(
            "81", "0", (("3", (4, 4)), ("6", (4, 4)), ("90", (4, 4)), ("52", (3, 4)))
        )),
    )
}  # fmt: skip

# Decimal places of each currency's minor unit; amounts are generated as integers of that unit.
CURRENCY_DECIMALS = {"EUR": 2, "GBP": 2, "USD": 2, "JPY": 0}
# Where each currency's EUR rate starts its random walk (EUR per one unit).
EUR_PER_UNIT = {"GBP": 1.17, "USD": 0.92, "JPY": 0.0062}
BASE_CURRENCY = "EUR"


def resolve(codes: tuple[str, ...]) -> tuple[Country, ...]:
    """The Country entries for the spec's codes; a typo must fail loudly, not silently drop a market."""
    if not codes:
        raise ValueError("countries: at least one country is needed")
    unknown = [c for c in codes if c not in COUNTRIES]
    if unknown:
        raise ValueError(f"unknown country code(s) {unknown}; supported: {sorted(COUNTRIES)}")
    if len(set(codes)) != len(codes):
        raise ValueError(f"countries listed twice in {list(codes)}")
    return tuple(COUNTRIES[c] for c in codes)


def format_phone(plan: PhonePlan, area: int, subscriber: int, international: bool) -> tuple[str, str]:
    """(as written, E.164) for one number; subscriber is an int with as many digits as the groups."""
    code, groups = plan.areas[area]
    digits = str(subscriber).zfill(sum(groups))
    parts, at = [], 0
    for size in groups:
        parts.append(digits[at : at + size])
        at += size
    head = f"+{plan.calling_code} {code}" if international else f"{plan.trunk}{code}"
    return f"{head} {' '.join(parts)}", f"+{plan.calling_code}{code}{digits}"
