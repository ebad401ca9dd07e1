"""The drift report: one self-contained HTML page per snapshot, written for a CRM lead, worst news first."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pipelines.drift.activity import ALL_MARKETS, CHANNEL_SHARE, ORDER_VALUE, change_text, summary_lines
from pipelines.drift.alerts import describe
from pipelines.drift.compare import drifted
from pipelines.drift.plots import distribution_bars, migration_heatmap, share_bars

MAX_PLOTS = 12
HEADLINE = {
    "alert": "Customers changed markedly: check campaigns that rely on these segments before they go out.",
    "watch": "Some change worth watching; segments remain usable.",
    "ok": "Stable: customers and segments look like last time.",
}
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1f24;padding:0 1rem}
h1{margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
.verdict{display:inline-block;padding:.3rem .8rem;border-radius:4px;color:#fff;font-weight:bold}
.alert{background:#c62828}.watch{background:#b7791f}.ok{background:#2e7d32}
.small_sample{background:#8c959f}
table{border-collapse:collapse;margin:.6rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.status{color:#fff;border-radius:3px;padding:0 .4rem}
.plots{display:flex;flex-wrap:wrap;gap:1rem}.plots figure{margin:0;border:1px solid #eaeef2;padding:.4rem}
.muted{color:#57606a}
"""


def _status(status: str) -> str:
    return f'<span class="status {escape(status)}">{escape(status)}</span>'


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _p(value: float | None) -> str:
    return "" if value is None else f"{value:.2g}"


def _compared(result: dict) -> str:
    parts = []
    if result["reference_snapshot"]:
        parts.append(
            f"compared with snapshot {escape(result['reference_snapshot'])} · "
            f"{result['customers']['current']} customers now, {result['customers']['reference']} then"
        )
    else:
        parts.append("no earlier snapshot built: customers and segments not compared")
    activity = result.get("activity")
    if activity:
        (rs, re), (cs, ce) = activity["reference_period"], activity["current_period"]
        parts.append(
            f"orders {escape(cs)} to {escape(ce)} ({activity['orders']['current']}) against {escape(rs)} to "
            f"{escape(re)} ({activity['orders']['reference']})"
        )
    return f'<p class="muted">{" · ".join(parts)}</p>'


def _headline(result: dict) -> str:
    """Verdict, then what customers did (one line per thing that moved), then the other items at the alert level."""
    alerts, watches = drifted(result, "alert"), [d for d in drifted(result) if d["status"] == "watch"]
    verdict = result["verdict"]
    parts = [
        f"<h1>Drift report: snapshot {escape(result['snapshot_date'])}</h1>",
        _compared(result),
        f'<p><span class="verdict {verdict}" id="verdict">{verdict.upper()}</span> {escape(HEADLINE[verdict])}</p>',
    ]
    moved = summary_lines([a for a in alerts if a["what"] == "activity"])
    if moved:
        parts.append("<ul id='headlines'>" + "".join(f"<li><b>{escape(m)}</b></li>" for m in moved) + "</ul>")
    parts.append(
        f"<p>{len(alerts)} item(s) at the alert threshold (PSI ≥ {result['thresholds']['psi_alert']}, or an "
        f"activity change of alert size), {len(watches)} worth watching.</p>"
    )
    others = [a for a in alerts if a["what"] != "activity"]
    if others:
        parts.append("<ul>" + "".join(f"<li>{escape(describe(a))}</li>" for a in others[:8]) + "</ul>")
    return "\n".join(parts)


def _drifted_table(result: dict) -> str:
    items = drifted(result)
    if not items:
        return "<h2>What drifted</h2><p>Nothing reached the watch threshold.</p>"
    rows = "".join(
        f"<tr><td>{_status(d['status'])}</td><td>{escape(d['what'])}</td><td>{escape(d['name'])}</td>"
        f"<td>{escape(d['market'])}</td>"
        f"<td class='num'>{escape(change_text(d)) if d['what'] == 'activity' else ''}</td>"
        f"<td class='num'>{'' if d.get('psi') is None else format(d['psi'], '.3f')}</td>"
        f"<td class='num'>{_p(d['p_value'])}</td>"
        f"<td class='num'>{d['n_reference']} → {d['n_current']}</td></tr>"
        for d in items
    )
    return (
        "<h2>What drifted</h2><table id='drifted'><tr><th>status</th><th>kind</th><th>name</th><th>market</th>"
        f"<th>change</th><th>PSI</th><th>p-value</th><th>customers / orders</th></tr>{rows}</table>"
    )


def _money(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{value:,.2f} {currency}".strip()


def _activity_section(result: dict, legend: tuple[str, str]) -> str:
    """Per market: orders, spend per order and channel mix in both periods, with the changes and their tests."""
    activity = result.get("activity")
    if not activity:
        return ""
    items, currency = activity["items"], activity.get("currency", "")
    values = [i for i in items if i["metric"] == ORDER_VALUE]
    shares = [i for i in items if i["metric"] == CHANNEL_SHARE]
    channels = list(dict.fromkeys(i["channel"] for i in shares))
    head = "".join(f"<th>{escape(c)} share</th>" for c in channels)
    rows = []
    for v in values:
        cells = []
        for c in channels:
            sh = next(i for i in shares if i["market"] == v["market"] and i["channel"] == c)
            cells.append(
                f"<td class='num'>{_pct(sh['reference'])} → {_pct(sh['current'])} ({escape(change_text(sh))}) "
                f"{_status(sh['status'])}</td>"
            )
        rows.append(
            f"<tr><td>{escape(v['market'])}</td><td class='num'>{v['n_reference']} → {v['n_current']}</td>"
            f"<td class='num'>{_money(v['reference'], currency)} → {_money(v['current'], currency)} "
            f"({escape(change_text(v))}, p={_p(v['p_value'])}) {_status(v['status'])}</td>{''.join(cells)}</tr>"
        )
    flagged = {i["market"] for i in items if i["status"] in ("alert", "watch")} or {ALL_MARKETS}
    markets = [v["market"] for v in values if v["market"] in flagged][:6]
    figures = []
    for market in markets:
        v = next(i for i in values if i["market"] == market)
        mix = [i for i in shares if i["market"] == market]
        figures.append(
            "<figure>"
            + distribution_bars(
                f"spend per order · {market} · {change_text(v)} · PSI {v['psi']:.2f}",
                v["bins"],
                v["reference_share"],
                v["current_share"],
                legend,
            )
            + "</figure><figure>"
            + share_bars(
                f"channel share of orders · {market}",
                [i["channel"] for i in mix],
                [i["reference"] for i in mix],
                [i["current"] for i in mix],
                legend,
            )
            + "</figure>"
        )
    return (
        "<h2>What customers did: orders of the period</h2>"
        "<table id='activity'><tr><th>market</th><th>orders</th><th>spend per order</th>"
        f"{head}</tr>{''.join(rows)}</table><div class='plots' id='activity-plots'>{''.join(figures)}</div>"
    )


def _distribution_plots(result: dict, legend: tuple[str, str]) -> str:
    """Drifted features first; when nothing drifted, the largest PSIs, so the page always shows the data."""
    judged = [f for f in result["features"] if f["status"] != "small_sample"]
    chosen = [f for f in judged if f["status"] in ("alert", "watch")]
    chosen = sorted(chosen or judged, key=lambda f: -f["psi"])[: MAX_PLOTS if chosen else 4]
    figures = "".join(
        "<figure>"
        + distribution_bars(
            f"{f['feature']} · {f['market']} · PSI {f['psi']:.2f}",
            f["bins"],
            f["reference_share"],
            f["current_share"],
            legend,
        )
        + "</figure>"
        for f in chosen
    )
    return f"<h2>Distributions, reference vs now</h2><div class='plots' id='distributions'>{figures}</div>"


def _segment_section(result: dict, legend: tuple[str, str]) -> str:
    overall = [s for s in result["segments"] if s["market"] == "all"]
    worst = sorted(
        (s for s in result["segments"] if s["market"] != "all" and s["status"] in ("alert", "watch")),
        key=lambda s: -s["psi"],
    )[:6]
    figures = "".join(
        "<figure>"
        + share_bars(
            f"{s['segmentation']} · {s['market']} · PSI {s['psi']:.2f} ({s['status']})",
            s["segments"],
            s["reference_share"],
            s["current_share"],
            legend,
        )
        + "</figure>"
        for s in worst + overall
    )
    return (
        f"<h2>Segment shares</h2><div class='plots' id='segments'>{figures or '<p>No segments to compare.</p>'}</div>"
    )


def _migration_section(result: dict) -> str:
    parts = ["<h2>Migration between the snapshots</h2>"]
    callouts = [(m["segmentation"], c) for m in result["migration"] for c in m["callouts"] if c["market"] == "all"]
    if callouts:
        rows = "".join(
            f"<tr><td>{escape(seg)}</td><td>{escape(c['from'])} → {escape(c['to'])}</td>"
            f"<td class='num'>{c['count']}</td><td class='num'>{c['base']}</td>"
            f"<td class='num'>{_pct(c['rate'])}</td></tr>"
            for seg, c in callouts
        )
        parts.append(
            "<table id='callouts'><tr><th>segmentation</th><th>movement</th><th>customers</th>"
            f"<th>of</th><th>rate</th></tr>{rows}</table>"
        )
    figures = "".join(
        "<figure>"
        + migration_heatmap(
            f"{m['segmentation']}: {_pct(m['moved_share'])} moved", m["labels"], m["rates"], m["counts"]
        )
        + "</figure>"
        for m in result["migration"]
    )
    parts.append(f"<div class='plots' id='migration'>{figures}</div>")
    return "\n".join(parts)


def _model_section(result: dict) -> str:
    model = result["model"]
    if result["reference_snapshot"] is None:
        return ""
    rows = [("reference model", model.get("reference_model")), ("current model", model.get("current_model"))]
    if model.get("cluster_changed_share") is not None:
        rows.append(("customers whose cluster changed", _pct(model["cluster_changed_share"])))
    if model.get("silhouette_change") is not None:
        rows.append(("silhouette change", f"{model['silhouette_change']:+.3f}"))
    rows += [(f"centroid shift: {k}", f"{v:.3f}") for k, v in model.get("centroid_shift", {}).items()]
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f"<h2>Behavioural clusters</h2><table id='model'>{body}</table>"


def render_report(result: dict) -> str:
    # Without a built reference snapshot, the reference is the order period before; name its last day.
    reference = result["reference_snapshot"] or result["activity"]["reference_period"][1]
    legend = (f"ref {reference}", f"now {result['snapshot_date']}")
    notes = "".join(f"<li>{escape(n)}</li>" for n in result["notes"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift {escape(result["snapshot_date"])}</title>
<style>{STYLE}</style></head><body>
{_headline(result)}
{_drifted_table(result)}
{_activity_section(result, legend)}
{_distribution_plots(result, legend)}
{_segment_section(result, legend)}
{_migration_section(result)}
{_model_section(result)}
<h2>How to read this</h2>
<p class="muted">What customers did compares the orders of the snapshot's period with the reference period's, per
market (the order's country), purchase orders only: spend per order is the mean net amount in the base currency
(Welch t-test), a channel's share is its share of orders (two-proportion z-test). A change counts only when its test
tells it from chance; its size sets the level (see drift.activity in the configuration). Markets with too few orders
are not judged.</p>
<p class="muted">PSI (population stability index) compares each distribution with the reference snapshot's, over
bins fixed on the reference: below {result["thresholds"]["psi_watch"]} stable, from {result["thresholds"]["psi_alert"]}
drifted. A Kolmogorov-Smirnov (numbers) or chi-square (categories) test backs each PSI; a PSI whose test p-value is
not below {result["thresholds"]["p_value"]} stays at watch. Markets with fewer than {result["min_group_size"]}
customers are not judged.</p>
{f"<ul class='muted'>{notes}</ul>" if notes else ""}
</body></html>
"""


def write_report(result: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(result), encoding="utf-8")
    return path
