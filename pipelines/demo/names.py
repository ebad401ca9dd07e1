"""Per-locale pools of names, cities and mail domains drawn once from Faker.

Faker costs tens of microseconds per call; a million customers would spend minutes in it. Instead a
few hundred values per locale are drawn once (seeded, so reproducible) and customers combine pool
entries by index. Uniqueness of e-mail addresses comes from a numbered suffix, not from Faker.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pyarrow as pa
from faker import Faker

from pipelines.demo.countries import Country

POOL_NAMES = 600
POOL_CITIES = 150
POOL_DOMAINS = 12
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l"})


@dataclass(frozen=True)
class NamePool:
    first: pa.Array  # ASCII, lower case: usable in an e-mail local part
    last: pa.Array
    cities: tuple[str, ...]  # as written locally (may be non-ASCII), distinct
    domains: pa.Array


def build_pools(countries: tuple[Country, ...], seed: int) -> tuple[NamePool, ...]:
    """One pool per country, in the spec's order; Faker is seeded per locale from the spec's seed."""
    return tuple(_pool(c.locale, seed) for c in countries)


def _pool(locale: str, seed: int) -> NamePool:
    fake = Faker(locale)
    fake.seed_instance(seed)
    # Japanese names are kanji; mail addresses use their romanised form.
    first = getattr(fake, "first_romanized_name", fake.first_name)
    last = getattr(fake, "last_romanized_name", fake.last_name)
    firsts = [n for n in (ascii_fold(first()) for _ in range(POOL_NAMES)) if n] or ["anna"]
    lasts = [n for n in (ascii_fold(last()) for _ in range(POOL_NAMES)) if n] or ["smith"]
    # Files are written without quoting, so no value may contain a delimiter or a quote.
    cities = tuple(dict.fromkeys(re.sub(r'[,;"]', "", fake.city()) for _ in range(POOL_CITIES)))
    domains = sorted({fake.free_email_domain() for _ in range(POOL_DOMAINS * 4)})
    return NamePool(pa.array(firsts), pa.array(lasts), cities, pa.array(domains))


def ascii_fold(name: str) -> str:
    """'Groß-Müller' -> 'grossmuller': what people type into a mail address."""
    plain = unicodedata.normalize("NFKD", name.lower().translate(_FOLD))
    return re.sub(r"[^a-z]", "", plain.encode("ascii", "ignore").decode("ascii"))
