"""Stage 1 of the pipeline: the stop and take-profit, and money per lot at them.

The stop is the request's, or ``entry ∓ ATR × k``; the take-profit is the request's, or the
larger of ``entry ± ATR × k_tp`` and ``entry ± risk × min_rr`` (long; mirrored for short),
or ``entry ± entry × take_profit_pct``. The loss per lot includes the profile's costs
(commission, and slippage in ticks beyond the stop), so the worst case is the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from accounts.money import ZERO
from aria.sizing.errors import InvalidRequest
from aria.sizing.inputs import MarketSnapshot, TradeRequest
from aria.sizing.instruments import Instrument, notional_per_lot, point_value
from aria.sizing.profiles import Profile


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where the trade's stop and target are, and what a lot is worth at them."""

    entry: Decimal
    stop: Decimal
    take_profit: Decimal | None
    stop_source: str
    value_per_point: Decimal  # account currency per lot per 1.0 of price, at the stop
    cost_per_lot: Decimal
    notional_per_lot: Decimal
    # Account currency per lot per 1.0 of price at the take-profit: it differs from the stop's
    # when the pair's own price is the rate (USDJPY on a USD account).
    target_value_per_point: Decimal | None = None

    @property
    def distance(self) -> Decimal:
        """Price distance from entry to stop."""
        return abs(self.entry - self.stop)

    @property
    def loss_per_lot(self) -> Decimal:
        """Loss of one lot at the stop, costs included, in the account currency."""
        return self.distance * self.value_per_point + self.cost_per_lot

    @property
    def bounding_value_per_point(self) -> Decimal:
        """The larger of the stop's and the take-profit's value per point: a profit is earned
        at the target's rate and lost back at the stop's, so this one bounds both legs."""
        return max(self.value_per_point, self.target_value_per_point or self.value_per_point)

    @property
    def swing_per_lot(self) -> Decimal | None:
        """Take-profit back to the stop for one lot, costs included (``None``: no take-profit)."""
        if self.take_profit is None:
            return None
        return abs(self.take_profit - self.stop) * self.bounding_value_per_point + self.cost_per_lot

    @property
    def win_per_lot(self) -> Decimal | None:
        """What one lot wins at the take-profit, costs left out so it is never understated
        (``None``: no take-profit)."""
        if self.take_profit is None:
            return None
        return abs(self.take_profit - self.entry) * self.bounding_value_per_point

    def loss_at(self, distance: Decimal) -> Decimal:
        """Loss of one lot over another price distance, costs included."""
        return distance * self.value_per_point + self.cost_per_lot


def _on_grid(price: Decimal, tick_size: Decimal, *, away_from: Decimal, keep: bool) -> Decimal:
    """``price`` moved onto the tick grid, away from ``away_from`` (as given if ``keep`` and
    already on the grid)."""
    ticks = price / tick_size
    whole = ticks.to_integral_value(ROUND_FLOOR if price < away_from else ROUND_CEILING)
    return price if keep and whole == ticks else whole * tick_size


def stop_and_target(
    request: TradeRequest, market: MarketSnapshot, profile: Profile, tick_size: Decimal
) -> tuple[Decimal, Decimal | None, str]:
    """The stop, the take-profit and where the stop came from."""
    sign = request.side.sign
    entry = request.entry
    stops = profile.stops
    if request.stop is not None:
        stop, source = request.stop, "request"
    elif request.stop_atr_multiple is not None or (
        stops.stop_pct is None and stops.atr_stop_multiple is not None
    ):
        multiple = request.stop_atr_multiple or stops.atr_stop_multiple
        assert multiple is not None  # the branch's condition: one of the two is set
        if market.atr is None:
            raise InvalidRequest(
                "the request has no stop and the market has no ATR to place one at"
                f" {multiple} × ATR; give 'stop' or the market's 'atr'"
            )
        stop, source = entry - sign * market.atr * multiple, f"{multiple} × ATR {market.atr}"
    elif stops.stop_pct is not None:
        stop, source = entry - sign * entry * stops.stop_pct, f"{stops.stop_pct:%} of entry"
    else:
        raise InvalidRequest("the request has no stop and the profile places none; give 'stop'")
    # Every stop goes on the instrument's tick grid, away from the entry, so the order can be
    # placed and the loss at it is never understated (a request's stop included: 1.2699999999
    # is not a price, and a size computed from its sub-tick distance is unbounded).
    stop = _on_grid(stop, tick_size, away_from=entry, keep=source == "request")
    if stop <= ZERO:
        raise InvalidRequest(f"the stop would be at {stop}, at or below zero; give a tighter stop")
    risk = abs(entry - stop)

    take_profit = request.take_profit
    if take_profit is not None:
        # Away from the entry as well: a farther target bounds more profit that a floor
        # following equity or closed balance can take back.
        take_profit = _on_grid(take_profit, tick_size, away_from=entry, keep=True)
    else:
        candidates: list[Decimal] = []
        if stops.atr_tp_multiple is not None and market.atr is not None:
            candidates.append(entry + sign * market.atr * stops.atr_tp_multiple)
        if stops.min_rr is not None:
            candidates.append(entry + sign * risk * stops.min_rr)
        if stops.take_profit_pct is not None:
            candidates.append(entry + sign * entry * stops.take_profit_pct)
        if candidates:
            take_profit = max(candidates) if sign > 0 else min(candidates)
            take_profit = (take_profit / tick_size).to_integral_value(ROUND_HALF_EVEN) * tick_size
            take_profit = take_profit if take_profit > ZERO else None
    return stop, take_profit, source


@dataclass(frozen=True, slots=True)
class StopFloor:
    """The nearest a stop may be to the entry, and what sets it: ``multiple`` ticks, ATRs or
    spreads (``what``) of ``unit`` each."""

    distance: Decimal
    what: str  # "ticks", "atr" or "spread"
    multiple: Decimal | int
    unit: Decimal

    @property
    def reason(self) -> str:
        """What sets the floor, as a trader reads it (written only for a stop that breaks it)."""
        if self.what == "ticks":
            return f"{self.multiple} ticks of {self.unit}"
        if self.what == "atr":
            return f"{self.multiple} × ATR {self.unit}"
        return f"{self.multiple} × the spread {self.unit}"


def stop_floor(
    request: TradeRequest, market: MarketSnapshot, profile: Profile, instrument: Instrument
) -> StopFloor:
    """The largest of the minimum stop distances: ticks (the instrument's, or the profile's),
    a fraction of ATR, and a multiple of the request's spread (the first of equals)."""
    stops = profile.stops
    ticks = stops.min_stop_ticks if stops.min_stop_ticks is not None else instrument.min_stop_ticks
    found = StopFloor(ticks * instrument.tick_size, "ticks", ticks, instrument.tick_size)
    atr, of_atr = market.atr, stops.min_stop_atr
    if of_atr is not None and atr is not None:
        distance = atr * of_atr
        if distance > found.distance:
            found = StopFloor(distance, "atr", of_atr, atr)
    spread, spreads = request.spread, stops.min_stop_spreads
    if spreads is not None and spread is not None:
        distance = spread * spreads
        if distance > found.distance:
            found = StopFloor(distance, "spread", spreads, spread)
    return found


def geometry(
    request: TradeRequest,
    market: MarketSnapshot,
    profile: Profile,
    instrument: Instrument,
    account_ccy: str,
) -> Geometry | None:
    """Stage 1; ``None`` when a conversion rate the trade needs is missing."""
    stop, take_profit, source = stop_and_target(request, market, profile, instrument.tick_size)
    unit = point_value(instrument, stop, account_ccy, market.rates)
    notional = notional_per_lot(instrument, request.entry, account_ccy, market.rates)
    if unit is None or notional is None:
        return None
    slippage = profile.costs.slippage_ticks * instrument.tick_size * unit
    at_target = (
        point_value(instrument, take_profit, account_ccy, market.rates)
        if take_profit is not None
        else None
    )
    return Geometry(
        entry=request.entry,
        stop=stop,
        take_profit=take_profit,
        stop_source=source,
        value_per_point=unit,
        cost_per_lot=profile.costs.commission_per_lot + slippage,
        notional_per_lot=notional,
        target_value_per_point=at_target,
    )


def risk_to_reward_refusal(geometry: Geometry, cap: Decimal) -> str | None:
    """Why the trade breaks a risk-reward cap of ``cap``:1 — its stop more than ``cap`` times
    as far from the entry as its take-profit, or no take-profit to show the ratio holds —
    or ``None`` when it keeps to it. Price distances, as the firms state the rule."""
    if geometry.take_profit is None:
        return (
            f"the stop may be at most {cap} times as far as the take-profit, and the trade has"
            " no take-profit to show it; give 'take_profit'"
        )
    reward = abs(geometry.take_profit - geometry.entry)
    if geometry.distance <= reward * cap:
        return None
    return (
        f"the stop is {geometry.distance} from the entry and the take-profit {reward}:"
        f" more than {cap} times as far (the most is {reward * cap})"
    )
