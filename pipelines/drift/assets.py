"""Drift assets: the snapshot against its reference (figures, reports, checks), then the alert if it drifted."""

import dagster as dg

from pipelines.drift.activity import headline
from pipelines.drift.alerts import Delivery, build_message, deliver, describe
from pipelines.drift.checks import delivery_check_result, delivery_check_spec, drift_check_results, drift_check_specs
from pipelines.drift.compare import compare_snapshots, compared_with, drifted, metric_rows
from pipelines.drift.store import read_result, replace_rows, write_reports
from pipelines.orchestration.partitions import ONE_PER_RUN, snapshot_date_of, snapshot_partitions
from pipelines.resources import StratifyResource

DRIFT, ALERTS = dg.AssetKey(["drift", "drift_metrics"]), dg.AssetKey(["ops", "alerts"])
ORDERS = dg.AssetKey(["intermediate", "int_orders__unified"])  # activity drift reads the period's orders


@dg.asset(
    key=DRIFT,
    group_name="drift",
    kinds={"duckdb"},
    deps=[dg.AssetKey(["segments", "customer_segments"]), ORDERS],
    partitions_def=snapshot_partitions(),
    backfill_policy=ONE_PER_RUN,
    pool="warehouse",
    check_specs=drift_check_specs(DRIFT),
)
def drift_metrics(context: dg.AssetExecutionContext, stratify: StratifyResource) -> dg.MaterializeResult:
    """Activity, feature, segment, migration and model drift of the snapshot against its reference, with a report."""
    snapshot, config = snapshot_date_of(context.partition_key), stratify.config
    cfg = config.drift
    with stratify.warehouse() as con:
        result = compare_snapshots(
            con, snapshot, cfg, stratify.paths.home / "models", config.snapshots.cadence, config.base_currency
        )
        replace_rows(con, snapshot, metric_rows(result, cfg) if result else [])
    json_path, html_path = write_reports(stratify.paths.reports, snapshot, result)
    metadata = {"verdict": "no reference snapshot", "json": dg.MetadataValue.path(str(json_path))}
    if result is not None:
        items = drifted(result)
        tier = [s["psi"] for s in result["segments"] if s["segmentation"] == "tier" and s["market"] == "all"]
        metadata |= {
            "verdict": result["verdict"],
            "tier_psi": tier[0] if tier else None,
            "reference_snapshot": result["reference_snapshot"],
            "compared_with": compared_with(result),
            "activity_alerts": dg.MetadataValue.md(
                "\n".join(f"- {headline(i)}" for i in items if i["what"] == "activity" and i["status"] == "alert")
                or "-"
            ),
            "drifted": dg.MetadataValue.md("\n".join(f"- {i['status']}: {describe(i)}" for i in items[:20]) or "-"),
            "report": dg.MetadataValue.path(str(html_path)),
            "report_url": dg.MetadataValue.url(html_path.as_uri()),
        }
    return dg.MaterializeResult(metadata=metadata, check_results=drift_check_results(result))


@dg.asset(
    key=ALERTS,
    group_name="drift",
    kinds={"duckdb"},
    deps=[DRIFT],
    partitions_def=snapshot_partitions(),
    backfill_policy=ONE_PER_RUN,
    pool="warehouse",
    check_specs=[delivery_check_spec(ALERTS)],
)
def drift_alert(context: dg.AssetExecutionContext, stratify: StratifyResource) -> dg.MaterializeResult:
    """The webhook alert for drift at the alert threshold: sent once per snapshot, every delivery in ops.alerts."""
    snapshot, cfg = snapshot_date_of(context.partition_key), stratify.config.drift
    result = read_result(stratify.paths.reports, snapshot)
    items = drifted(result, "alert") if "features" in result else []
    delivery = Delivery("not_needed")
    if items:
        report = stratify.paths.reports / "drift" / f"{snapshot.isoformat()}.html"
        message = build_message(result["snapshot_date"], compared_with(result), items, str(report))
        with stratify.warehouse() as con:
            delivery = deliver(con, snapshot, message, stratify.alert_webhook(), cfg.alert)
    if delivery.status in ("failed", "not_configured"):
        context.log.warning(f"drift alert for {snapshot} not delivered ({delivery.status}): {delivery.error}")
    return dg.MaterializeResult(
        metadata={
            "alert_status": delivery.status,
            "attempts": delivery.attempts,
            "error": delivery.error,
            "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
            "alert_items": len(items),
        },
        check_results=[delivery_check_result(delivery)],
    )


defs = dg.Definitions(assets=[drift_metrics, drift_alert])
