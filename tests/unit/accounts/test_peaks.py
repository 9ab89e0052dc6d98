from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.errors import InvalidState
from accounts.model import AccountState
from accounts.peaks import Drawdown, Peaks
from tests.builders import utc


def state(hour: int, balance: str, equity: str) -> AccountState:
    return AccountState(balance=balance, equity=equity, as_of=utc(2026, 5, 4, hour))


def test_peaks_start_at_the_initial_balance() -> None:
    peaks = Peaks.start(Decimal(50000))
    assert peaks.intraday_equity == peaks.end_of_day_balance == peaks.closed_balance == 50000


def test_intraday_equity_and_closed_balance_follow_states() -> None:
    peaks = Peaks.start(Decimal(50000))
    peaks = peaks.observe(state(1, "50000", "51000"))  # open profit
    peaks = peaks.observe(state(2, "50400", "50400"))  # closed part of it
    peaks = peaks.observe(state(3, "50400", "49000"))
    assert peaks.intraday_equity == 51000
    assert peaks.closed_balance == 50400
    assert peaks.end_of_day_balance == 50000  # no day has closed yet


def test_states_out_of_order_are_refused() -> None:
    peaks = Peaks.start(Decimal(100)).observe(state(5, "100", "100"))
    with pytest.raises(InvalidState, match="time order"):
        peaks.observe(state(4, "100", "100"))


def test_drawdown_from_peak() -> None:
    drawdown = Drawdown.of(Decimal(52000), Decimal(50440))
    assert drawdown.amount == 1560
    assert drawdown.fraction == Decimal("0.03")
    assert Drawdown.of(Decimal(100), Decimal(120)).amount == 0


amounts = st.decimals(min_value=1, max_value=10**7, places=2)


@given(st.lists(st.tuples(amounts, amounts, st.booleans()), max_size=40))
def test_peaks_never_fall(stream: list[tuple[Decimal, Decimal, bool]]) -> None:
    peaks = Peaks.start(Decimal(100000))
    start = utc(2026, 1, 1)
    for step, (balance, equity, closes_day) in enumerate(stream):
        at = start + dt.timedelta(hours=step)
        before = peaks
        peaks = peaks.observe(AccountState(balance=balance, equity=equity, as_of=at))
        if closes_day:
            peaks = peaks.close_day(balance, at)
        assert peaks.intraday_equity >= max(before.intraday_equity, equity)
        assert peaks.closed_balance >= before.closed_balance
        assert peaks.end_of_day_balance >= before.end_of_day_balance


def test_two_states_with_the_same_time_are_both_taken() -> None:
    peaks = Peaks.start(Decimal(100)).observe(state(5, "100", "101"))
    peaks = peaks.observe(state(5, "102", "103"))
    assert (peaks.intraday_equity, peaks.closed_balance) == (103, 102)
    assert peaks.as_of == utc(2026, 5, 4, 5)
    # A day may close at the very instant of the last state, but not before it.
    closed = peaks.close_day(Decimal(102), utc(2026, 5, 4, 5))
    assert closed.end_of_day_balance == 102
    with pytest.raises(InvalidState, match="cannot close before"):
        peaks.close_day(Decimal(102), utc(2026, 5, 4, 4))


def test_drawdown_from_a_zero_or_negative_peak_has_no_fraction() -> None:
    drawdown = Drawdown.of(Decimal(0), Decimal(-50))
    assert (drawdown.amount, drawdown.fraction) == (50, 0)
    assert Drawdown.of(Decimal(200), Decimal(150)).fraction == Decimal("0.25")


def test_a_cash_flow_moves_every_peak_by_its_amount_and_keeps_the_time() -> None:
    peaks = Peaks(
        intraday_equity=Decimal(10_400),
        end_of_day_balance=Decimal(10_200),
        closed_balance=Decimal(10_300),
        as_of=utc(2026, 6, 2, 12),
    )
    moved = peaks.moved(Decimal(-500))
    assert (moved.intraday_equity, moved.end_of_day_balance, moved.closed_balance) == (
        Decimal(9_900),
        Decimal(9_700),
        Decimal(9_800),
    )
    assert moved.as_of == peaks.as_of
