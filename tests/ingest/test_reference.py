"""Country names as exports spell them resolve to ISO codes; a warehouse made with fewer names gets the new ones."""

import duckdb
import pytest

from pipelines.ingest.reference import ALIASES, COUNTRIES_VERSION, ensure_reference_tables


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        ensure_reference_tables(connection)
        yield connection


def _alpha2(con, name: str) -> str | None:
    found = con.execute("SELECT alpha2 FROM ref.countries WHERE key = lower(trim(?))", [name]).fetchall()
    return found[0][0] if found else None


@pytest.mark.parametrize(
    ("name", "code"),
    [("EIRE", "IE"), ("Russia", "RU"), ("Turkey", "TR"), ("The Netherlands", "NL"), ("United Kingdom", "GB"),
     ("DEU", "DE"), ("jp", "JP"), ("Ivory Coast", "CI"), ("Czechia", "CZ"), ("USA", "US")],
)  # fmt: skip
def test_names_exports_use_resolve(con, name, code):
    assert _alpha2(con, name) == code


def test_no_alias_names_another_country_than_iso_does():
    """The table keeps one country per name (the first): an alias that ISO gives to another country would be
    silently dropped, or silently win. The aliases only add names ISO lacks or agree with it."""
    import pycountry

    iso = {}
    for c in pycountry.countries:
        for name in (c.alpha_2, c.alpha_3, c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if name:
                iso.setdefault(name.strip().lower(), set()).add(c.alpha_2)
    assert all(len(codes) == 1 for codes in iso.values())
    assert {k: v for k, v in ALIASES.items() if k in iso and iso[k] != {v}} == {}


def test_an_unknown_name_resolves_to_nothing(con):
    assert _alpha2(con, "Atlantis") is None


def test_an_older_table_is_built_again_with_the_new_names(con):
    con.execute("DELETE FROM ref.countries WHERE key = 'eire'")
    con.execute("COMMENT ON TABLE ref.countries IS 'countries v1'")
    ensure_reference_tables(con)
    assert _alpha2(con, "EIRE") == "IE"
    comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'countries'").fetchall()[0][0]
    assert comment == COUNTRIES_VERSION
    con.execute("DELETE FROM ref.countries WHERE key = 'eire'")  # the current version is kept as it is
    ensure_reference_tables(con)
    assert _alpha2(con, "EIRE") is None
