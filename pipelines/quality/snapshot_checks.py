"""Snapshot-level checks on customer_features: the customer count moves only so much between snapshots."""

import warnings

import dagster as dg

from pipelines.orchestration.partitions import snapshot_date_of, snapshot_partitions
from pipelines.quality.reports import record_check
from pipelines.resources import StratifyResource

FEATURES = dg.AssetKey(["marts", "customer_features"])


WARM_UP_DAYS = 365  # features look back a year: before that, customer counts grow by construction


def _counts(stratify: StratifyResource, snapshot) -> tuple[int, object, int | None]:
    """Customers at the snapshot, and the previous snapshot's date and customers (None during warm-up)."""
    with stratify.warehouse() as con:
        current = con.execute(
            "SELECT count(*) FROM marts.customer_features WHERE snapshot_date = ?", [snapshot]
        ).fetchall()[0][0]
        previous = con.execute(
            "SELECT snapshot_date, count(*) FROM marts.customer_features WHERE snapshot_date < ? "
            "GROUP BY 1 ORDER BY 1 DESC LIMIT 1",
            [snapshot],
        ).fetchall()
        first = con.execute("SELECT min(first_order_date) FROM marts.customer_features").fetchall()[0][0]
    if not previous or (previous[0][0] - first).days < WARM_UP_DAYS:
        return current, None, None
    return current, *previous[0]


def judge(current: int, previous: int | None, limit: float) -> tuple[bool, float | None]:
    """Passed, and the ratio; no previous count (first snapshot, warm-up) passes."""
    ratio = current / previous if previous else None
    return ratio is None or 1 / limit <= ratio <= limit, ratio


def row_count_change(context: dg.AssetCheckExecutionContext, stratify: StratifyResource) -> dg.AssetCheckResult:
    """A snapshot losing or gaining far more customers than usual means data went missing or doubled."""
    snapshot, limit = snapshot_date_of(context.partition_key), stratify.config.quality.snapshot_rows_max_ratio
    current, previous_date, previous = _counts(stratify, snapshot)
    passed, ratio = judge(current, previous, limit)
    result = dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None
        if passed
        else (
            f"marts.customer_features: {current} customers at {snapshot} vs {previous} at {previous_date} "
            f"(x{ratio:.2f}, allowed x{1 / limit:.2f}..x{limit:.2f})"
        ),
        metadata={
            "customers": current,
            "previous_snapshot": str(previous_date),
            "previous_customers": previous,
            "ratio": ratio,
        },
    )
    record_check(
        stratify.paths.reports,
        context.run.run_id,
        "marts.customer_features",
        "row_count_change",
        result,
        context.partition_key,
    )
    return result


with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)  # partitioned checks are "preview" in Dagster 1.13
    row_count_change_check = dg.asset_check(
        asset=FEATURES,
        name="row_count_change",
        blocking=True,
        partitions_def=snapshot_partitions(),
        description="Customers in the snapshot within bounds of the previous snapshot",
    )(row_count_change)

defs = dg.Definitions(asset_checks=[row_count_change_check])
