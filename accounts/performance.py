"""Performance statistics over closed trades: win rate, payoff, profit factor, streaks.

Breakeven trades (P&L exactly zero) count as trades but neither as wins nor as losses,
and they do not end a streak: a losing run interrupted by a scratch is still a losing run,
which is the cautious reading for sizing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from accounts.model import Trade
from accounts.money import ZERO


@dataclass(frozen=True, slots=True)
class PerformanceStats:
    """Summary of a run of closed trades; ratios are ``None`` when undefined."""

    trades: int
    wins: int
    losses: int
    breakevens: int
    gross_profit: Decimal
    gross_loss: Decimal  # a positive amount
    win_rate: float | None
    average_win: Decimal | None
    average_loss: Decimal | None  # a positive amount
    payoff: float | None  # average win / average loss
    profit_factor: float | None  # gross profit / gross loss
    current_streak: int  # > 0: consecutive wins up to the last trade; < 0: losses
    longest_win_streak: int
    longest_loss_streak: int

    @property
    def net(self) -> Decimal:
        """Net P&L of the trades."""
        return self.gross_profit - self.gross_loss

    @property
    def losing_streak(self) -> int:
        """Number of consecutive losses up to the last trade (0 after a win)."""
        return -self.current_streak if self.current_streak < 0 else 0


def performance(
    trades: Sequence[Trade], *, last: int | None = None, since: dt.datetime | None = None
) -> PerformanceStats:
    """Stats over ``trades`` in close order, optionally the ``last`` N or ``since`` a time."""
    ordered = sorted(trades, key=lambda t: t.closed_at)
    if since is not None:
        ordered = [t for t in ordered if t.closed_at >= since]
    if last is not None:
        if last < 1:
            raise ValueError("'last' must be at least 1")
        ordered = ordered[-last:]

    wins = [t.pnl for t in ordered if t.pnl > ZERO]
    losses = [-t.pnl for t in ordered if t.pnl < ZERO]
    gross_profit = sum(wins, ZERO)
    gross_loss = sum(losses, ZERO)
    decided = len(wins) + len(losses)
    average_win = gross_profit / len(wins) if wins else None
    average_loss = gross_loss / len(losses) if losses else None

    streak = longest_win = longest_loss = 0
    for trade in ordered:
        if trade.pnl > ZERO:
            streak = streak + 1 if streak > 0 else 1
            longest_win = max(longest_win, streak)
        elif trade.pnl < ZERO:
            streak = streak - 1 if streak < 0 else -1
            longest_loss = max(longest_loss, -streak)

    return PerformanceStats(
        trades=len(ordered),
        wins=len(wins),
        losses=len(losses),
        breakevens=len(ordered) - decided,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        win_rate=len(wins) / decided if decided else None,
        average_win=average_win,
        average_loss=average_loss,
        payoff=float(average_win / average_loss) if average_win and average_loss else None,
        profit_factor=float(gross_profit / gross_loss) if gross_loss > ZERO else None,
        current_streak=streak,
        longest_win_streak=longest_win,
        longest_loss_streak=longest_loss,
    )
