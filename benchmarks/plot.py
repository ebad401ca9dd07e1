"""The cost curve: wall time and peak memory against order lines, log-log, from every result JSON present.

One point per scale (its newest result), so a re-run replaces its point instead of drawing a zig-zag.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

TIME_SERIES = {
    "end to end": lambda r: r["full_run"]["wall_s"],
    "ingest": lambda r: r["full_run"]["seconds"]["ingest"],
    "transform": lambda r: r["full_run"]["seconds"]["transform"],
    "segment": lambda r: r["full_run"]["seconds"]["segment"],
    "incremental": lambda r: r["incremental_run"]["wall_s"],
    "features: Stratify": lambda r: r["feature_stage"]["stratify"]["wall_s"],
    "features: DuckDB": lambda r: r["feature_stage"]["duckdb"]["wall_s"],
    "features: pandas": lambda r: r["feature_stage"]["pandas"]["wall_s"],
}
MEMORY_SERIES = {
    "end to end": lambda r: r["full_run"]["peak_rss"] / 1024**2,
    "features: Stratify": lambda r: r["feature_stage"]["stratify"]["peak_rss"] / 1024**2,
    "features: DuckDB": lambda r: r["feature_stage"]["duckdb"]["peak_rss"] / 1024**2,
    "features: pandas": lambda r: r["feature_stage"]["pandas"]["peak_rss"] / 1024**2,
}
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def latest_results(out: Path) -> list[dict]:
    """The newest result of each scale, smallest first."""
    newest: dict[str, dict] = {}
    for path in sorted(out.glob("bench-*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        if result["started_at"] >= newest.get(result["scale"], {}).get("started_at", ""):
            newest[result["scale"]] = result
    return sorted(newest.values(), key=lambda r: r["data"]["order_lines"])


def series(results: list[dict], pick: dict) -> dict[str, list[tuple[float, float]]]:
    return {name: [(r["data"]["order_lines"], f(r)) for r in results if f(r) > 0] for name, f in pick.items()}


def write_plot(out: Path) -> Path:
    """cost-curve.png with matplotlib when importable, else cost-curve.svg; returns the path."""
    results = latest_results(out)
    panels = [("wall time (s)", series(results, TIME_SERIES)), ("peak RSS (MB)", series(results, MEMORY_SERIES))]
    try:
        import matplotlib
    except ImportError:
        path = out / "cost-curve.svg"
        path.write_text(svg(panels), encoding="utf-8")
        return path
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, (label, lines) in zip(axes, panels, strict=True):
        for (name, points), color in zip(lines.items(), COLORS, strict=False):
            ax.loglog(*zip(*points, strict=True), marker="o", label=name, color=color)
        ax.set_xlabel("order lines")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "cost-curve.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _decades(values: list[float]) -> tuple[int, int]:
    low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    return low, max(high, low + 1)


def _panel(label: str, lines: dict, left: float, width: float = 380, height: float = 300) -> list[str]:
    """One log-log panel: axes with a line per decade, a polyline and dots per series, a legend."""
    top, xs = 40, [x for pts in lines.values() for x, _ in pts]
    ys = [y for pts in lines.values() for _, y in pts]
    if not xs:
        return [f'<text x="{left}" y="{top}">no results</text>']
    (x0, x1), (y0, y1) = _decades(xs), _decades(ys)

    def px(x: float) -> float:
        return left + (math.log10(x) - x0) / (x1 - x0) * width

    def py(y: float) -> float:
        return top + height - (math.log10(y) - y0) / (y1 - y0) * height

    parts = [f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#333"/>']
    for d in range(x0, x1 + 1):
        x = px(10**d)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + height}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + height + 15}" text-anchor="middle">1e{d}</text>')
    for d in range(y0, y1 + 1):
        y = py(10**d)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">1e{d}</text>')
    parts.append(f'<text x="{left + width / 2}" y="{top + height + 32}" text-anchor="middle">order lines</text>')
    parts.append(f'<text x="{left + width / 2}" y="{top - 10}" text-anchor="middle">{label}</text>')
    for k, ((name, points), color) in enumerate(zip(lines.items(), COLORS, strict=False)):
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in sorted(points))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        parts += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>' for x, y in points]
        ly = top + 12 + 13 * k
        parts.append(f'<rect x="{left + 8}" y="{ly - 8}" width="10" height="3" fill="{color}"/>')
        parts.append(f'<text x="{left + 22}" y="{ly}">{name}</text>')
    return parts


def svg(panels: list[tuple[str, dict]]) -> str:
    """Both panels side by side as a standalone SVG document."""
    body = [p for k, (label, lines) in enumerate(panels) for p in _panel(label, lines, 60 + k * 460)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="920" height="390" font-family="sans-serif" font-size="11">\n'
        '<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n"
    )
