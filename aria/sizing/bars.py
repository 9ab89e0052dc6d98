"""Bars before they are stored: the weekend stub merged, future and outlier bars found.

Bar times are the bar's start (UTC for daily bars: the calendar day), so a bar closes one
timeframe after its time. Market data is global: one bad bar moves every account's ATR, so
a batch is checked against the bars around it before anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np

from accounts.model import AssetClass
from aria.sizing.instruments import Instrument

Bar = tuple[dt.datetime, Decimal, Decimal, Decimal, Decimal, Decimal | None]
Weekend = Literal["merge", "keep"]

TIMEFRAMES: dict[str, dt.timedelta] = {
    "1d": dt.timedelta(days=1),
    "4h": dt.timedelta(hours=4),
    "1h": dt.timedelta(hours=1),
    "15m": dt.timedelta(minutes=15),
    "5m": dt.timedelta(minutes=5),
    "1m": dt.timedelta(minutes=1),
}
_SUNDAY = 6


@dataclass(frozen=True)
class BarPolicy:
    """How bars are checked: clock skew, the outlier rule, and the weekend stub.

    A bar is an outlier when its true range is more than ``outlier_multiple`` times the
    median true range of up to ``outlier_window`` bars on each side of it (stored bars
    included); with fewer than ``outlier_min_neighbours`` around it, it is not judged.
    """

    max_skew_seconds: int = 5
    outlier_multiple: float = 10.0
    outlier_window: int = 10
    outlier_min_neighbours: int = 5
    min_atr_bars: int = 42  # three ATR(14) periods: the seed and two periods of smoothing


class BarsRefused(ValueError):
    """A batch of bars that must not be stored; nothing of it is written."""


@dataclass(frozen=True)
class Prepared:
    """A batch ready to store, and what was done to it."""

    bars: tuple[Bar, ...]
    merged: int = 0  # Sunday stubs merged into the next session
    dropped: int = 0  # Sunday stubs with no next session in the batch
    outliers: tuple[str, ...] = ()  # outliers stored anyway, as asked


def has_weekend_stub(instrument: Instrument) -> bool:
    """True for markets whose daily feeds carry a short Sunday bar: FX, metals and CFDs."""
    if instrument.asset_class in (AssetClass.FX, AssetClass.METAL):
        return True
    return instrument.kind == "cfd" and instrument.asset_class is not AssetClass.CRYPTO


def merge_weekend(bars: tuple[Bar, ...]) -> Prepared:
    """Merge each Sunday daily bar into the next day's (Monday's) bar; drop one with none.

    The merged bar keeps Monday's time and close, opens at Sunday's open, spans both ranges
    and sums their volumes: the session that opened on Sunday evening is one bar, as the
    tools traders check ATR against count it.
    """
    ordered = sorted(bars, key=lambda b: b[0])
    out: list[Bar] = []
    merged = dropped = 0
    index = 0
    while index < len(ordered):
        bar = ordered[index]
        if bar[0].astimezone(dt.UTC).weekday() != _SUNDAY:
            out.append(bar)
            index += 1
            continue
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if following is None or following[0] - bar[0] > dt.timedelta(days=1):
            dropped += 1  # no Monday to merge into: a stub on its own would be a thin day
            index += 1
            continue
        volumes = [v for v in (bar[5], following[5]) if v is not None]
        out.append(
            (
                following[0],
                bar[1],
                max(bar[2], following[2]),
                min(bar[3], following[3]),
                following[4],
                sum(volumes, Decimal(0)) if volumes else None,
            )
        )
        merged += 1
        index += 2
    return Prepared(tuple(out), merged, dropped)


def check_times(bars: tuple[Bar, ...], timeframe: str, now: dt.datetime, skew_seconds: int) -> None:
    """Refuse a bar that has not closed by ``now`` (a few seconds of skew aside), and repeats."""
    length = TIMEFRAMES[timeframe]
    latest = now + dt.timedelta(seconds=skew_seconds)
    seen: set[dt.datetime] = set()
    for index, bar in enumerate(bars):
        if bar[0] in seen:
            raise BarsRefused(f"bar {index}: a second bar at {bar[0].isoformat()}")
        seen.add(bar[0])
        if bar[0] + length > latest:
            raise BarsRefused(
                f"bar {index}: the {timeframe} bar of {bar[0].isoformat()} closes at"
                f" {(bar[0] + length).isoformat()}, after now ({now.isoformat()}):"
                " only closed bars are stored"
            )
        _, o, h, lo, c, _ = bar
        if not (lo <= min(o, c) and max(o, c) <= h):
            raise BarsRefused(f"bar {index}: open and close must lie between low and high")


def find_outliers(
    bars: tuple[Bar, ...], history: list[tuple[dt.datetime, float, float, float]], policy: BarPolicy
) -> list[str]:
    """The new bars whose true range is ``outlier_multiple`` × the median of their neighbours.

    ``history`` holds stored bars (time, high, low, close) around the batch; a new bar at a
    stored time replaces it.
    """
    new = {b[0]: (float(b[2]), float(b[3]), float(b[4])) for b in bars}
    series = {t: (h, lo, c) for t, h, lo, c in history if t not in new}
    series.update(new)
    times = sorted(series)
    if len(times) < 2:
        return []
    values = np.asarray([series[t] for t in times], dtype=np.float64)
    high, low, close = values[:, 0], values[:, 1], values[:, 2]
    previous = np.concatenate(([np.nan], close[:-1]))
    # The range, and the gap from the previous close: a jump shows in either.
    tr = np.fmax(high - low, np.fmax(np.abs(high - previous), np.abs(low - previous)))
    found = []
    window, multiple = policy.outlier_window, policy.outlier_multiple
    for index, when in enumerate(times):
        if when not in new:
            continue
        around = np.concatenate(
            (tr[max(0, index - window) : index], tr[index + 1 : index + 1 + window])
        )
        if around.size < policy.outlier_min_neighbours:
            continue
        median = float(np.median(around))
        if median > 0 and tr[index] > multiple * median:
            found.append(
                f"{when.isoformat()}: true range {tr[index]:.6g} is"
                f" {tr[index] / median:.1f} × the median {median:.6g} of the bars around it"
            )
    return found
