"""The daily tracker: which trading day it is, the day's anchor, and rolling to a new day.

At each daily reset of the firm's clock the day closes: the end-of-day balance peak takes
the balance, and a new :class:`~accounts.model.DayStart` records balance and equity as the
anchor of the new daily floor. Rolling is idempotent, and several missed resets (a weekend
without updates) roll once, to the latest reset: nothing traded in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from accounts.cash import NO_CASH, CashLedger
from accounts.model import AccountState, DayStart
from accounts.peaks import Peaks
from firms.floors import day_floor
from firms.ruleset import RuleSet


@dataclass(frozen=True, slots=True)
class DayRoll:
    """The day tracker and peaks after rolling to the current trading day."""

    day: DayStart
    peaks: Peaks
    rolled: bool


def roll_day(
    rules: RuleSet,
    day: DayStart | None,
    peaks: Peaks,
    last_state: AccountState | None,
    now: dt.datetime,
) -> DayRoll:
    """Roll to the trading day current at ``now``.

    ``last_state`` must be the latest state known *before* the reset being crossed (roll
    first, then fold in a newly pushed state); without one the initial balance is used.
    """
    reset = rules.daily_reset.last(now)
    if day is not None and day.starts_at >= reset:
        return DayRoll(day=day, peaks=peaks, rolled=False)
    balance = last_state.balance if last_state else rules.start
    equity = last_state.equity if last_state else rules.start
    if day is not None:
        peaks = peaks.close_day(balance, reset)
    return DayRoll(day=DayStart.at(reset, balance, equity), peaks=peaks, rolled=True)


@dataclass(frozen=True, slots=True)
class DailyStatus:
    """Where the account stands in its trading day."""

    trading_day: dt.date
    started_at: dt.datetime
    ends_at: dt.datetime
    floor: Decimal | None
    pnl: Decimal  # equity against the balance at the reset (floating P&L included)


def daily_status(
    rules: RuleSet, day: DayStart, state: AccountState, cash: CashLedger = NO_CASH
) -> DailyStatus:
    """The day's floor and P&L for ``state``."""
    clock = rules.daily_reset
    return DailyStatus(
        trading_day=clock.trading_day(day.starts_at),
        started_at=day.starts_at,
        ends_at=clock.next(day.starts_at),
        floor=day_floor(rules, day, cash),
        pnl=state.equity - day.balance,
    )
