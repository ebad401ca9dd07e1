"""Benchmark Stratify end to end at one scale: `python -m benchmarks.run --scale small` (or `make bench`).

1. time the read the issue's ingest target stands on (10M CSV lines read as text and cast, benchmarks/reference.py);
   generate demo data for the scale (timed), holding out its last two days, and load it plainly into DuckDB
   (benchmarks/load_floor.py): the floor under the ingest stage;
2. `stratify run` in a fresh STRATIFY_HOME, per-stage wall time and peak RSS from the Dagster event log
   and /proc samples;
3. the feature stage against the two baselines (benchmarks/baselines.py), medians of --runs rounds;
4. the segment stage at a million customers, replicated from the run (benchmarks/segment_scale.py);
5. land the first held-out day and `stratify run` again: the incremental cost of a day that still touches
   the last snapshot (in UTC); then the second day, which no snapshot needs: a plain daily run;
6. JSON, Markdown and the cost-curve plot under --out (benchmarks/report.py), and the README's quote of
   this scale, if it has one (benchmarks/readme.py).

The full pipeline runs once per scale (a 50M run is long); --runs repeats the feature comparison only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import yaml

from benchmarks import readme, reference, report, segment_scale
from benchmarks.feature_stage import compare_features
from benchmarks.held_out import split_by_day
from benchmarks.measure import check, run_measured
from benchmarks.stages import pipeline_stages, run_ids

REPO = Path(__file__).resolve().parent.parent
LINES_PER_CUSTOMER = 32  # the demo generator's average over its default 730 days
RESULTS = REPO / "benchmarks" / "results"
SCALES = {"tiny": 50_000, "small": 1_000_000, "10m": 10_000_000, "50m": 50_000_000}
# DuckDB's cap per scale, below the 6 GB peak target with room for Python, dbt and scikit-learn beside it.
MEMORY_LIMITS = {"50m": "3GB"}
# Feature dates per statement: five at once ran out of the 3 GB cap at 50M lines (medians and distinct counts do
# not spill), so the 50M run builds each snapshot date in a statement of its own.
DATES_PER_BUILD = {"50m": 1}
# Customer shares per customer_features statement: even one date ran out of the 3 GB cap at 50M lines in one
# statement (2025-07-31, after 15 s); in two shares each took 16 s.
CUSTOMER_BUCKETS = {"50m": 2}
# Customers of the segment stage's own measurement (issue #10: a million); the self-check scale keeps it small.
SEGMENT_CUSTOMERS = {"tiny": 20_000}
# Lines of the issue's reference read (10M); the self-check scale reads a small file and gives no comparison.
REFERENCE_LINES = {"tiny": 50_000}
# The demo's seed per scale (the CLI's default elsewhere). The self-check scale's first held-out day is small
# enough (about 5 Tokyo web orders) that most seeds put none of its lines on the last snapshot's day in UTC;
# with seed 4, five web lines of 2026-01-01 06:00-08:59 in Tokyo are 2025-12-31 in UTC, so the tiny run
# rebuilds that snapshot as the larger scales do, and its test checks the rebuild path, not only ingestion.
SEEDS = {"tiny": 4}
END = date(2026, 1, 2)  # last generated day; it and the day before are held out of the first run
DAYS = 732  # so the first run sees the demo's default period, 2024-01-02 to 2025-12-31
HELD_OUT = (date(2026, 1, 1), END)  # landed one at a time after the full run (benchmarks/held_out.py)
ORDER_SOURCES = ("pos", "ecommerce", "app", "marketplace")
ORDER_FOLDERS = ("pos", "pos_de", "ecommerce", "app", "marketplace")  # monthly order-line files (demo layout)
STRATIFY = str(Path(sys.executable).with_name("stratify"))
BUILDING = re.compile(r"^==> snapshot (\S+): building \((.*)\)$", re.MULTILINE)  # stratify run's progress line


def bench_config(
    home: Path,
    memory_limit: str | None,
    snapshots: int | None,
    dates_per_build: int | None = None,
    customer_buckets: int | None = None,
) -> tuple[Path, dict]:
    """A copy of the config with the benchmark's overrides, validated by the pipeline's own loader."""
    from pipelines.config import load_config
    from pipelines.resources import config_path

    data = yaml.safe_load(config_path().read_text(encoding="utf-8"))
    if memory_limit:
        data.setdefault("warehouse", {})["memory_limit"] = memory_limit
    if snapshots:
        data.setdefault("snapshots", {})["latest"] = snapshots
    if dates_per_build:
        data.setdefault("snapshots", {})["dates_per_build"] = dates_per_build
    if customer_buckets:
        data.setdefault("snapshots", {})["customer_buckets"] = customer_buckets
    path = home / "stratify.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, load_config(path).warehouse.model_dump()


def bench_env(home: Path, config: Path) -> dict[str, str]:
    """A fresh home, instance and config for every process the benchmark starts."""
    env = {
        **os.environ,
        "STRATIFY_HOME": str(home),
        "STRATIFY_CONFIG": str(config),
        "STRATIFY_PII_SALT": "bench-salt",
        "DAGSTER_HOME": str(home / "dagster"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "DAGSTER_DISABLE_TELEMETRY": "true",
    }
    env.pop("STRATIFY_ALERT_WEBHOOK", None)  # no alert POSTs from a benchmark
    os.environ.update(env)  # this process reads the same instance and config afterwards
    return env


def generate(home: Path, env: dict[str, str], lines: int, seed: int | None = None) -> dict:
    """Demo data for about `lines` order lines; the held-out days go aside, each in files of its own."""
    customers = max(100, lines // LINES_PER_CUSTOMER)
    log = home / "logs" / "bench-demo-data.log"
    cmd = [STRATIFY, "demo-data", "--customers", str(customers), "--days", str(DAYS), "--end", END.isoformat(),
           "--out", str(home / "landing")]  # fmt: skip
    if seed is not None:
        cmd += ["--seed", str(seed)]
    m = check(run_measured(cmd, env, home, log), log)
    counts = {k: int(v) for k, v in re.findall(r"^\s+(\w+): (\d+) rows$", log.read_text(), re.MULTILINE)}
    held = hold_out(home)
    return {
        "customers": customers,
        "order_lines": sum(counts[s] for s in ORDER_SOURCES) - sum(held.values()),
        "held_out_order_lines": held[HELD_OUT[0].isoformat()],
        "held_out_days": held,
        "rows_per_source": counts,
        "wall_s": m.wall_s,
        "peak_rss": m.peak_rss,
        "landing_bytes": sum(p.stat().st_size for p in (home / "landing").rglob("*") if p.is_file()),
    }


def hold_out(home: Path) -> dict[str, int]:
    """Move the held-out month's order-line files out of landing, split into held_out/<day>/; lines per day."""
    targets = {day: home / "held_out" / day.isoformat() for day in HELD_OUT}
    found = dict.fromkeys(HELD_OUT, 0)
    for folder in ORDER_FOLDERS:
        for path in sorted((home / "landing" / folder).glob(f"*{END:%Y-%m}*")):
            for day, n in split_by_day(path, folder, list(HELD_OUT), targets).items():
                found[day] += n
            path.unlink()
    return {day.isoformat(): n for day, n in found.items()}


def load_floor(home: Path, env: dict[str, str], threads: int, memory_limit: str) -> dict:
    """DuckDB loading the landed files as they are (benchmarks/load_floor.py), in a process of its own."""
    out, log = home / "baselines" / "load_floor.duckdb", home / "logs" / "bench-load-floor.log"
    out.parent.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.load_floor", str(home / "landing"), str(out), "--threads", str(threads),
           "--memory-limit", memory_limit]  # fmt: skip
    m = check(run_measured(cmd, env, REPO, log), log)
    inside = json.loads(out.with_suffix(".json").read_text())
    out.unlink()
    return {"wall_s": m.wall_s, "compute_s": inside["seconds"], "peak_rss": m.peak_rss, "rows": inside["rows"],
            "rows_in_any_order": inside["rows_in_any_order"]}  # fmt: skip


def pipeline_run(home: Path, env: dict[str, str], label: str) -> dict:
    """One measured `stratify run`, broken down by stage."""
    before = run_ids(env["DAGSTER_HOME"])
    log = home / "logs" / f"bench-{label}.log"
    m = check(run_measured([STRATIFY, "run"], env, home, log), log)
    stages = pipeline_stages(env["DAGSTER_HOME"], before, m.wall_s, m.samples)
    samples = [(round(t - m.started_at, 2), rss) for t, rss in m.samples]
    reasons = dict(BUILDING.findall(log.read_text(encoding="utf-8")))  # the first rebuilt snapshot's reason
    return {"wall_s": m.wall_s, "peak_rss": m.peak_rss, **stages, "rss_samples": samples, "rebuild_reasons": reasons}


def land_held_out(home: Path, day: date) -> None:
    """One more day's data arrives: its files are new names in landing."""
    for path in sorted((home / "held_out" / day.isoformat()).rglob("*")):
        if path.is_file():
            target = home / "landing" / path.relative_to(home / "held_out" / day.isoformat())
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def benchmark(args: argparse.Namespace) -> dict:
    """Every measurement of one scale, as the dict that becomes the result JSON."""
    home = (args.work_dir or REPO / "benchmarks" / "work" / args.scale).resolve()
    shutil.rmtree(home, ignore_errors=True)
    (home / "logs").mkdir(parents=True)
    memory_limit = args.memory_limit or MEMORY_LIMITS.get(args.scale)
    config, warehouse = bench_config(
        home, memory_limit, args.snapshots, DATES_PER_BUILD.get(args.scale), CUSTOMER_BUCKETS.get(args.scale)
    )
    env = bench_env(home, config)
    result: dict = {"scale": args.scale, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "warehouse": warehouse}
    result["machine"] = report.machine_info()
    prepare_log = home / "logs" / "bench-prepare.log"  # dbt parse and the instance, outside the timings
    check(run_measured([STRATIFY, "prepare"], env, home, prepare_log), prepare_log)
    say = print
    say(f"bench {args.scale}: the issue's reference read in {home}")
    lines = REFERENCE_LINES.get(args.scale, reference.ISSUE_LINES)
    result["reference"] = reference.measure(home / "reference", env, lines)
    say(f"  {result['reference']['seconds']:.2f}s (the issue's machine: {reference.ISSUE_SECONDS} s); generating")
    result["data"] = generate(home, env, SCALES[args.scale], SEEDS.get(args.scale))
    say(f"  {result['data']['order_lines']:,} order lines in {result['data']['wall_s']:.1f}s; load floor")
    result["load_floor"] = load_floor(home, env, warehouse["threads"], warehouse["memory_limit"])
    say(f"  load floor {result['load_floor']['compute_s']:.1f}s; full run")
    result["full_run"] = pipeline_run(home, env, "full-run")
    say(f"  full run {result['full_run']['wall_s']:.1f}s; feature stage x{args.runs}")
    snapshots = sorted(date.fromisoformat(j["snapshot_date"]) for j in result["full_run"]["jobs"] if j["snapshot_date"])
    result["feature_stage"] = compare_features(
        home, config, snapshots[-1], args.runs, warehouse["threads"], warehouse["memory_limit"]
    )
    customers = SEGMENT_CUSTOMERS.get(args.scale, 1_000_000)
    say(f"  segment stage at {customers:,} customers (replicated)")
    result["segment_scale"] = segment_scale.measure(home, home / "segment-scale", config, env, snapshots, customers)
    shutil.rmtree(home / "segment-scale", ignore_errors=True)
    say(f"  incremental run: {HELD_OUT[0]} lands")
    land_held_out(home, HELD_OUT[0])
    result["incremental_run"] = pipeline_run(home, env, "incremental-run")
    say(f"  next-day run: {HELD_OUT[1]} lands")
    land_held_out(home, HELD_OUT[1])
    result["next_day_run"] = pipeline_run(home, env, "next-day-run")
    result["machine"]["load_average_end"] = os.getloadavg()
    result["derived"] = report.derive(result)
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    # tiny (about 50k lines) is a quick self-check, not a benchmark: hidden from --help.
    parser.add_argument(
        "--scale", choices=list(SCALES), default="small", metavar="{small,10m,50m}", help="small: ~1M order lines"
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds of the feature comparison (medians)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument("--readme", type=Path, help="README whose quote of this scale to update (default: the "
                        "repository's, when --out is benchmarks/results)")  # fmt: skip
    parser.add_argument("--work-dir", type=Path, help="STRATIFY_HOME to use (default benchmarks/work/<scale>)")
    parser.add_argument("--memory-limit", help="override warehouse.memory_limit (e.g. 3GB)")
    parser.add_argument("--snapshots", type=int, help="override snapshots.latest: snapshots per stratify run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (data, warehouse, logs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = benchmark(args)
    paths = report.write(result, args.out)
    # The README quotes benchmarks/results/ (test_readme holds it to that): results written elsewhere are
    # quoted only in a README named with --readme.
    quoting = args.readme or (readme.README if args.out.resolve() == RESULTS.resolve() else None)
    if quoting and readme.quote(quoting, result["scale"], report.markdown(result)):  # README blocks: 10m, 50m
        paths.append(quoting)
    print(report.markdown(result))
    print("\n".join(f"wrote {p}" for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
