"""The replay: every account of every plan, day by day, under each policy, judged by the rules.

A day, for each account (as a state push would have it, in this order):

1. the firm's reset rolls the trading day and a daily halt ends
   (``firms.lifecycle.roll_forward``);
2. the open: positions are marked at the open; a position whose stop the open gapped
   through fills at the open (or, without gaps, at its stop); the state is judged;
3. the day's signal, if any, is sized by the policy and entered at the open;
4. the favourable extreme of the day for every position (capped at its target) — a floor
   that trails equity rises with it — then the adverse extreme: stops touched fill at the
   stop, and when a bar touches both stop and target the stop fills first; judged;
5. the close: targets touched fill at the target, the rest is marked at the close; judged.

Given the instruments' calendars, the plans' time rules are judged too (``timerules``): a
position carried past the day's end on a plan that forbids holding overnight, or over a
weekend close on one that forbids that, breaches the rule at that instant — the firm
liquidates it at its last price and the account fails. Daily bars cannot tell when in a day a
position was open, so this replay judges only overnight and weekend holding (a position carried
overnight on a plan with a flat-by time counts as ``overnight``); flat-by times and news
windows need minute bars (``aria.simulation.minute``). ARIA's accounts follow its
``must_flatten`` warnings: a position that may not be held until the next day's open is
closed at the day's close.

Every judgement is the firm's own, by the lifecycle state pushes and jobs use
(``firms.lifecycle``): the account's tracker observes each state, the floors from its rules,
peaks and day find the breaches, and the firm's verdict (``firms.lifecycle.verdict``) sets
its trading state. A hard breach fails the account; a soft one closes its positions and
halts it until the next reset. An account stops when it fails or reaches its profit target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np

from accounts.cash import CashFlow, CashFlowKind
from accounts.model import Account, AccountState, HaltKind, Position, Side, Trade
from accounts.money import ZERO, floor_to_step
from accounts.tracker import Tracker
from aria.simulation.bars import Bar, Known, Series
from aria.simulation.result import PlanOutcome, SimulationResult
from aria.simulation.setup import BASELINE, PlanSpec, SimConfig
from aria.simulation.timerules import Deadline, TimeBreach, TimeRules
from aria.sizing.decision import RejectCode
from aria.sizing.errors import InvalidRequest, SizingError
from aria.sizing.inputs import DecisionInputs, MarketSnapshot, TradeRequest, cash_input
from aria.sizing.instruments import Instrument, InstrumentCatalog, point_value
from aria.sizing.limits.consistency import windows_of
from aria.sizing.pipeline import decide
from aria.sizing.profiles import Profile, resolve_profile
from firms.breaches import Breach, BreachType
from firms.catalog import Catalog
from firms.errors import InvalidCashFlow
from firms.lifecycle import SYSTEM, cash_flow, judge, observe, roll_forward, verdict
from firms.news import EconomicEvent
from firms.progress import objectives
from firms.ruleset import RuleSet
from firms.sessions import Calendar

UTC = dt.UTC
_DAY_BEFORE, _DAYS_AFTER = dt.timedelta(days=1), dt.timedelta(days=4)
_OPEN, _EXTREMES, _ADVERSE, _CLOSE = (
    dt.time(12, 0),
    dt.time(12, 1),
    dt.time(12, 2),
    dt.time(12, 3),
)


@dataclass(frozen=True)
class Signal:
    """A trade idea for one account on one day."""

    symbol: str
    side: Side
    confidence: Decimal  # for profiles that size by it


@dataclass
class _Open:
    symbol: str
    side: Side
    lots: Decimal
    entry: Decimal
    stop: Decimal
    take_profit: Decimal | None
    opened: dt.datetime
    mark: Decimal  # the last price it was valued at
    deadline: Deadline | None = None  # when its plan's time rules want it flat


@dataclass
class _Account:
    account: Account  # its trading state is the firm's verdict so far
    rules: RuleSet
    balance: Decimal
    tracker: Tracker
    positions: list[_Open] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    gap_loss: Decimal = ZERO  # what fills at gapped opens lost beyond the stops
    passed: bool = False
    breached_daily: bool = False
    breached_max: bool = False
    gap_breach: bool = False
    time_breach: TimeBreach | None = None  # the first time rule it broke (which fails it)
    days: int = 0  # trading days simulated
    started: dt.datetime | None = None  # the open of its first day: the phase's start
    last_payout: dt.datetime | None = None  # where a best-day window restarts

    @property
    def failed(self) -> bool:
        return self.account.trading.halt in (HaltKind.FAILED, HaltKind.CLOSED)

    @property
    def done(self) -> bool:
        return self.failed or self.passed or self.time_breach is not None


def simulate(
    config: SimConfig,
    series: Mapping[str, Series],
    catalog: Catalog,
    instruments: InstrumentCatalog,
    calendars: Mapping[str, Calendar] | None = None,
    news: Sequence[EconomicEvent] = (),
) -> SimulationResult:
    """Run every policy of ``config`` over every plan, on the same signals and prices; with
    ``calendars`` (by symbol) the plans' overnight and weekend rules are judged, and ARIA
    sizes with the calendars and ``news`` in its inputs (daily bars judge no news window)."""
    result = SimulationResult()
    profiles = {p: resolve_profile(p, []) for p in config.policies if p != BASELINE}
    for plan_index, plan in enumerate(config.plans):
        missing = [s for s in plan.symbols if s not in series]
        if missing:
            raise InvalidRequest(f"{plan.key}: no bars for {', '.join(missing)}")
        days = sorted({bar.day for s in plan.symbols for bar in series[s].bars})
        result.days = max(result.days, len(days))
        bars = {s: series[s].by_day() for s in plan.symbols}
        signals = [
            _signals(config, plan, plan_index, index, days, bars, series)
            for index in range(config.accounts)
        ]
        for policy in config.policies:
            outcome = result.outcome(policy, plan.key)
            replay = _Replay(config, plan, profiles.get(policy), catalog, instruments, series)
            replay.timed(calendars, news)
            for index in range(config.accounts):
                replay.run(index, days, signals[index], outcome)
    return result


def _signals(
    config: SimConfig,
    plan: PlanSpec,
    plan_index: int,
    account_index: int,
    days: list[dt.date],
    bars: Mapping[str, Mapping[dt.date, Bar]],
    series: Mapping[str, Series],
) -> dict[dt.date, Signal]:
    """The account's signals: drawn before any policy runs, so every policy sees the same."""
    rng = np.random.default_rng([config.seed, plan_index, account_index])
    found: dict[dt.date, Signal] = {}
    for day in days:
        draw, pick, side = rng.random(), int(rng.integers(len(plan.symbols))), rng.integers(2)
        confidence = Decimal(f"{rng.uniform(0.3, 0.95):.2f}")
        symbol = plan.symbols[pick]
        if draw < config.signal_rate and day in bars[symbol] and day in series[symbol].known:
            found[day] = Signal(symbol, Side.LONG if side == 0 else Side.SHORT, confidence)
    return found


class _Replay:
    """One policy on one plan: replays its accounts one after the other."""

    def __init__(
        self,
        config: SimConfig,
        plan: PlanSpec,
        profile: Profile | None,
        catalog: Catalog,
        instruments: InstrumentCatalog,
        series: Mapping[str, Series],
    ) -> None:
        self._common(config, plan, profile, catalog, instruments)
        self.bars = {s: series[s].by_day() for s in plan.symbols}
        self.known = {s: series[s].known for s in plan.symbols}
        self.rates = _carried_rates(series)

    def _common(
        self,
        config: SimConfig,
        plan: PlanSpec,
        profile: Profile | None,
        catalog: Catalog,
        instruments: InstrumentCatalog,
    ) -> None:
        self.config, self.plan, self.profile = config, plan, profile
        self.instruments = {s: instruments.get(s) for s in plan.symbols}
        self.rules = catalog.rule_set(
            plan.firm, plan.plan, plan.phase, plan.size, plan.rulebook_version
        )
        self.intraday = False  # daily bars cannot tell whether a position was open at a flat-by
        self.calendars: dict[str, Calendar] = {}
        self._near: dict[tuple[str, dt.date], Calendar] = {}
        self.news: tuple[EconomicEvent, ...] = ()
        self.time: dict[str, TimeRules] = {}

    def timed(
        self, calendars: Mapping[str, Calendar] | None, news: Sequence[EconomicEvent]
    ) -> None:
        """Judge the plan's time rules with these calendars (by symbol) and releases."""
        if calendars is None:
            return
        self.calendars = {s: calendars[s] for s in self.plan.symbols if s in calendars}
        self.news = tuple(news)
        self.time = {
            s: TimeRules.of(self.rules, self.calendars.get(s), self.instruments[s], self.news)
            for s in self.plan.symbols
        }

    def _new(self, index: int, outcome: PlanOutcome) -> _Account:
        plan, rules = self.plan, self.rules
        account = Account(
            id=f"{plan.firm}-{plan.plan}-{index:03d}",
            owner=f"trader-{index:03d}",
            firm=plan.firm,
            plan=plan.plan,
            phase=plan.phase,
            rulebook_version=rules.rulebook_version,
            initial_balance=plan.size,
        )
        state = _Account(account, rules, rules.start, Tracker.start(rules.start))
        outcome.accounts += 1
        return state

    def run(
        self,
        index: int,
        days: list[dt.date],
        signals: Mapping[dt.date, Signal],
        outcome: PlanOutcome,
    ) -> None:
        state = self._new(index, outcome)
        for number, day in enumerate(days):
            if state.done:
                break
            following = days[number + 1] if number + 1 < len(days) else None
            self._day(state, day, signals.get(day), outcome, following)
        self._tally(state, outcome)

    def _tally(self, state: _Account, outcome: PlanOutcome) -> None:
        outcome.final_balances.append(float(state.balance))
        outcome.breached += (
            state.breached_daily or state.breached_max or state.time_breach is not None
        )
        if state.time_breach is not None:
            outcome.time_breaches[state.time_breach.value] += 1
        outcome.breaches_daily += state.breached_daily
        outcome.breaches_max_loss += state.breached_max
        outcome.gap_breaches += state.gap_breach
        outcome.passed += state.passed

    # One day -------------------------------------------------------------------------------

    def _day(
        self,
        acct: _Account,
        day: dt.date,
        signal: Signal | None,
        outcome: PlanOutcome,
        following: dt.date | None = None,
    ) -> None:
        at = {name: dt.datetime.combine(day, t, UTC) for name, t in _times().items()}
        rates = self._rates(day)
        if self._time_judged(acct, at["open"], rates):
            return
        rolled = roll_forward(acct.account, acct.tracker, self.rules, at["open"])
        acct.account, acct.tracker = rolled.account, rolled.tracker
        acct.started = acct.started or at["open"]

        # The open: gaps through stops fill at the open (or at the stop without gaps).
        opens = {s: bar.open for s, bar in self._today(day).items()}
        for position in list(acct.positions):
            price = opens.get(position.symbol)
            if price is not None and (position.stop - price) * position.side.sign >= 0:
                fill = price if self.config.gaps else position.stop
                acct.gap_loss += (
                    (position.stop - fill)
                    * position.side.sign
                    * self._value(position, fill, rates)
                    * position.lots
                )
                self._close(acct, position, fill, at["open"], rates)
        if self._judge(acct, self._state(acct, opens, at["open"], rates), at["open"], rates):
            return

        if signal is not None and acct.account.trading.allows_new_risk():
            self._enter(acct, signal, day, at["open"], rates, outcome)

        bars = self._today(day)
        # The favourable extreme first (a floor that trails equity rises with it)…
        favourable = {
            p.symbol: self._capped(p, bars[p.symbol]) for p in acct.positions if p.symbol in bars
        }
        self._observe(acct, self._state(acct, {**opens, **favourable}, at["extremes"], rates))
        # …then the adverse one: stops touched fill at the stop, before any target.
        adverse: dict[str, Decimal] = {}
        for position in list(acct.positions):
            bar = bars.get(position.symbol)
            if bar is None:
                continue
            worst = bar.low if position.side is Side.LONG else bar.high
            if (position.stop - worst) * position.side.sign >= 0:
                self._close(acct, position, position.stop, at["adverse"], rates)
            else:
                adverse[position.symbol] = worst
        marks = {**opens, **adverse}
        if self._judge(acct, self._state(acct, marks, at["adverse"], rates), at["adverse"], rates):
            return

        # The close: targets touched fill at the target; the rest is marked at the close.
        closes: dict[str, Decimal] = {}
        for position in list(acct.positions):
            bar = bars.get(position.symbol)
            if bar is None:
                continue
            best = bar.high if position.side is Side.LONG else bar.low
            target = position.take_profit
            if target is not None and (best - target) * position.side.sign >= 0:
                self._close(acct, position, target, at["close"], rates)
            else:
                closes[position.symbol] = bar.close
        if self.profile is not None and following is not None:
            # ARIA's trader flattens what its plan may not hold until the next day's open.
            tomorrow = dt.datetime.combine(following, _OPEN, UTC)
            for position in list(acct.positions):
                if position.deadline is not None and position.deadline.at < tomorrow:
                    price = closes.get(position.symbol, position.mark)
                    self._close(acct, position, price, at["close"], rates)
        final = self._state(acct, {**opens, **closes}, at["close"], rates)
        if self._judge(acct, final, at["close"], rates):
            return
        self._check_target(acct, final)
        acct.days += 1
        self._pay_out(acct, at["close"] + dt.timedelta(minutes=1), outcome)

    def _pay_out(self, acct: _Account, at: dt.datetime, outcome: PlanOutcome) -> None:
        """Every ``payout_every`` days, pay a flat account a share of its profit."""
        every = self.config.payout_every
        profit = acct.balance - self.rules.start
        if every is None or acct.days % every or acct.positions or profit <= 0:
            return
        amount = (profit * self.config.payout_share).quantize(Decimal("0.01"), ROUND_FLOOR)
        if amount <= 0:
            return
        flow = CashFlow(kind=CashFlowKind.PAYOUT, amount=amount, at=at)
        try:
            paid = cash_flow(acct.account, acct.tracker, self.rules, flow, at, SYSTEM)
        except InvalidCashFlow:
            return  # the firm's rule refuses it (its payout buffer): no payout this time
        acct.account, acct.tracker = paid.account, paid.tracker
        acct.balance -= amount
        acct.last_payout = at
        outcome.payouts += 1
        outcome.paid_out += amount

    # Sizing --------------------------------------------------------------------------------

    def _enter(
        self,
        acct: _Account,
        signal: Signal,
        day: dt.date,
        at: dt.datetime,
        rates: dict[str, Decimal],
        outcome: PlanOutcome,
    ) -> None:
        bar = self.bars[signal.symbol][day]
        self._place(acct, signal, bar.open, self.known[signal.symbol][day], at, rates, outcome)

    def _place(
        self,
        acct: _Account,
        signal: Signal,
        price: Decimal,
        known: Known,
        at: dt.datetime,
        rates: dict[str, Decimal],
        outcome: PlanOutcome,
    ) -> _Open | None:
        """Size ``signal`` by the policy and open it at ``price``; the position, if any."""
        instrument = self.instruments[signal.symbol]
        sign = signal.side.sign
        distance = known.atr * self.config.atr_stop
        stop = _on_tick(price - sign * distance, instrument.tick_size, away=sign)
        target = _on_tick(
            price + sign * distance * self.config.reward, instrument.tick_size, away=-sign
        )
        if stop <= 0 or target <= 0:
            return None
        request = TradeRequest(
            symbol=signal.symbol,
            side=signal.side,
            entry=price,
            stop=stop,
            take_profit=target,
            confidence=signal.confidence,
        )
        state = acct.tracker.state
        assert state is not None
        if self.profile is None:
            lots, codes = self._baseline(acct, state, instrument, request, rates)
        else:
            lots, codes = self._aria(acct, state, instrument, request, known, at, rates)
        outcome.rejects.update(codes)
        if lots <= 0:
            return None
        outcome.trades += 1
        position = _Open(
            signal.symbol,
            signal.side,
            lots,
            price,
            stop,
            target,
            at,
            price,
            self._deadline(signal.symbol, at),
        )
        acct.positions.append(position)
        return position

    def _calendar_near(self, symbol: str, at: dt.datetime) -> Calendar | None:
        """The symbol's sessions from a day before ``at`` to four after, as the service gives
        them (the whole span would be hashed into every decision's inputs)."""
        full = self.calendars.get(symbol)
        if full is None:
            return None
        key = (symbol, at.date())
        if key not in self._near:
            start, end = at - _DAY_BEFORE, at + _DAYS_AFTER
            self._near[key] = Calendar(
                name=full.name,
                zone=full.zone,
                start=start,
                end=end,
                sessions=tuple(s for s in full.sessions if s.close > start and s.open < end),
            )
        return self._near[key]

    def _deadline(self, symbol: str, opened: dt.datetime) -> Deadline | None:
        time = self.time.get(symbol)
        return time.deadline(opened, self.intraday) if time is not None else None

    def _time_judged(self, acct: _Account, now: dt.datetime, rates: dict[str, Decimal]) -> bool:
        """True when a position was still open at its time-rule deadline, before ``now``: the
        account breached that rule there; the firm liquidates it at its last price."""
        late = [p for p in acct.positions if p.deadline is not None and p.deadline.at <= now]
        if not late:
            return False
        first = min(late, key=lambda p: p.deadline.at if p.deadline else now).deadline
        assert first is not None
        acct.time_breach = first.kind
        for position in list(acct.positions):
            self._close(acct, position, position.mark, first.at, rates)
        return True

    def _baseline(
        self,
        acct: _Account,
        state: AccountState,
        instrument: Instrument,
        request: TradeRequest,
        rates: dict[str, Decimal],
    ) -> tuple[Decimal, list[str]]:
        """A fixed fraction of equity at risk to the stop; no headroom, no limits."""
        assert request.stop is not None
        value = point_value(instrument, request.stop, acct.account.currency, rates)
        if value is None:
            return ZERO, [RejectCode.MISSING_CONVERSION_RATE.value]
        per_lot = abs(request.entry - request.stop) * value
        lots = min(
            floor_to_step(state.equity * self.config.baseline_risk / per_lot, instrument.lot_step),
            instrument.max_lot,
        )
        if lots < instrument.min_lot:
            return ZERO, [RejectCode.BELOW_MIN_LOT.value]
        return lots, []

    def _aria(
        self,
        acct: _Account,
        state: AccountState,
        instrument: Instrument,
        request: TradeRequest,
        known: Known,
        at: dt.datetime,
        rates: dict[str, Decimal],
    ) -> tuple[Decimal, list[str]]:
        assert self.profile is not None
        held = {p.symbol for p in acct.positions}
        inputs = DecisionInputs(
            now=at,
            profile=self.profile,
            rules=acct.rules,
            account=acct.account,
            state=state,
            peaks=acct.tracker.peaks,
            day=acct.tracker.day,
            cash=cash_input(acct.tracker.cash),
            trades=tuple(acct.trades[-200:]),
            instrument=instrument,
            instruments={s: self.instruments[s] for s in sorted(held)},
            market=MarketSnapshot(
                as_of=at,
                atr=known.atr,
                atr_percentile=known.percentile,
                daily_volatility=known.volatility,
                rates=rates,
            ),
            request=request,
            calendar=self._calendar_near(request.symbol, at),
            news=self.news,
            best_day_windows=(
                windows_of(acct.rules, acct.trades, at, acct.last_payout, acct.tracker.cash.payouts)
                if self.profile.limits.consistency_cap
                else ()
            ),
        )
        try:
            decision = decide(inputs)
        except SizingError:
            return ZERO, ["invalid_request"]
        return decision.lots, [c.value for c in decision.reject_codes]

    # States and judgements -----------------------------------------------------------------

    def _state(
        self,
        acct: _Account,
        marks: Mapping[str, Decimal],
        at: dt.datetime,
        rates: dict[str, Decimal],
    ) -> AccountState:
        """The account's state with its positions marked at ``marks`` (else where they were)."""
        positions = []
        equity = acct.balance
        for p in acct.positions:
            mark = p.mark = marks.get(p.symbol, p.mark)
            equity += (mark - p.entry) * p.side.sign * p.lots * self._value(p, mark, rates)
            positions.append(
                Position(
                    symbol=p.symbol,
                    side=p.side,
                    lots=p.lots,
                    entry=p.entry,
                    price=mark,
                    stop=p.stop,
                    take_profit=p.take_profit,
                    opened_at=p.opened,
                )
            )
        return AccountState(
            balance=acct.balance, equity=equity, as_of=at, positions=tuple(positions)
        )

    def _observe(self, acct: _Account, state: AccountState) -> None:
        acct.tracker = observe(acct.tracker, state)

    def _judge(
        self, acct: _Account, state: AccountState, at: dt.datetime, rates: dict[str, Decimal]
    ) -> bool:
        """Push ``state``; True when a breach ended the day for the account."""
        firm = verdict(acct.account.trading, acct.tracker, self.rules, state, at)
        acct.tracker = firm.tracker
        found = firm.judgement.breaches
        if not found:
            return False
        self._record(acct, found, state)
        for position in list(acct.positions):  # the firm liquidates at the breach
            self._close(acct, position, position.mark, at, rates)
        acct.account = acct.account.model_copy(update={"trading": firm.trading})
        return True

    def _record(self, acct: _Account, found: tuple[Breach, ...], state: AccountState) -> None:
        first = not (acct.breached_daily or acct.breached_max)
        for breach in found:
            if breach.type is BreachType.MAX_LOSS:
                acct.breached_max = True
            else:
                acct.breached_daily = True
        if first and acct.gap_loss > 0:
            # Caused only by gaps: without what they lost beyond the stops, no floor is touched.
            spared = AccountState(
                balance=state.balance + acct.gap_loss,
                equity=state.equity + acct.gap_loss,
                as_of=state.as_of,
                positions=state.positions,
            )
            if not judge(self.rules, acct.tracker, spared).breaches:
                acct.gap_breach = True

    def _check_target(self, acct: _Account, state: AccountState) -> None:
        """An account passes when every objective of its phase is met, as the firm counts them
        (:func:`firms.progress.objectives`): the target, trading days, consistency, in time."""
        if self.rules.target_amount() is None:
            return
        progress = objectives(
            self.rules,
            self.rules.start,
            state,
            acct.trades,
            acct.started,
            state.as_of,
            acct.tracker.cash.net,
            payouts=acct.tracker.cash.payouts,
            last_payout=acct.last_payout,
        )
        if progress.passed:
            acct.passed = True

    # Money ---------------------------------------------------------------------------------

    def _close(
        self,
        acct: _Account,
        position: _Open,
        price: Decimal,
        at: dt.datetime,
        rates: dict[str, Decimal],
    ) -> None:
        pnl = (price - position.entry) * position.side.sign * position.lots
        pnl *= self._value(position, price, rates)
        acct.balance += pnl
        acct.positions.remove(position)
        acct.trades.append(
            Trade(
                symbol=position.symbol,
                side=position.side,
                lots=position.lots,
                entry=position.entry,
                exit=price,
                pnl=pnl,
                opened_at=position.opened,
                closed_at=max(at, position.opened),
            )
        )

    def _value(self, position: _Open, price: Decimal, rates: dict[str, Decimal]) -> Decimal:
        value = point_value(self.instruments[position.symbol], price, "USD", rates)
        if value is None:
            raise InvalidRequest(f"no conversion rate to value {position.symbol}")
        return value

    def _rates(self, day: dt.date) -> dict[str, Decimal]:
        return self.rates.get(day, {})

    def _today(self, day: dt.date) -> dict[str, Bar]:
        return {s: bars[day] for s, bars in self.bars.items() if day in bars}

    @staticmethod
    def _capped(position: _Open, bar: Bar) -> Decimal:
        best = bar.high if position.side is Side.LONG else bar.low
        if position.take_profit is None:
            return best
        if (best - position.take_profit) * position.side.sign > 0:
            return position.take_profit
        return best


def _carried_rates(series: Mapping[str, Series]) -> dict[dt.date, dict[str, Decimal]]:
    """Each day's conversion rates: every currency pair's latest open on or before it."""
    pairs = {s: x.by_day() for s, x in series.items() if len(s) == 6 and s.isalpha()}
    days = sorted({day for bars in pairs.values() for day in bars})
    current: dict[str, Decimal] = {}
    found = {}
    for day in days:
        for pair, bars in pairs.items():
            if day in bars:
                current[pair] = bars[day].open
        found[day] = dict(current)
    return found


def _times() -> dict[str, dt.time]:
    return {"open": _OPEN, "extremes": _EXTREMES, "adverse": _ADVERSE, "close": _CLOSE}


def _on_tick(price: Decimal, tick: Decimal, away: int) -> Decimal:
    """``price`` on the instrument's tick grid, rounded away from the entry."""
    steps = (price / tick).to_integral_value(ROUND_FLOOR if away > 0 else ROUND_CEILING)
    exponent = tick.as_tuple().exponent
    if isinstance(exponent, str):  # a NaN or infinite tick ('n', 'N', 'F') has no grid
        raise TypeError(f"tick must be finite, got {tick}")
    return (steps * tick).quantize(tick) if exponent < 0 else steps * tick
