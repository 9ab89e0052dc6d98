"""Progress towards a phase's objectives: consistency (best day share) and trading days.

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

from accounts.model import Trade
from accounts.money import HUNDRED, ZERO
from firms.clock import WallClock
from firms.model import ConsistencyRule, TradingDayRule

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
