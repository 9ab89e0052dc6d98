"""Bars before they are stored: Sunday stubs merged, unclosed bars and outliers found."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from aria.sizing import market
from aria.sizing.bars import (
    Bar,
    BarPolicy,
    BarsRefused,
    check_times,
    find_outliers,
    has_weekend_stub,
    merge_weekend,
)
from aria.sizing.instruments import InstrumentCatalog

D = Decimal


def day(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


def bar(when: dt.datetime, o: str, h: str, lo: str, c: str, v: str | None = None) -> Bar:
    return (when, D(o), D(h), D(lo), D(c), D(v) if v is not None else None)


# Oanda EUR/USD, 2–6 June 2017 (Lean data): Sunday 4 June is the 21:00–24:00 stub.
WEEK = (
    bar(day(2017, 6, 2), "1.12123", "1.12845", "1.12046", "1.12798", "10"),
    bar(day(2017, 6, 4), "1.12798", "1.12823", "1.12693", "1.12767", "2"),
    bar(day(2017, 6, 5), "1.12767", "1.12781", "1.12338", "1.12567", "30"),
    bar(day(2017, 6, 6), "1.12567", "1.12836", "1.12398", "1.12697"),
)


def test_a_sunday_stub_is_merged_into_monday() -> None:
    done = merge_weekend(WEEK)
    assert (done.merged, done.dropped) == (1, 0)
    assert done.bars == (
        WEEK[0],
        # Monday's time and close, Sunday's open, the range of both, the volumes summed.
        bar(day(2017, 6, 5), "1.12798", "1.12823", "1.12338", "1.12567", "32"),
        WEEK[3],
    )


def test_a_sunday_stub_without_its_monday_is_dropped() -> None:
    trailing = merge_weekend(WEEK[:2])
    assert (trailing.merged, trailing.dropped, trailing.bars) == (0, 1, WEEK[:1])
    # A hole after the stub (no Monday bar): it is not merged into Tuesday.
    holed = merge_weekend((WEEK[1], WEEK[3]))
    assert (holed.merged, holed.dropped, holed.bars) == (0, 1, (WEEK[3],))


def test_merging_sorts_and_leaves_weekdays_alone() -> None:
    weekdays = (WEEK[3], WEEK[0])
    done = merge_weekend(weekdays)
    assert done.bars == (WEEK[0], WEEK[3])
    assert (done.merged, done.dropped) == (0, 0)


def test_which_markets_have_a_weekend_stub(instruments: InstrumentCatalog) -> None:
    assert has_weekend_stub(instruments.get("EURUSD"))
    assert has_weekend_stub(instruments.get("XAUUSD"))
    assert not has_weekend_stub(instruments.get("MES"))
    crypto = [i for i in instruments.instruments.values() if i.asset_class.value == "crypto"]
    assert crypto
    assert not any(has_weekend_stub(i) for i in crypto)


NOW = day(2026, 6, 3, 12)


@pytest.mark.parametrize(
    ("timeframe", "when", "refused"),
    [
        ("1d", day(2026, 6, 2), False),  # closed at midnight
        ("1d", day(2026, 6, 3), True),  # today's bar is still open
        ("1d", day(2031, 1, 6), True),
        ("1h", day(2026, 6, 3, 11), False),  # closes at 12:00, now
        ("1h", day(2026, 6, 3, 11, 0, 4), False),  # within the 5 s skew
        ("1h", day(2026, 6, 3, 11, 0, 6), True),
    ],
)
def test_only_closed_bars_are_accepted(timeframe: str, when: dt.datetime, refused: bool) -> None:
    bars = (bar(when, "1.1", "1.2", "1.0", "1.1"),)
    if refused:
        with pytest.raises(BarsRefused, match="after now"):
            check_times(bars, timeframe, NOW, 5)
    else:
        check_times(bars, timeframe, NOW, 5)


def test_a_repeated_time_is_refused() -> None:
    bars = (WEEK[0], WEEK[0])
    with pytest.raises(BarsRefused, match="a second bar at 2017-06-02"):
        check_times(bars, "1d", NOW, 5)


def calm(days: int, start: dt.datetime | None = None) -> list[Bar]:
    """Bars ranging 0.0100 around 1.1000, alternating closes."""
    start = start or day(2026, 1, 1)
    out = []
    for index in range(days):
        close = "1.1020" if index % 2 else "1.0980"
        out.append(bar(start + dt.timedelta(days=index), "1.1000", "1.1050", "1.0950", close))
    return out


def test_a_bar_far_wider_than_its_neighbours_is_an_outlier() -> None:
    bars = calm(30)
    bars[15] = bar(bars[15][0], "1.1000", "1.2500", "1.0950", "1.1000")  # a 0.1550 range
    found = find_outliers(tuple(bars), [], BarPolicy())
    assert len(found) == 1
    assert found[0].startswith("2026-01-16T00:00:00+00:00: true range 0.155 is 15.5 ×")


def test_a_close_that_jumps_is_an_outlier() -> None:
    bars = calm(30)
    bars[20] = bar(bars[20][0], "1.3000", "1.3050", "1.2950", "1.3000")  # gaps 0.2 up
    found = find_outliers(tuple(bars), [], BarPolicy())
    assert [f[:25] for f in found] == ["2026-01-21T00:00:00+00:00", "2026-01-22T00:00:00+00:00"]


def test_calm_bars_and_a_bar_under_the_multiple_pass() -> None:
    bars = calm(30)
    bars[10] = bar(bars[10][0], "1.1000", "1.1900", "1.1000", "1.1000")  # 9 × the median
    assert find_outliers(tuple(bars), [], BarPolicy()) == []
    assert find_outliers(tuple(bars), [], BarPolicy(outlier_multiple=8)) != []


def test_a_single_new_bar_is_judged_against_the_stored_ones() -> None:
    history = [(b[0], float(b[2]), float(b[3]), float(b[4])) for b in calm(30)]
    spike = (bar(day(2026, 1, 31), "1.1000", "1.4000", "1.0900", "1.3500"),)
    assert len(find_outliers(spike, history, BarPolicy())) == 1
    assert find_outliers(spike, history[:3], BarPolicy()) == []  # too few around to judge


def test_sunday_stubs_understate_atr_on_real_bars() -> None:
    # Oanda EUR/USD, H1 2017 (Lean data, Apache-2.0), 25 Sunday stubs among 155 bars.
    path = Path(__file__).resolve().parents[2] / "data" / "eurusd_oanda_2017h1.csv"
    with path.open(newline="") as handle:
        raw = tuple(
            bar(
                dt.datetime.fromisoformat(r["datetime"]).replace(tzinfo=dt.UTC),
                r["open"],
                r["high"],
                r["low"],
                r["close"],
            )
            for r in csv.DictReader(handle)
        )
    done = merge_weekend(raw)
    assert (len(raw), done.merged, done.dropped, len(done.bars)) == (155, 25, 0, 130)

    def last_atr(bars: tuple[Bar, ...]) -> float:
        columns = ([float(b[k]) for b in bars] for k in (2, 3, 4))
        return float(market.atr(*columns, 14)[-1])

    # Kept, the stubs pull ATR(14) about 11 % below the merged sessions'.
    assert last_atr(done.bars) / last_atr(raw) == pytest.approx(1.1229, abs=1e-4)
