"""Daily bars as the simulation reads them, with the analytics each day's signal may use.

A day's signal sees only what was known at its open: the ATR, its percentile and the daily
volatility of the bars before it, never the day's own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from aria.sizing import market
from aria.sizing.errors import InvalidRequest

ATR_PERIOD = 14
LOOKBACK = 252


@dataclass(frozen=True)
class Bar:
    """One day of one symbol."""

    day: dt.date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


@dataclass(frozen=True)
class Known:
    """What was known of a symbol at a day's open (from the bars before it)."""

    atr: Decimal
    percentile: Decimal | None
    volatility: Decimal | None


@dataclass(frozen=True)
class Series:
    """A symbol's daily bars, oldest first, one per day."""

    symbol: str
    bars: tuple[Bar, ...]
    known: dict[dt.date, Known] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, symbol: str, bars: Sequence[Bar]) -> Series:
        """Validate the bars and work out what each day's open knew."""
        ordered = tuple(bars)
        for index, bar in enumerate(ordered):
            if not (bar.low <= min(bar.open, bar.close) and bar.high >= max(bar.open, bar.close)):
                raise InvalidRequest(f"{symbol} {bar.day}: open and close must lie in the range")
            if bar.low <= 0:
                raise InvalidRequest(f"{symbol} {bar.day}: prices must be positive")
            if index and ordered[index - 1].day >= bar.day:
                raise InvalidRequest(f"{symbol}: bars must be one per day, in order ({bar.day})")
        highs = np.array([float(b.high) for b in ordered])
        lows = np.array([float(b.low) for b in ordered])
        closes = np.array([float(b.close) for b in ordered])
        ranges = market.atr(highs, lows, closes, ATR_PERIOD) if ordered else np.empty(0)
        known: dict[dt.date, Known] = {}
        for index in range(1, len(ordered)):
            current = float(ranges[index - 1])
            if not math.isfinite(current) or current <= 0:
                continue
            history = ranges[: index - 1]
            history = history[np.isfinite(history)]
            percentile = (
                market.percentile_rank(history, current, LOOKBACK) if history.size else None
            )
            volatility = market.daily_volatility(closes[:index], LOOKBACK) if index >= 3 else None
            known[ordered[index].day] = Known(
                atr=Decimal(f"{current:.10g}"),
                percentile=Decimal(f"{percentile:.6g}") if percentile is not None else None,
                volatility=Decimal(f"{min(volatility, 5.0):.8g}")
                if volatility is not None
                else None,
            )
        return cls(symbol, ordered, known)

    def scaled(self, symbol: str, factor: Decimal) -> Series:
        """The same bars with every price times ``factor``, under another symbol (a proxy)."""
        return Series.of(
            symbol,
            [
                Bar(b.day, b.open * factor, b.high * factor, b.low * factor, b.close * factor)
                for b in self.bars
            ],
        )

    def by_day(self) -> dict[dt.date, Bar]:
        """The bars keyed by day."""
        return {bar.day: bar for bar in self.bars}
