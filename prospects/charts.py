"""Inline SVG charts built on the server (no JavaScript, no style attributes: colours come
from classes in site.css, so the page's Content-Security-Policy needs no 'unsafe-inline')."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


@dataclass(frozen=True)
class Line:
    label: str
    css: str  # a class in site.css: chart-area, chart-group, chart-peer
    points: dict[int, float]


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def line_chart(*, title: str, lines: list[Line], baseline: int | None = None) -> str:
    """A line chart of yearly series; a dashed rule marks the baseline year."""
    years = sorted({year for line in lines for year in line.points})
    values = [v for line in lines for v in line.points.values()]
    if not years or not values:
        return ""
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    span_x = max(years[-1] - years[0], 1)

    def x(year: int) -> float:
        return LEFT + (year - years[0]) / span_x * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="chart-axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}"/>',
    ]
    for value in (low + pad, (low + high) / 2, high - pad):
        parts.append(
            f'<text class="chart-label" x="{LEFT - 4}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(_fmt(value))}</text>'
        )
    step = 1 if len(years) <= 8 else 2
    for year in years[::step]:
        parts.append(
            f'<text class="chart-label" x="{x(year):.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{year}</text>'
        )
    if baseline is not None and years[0] <= baseline <= years[-1]:
        parts.append(
            f'<line class="chart-baseline" x1="{x(baseline):.1f}" y1="{TOP}" '
            f'x2="{x(baseline):.1f}" y2="{HEIGHT - BOTTOM}"/>'
        )
    for line in lines:
        points = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in sorted(line.points.items()))
        parts.append(
            f'<polyline class="{escape(line.css)}" points="{points}"><title>'
            f"{escape(line.label)}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(*, title: str, bars: list[tuple[str, float]]) -> str:
    """Horizontal bars (label, value), for spend by year."""
    if not bars:
        return ""
    row = 26
    height = TOP + row * len(bars) + 8
    top = max(v for _, v in bars) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(bars):
        y = TOP + i * row
        width = max(value / top * (WIDTH - 170), 1 if value else 0)
        parts.append(
            f'<text class="chart-label" x="{LEFT + 4}" y="{y + 15}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="chart-bar" x="{LEFT + 10}" y="{y + 3}" width="{width:.1f}" '
            f'height="{row - 8}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
