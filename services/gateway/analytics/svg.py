"""Tiny inline-SVG charts for the report: a line chart and a bar chart over time, no scripts, no fonts to fetch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

__all__ = ["bar_chart", "line_chart"]

WIDTH, HEIGHT = 900, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return value


def _frame(times: Sequence[int], y_max: float, label: str) -> list[str]:
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" class="chart">']
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = y_max * (4 - i) / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value:g}</text>')
    if times:
        for i in range(0, len(times), max(1, len(times) // 8)):
            x = _x(i, len(times))
            tick = datetime.fromtimestamp(times[i] / 1000).strftime("%H:%M")
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" class="axis">{tick}</text>')
    return parts


def _x(i: int, n: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (i / max(n - 1, 1))


def _y(value: float, y_max: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / y_max)


def line_chart(times: Sequence[int], values: Sequence[float | None], label: str) -> str:
    """A line through the known values (gaps where a value is None)."""
    y_max = _nice_max(max((v for v in values if v is not None), default=0))
    parts = _frame(times, y_max, label)
    run: list[str] = []
    runs: list[list[str]] = []
    for i, v in enumerate(values):
        if v is None:
            if run:
                runs.append(run)
                run = []
            continue
        run.append(f"{_x(i, len(values)):.1f},{_y(v, y_max):.1f}")
    if run:
        runs.append(run)
    for points in runs:
        parts.append(f'<polyline points="{" ".join(points)}" class="line"/>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(times: Sequence[int], values: Sequence[float], label: str) -> str:
    y_max = _nice_max(max(values, default=0))
    parts = _frame(times, y_max, label)
    n = len(values)
    width = max((WIDTH - LEFT - RIGHT) / max(n, 1) - 1, 0.5)
    for i, v in enumerate(values):
        if v <= 0:
            continue
        x = LEFT + (WIDTH - LEFT - RIGHT) * i / max(n, 1)
        y = _y(v, y_max)
        height = HEIGHT - BOTTOM - y
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" class="bar"/>')
    parts.append("</svg>")
    return "".join(parts)
