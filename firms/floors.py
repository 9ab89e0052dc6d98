"""Floors: the equity levels an account must never touch, from its rules and its state.

- The daily floor hangs from the day's anchor (section 15.A of the rules research):
  ``anchor − amount``, where the amount is a percentage of initial, a percentage of the
  anchor, or a currency amount. Before the first reset the initial balance is the anchor.
- The maximum-loss floor is ``initial − distance`` when static, otherwise
  ``max(peak, initial) − distance``, capped at the lock when the rule has one. The distance
  is fixed (a percentage of initial, or an amount per size), never a share of the peak.
- The floating-loss floor (D8) is ``balance − amount``: open P&L may not go below −amount.
- Cash flows (:mod:`firms.cash_flows`) re-anchor the peaks and the day; a floor then follows
  its rule's reaction: it keeps its distance to the balance (``re_anchor``) or its level
  (``none``), or a payout rule fixed it. "Initial" is the plan's starting balance (0 for a
  Topstep XFA), while amounts are resolved for the account's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accounts.cash import NO_CASH, CashLedger
from accounts.model import AccountState, DayStart
from accounts.money import ZERO
from accounts.peaks import Peaks
from firms.model import (
    DailyAnchor,
    DailyLossRule,
    FloatingLossRule,
    FloorReaction,
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


def daily_floor(
    rule: DailyLossRule,
    initial: Decimal,
    day: DayStart | None,
    size: Decimal | None = None,
    shift: Decimal = ZERO,
) -> Decimal | None:
    """The daily-loss floor for the day that started with ``day`` (``None``: no daily limit).

    ``size`` resolves the amount (default: ``initial``); ``shift`` is the cash that moved an
    anchor on the initial balance (a day anchor is re-anchored in the day itself).
    """
    anchor = daily_anchor(rule, initial, day)
    if anchor is None:
        return None
    if rule.anchor is DailyAnchor.INITIAL or day is None:
        anchor += shift
    assert rule.amount is not None
    size = initial if size is None else size
    base = anchor if rule.pct_of is PctOf.ANCHOR else size
    return anchor - rule.amount.resolve(size, base)


def trailing_peak(
    rule: MaxLossRule, initial: Decimal, peaks: Peaks, net: Decimal = ZERO
) -> Decimal:
    """The high-water mark the rule trails, in trading terms (the peaks less the ``net`` cash
    they were re-anchored by); the initial balance for a static rule."""
    if rule.trail is TrailBasis.NONE:
        return initial
    peak = {
        TrailBasis.END_OF_DAY_BALANCE: peaks.end_of_day_balance,
        TrailBasis.INTRADAY_EQUITY: peaks.intraday_equity,
        TrailBasis.CLOSED_BALANCE: peaks.closed_balance,
    }[rule.trail]
    return max(peak - net, initial)


def lock_level(rule: MaxLossRule, initial: Decimal) -> Decimal | None:
    """The level a trailing floor stops at, if it has one."""
    if rule.lock is LockAt.NONE:
        return None
    return initial + rule.lock_offset


def max_loss_floor(
    rule: MaxLossRule,
    initial: Decimal,
    peaks: Peaks,
    size: Decimal | None = None,
    cash: CashLedger = NO_CASH,
    reaction: FloorReaction = FloorReaction.NONE,
) -> Decimal:
    """The maximum-loss floor given the account's peaks and what cash flows did to it.

    ``size`` resolves the distance (default: ``initial``). The floor is worked out in trading
    terms, then moved by the net cash flow when the rule re-anchors; a floor a payout rule
    fixed stays where it was set.
    """
    if cash.max_loss_floor is not None:
        return cash.max_loss_floor
    size = initial if size is None else size
    floor = trailing_peak(rule, initial, peaks, cash.net) - rule.amount.resolve(size)
    lock = lock_level(rule, initial)
    if lock is not None:
        floor = min(floor, lock)
    return floor + (cash.net if reaction is FloorReaction.RE_ANCHOR else ZERO)


def reactions(rules: RuleSet) -> tuple[FloorReaction, FloorReaction]:
    """How the daily and the maximum-loss floors react to cash flows under ``rules``.

    Without a cash-flow block a flow re-anchors the day (it is never a day's loss) and leaves
    the maximum-loss floor's level alone (a withdrawal brings the balance nearer to it).
    """
    flows = rules.cash_flows
    if flows is None:
        return FloorReaction.RE_ANCHOR, FloorReaction.NONE
    return flows.daily, flows.max_loss


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


def floors(
    rules: RuleSet,
    day: DayStart | None,
    peaks: Peaks,
    state: AccountState,
    cash: CashLedger = NO_CASH,
) -> Floors:
    """All floors of an account with rule set ``rules`` in ``state``, after ``cash`` flows."""
    start, size = rules.start, rules.size
    daily, max_loss = reactions(rules)
    shift = cash.net if daily is FloorReaction.RE_ANCHOR else ZERO
    return Floors(
        daily=daily_floor(rules.daily_loss, start, day, size, shift),
        max_loss=max_loss_floor(rules.max_loss, start, peaks, size, cash, max_loss),
        floating=floating_floor(rules.floating_loss, size, state.balance),
    )
