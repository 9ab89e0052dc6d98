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


# One reader of bar files for ``aria bars import`` and ``aria simulate``: CSV text with a header
# naming a time column (or MetaTrader's separate <DATE> and <TIME>), open, high, low, close and
# an optional volume, separated by commas, tabs or semicolons.
TIME_COLUMNS = ("datetime", "date", "timestamp", "time")
VOLUME_COLUMNS = ("volume", "tickvol", "vol")
RawBar = tuple[dt.datetime, Decimal, Decimal, Decimal, Decimal, Decimal | None]
_MINUTES = {"1": "1m", "5": "5m", "15": "15m", "60": "1h", "240": "4h", "1440": "1d"}
_LETTERS = {"M1": "1m", "M5": "5m", "M15": "15m", "H1": "1h", "H4": "4h", "D1": "1d"}


@dataclass
class CsvBars:
    """The bars of one file's text, or the lines that were wrong in it (line numbers of the
    text, the header being line 1)."""

    bars: list[RawBar] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def named(filename: str) -> tuple[str, str | None]:
    """The symbol, and the timeframe where the name says it, of a bar file named like a
    MetaTrader export: ``EURUSD1440.csv`` (EURUSD, 1d), ``EURUSD60.csv`` (1h),
    ``EURUSD_M1.csv`` or ``eurusd-m1.csv`` (1m), ``EURUSD.csv`` (no timeframe)."""
    stem = filename.rsplit("/", 1)[-1].split(".", 1)[0] if "." in filename else filename
    base, sep, suffix = stem.replace("-", "_").rpartition("_")
    if sep and suffix.upper() in _LETTERS:
        return base.upper(), _LETTERS[suffix.upper()]
    digits = len(stem) - len(stem.rstrip("0123456789"))
    head, tail = stem[: len(stem) - digits], stem[len(stem) - digits :]
    # Trailing minutes name a timeframe only after a six-letter pair (US30 stays a symbol).
    if tail in _MINUTES and len(head) == 6 and head.isalpha():
        return head.upper(), _MINUTES[tail]
    return stem.upper(), None


def _time(text: str) -> dt.datetime:
    cleaned = text.strip().replace("Z", "+00:00")
    if len(cleaned) >= 10 and cleaned[4] == "." and cleaned[7] == ".":  # MetaTrader 2018.12.20
        cleaned = cleaned[:10].replace(".", "-") + cleaned[10:]
    value = dt.datetime.fromisoformat(cleaned)
    # Naive bar times are UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _price(text: str, name: str) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a positive number")
    return value


def read_bars(text: str, where: str) -> CsvBars:
    """Parse the CSV ``text`` of a bar file named ``where`` (for messages)."""
    parsed = CsvBars()
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        parsed.problems.append(f"{where}: line 1: the file is empty")
        return parsed
    separator = max(("\t", ";", ","), key=lines[0].count)
    header = [c.strip().strip("<>").lower() for c in lines[0].split(separator)]
    index = {name: i for i, name in enumerate(header)}
    split_time = "date" in index and "time" in index  # MetaTrader: <DATE> and <TIME> apart
    time_column = next((c for c in TIME_COLUMNS if c in index), None)
    missing = [c for c in ("open", "high", "low", "close") if c not in index]
    if time_column is None or missing:
        need = ", ".join(["a time column", *missing] if time_column is None else missing)
        parsed.problems.append(f"{where}: line 1: the header lacks {need}")
        return parsed
    volume_column = next((c for c in VOLUME_COLUMNS if c in index), None)
    seen: set[dt.datetime] = set()
    for line, raw in enumerate(lines[1:], start=2):
        cells = raw.split(separator)
        try:
            stamp = (
                f"{cells[index['date']].strip()}T{cells[index['time']].strip()}"
                if split_time
                else cells[index[time_column]]
            )
            when = _time(stamp)
            o, h, lo, c = (_price(cells[index[n]], n) for n in ("open", "high", "low", "close"))
            volume_text = cells[index[volume_column]].strip() if volume_column else ""
            volume = Decimal(volume_text) if volume_text else None
            if not (lo <= min(o, c) and max(o, c) <= h):
                raise ValueError("open and close must lie between low and high")
            if when in seen:
                raise ValueError(f"a second bar at {when.isoformat()}")
            seen.add(when)
        except (ValueError, ArithmeticError, IndexError, KeyError) as exc:
            message = str(exc) if isinstance(exc, ValueError) and str(exc) else "not a valid bar"
            parsed.problems.append(f"{where}: line {line}: {message}")
            continue
        parsed.bars.append((when, o, h, lo, c, volume))
    return parsed
