"""Run Stratify's Dagster jobs in-process for tests, the way `stratify run` does, and insist they pass."""

import dagster as dg

from pipelines.definitions import defs
from pipelines.orchestration.runner import QUIET_LOGS
from pipelines.transform.assets import dbt_snapshot_models

# The snapshot job's feature stage alone: the dbt step building a snapshot's marts (and the earlier snapshots
# the segment stage trains on), with its checks; for tests of features that need not pay for the stages after.
FEATURE_STAGE = list(dbt_snapshot_models.keys)


def run_job(
    name: str,
    partition_key: str | None = None,
    instance: dg.DagsterInstance | None = None,
    assets: list[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Execute a job on `instance` (default a throw-away one), or only the steps of `assets` in it (a test of
    one stage need not pay for the stages after it); fail the test if it failed or a blocking ERROR check
    failed."""
    result = defs.resolve_job_def(name).execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(),
        run_config=QUIET_LOGS,
        partition_key=partition_key,
        raise_on_error=False,
        asset_selection=assets,
    )
    failed = [
        f"{c.asset_key.to_user_string()}:{c.check_name} {c.description}"
        for c in result.get_asset_check_evaluations()
        # As `stratify run` judges: WARN results and non-blocking checks (drift: news, not broken data) report only.
        if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR and c.blocking is not False
    ]
    assert result.success and not failed, f"{name} {partition_key or ''} failed; checks: {failed}"
    return result


def run_up_to_features(name: str, partition_key: str | None = None) -> dg.ExecuteInProcessResult:
    """A whole ingest_job, or a snapshot_job partition's feature stage only (FEATURE_STAGE)."""
    return run_job(name, partition_key, assets=FEATURE_STAGE if partition_key else None)
