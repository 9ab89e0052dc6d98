"""``decide_batch``: one signal sized for every account of a fan-out at once, over columns.

The stages are the pipeline's, in its order (gates, stop and money per lot, base size,
adjusters, personality, limits and headroom, rounding down to the lot step), computed with
numpy in float64 over the fan-out's exact amounts. The answer must be the scalar pipeline's to
the lot, so float64 is trusted only where it cannot change a decision. Every float here is
an exact decimal rounded once (relative error 1.1e-16) and then at most about ten products
and quotients of positive numbers — the subtractions that could cancel were done in
``Decimal`` when the fan-out was prepared — so its relative error stays under 1e-14. Wherever
a value falls within a relative 1e-12 of a point where the decision turns (a lot-step
boundary, a tie between two limits, a limit equal to the target, the heat threshold, the
minimum notional), that account is decided again by :func:`~aria.sizing.pipeline.decide`
in ``Decimal``, as are accounts whose profile sizes by Kelly.
Ladder steps need no such care: the values compared with them are exact decimals (a
correlation, or a factor computed in ``Decimal`` when the fan-out was prepared), and
float64 orders them alike.
The gates, adjusters and limits are iterated from their tables (``GATES``, ``ADJUSTERS``,
``LIMITS``), each rule's fan-out form beside its scalar one; an account that a scalar-only
rule applies to is decided by the pipeline. The property tests compare both paths on random
fan-outs.

The batch answers numbers — status, lots, reject codes, the binding limit — not the
explanation; :func:`~aria.sizing.pipeline.decide` gives that for any single account.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import cached_property

import numpy as np
import numpy.typing as npt

from accounts.money import ONE, ZERO

# The rule tables are read when used, not bound at import: they are the one place a rule
# is added, for this engine and the pipeline alike.
from aria.sizing import adjusters as adjuster_table
from aria.sizing import gates as gate_table
from aria.sizing import limits as limit_table
from aria.sizing.columns import SUPPORTED_METHODS, Cohort, FanOut
from aria.sizing.decision import RejectCode
from aria.sizing.exposure import conversion_stress
from aria.sizing.floats import TOLERANCE, combine_columns, near
from aria.sizing.inputs import MarketSnapshot, TradeRequest
from aria.sizing.instruments import Instrument
from aria.sizing.limits.base import Column, Floats, Signal
from aria.sizing.methods import base_size
from aria.sizing.pipeline import NO_TRADES, decide, needs_atr
from aria.sizing.profiles import Method, Profile
from aria.sizing.stops import Geometry, geometry, stop_floor

__all__ = ["CAPPED", "TOLERANCE", "BatchDecisions", "decide_batch"]
CAPPED = -1  # ``steps`` of an account whose lots are the instrument's maximum, off the grid
Mask = npt.NDArray[np.bool_]
Indices = npt.NDArray[np.intp]


@dataclass(frozen=True)
class BatchDecisions:
    """What a batch decided for each account of its fan-out, in the fan-out's order."""

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
    fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
) -> BatchDecisions:
    """Size ``request`` for every account of ``fan``; raises like ``decide`` on bad input."""
    if request.strategy != fan.strategy:
        raise ValueError("the fan-out was prepared for another strategy label")
    if market.rates != fan.rates:
        raise ValueError("the fan-out was valued at other conversion rates")
    if instrument.symbol != request.symbol:
        raise ValueError(f"the instrument is {instrument.symbol}, the request {request.symbol}")
    run = _Run(fan, request, instrument, market)
    for cohort in fan.cohorts:
        run.cohort(cohort)
    return run.finish()


@dataclass(frozen=True)
class _Limits:
    """The limits of a cohort as a matrix (accounts × columns; +inf where one does not apply)."""

    values: Floats
    names: npt.NDArray[np.intp]  # accounts × columns: the index of each bound's name
    columns: list[Column]

    @cached_property  # read for every rejected account
    def coded(self) -> list[int]:
        """The columns that reject at zero room."""
        return [j for j, c in enumerate(self.columns) if any(x is not None for x in c.codes)]

    def code(self, column: int, row: int) -> RejectCode | None:
        """The code of a column for one member of the cohort."""
        chosen = self.columns[column]
        return chosen.codes[int(chosen.pick[row]) if chosen.pick is not None else 0]


class _Run:
    """One signal over one fan-out: per-account results, filled cohort by cohort."""

    def __init__(
        self, fan: FanOut, request: TradeRequest, instrument: Instrument, market: MarketSnapshot
    ) -> None:
        self.fan, self.request, self.instrument, self.market = fan, request, instrument, market
        n = fan.size
        self.approved = np.zeros(n, dtype=np.bool_)
        self.steps = np.zeros(n, dtype=np.int64)
        self.codes: list[tuple[RejectCode, ...]] = [()] * n
        self.binding = np.full(n, -1, dtype=np.intp)
        self.names: list[str] = []
        self.scalar = fan.scalar_only.copy()
        # The gates that look at the signal, over every account at once; an account a final
        # gate stops (an instrument it may not trade) is sized no further, as in ``decide``.
        self.fired = {
            gate.name: gate.over_signal(fan, request, instrument, market)
            for gate in gate_table.GATES
            if gate.over_signal is not None
        }
        self.stopped = np.zeros(n, dtype=np.bool_)
        self.gated = fan.gated.copy()
        for gate in gate_table.GATES:
            if gate.over_signal is not None:
                self.gated |= self.fired[gate.name]
                if gate.final:
                    self.stopped |= self.fired[gate.name]
        if request.reduce_only:
            self.scalar[:] = True
        for limit in limit_table.LIMITS:  # scalar-only limits hand the accounts they apply to over
            if not limit.vectorised:
                fallback = limit.fallback(fan.table, instrument)
                if fallback is not None:
                    self.scalar |= fallback
        held = fan.held
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
        fan, request, market, profile = self.fan, self.request, self.market, cohort.profile
        m = cohort.members
        if profile.method not in SUPPORTED_METHODS or request.reduce_only:
            return  # every member is decided by the scalar pipeline
        gated = self.gated[m]
        everyone = np.ones(len(m), dtype=np.bool_)
        if market.atr is None and market.unavailable and needs_atr(request, profile):
            self._reject(m, everyone, [RejectCode.STALE_DATA])
            return
        g = geometry(request, market, profile, self.instrument, cohort.currency)
        if g is None:
            self._reject(m, everyone, [RejectCode.MISSING_CONVERSION_RATE])
            return
        if g.distance < stop_floor(request, market, profile, self.instrument).distance:
            self._reject(m, everyone, [RejectCode.STOP_TOO_CLOSE])
            return
        signal = Signal(
            request=request,
            instrument=self.instrument,
            market=market,
            profile=profile,
            notional_per_lot=float(g.notional_per_lot),
            loss_per_lot=float(g.loss_per_lot),
            stress=float(conversion_stress(self.instrument, cohort.currency, profile)),
            on_symbol=self.on_symbol,
            swing_per_lot=None if g.swing_per_lot is None else float(g.swing_per_lot),
        )
        npl = signal.notional_per_lot
        base = self._base(profile, g, m)
        combined, uncertain = self._factors(profile, m, base, signal)
        target = base * combined * fan.personality[m]
        limits = self._limits(m, signal)
        values = limits.values
        order = np.argmin(values, axis=1)
        rows = np.arange(len(m))
        tight = values[rows, order]
        if values.shape[1] > 1:
            smallest_two = np.partition(values, 1, axis=1)
            second = smallest_two[:, 1]
            uncertain |= near(tight, second) & ~((tight == 0) & (second == 0))
        binds = tight < target
        uncertain |= near(tight, target) & ~((tight == 0) & (target == 0))
        names = limits.names[rows, order]
        coded = limits.coded
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
            uncertain |= ~rejected & ~small & near(notional, np.full(len(m), float(minimum)))
            poor = notional < float(minimum)

        settled = ~uncertain & ~self.scalar[m]
        self.scalar[m[uncertain]] = True
        self.binding[m[settled]] = np.where(binds & ~self.stopped[m], names, -1)[settled]
        ok = settled & ~rejected & ~small & ~poor
        self.approved[m[ok]] = True
        self.steps[m[ok]] = np.where(capped, CAPPED, steps)[ok]
        self._reject(m, settled & rejected, [], limits, hit)
        for position in np.flatnonzero(settled & ~rejected & small):
            code = limits.code(int(order[position]), int(position))
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
        tail: list[RejectCode],
        limits: _Limits | None = None,
        hit: Mask | None = None,
    ) -> None:
        """Codes for rejected accounts: the gates in ``GATES``' order, then ``tail`` or the
        limits that leave no room, in ``LIMITS``' order."""
        fan = self.fan
        chosen = np.flatnonzero(which & ~self.scalar[m])
        if not len(chosen):
            return
        # Read as Python values once: indexing numpy arrays one account at a time costs more.
        fired = {name: found.tolist() for name, found in self.fired.items()}
        zeros = hit[chosen].tolist() if limits is not None and hit is not None else None
        coded = limits.coded if limits is not None else []
        accounts = zip(chosen.tolist(), m[chosen].tolist(), strict=True)
        for row, (position, index) in enumerate(accounts):
            codes: list[RejectCode] = []
            stopped = False
            for gate in gate_table.GATES:
                if gate.over_signal is None:
                    codes += fan.gate_codes[gate.name][index]
                elif fired[gate.name][index]:
                    codes.append(gate.codes[0])
                    stopped |= gate.final
            if stopped:  # sized no further: no stage after the gates has a say
                self.codes[index] = tuple(dict.fromkeys(codes))
                continue
            codes += tail
            if limits is not None and zeros is not None:
                for column, zero in zip(coded, zeros[row], strict=True):
                    if zero:
                        code = limits.code(column, position)
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
        return self.fan.equity[m] * float(per_unit)

    def _factors(
        self, profile: Profile, m: Indices, base: Floats, signal: Signal
    ) -> tuple[Floats, Mask]:
        """``adjusters.adjust`` over a cohort, adjuster by adjuster in ``ADJUSTERS``' order."""
        product = profile.adjusters.combine != "most_restrictive"
        uncertain = np.zeros(len(m), dtype=np.bool_)
        present: list[Floats] = []
        prepared = False
        for adjuster in adjuster_table.ADJUSTERS:
            if not adjuster.enabled(profile):
                continue
            if adjuster.prepared:  # combined exactly when the fan-out was prepared
                if not prepared:
                    present.append(self.fan.pre_factor[m])
                    prepared = True
                continue
            lots = base * combine_columns(present, product, len(m)) if adjuster.on_size else base
            values, unsure = adjuster.over_signal(self.fan, m, signal, lots)
            present.append(values)
            uncertain |= unsure
        return combine_columns(present, product, len(m)), uncertain

    def _limits(self, m: Indices, signal: Signal) -> _Limits:
        """Every vectorised limit, in ``LIMITS``' order, as the most lots it allows."""
        columns = [
            column
            for limit in limit_table.LIMITS
            if limit.vectorised
            for column in limit.columns(self.fan.table, m, signal)
        ]
        names = []
        for column in columns:
            choices = np.array([self.name(name) for name in column.names], dtype=np.intp)
            names.append(
                choices[column.pick] if column.pick is not None else np.full(len(m), choices[0])
            )
        values = np.column_stack([column.values for column in columns])
        return _Limits(values, np.column_stack(names), columns)

    def finish(self) -> BatchDecisions:
        exact: dict[int, Decimal] = {}
        signal = {"request": self.request, "instrument": self.instrument, "market": self.market}
        for index in np.flatnonzero(self.scalar):
            decision = decide(self.fan.inputs[int(index)].model_copy(update=signal))
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
