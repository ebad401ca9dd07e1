"""One factory turning each expectation suite into an asset check on the asset it guards."""

import warnings

import dagster as dg

from pipelines.orchestration.partitions import snapshot_date_of, snapshot_partitions
from pipelines.quality.suites import SuiteFile, load_suite_files, validate
from pipelines.resources import StratifyResource


def _read_table(stratify: StratifyResource, suite: SuiteFile, partition_key: str | None):
    query = f"SELECT * FROM {suite.table}"
    params = []
    if suite.snapshot_column and partition_key:
        query += f" WHERE {suite.snapshot_column} = ?"
        params.append(snapshot_date_of(partition_key))
    with stratify.warehouse() as con:
        return con.execute(query, params).df()


def build_suite_check(suite: SuiteFile) -> dg.AssetChecksDefinition:
    """A blocking check: an ERROR suite failing stops everything downstream of its asset in the run."""
    severity = dg.AssetCheckSeverity.ERROR if suite.severity == "ERROR" else dg.AssetCheckSeverity.WARN

    def _check(context: dg.AssetCheckExecutionContext, stratify: StratifyResource) -> dg.AssetCheckResult:
        partition_key = context.partition_key if suite.snapshot_column else None
        df = _read_table(stratify, suite, partition_key)
        evaluated, failures = validate(df, suite)
        for failure in failures:
            context.log.warning(f"{suite.table}: {failure.describe()}")
        return dg.AssetCheckResult(
            passed=not failures,
            severity=severity,
            description="; ".join(f.describe() for f in failures) or None,
            metadata={
                "rows": len(df),
                "expectations": evaluated,
                "failed": len(failures),
                "failures": dg.MetadataValue.md("\n".join(f"- {f.describe()}" for f in failures) or "none"),
            },
        )

    with warnings.catch_warnings():
        # Partitioned checks are "preview" in Dagster 1.13; they are what a snapshot-partitioned suite needs.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.asset_check(
            asset=dg.AssetKey(suite.asset_key_path),
            name="expectations",
            blocking=True,
            description=f"Great Expectations suite expectations/{suite.name}.json ({suite.severity})",
            partitions_def=snapshot_partitions() if suite.snapshot_column else None,
        )(_check)


defs = dg.Definitions(asset_checks=[build_suite_check(s) for s in load_suite_files()])
