"""Benchmark results as JSON, a Markdown table and the cost curve (time and peak memory against size).

matplotlib is not a dependency of Stratify; when it is importable the curve is a PNG, otherwise an SVG
written here by hand, so the benchmark never needs a package of its own.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

from benchmarks import targets
from benchmarks.stages import OUTSIDE, STAGES

PACKAGES = ("duckdb", "dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "pandas", "scikit-learn")
GIB = 1024**3


def machine_info() -> dict:
    """What the figures depend on: CPU, cores, RAM, versions, and how busy the machine was."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown",
    )  # fmt: skip
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_bytes": mem_kb * 1024,
        "python": platform.python_version(),
        "versions": versions,
        "load_average_start": os.getloadavg(),
    }


def derive(result: dict) -> dict:
    """Throughput and the incremental run's share of the full run, per stage and overall."""
    lines = result["data"]["order_lines"]
    full, inc, nxt = result["full_run"], result["incremental_run"], result.get("next_day_run")
    ingest_s = full["seconds"]["ingest"]
    floor_s = result.get("load_floor", {}).get("compute_s")
    return {
        "ingest_lines_per_s": lines / ingest_s if ingest_s else None,
        "load_floor_lines_per_s": lines / floor_s if floor_s else None,
        "ingest_to_load_floor": ingest_s / floor_s if floor_s else None,
        "end_to_end_lines_per_s": lines / full["wall_s"],
        "incremental_ratio": inc["wall_s"] / full["wall_s"],
        "incremental_stage_ratios": _stage_ratios(inc, full),
        "next_day_ratio": nxt["wall_s"] / full["wall_s"] if nxt else None,
        "next_day_stage_ratios": _stage_ratios(nxt, full) if nxt else None,
    }


def _stage_ratios(run: dict, full: dict) -> dict:
    return {
        stage: (run["seconds"][stage] / full["seconds"][stage]) if full["seconds"][stage] else None
        for stage in (*STAGES, OUTSIDE)
    }


def _mb(n: float) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def _ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def _stage_table(result: dict) -> list[str]:
    """Stages of the full run, of the run after the first held-out day and of the run after the second."""
    full, inc, derived = result["full_run"], result["incremental_run"], result["derived"]
    nxt = result.get("next_day_run")
    days = list(result["data"].get("held_out_days", {})) or ["one more day", ""]
    head = f"| stage | full run (s) | peak RSS | + {days[0]} (s) | / full |"
    rule = "|---|---:|---:|---:|---:|"
    if nxt:
        head, rule = head + f" + {days[1]} (s) | / full |", rule + "---:|---:|"
    gen = f"| generate (`stratify demo-data`, not part of the pipeline) | {result['data']['wall_s']:.1f} "
    rows = [head, rule, gen + f"| {_mb(result['data']['peak_rss'])} | | |" + (" | |" if nxt else "")]
    for stage in (*STAGES, OUTSIDE):
        row = f"| {stage} | {full['seconds'][stage]:.1f} | {_mb(full['stage_peak_rss'][stage])} "
        row += f"| {inc['seconds'][stage]:.1f} | {_ratio(derived['incremental_stage_ratios'][stage])} |"
        if nxt:
            row += f" {nxt['seconds'][stage]:.1f} | {_ratio(derived['next_day_stage_ratios'][stage])} |"
        rows.append(row)
    total = (
        f"| **end to end** (`stratify run`) | **{full['wall_s']:.1f}** | **{_mb(full['peak_rss'])}** "
        f"| **{inc['wall_s']:.1f}** | **{derived['incremental_ratio']:.2f}** |"
    )
    if nxt:
        total += f" **{nxt['wall_s']:.1f}** | **{derived['next_day_ratio']:.2f}** |"
    return [*rows, total]


def _feature_table(features: dict) -> list[str]:
    names = {
        "stratify": "Stratify: dbt `customer_features`",
        "duckdb": "lower bound: one DuckDB query from the files",
        "pandas": "pandas: read, concat, groupby",
    }
    rows = [
        "| contender | wall (s) | compute (s) | peak RSS | Stratify / it (wall) | (compute) | (peak RSS) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in names.items():
        f = features[name]
        ratio = features["ratios"].get(f"stratify/{name}")
        cells = [f"{ratio['wall']:.2f}", f"{ratio['compute']:.2f}", f"{ratio['peak_rss']:.2f}"] if ratio else [""] * 3
        measured = f"{f['wall_s']:.2f} | {f['compute_s']:.2f} | {_mb(f['peak_rss'])}"
        rows.append(f"| {label} | {measured} | {' | '.join(cells)} |")
    return rows


def _machine_line(result: dict) -> str:
    m, wh = result["machine"], result["warehouse"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    load = f"{m['load_average_start'][0]:.1f} at start, {m.get('load_average_end', [float('nan')])[0]:.1f} at end"
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_bytes'] / GIB:.1f} GiB RAM; Python {m['python']}; "
        f"{versions}. DuckDB memory_limit {wh['memory_limit']}, threads {wh['threads']}. Load average {load}."
    )


def markdown(result: dict) -> str:
    """The human-readable result: stages, throughput, incremental share, feature-stage comparison."""
    data, full, derived, features = result["data"], result["full_run"], result["derived"], result["feature_stage"]
    snapshots = [j["snapshot_date"] for j in full["jobs"] if j["snapshot_date"]]
    ingest_rate = derived["ingest_lines_per_s"]
    lines = [
        f"## Stratify benchmark, scale {result['scale']}: {data['order_lines']:,} order lines, "
        f"{data['customers']:,} customers ({result['started_at'][:10]})",
        "",
        _machine_line(result),
        "",
        *targets.table(result),
        "",
        *_stage_table(result),
        "",
        f"Throughput: ingest {ingest_rate:,.0f} order lines/s; end to end {derived['end_to_end_lines_per_s']:,.0f} "
        f"order lines/s. Each `stratify run` builds ingest + {len(snapshots)} snapshots ({', '.join(snapshots)}). "
        + _held_out_text(result),
        "",
        *_floor_line(result),
        *_reference_line(result),
        *_time_goes(result["full_run"]),
        *_segment_line(result),
        f"### Feature stage, snapshot {features['snapshot_date']} (medians of {features['runs']})",
        "",
        *_feature_table(features),
        "",
        "Wall is the whole process (dbt or Python start-up included); compute is dbt's own execution time of the "
        "model, or the time inside the baseline after imports. Peak RSS is each process tree's. The baselines key "
        "customers by each channel's raw id (no identity stitching); Stratify reads the warehouse it built. "
        f"DuckDB and pandas results agree: {features['baselines_agree']}. Totals (customers, orders, spend): "
        f"Stratify {_totals(features['totals']['stratify'])}, "
        f"lower bound {_totals(features['totals']['lower_bound'])}.",
        "",
        "Stages: a step belongs to the group of the assets it materializes; Python asset checks are steps of their "
        "own (quality); dbt tests run inside the dbt steps and are moved to quality by dbt's per-node execution "
        "time. Orchestration is the time outside any step (start-up, imports, job set-up).",
    ]
    return "\n".join(lines) + "\n"


def _time_goes(full: dict) -> list[str]:
    """Where the full run's time goes: its heaviest steps and dbt models (absent in results before 2026-11-24)."""
    if "heaviest_steps" not in full:
        return []

    def listed(entries: list[dict]) -> str:
        return "; ".join(f"`{e['name']}` {e['seconds']:.1f} s ({e['seconds'] / full['wall_s']:.0%})" for e in entries)

    return [
        "Where the full run's time goes (share of end to end; summed over the runs of `stratify run`):",
        "",
        f"- heaviest steps (wall, dbt start-up included): {listed(full['heaviest_steps'])}.",
        f"- heaviest dbt models (dbt's own execution time, in the dbt runs a step streams: training dates and "
        f"customer shares built in statements of their own count in their step only): "
        f"{listed(full['heaviest_dbt_models'])}.",
        "",
    ]


def _held_out_text(result: dict) -> str:
    """What the incremental runs landed and rebuilt."""
    data, held = result["data"], result["data"].get("held_out_days")
    if not held:
        return f"The incremental run lands {data['held_out_order_lines']:,} order lines of one more day."
    (first, n1), (second, n2) = held.items()
    rebuilt = [j["snapshot_date"] for j in result["incremental_run"]["jobs"] if j["snapshot_date"]]
    rebuilt_next = [j["snapshot_date"] for j in result["next_day_run"]["jobs"] if j["snapshot_date"]]
    reasons = result["incremental_run"].get("rebuild_reasons")
    if reasons is None:  # results before the runner's reasons were recorded
        why = f": store times of a day may still be {_day_before(first)} in UTC" if rebuilt else ""
    else:
        why = "".join(f": {reason}" for reason in reasons.values())  # at most one: the first rebuilt snapshot's
    return (
        f"Then {first} lands ({n1:,} order lines; snapshots rebuilt: {', '.join(rebuilt) or 'none'}{why}), and "
        f"then {second} ({n2:,} order lines; snapshots rebuilt: {', '.join(rebuilt_next) or 'none'})."
    )


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def _floor_line(result: dict) -> list[str]:
    """The ingest stage against DuckDB loading the same files with none of its guarantees."""
    floor, derived = result.get("load_floor"), result["derived"]
    if not floor:
        return []
    # Floors measured before 2026-12-07 kept the files' order, which DuckDB's write pays for (load_floor.py).
    order = "any order" if floor.get("rows_in_any_order") else "file order"
    return [
        f"Ingest floor: DuckDB loading the same landed files as they are (types detected, rows in {order}; "
        f"no rules, quarantine, lineage, PII hashing or ledger; `benchmarks/load_floor.py`) takes "
        f"{floor['compute_s']:.1f} s ({derived['load_floor_lines_per_s']:,.0f} order lines/s, "
        f"{_mb(floor['peak_rss'])} peak); the ingest stage takes {derived['ingest_to_load_floor']:.2f}x as long.",
        "",
    ]


def _reference_line(result: dict) -> list[str]:
    """The issue's reference read timed in this run, and what loading costs per line against it (absent in
    results before 2026-12-07)."""
    ref, derived = result.get("reference"), result["derived"]
    if not ref:
        return []
    if ref["to_issue"] is None:
        compared = f"at {ref['lines']:,} lines, too few to compare with the issue's {ref['issue_seconds']} s for 10M"
    else:
        compared = f"{ref['to_issue']:.2f}x the issue's {ref['issue_seconds']} s"
    per_line = [f"the ingest stage {ref['lines_per_s'] / derived['ingest_lines_per_s']:.1f}x"]
    if derived.get("load_floor_lines_per_s"):
        per_line.insert(0, f"the plain load to disk {ref['lines_per_s'] / derived['load_floor_lines_per_s']:.1f}x")
    return [
        f"Reference read: DuckDB reading {ref['lines']:,} CSV lines ({ref['bytes'] / 1e6:,.0f} MB) as text and "
        f"casting them into memory, the figure issue #10 sets its ingest target by (`benchmarks/reference.py`), "
        f"took {ref['seconds']:.2f} s in this run, {compared} ({ref['lines_per_s'] / 1e6:.2f}M lines/s, "
        f"{_mb(ref['peak_rss'])} peak). Per order line against it: {' and '.join(per_line)} (the landed files "
        "are wider, and some JSON lines or Parquet).",
        "",
    ]


def _segment_line(result: dict) -> list[str]:
    """The segment stage at a million customers (absent in results before 2026-12-03)."""
    scale = result.get("segment_scale")
    if not scale:
        return []
    runs = [
        f"{r['snapshot_date']} {'against the previous model' if r['previous_model'] else 'first fit'}: "
        f"{r['customers']:,} customers ({r['profiled']:,} profiled), asset step {r['step_s']:.1f} s, process "
        f"{r['wall_s']:.1f} s, {_mb(r['peak_rss'])} peak"
        for r in scale["runs"]
    ]
    return [
        f"Segment stage at a million customers (the run's customers copied {scale['replicas']}x under new keys, "
        f"every feature date; `benchmarks/segment_scale.py`): {'; '.join(runs)}. Order lines are not copied: "
        "the training outcomes read the run's lines, not the 32 or so per customer a warehouse of this many "
        "customers holds, and copies are exact duplicates; one measurement per snapshot.",
        "",
    ]


def _totals(t: dict) -> str:
    return f"{t['customers']:,} / {t['orders_365d']:,} / {t['monetary_365d']:,.2f}"


def write(result: dict, out: Path) -> list[Path]:
    """Result JSON and Markdown named by scale and time, latest-<scale>.md, and the curve over all results."""
    from benchmarks.plot import write_plot

    out.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{result['scale']}-{result['started_at'][:19].replace(':', '').replace('-', '')}"
    json_path, md_path, latest = out / f"{stem}.json", out / f"{stem}.md", out / f"latest-{result['scale']}.md"
    json_path.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")  # first: the data
    text = markdown(result)
    md_path.write_text(text, encoding="utf-8")
    latest.write_text(text, encoding="utf-8")
    return [json_path, md_path, latest, write_plot(out)]
