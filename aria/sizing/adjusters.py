"""Stage 3 of the pipeline: factors that shrink (or grow) the base size, each with its reason.

Factors combine by ``product`` or ``most_restrictive`` (the smallest wins), as the profile
says. Heat is measured last, on the size the other factors leave, because heat depends on
the size itself (seed 001 does the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np

from accounts.model import Position, Side, Trade
from accounts.money import HUNDRED, ONE, ZERO
from accounts.performance import performance
from aria.sizing.decision import Factor
from aria.sizing.floats import ladder_column, near
from aria.sizing.inputs import DecisionInputs, MarketSnapshot, _Memo, live
from aria.sizing.limits.base import Floats, Indices, Mask, Signal
from aria.sizing.profiles import Profile, ladder_factor

if TYPE_CHECKING:  # the fan-out's columns are prepared with these adjusters
    from aria.sizing.columns import FanOut


@dataclass(frozen=True, slots=True)
class AdjusterContext:
    """What the adjusters look at."""

    profile: Profile
    market: MarketSnapshot
    symbol: str
    side: Side
    equity: Decimal
    balance: Decimal
    initial: Decimal
    peak_equity: Decimal
    trades: Sequence[Trade]
    positions: Sequence[Position]
    pending: int  # approved decisions not yet seen as positions
    open_risk: Decimal  # further loss of open positions and reservations
    loss_per_lot: Decimal


def volatility_factor(profile: Profile, market: MarketSnapshot) -> Factor:
    """Shrink in volatile regimes: a ladder over the ATR percentile or daily volatility."""
    rule = profile.adjusters.volatility
    if rule.source == "percentile":
        value, what = market.atr_percentile, "ATR percentile"
        shown = f"{value}" if value is not None else ""
    else:
        value, what = market.daily_volatility, "daily volatility"
        shown = f"{value:.2%}" if value is not None else ""
    if value is None:
        return Factor(value=ONE, reason=f"no {what} known: no volatility adjustment")
    step = ladder_factor(rule.ladder, value)
    return Factor(
        value=step.factor, reason=f"{what} {shown} (at least {step.at_least}) → ×{step.factor}"
    )


def drawdown_factor(
    profile: Profile, equity: Decimal, initial: Decimal, peak_equity: Decimal
) -> Factor:
    """Shrink in drawdown: a ladder over the percentage below peak equity (or initial)."""
    rule = profile.adjusters.drawdown
    if rule.measure == "initial":
        peak, label = initial, "initial balance"
    else:
        peak, label = max(peak_equity, equity), "peak equity"
    percent = max(peak - equity, ZERO) / peak * HUNDRED if peak > ZERO else ZERO
    step = ladder_factor(rule.ladder, percent)
    return Factor(
        value=step.factor,
        reason=f"drawdown {percent:.2f} % from {label} {peak:.2f}"
        f" (at least {step.at_least} %) → ×{step.factor}",
    )


def performance_factor(profile: Profile, trades: Sequence[Trade]) -> Factor:
    """Shrink after poor performance: win rate over recent trades, losing streaks."""
    rule = profile.adjusters.performance
    stats = performance(trades, last=rule.window_trades)
    value, reasons = ONE, []
    if rule.win_rate is not None:
        if stats.trades >= rule.min_trades and stats.win_rate is not None:
            step = ladder_factor(rule.win_rate, Decimal(repr(stats.win_rate)))
            value *= step.factor
            reasons.append(
                f"win rate {stats.win_rate:.0%} over {stats.trades} trades → ×{step.factor}"
            )
        else:
            reasons.append(
                f"{stats.trades} trades, fewer than {rule.min_trades}: win rate not used"
            )
    if rule.losing_streak is not None:
        streak = stats.losing_streak
        if streak >= rule.losing_streak.at_least:
            value *= rule.losing_streak.factor
            reasons.append(f"losing streak of {streak} → ×{rule.losing_streak.factor}")
        else:
            reasons.append(f"losing streak {streak}, under {rule.losing_streak.at_least}")
    return Factor(value=value, reason="; ".join(reasons) or "no performance rule")


def concurrency_factor(positions: int, pending: int) -> Factor:
    """Share the risk among open and pending positions: 1 / (count + 1)."""
    count = positions + pending
    value = ONE / (count + 1)
    return Factor(value=value, reason=f"{count} open or pending positions → 1/({count} + 1)")


def _correlation(ctx: AdjusterContext) -> Factor:
    rule = ctx.profile.adjusters.correlation
    directional = rule.mode == "directional"
    sign, symbol, correlations = ctx.side.sign, ctx.symbol, ctx.market.correlations
    strongest: Decimal | None = None
    found: tuple[Position, Decimal] | None = None  # the first strongest, and its correlation
    unknown: list[str] = []
    for position in ctx.positions:
        if position.symbol == symbol:
            corr = ONE
        elif position.symbol in correlations:
            corr = correlations[position.symbol]
        else:
            unknown.append(position.symbol)
            continue
        # Directional: a position on the other side with positive correlation is a hedge, not
        # a reinforcement; so is one on the same side with negative correlation.
        effective = corr * sign * position.side.sign if directional else abs(corr)
        if strongest is None or effective > strongest:
            strongest, found = effective, (position, corr)
    if strongest is None or found is None:
        note = f"; no correlation known for {', '.join(sorted(set(unknown)))}" if unknown else ""
        return Factor(value=ONE, reason=f"no open exposure to correlate with{note}")
    measure = max(strongest, ZERO)
    step = ladder_factor(rule.ladder, measure)
    kind = "reinforcing" if directional else "absolute"
    position, corr = found
    return Factor(
        value=step.factor,
        reason=f"strongest {kind} correlation {strongest:.2f} with"
        f" {position.side.value} {position.symbol} (ρ {corr})"
        f" → ×{step.factor}",
    )


def _heat(ctx: AdjusterContext, lots: Decimal) -> Factor:
    rule = ctx.profile.adjusters.heat
    new_risk = lots * ctx.loss_per_lot
    heat = (ctx.open_risk + new_risk) / ctx.balance if ctx.balance > ZERO else ONE
    if heat > rule.threshold:
        return Factor(
            value=rule.factor,
            reason=f"portfolio heat {heat:.2%} (open {ctx.open_risk:.2f} + new {new_risk:.2f})"
            f" above {rule.threshold:.0%} → ×{rule.factor}",
        )
    return Factor(value=ONE, reason=f"portfolio heat {heat:.2%}, within {rule.threshold:.0%}")


def combine(values: Sequence[Decimal], how: str) -> Decimal:
    """Combine factor values by ``product`` or ``most_restrictive``."""
    if not values:
        return ONE
    if how == "most_restrictive":
        return min(values)
    result = ONE
    for value in values:
        result *= value
    return result


class Adjuster:
    """One adjuster: its name, whether the profile enables it, its factor, its fan-out form.

    Over a fan-out an adjuster is either ``prepared`` (it reads only the account, so its exact
    factor is taken once when the fan-out is prepared; those factors combine there, in
    ``Decimal``) or computed per signal over the cohort's columns by :meth:`over_signal`.
    """

    name: ClassVar[str]
    prepared: ClassVar[bool] = False
    on_size: ClassVar[bool] = False  # measured on the size the factors before it leave

    def enabled(self, profile: Profile) -> bool:
        """Whether the profile turns it on."""
        rule: _Enabled = getattr(profile.adjusters, self.name)
        return rule.enabled

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        """Its factor and reason for the trade (``lots``: the size it is measured on)."""
        raise NotImplementedError

    def of_account(self, inputs: DecisionInputs) -> Decimal:
        """A prepared adjuster's exact factor for an account of a fan-out."""
        raise NotImplementedError

    def over_signal(
        self, fan: FanOut, members: Indices, signal: Signal, lots: Floats
    ) -> tuple[Floats, Mask]:
        """Its factor for every member of a cohort, and where float64 cannot tell the step."""
        raise NotImplementedError


class _Enabled(Protocol):
    enabled: bool


class Volatility(Adjuster):
    """Shrink in volatile regimes; one factor per signal for a whole cohort."""

    name = "volatility"

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        return volatility_factor(ctx.profile, ctx.market)

    def over_signal(
        self, fan: FanOut, members: Indices, signal: Signal, lots: Floats
    ) -> tuple[Floats, Mask]:
        value = float(volatility_factor(signal.profile, signal.market).value)
        return np.full(len(members), value), np.zeros(len(members), dtype=np.bool_)


class Drawdown(Adjuster):
    """Shrink in drawdown; reads only the account, so a fan-out prepares it."""

    name = "drawdown"
    prepared = True

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        return drawdown_factor(ctx.profile, ctx.equity, ctx.initial, ctx.peak_equity)

    def of_account(self, inputs: DecisionInputs) -> Decimal:
        offset = inputs.rules.capital_offset  # in capital terms, as the pipeline's context
        equity, peak = inputs.state.equity + offset, inputs.peaks.intraday_equity + offset
        return drawdown_factor(inputs.profile, equity, inputs.rules.size, peak).value


class Performance(Adjuster):
    """Shrink after poor performance; reads only the account's trades."""

    name = "performance"
    prepared = True

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        return performance_factor(ctx.profile, ctx.trades)

    def of_account(self, inputs: DecisionInputs) -> Decimal:
        return performance_factor(inputs.profile, inputs.trades).value


class Concurrency(Adjuster):
    """Share the risk among open and pending positions; reads only the account."""

    name = "concurrency"
    prepared = True

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        return concurrency_factor(len(ctx.positions), ctx.pending)

    def of_account(self, inputs: DecisionInputs) -> Decimal:
        pending = len(live(inputs.reservations, inputs.now))
        return concurrency_factor(len(inputs.state.positions), pending).value


class Correlation(Adjuster):
    """Shrink with the strongest correlation of the new exposure with open ones."""

    name = "correlation"

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        return _correlation(ctx)

    def over_signal(
        self, fan: FanOut, members: Indices, signal: Signal, lots: Floats
    ) -> tuple[Floats, Mask]:
        rule = signal.profile.adjusters.correlation
        held, request, correlations = fan.held, signal.request, signal.market.correlations
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
        if rule.mode == "directional":  # a hedge does not reinforce, as ``_correlation``
            effective = corr * request.side.sign * held.sign
        else:
            effective = np.abs(corr)
        known = ~np.isnan(effective)
        strongest = np.full(fan.size, -np.inf)
        np.maximum.at(strongest, held.account[known], effective[known])
        mine = strongest[members]
        factor = ladder_column(rule.ladder, np.maximum(mine, 0.0))
        return np.where(np.isfinite(mine), factor, 1.0), np.zeros(len(members), dtype=np.bool_)


class Heat(Adjuster):
    """Shrink when open risk plus this trade's passes the threshold; measured last."""

    name = "heat"
    on_size = True

    def factor(self, ctx: AdjusterContext, lots: Decimal) -> Factor:
        return _heat(ctx, lots)

    def over_signal(
        self, fan: FanOut, members: Indices, signal: Signal, lots: Floats
    ) -> tuple[Floats, Mask]:
        rule = signal.profile.adjusters.heat
        balance = fan.balance[members]
        positive = balance > 0
        risk = fan.open_used[members] + lots * signal.loss_per_lot
        divisor = np.where(positive, balance, 1.0)  # any non-zero: its quotient is dropped
        heat = np.where(positive, risk / divisor, 1.0)
        threshold = np.full(len(members), float(rule.threshold))
        return np.where(heat > threshold, float(rule.factor), 1.0), near(heat, threshold)


ADJUSTERS: tuple[Adjuster, ...] = (
    Volatility(),
    Drawdown(),
    Performance(),
    Concurrency(),
    Correlation(),
    Heat(),
)


def _enabled(profile: Profile) -> tuple[tuple[Adjuster, ...], tuple[Adjuster, ...]]:
    return ADJUSTERS, tuple(a for a in ADJUSTERS if a.enabled(profile))


# Which adjusters a profile turns on, once per profile object (a profile is frozen, and one
# object serves every decision under it), with the table they were taken from.
_ENABLED: _Memo[tuple[tuple[Adjuster, ...], tuple[Adjuster, ...]]] = _Memo(_enabled, limit=1_000)


def enabled_adjusters(profile: Profile) -> tuple[Adjuster, ...]:
    """The adjusters ``profile`` turns on, in the table's order."""
    table, enabled = _ENABLED.get(profile)
    # A table replaced since (an adjuster added) is read afresh.
    return enabled if table is ADJUSTERS else _enabled(profile)[1]


def adjust(ctx: AdjusterContext, base_lots: Decimal) -> tuple[dict[str, Factor], Decimal]:
    """Every enabled adjuster's factor, in the table's order, and their combination."""
    how = ctx.profile.adjusters.combine
    factors: dict[str, Factor] = {}
    for adjuster in enabled_adjusters(ctx.profile):
        lots = base_lots
        if adjuster.on_size:
            lots = base_lots * combine([f.value for f in factors.values()], how)
        factors[adjuster.name] = adjuster.factor(ctx, lots)
    return factors, combine([f.value for f in factors.values()], how)
