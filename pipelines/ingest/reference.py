"""Reference tables built from installed packages (no downloads): country names and calling codes.

pycountry carries ISO 3166 and phonenumbers carries each region's calling code; loading them into
DuckDB lets validation and normalisation stay set-based SQL instead of per-row Python.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.resources import table_exists


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
    # Everyday English names that ISO spells differently.
    aliases = {
        "uk": "GB",
        "great britain": "GB",
        "england": "GB",
        "usa": "US",
        "united states of america": "US",
    }
    rows += [
        {"key": k, "alpha2": v, "calling_code": phonenumbers.country_code_for_region(v)} for k, v in aliases.items()
    ]
    return pd.DataFrame(rows).drop_duplicates("key")


def ensure_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ref.countries (lower-cased name or code -> ISO alpha-2, calling code) once per warehouse."""
    con.execute("CREATE SCHEMA IF NOT EXISTS ref")
    if table_exists(con, "ref", "countries"):
        return
    con.register("_countries", _country_keys())
    con.execute(
        "CREATE TABLE ref.countries AS SELECT key, alpha2, calling_code::INTEGER AS calling_code FROM _countries"
    )
    con.unregister("_countries")
