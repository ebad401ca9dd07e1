"""The CRM export: one row per loyalty member, as the loyalty system knows them.

Its e-mail is the one the member registered; phones are written nationally or internationally;
birth year and gender are often missing, as in real sign-up forms. Dirty runs also make a legacy
re-export in cp1252, which an ingestion that insists on UTF-8 must reject as a whole file.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.people import People, email_variants
from pipelines.demo.world import World, text

COLUMNS = ["loyalty_id", "email", "phone", "birth_year", "gender", "city", "country", "signup_date",
           "profiling_consent", "app_user_id"]  # fmt: skip
GENDERS = ("F", "M", "X", "")
GENDER_CUM = np.cumsum([0.48, 0.46, 0.02, 0.04])
EMAIL_VARIED = 0.02  # dirty runs: members whose CRM e-mail differs from the web shop's in case or spaces
LEGACY_ROWS = 40  # rows in the cp1252 re-export
LEGACY_FALLBACK_CITY = "Zürich"  # used only when no country's cities are non-ASCII Latin


def crm_table(world: World, people: People, chunk: int) -> pa.Table:
    """The chunk's members as CRM rows (non-members are not in the CRM)."""
    rng = np.random.default_rng([world.seed, 5, chunk])
    n = len(people)
    birth = pc.cast(pa.array(rng.integers(1945, 2007, n)), pa.string())
    gender = np.minimum(np.searchsorted(GENDER_CUM, rng.random(n), side="right"), len(GENDERS) - 1)
    lag = np.where(people.first_day == 0, rng.integers(0, 1500, n), rng.integers(0, 15, n))
    signup = np.datetime64(world.clock.start, "D") + (people.first_day - lag)
    email = people.email
    if world.dirty:  # a separate stream, so a dirty run's CRM differs from a clean run's only here
        d = np.random.default_rng([world.seed, 6, chunk])
        email = email_variants(email, np.where(d.random(n) < EMAIL_VARIED, d.integers(1, 4, n), 0))
    cities = pa.concat_arrays([text(p.cities) for p in world.pools])
    city_start = np.concatenate([[0], np.cumsum([len(p.cities) for p in world.pools])[:-1]])
    table = pa.table({
        "loyalty_id": people.loyalty_id,
        "email": email,
        "phone": people.phone,
        "birth_year": pc.if_else(pa.array(rng.random(n) < world.incidents.birth_blank_share), "", birth),
        "gender": text(GENDERS).take(gender),
        "city": cities.take(city_start[people.country] + people.city),
        "country": text(c.code for c in world.countries).take(people.country),
        "signup_date": pa.array(np.datetime_as_string(signup, unit="D")),
        "profiling_consent": pc.if_else(pa.array(people.consent), "Y", "N"),
        "app_user_id": people.app_user_id,
    })  # fmt: skip
    return table.filter(pa.array(people.member))


def legacy_candidates(table: pa.Table) -> pa.Table:
    """Rows whose city is non-ASCII yet encodable in cp1252: they make a cp1252 file invalid UTF-8."""
    cities = {c for c in table.column("city").unique().to_pylist() if not c.isascii() and _cp1252(c)}
    mask = pc.is_in(table.column("city"), value_set=pa.array(sorted(cities), type=pa.string()))
    return table.filter(mask).slice(0, LEGACY_ROWS)


def legacy_export(candidates: pa.Table, first_rows: pa.Table) -> bytes:
    """The cp1252 re-export; falls back to a fixed non-ASCII city when no candidate rows exist."""
    table = candidates
    if table.num_rows == 0:
        table = first_rows.slice(0, LEGACY_ROWS)
        city = pa.array([LEGACY_FALLBACK_CITY] * table.num_rows, type=pa.string())
        table = table.set_column(COLUMNS.index("city"), "city", city)
    rows = [",".join(COLUMNS)] + [",".join(r.values()) for r in table.to_pylist()]
    return ("\n".join(rows) + "\n").encode("cp1252", errors="replace")


def _cp1252(value: str) -> bool:
    try:
        value.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
