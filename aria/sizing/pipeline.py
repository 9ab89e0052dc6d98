"""``decide``: the pure function at ARIA's heart (DESIGN section 5).

Stages, in order: gates (trading state, stale data, cross-account rules) → stop and
take-profit → base size by method → adjusters → personality → limits and headroom →
rounding down to the lot step. Invalid input raises; a trade that must not be placed comes
back as a rejected :class:`~aria.sizing.decision.Decision` with reason codes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.model import HaltKind, TradingStatus
from accounts.money import ZERO, floor_to_step
from accounts.performance import performance
from aria.sizing.adjusters import AdjusterContext, adjust
from aria.sizing.decision import Decision, Factor, HeadroomView, LimitCheck, RejectCode
from aria.sizing.exposure import Held, leverage_for, value_book
from aria.sizing.geometry import Geometry, geometry
from aria.sizing.inputs import DecisionInputs, OtherAccount
from aria.sizing.limits import Bound, LimitContext, bounds
from aria.sizing.methods import base_size
from aria.sizing.profiles import Method
from firms import cross_account
from firms.floors import floors
from firms.headroom import Headroom, OpenRisk, Reservation, headroom

_EIGHT = Decimal("1e-8")
NO_TRADES = performance(())  # only Kelly sizes from the trades; the adjuster reads them itself


def _account_ref(inputs: DecisionInputs) -> cross_account.AccountRef:
    account = inputs.account
    return cross_account.AccountRef(
        account_id=account.id,
        owner=account.owner,
        firm=account.firm,
        phase_kind=inputs.rules.phase.kind,
        size=account.initial_balance,
        currency=account.currency,
        rules=inputs.rules.cross_account,
        strategy=inputs.request.strategy or account.strategy,
    )


def _other_ref(inputs: DecisionInputs, other: OtherAccount) -> cross_account.AccountRef:
    return cross_account.AccountRef(
        account_id=other.id,
        owner=inputs.account.owner,
        firm=other.firm,
        phase_kind=other.phase_kind,
        size=other.size,
        currency=other.currency,
        rules=other.rules
        if other.rules is not None
        else (inputs.rules.cross_account if other.firm == inputs.account.firm else None),
        strategy=other.strategy,
    )


def _order(other: OtherAccount) -> int:
    return other.signal_order if other.signal_order is not None else -1


def _gates(inputs: DecisionInputs) -> list[tuple[RejectCode, str]]:
    """Rejections that do not depend on the size."""
    found: list[tuple[RejectCode, str]] = []
    now, profile, request = inputs.now, inputs.profile, inputs.request
    trading = inputs.account.trading.lifted(now)
    if trading.status is TradingStatus.HALTED:
        kind = trading.halt.value if trading.halt else "halted"
        until = (
            f" until {trading.until.isoformat()}"
            if trading.halt is HaltKind.DAILY and trading.until
            else ""
        )
        found.append(
            (
                RejectCode.HALTED,
                f"account is halted ({kind}){until}: {trading.reason or 'no reason given'}",
            )
        )
    elif trading.status is TradingStatus.REDUCING:
        found.append(
            (
                RejectCode.REDUCING_ONLY,
                f"account only reduces exposure: {trading.reason or 'no reason given'}",
            )
        )

    state_age = now - inputs.state.as_of
    if state_age > dt.timedelta(seconds=profile.data.max_state_age_seconds):
        found.append(
            (
                RejectCode.STALE_DATA,
                f"account state is {state_age} old (limit {profile.data.max_state_age_seconds} s)",
            )
        )
    if inputs.market.as_of is not None:
        market_age = now - inputs.market.as_of
        if market_age > dt.timedelta(seconds=profile.data.max_market_age_seconds):
            found.append(
                (
                    RejectCode.STALE_DATA,
                    f"market data is {market_age} old"
                    f" (limit {profile.data.max_market_age_seconds} s)",
                )
            )

    me = _account_ref(inputs)
    others = {other.id: _other_ref(inputs, other) for other in inputs.others}
    held = [
        cross_account.Exposure(others[o.id], p.symbol, p.side)
        for o in inputs.others
        for p in o.positions
    ]
    candidate = cross_account.Exposure(me, request.symbol, request.side)
    found += [
        (RejectCode.CROSS_ACCOUNT_HEDGE, f.detail)
        for f in cross_account.hedge_conflicts(candidate, held)
    ]

    rules = inputs.rules.cross_account
    if rules is not None and rules.hedging_within_account.value in ("forbidden", "unknown"):
        opposite = [
            p
            for p in inputs.state.positions
            if p.side is request.side.opposite
            and cross_account.same_instrument(p.symbol, request.symbol, rules)
        ]
        if opposite:
            found.append(
                (
                    RejectCode.HEDGING_WITHIN_ACCOUNT,
                    f"{inputs.account.firm} forbids opposite positions in one account;"
                    f" {opposite[0].symbol} is held {opposite[0].side.value}",
                )
            )

    # Fan-out siblings count in signal order; one without an order counts before this account.
    siblings = sorted((o for o in inputs.others if o.same_signal), key=lambda o: (_order(o), o.id))
    before = [others[o.id] for o in siblings if _order(o) < inputs.signal_order]
    after = [others[o.id] for o in siblings if _order(o) >= inputs.signal_order]
    for finding in cross_account.allocation_findings([*before, me, *after]):
        if finding.account_id == me.account_id:
            found.append((RejectCode.ALLOCATION_CAP, finding.detail))
    for source in before:
        if source.firm == me.firm:
            found += [
                (RejectCode.COPY_FORBIDDEN, f.detail)
                for f in cross_account.copy_findings(source, [me])
            ]
    return found


def _headroom(inputs: DecisionInputs, held: list[Held]) -> Headroom:
    rules, state = inputs.rules, inputs.state
    found = floors(rules, inputs.day, inputs.peaks, state)
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
            rulebook=inputs.rules.label,
        )


def _reduce(inputs: DecisionInputs, build: _Builder) -> Decision:
    request = inputs.request
    closing = [
        p
        for p in inputs.state.positions
        if p.symbol == request.symbol and p.side is request.side.opposite
    ]
    lots = sum((p.lots for p in closing), ZERO)
    build.method = "reduce_only"
    build.base = build.target = lots
    if lots == ZERO:
        build.reasons.append(
            f"no {request.side.opposite.value} {request.symbol} position to reduce"
        )
        return build.decision(ZERO, [RejectCode.NOTHING_TO_REDUCE])
    build.binding = "reduce_only"
    build.reasons.append(
        f"reduces {lots} lots of {request.side.opposite.value} {request.symbol}:"
        " exits are never blocked"
    )
    return build.decision(lots, [])


def _needs_atr(inputs: DecisionInputs) -> bool:
    request, profile = inputs.request, inputs.profile
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
    for code, reason in _gates(inputs):
        codes.append(code)
        build.reasons.append(reason)
    if inputs.market.atr is None and inputs.market.unavailable and _needs_atr(inputs):
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

    held = value_book(
        state.positions,
        inputs.instruments,
        inputs.market.rates,
        inputs.account.currency,
        inputs.rules,
        profile,
    )
    build.reasons += [h.note for h in held if h.note]
    build.room = room = _headroom(inputs, held)

    stats = performance(inputs.trades) if profile.method is Method.KELLY else NO_TRADES
    base = base_size(profile, g, state.equity, stats, request.confidence, inputs.market.atr)
    build.base = base.lots
    build.reasons.append(f"base ({profile.method.value}): {base.reason}")
    if base.reject is not None:
        return build.decision(ZERO, [*codes, base.reject])

    context = AdjusterContext(
        profile=profile,
        market=inputs.market,
        symbol=request.symbol,
        side=request.side,
        equity=state.equity,
        balance=state.balance,
        initial=inputs.rules.size,
        peak_equity=inputs.peaks.intraday_equity,
        trades=inputs.trades,
        positions=state.positions,
        pending=sum(
            1 for r in inputs.reservations if r.expires_at is None or inputs.now < r.expires_at
        ),
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
    day_balance = inputs.day.balance if inputs.day is not None else state.balance
    found: list[Bound] = bounds(
        LimitContext(
            rules=inputs.rules,
            profile=profile,
            instrument=instrument,
            request=request,
            geometry=g,
            equity=state.equity,
            balance=state.balance,
            day_balance=day_balance,
            held=held,
            headroom=room,
            leverage=leverage,
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
