"""Inline SVG charts rendered on the server: no JavaScript, no CDN, the same in the browser and in PDF reports.

A chart only draws values it is given, which are published values (None for a suppressed cell: a gap
in the line and a '..' mark on the axis, never a 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

# Colour-blind-safe colours (Okabe–Ito), each with its own dash pattern so lines differ in print too.
STYLES = (("#0072B2", ""), ("#D55E00", "6 4"), ("#009E73", "2 3"), ("#CC79A7", "8 3 2 3"))


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.1f}".replace(".", ",")


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "",
               width: int = 720, height: int = 260, chart_id: str = "chart") -> Markup:
    """An accessible SVG line chart (role img, title and description); gaps where values are suppressed."""
    left, right, top, bottom = 56, 16, 16, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    shown = [v for s in series for v in s.values if v is not None]
    high = max(shown) if shown else 0
    step = _nice_step(high * 1.1 if high else 1)
    y_max = step * max(1, math.ceil((high * 1.05) / step)) if high else step * 5
    n = len(labels)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    suppressed = sum(1 for s in series for v in s.values if v is None)
    description = (f"{len(series)} serier över {n} perioder"
                   + (f"; {suppressed} värden skyddade (..) och utelämnade ur linjen" if suppressed else "")
                   + ". Samma värden finns i tabellen.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" data-points="{len(shown)}">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    ticks = int(round(y_max / step))
    for k in range(ticks + 1):
        value = step * k
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#333">{_number(value)}</text>')
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="end" font-size="11" '
                         f'fill="#333" transform="rotate(-35 {x(i):.1f} {top + plot_h + 16})">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#555"/>')
    if unit:
        parts.append(f'<text x="4" y="{top - 4 if top > 12 else 12}" font-size="11" fill="#333">{escape(unit)}</text>')
    for index, one in enumerate(series):
        colour, dash = STYLES[index % len(STYLES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(one.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
        if segment:
            segments.append(segment)
        group = [f'<g class="series" data-series="{escape(one.name)}">']
        for points in segments:
            if len(points) > 1:
                group.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr} '
                             f'points="{" ".join(points)}"/>')
        for i, value in enumerate(one.values):
            if value is None:
                group.append(f'<text class="suppressed" x="{x(i):.1f}" y="{top + plot_h - 4}" '
                             f'text-anchor="middle" font-size="10" fill="{colour}">..</text>')
            else:
                group.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" fill="{colour}" '
                             f'data-value="{value}"><title>{escape(one.name)} {escape(labels[i])}: '
                             f'{_number(value)}</title></circle>')
        group.append("</g>")
        parts.extend(group)
    legend_y = height - 12
    legend_x = left
    for index, one in enumerate(series):
        colour, dash = STYLES[index % len(STYLES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                     f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        parts.append(f'<text x="{legend_x + 30}" y="{legend_y}" font-size="12" fill="#222">{escape(one.name)}</text>')
        legend_x += 40 + 7 * len(one.name)
    parts.append("</svg>")
    return Markup("".join(parts))
