"""The `stratify` command: thin, calling the same code Dagster runs."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from pipelines.config import ConfigError
from pipelines.resources import StratifyResource, dagster_home


def _snapshot_range(text: str) -> tuple[date, date]:
    try:
        first, _, last = text.partition(":")
        first, last = date.fromisoformat(first), date.fromisoformat(last or first)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD:YYYY-MM-DD, got {text!r}") from exc
    if first > last:
        raise argparse.ArgumentTypeError(f"the first date comes after the last in {text!r}")
    return first, last


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return int(text)


def _country_codes(text: str) -> tuple[str, ...]:
    from pipelines.demo.countries import resolve

    codes = tuple(c.strip().upper() for c in text.split(","))
    try:
        resolve(codes)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return codes


def cmd_demo_data(args: argparse.Namespace) -> int:
    from pipelines.demo.generator import DemoSpec, generate

    out = Path(args.out) if args.out else StratifyResource().paths.landing
    spec = DemoSpec(
        customers=args.customers,
        days=args.days,
        seed=args.seed,
        end=args.end,
        countries=args.countries,
        dirty=args.dirty,
        scenario=args.scenario,
        incidents=tuple(args.incident),
    )
    counts = generate(spec, out)
    print(
        f"demo data: {spec.customers} customers in {','.join(spec.countries)}, {spec.start} to {spec.end}, "
        f"seed {spec.seed}, scenario {spec.scenario}{', dirty' if spec.dirty else ''} -> {out}"
    )
    for source, rows in counts.items():
        print(f"  {source}: {rows} rows")
    return 0


def cmd_prepare(_: argparse.Namespace) -> int:
    from pipelines.transform.project import prepare_manifest

    print(f"dbt manifest: {prepare_manifest()}")
    print(f"Dagster instance: {dagster_home(StratifyResource().paths)}")
    return 0


def _missing_salt(stratify: StratifyResource) -> str | None:
    """Why the run cannot start for want of the right STRATIFY_PII_SALT (unset, or not the warehouse's),
    before anything is loaded: found inside the ingest steps, it stopped the run half-way with a stack trace
    per source holding PII."""
    from pipelines.ingest.contracts import CONTRACTS
    from pipelines.ingest.load_source import holds_pii
    from pipelines.ingest.salt import mismatch, recorded_fingerprint

    sources = [name for name, source in stratify.config.sources.items() if holds_pii(CONTRACTS[name], source)]
    if not sources:
        return None
    try:
        salt = stratify.pii_salt()
    except RuntimeError as exc:
        return f"{exc} Sources holding PII: {', '.join(sources)}."
    recorded = recorded_fingerprint(stratify.paths.warehouse)
    return mismatch(recorded, salt) if recorded else None


def cmd_run(args: argparse.Namespace) -> int:
    stratify = StratifyResource()
    problem = _missing_salt(stratify)
    if problem:
        print(f"stratify run: {problem}", file=sys.stderr)
        return 1
    from pipelines.transform.project import prepare_manifest

    prepare_manifest()
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.orchestration.runner import run_pipeline
    from pipelines.orchestration.summary import print_summary

    dagster_home(stratify.paths)
    log_path = stratify.paths.home / "logs" / f"run-{datetime.now():%Y%m%d-%H%M%S}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"stratify run: STRATIFY_HOME={stratify.paths.home}; dbt and Dagster logs in {log_path}")
    with dg.DagsterInstance.get() as instance, open(log_path, "w", encoding="utf-8") as log:
        outcome = run_pipeline(defs, instance, stratify, args.snapshots, log, rebuild=args.rebuild)
    if not outcome.ok:
        print("\nStratify run FAILED:", file=sys.stderr)
        for failure in outcome.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print_summary(stratify, outcome.snapshots, outcome.skipped)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from pipelines.orchestration.status import collect_status, render_status

    status = collect_status(StratifyResource())
    print(json.dumps(status, indent=2, default=str) if args.json else render_status(status))
    return 0 if status["healthy"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stratify", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo-data", help="write seeded synthetic landing files")
    demo.add_argument("--customers", type=_positive_int, default=5000)
    demo.add_argument("--days", type=_positive_int, default=730)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--end", type=date.fromisoformat, default=date(2025, 12, 31), help="last day of data")
    demo.add_argument("--countries", type=_country_codes, default="DE,FR,GB,US,JP", help="ISO codes, comma-separated")
    demo.add_argument("--dirty", action="store_true", help="inject known problems (recorded in _truth/)")
    demo.add_argument(
        "--scenario",
        choices=["steady", "shift"],
        default="steady",
        help="shift: one country's spend falls and app share rises in the last 60 days",
    )
    demo.add_argument(
        "--incident",
        action="append",
        default=[],
        choices=["cents", "silent_channel", "crm_birth_years"],
        help="a data incident for the quality gates to catch (repeatable): ecommerce amounts in cents from 30 days "
        "before the end, the app channel silent for the last 45 days, 30%% of CRM birth years missing",
    )
    demo.add_argument("--out", help="landing folder (default $STRATIFY_HOME/landing)")
    demo.set_defaults(func=cmd_demo_data)
    prep = sub.add_parser("prepare", help="parse the dbt project and create the Dagster instance folder")
    prep.set_defaults(func=cmd_prepare)
    run = sub.add_parser("run", help="materialize the whole graph in-process")
    run.add_argument("--snapshots", type=_snapshot_range, help="snapshot dates to build, FIRST:LAST")
    run.add_argument(
        "--rebuild",
        action="store_true",
        help="build the load models and every snapshot, even when up to date (nothing loaded since they were built)",
    )
    run.set_defaults(func=cmd_run)
    status = sub.add_parser("status", help="health summary: loads, quarantine, snapshots, failed checks, drift")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:  # the user's to fix: the message names the file and field; a traceback hides it
        print(f"stratify {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
