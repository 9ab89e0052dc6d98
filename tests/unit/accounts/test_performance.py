from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.model import Trade
from accounts.performance import performance
from tests.builders import utc


def trades(*pnls: str) -> list[Trade]:
    start = utc(2026, 2, 1)
    return [
        Trade(
            symbol="EURUSD",
            side="long",
            lots=1,
            entry=1,
            exit=1,
            pnl=pnl,
            opened_at=start + dt.timedelta(hours=i),
            closed_at=start + dt.timedelta(hours=i, minutes=30),
        )
        for i, pnl in enumerate(pnls)
    ]


def test_worked_example() -> None:
    stats = performance(trades("200", "-100", "300", "0", "-50", "-50"))
    assert (stats.trades, stats.wins, stats.losses, stats.breakevens) == (6, 2, 3, 1)
    assert stats.win_rate == pytest.approx(0.4)
    assert stats.average_win == Decimal(250)
    assert stats.average_loss == Decimal("200") / 3
    assert stats.payoff == pytest.approx(3.75)
    assert stats.profit_factor == pytest.approx(2.5)
    assert stats.net == Decimal(300)
    assert stats.current_streak == -2
    assert stats.losing_streak == 2
    assert stats.longest_win_streak == 1
    assert stats.longest_loss_streak == 2


def test_breakeven_does_not_end_a_losing_streak() -> None:
    stats = performance(trades("10", "-1", "0", "-1", "0"))
    assert stats.losing_streak == 2


def test_no_history_gives_undefined_ratios() -> None:
    stats = performance([])
    assert stats.win_rate is None
    assert stats.payoff is None
    assert stats.profit_factor is None
    assert stats.current_streak == 0


def test_window_by_count_and_time() -> None:
    history = trades("100", "100", "-10", "-10")
    assert performance(history, last=2).wins == 0
    assert performance(history, since=utc(2026, 2, 1, 1)).wins == 1
    with pytest.raises(ValueError, match="last"):
        performance(history, last=0)


def test_trades_are_taken_in_close_order() -> None:
    history = trades("100", "-10")
    reordered = [history[1], history[0]]
    assert performance(reordered).current_streak == -1
