"""``decide``: the pure function at ARIA's heart (DESIGN section 5).

Stages, in order: gates (trading state, stale data, cross-account rules) → stop and
take-profit → base size by method → adjusters → personality → limits and headroom →
rounding down to the lot step. Invalid input raises; a trade that must not be placed comes
back as a rejected :class:`~aria.sizing.decision.Decision` with reason codes.
"""

from __future__ import annotations

from decimal import Decimal

from accounts.cash import NO_CASH
from accounts.money import ZERO, floor_to_step
from accounts.performance import performance
from aria.sizing import gates as gate_table
from aria.sizing.adjusters import AdjusterContext, adjust
from aria.sizing.decision import Decision, Factor, HeadroomView, LimitCheck, RejectCode
from aria.sizing.exposure import Held, conversion_stress, leverage_for, value_book
from aria.sizing.inputs import DecisionInputs, TradeRequest, _Memo, live
from aria.sizing.inputs import Reservation as Reserved
from aria.sizing.limits import AccountView, Bound, LimitContext, bounds
from aria.sizing.methods import base_size
from aria.sizing.news import news_warnings
from aria.sizing.profiles import Method, Profile
from aria.sizing.stops import Geometry, geometry, stop_floor
from firms.floors import floors
from firms.headroom import Headroom, OpenRisk, Reservation, headroom

_EIGHT = Decimal("1e-8")
# The version of the sizing rules: a recorded decision replays only under the rules that made
# it. 2: swing budgets for floors that follow equity (limits._swings). 3: stops on the tick
# grid with a minimum distance, losses converted at the stop price, floors that rise under
# open positions (limits.carried), what an account may trade, reduce-only holds.
ENGINE = 3
NO_TRADES = performance(())  # only Kelly sizes from the trades; the adjuster reads them itself
# A rule set's label, once per rule-set object (frozen; one object serves its accounts).
_RULEBOOKS: _Memo[str] = _Memo(lambda rules: rules.label, limit=1_000)


def headroom_of(inputs: DecisionInputs, held: list[Held]) -> Headroom:
    """The account's headroom given its valued open positions and live reservations."""
    rules, state = inputs.rules, inputs.state
    found = floors(rules, inputs.day, inputs.peaks, state, inputs.cash or NO_CASH)
    settings = inputs.profile.headroom
    buffer = rules.size * settings.buffer_pct + settings.buffer_amount
    return headroom(
        found,
        state.equity,
        open_risk=[OpenRisk(h.position.id or h.position.symbol, h.further_loss) for h in held],
        reservations=[
            Reservation(r.decision_id, r.amount, r.expires_at) for r in inputs.reservations
        ],
        now=inputs.now,
        buffer=buffer,
    )


def account_view(
    inputs: DecisionInputs,
    held: list[Held],
    room: Headroom,
    reservations: list[Reserved] | None = None,
) -> AccountView:
    """What the limits look at of the account, whatever the signal (``reservations``: the
    live ones, when the caller has them)."""
    state = inputs.state
    # Margin, leverage, exposure and risk shares are of capital: a balance that starts at 0
    # (a Topstep XFA) is the P&L on a capital of the account's size.
    offset = inputs.rules.capital_offset
    day_balance = inputs.day.balance if inputs.day is not None else state.balance
    return AccountView(
        rules=inputs.rules,
        profile=inputs.profile,
        equity=state.equity + offset,
        balance=state.balance + offset,
        day_balance=day_balance + offset,
        held=held,
        headroom=room,
        day=inputs.day,
        reservations=live(inputs.reservations, inputs.now)
        if reservations is None
        else reservations,
        now=inputs.now,
        cash=inputs.cash or NO_CASH,
        best_day_windows=inputs.best_day_windows,
        recent_closed_trades=inputs.recent_closed_trades,
        risk_violations=inputs.risk_violations,
    )


def _view(room: Headroom) -> HeadroomView:
    return HeadroomView(
        available=room.available,
        binding=room.binding,
        floors=room.floors.named(),
        open_risk=room.open_risk,
        reserved=room.reserved,
        buffer=room.buffer,
    )


class _Builder:
    """Collects the parts of a decision as the stages run."""

    def __init__(self, inputs: DecisionInputs) -> None:
        self.inputs = inputs
        self.hash = inputs.input_hash()
        self.geometry: Geometry | None = None
        self.method = inputs.profile.method.value
        self.base = ZERO
        self.target = ZERO
        self.factors: dict[str, Factor] = {}
        self.combined = Decimal(1)
        self.limits: list[LimitCheck] = []
        self.binding: str | None = None
        self.room: Headroom | None = None
        self.reasons: list[str] = []

    def decision(
        self, lots: Decimal, codes: list[RejectCode], leverage: Decimal | None = None
    ) -> Decision:
        inputs, g = self.inputs, self.geometry
        npl = g.notional_per_lot if g else ZERO
        lpl = g.loss_per_lot if g else ZERO
        notional = lots * npl
        return Decision(
            status="rejected" if codes else "approved",
            account_id=inputs.account.id,
            symbol=inputs.request.symbol,
            side=inputs.request.side.value,
            lots=lots,
            risk_amount=lots * lpl,
            swing_amount=lots * g.swing_per_lot if g and g.swing_per_lot is not None else None,
            engine=ENGINE,
            notional=notional,
            margin=notional / leverage if leverage else ZERO,
            currency=inputs.account.currency,
            entry=inputs.request.entry,
            stop=g.stop if g else inputs.request.stop,
            take_profit=g.take_profit if g else inputs.request.take_profit,
            method=self.method,
            base_lots=self.base.quantize(_EIGHT),
            target_lots=self.target.quantize(_EIGHT),
            target_notional=(self.target * npl).quantize(_EIGHT),
            target_risk=(self.target * lpl).quantize(_EIGHT),
            factors=self.factors,
            combined_factor=self.combined,
            personality=inputs.account.personality.multiplier,
            limits=self.limits,
            binding=self.binding,
            reject_codes=list(dict.fromkeys(codes)),
            reasons=self.reasons,
            headroom=_view(self.room) if self.room else None,
            input_hash=self.hash,
            profile=inputs.profile.name,
            rulebook=_RULEBOOKS.get(inputs.rules),
        )


def _reduce(inputs: DecisionInputs, build: _Builder) -> Decision:
    """Close what the position still has after the live reduce-only reservations on it.

    Exits are never blocked, but each reduce-only approval holds the lots it closes, so
    concurrent closes can never together close more than is open.
    """
    request, now = inputs.request, inputs.now
    closing_side = request.side.opposite
    position = sum(
        (
            p.lots
            for p in inputs.state.positions
            if p.symbol == request.symbol and p.side is closing_side
        ),
        ZERO,
    )
    pending = [
        r
        for r in live(inputs.reservations, now)
        if r.reduce_only and r.symbol == request.symbol and r.side is request.side
    ]
    held = sum((r.lots or ZERO for r in pending), ZERO)
    lots = max(position - held, ZERO)
    build.method = "reduce_only"
    build.base = build.target = lots
    what = f"{closing_side.value} {request.symbol}"
    if position == ZERO:
        build.reasons.append(f"no {what} position to reduce")
        return build.decision(ZERO, [RejectCode.NOTHING_TO_REDUCE])
    if lots == ZERO:
        build.reasons.append(
            f"the {position} lots of {what} are already being closed by earlier reduce-only"
            f" decisions ({', '.join(r.decision_id for r in pending)})"
        )
        return build.decision(ZERO, [RejectCode.NOTHING_TO_REDUCE])
    build.binding = "reduce_only"
    if held:
        build.reasons.append(
            f"{held} of the {position} lots of {what} are held by earlier reduce-only decisions"
        )
    build.reasons.append(f"reduces {lots} lots of {what}: exits are never blocked")
    return build.decision(lots, [])


def needs_atr(request: TradeRequest, profile: Profile) -> bool:
    """True when sizing this request under this profile needs the market's ATR."""
    if profile.method is Method.ATR_RISK:
        return True
    if request.stop is not None:
        return False
    return request.stop_atr_multiple is not None or (
        profile.stops.stop_pct is None and profile.stops.atr_stop_multiple is not None
    )


def decide(inputs: DecisionInputs) -> Decision:
    """Size ``inputs.request`` for the account: approved with lots, or rejected with codes."""
    build = _Builder(inputs)
    request, profile, state, instrument = (
        inputs.request,
        inputs.profile,
        inputs.state,
        inputs.instrument,
    )
    if request.reduce_only:
        return _reduce(inputs, build)

    codes: list[RejectCode] = []
    stopped = False
    for gate in gate_table.GATES:
        for code, reason in gate.check(inputs):
            codes.append(code)
            build.reasons.append(reason)
            stopped |= gate.final
    if stopped:
        return build.decision(ZERO, codes)  # nothing to size: e.g. the account cannot trade it
    build.reasons += news_warnings(inputs)
    if inputs.market.atr is None and inputs.market.unavailable and needs_atr(request, profile):
        build.reasons.append(
            f"sizing needs the ATR of {request.symbol}: {inputs.market.unavailable}"
        )
        return build.decision(ZERO, [*codes, RejectCode.STALE_DATA])
    build.geometry = g = geometry(
        request, inputs.market, profile, instrument, inputs.account.currency
    )
    if g is None:
        build.reasons.append(
            f"no conversion rate from {instrument.quote} to {inputs.account.currency}"
            " in the market data"
        )
        return build.decision(ZERO, [*codes, RejectCode.MISSING_CONVERSION_RATE])
    nearest = stop_floor(request, inputs.market, profile, instrument)
    if g.distance < nearest.distance:
        build.reasons.append(
            f"the stop {g.stop} is {g.distance} from the entry, nearer than {nearest.distance}"
            f" ({nearest.reason}): one tick of slippage on the size it gives could pass a floor"
        )
        return build.decision(ZERO, [*codes, RejectCode.STOP_TOO_CLOSE])

    held = value_book(
        state.positions,
        inputs.instruments,
        inputs.market.rates,
        inputs.account.currency,
        inputs.rules,
        profile,
    )
    build.reasons += [h.note for h in held if h.note]
    build.room = room = headroom_of(inputs, held)

    stats = performance(inputs.trades) if profile.method is Method.KELLY else NO_TRADES
    offset = inputs.rules.capital_offset
    capital = state.equity + offset
    base = base_size(profile, g, capital, stats, request.confidence, inputs.market.atr)
    build.base = base.lots
    build.reasons.append(f"base ({profile.method.value}): {base.reason}")
    if base.reject is not None:
        return build.decision(ZERO, [*codes, base.reject])

    reservations = live(inputs.reservations, inputs.now)
    context = AdjusterContext(
        profile=profile,
        market=inputs.market,
        symbol=request.symbol,
        side=request.side,
        equity=capital,
        balance=state.balance + offset,
        initial=inputs.rules.size,
        peak_equity=inputs.peaks.intraday_equity + offset,
        trades=inputs.trades,
        positions=state.positions,
        pending=len(reservations),
        open_risk=room.open_risk + room.reserved,
        loss_per_lot=g.loss_per_lot,
    )
    build.factors, build.combined = adjust(context, base.lots)
    personality = inputs.account.personality
    build.target = target = base.lots * build.combined * personality.multiplier
    if personality.multiplier != 1:
        build.reasons.append(
            f"personality ×{personality.multiplier}"
            f" ({personality.appetite.value}, {personality.source.value}):"
            " this account's own declared risk budget"
        )

    leverage = leverage_for(instrument, inputs.rules, profile)
    found: list[Bound] = bounds(
        LimitContext(
            account=account_view(inputs, held, room, reservations),
            instrument=instrument,
            request=request,
            geometry=g,
            leverage=leverage,
            stress=conversion_stress(instrument, inputs.account.currency, profile),
        )
    )
    build.limits = [b.check() for b in found]
    for bound in found:
        if bound.max_lots <= ZERO and bound.code is not None:
            codes.append(bound.code)
            build.reasons.append(f"{bound.name}: {bound.reason}")
    tightest = min(found, key=lambda b: b.max_lots)
    allowed = min(target, tightest.max_lots)
    if tightest.max_lots < target:
        build.binding = tightest.name
        build.reasons.append(f"clipped by {tightest.name}: {tightest.reason}")
    if codes:
        return build.decision(ZERO, codes)

    lots = min(floor_to_step(max(allowed, ZERO), instrument.lot_step), instrument.max_lot)
    if lots < instrument.min_lot:
        build.reasons.append(
            f"{allowed:.8f} lots rounds down to {lots}, below the minimum lot {instrument.min_lot}"
        )
        binding = [tightest.code] if build.binding and tightest.code else []
        return build.decision(ZERO, [RejectCode.BELOW_MIN_LOT, *binding])
    minimum = profile.limits.min_notional
    if minimum is not None and lots * g.notional_per_lot < minimum:
        build.reasons.append(
            f"notional {lots * g.notional_per_lot:.2f} is below the profile's minimum {minimum}"
        )
        return build.decision(ZERO, [RejectCode.BELOW_MIN_NOTIONAL])
    return build.decision(lots, [], leverage)
