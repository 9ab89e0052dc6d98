"""``decide_batch``: one signal sized for every account of a book at once, over columns.

The stages are the pipeline's, in its order (gates, stop and money per lot, base size,
adjusters, personality, limits and headroom, rounding down to the lot step), computed with
numpy in float64 over the book's exact amounts. The answer must be the scalar pipeline's to
the lot, so float64 is trusted only where it cannot change a decision. Every float here is
an exact decimal rounded once (relative error 1.1e-16) and then at most about ten products
and quotients of positive numbers — the subtractions that could cancel were done in
``Decimal`` when the book was prepared — so its relative error stays under 1e-14. Wherever
a value falls within a relative 1e-12 of a point where the decision turns (a lot-step
boundary, a tie between two limits, a limit equal to the target, the heat threshold, the
minimum notional), that account is decided again by :func:`~aria.sizing.pipeline.decide`
in ``Decimal``, as are accounts whose profile sizes by Kelly.
Ladder steps need no such care: the values compared with them are exact decimals (a
correlation, or a factor the book computed in ``Decimal``), and float64 orders them alike.
The property tests compare both paths on random fan-outs.

The batch answers numbers — status, lots, reject codes, the binding limit — not the
explanation; :func:`~aria.sizing.pipeline.decide` gives that for any single account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import numpy as np
import numpy.typing as npt

from accounts.money import ONE, ZERO
from aria.sizing.adjusters import volatility_factor
from aria.sizing.columns import HEADROOM_FLOORS, SUPPORTED_METHODS, Book, Cohort, Exposures, Floats
from aria.sizing.decision import RejectCode
from aria.sizing.exposure import conversion_stress
from aria.sizing.gates import instrument_refusal
from aria.sizing.stops import Geometry, geometry, stop_floor
from aria.sizing.inputs import MarketSnapshot, TradeRequest
from aria.sizing.instruments import Instrument
from aria.sizing.limits import CARRIED, HEADROOM_CODES
from aria.sizing.methods import base_size
from aria.sizing.pipeline import NO_TRADES, decide, needs_atr
from aria.sizing.profiles import Method, Profile, Step
from firms import cross_account

TOLERANCE = 1e-12  # a hundredfold the float64 error bound above
CAPPED = -1  # ``steps`` of an account whose lots are the instrument's maximum, off the grid
Mask = npt.NDArray[np.bool_]
Indices = npt.NDArray[np.intp]


@dataclass(frozen=True)
class BatchDecisions:
    """What a batch decided for each account of its book, in book order."""

    approved: Mask
    steps: npt.NDArray[np.int64]  # lots = steps × lot_step (CAPPED: the instrument's maximum)
    codes: tuple[tuple[RejectCode, ...], ...]
    binding: npt.NDArray[np.intp]  # index into ``names``; -1 when no limit binds
    names: tuple[str, ...]
    by_scalar: Mask  # decided again by the scalar pipeline
    lot_step: Decimal
    max_lot: Decimal
    exact: dict[int, Decimal]  # lots of the accounts the scalar pipeline decided

    def __len__(self) -> int:
        return len(self.approved)

    def lots(self, index: int) -> Decimal:
        """The lots approved for the account at ``index`` (0 when rejected)."""
        if index in self.exact:
            return self.exact[index]
        steps = int(self.steps[index])
        if steps == CAPPED:
            return self.max_lot
        return (self.lot_step * steps).quantize(self.lot_step) if steps else ZERO

    def binding_of(self, index: int) -> str | None:
        """The limit that clipped the account's size, if one did."""
        position = int(self.binding[index])
        return self.names[position] if position >= 0 else None

    def summary(self, index: int) -> tuple[str, Decimal, tuple[RejectCode, ...], str | None]:
        """(status, lots, reject codes, binding limit) of one account."""
        status = "approved" if self.approved[index] else "rejected"
        return status, self.lots(index), self.codes[index], self.binding_of(index)


def decide_batch(
    book: Book, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> BatchDecisions:
    """Size ``request`` for every account of ``book``; raises like ``decide`` on bad input."""
    if request.strategy != book.strategy:
        raise ValueError("the book was prepared for another strategy label")
    if market.rates != book.rates:
        raise ValueError("the book was valued at other conversion rates")
    if instrument.symbol != request.symbol:
        raise ValueError(f"the instrument is {instrument.symbol}, the request {request.symbol}")
    run = _Run(book, request, instrument, market)
    for cohort in book.cohorts:
        run.cohort(cohort)
    return run.finish()


@dataclass(frozen=True)
class _Limits:
    """The limits of a cohort as a matrix (accounts × limits; +inf where one does not apply)."""

    values: Floats
    names: list[int]  # name index per column; the headroom column's is per account
    codes: list[RejectCode | None]  # per column; the headroom column's is per account
    headroom: int  # the headroom column


class _Run:
    """One signal over one book: per-account results, filled cohort by cohort."""

    def __init__(
        self, book: Book, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
    ) -> None:
        self.book, self.request, self.instrument, self.market = book, request, instrument, market
        n = book.size
        self.approved = np.zeros(n, dtype=np.bool_)
        self.steps = np.zeros(n, dtype=np.int64)
        self.codes: list[tuple[RejectCode, ...]] = [()] * n
        self.binding = np.full(n, -1, dtype=np.intp)
        self.names: list[str] = [f"{floor}_headroom" for floor in HEADROOM_FLOORS]
        self.scalar = book.scalar_only.copy()
        # What an account may trade depends on the signal's instrument, so this gate is taken
        # here rather than in the book; a refused account is sized no further (as ``decide``).
        self.refused = np.array(
            [instrument_refusal(i.rules, i.account, instrument) is not None for i in book.inputs],
            dtype=np.bool_,
        )
        if request.reduce_only:
            self.scalar[:] = True
        if instrument.kind == "future":
            self.scalar |= book.has_contract_cap  # contract caps stay with the scalar pipeline
        side = request.side.sign
        self.hedge = _opposed(book.hedged, n, request.symbol, side)
        self.within = _opposed(book.within, n, request.symbol, side)
        held = book.held
        symbol = held.symbols.index(request.symbol) if request.symbol in held.symbols else -1
        self.on_symbol = np.bincount(held.account[held.symbol == symbol], minlength=n)
        self.step = instrument.lot_step
        ratio = instrument.max_lot / self.step
        self.max_steps = int(ratio) if ratio == ratio.to_integral_value() else None
        self.min_steps = int((instrument.min_lot / self.step).to_integral_value(ROUND_CEILING))

    def name(self, name: str) -> int:
        if name not in self.names:
            self.names.append(name)
        return self.names.index(name)

    def cohort(self, cohort: Cohort) -> None:
        book, request, market, profile = self.book, self.request, self.market, cohort.profile
        m = cohort.members
        if profile.method not in SUPPORTED_METHODS or request.reduce_only:
            return  # every member is decided by the scalar pipeline
        stale = _market_stale(book.now, market, profile)
        gated = book.gated[m] | self.refused[m] | self.hedge[m] | self.within[m] | stale
        if market.atr is None and market.unavailable and needs_atr(request, profile):
            self._reject(m, np.ones(len(m), dtype=np.bool_), stale, [RejectCode.STALE_DATA])
            return
        g = geometry(request, market, profile, self.instrument, cohort.currency)
        if g is None:
            self._reject(
                m, np.ones(len(m), dtype=np.bool_), stale, [RejectCode.MISSING_CONVERSION_RATE]
            )
            return
        if g.distance < stop_floor(request, market, profile, self.instrument).distance:
            self._reject(m, np.ones(len(m), dtype=np.bool_), stale, [RejectCode.STOP_TOO_CLOSE])
            return
        npl, lpl = float(g.notional_per_lot), float(g.loss_per_lot)
        base = self._base(profile, g, m)
        combined, uncertain = self._factors(profile, m, base, lpl)
        target = base * combined * book.personality[m]
        limits = self._limits(profile, m, npl, lpl, cohort.currency)
        values = limits.values
        order = np.argmin(values, axis=1)
        tight = values[np.arange(len(m)), order]
        if values.shape[1] > 1:
            second = np.partition(values, 1, axis=1)[:, 1]
            uncertain |= _near(tight, second) & ~((tight == 0) & (second == 0))
        binds = tight < target
        uncertain |= _near(tight, target) & ~((tight == 0) & (target == 0))
        names = np.array(limits.names, dtype=np.intp)[order]
        names = np.where(order == limits.headroom, book.headroom_floor[m], names)
        coded = [j for j, code in enumerate(limits.codes) if code is not None]
        hit = values[:, coded] <= 0
        rejected = gated | hit.any(axis=1)

        allowed = np.minimum(target, tight)
        units = np.where(allowed > 0, allowed, 0.0) / float(self.step)
        whole = np.floor(units)
        slack = TOLERANCE * np.maximum(units, 1.0)
        uncertain |= (
            ~rejected & (units > 0) & ((units - whole <= slack) | (whole + 1 - units <= slack))
        )
        steps = whole.astype(np.int64)
        capped = np.zeros(len(m), dtype=np.bool_)
        if self.max_steps is not None:
            steps = np.minimum(steps, self.max_steps)
        else:
            capped = steps * float(self.step) > float(self.instrument.max_lot)
        small = np.where(
            capped, self.instrument.max_lot < self.instrument.min_lot, steps < self.min_steps
        )
        minimum = profile.limits.min_notional
        poor = np.zeros(len(m), dtype=np.bool_)
        if minimum is not None:
            lots = np.where(capped, float(self.instrument.max_lot), steps * float(self.step))
            notional = lots * npl
            uncertain |= ~rejected & ~small & _near(notional, np.full(len(m), float(minimum)))
            poor = notional < float(minimum)

        settled = ~uncertain & ~self.scalar[m]
        self.scalar[m[uncertain]] = True
        self.binding[m[settled]] = np.where(binds & ~self.refused[m], names, -1)[settled]
        ok = settled & ~rejected & ~small & ~poor
        self.approved[m[ok]] = True
        self.steps[m[ok]] = np.where(capped, CAPPED, steps)[ok]
        self._reject(m, settled & rejected, stale, [], limits, hit, coded)
        for position in np.flatnonzero(settled & ~rejected & small):
            column = int(order[position])
            code = limits.codes[column]
            if column == limits.headroom:
                code = HEADROOM_CODES[HEADROOM_FLOORS[book.headroom_floor[m[position]]]]
            self.codes[m[position]] = (
                (RejectCode.BELOW_MIN_LOT, code)
                if binds[position] and code is not None
                else (RejectCode.BELOW_MIN_LOT,)
            )
        for position in np.flatnonzero(settled & ~rejected & ~small & poor):
            self.codes[m[position]] = (RejectCode.BELOW_MIN_NOTIONAL,)

    def _reject(
        self,
        m: Indices,
        which: Mask,
        stale: bool,
        tail: list[RejectCode],
        limits: _Limits | None = None,
        hit: Mask | None = None,
        coded: list[int] | None = None,
    ) -> None:
        """Codes for rejected accounts: the gates in the pipeline's order, then ``tail`` or the
        limits that leave no room, in their order."""
        book = self.book
        for position in np.flatnonzero(which & ~self.scalar[m]):
            index = int(m[position])
            refused = bool(self.refused[index])
            codes = [RejectCode.INSTRUMENT_NOT_ALLOWED] if refused else []
            codes += book.early_codes[index]
            if stale:
                codes.append(RejectCode.STALE_DATA)
            if self.hedge[index]:
                codes.append(RejectCode.CROSS_ACCOUNT_HEDGE)
            if self.within[index]:
                codes.append(RejectCode.HEDGING_WITHIN_ACCOUNT)
            codes += book.fanout_codes[index]
            if refused:  # sized no further: no stage after the gates has a say
                self.codes[index] = tuple(dict.fromkeys(codes))
                continue
            codes += tail
            if limits is not None and hit is not None and coded is not None:
                for column, zero in zip(coded, hit[position], strict=True):
                    if not zero:
                        continue
                    code = limits.codes[column]
                    if column == limits.headroom:
                        code = HEADROOM_CODES[HEADROOM_FLOORS[book.headroom_floor[index]]]
                    assert code is not None
                    codes.append(code)
            self.codes[index] = tuple(dict.fromkeys(codes))

    def _base(self, profile: Profile, g: Geometry, m: Indices) -> Floats:
        """``methods.base_size``: every method the columns carry is linear in equity but one."""
        per_unit = base_size(
            profile, g, ONE, NO_TRADES, self.request.confidence, self.market.atr
        ).lots
        if profile.method is Method.FIXED_USD:
            return np.full(len(m), float(per_unit))
        return self.book.equity[m] * float(per_unit)

    def _factors(
        self, profile: Profile, m: Indices, base: Floats, lpl: float
    ) -> tuple[Floats, Mask]:
        adjusters = profile.adjusters
        product = adjusters.combine != "most_restrictive"
        uncertain = np.zeros(len(m), dtype=np.bool_)
        present: list[Floats] = []
        if adjusters.volatility.enabled:
            value = float(volatility_factor(profile, self.market).value)
            present.append(np.full(len(m), value))
        present.append(self.book.pre_factor[m])  # NaN where none of its three is enabled
        if adjusters.correlation.enabled:
            present.append(self._correlation(profile, m))
        before = _combine(present, product, len(m))
        if not adjusters.heat.enabled:
            return before, uncertain
        rule = adjusters.heat
        balance = self.book.balance[m]
        positive = balance > 0
        risk = self.book.open_used[m] + base * before * lpl
        heat = np.where(positive, risk / np.where(positive, balance, 1.0), 1.0)
        threshold = np.full(len(m), float(rule.threshold))
        uncertain |= _near(heat, threshold)
        present.append(np.where(heat > threshold, float(rule.factor), 1.0))
        return _combine(present, product, len(m)), uncertain

    def _correlation(self, profile: Profile, m: Indices) -> Floats:
        rule = profile.adjusters.correlation
        held, request, correlations = self.book.held, self.request, self.market.correlations
        values = np.array(
            [
                1.0
                if symbol == request.symbol
                else float(correlations[symbol])
                if symbol in correlations
                else np.nan
                for symbol in held.symbols
            ],
            dtype=np.float64,
        )
        corr = values[held.symbol] if len(held.symbol) else np.zeros(0)
        if rule.mode == "directional":
            # A hedge (other side, positive correlation) does not reinforce; see adjusters.
            effective = corr * request.side.sign * held.sign
        else:
            effective = np.abs(corr)
        known = ~np.isnan(effective)
        strongest = np.full(self.book.size, -np.inf)
        np.maximum.at(strongest, held.account[known], effective[known])
        mine = strongest[m]
        factor = _ladder(rule.ladder, np.maximum(mine, 0.0))
        return np.where(np.isfinite(mine), factor, 1.0)

    def _limits(
        self, profile: Profile, m: Indices, npl: float, lpl: float, currency: str
    ) -> _Limits:
        """Every limit, in ``limits.bounds``'s order, as the most lots it allows."""
        book, instrument, size = self.book, self.instrument, len(m)
        columns: list[Floats] = []
        names: list[int] = []
        codes: list[RejectCode | None] = []

        def add(name: str, values: Floats, code: RejectCode | None = None) -> None:
            columns.append(values)
            names.append(self.name(name))
            codes.append(code)

        def room(values: Floats, per_lot: float = 1.0) -> Floats:
            return np.where(np.isnan(values), np.inf, values) / per_lot

        def full(flags: Mask) -> Floats:
            return np.where(flags, 0.0, np.inf)

        add("instrument_max_lot", np.full(size, float(instrument.max_lot)))
        per_order = book.per_order.get(instrument.asset_class)
        if per_order is not None:
            add("max_lots_per_order", room(per_order[m]))
        if instrument.kind != "future":
            add("max_total_lots", room(book.lot_room[m]), RejectCode.MAX_TOTAL_LOTS)
        caps = book.symbol_cap[m]
        crowded = ~np.isnan(caps) & (self.on_symbol[m] >= np.where(np.isnan(caps), 0, caps))
        add("max_positions_per_symbol", full(crowded), RejectCode.MAX_POSITIONS_PER_SYMBOL)
        add("max_open_positions", full(book.firm_positions_full[m]), RejectCode.MAX_OPEN_POSITIONS)
        add("max_exposure", room(book.exposure_room[m], npl), RejectCode.MAX_EXPOSURE)
        add("max_risk_per_trade", room(book.risk_cap[m], lpl))
        add("max_open_risk", room(book.firm_open_room[m], lpl), RejectCode.MAX_OPEN_RISK)
        own = profile.limits
        if own.max_lots is not None:
            add("profile_max_lots", np.full(size, float(own.max_lots)))
        if own.max_notional is not None:
            add("max_notional", np.full(size, float(own.max_notional) / npl))
        add(
            "max_open_positions",
            full(book.profile_positions_full[m]),
            RejectCode.MAX_OPEN_POSITIONS,
        )
        add("max_leverage", room(book.leverage_room[m], npl), RejectCode.MAX_EXPOSURE)
        add("max_open_risk", room(book.profile_open_room[m], lpl), RejectCode.MAX_OPEN_RISK)
        add("margin", book.margin_free[m] / (npl / self._leverage(profile, m)), RejectCode.MARGIN)
        stress = float(conversion_stress(self.instrument, currency, profile))
        columns.append(book.headroom[m] / (lpl * stress) if stress != 1 else book.headroom[m] / lpl)
        names.append(-1)  # per account: the floor that binds
        codes.append(RejectCode.DAILY_LOSS_HEADROOM)  # per account, see HEADROOM_CODES
        headroom = len(columns) - 1
        for name, floor in CARRIED.items():
            add(name, room(book.carried[name][m], lpl * stress), HEADROOM_CODES[floor])
        return _Limits(np.column_stack(columns), names, codes, headroom)

    def _leverage(self, profile: Profile, m: Indices) -> Floats:
        """``exposure.leverage_for``: the firm's, else the profile's, else the spec's."""
        instrument = self.instrument
        fallback = (
            float(profile.limits.max_leverage)
            if profile.limits.max_leverage is not None
            else float(1 / instrument.margin_rate)
        )
        firm = self.book.firm_leverage.get(instrument.asset_class)
        if firm is None:
            return np.full(len(m), fallback)
        return np.where(np.isnan(firm[m]), fallback, firm[m])

    def finish(self) -> BatchDecisions:
        exact: dict[int, Decimal] = {}
        signal = {"request": self.request, "instrument": self.instrument, "market": self.market}
        for index in np.flatnonzero(self.scalar):
            decision = decide(self.book.inputs[int(index)].model_copy(update=signal))
            self.approved[index] = decision.approved
            self.codes[index] = tuple(decision.reject_codes)
            self.binding[index] = -1 if decision.binding is None else self.name(decision.binding)
            exact[int(index)] = decision.lots
        return BatchDecisions(
            approved=self.approved,
            steps=self.steps,
            codes=tuple(self.codes),
            binding=self.binding,
            names=tuple(self.names),
            by_scalar=self.scalar,
            lot_step=self.step,
            max_lot=self.instrument.max_lot,
            exact=exact,
        )


def _opposed(exposures: Exposures, n: int, symbol: str, side: int) -> Mask:
    """Accounts with an exposure on the other side of ``symbol`` (by their firm's groups)."""
    found = np.zeros(n, dtype=np.bool_)
    if not len(exposures.account):
        return found
    same = np.array(
        [
            [cross_account.same_instrument(held, symbol, rules) for held in exposures.symbols]
            for rules in exposures.rules
        ],
        dtype=np.bool_,
    )
    match = same[exposures.rule, exposures.symbol] & (exposures.sign == -side)
    found[exposures.account[match]] = True
    return found


def _market_stale(now: dt.datetime, market: MarketSnapshot, profile: Profile) -> bool:
    limit = dt.timedelta(seconds=profile.data.max_market_age_seconds)
    return market.as_of is not None and now - market.as_of > limit


def _combine(values: list[Floats], product: bool, size: int) -> Floats:
    """``adjusters.combine`` over columns; NaN marks a factor an account does not have."""
    if product:
        result = np.ones(size)
        for value in values:
            result = result * np.where(np.isnan(value), 1.0, value)
        return result
    result = np.full(size, np.inf)
    for value in values:
        result = np.minimum(result, np.where(np.isnan(value), np.inf, value))
    return np.where(np.isinf(result), 1.0, result)


def _ladder(ladder: Sequence[Step], values: Floats) -> Floats:
    """``profiles.ladder_factor`` over a column."""
    levels = np.array([float(step.at_least) for step in ladder])
    factors = np.array([float(step.factor) for step in ladder])
    chosen = np.searchsorted(levels, values, side="right") - 1
    return factors[np.clip(chosen, 0, None)]


def _near(a: Floats, b: Floats) -> Mask:
    """Where ``a`` and ``b`` are too close for float64 to say which is larger."""
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(a), np.abs(b))
        return np.isfinite(scale) & (np.abs(a - b) <= TOLERANCE * scale)
