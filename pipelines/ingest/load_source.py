"""Load every new file of one source, in a stable order, with the rules its reference data allows."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.config import SourceConfig, StratifyConfig
from pipelines.ingest.contracts import CONTRACTS, Contract
from pipelines.ingest.loader import FileLoad, LoadRequest, ensure_tables, load_files
from pipelines.ingest.reference import ensure_reference_tables
from pipelines.ingest.rules import RuleContext
from pipelines.ingest.salt import check_salt


def prepare_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Every raw, ops and ref table exists, so rules and dbt can refer to them even when unconfigured."""
    con.execute("SET TimeZone = 'UTC'")
    ensure_tables(con, CONTRACTS.values())
    ensure_reference_tables(con)


def _rule_context(con: duckdb.DuckDBPyConnection, config: StratifyConfig) -> RuleContext:
    """Known currencies (the base one and those with FX rates) and stores, as loaded so far."""
    currencies = [r[0] for r in con.execute("SELECT DISTINCT currency FROM raw.fx_rates").fetchall()]
    stores = [r[0] for r in con.execute("SELECT DISTINCT store_id FROM raw.stores").fetchall()]
    return RuleContext(
        check_currency=True,
        check_store="stores" in config.sources,
        currencies=tuple(sorted({config.base_currency.upper(), *currencies})),
        stores=tuple(sorted(stores)),
    )


def load_source(
    con: duckdb.DuckDBPyConnection,
    config: StratifyConfig,
    landing: Path,
    contract: Contract,
    load_id: str,
    salt: str | None,
) -> list[FileLoad]:
    """Load the source's files (sorted by path within each file set); [] when the source is not configured.

    Call prepare_warehouse first: the rules read raw.fx_rates and raw.stores.
    """
    source = config.sources.get(contract.source)
    if source is None:
        return []
    rules = _rule_context(con, config)
    has_pii = holds_pii(contract, source)
    if has_pii:
        if not salt:
            raise ValueError(f"source {contract.source} holds PII: STRATIFY_PII_SALT is required")
        check_salt(con, salt)
        con.execute("SET VARIABLE pii_salt = ?", [salt])
    try:
        return [
            load
            for fileset in source.files
            for load in load_files(
                con,
                [
                    LoadRequest(path, contract, source, fileset, rules, load_id)
                    for path in sorted(landing.glob(fileset.path))
                    if path.is_file()
                ],
            )
        ]
    finally:
        if has_pii:
            con.execute("RESET VARIABLE pii_salt")


def holds_pii(contract: Contract, source: SourceConfig) -> bool:
    """True when the user's files bring a PII column: only then is the salt needed.

    A contract's PII columns are optional (a marketplace export without delivery phones has none), and a
    source that maps none of them must load without STRATIFY_PII_SALT.
    """
    return any(c.kind.startswith("pii_") and source.provides(c.name) for c in contract.columns)
