"""The short summary `stratify run` prints: tiers and where the outputs are."""

from __future__ import annotations

import duckdb

from pipelines.ingest.reconcile import rejected_files
from pipelines.resources import StratifyResource


def print_summary(stratify: StratifyResource, snapshots: list[str], skipped: list[str] = ()) -> None:
    """Read the published file (read-only, as a BI tool would) and print customers per tier."""
    paths = stratify.paths
    with duckdb.connect(str(paths.tiers_db), read_only=True) as con:
        snapshot = con.execute("SELECT max(snapshot_date) FROM customer_tiers").fetchall()[0][0]
        rows = con.execute("SELECT tier, count(*) FROM customer_tiers GROUP BY tier").fetchall()
    counts = dict(rows)
    total = sum(counts.values())
    not_profiled = counts.pop(None, 0)
    built = [s for s in snapshots if s not in skipped]
    print(f"\nStratify run complete. Snapshots built: {', '.join(built) or 'none'}")
    if skipped:
        print(f"Up to date, not rebuilt: {', '.join(skipped)} (stratify run --rebuild builds them anyway)")
    print(f"Customers per tier at {snapshot} ({total} customers):")
    for tier in stratify.config.segment.tier_names:
        n = counts.get(tier, 0)
        print(f"  {tier:<12} {n:>8}  {100 * n / max(total, 1):5.1f}%")
    if not_profiled:
        print(f"  {'not profiled':<12} {not_profiled:>8}  {100 * not_profiled / max(total, 1):5.1f}%  (no consent)")
    _print_rejected(paths.warehouse)
    print("Outputs:")
    print(f"  warehouse       {paths.warehouse}")
    print(f"  published (BI)  {paths.tiers_db}")
    print(f"  parquet         {paths.parquet}")
    print(f"  drift reports   {paths.reports / 'drift'}")
    print(f"  quality report  {paths.reports / 'quality' / 'index.html'}")


def _print_rejected(warehouse) -> None:
    """Files rejected whole are loud here, not only in the log's first lines: their rows are in neither raw nor
    quarantine, and the tiers above were made without them."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rejected = rejected_files(con)
    except duckdb.IOException:  # a run the daemon started holds it: the run that ended here succeeded all the same
        print("Files rejected: not known now (another run holds the warehouse); `stratify status` tells later")
        return
    if not rejected:
        return
    print(f"Files rejected, not loaded ({len(rejected)}; fix the file or the config, and run again):")
    for r in rejected:
        print(f"  {r['source']}: {r['error']}"[:300])
