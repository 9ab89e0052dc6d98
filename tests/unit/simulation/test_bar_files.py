"""One reader of bar files for ``aria bars import`` and ``aria simulate``: headers, separators,
MetaTrader's split date and time, and symbols and timeframes from file names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aria.simulation.bars import named, read_bars


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("EURUSD1440.csv", ("EURUSD", "1d")),
        ("EURUSD240.csv", ("EURUSD", "4h")),
        ("EURUSD60.csv", ("EURUSD", "1h")),
        ("EURUSD15.csv", ("EURUSD", "15m")),
        ("EURUSD_M1.csv", ("EURUSD", "1m")),
        ("eurusd-m1.csv", ("EURUSD", "1m")),
        ("GBPUSD_H4.csv", ("GBPUSD", "4h")),
        ("XAUUSD_D1.csv", ("XAUUSD", "1d")),
        ("EURUSD.csv", ("EURUSD", None)),
        ("US30.csv", ("US30", None)),
        ("GER40.csv", ("GER40", None)),
        ("eurusd.csv", ("EURUSD", None)),
    ],
)
def test_a_metatrader_name_gives_symbol_and_timeframe(
    filename: str, expected: tuple[str, str | None]
) -> None:
    assert named(filename) == expected


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=6),
    st.sampled_from([("1", "1m"), ("5", "5m"), ("60", "1h"), ("240", "4h"), ("1440", "1d")]),
)
def test_every_pair_and_minute_count_reads_back(pair: str, minutes: tuple[str, str]) -> None:
    assert named(f"{pair}{minutes[0]}.csv") == (pair, minutes[1])
    assert named(f"{pair}.csv") == (pair, None)


def test_the_header_bars_import_reads() -> None:
    found = read_bars("date,open,high,low,close\n2018-12-20,1.1,1.2,1.0,1.15\n", "x.csv")
    assert found.problems == []
    assert found.bars == [
        (
            dt.datetime(2018, 12, 20, tzinfo=dt.UTC),
            *map(Decimal, ["1.1", "1.2", "1.0", "1.15"]),
            None,
        )
    ]


def test_a_metatrader_5_export_with_tabs_and_split_date_and_time() -> None:
    text = (
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\n"
        "2018.12.20\t13:00:00\t1.1400\t1.1450\t1.1390\t1.1420\t812\n"
    )
    found = read_bars(text, "EURUSD60.csv")
    assert found.problems == []
    (bar,) = found.bars
    assert bar[0] == dt.datetime(2018, 12, 20, 13, tzinfo=dt.UTC)
    assert bar[5] == Decimal(812)


def test_bad_lines_are_named_and_a_header_without_prices_is_refused() -> None:
    found = read_bars(
        "time,open,high,low,close\n2018-12-20,1,2,0.5,x\n2018-12-20,1,0.9,0.8,1\n", "b"
    )
    assert found.problems == [
        "b: line 2: not a valid bar",
        "b: line 3: open and close must lie between low and high",
    ]
    assert read_bars("when,price\n", "c").problems == [
        "c: line 1: the header lacks a time column, open, high, low, close"
    ]
