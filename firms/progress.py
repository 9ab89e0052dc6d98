"""Progress towards a phase's objectives: profit target, trading days, time limit, and
consistency (best day share), gathered by :func:`objectives` for one account.

Consistency is ``best day ÷ profit ≤ limit`` where profit is the total net profit, the sum of
positive days, or the phase's profit target, as the rule says; a rule whose window restarts at
each payout counts only the trades closed after the latest one, and a progressive rule takes
its limit by the number of payouts made. When it fails, :attr:`ConsistencyProgress.profit_needed`
says how much more profit (with the best day unchanged) brings the share back within the
limit — none can when the share is of the target — :attr:`ConsistencyProgress.over_cap` by how
much the best day exceeds the cap, and for firms that raise the target instead (E8 Futures) the
raised target.

A firm's news rule may also take profit away (:func:`news_exclusions`): the profit of a closed
trade it touches (opened, closed or held inside the window of a release it counts on an
instrument the release touches, per the rule's ``actions``) is removed, deducted or scaled to
the rule's share, and the counted profit towards the target is lowered by as much. Losses
count in full.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from accounts.model import AccountState, Trade
from accounts.money import HUNDRED, ZERO
from firms.clock import WallClock
from firms.model import ConsistencyRule, NewsRule, PhaseKind, TradingDayRule
from firms.news import EconomicEvent, NewsWindow, Traded, windows
from firms.ruleset import RuleSet

_CENT = Decimal("0.01")  # what a strict best-day rule's room keeps back
_HELD = dt.timedelta(minutes=1)  # Take Profit Trader: a day counts if a position was held a minute


@dataclass(frozen=True, slots=True)
class ConsistencyProgress:
    """Where an account stands against a best-day rule."""

    best_day: dt.date | None
    best_day_profit: Decimal
    profit: Decimal  # the rule's denominator (the profit target for ``profit_target``)
    share_pct: Decimal | None  # None when there is no profit to measure against
    limit_pct: Decimal  # the limit in force (by payout number for a progressive rule)
    satisfied: bool
    profit_needed: Decimal  # more profit needed, best day unchanged (0 when satisfied)
    raised_target: Decimal | None  # for rules whose effect raises the target
    denominator: str = "total_profit"
    over_cap: Decimal = ZERO  # how much the best day exceeds limit × denominator (0 within)
    window_start: dt.datetime | None = None  # the payout the window restarted at, if any

    @property
    def summary(self) -> str:
        """One sentence for a trader: the share against the limit, and what is still needed."""
        basis = {"profit_target": "the profit target", "positive_days": "positive days"}.get(
            self.denominator, "total profit"
        )
        share = "—" if self.share_pct is None else f"{self.share_pct:.2f} %"
        head = (
            f"best day {self.best_day_profit:,.2f}: {share} of {basis} (limit {self.limit_pct} %)"
        )
        if self.satisfied:
            return f"{head}, met"
        if self.denominator == "profit_target":
            return f"{head}, over the cap by {self.over_cap:,.2f}; more profit does not help"
        needed = f"{self.profit_needed:,.2f} more profit needed"
        return f"{head}, over the cap by {self.over_cap:,.2f}; {needed}"


def daily_pnl(trades: Iterable[Trade], clock: WallClock) -> dict[dt.date, Decimal]:
    """Closed P&L per trading day of ``clock``."""
    days: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for trade in trades:
        days[clock.trading_day(trade.closed_at)] += trade.pnl
    return dict(days)


def in_window(
    rule: ConsistencyRule, trades: Iterable[Trade], last_payout: dt.datetime | None
) -> list[Trade]:
    """The trades ``rule`` counts: all of them, or those closed after the latest payout when
    its window restarts at each payout."""
    if rule.window != "since_last_payout" or last_payout is None:
        return list(trades)
    return [t for t in trades if t.closed_at > last_payout]


def consistency(
    rule: ConsistencyRule,
    pnl_by_day: Mapping[dt.date, Decimal],
    target: Decimal | None = None,
    payouts: int = 0,
    window_start: dt.datetime | None = None,
) -> ConsistencyProgress:
    """Evaluate ``rule`` over closed P&L per trading day of its window, ``payouts`` made in
    the phase so far (a progressive rule's limit rises with them)."""
    positive = {day: pnl for day, pnl in pnl_by_day.items() if pnl > ZERO}
    best_day = max(positive, key=lambda d: (positive[d], d)) if positive else None
    best = positive[best_day] if best_day is not None else ZERO
    if rule.denominator == "positive_days":
        profit = sum(positive.values(), ZERO)
    elif rule.denominator == "profit_target":
        profit = target if target is not None else ZERO
    else:
        profit = sum(pnl_by_day.values(), ZERO)
    limit = rule.limit_after(payouts)
    share = best * HUNDRED / profit if profit > ZERO else None
    if best == ZERO:
        satisfied = True
    elif share is None:
        satisfied = False  # no target or no profit to measure a best day against
    else:
        satisfied = share < limit if rule.strict else share <= limit
    needed_total = best * HUNDRED / limit
    raised = None
    if rule.effect == "raises_target" and target is not None:
        raised = max(target, needed_total)
    if rule.denominator == "profit_target":
        # The cap is a fixed amount: more profit never brings the share back.
        needed = ZERO
        if raised is not None:
            satisfied = True  # the firm raises the target instead; reaching it is the test
    else:
        needed = ZERO if satisfied else max(needed_total - profit, ZERO)
    over = ZERO if satisfied else max(best - limit * max(profit, ZERO) / HUNDRED, ZERO)
    return ConsistencyProgress(
        best_day=best_day,
        best_day_profit=best,
        profit=profit,
        share_pct=share,
        limit_pct=limit,
        satisfied=satisfied,
        profit_needed=needed,
        raised_target=raised,
        denominator=rule.denominator,
        over_cap=over,
        window_start=window_start if rule.window == "since_last_payout" else None,
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


# The news effects that take all of a touched trade's profit (``breach`` takes none: it ends
# the account instead, judged elsewhere).
_REMOVES = ("profit_removed", "profit_deducted")


@dataclass(frozen=True, slots=True)
class NewsExclusion:
    """Profit of one closed trade that a firm's news rule does not count."""

    trade: Trade
    window: NewsWindow  # the window that touched it (the one taking the most)
    excluded: Decimal  # the profit not counted (positive; 0 is never listed)

    def describe(self) -> str:
        """E.g. ``EURUSD closed 2026-12-04T13:31:00+00:00: 60.00 of 100.00 not counted (...)``."""
        return (
            f"{self.trade.symbol} closed {self.trade.closed_at.isoformat()}:"
            f" {self.excluded:,.2f} of {self.trade.pnl:,.2f} not counted"
            f" ({self.window.rule.effect.replace('_', ' ')}, {self.window.describe()})"
        )


def news_touches(found: NewsWindow, trade: Trade) -> bool:
    """True when ``trade`` did inside ``found`` what its rule lists: opened (``open``,
    ``pending``), closed (``close``, ``stop_fill``) or was held through any of it (``hold``)."""
    opened = found.forbids("open", "pending") and found.contains(trade.opened_at)
    closed = found.forbids("close", "stop_fill") and found.contains(trade.closed_at)
    held = found.forbids("hold") and trade.opened_at <= found.end and trade.closed_at >= found.start
    return opened or closed or held


def _names(found: NewsWindow, symbol: str) -> bool:
    """True when ``found`` touches ``symbol`` without knowing its currencies: scope ``all``,
    or the firm's list for the release naming the symbol."""
    kind = found.event.kind
    target = found.rule.event_targets.get(kind) if kind else None
    if target is not None:
        return symbol in target.symbols
    return found.rule.scope == "all"


def news_share_excluded(rule: NewsRule) -> Decimal:
    """The share of a touched trade's profit ``rule`` does not count: all of it when removed or
    deducted, ``1 − profit_share`` when scaled (no share given: all, the stricter reading),
    none for a breach (the account ends instead)."""
    if rule.effect in _REMOVES:
        return Decimal(1)
    if rule.effect == "profit_scaled":
        return Decimal(1) - (rule.profit_share if rule.profit_share is not None else ZERO)
    return ZERO


def news_exclusions(
    rules: Sequence[NewsRule],
    trades: Iterable[Trade],
    events: Iterable[EconomicEvent],
    traded: Mapping[str, Traded],
) -> tuple[NewsExclusion, ...]:
    """The profit ``rules`` take from the winning ``trades`` they touch, one entry per trade
    (a trade touched by several windows loses its profit once, by the one taking most).

    ``traded`` describes each symbol for the rules; a symbol missing from it is touched only
    by the windows that name no currency: scope ``all``, or a firm's list naming it.
    """
    events = list(events)
    taking = [r for r in rules if news_share_excluded(r) > ZERO]
    if not taking or not events:
        return ()
    found: list[NewsExclusion] = []
    for trade in trades:
        if trade.pnl <= ZERO:
            continue  # losses count in full
        instrument = traded.get(trade.symbol)
        best: NewsExclusion | None = None
        for w in windows(taking, events, instrument):
            if instrument is None and not _names(w, trade.symbol):
                continue
            if not news_touches(w, trade):
                continue
            excluded = trade.pnl * news_share_excluded(w.rule)
            if best is None or excluded > best.excluded:
                best = NewsExclusion(trade, w, excluded)
        if best is not None:
            found.append(best)
    return tuple(found)


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
    # Profit of closed trades the firm's news rule does not count, already out of ``profit``.
    news_excluded: Decimal = ZERO
    news: tuple[NewsExclusion, ...] = ()

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
    *,
    payouts: int = 0,
    last_payout: dt.datetime | None = None,
    news_events: Sequence[EconomicEvent] = (),
    traded: Mapping[str, Traded] | None = None,
) -> Objectives:
    """The account's progress under ``rules`` at ``now``: ``trades`` are the phase's closed
    trades (since ``started``), ``state`` its latest broker state, ``net_cash_flow`` the
    deposits less withdrawals since the phase began, ``payouts`` the payouts made in the phase
    and ``last_payout`` when the latest was paid (where a best-day window restarts);
    ``news_events`` the releases of the phase's span and ``traded`` its symbols, for the profit
    the firm's news rule does not count."""
    trades = list(trades)
    taken = news_exclusions(rules.news, trades, news_events, traded or {})
    excluded = sum((t.excluded for t in taken), ZERO)
    clock = rules.daily_reset
    objective = rules.objective
    target = rules.target_amount()
    checks = tuple(
        consistency(
            rule,
            daily_pnl(in_window(rule, trades, last_payout), clock),
            target,
            payouts,
            last_payout,
        )
        for rule in rules.consistency
    )
    raised = [c.raised_target for c in checks if c.raised_target is not None]
    if target is not None and raised:
        target = max([target, *raised])

    profit: Decimal | None = None
    reached: bool | None = None
    to_target: Decimal | None = None
    if state is not None:
        on_equity = rules.target_on == "equity"
        level = state.equity if on_equity else state.balance
        profit = trading_profit(level, initial_balance, net_cash_flow) - excluded
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
        news_excluded=excluded,
        news=taken,
    )


@dataclass(frozen=True, slots=True)
class WindowProfit:
    """A best-day rule's window split at the current trading day: closed profit before today
    (net, and summed over positive days), and today's closed profit so far."""

    prior_net: Decimal
    prior_positive: Decimal
    today: Decimal


def window_profit(
    rule: ConsistencyRule,
    trades: Iterable[Trade],
    clock: WallClock,
    now: dt.datetime,
    last_payout: dt.datetime | None = None,
) -> WindowProfit:
    """``rule``'s window of the phase's closed ``trades`` split at the trading day of ``now``."""
    today = clock.trading_day(now)
    by_day = daily_pnl(in_window(rule, trades, last_payout), clock)
    prior = [pnl for day, pnl in by_day.items() if day != today]
    return WindowProfit(
        prior_net=sum(prior, ZERO),
        prior_positive=sum((p for p in prior if p > ZERO), ZERO),
        today=by_day.get(today, ZERO),
    )


def day_room(
    rule: ConsistencyRule,
    window: WindowProfit,
    target: Decimal | None,
    payouts: int = 0,
) -> Decimal | None:
    """The most profit today may still add so that, made, today's share stays within
    ``rule`` (never negative; ``None``: any amount fits, the limit being 100 %).

    With share ``c``, today's profit so far ``d0`` and the window's profit before today
    ``P0`` (net, or over positive days), a win ``r`` keeps ``d0 + r ≤ c·(P0 + d0 + r)``,
    so ``r ≤ (c·(P0 + d0) − d0) ÷ (1 − c)``; of the target ``T``: ``r ≤ c·T − d0``. A pass
    is only judged at the target, so a pass-gated share of profit allows at least the
    target's room (the profit, and the positive days, are then at least ``T``). A strict
    rule (the share must stay below) leaves a cent less, so a win of all the room is below.
    """
    c = rule.limit_after(payouts) / HUNDRED
    d0 = window.today
    if rule.denominator == "profit_target":
        if target is None:
            return ZERO  # no target, nothing to measure against: no room (the stricter reading)
        room = c * target - d0
    elif c >= 1:
        return None
    else:
        prior = window.prior_positive if rule.denominator == "positive_days" else window.prior_net
        room = (c * (prior + d0) - d0) / (1 - c)
        if rule.gate == "pass" and target is not None:
            room = max(room, c * target - d0)
    if rule.strict:
        room -= _CENT
    return max(room, ZERO)


def gate_applies(rule: ConsistencyRule, kind: PhaseKind) -> bool:
    """True when ``rule`` is judged in a phase of ``kind``: a pass gate in an evaluation, a
    payout gate in a funded or live account."""
    if rule.gate == "pass":
        return kind is PhaseKind.EVALUATION
    return kind is not PhaseKind.EVALUATION
