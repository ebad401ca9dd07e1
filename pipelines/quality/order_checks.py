"""Asset checks on the unified order lines: spend distribution per channel and market, and freshness of the
channels and of the FX rates they are converted at."""

import dagster as dg

from pipelines.quality.distribution import spend_shifts, stale_channels, stale_fx_rates
from pipelines.quality.reports import record_check
from pipelines.resources import StratifyResource

UNIFIED = dg.AssetKey(["intermediate", "int_orders__unified"])
TABLE = "intermediate.int_orders__unified"


@dg.asset_check(
    asset=UNIFIED,
    name="spend_distribution",
    blocking=True,
    description="Line spend per channel and market (mean, median, p90) stays within bounds of its history",
)
def spend_distribution(context: dg.AssetCheckExecutionContext, stratify: StratifyResource) -> dg.AssetCheckResult:
    """Catches exports in cents or the wrong currency before they reach tiers."""
    with stratify.warehouse() as con:
        shifts = spend_shifts(con, stratify.config.quality.spend)
    result = dg.AssetCheckResult(
        passed=not shifts,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("spend moved beyond bounds: " + "; ".join(s.describe() for s in shifts)) if shifts else None,
        metadata={
            "groups_out_of_bounds": len(shifts),
            "detail": dg.MetadataValue.md("\n".join(f"- {s.describe()}" for s in shifts) or "all within bounds"),
        },
    )
    record_check(stratify.paths.reports, context.run.run_id, TABLE, "spend_distribution", result)
    return result


@dg.asset_check(
    asset=UNIFIED,
    name="channel_freshness",
    blocking=True,
    description="Every channel has orders, and every foreign currency in use a rate, close to the latest order",
)
def channel_freshness(context: dg.AssetCheckExecutionContext, stratify: StratifyResource) -> dg.AssetCheckResult:
    """A channel that stopped sending files, or an FX feed that stopped, is found even when the demo's dates lie
    in the past (the data's own clock)."""
    cfg = stratify.config.quality.freshness
    with stratify.warehouse() as con:
        stale = stale_channels(con, cfg)
        stale_fx = stale_fx_rates(con, cfg, stratify.config.base_currency)
    why = "; ".join(
        [f"{c}: latest order {day}, {lag} days behind the others (max {cfg.max_lag_days})" for c, day, lag in stale]
        + [f"fx_rates {c}: latest rate {day}, {lag} days behind the latest order (max {cfg.max_lag_days})"
           if day else f"fx_rates {c}: no rate at all" for c, day, lag in stale_fx]
    )  # fmt: skip
    result = dg.AssetCheckResult(
        passed=not (stale or stale_fx),
        severity=dg.AssetCheckSeverity.ERROR if cfg.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=f"stopped sending: {why}" if why else None,
        metadata={"stale_channels": len(stale), "stale_fx_currencies": len(stale_fx), "detail": why or "all fresh"},
    )
    record_check(stratify.paths.reports, context.run.run_id, TABLE, "channel_freshness", result)
    return result


defs = dg.Definitions(asset_checks=[spend_distribution, channel_freshness])
