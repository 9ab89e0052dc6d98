"""Market analytics in float64: true range, ATR, percentile rank, regimes, volatility, correlation.

These are estimates, not money: they come back as floats and become ``Decimal`` only where
the pipeline turns them into a price (a stop) or a factor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

REGIMES: tuple[tuple[float, str], ...] = (
    (20.0, "low"),
    (40.0, "below_normal"),
    (60.0, "normal"),
    (80.0, "above_normal"),
    (95.0, "high"),
)


def _arrays(*series: Sequence[float] | FloatArray) -> list[FloatArray]:
    arrays = [np.asarray(s, dtype=np.float64) for s in series]
    if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
        raise ValueError("high, low and close must be one-dimensional and of equal length")
    if any(not np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("prices must be finite numbers")
    return arrays


def true_range(
    high: Sequence[float] | FloatArray,
    low: Sequence[float] | FloatArray,
    close: Sequence[float] | FloatArray,
) -> FloatArray:
    """Wilder's true range per bar; the first bar has no previous close, so it has none (NaN).

    As TA-Lib's ``TRANGE``: a bar's true range needs the close before it.
    """
    h, lo, c = _arrays(high, low, close)
    tr = np.full(h.shape, np.nan)
    if h.size < 2:
        return tr
    previous = c[:-1]
    tr[1:] = np.maximum(
        h[1:] - lo[1:], np.maximum(np.abs(h[1:] - previous), np.abs(lo[1:] - previous))
    )
    return tr


def atr(
    high: Sequence[float] | FloatArray,
    low: Sequence[float] | FloatArray,
    close: Sequence[float] | FloatArray,
    period: int = 14,
    method: Literal["wilder", "simple"] = "wilder",
) -> FloatArray:
    """Average true range per bar (NaN until ``period`` true ranges are known, i.e. the first
    ``period`` bars), as TA-Lib computes ``ATR``.

    ``wilder`` seeds with the mean of the first ``period`` true ranges (bars 1 … ``period``),
    then ``atr = (atr_prev × (period − 1) + tr) / period``; ``simple`` is the rolling mean.
    """
    if period < 1:
        raise ValueError("the ATR period must be at least 1")
    if method not in ("wilder", "simple"):
        raise ValueError(f"unknown ATR smoothing {method!r}; use 'wilder' or 'simple'")
    tr = true_range(high, low, close)
    out = np.full(tr.shape, np.nan)
    if tr.size < period + 1:  # the first bar has no true range
        return out
    if method == "simple":
        cumulative = np.cumsum(np.concatenate(([0.0], tr[1:])))
        out[period:] = (cumulative[period:] - cumulative[:-period]) / period
        return out
    value = float(tr[1 : period + 1].mean())
    out[period] = value
    for index in range(period + 1, tr.size):
        value = (value * (period - 1) + tr[index]) / period
        out[index] = value
    return out


def percentile_rank(
    history: Sequence[float] | FloatArray, current: float, lookback: int | None = None
) -> float:
    """Percent of the last ``lookback`` values at or below ``current`` (0–100)."""
    values = np.asarray(history, dtype=np.float64)
    values = values[np.isfinite(values)]
    if lookback is not None:
        values = values[-lookback:]
    if values.size == 0:
        raise ValueError("a percentile rank needs at least one past value")
    return float(np.count_nonzero(values <= current) * (100.0 / values.size))


def regime(percentile: float) -> str:
    """Regime of an ATR percentile: low, below_normal, normal, above_normal, high or extreme."""
    for upper, name in REGIMES:
        if percentile < upper:
            return name
    return "extreme"


def daily_volatility(closes: Sequence[float] | FloatArray, window: int | None = None) -> float:
    """Standard deviation of daily log returns (a fraction, e.g. 0.012 for 1.2 %)."""
    prices = np.asarray(closes, dtype=np.float64)
    if window is not None:
        prices = prices[-(window + 1) :]
    if prices.size < 3 or np.any(prices <= 0) or not np.all(np.isfinite(prices)):
        raise ValueError("daily volatility needs at least three positive finite closes")
    return float(np.std(np.diff(np.log(prices)), ddof=1))


@dataclass(frozen=True)
class Correlation:
    """A correlation matrix with the symbols of its rows and columns."""

    symbols: tuple[str, ...]
    matrix: FloatArray
    observations: npt.NDArray[np.int64]  # overlapping returns behind each pair

    def between(self, first: str, second: str) -> float | None:
        """The correlation of two symbols (``None`` when either is unknown or undefined)."""
        try:
            i, j = self.symbols.index(first), self.symbols.index(second)
        except ValueError:
            return None
        value = float(self.matrix[i, j])
        return None if np.isnan(value) else value

    def as_mapping(self) -> dict[str, dict[str, float]]:
        """Nested mapping symbol → symbol → correlation, without undefined pairs."""
        return {
            a: {b: v for b in self.symbols if (v := self.between(a, b)) is not None}
            for a in self.symbols
        }


def align(
    series: Mapping[str, tuple[Sequence[int], Sequence[float]]],
) -> tuple[FloatArray, FloatArray]:
    """Put each symbol's closes on the union of all timestamps (NaN where a bar is missing).

    ``series`` maps symbol → (timestamps as integers, closes). Returns (timeline, prices) with
    prices shaped (len(timeline), n_symbols). A bar missing in one symbol leaves a gap in its
    column; it never shifts that column against the others.
    """
    stamps = [np.asarray(ts, dtype=np.int64) for ts, _ in series.values()]
    closes = [np.asarray(c, dtype=np.float64) for _, c in series.values()]
    if any(c.shape != t.shape for c, t in zip(closes, stamps, strict=True)):
        raise ValueError("each symbol needs one close per timestamp")
    if not stamps:
        return np.empty(0), np.empty((0, 0))
    when, values = np.concatenate(stamps), np.concatenate(closes)
    lengths = np.array([t.size for t in stamps])
    starts = np.cumsum(lengths)[:-1]
    steps = np.diff(when)
    steps[starts[starts > 0] - 1] = 1  # where one symbol's bars end and the next one's begin
    if np.any(steps <= 0):
        raise ValueError("timestamps must be strictly increasing")
    timeline, rows = _union(when)
    prices = np.full((timeline.size, len(stamps)), np.nan)
    columns = np.repeat(np.arange(len(stamps)), lengths)
    prices.ravel()[rows * len(stamps) + columns] = values  # flat indices: one cheap scatter
    return timeline.astype(np.float64), prices


def _union(when: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """The sorted distinct timestamps, and where each given one sits among them."""
    # Bar times sit on a grid (a day, an hour, a minute): on the grid's index, the union is
    # a mark in an array and the rows a running count — linear, where sorting is not.
    start = when.min()
    offsets = when - start
    # The grid step: the first series' spacing usually is it (checked), else every offset's.
    first = np.diff(when[: min(when.size, 64)])
    step = int(np.gcd.reduce(first[first > 0])) if np.any(first > 0) else 0
    if step <= 0 or np.any(offsets % step):
        step = int(np.gcd.reduce(offsets)) or 1
    cells = offsets // step
    size = int(cells.max()) + 1
    if size <= 4 * when.size + 1024:
        present = np.zeros(size, dtype=np.bool_)
        present[cells] = True
        rank = np.cumsum(present) - 1
        return start + step * np.flatnonzero(present), rank[cells]
    timeline = np.unique(when)
    return timeline, np.searchsorted(timeline, when)


def _pairwise_moments(
    returns: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Pairwise-complete counts and sums: for pair (i, j), over the rows where both exist.

    ``returns`` (rows × symbols, NaN where missing) is overwritten.

    ``n[i, j]`` rows, ``sums[i, j] = Σ x_i``, ``squares[i, j] = Σ x_i²``, ``cross[i, j] =
    Σ x_i x_j``. With missing returns set to 0, ``cross`` is one matrix product; the others
    are the column totals less what the rows missing in ``j`` hold — few, so a sparse product.
    """
    present = np.isfinite(returns)
    x = returns  # taken over: gaps become 0 in place
    x[~present] = 0.0
    rows, symbols = x.shape
    cross = x.T @ x
    squared = x * x
    missing = ~present
    count = int(missing.sum())
    if count == 0:
        n = np.full((symbols, symbols), float(rows))
        sums = np.repeat(x.sum(axis=0)[:, None], symbols, axis=1)
        squares = np.repeat(squared.sum(axis=0)[:, None], symbols, axis=1)
        return n, sums, squares, cross
    if count > 0.05 * missing.size:  # gaps everywhere: dense products are cheaper
        m = present.astype(np.float64)
        return m.T @ m, x.T @ m, squared.T @ m, cross
    from scipy import sparse  # here, not at import: the serving process never needs it

    # symbol × row, 1 where the symbol has no return; built row by row, so already sorted
    where_j, where_t = np.nonzero(missing.T)
    per_symbol = np.bincount(where_j, minlength=symbols)
    gaps = sparse.csr_matrix(
        (np.ones(count), where_t, np.concatenate([[0], np.cumsum(per_symbol)])),
        shape=(symbols, rows),
    )
    # (gaps @ x)[j, i]: the sum of x_i over the rows where j has no return
    sums = x.sum(axis=0)[:, None] - (gaps @ x).T
    squares = squared.sum(axis=0)[:, None] - (gaps @ squared).T
    both = (gaps @ gaps.T).toarray()
    n = rows - per_symbol[:, None].astype(np.float64) - per_symbol[None, :] + both
    return n, sums, squares, cross


def correlation(
    series: Mapping[str, tuple[Sequence[int], Sequence[float]]], min_overlap: int = 20
) -> Correlation:
    """Pairwise correlation of log returns over time-aligned bars.

    A return exists for a symbol at a timeline step only when it has bars at that step and
    the step before; each pair uses the steps where both have a return (pairwise complete).
    Pairs with fewer than ``min_overlap`` shared returns are NaN.
    """
    _, prices = align(series)
    if np.any(prices <= 0):
        raise ValueError("prices must be positive")
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = np.diff(np.log(prices, out=prices), axis=0)  # in place: these are large
    n, sums, squares, cross = _pairwise_moments(returns)
    with np.errstate(invalid="ignore", divide="ignore"):
        # cov = cross − sums·sumsᵀ/n, var = squares − sums²/n, corr = cov / √(var·varᵀ);
        # in place, as these matrices are symbols² large.
        scratch = np.multiply(sums, sums.T)
        scratch /= n
        corr = np.subtract(cross, scratch, out=cross)
        np.multiply(sums, sums, out=scratch)
        scratch /= n
        variance = np.subtract(squares, scratch, out=squares)
        np.multiply(variance, variance.T, out=scratch)
        corr /= np.sqrt(scratch, out=scratch)
    corr[n < min_overlap] = np.nan
    np.clip(corr, -1.0, 1.0, out=corr)
    np.fill_diagonal(corr, np.where(np.diag(n) >= min_overlap, 1.0, np.nan))
    return Correlation(symbols=tuple(series), matrix=corr, observations=n.astype(np.int64))


@dataclass(frozen=True)
class VolatilitySnapshot:
    """What the volatility job knows of a symbol: ATR, percentile, regime, daily volatility."""

    symbol: str
    timeframe: str
    as_of: dt.datetime  # the last bar's time
    atr: Decimal | None
    atr_percentile: Decimal | None
    regime: str | None
    daily_volatility: Decimal | None
    last_close: Decimal
    bars: int
    computed_at: dt.datetime


def _to_decimal(value: float, digits: int = 12) -> Decimal:
    # Analytics become numbers a stop can be placed with: a fixed number of significant digits.
    return Decimal(f"{value:.{digits}g}")


def volatility_snapshot(
    symbol: str,
    timeframe: str,
    times: Sequence[dt.datetime],
    high: Sequence[float] | FloatArray,
    low: Sequence[float] | FloatArray,
    close: Sequence[float] | FloatArray,
    computed_at: dt.datetime,
    *,
    period: int = 14,
    lookback: int = 252,
) -> VolatilitySnapshot:
    """A snapshot from bars (oldest first): Wilder ATR, percentile, regime, daily volatility."""
    if not len(times):
        raise ValueError(f"no bars for {symbol}")
    series = atr(high, low, close, period)
    known = series[np.isfinite(series)]
    current = float(known[-1]) if known.size else None
    percentile = (
        percentile_rank(known[:-1], current, lookback)
        if current is not None and known.size > 1
        else None
    )
    closes = np.asarray(close, dtype=np.float64)
    volatility = daily_volatility(closes, window=lookback) if closes.size >= 3 else None
    return VolatilitySnapshot(
        symbol=symbol,
        timeframe=timeframe,
        as_of=times[-1],
        atr=_to_decimal(current) if current is not None else None,
        atr_percentile=_to_decimal(percentile, 6) if percentile is not None else None,
        regime=regime(percentile) if percentile is not None else None,
        daily_volatility=_to_decimal(volatility, 8) if volatility is not None else None,
        last_close=_to_decimal(float(closes[-1])),
        bars=len(times),
        computed_at=computed_at,
    )
