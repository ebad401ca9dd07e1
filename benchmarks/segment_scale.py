"""The segment stage at a million customers (issue #10's target), on customers replicated from a run.

A scale's data has about 32 order lines per customer, so a million customers mean a 32M-line run; the
segment stage's cost grows with customers, not lines. This copies the run's customer features (every
built date: the snapshots and the churn and value models' training dates) `replicas` times under new keys
(`<key>~<r>`), and the identity map with them (each channel id then maps to every replica, which so has
its original's outcomes), into a scratch home. There it materializes the real segment asset for the last
two snapshots, in a process of its own each: the first fits without a previous model, the second against
it (warm start, names kept), as a monthly run does. Order lines are not copied: an outcome window scans the
run's lines once and the join multiplies them, so reading outcomes costs less than with real lines.

`python -m benchmarks.segment_scale <run home> <scratch home> <config> --customers N` prints the result
JSON; the benchmark calls `measure` (benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from benchmarks.measure import check, run_measured
from pipelines.resources import REPO_ROOT

OUTCOME_COLUMNS = "channel, order_id, quantity, is_return, net_amount_base, order_date, customer_id_kind, customer_id"
STEP = "segments__customer_segments"


def replicate(run_home: Path, scratch: Path, customers: int) -> dict:
    """A scratch warehouse with every feature date's customers copied until the last snapshot has
    at least `customers`; returns the replica count and the customers per feature date."""
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "logs").mkdir(parents=True)
    con = duckdb.connect(str(scratch / "warehouse.duckdb"))
    source = str(run_home / "warehouse.duckdb").replace("'", "''")  # ATTACH takes no parameters
    con.execute(f"attach '{source}' as run (read_only)")
    dates = [
        r[0]
        for r in con.execute("select distinct snapshot_date from run.marts.customer_features order by 1").fetchall()
    ]
    last = con.execute("select count(*) from run.marts.customer_features where snapshot_date = ?", [dates[-1]])
    replicas = math.ceil(customers / last.fetchall()[0][0])
    con.execute("create schema marts; create schema intermediate")
    con.execute(f"""create table marts.customer_features as
        select f.* replace (f.customer_key || '~' || r.range as customer_key)
        from run.marts.customer_features f, range({replicas}) r""")  # fmt: skip
    con.execute(f"""create table intermediate.int_customers__identity as
        select i.* replace (i.customer_key || '~' || r.range as customer_key)
        from run.intermediate.int_customers__identity i, range({replicas}) r""")  # fmt: skip
    con.execute(f"create table intermediate.int_orders__unified as select {OUTCOME_COLUMNS} "
                "from run.intermediate.int_orders__unified")  # fmt: skip
    sizes = con.execute("select snapshot_date, count(*) from marts.customer_features group by 1 order by 1").fetchall()
    con.close()
    return {"replicas": replicas, "customers": {d.isoformat(): n for d, n in sizes}}


def measure(run_home: Path, scratch: Path, config: Path, env: dict[str, str], snapshots: list[date],
            customers: int = 1_000_000) -> dict:  # fmt: skip
    """Replicate, then time the segment asset for the last two of `snapshots` (wall and peak RSS of the
    process, and the asset step itself from Dagster's events)."""
    t0 = time.monotonic()
    made = replicate(run_home, scratch, customers)
    result: dict = {"replicate_s": round(time.monotonic() - t0, 2), "replicas": made["replicas"], "runs": []}
    child_env = {**env, "STRATIFY_HOME": str(scratch), "STRATIFY_CONFIG": str(config),
                 "DAGSTER_HOME": str(scratch / "dagster")}  # fmt: skip
    for snapshot in snapshots[-2:]:
        log, out = scratch / "logs" / f"segment-{snapshot}.log", scratch / f"segment-{snapshot}.json"
        cmd = [sys.executable, "-m", "benchmarks.segment_scale", "--materialize", snapshot.isoformat(), str(out)]
        m = check(run_measured(cmd, child_env, REPO_ROOT, log), log)
        inside = json.loads(out.read_text())
        result["runs"].append({
            "snapshot_date": snapshot.isoformat(), "customers": made["customers"][snapshot.isoformat()],
            "profiled": inside["profiled"], "wall_s": round(m.wall_s, 2), "step_s": inside["step_s"],
            "peak_rss": m.peak_rss, "previous_model": inside["previous_model"],
        })  # fmt: skip
    return result


def materialize(snapshot: date, out: Path) -> None:
    """In the scratch home: the segment asset of one snapshot through the snapshot job, nothing else."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.orchestration.partitions import snapshot_date_of, snapshot_partitions
    from pipelines.orchestration.runner import QUIET_LOGS

    key = next(k for k in snapshot_partitions().get_partition_keys() if snapshot_date_of(k) == snapshot)
    asset = dg.AssetKey(["segments", "customer_segments"])
    result = defs.resolve_job_def("snapshot_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), run_config=QUIET_LOGS, partition_key=key, asset_selection=[asset]
    )
    done = next(e for e in result.all_events if e.step_key == STEP and e.event_type_value == "STEP_SUCCESS")
    with duckdb.connect(os.environ["STRATIFY_HOME"] + "/warehouse.duckdb", read_only=True) as con:
        sql = "select count(*) filter (snapshot_date = ? and profiled), count(*) filter (snapshot_date < ?) from "
        profiled, earlier = con.execute(sql + "segments.customer_segments", [snapshot, snapshot]).fetchall()[0]
    step_s = round(done.event_specific_data.duration_ms / 1000, 2)
    out.write_text(json.dumps({"step_s": step_s, "profiled": profiled, "previous_model": earlier > 0}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--materialize", nargs=2, metavar=("SNAPSHOT", "OUT"), help="(internal) one asset run")
    parser.add_argument("run_home", type=Path, nargs="?")
    parser.add_argument("scratch", type=Path, nargs="?")
    parser.add_argument("config", type=Path, nargs="?")
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.materialize:
        materialize(date.fromisoformat(args.materialize[0]), Path(args.materialize[1]))
        return
    with duckdb.connect(str(args.run_home / "warehouse.duckdb"), read_only=True) as con:
        query = "select distinct snapshot_date from segments.customer_segments order by 1"
        snapshots = [r[0] for r in con.execute(query).fetchall()]
    print(json.dumps(measure(args.run_home, args.scratch, args.config, dict(os.environ), snapshots, args.customers)))


if __name__ == "__main__":
    main()
