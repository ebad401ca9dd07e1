"""Small inline SVG charts for the drift report: no plotting library, no network, nothing to load."""

from __future__ import annotations

from html import escape

REFERENCE, CURRENT = "#9aa5b1", "#2f6fdf"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _legend(x: int, y: int, ref_label: str, cur_label: str) -> list[str]:
    return [
        f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{REFERENCE}"/>',
        f'<text x="{x + 14}" y="{y}" {FONT}>{escape(ref_label)}</text>',
        f'<rect x="{x + 110}" y="{y - 9}" width="10" height="10" fill="{CURRENT}"/>',
        f'<text x="{x + 124}" y="{y}" {FONT}>{escape(cur_label)}</text>',
    ]


def distribution_bars(
    title: str, labels: list[str], reference: list[float], current: list[float], legend: tuple[str, str]
) -> str:
    """Reference and current share of each bin side by side (vertical bars, bin labels slanted)."""
    width, height, left, top, bottom = max(360, 34 * len(labels) + 60), 250, 44, 34, 80
    plot_h, slot = height - top - bottom, (max(360, 34 * len(labels) + 60) - left - 10) / max(len(labels), 1)
    peak = max([*reference, *current, 0.01])
    body = [f'<text x="{left}" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    body += _legend(left, 28, *legend)
    for tick in (0, peak / 2, peak):
        y = top + plot_h * (1 - tick / peak)
        body.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e7ec"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" {FONT} text-anchor="end">{tick:.0%}</text>')
    for i, (name, ref, cur) in enumerate(zip(labels, reference, current, strict=True)):
        x = left + i * slot
        bar = slot * 0.38
        for j, (value, colour) in enumerate(((ref, REFERENCE), (cur, CURRENT))):
            h = plot_h * value / peak
            body.append(
                f'<rect x="{x + slot * 0.1 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(name)}: {value:.1%}</title></rect>'
            )
        lx, ly = x + slot / 2, top + plot_h + 10
        body.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" {FONT} text-anchor="end" '
            f'transform="rotate(-40 {lx:.1f} {ly:.1f})">{escape(name[:18])}</text>'
        )
    return _svg(int(width), height, title, body)


def share_bars(
    title: str, labels: list[str], reference: list[float], current: list[float], legend: tuple[str, str]
) -> str:
    """Each segment's share before and after as horizontal bar pairs, with the change in points."""
    row, left, top, bar_w = 26, 150, 36, 260
    width, height = left + bar_w + 70, top + row * len(labels) + 8
    peak = max([*reference, *current, 0.01])
    body = [f'<text x="4" y="14" {FONT} font-weight="bold">{escape(title)}</text>', *_legend(left, 28, *legend)]
    for i, (name, ref, cur) in enumerate(zip(labels, reference, current, strict=True)):
        y = top + i * row
        body.append(f'<text x="{left - 6}" y="{y + 15}" {FONT} text-anchor="end">{escape(name[:24])}</text>')
        for j, (value, colour) in enumerate(((ref, REFERENCE), (cur, CURRENT))):
            body.append(
                f'<rect x="{left}" y="{y + 2 + j * 11}" width="{bar_w * value / peak:.1f}" height="10" '
                f'fill="{colour}"><title>{escape(name)}: {value:.1%}</title></rect>'
            )
        delta = (cur - ref) * 100
        body.append(f'<text x="{left + bar_w + 6}" y="{y + 15}" {FONT}>{delta:+.1f} pt</text>')
    return _svg(width, height, title, body)


def _heat(rate: float) -> str:
    """White to dark blue by rate; the text turns white where the cell is dark."""
    shade = int(255 - 200 * min(max(rate, 0.0), 1.0))
    return f"rgb({shade},{shade + int(40 * rate)},255)" if rate > 0 else "#ffffff"


def migration_heatmap(title: str, labels: list[str], rates: list[list[float]], counts: list[list[int]]) -> str:
    """Rows: segment at the reference; columns: segment now; cells: share of the row that moved there."""
    cell, left, top = 46, 150, 130
    width, height = left + cell * len(labels) + 10, top + cell * len(labels) + 10
    body = [f'<text x="4" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    body.append(f'<text x="4" y="30" {FONT}>rows: before · columns: now · cell: share of the row</text>')
    for j, name in enumerate(labels):
        x = left + j * cell + cell / 2
        body.append(
            f'<text x="{x:.1f}" y="{top - 6}" {FONT} transform="rotate(-45 {x:.1f} {top - 6})">'
            f"{escape(name[:20])}</text>"
        )
    for i, name in enumerate(labels):
        y = top + i * cell
        body.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4:.1f}" {FONT} text-anchor="end">{escape(name[:24])}</text>'
        )
        for j, target in enumerate(labels):
            rate, count = rates[i][j], counts[i][j]
            colour = "#ffffff" if rate > 0.55 else "#1b1f24"
            body.append(
                f'<rect x="{left + j * cell}" y="{y}" width="{cell}" height="{cell}" fill="{_heat(rate)}" '
                f'stroke="#d0d7de"><title>{escape(name)} → {escape(target)}: {count} ({rate:.0%})</title></rect>'
            )
            if count:
                body.append(
                    f'<text x="{left + j * cell + cell / 2}" y="{y + cell / 2 + 4}" {FONT} text-anchor="middle" '
                    f'fill="{colour}">{rate:.0%}</text>'
                )
    return _svg(width, height, title, body)
