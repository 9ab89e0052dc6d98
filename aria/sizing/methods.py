"""Stage 2 of the pipeline: the base size, in lots, by the profile's method.

- ``fixed_usd``: a fixed notional in the account currency.
- ``percent_equity``: a fraction of equity as notional.
- ``risk_based``: ``equity × risk ÷ loss per lot at the stop``.
- ``atr_risk``: the same, with the loss measured at ``ATR × atr_stop_multiple``.
- ``kelly``: ``(W·R − (1 − W)) / R × kelly_fraction`` of equity as notional (W and R from the
  account's trades, or the defaults while there are fewer than ``min_trades``), the smaller
  of that and ``risk_based`` when asked, clamped to the profile's position band.
- ``confidence_weighted``: ``risk × band(confidence)``, clamped, then as ``risk_based``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accounts.money import ZERO
from accounts.performance import PerformanceStats
from aria.sizing.decision import RejectCode
from aria.sizing.errors import InvalidRequest
from aria.sizing.profiles import Method, Profile, ladder_factor
from aria.sizing.stops import Geometry

_BP = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class BaseSize:
    """The base size in lots, why, and a reject code when the method finds no trade."""

    lots: Decimal
    reason: str
    reject: RejectCode | None = None


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f} %"


def _kelly(
    profile: Profile, geometry: Geometry, equity: Decimal, stats: PerformanceStats
) -> BaseSize:
    kelly = profile.kelly
    enough = (
        stats.trades >= kelly.min_trades and stats.win_rate is not None and stats.payoff is not None
    )
    if enough:
        assert stats.win_rate is not None
        assert stats.payoff is not None
        win, payoff = Decimal(repr(stats.win_rate)), Decimal(repr(stats.payoff))
        source = f"W {win:.4f}, R {payoff:.4f} from {stats.trades} trades"
    else:
        win, payoff = kelly.default_win_rate, kelly.default_payoff
        source = f"defaults W {win}, R {payoff} ({stats.trades} of {kelly.min_trades} trades)"
    full = (win * payoff - (1 - win)) / payoff
    if full <= ZERO:
        return BaseSize(ZERO, f"Kelly {full:.4f} ≤ 0 ({source}): no edge", RejectCode.NO_EDGE)
    fraction = full * kelly.fraction
    notional = equity * fraction
    parts = [
        f"Kelly {_pct(full.quantize(_BP))} × {kelly.fraction} = {_pct(fraction.quantize(_BP))}"
        f" of equity ({source})"
    ]
    if kelly.cap_with_risk_based:
        risk_notional = (
            equity * profile.risk_per_trade / geometry.loss_per_lot * geometry.notional_per_lot
        )
        if risk_notional < notional:
            parts.append(f"risk-based {risk_notional:.2f} is smaller")
        notional = min(notional, risk_notional)
    if kelly.min_position is not None and notional < equity * kelly.min_position:
        notional = equity * kelly.min_position
        parts.append(f"raised to the {_pct(kelly.min_position)} minimum")
    if kelly.max_position is not None and notional > equity * kelly.max_position:
        notional = equity * kelly.max_position
        parts.append(f"capped at {_pct(kelly.max_position)} of equity")
    return BaseSize(
        notional / geometry.notional_per_lot, f"{'; '.join(parts)} → notional {notional:.2f}"
    )


def base_size(
    profile: Profile,
    geometry: Geometry,
    equity: Decimal,
    stats: PerformanceStats,
    confidence: Decimal | None,
    atr: Decimal | None,
) -> BaseSize:
    """The base size in lots for ``profile.method``."""
    method = profile.method
    if method is Method.FIXED_USD:
        assert profile.fixed_amount is not None
        return BaseSize(
            profile.fixed_amount / geometry.notional_per_lot,
            f"fixed notional {profile.fixed_amount}",
        )
    if method is Method.PERCENT_EQUITY:
        assert profile.percent_equity is not None
        notional = equity * profile.percent_equity
        return BaseSize(
            notional / geometry.notional_per_lot,
            f"{_pct(profile.percent_equity)} of equity {equity} = notional {notional:.2f}",
        )
    if method is Method.RISK_BASED:
        risk = equity * profile.risk_per_trade
        return BaseSize(
            risk / geometry.loss_per_lot,
            f"risk {_pct(profile.risk_per_trade)} of equity = {risk:.2f} at the stop",
        )
    if method is Method.ATR_RISK:
        if atr is None:
            raise InvalidRequest("profile method 'atr_risk' needs the market's 'atr'")
        assert profile.stops.atr_stop_multiple is not None
        distance = atr * profile.stops.atr_stop_multiple
        risk = equity * profile.risk_per_trade
        return BaseSize(
            risk / geometry.loss_at(distance),
            f"risk {_pct(profile.risk_per_trade)} of equity = {risk:.2f}"
            f" over {profile.stops.atr_stop_multiple} × ATR {atr}",
        )
    if method is Method.KELLY:
        return _kelly(profile, geometry, equity, stats)
    # confidence_weighted
    if confidence is None:
        raise InvalidRequest(
            "profile method 'confidence_weighted' needs the request's 'confidence' (0 to 1)"
        )
    bands = profile.confidence
    band = ladder_factor(bands.bands, confidence)
    risk_fraction = profile.risk_per_trade * band.factor
    clamp = ""
    if bands.min_risk is not None and risk_fraction < bands.min_risk:
        risk_fraction, clamp = bands.min_risk, f", raised to the {_pct(bands.min_risk)} floor"
    if bands.max_risk is not None and risk_fraction > bands.max_risk:
        risk_fraction, clamp = bands.max_risk, f", capped at {_pct(bands.max_risk)}"
    risk = equity * risk_fraction
    return BaseSize(
        risk / geometry.loss_per_lot,
        f"risk {_pct(profile.risk_per_trade)} × {band.factor} for confidence {confidence}{clamp}"
        f" = {_pct(risk_fraction)} of equity = {risk:.2f} at the stop",
    )
