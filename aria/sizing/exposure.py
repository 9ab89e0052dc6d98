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
from aria.sizing.instruments import Instrument, point_value
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
    return _Terms(instrument, account_ccy, rules, profile).value(position, rates)


class _Terms:
    """What valuing a position on one instrument needs that its position does not change:
    worked out once per instrument of a book, not once per position."""

    __slots__ = (
        "_by_price",
        "_leverage",
        "_rates",
        "_unit",
        "account_ccy",
        "commission",
        "fallback",
        "instrument",
        "profile",
        "rules",
        "slip",
        "stress",
    )

    def __init__(
        self, instrument: Instrument, account_ccy: str, rules: RuleSet, profile: Profile
    ) -> None:
        self.instrument, self.account_ccy, self.rules, self.profile = (
            instrument,
            account_ccy,
            rules,
            profile,
        )
        self.slip = profile.costs.slippage_ticks * instrument.tick_size
        self.commission = profile.costs.commission_per_lot
        self.fallback = profile.headroom.fallback_stop_pct
        self.stress = conversion_stress(instrument, account_ccy, profile)
        self._leverage: Decimal | None = None
        # Only a pair whose base is the account's currency (USDJPY on a USD account) converts
        # at its own price; any other instrument's point value is one for all its prices.
        self._by_price = instrument.base == account_ccy and instrument.quote != account_ccy
        self._rates: Mapping[str, Decimal] | None = None
        self._unit: Decimal | None = None

    def leverage(self) -> Decimal:
        """:func:`leverage_for` the instrument (asked only where a position has a notional)."""
        if self._leverage is None:
            self._leverage = leverage_for(self.instrument, self.rules, self.profile)
        return self._leverage

    def point_value(self, price: Decimal, rates: Mapping[str, Decimal]) -> Decimal | None:
        """:func:`point_value` at ``price``, worked out once per ``rates`` where the price is
        not the rate."""
        if self._by_price:
            return point_value(self.instrument, price, self.account_ccy, rates)
        if rates is not self._rates:
            self._unit = point_value(self.instrument, price, self.account_ccy, rates)
            self._rates = rates
        return self._unit

    def value(self, position: Position, rates: Mapping[str, Decimal]) -> Held:
        """Value ``position`` (on this instrument) for headroom, exposure and margin."""
        instrument = self.instrument
        mark, sign, lots = position.mark, position.side.sign, position.lots
        at_mark = self.point_value(mark, rates)  # as ``notional_per_lot``
        notional = mark * at_mark * lots if at_mark is not None else None
        margin = notional / self.leverage() if notional is not None else None
        stop = position.stop
        note = ""
        fallback = self.fallback
        if stop is None and fallback is not None:
            stop = mark - sign * mark * fallback
            note = f"no stop: assumed {fallback:%} away"
        if stop is None:
            return Held(
                position, instrument, None, notional, margin, f"{position.symbol} has no stop"
            )
        value = self.point_value(stop, rates)
        if value is None:
            return Held(
                position,
                instrument,
                None,
                notional,
                margin,
                f"no conversion rate for {instrument.quote}",
            )
        distance = max((mark - stop) * sign, ZERO)
        slippage = self.slip * value
        cost = (self.commission + slippage) * lots
        stress = self.stress
        swing = None
        take_profit = position.take_profit
        if take_profit is not None:
            span = max((take_profit - stop) * sign, ZERO)
            # Earned at the target's rate, lost back at the stop's: the larger bounds both legs.
            at_target = self.point_value(take_profit, rates)
            swing = (span * max(value, at_target or value) * lots + cost) * stress
        from_entry = (position.entry - stop) * sign * value * lots + cost
        return Held(
            position,
            instrument,
            (distance * value * lots + cost) * stress,
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
    terms: dict[str, _Terms] = {}
    held = []
    for position in positions:
        instrument = instruments.get(position.symbol)
        if instrument is None:
            held.append(value_position(position, None, rates, account_ccy, rules, profile))
            continue
        found = terms.get(position.symbol)
        if found is None:
            found = terms[position.symbol] = _Terms(instrument, account_ccy, rules, profile)
        held.append(found.value(position, rates))
    return held
