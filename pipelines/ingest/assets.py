"""Ingest assets: one `raw/<source>` asset per known source, plus its reconciliation check."""

import dagster as dg

from pipelines.ingest.contracts import CONTRACTS, Contract
from pipelines.ingest.load_source import holds_pii, load_source, prepare_warehouse
from pipelines.ingest.loader import FileLoad
from pipelines.ingest.reconcile import unreconciled_files
from pipelines.resources import StratifyResource


def _file_table(loads: list[FileLoad]) -> dg.MetadataValue:
    rows = ["| file | status | read | accepted | quarantined |", "|---|---|---|---|---|"]
    rows += [
        f"| {f.path.rsplit('/', 1)[-1]} | {f.status} | {f.rows_read} | {f.rows_accepted} | {f.rows_quarantined} |"
        for f in loads
        if f.status != "unchanged"
    ]
    return dg.MetadataValue.md("\n".join(rows))


def build_raw_asset(contract: Contract) -> dg.AssetsDefinition:
    """The asset loading one source's new landed files into raw.<source>."""

    @dg.asset(
        key=["raw", contract.source],
        group_name="ingest",
        kinds={"duckdb"},
        description=f"Landed {contract.source} files in raw.{contract.source}. {contract.description}",
        deps=[dg.AssetKey(["raw", dep]) for dep in contract.depends_on],
        pool="warehouse",
    )
    def _raw(context: dg.AssetExecutionContext, stratify: StratifyResource) -> dg.MaterializeResult:
        config = stratify.config
        configured = contract.source in config.sources
        salt = stratify.pii_salt() if configured and holds_pii(contract, config.sources[contract.source]) else None
        with stratify.warehouse() as con:
            prepare_warehouse(con)
            loads = load_source(con, config, stratify.paths.landing, contract, context.run_id, salt)
            total = con.execute(f"SELECT count(*) FROM raw.{contract.source}").fetchall()[0][0]
            quarantined = con.execute(
                "SELECT count(*) FROM ops.quarantine WHERE source = ?", [contract.source]
            ).fetchall()[0][0]
        for load in loads:
            if load.status == "rejected":
                context.log.error(load.error)
        new = [f for f in loads if f.status != "unchanged"]
        return dg.MaterializeResult(
            metadata={
                "configured": configured,
                "files_new": len(new),
                "rows_read": sum(f.rows_read for f in new),
                "rows_accepted": sum(f.rows_accepted for f in new),
                "rows_quarantined": sum(f.rows_quarantined for f in new),
                "files_rejected": sum(f.status == "rejected" for f in new),
                "dagster/row_count": total,
                "quarantine_total": quarantined,
                "files": _file_table(loads),
            }
        )

    return _raw


def build_reconcile_check(contract: Contract) -> dg.AssetChecksDefinition:
    """Every row read is either in the raw table or in quarantine, file by file."""

    @dg.asset_check(
        asset=dg.AssetKey(["raw", contract.source]),
        name="rows_reconcile",
        blocking=True,
        description="rows_read = rows_accepted + rows_quarantined, and raw holds exactly the accepted rows",
    )
    def _check(stratify: StratifyResource) -> dg.AssetCheckResult:
        with stratify.warehouse() as con:
            prepare_warehouse(con)
            bad = unreconciled_files(con, contract.source)
        return dg.AssetCheckResult(
            passed=not bad,
            metadata={
                "files_off": len(bad),
                "detail": dg.MetadataValue.md("\n".join(f"- {b}" for b in bad[:20]) or "all files reconcile"),
            },
        )

    return _check


raw_assets = [build_raw_asset(c) for c in CONTRACTS.values()]
raw_checks = [build_reconcile_check(c) for c in CONTRACTS.values()]
defs = dg.Definitions(assets=raw_assets, asset_checks=raw_checks)
