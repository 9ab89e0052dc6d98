"""Equity against its floors as an inline SVG drawn on the server (no chart library)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, PAD = 720, 260, 8

Point = tuple[dt.datetime, Decimal, Decimal | None, Decimal | None]


@dataclass(frozen=True)
class Line:
    """One series as SVG polyline points, with its name."""

    name: str
    points: str


@dataclass(frozen=True)
class Chart:
    """The lines of the chart and the value range its height covers."""

    lines: tuple[Line, ...]
    low: Decimal
    high: Decimal
    width: int = WIDTH
    height: int = HEIGHT


def chart(points: tuple[Point, ...]) -> Chart | None:
    """Equity, daily floor and maximum-loss floor over time; ``None`` with fewer than two
    states."""
    if len(points) < 2:
        return None
    values = [v for p in points for v in p[1:] if v is not None]
    low, high = min(values), max(values)
    span = high - low or Decimal(1)
    start, end = points[0][0], points[-1][0]
    seconds = (end - start).total_seconds() or 1.0

    def xy(at: dt.datetime, value: Decimal) -> str:
        x = PAD + (WIDTH - 2 * PAD) * (at - start).total_seconds() / seconds
        y = PAD + (HEIGHT - 2 * PAD) * float((high - value) / span)
        return f"{x:.1f},{y:.1f}"

    lines = []
    series: tuple[tuple[str, list[tuple[dt.datetime, Decimal | None]]], ...] = (
        ("equity", [(p[0], p[1]) for p in points]),
        ("daily loss floor", [(p[0], p[2]) for p in points]),
        ("max loss floor", [(p[0], p[3]) for p in points]),
    )
    for name, values_at in series:
        drawn = [xy(at, v) for at, v in values_at if v is not None]
        if len(drawn) >= 2:
            lines.append(Line(name, " ".join(drawn)))
    return Chart(tuple(lines), low, high)
