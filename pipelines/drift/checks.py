"""Drift checks: WARN at the watch threshold, ERROR at the alert threshold, and never blocking.

Customers changing is news for the CRM team, not broken data, so a drift check must not stop the
tiers from being published; it marks the snapshot in the UI and the run summary instead.
"""

import dagster as dg

from pipelines.drift.activity import label
from pipelines.drift.alerts import Delivery, describe
from pipelines.drift.metrics import magnitude

CHECKS = {
    "activity_drift": "Spend per order and channel mix per market, this period against the reference period: "
    "WARN / ERROR at the watch / alert effect sizes of drift.activity when the test backs them",
    "feature_drift": "Feature distributions per market within the PSI thresholds of the reference snapshot",
    "segment_drift": "Segment shares per segmentation and market within the PSI thresholds of the reference",
}
DELIVERED = "alert_delivered"


def drift_check_specs(asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=asset, blocking=False, description=text) for name, text in CHECKS.items()]


def _judge(check: str, items: list[dict], judged: int) -> dg.AssetCheckResult:
    alerts = [i for i in items if i["status"] == "alert"]
    watches = [i for i in items if i["status"] == "watch"]
    worst = alerts or watches
    description = None
    if worst:
        level = "alert" if alerts else "watch"
        shown = "; ".join(describe(i) for i in sorted(worst, key=lambda i: -magnitude(i))[:5])
        description = f"{len(worst)} at the {level} threshold: {shown}"
    return dg.AssetCheckResult(
        check_name=check,
        passed=not worst,
        severity=dg.AssetCheckSeverity.ERROR if alerts else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={"alert": len(alerts), "watch": len(watches), "judged": judged},
    )


def drift_check_results(result: dict | None) -> list[dg.AssetCheckResult]:
    """One result per check; a part with nothing to compare with passes, saying so."""
    if result is None:
        return [
            dg.AssetCheckResult(check_name=name, passed=True, description="no reference snapshot") for name in CHECKS
        ]
    activity = [{"what": "activity", "name": label(a), **a} for a in (result.get("activity") or {}).get("items", [])]
    features = [{"what": "feature", "name": f["feature"], **f} for f in result["features"]]
    segments = [{"what": "segments", "name": s["segmentation"], **s} for s in result["segments"]]
    results = [
        _judge("activity_drift", activity, sum(a["status"] != "small_sample" for a in activity)),
        _judge("feature_drift", features, sum(f["status"] != "small_sample" for f in features)),
        _judge("segment_drift", segments, sum(s["status"] != "small_sample" for s in segments)),
    ]
    if result["reference_snapshot"] is None:
        results[1:] = [
            dg.AssetCheckResult(check_name=r.check_name, passed=True, description="no reference snapshot built")
            for r in results[1:]
        ]
    if not result.get("activity"):
        results[0] = dg.AssetCheckResult(check_name="activity_drift", passed=True, description="no orders to compare")
    return results


def delivery_check_spec(asset: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        DELIVERED, asset=asset, blocking=False, description="A drift alert that was due reached the webhook"
    )


def delivery_check_result(delivery: Delivery) -> dg.AssetCheckResult:
    """WARN when a due alert was not delivered (webhook down or not configured); never an ERROR."""
    return dg.AssetCheckResult(
        check_name=DELIVERED,
        passed=delivery.status in ("sent", "already_sent", "not_needed"),
        severity=dg.AssetCheckSeverity.WARN,
        description=None if delivery.error is None else f"drift alert {delivery.status}: {delivery.error}",
        metadata={"status": delivery.status, "attempts": delivery.attempts},
    )
