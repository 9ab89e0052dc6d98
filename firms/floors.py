"""Floors: the equity levels an account must never touch, from its rules and its state.

- The daily floor hangs from the day's anchor (section 15.A of the rules research):
  ``anchor − amount``, where the amount is a percentage of initial, a percentage of the
  anchor, or a currency amount. Before the first reset the initial balance is the anchor.
  A rule with profit steps takes the amount of the last step whose threshold the balance
  at the reset has reached (none: no daily floor that day).
- The maximum-loss floor is ``initial − distance`` when static, otherwise
  ``max(peak, initial) − distance``, capped at the lock when the rule has one. The distance
  is fixed (a percentage of initial, or an amount per size), never a share of the peak.
- The floating-loss floor (D8) is ``balance − amount``: open P&L may not go below −amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accounts.model import AccountState, DayStart
from accounts.money import ZERO
from accounts.peaks import Peaks
from firms.model import (
    Amount,
    DailyAnchor,
    DailyLossRule,
    FloatingLossRule,
    LockAt,
    MaxLossRule,
    PctOf,
    TrailBasis,
)
from firms.ruleset import RuleSet


def daily_anchor(rule: DailyLossRule, initial: Decimal, day: DayStart | None) -> Decimal | None:
    """The value the daily floor hangs from, or ``None`` when the plan has no daily limit."""
    anchor = rule.anchor
    if anchor is DailyAnchor.NONE:
        return None
    if anchor is DailyAnchor.INITIAL or day is None:
        return initial
    if anchor is DailyAnchor.RESET_BALANCE:
        return day.balance
    if anchor is DailyAnchor.RESET_BALANCE_OR_EQUITY:
        return max(day.balance, day.equity)
    return day.equity_high


def daily_step(rule: DailyLossRule, initial: Decimal, day: DayStart | None) -> Amount | None:
    """The day's daily amount after the profit steps (``None``: no daily limit today)."""
    profit = ZERO if day is None else day.balance - initial
    amount = rule.amount
    for step in rule.steps:
        if profit >= step.from_profit.resolve(initial):
            amount = step.amount
    return amount


def daily_amount(rule: DailyLossRule, initial: Decimal, day: DayStart | None) -> Decimal | None:
    """How far below its anchor the day's floor is, in money (``None``: no daily limit)."""
    anchor = daily_anchor(rule, initial, day)
    amount = daily_step(rule, initial, day)
    if anchor is None or amount is None:
        return None
    base = anchor if rule.pct_of is PctOf.ANCHOR else initial
    return amount.resolve(initial, base)


def daily_floor(rule: DailyLossRule, initial: Decimal, day: DayStart | None) -> Decimal | None:
    """The daily-loss floor for the day that started with ``day`` (``None``: no daily limit)."""
    anchor = daily_anchor(rule, initial, day)
    amount = daily_amount(rule, initial, day)
    if anchor is None or amount is None:
        return None
    return anchor - amount


def trailing_peak(rule: MaxLossRule, initial: Decimal, peaks: Peaks) -> Decimal:
    """The high-water mark the rule trails (the initial balance for a static rule)."""
    if rule.trail is TrailBasis.NONE:
        return initial
    peak = {
        TrailBasis.END_OF_DAY_BALANCE: peaks.end_of_day_balance,
        TrailBasis.INTRADAY_EQUITY: peaks.intraday_equity,
        TrailBasis.CLOSED_BALANCE: peaks.closed_balance,
    }[rule.trail]
    return max(peak, initial)


def lock_level(rule: MaxLossRule, initial: Decimal) -> Decimal | None:
    """The level a trailing floor stops at, if it has one."""
    if rule.lock is LockAt.NONE:
        return None
    return initial + rule.lock_offset


def max_loss_floor(rule: MaxLossRule, initial: Decimal, peaks: Peaks) -> Decimal:
    """The maximum-loss floor given the account's peaks."""
    floor = trailing_peak(rule, initial, peaks) - rule.amount.resolve(initial)
    lock = lock_level(rule, initial)
    return floor if lock is None else min(floor, lock)


def floating_floor(
    rule: FloatingLossRule | None, initial: Decimal, balance: Decimal
) -> Decimal | None:
    """The equity below which open P&L breaks the floating-loss cap (``None``: no cap)."""
    if rule is None:
        return None
    return balance - rule.amount.resolve(initial)


@dataclass(frozen=True, slots=True)
class Floors:
    """The floors that bound an account's equity right now."""

    daily: Decimal | None
    max_loss: Decimal
    floating: Decimal | None

    def named(self) -> dict[str, Decimal]:
        """Floor name → level, for the floors that exist."""
        levels = {
            "daily_loss": self.daily,
            "max_loss": self.max_loss,
            "floating_loss": self.floating,
        }
        return {name: level for name, level in levels.items() if level is not None}

    @property
    def highest(self) -> Decimal:
        """The binding (highest) floor."""
        return max(self.named().values())


def floors(rules: RuleSet, day: DayStart | None, peaks: Peaks, state: AccountState) -> Floors:
    """All floors of an account with rule set ``rules`` in ``state``."""
    initial = rules.size
    return Floors(
        daily=daily_floor(rules.daily_loss, initial, day),
        max_loss=max_loss_floor(rules.max_loss, initial, peaks),
        floating=floating_floor(rules.floating_loss, initial, state.balance),
    )
