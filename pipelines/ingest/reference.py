"""Reference tables built from installed packages (no downloads): country names and calling codes.

pycountry carries ISO 3166 and phonenumbers carries each region's calling code; loading them into
DuckDB lets validation and normalisation stay set-based SQL instead of per-row Python.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.resources import table_exists

# Everyday English names that ISO spells differently (EIRE is what the UCI Online Retail export holds).
ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "united states of america": "US",
    "eire": "IE",
    "republic of ireland": "IE",
    "russia": "RU",
    "turkey": "TR",
    "the netherlands": "NL",
    "holland": "NL",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "macedonia": "MK",
    "brunei": "BN",
    "cape verde": "CV",
    "swaziland": "SZ",
    "burma": "MM",
    "uae": "AE",
    "macau": "MO",
    "palestine": "PS",
    "micronesia": "FM",
    "vatican": "VA",
    "vatican city": "VA",
    "the bahamas": "BS",
    "the gambia": "GM",
    "rsa": "ZA",
}


def _country_keys() -> pd.DataFrame:
    import phonenumbers
    import pycountry

    rows = []
    for country in pycountry.countries:
        names = {
            country.alpha_2,
            country.alpha_3,
            country.name,
            getattr(country, "common_name", None),
            getattr(country, "official_name", None),
        }
        code = phonenumbers.country_code_for_region(country.alpha_2) or None
        rows += [{"key": n.strip().lower(), "alpha2": country.alpha_2, "calling_code": code} for n in names if n]

    rows += [
        {"key": k, "alpha2": v, "calling_code": phonenumbers.country_code_for_region(v)} for k, v in ALIASES.items()
    ]
    return pd.DataFrame(rows).drop_duplicates("key")


# Raised when the names above change: a warehouse holding an older table builds it again.
COUNTRIES_VERSION = "countries v2"


def ensure_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ref.countries (lower-cased name or code -> ISO alpha-2, calling code) once per version."""
    con.execute("CREATE SCHEMA IF NOT EXISTS ref")
    if table_exists(con, "ref", "countries"):
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'ref' AND table_name = 'countries'"
        ).fetchall()
        if comment and comment[0][0] == COUNTRIES_VERSION:
            return
    con.register("_countries", _country_keys())
    con.execute(
        "CREATE OR REPLACE TABLE ref.countries AS "
        "SELECT key, alpha2, calling_code::INTEGER AS calling_code FROM _countries"
    )
    con.execute(f"COMMENT ON TABLE ref.countries IS '{COUNTRIES_VERSION}'")
    con.unregister("_countries")
