"""What the account already holds: per open position, its further loss, notional and margin.

An open position's further loss runs from its current price to its stop (equity already
holds the floating P&L), costs included. Without a stop it uses the profile's fallback
stop, if any; without one — or without an instrument spec or a conversion rate to value
it — its loss is unbounded and the account has no headroom, which is the cautious reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from accounts.model import Position
from accounts.money import ZERO
from aria.sizing.instruments import Instrument, notional_per_lot, point_value
from aria.sizing.profiles import Profile
from firms.ruleset import RuleSet


@dataclass(frozen=True, slots=True)
class Held:
    """One open position, valued."""

    position: Position
    instrument: Instrument | None
    further_loss: Decimal | None  # None: unbounded
    notional: Decimal | None
    margin: Decimal | None
    note: str = ""
    swing: Decimal | None = None  # take-profit back to the stop, costs included; None: unbounded
    # The loss from the entry to the stop, costs included (0 when the stop locks in a profit):
    # what the position takes from a floor that profits (or the next reset) have raised.
    entry_loss: Decimal | None = None


def leverage_for(instrument: Instrument, rules: RuleSet, profile: Profile) -> Decimal:
    """Leverage for margin: the firm's per asset class, else the profile's, else the spec's."""
    if rules.limits is not None and instrument.asset_class in rules.limits.leverage:
        return rules.limits.leverage[instrument.asset_class]
    if profile.limits.max_leverage is not None:
        return profile.limits.max_leverage
    return 1 / instrument.margin_rate


def value_position(
    position: Position,
    instrument: Instrument | None,
    rates: Mapping[str, Decimal],
    account_ccy: str,
    rules: RuleSet,
    profile: Profile,
) -> Held:
    """Value one open position for headroom, exposure and margin."""
    if instrument is None:
        return Held(position, None, None, None, None, f"no instrument spec for {position.symbol}")
    notional_unit = notional_per_lot(instrument, position.mark, account_ccy, rates)
    notional = notional_unit * position.lots if notional_unit is not None else None
    margin = notional / leverage_for(instrument, rules, profile) if notional is not None else None
    stop = position.stop
    note = ""
    if stop is None and profile.headroom.fallback_stop_pct is not None:
        stop = (
            position.mark - position.side.sign * position.mark * profile.headroom.fallback_stop_pct
        )
        note = f"no stop: assumed {profile.headroom.fallback_stop_pct:%} away"
    if stop is None:
        return Held(position, instrument, None, notional, margin, f"{position.symbol} has no stop")
    value = point_value(instrument, stop, account_ccy, rates)
    if value is None:
        return Held(
            position,
            instrument,
            None,
            notional,
            margin,
            f"no conversion rate for {instrument.quote}",
        )
    distance = max((position.mark - stop) * position.side.sign, ZERO)
    slippage = profile.costs.slippage_ticks * instrument.tick_size * value
    cost = (profile.costs.commission_per_lot + slippage) * position.lots
    stress = conversion_stress(instrument, account_ccy, profile)
    swing = None
    if position.take_profit is not None:
        span = max((position.take_profit - stop) * position.side.sign, ZERO)
        # Earned at the target's rate, lost back at the stop's: the larger bounds both legs.
        at_target = point_value(instrument, position.take_profit, account_ccy, rates)
        swing = (span * max(value, at_target or value) * position.lots + cost) * stress
    from_entry = (position.entry - stop) * position.side.sign * value * position.lots + cost
    return Held(
        position,
        instrument,
        (distance * value * position.lots + cost) * stress,
        notional,
        margin,
        note,
        swing,
        max(from_entry * stress, ZERO),
    )


def conversion_stress(instrument: Instrument, account_ccy: str, profile: Profile) -> Decimal:
    """How much more a loss counts against the floors: 1, or 1 + the conversion margin when
    the instrument's money is in another currency than the account's."""
    if instrument.quote == account_ccy:
        return Decimal(1)
    return 1 + profile.headroom.conversion_margin


def value_book(
    positions: Sequence[Position],
    instruments: Mapping[str, Instrument],
    rates: Mapping[str, Decimal],
    account_ccy: str,
    rules: RuleSet,
    profile: Profile,
) -> list[Held]:
    """Value every open position."""
    return [
        value_position(p, instruments.get(p.symbol), rates, account_ccy, rules, profile)
        for p in positions
    ]
