"""A warehouse keeps the PII salt it was first loaded with: another one is refused before anything is hashed."""

import duckdb
import pytest

from pipelines.ingest.contracts import CONTRACTS
from pipelines.ingest.load_source import load_source, prepare_warehouse
from pipelines.ingest.salt import fingerprint
from pipelines.resources import StratifyResource

CRM = "loyalty_id,email,phone,birth_year,gender,city,country,signup_date,profiling_consent,app_user_id\n"


def _crm(landing, name: str, loyalty_id: str) -> None:
    folder = landing / "crm"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        CRM + f"{loyalty_id},ann@example.com,+49 30 1234567,1980,F,Berlin,DE,2024-01-01,Y,\n", encoding="utf-8"
    )


def _load(con, landing, salt: str):
    config = StratifyResource().config
    return load_source(con, config, landing, CONTRACTS["crm_customers"], "load", salt)


def test_another_salt_is_refused_and_nothing_is_loaded_with_it(home):
    landing = home / "landing"
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        prepare_warehouse(con)
        _crm(landing, "customers_1.csv", "L1")
        assert [f.status for f in _load(con, landing, "first-salt")] == ["loaded"]
        _crm(landing, "customers_2.csv", "L2")
        with pytest.raises(ValueError, match="STRATIFY_PII_SALT is not the salt this warehouse's PII was hashed with"):
            _load(con, landing, "second-salt")
        assert con.execute("SELECT loyalty_id FROM raw.crm_customers").fetchall() == [("L1",)]
        assert [f.status for f in _load(con, landing, "first-salt")] == ["unchanged", "loaded"]  # the original goes on
        (kept,) = con.execute("SELECT fingerprint FROM ops.pii_salt").fetchall()
        hashes = {h for (h,) in con.execute("SELECT email_hash FROM raw.crm_customers").fetchall()}
    assert kept == (fingerprint("first-salt"),) and len(hashes) == 1 and "first-salt" not in kept[0]
