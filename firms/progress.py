"""Progress towards a phase's objectives: profit target, trading days, time limit, and
consistency (best day share), gathered by :func:`objectives` for one account.

Consistency is ``best day ÷ profit ≤ limit`` where profit is the total net profit or the
sum of positive days, as the rule says. When it fails, :attr:`ConsistencyProgress.profit_needed`
says how much more profit (with the best day unchanged) brings the share back within the
limit, and for firms that raise the target instead (E8 Futures) the raised target.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from accounts.model import AccountState, Trade
from accounts.money import HUNDRED, ZERO
from firms.clock import WallClock
from firms.model import ConsistencyRule, TradingDayRule
from firms.ruleset import RuleSet

_HELD = dt.timedelta(minutes=1)  # Take Profit Trader: a day counts if a position was held a minute


@dataclass(frozen=True, slots=True)
class ConsistencyProgress:
    """Where an account stands against a best-day rule."""

    best_day: dt.date | None
    best_day_profit: Decimal
    profit: Decimal  # the rule's denominator
    share_pct: Decimal | None  # None when there is no profit to measure against
    limit_pct: Decimal
    satisfied: bool
    profit_needed: Decimal  # more profit needed, best day unchanged (0 when satisfied)
    raised_target: Decimal | None  # for rules whose effect raises the target


def daily_pnl(trades: Iterable[Trade], clock: WallClock) -> dict[dt.date, Decimal]:
    """Closed P&L per trading day of ``clock``."""
    days: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for trade in trades:
        days[clock.trading_day(trade.closed_at)] += trade.pnl
    return dict(days)


def consistency(
    rule: ConsistencyRule, pnl_by_day: Mapping[dt.date, Decimal], target: Decimal | None = None
) -> ConsistencyProgress:
    """Evaluate ``rule`` over closed P&L per trading day."""
    positive = {day: pnl for day, pnl in pnl_by_day.items() if pnl > ZERO}
    best_day = max(positive, key=lambda d: (positive[d], d)) if positive else None
    best = positive[best_day] if best_day is not None else ZERO
    if rule.denominator == "positive_days":
        profit = sum(positive.values(), ZERO)
    else:
        profit = sum(pnl_by_day.values(), ZERO)
    limit = rule.max_best_day_pct
    share = best * HUNDRED / profit if profit > ZERO else None
    if best == ZERO:
        satisfied = True
    elif share is None:
        satisfied = False
    else:
        satisfied = share < limit if rule.strict else share <= limit
    needed_total = best * HUNDRED / limit
    needed = ZERO if satisfied else max(needed_total - profit, ZERO)
    raised = None
    if rule.effect == "raises_target" and target is not None:
        raised = max(target, needed_total)
    return ConsistencyProgress(
        best_day=best_day,
        best_day_profit=best,
        profit=profit,
        share_pct=share,
        limit_pct=limit,
        satisfied=satisfied,
        profit_needed=needed,
        raised_target=raised,
    )


def trading_days(
    trades: Iterable[Trade],
    clock: WallClock,
    rule: TradingDayRule,
    *,
    min_profit: Decimal = ZERO,
) -> set[dt.date]:
    """The trading days that count towards a minimum, by the firm's definition of a day."""
    trades = list(trades)
    if rule is TradingDayRule.POSITION_OPENED:
        return {clock.trading_day(t.opened_at) for t in trades}
    if rule is TradingDayRule.PROFITABLE_DAY:
        return {
            day for day, pnl in daily_pnl(trades, clock).items() if pnl > ZERO and pnl >= min_profit
        }
    if rule is TradingDayRule.POSITION_HELD:
        return {
            clock.trading_day(t.opened_at) for t in trades if t.closed_at - t.opened_at >= _HELD
        }
    return {clock.trading_day(t.opened_at) for t in trades} | {
        clock.trading_day(t.closed_at) for t in trades
    }


def trading_profit(
    level: Decimal, initial_balance: Decimal, net_cash_flow: Decimal = ZERO
) -> Decimal:
    """Profit made by trading: ``level`` (the balance, or the equity where the target counts
    on it) less the phase's initial balance and the net of deposits less withdrawals since the
    phase began, so money moved in or out is never counted as progress."""
    return level - initial_balance - net_cash_flow


@dataclass(frozen=True, slots=True)
class Objectives:
    """Where an account stands against its phase's objectives at one instant."""

    phase: str
    started: dt.datetime | None  # when the phase began (opened, promoted or reset)
    target: Decimal | None  # the profit target (raised where a consistency rule raises it)
    target_on: str | None  # what the target counts on: closed_balance_flat, balance, equity
    profit: Decimal | None  # trading profit on that basis; None before the first state
    to_target: Decimal | None  # profit still needed (0 once reached)
    target_reached: bool | None
    trading_days: int
    min_trading_days: int | None
    days_needed: int  # trading days still needed (0 once met)
    time_limit_days: int | None
    ends_at: dt.datetime | None  # when the time limit runs out
    expired: bool
    consistency: tuple[ConsistencyProgress, ...]

    @property
    def passed(self) -> bool:
        """True when every objective is met: target, trading days, consistency, in time."""
        return (
            self.target_reached is True
            and self.days_needed == 0
            and not self.expired
            and all(c.satisfied for c in self.consistency)
        )


def objectives(
    rules: RuleSet,
    initial_balance: Decimal,
    state: AccountState | None,
    trades: Iterable[Trade],
    started: dt.datetime | None,
    now: dt.datetime,
    net_cash_flow: Decimal = ZERO,
) -> Objectives:
    """The account's progress under ``rules`` at ``now``: ``trades`` are the phase's closed
    trades (since ``started``), ``state`` its latest broker state, ``net_cash_flow`` the
    deposits less withdrawals since the phase began."""
    trades = list(trades)
    clock = rules.daily_reset
    objective = rules.objective
    target = rules.target_amount()
    by_day = daily_pnl(trades, clock)
    checks = tuple(consistency(rule, by_day, target) for rule in rules.consistency)
    raised = [c.raised_target for c in checks if c.raised_target is not None]
    if target is not None and raised:
        target = max([target, *raised])

    profit: Decimal | None = None
    reached: bool | None = None
    to_target: Decimal | None = None
    if state is not None:
        on_equity = rules.target_on == "equity"
        level = state.equity if on_equity else state.balance
        profit = trading_profit(level, initial_balance, net_cash_flow)
        if target is not None:
            to_target = max(target - profit, ZERO)
            # FTMO counts the target on the closed balance with every position closed.
            flat = rules.target_on != "closed_balance_flat" or not state.positions
            reached = to_target == ZERO and flat

    minimum = objective.min_trading_days if objective is not None else None
    counted = 0
    if rules.trading_day is not None:
        floor = (
            objective.min_profitable_day.resolve(rules.size)
            if objective is not None and objective.min_profitable_day is not None
            else ZERO
        )
        counted = len(trading_days(trades, clock, rules.trading_day, min_profit=floor))
    limit = objective.time_limit_days if objective is not None else None
    ends_at = started + dt.timedelta(days=limit) if limit and started is not None else None
    return Objectives(
        phase=rules.phase.id,
        started=started,
        target=target,
        target_on=rules.target_on,
        profit=profit,
        to_target=to_target,
        target_reached=reached,
        trading_days=counted,
        min_trading_days=minimum,
        days_needed=max((minimum or 0) - counted, 0),
        time_limit_days=limit,
        ends_at=ends_at,
        expired=ends_at is not None and now >= ends_at,
        consistency=checks,
    )
