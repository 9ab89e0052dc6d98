"""The intraday replay: the accounts of every plan traded on minute bars, judged every bar.

A bar, for each account (as a state push would have it, in this order):

1. at the first bar from each daily reset instant (the firm's ``WallClock``, in its zone, so
   daylight saving moves it in UTC), the trading day rolls; a position still open at its time
   rule's deadline (``timerules``) breaches that rule there: the firm liquidates it at its last
   price and the account fails;
2. ARIA's trader flattens at the profile's lead time before a deadline, and before a news
   window in which a fill would breach (it follows ARIA's ``flat_by``/``must_flatten`` and news
   warnings), at the bar's open, or at its last price when no bar comes before the deadline;
3. the open: a stop the open gapped through fills at the open (without gaps, at the stop);
4. the bar's signal, if any, is sized by the policy and entered at the open;
5. the favourable extreme (capped at the target) is observed — an intraday-trailing floor
   rises with it — then the adverse one: stops touched fill at the stop, before any target;
   judged; then targets touched fill at the target; judged again when anything closed.

An entry, a stop or a target filled inside a news window whose rule forbids it (effect
``breach``) breaches that rule. The signal of a day comes at a random minute of it, with the
stop ``atr_stop`` hourly ATRs away (the ATR of the complete hours before its own).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from accounts.model import Side
from aria.simulation.bars import ATR_PERIOD, Known
from aria.simulation.engine import Signal, _Account, _Open, _Replay
from aria.simulation.result import PlanOutcome, SimulationResult
from aria.simulation.setup import BASELINE, PlanSpec, SimConfig
from aria.simulation.timerules import TimeBreach
from aria.sizing import market
from aria.sizing.errors import InvalidRequest
from aria.sizing.instruments import InstrumentCatalog
from aria.sizing.profiles import Profile, resolve_profile
from firms.catalog import Catalog
from firms.lifecycle import roll_forward
from firms.news import EconomicEvent
from firms.ruleset import RuleSet
from firms.sessions import Calendar

# A simulated trader's own refusal, not a sizing code: an entry it would have to close at once
# because a news window in which a fill would breach starts within the lead time.
FLATTEN_AHEAD = "time_rule_ahead"


@dataclass(frozen=True)
class MinuteBar:
    """One minute of one symbol, stamped at its start (UTC)."""

    at: dt.datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


@dataclass(frozen=True)
class MinuteSeries:
    """A symbol's minute bars, oldest first, and the hourly ATR known at each hour's start."""

    symbol: str
    bars: tuple[MinuteBar, ...]
    known: dict[dt.datetime, Known] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, symbol: str, bars: Sequence[MinuteBar]) -> MinuteSeries:
        """Validate the bars and work out the hourly ATR each hour's start knew."""
        ordered = tuple(bars)
        for index, bar in enumerate(ordered):
            if bar.at.tzinfo is None or bar.at.utcoffset() != dt.timedelta(0):
                raise InvalidRequest(f"{symbol} {bar.at}: minute bars are stamped in UTC")
            if not (bar.low <= min(bar.open, bar.close) and bar.high >= max(bar.open, bar.close)):
                raise InvalidRequest(f"{symbol} {bar.at}: open and close must lie in the range")
            if bar.low <= 0:
                raise InvalidRequest(f"{symbol} {bar.at}: prices must be positive")
            if index and ordered[index - 1].at >= bar.at:
                raise InvalidRequest(f"{symbol}: bars must be one per minute, in order ({bar.at})")
        return cls(symbol, ordered, _hourly_known(ordered))

    def scaled(self, symbol: str, factor: Decimal) -> MinuteSeries:
        """The same bars with every price times ``factor``, under another symbol (a proxy)."""
        return MinuteSeries.of(
            symbol,
            [
                MinuteBar(b.at, b.open * factor, b.high * factor, b.low * factor, b.close * factor)
                for b in self.bars
            ],
        )

    def known_at(self, at: dt.datetime) -> Known | None:
        """What was known at ``at``: the ATR of the complete hours before its hour."""
        return self.known.get(at.replace(minute=0, second=0, microsecond=0))


def _hourly_known(bars: tuple[MinuteBar, ...]) -> dict[dt.datetime, Known]:
    hours: dict[dt.datetime, list[MinuteBar]] = {}
    for bar in bars:
        hours.setdefault(bar.at.replace(minute=0, second=0, microsecond=0), []).append(bar)
    starts = sorted(hours)
    highs = np.array([max(float(b.high) for b in hours[h]) for h in starts])
    lows = np.array([min(float(b.low) for b in hours[h]) for h in starts])
    closes = np.array([float(hours[h][-1].close) for h in starts])
    if len(starts) <= ATR_PERIOD:
        return {}
    ranges = market.atr(highs, lows, closes, ATR_PERIOD)
    known: dict[dt.datetime, Known] = {}
    for index in range(1, len(starts)):
        current = float(ranges[index - 1])
        if math.isfinite(current) and current > 0:
            known[starts[index]] = Known(Decimal(f"{current:.10g}"), None, None)
    return known


def reset_bars(rules: RuleSet, timeline: Sequence[dt.datetime]) -> list[dt.datetime]:
    """The bars at which the plan's trading day rolls: the first, then the first bar at or after
    each daily reset instant (the reset's wall clock in its zone, daylight saving included)."""
    found: list[dt.datetime] = []
    due: dt.datetime | None = None
    for at in timeline:
        if due is None or at >= due:
            found.append(at)
            due = rules.daily_reset.next(at)
    return found


def simulate_minutes(
    config: SimConfig,
    series: Mapping[str, MinuteSeries],
    catalog: Catalog,
    instruments: InstrumentCatalog,
    calendars: Mapping[str, Calendar] | None = None,
    news: Sequence[EconomicEvent] = (),
) -> SimulationResult:
    """Run every policy of ``config`` over every plan on minute bars, on the same signals and
    prices; with ``calendars`` (by symbol) and ``news`` the plans' time rules are judged."""
    if config.payout_every is not None:
        raise InvalidRequest("payouts are simulated on daily bars only")
    result = SimulationResult()
    profiles = {p: resolve_profile(p, []) for p in config.policies if p != BASELINE}
    for plan_index, plan in enumerate(config.plans):
        missing = [s for s in plan.symbols if s not in series]
        if missing:
            raise InvalidRequest(f"{plan.key}: no minute bars for {', '.join(missing)}")
        timeline = sorted({bar.at for s in plan.symbols for bar in series[s].bars})
        days = sorted({at.date() for at in timeline})
        result.days = max(result.days, len(days))
        signals = [
            _signals(config, plan, plan_index, index, days, series)
            for index in range(config.accounts)
        ]
        for policy in config.policies:
            outcome = result.outcome(policy, plan.key)
            replay = _MinuteReplay(config, plan, profiles.get(policy), catalog, instruments, series)
            replay.timed(calendars, news)
            for index in range(config.accounts):
                replay.run_minutes(index, timeline, signals[index], outcome)
    return result


def _signals(
    config: SimConfig,
    plan: PlanSpec,
    plan_index: int,
    account_index: int,
    days: list[dt.date],
    series: Mapping[str, MinuteSeries],
) -> dict[dt.datetime, Signal]:
    """The account's signals, one at most a day at a random minute with a known ATR: drawn
    before any policy runs, so every policy sees the same."""
    rng = np.random.default_rng([config.seed, plan_index, account_index])
    minutes = {s: _minutes_by_day(series[s]) for s in plan.symbols}
    found: dict[dt.datetime, Signal] = {}
    for day in days:
        draw, pick, side = rng.random(), int(rng.integers(len(plan.symbols))), rng.integers(2)
        confidence = Decimal(f"{rng.uniform(0.3, 0.95):.2f}")
        when = rng.random()
        symbol = plan.symbols[pick]
        choices = minutes[symbol].get(day, [])
        if draw < config.signal_rate and choices:
            at = choices[int(when * len(choices))]
            found[at] = Signal(symbol, Side.LONG if side == 0 else Side.SHORT, confidence)
    return found


def _minutes_by_day(series: MinuteSeries) -> dict[dt.date, list[dt.datetime]]:
    found: dict[dt.date, list[dt.datetime]] = {}
    for bar in series.bars:
        if series.known_at(bar.at) is not None:
            found.setdefault(bar.at.date(), []).append(bar.at)
    return found


class _MinuteReplay(_Replay):
    """One policy on one plan, bar by bar."""

    def __init__(
        self,
        config: SimConfig,
        plan: PlanSpec,
        profile: Profile | None,
        catalog: Catalog,
        instruments: InstrumentCatalog,
        series: Mapping[str, MinuteSeries],
    ) -> None:
        self._common(config, plan, profile, catalog, instruments)
        self.intraday = True
        self.minutes = {s: {bar.at: bar for bar in series[s].bars} for s in plan.symbols}
        self.series = {s: series[s] for s in plan.symbols}
        lead = profile.sessions.lead_minutes if profile is not None else 0
        self.lead = dt.timedelta(minutes=lead)
        self.pairs = [s for s in plan.symbols if len(s) == 6 and s.isalpha()]

    def run_minutes(
        self,
        index: int,
        timeline: Sequence[dt.datetime],
        signals: Mapping[dt.datetime, Signal],
        outcome: PlanOutcome,
    ) -> _Account:
        """Replay one account over ``timeline``, add it to ``outcome`` and return it."""
        acct = self._new(index, outcome)
        rates: dict[str, Decimal] = {}
        resets = set(reset_bars(self.rules, timeline))
        for at in timeline:
            bars = {s: m[at] for s, m in self.minutes.items() if at in m}
            for pair in self.pairs:
                if pair in bars:
                    rates[pair] = bars[pair].open
            if self.profile is not None:
                self._flatten(acct, at, bars, rates)
            if acct.done or self._time_judged(acct, at, rates):
                break
            if at in resets:
                rolled = roll_forward(acct.account, acct.tracker, self.rules, at)
                acct.account, acct.tracker = rolled.account, rolled.tracker
                acct.started = acct.started or at
                acct.days += 1
            signal = signals.get(at)
            if acct.positions or signal is not None:
                self._bar(acct, at, bars, signal, rates, outcome)
            if acct.done:
                break
        self._tally(acct, outcome)
        return acct

    def _flatten_at(self, symbol: str, opened: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """When ARIA's trader closes a position of ``symbol`` opened at ``opened``, and the
        instant it must be closed before (far ahead when no rule asks)."""
        limits = [dt.datetime.max.replace(tzinfo=dt.UTC)]
        deadline = self._deadline(symbol, opened)
        if deadline is not None:
            limits.append(deadline.at)
        time = self.time.get(symbol)
        window = time.next_fill_window(opened) if time is not None else None
        if window is not None:
            limits.append(window)
        limit = min(limits)
        return (limit - self.lead if limit.year < dt.MAXYEAR else limit), limit

    def _flatten(
        self,
        acct: _Account,
        at: dt.datetime,
        bars: Mapping[str, MinuteBar],
        rates: dict[str, Decimal],
    ) -> None:
        """ARIA's trader closes at the lead time before a deadline or a news window."""
        for position in list(acct.positions):
            flat_at, limit = self._flatten_at(position.symbol, position.opened)
            if at < flat_at:
                continue
            bar = bars.get(position.symbol)
            # Judged as any fill: a close that lands in a news window is still a breach.
            if bar is not None and at < limit:
                done = self._fill(acct, position, bar.open, at, rates)
            else:  # no bar before the deadline: at the last price, at the lead time
                done = self._fill(acct, position, position.mark, flat_at, rates)
            if done:
                return

    def _bar(
        self,
        acct: _Account,
        at: dt.datetime,
        bars: Mapping[str, MinuteBar],
        signal: Signal | None,
        rates: dict[str, Decimal],
        outcome: PlanOutcome,
    ) -> None:
        closed = False
        # The open: gaps through stops fill at the open (or at the stop without gaps).
        for position in list(acct.positions):
            bar = bars.get(position.symbol)
            if bar is not None and (position.stop - bar.open) * position.side.sign >= 0:
                fill = bar.open if self.config.gaps else position.stop
                value = self._value(position, fill, rates)
                acct.gap_loss += (position.stop - fill) * position.side.sign * value * position.lots
                closed = True
                if self._fill(acct, position, fill, at, rates):
                    return
        if signal is not None and signal.symbol in bars:
            self._signal(acct, at, bars[signal.symbol], signal, rates, outcome)
            if acct.done:
                return
        opens = {s: bar.open for s, bar in bars.items()}
        # The favourable extreme first (a floor that trails equity rises with it)…
        favourable = {
            p.symbol: self._capped_minute(p, bars[p.symbol])
            for p in acct.positions
            if p.symbol in bars
        }
        if favourable:
            self._observe(acct, self._state(acct, {**opens, **favourable}, at, rates))
        # …then the adverse one: stops touched fill at the stop, before any target.
        adverse: dict[str, Decimal] = {}
        for position in list(acct.positions):
            bar = bars.get(position.symbol)
            if bar is None:
                continue
            worst = bar.low if position.side is Side.LONG else bar.high
            if (position.stop - worst) * position.side.sign >= 0:
                closed = True
                if self._fill(acct, position, position.stop, at, rates):
                    return
            else:
                adverse[position.symbol] = worst
        if self._judge(acct, self._state(acct, {**opens, **adverse}, at, rates), at, rates):
            return
        # The bar's end: targets touched fill at the target; the rest is marked at the close.
        closes: dict[str, Decimal] = {}
        for position in list(acct.positions):
            bar = bars.get(position.symbol)
            if bar is None:
                continue
            best = bar.high if position.side is Side.LONG else bar.low
            target = position.take_profit
            if target is not None and (best - target) * position.side.sign >= 0:
                closed = True
                if self._fill(acct, position, target, at, rates):
                    return
            else:
                closes[position.symbol] = bar.close
        final = self._state(acct, {**opens, **closes}, at, rates)
        if closed:
            if self._judge(acct, final, at, rates):
                return
            self._check_target(acct, final)

    def _signal(
        self,
        acct: _Account,
        at: dt.datetime,
        bar: MinuteBar,
        signal: Signal,
        rates: dict[str, Decimal],
        outcome: PlanOutcome,
    ) -> None:
        """Size and enter the signal at the bar's open; an entry inside a news window that
        forbids it breaches the rule."""
        if not acct.account.trading.allows_new_risk():
            return
        known = self.series[signal.symbol].known_at(at)
        if known is None:
            return
        time = self.time.get(signal.symbol)
        # The session gate refuses entries from the lead time before a deadline; nothing
        # refuses one just before a news window, which ARIA's trader would close at once.
        window = time.next_fill_window(at) if time is not None else None
        if self.profile is not None and window is not None and window - self.lead <= at:
            outcome.rejects[FLATTEN_AHEAD] += 1
            return
        # The state the policy sizes from: the positions marked at this bar's open.
        opens = {s: m[at].open for s, m in self.minutes.items() if at in m}
        self._observe(acct, self._state(acct, opens, at, rates))
        position = self._place(acct, signal, bar.open, known, at, rates, outcome)
        if position is not None and time is not None and time.forbids_entry(at):
            self._time_breach(acct, TimeBreach.NEWS, at, rates)

    def _fill(
        self,
        acct: _Account,
        position: _Open,
        price: Decimal,
        at: dt.datetime,
        rates: dict[str, Decimal],
    ) -> bool:
        """Close ``position`` at ``price``; True when the fill breached a news window."""
        self._close(acct, position, price, at, rates)
        time = self.time.get(position.symbol)
        if time is not None and time.forbids_fill(at):
            self._time_breach(acct, TimeBreach.NEWS, at, rates)
            return True
        return False

    def _time_breach(
        self, acct: _Account, kind: TimeBreach, at: dt.datetime, rates: dict[str, Decimal]
    ) -> None:
        acct.time_breach = kind
        for position in list(acct.positions):  # the firm liquidates at the breach
            self._close(acct, position, position.mark, at, rates)

    @staticmethod
    def _capped_minute(position: _Open, bar: MinuteBar) -> Decimal:
        best = bar.high if position.side is Side.LONG else bar.low
        target = position.take_profit
        if target is not None and (best - target) * position.side.sign > 0:
            return target
        return best
