"""Stratify's feature stage on its own, and the side-by-side comparison with the two baselines.

The feature stage is the dbt model marts/customer_features for one snapshot, re-run on the warehouse the
full run built, with the environment the pipeline gives dbt (StratifyResource.export_dbt_env). Each
contender runs as a process of its own so its peak RSS is its own; rounds interleave the contenders so
that a busy moment on a shared machine hits all of them alike.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from datetime import date
from pathlib import Path

from benchmarks.baselines import disagreements
from benchmarks.measure import check, run_measured

CONTENDERS = ("stratify", "duckdb", "pandas")


def dbt_command(home: Path, *verb: str) -> list[str]:
    """dbt with its own target and log folders under the bench home, so the repo's target/ is untouched."""
    from pipelines.transform.project import DBT_DIR, DBT_EXECUTABLE

    return [
        DBT_EXECUTABLE, *verb,
        "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
        "--target-path", str(home / "bench-dbt" / "target"), "--log-path", str(home / "bench-dbt" / "logs"),
    ]  # fmt: skip


def dbt_env(home: Path, config: Path, snapshot: date, bucket: int = 0) -> dict[str, str]:
    """The environment the pipeline's dbt steps get for `snapshot`, taken from the pipeline's own code."""
    from pipelines.resources import StratifyResource
    from pipelines.segment.training_features import snapshot_env

    StratifyResource(home=str(home), config_file=str(config)).export_dbt_env()
    return {**os.environ, **snapshot_env(snapshot, [], bucket)}


def _model_seconds(home: Path) -> float:
    """dbt's own execution time of customer_features in the last invocation (no dbt start-up)."""
    results = json.loads((home / "bench-dbt" / "target" / "run_results.json").read_text())
    return next(r["execution_time"] for r in results["results"] if r["unique_id"].endswith(".customer_features"))


def _stratify_round(home: Path, config: Path, snapshot: date) -> dict:
    """customer_features for the snapshot as the pipeline builds it: one dbt run per customer bucket."""
    from pipelines.config import load_config

    dbt_log = home / "logs" / "bench-dbt.log"
    buckets = load_config(config).snapshots.customer_buckets
    found = {"wall_s": 0.0, "compute_s": 0.0, "peak_rss": 0}
    for bucket in range(buckets):
        cmd = dbt_command(home, "run", "--select", "customer_features", "--quiet")
        m = check(run_measured(cmd, dbt_env(home, config, snapshot, bucket), home, dbt_log), dbt_log)
        found["wall_s"] += m.wall_s
        found["compute_s"] += _model_seconds(home)
        found["peak_rss"] = max(found["peak_rss"], m.peak_rss)
    return found


def _one_round(home: Path, config: Path, snapshot: date, threads: int, memory_limit: str) -> dict[str, dict]:
    """Each contender once; wall is the whole process, compute the work inside it."""
    env, logs, found = dbt_env(home, config, snapshot), home / "logs", {}
    found["stratify"] = _stratify_round(home, config, snapshot)
    for engine in ("duckdb", "pandas"):
        out, log = home / "baselines" / f"{engine}.parquet", logs / f"bench-{engine}.log"
        cmd = [sys.executable, "-m", "benchmarks.baselines", engine, str(home / "landing"), snapshot.isoformat(),
               str(out), "--threads", str(threads), "--memory-limit", memory_limit]  # fmt: skip
        m = check(run_measured(cmd, env, Path(__file__).resolve().parent.parent, log), log)
        inside = json.loads(out.with_suffix(".json").read_text())["seconds"]
        found[engine] = {"wall_s": m.wall_s, "compute_s": inside, "peak_rss": m.peak_rss}
    return found


def compare_features(home: Path, config: Path, snapshot: date, runs: int, threads: int, memory_limit: str) -> dict:
    """Medians of `runs` interleaved rounds, ratios of Stratify to each baseline, and the sanity checks."""
    (home / "baselines").mkdir(exist_ok=True)
    # Parse once beforehand so the first timed round does not pay dbt's full parse.
    check(run_measured(dbt_command(home, "parse", "--quiet"), dbt_env(home, config, snapshot), home,
                       home / "logs" / "bench-dbt.log"), home / "logs" / "bench-dbt.log")  # fmt: skip
    rounds = [_one_round(home, config, snapshot, threads, memory_limit) for _ in range(runs)]
    result: dict = {"snapshot_date": snapshot.isoformat(), "runs": runs, "rounds": rounds}
    for name in CONTENDERS:
        result[name] = {
            "wall_s": statistics.median(r[name]["wall_s"] for r in rounds),
            "compute_s": statistics.median(r[name]["compute_s"] for r in rounds),
            "peak_rss": max(r[name]["peak_rss"] for r in rounds),
        }
    ours = result["stratify"]
    result["ratios"] = {
        f"stratify/{base}": {
            "wall": ours["wall_s"] / result[base]["wall_s"],
            "compute": ours["compute_s"] / result[base]["compute_s"],
            "peak_rss": ours["peak_rss"] / result[base]["peak_rss"],
        }
        for base in ("duckdb", "pandas")
    }
    problems = disagreements(home / "baselines" / "duckdb.parquet", home / "baselines" / "pandas.parquet")
    if problems:
        raise AssertionError(f"the DuckDB and pandas baselines disagree: {problems}")
    result["baselines_agree"] = True
    result["totals"] = _totals(home, snapshot)
    return result


def _totals(home: Path, snapshot: date) -> dict:
    """Orders and spend summed over all customers: Stratify's stitched customers against raw channel ids.

    Stitching merges customers but never splits an order, so on clean data the sums agree; a difference
    is worth a look but not a failed benchmark (dirty data is quarantined by Stratify only).
    """
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    ours = con.execute(
        "select count(*), sum(frequency_365d), sum(monetary_365d)::double from marts.customer_features "
        "where snapshot_date = ?",
        [snapshot],
    ).fetchall()[0]
    con.close()
    base = duckdb.sql(
        f"select count(*), sum(frequency_365d), sum(monetary_365d) "
        f"from read_parquet('{home / 'baselines' / 'duckdb.parquet'}')"
    ).fetchall()[0]
    keys = ("customers", "orders_365d", "monetary_365d")
    return {"stratify": dict(zip(keys, ours, strict=True)), "lower_bound": dict(zip(keys, base, strict=True))}
