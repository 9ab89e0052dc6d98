from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aria.sizing import market

HIGH = [10.0, 11.0, 12.0, 11.5, 13.0]
LOW = [9.0, 9.5, 10.5, 10.0, 11.0]
CLOSE = [9.5, 10.8, 11.0, 10.2, 12.5]


def test_true_range_uses_the_previous_close() -> None:
    # bar 0 has no previous close, so no true range (TA-Lib's TRANGE);
    # bar 3: max(11.5 − 10.0, |11.5 − 11.0|, |10.0 − 11.0|) = 1.5; bar 4: max(2.0, 2.8, 0.8) = 2.8
    tr = market.true_range(HIGH, LOW, CLOSE)
    assert np.isnan(tr[0])
    assert tr[1:].tolist() == pytest.approx([1.5, 1.5, 1.5, 2.8])


def test_simple_atr_is_the_rolling_mean() -> None:
    atr = market.atr(HIGH, LOW, CLOSE, period=3, method="simple")
    assert np.isnan(atr[:3]).all()
    assert atr[3:].tolist() == pytest.approx([1.5, 5.8 / 3])


def test_wilder_atr_seeds_with_the_mean_of_the_first_true_ranges_then_smooths() -> None:
    # TA-Lib's ATR(3) of these bars: [nan, nan, nan, 1.5, 1.9333…]: the seed is the mean of
    # the true ranges of bars 1–3 (bar 0 has none), the first value sits on bar 3.
    atr = market.atr(HIGH, LOW, CLOSE, period=3, method="wilder")
    assert np.isnan(atr[:3]).all()
    first = (1.5 + 1.5 + 1.5) / 3
    assert atr[3:].tolist() == pytest.approx([first, (first * 2 + 2.8) / 3])


def test_wilder_atr_equals_ta_lib_on_real_bars() -> None:
    # TA-Lib 0.8.2 ``talib.ATR(high, low, close, 14)`` over the first 60 demo EURUSD bars.
    path = Path(__file__).resolve().parents[3] / "aria" / "demo" / "data" / "eurusd.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:60]
    high, low, close = ([float(r[k]) for r in rows] for k in ("high", "low", "close"))
    atr = market.atr(high, low, close, 14)
    assert np.isnan(atr[:14]).all()
    expected = {
        14: 0.006342857142857206,
        15: 0.006164081632653124,
        30: 0.007119906771073261,
        59: 0.008963729415814378,
    }
    for index, value in expected.items():
        assert atr[index] == pytest.approx(value, rel=1e-12, abs=0)


def test_atr_input_errors() -> None:
    with pytest.raises(ValueError, match="equal length"):
        market.atr([1.0, 2.0], [1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        market.true_range([1.0, float("nan")], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="smoothing"):
        market.atr(HIGH, LOW, CLOSE, period=2, method="ema")  # type: ignore[arg-type]
    assert np.isnan(market.atr(HIGH, LOW, CLOSE, period=10)).all()


def test_percentile_rank_against_the_lookback() -> None:
    history = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert market.percentile_rank(history, 5.0) == 50.0
    assert market.percentile_rank(history, 5.0, lookback=5) == 0.0  # only 6..10 count
    assert market.percentile_rank(history, 11.0) == 100.0
    with pytest.raises(ValueError, match="at least one"):
        market.percentile_rank([], 1.0)


@pytest.mark.parametrize(
    ("percentile", "name"),
    [
        (0, "low"),
        (19.99, "low"),
        (20, "below_normal"),
        (50, "normal"),
        (60, "above_normal"),
        (94.9, "high"),
        (95, "extreme"),
    ],
)
def test_regimes(percentile: float, name: str) -> None:
    assert market.regime(percentile) == name


def test_daily_volatility_is_the_sample_std_of_log_returns() -> None:
    closes = [100.0, 101.0, 99.0, 102.0, 102.5]
    expected = np.std(np.diff(np.log(closes)), ddof=1)
    assert market.daily_volatility(closes) == pytest.approx(expected)
    assert market.daily_volatility(closes, window=2) == pytest.approx(
        np.std(np.diff(np.log(closes[-3:])), ddof=1)
    )


def _walk(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))


def test_correlation_matches_numpy_on_complete_data() -> None:
    stamps = list(range(200))
    a, b, c = _walk(1, 200), _walk(2, 200), _walk(3, 200)
    result = market.correlation({"A": (stamps, a), "B": (stamps, b), "C": (stamps, c)})
    expected = np.corrcoef(np.diff(np.log(np.vstack([a, b, c])), axis=1))
    assert result.matrix == pytest.approx(expected)
    assert result.between("A", "B") == pytest.approx(expected[0, 1])
    assert result.between("A", "Z") is None


def test_a_missing_bar_is_aligned_not_shifted() -> None:
    stamps = list(range(100))
    a = _walk(7, 100)
    b = a * 1.5  # identical returns: correlation 1
    kept = [t for t in stamps if t != 40]
    result = market.correlation({"A": (stamps, a), "B": (kept, b[kept])})
    assert result.between("A", "B") == pytest.approx(1.0)
    # Shifting B by one bar after the gap (what naive stacking does) would break that.
    assert result.observations[0, 1] == 97  # 99 returns, minus the two around the gap


def test_too_little_overlap_is_undefined() -> None:
    result = market.correlation(
        {"A": (range(10), _walk(1, 10)), "B": (range(10), _walk(2, 10))}, min_overlap=20
    )
    assert result.between("A", "B") is None


@given(st.integers(min_value=0, max_value=10_000))
def test_correlation_is_symmetric_and_bounded(seed: int) -> None:
    rng = np.random.default_rng(seed)
    stamps = np.arange(60)
    series = {}
    for name in "ABC":
        keep = np.sort(rng.choice(stamps, size=50, replace=False))
        series[name] = (keep.tolist(), _walk(int(rng.integers(1 << 30)), 60)[keep])
    matrix = market.correlation(series, min_overlap=5).matrix
    finite = np.isfinite(matrix)
    assert np.array_equal(finite, finite.T)
    assert np.allclose(matrix[finite], matrix.T[finite])
    assert np.all(np.abs(matrix[finite]) <= 1.0)
