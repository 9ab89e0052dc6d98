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
    Amount,
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


def _day_anchor(
    rule: DailyLossRule, initial: Decimal, day: DayStart | None, shift: Decimal
) -> Decimal | None:
    # An anchor on the initial balance is moved by the cash that re-anchored it; a day's own
    # anchor already was, in the day itself.
    anchor = daily_anchor(rule, initial, day)
    if anchor is not None and (rule.anchor is DailyAnchor.INITIAL or day is None):
        anchor += shift
    return anchor


def daily_step(
    rule: DailyLossRule,
    initial: Decimal,
    day: DayStart | None,
    size: Decimal | None = None,
    net: Decimal = ZERO,
) -> Amount | None:
    """The day's daily amount after the profit steps (``None``: no daily limit today).

    The profit is the trading profit at the reset: the day's balance less the starting
    balance and the ``net`` cash flows in it; a threshold in percent is of ``size``
    (default: ``initial``).
    """
    size = initial if size is None else size
    profit = ZERO if day is None else day.balance - initial - net
    amount = rule.amount
    for step in rule.steps:
        if profit >= step.from_profit.resolve(size):
            amount = step.amount
    return amount


def daily_amount(
    rule: DailyLossRule,
    initial: Decimal,
    day: DayStart | None,
    size: Decimal | None = None,
    shift: Decimal = ZERO,
    net: Decimal = ZERO,
) -> Decimal | None:
    """How far below its anchor the day's floor is, in money (``None``: no daily limit).

    ``size`` resolves the amount (default: ``initial``); ``shift`` and ``net`` as in
    :func:`daily_floor`.
    """
    anchor = _day_anchor(rule, initial, day, shift)
    amount = daily_step(rule, initial, day, size, net)
    if anchor is None or amount is None:
        return None
    size = initial if size is None else size
    base = anchor if rule.pct_of is PctOf.ANCHOR else size
    return amount.resolve(size, base)


def daily_floor(
    rule: DailyLossRule,
    initial: Decimal,
    day: DayStart | None,
    size: Decimal | None = None,
    shift: Decimal = ZERO,
    net: Decimal = ZERO,
) -> Decimal | None:
    """The daily-loss floor for the day that started with ``day`` (``None``: no daily limit).

    ``size`` resolves the amount (default: ``initial``); ``shift`` is the cash that moved an
    anchor on the initial balance (a day anchor is re-anchored in the day itself); ``net`` is
    the net cash flow, left out of the profit a limit's steps are measured on.
    """
    anchor = _day_anchor(rule, initial, day, shift)
    amount = daily_amount(rule, initial, day, size, shift, net)
    if anchor is None or amount is None:
        return None
    return anchor - amount


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


def _day_shift(rules: RuleSet, cash: CashLedger) -> Decimal:
    # The cash that moved an anchor on the initial balance: all of it when the daily floor
    # re-anchors on a flow, none when it keeps its level.
    daily, _ = reactions(rules)
    return cash.net if daily is FloorReaction.RE_ANCHOR else ZERO


def day_amount(rules: RuleSet, day: DayStart | None, cash: CashLedger = NO_CASH) -> Decimal | None:
    """How far below its anchor the daily floor of ``day`` is under ``rules`` after ``cash``
    flows (``None``: no limit): the one amount the floor and the sizing budgets both use."""
    shift = _day_shift(rules, cash)
    return daily_amount(rules.daily_loss, rules.start, day, rules.size, shift, cash.net)


def day_floor(rules: RuleSet, day: DayStart | None, cash: CashLedger = NO_CASH) -> Decimal | None:
    """The daily floor of ``day`` under ``rules`` after ``cash`` flows (``None``: no limit)."""
    shift = _day_shift(rules, cash)
    return daily_floor(rules.daily_loss, rules.start, day, rules.size, shift, cash.net)


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
    _, max_loss = reactions(rules)
    return Floors(
        daily=day_floor(rules, day, cash),
        max_loss=max_loss_floor(rules.max_loss, start, peaks, size, cash, max_loss),
        floating=floating_floor(rules.floating_loss, size, state.balance),
    )
