"""Each adjuster's factor and reason, by value (stage 3 of the pipeline)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from accounts.model import Position, Side, Trade
from aria.sizing.adjusters import (
    AdjusterContext,
    adjust,
    drawdown_factor,
    performance_factor,
    volatility_factor,
)
from aria.sizing.inputs import MarketSnapshot
from aria.sizing.profiles import Profile

D = Decimal
START = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def step(at_least: object, factor: object) -> dict[str, str]:
    return {"at_least": str(at_least), "factor": str(factor)}


def profile(**adjusters: Any) -> Profile:
    return Profile.model_validate({"name": "adjust", "adjusters": adjusters})


def closed(pnls: Sequence[str]) -> list[Trade]:
    return [
        Trade(
            symbol="FINE",
            side=Side.LONG,
            lots=D(1),
            entry=D(100),
            exit=D(101),
            pnl=D(pnl),
            opened_at=START + dt.timedelta(hours=i),
            closed_at=START + dt.timedelta(hours=i, minutes=30),
        )
        for i, pnl in enumerate(pnls)
    ]


def held(symbol: str, side: Side) -> Position:
    return Position(symbol=symbol, side=side, lots=D("0.1"), entry=D(100), stop=D(95))


def context(
    chosen: Profile,
    *,
    market: MarketSnapshot | None = None,
    positions: Sequence[Position] = (),
    equity: str = "10000",
    peak: str = "10000",
    side: Side = Side.LONG,
) -> AdjusterContext:
    return AdjusterContext(
        profile=chosen,
        market=market or MarketSnapshot(),
        symbol="FINE",
        side=side,
        equity=D(equity),
        balance=D(10_000),
        initial=D(10_000),
        peak_equity=D(peak),
        trades=(),
        positions=tuple(positions),
        pending=0,
        open_risk=D(0),
        loss_per_lot=D(5),
    )


# --------------------------------------------------------------------------- volatility


def test_the_volatility_reason_shows_the_value_and_its_step() -> None:
    by_percentile = volatility_factor(profile(), MarketSnapshot(atr_percentile=D(50)))
    assert (by_percentile.value, by_percentile.reason) == (
        D("1.0"),
        "ATR percentile 50 (at least 40) → ×1.0",
    )
    daily = profile(
        volatility={"source": "daily_volatility", "ladder": [step(0, 1), step("0.02", "0.8")]}
    )
    by_daily = volatility_factor(daily, MarketSnapshot(daily_volatility=D("0.025")))
    assert (by_daily.value, by_daily.reason) == (
        D("0.8"),
        "daily volatility 2.50% (at least 0.02) → ×0.8",
    )


# --------------------------------------------------------------------------- drawdown


def test_drawdown_from_a_peak_of_zero_is_no_drawdown() -> None:
    # An account whose balance starts at zero has no peak to fall from yet.
    factor = drawdown_factor(profile(), D(0), D(10_000), D(0))
    assert factor.value == D("1.0")
    assert factor.reason.startswith("drawdown 0.00 % from peak equity 0.00")


def test_drawdown_is_measured_from_the_peak_or_from_initial_as_asked() -> None:
    from_peak = drawdown_factor(profile(), D(9_600), D(10_000), D(10_200))
    assert from_peak.value == D("0.3")  # 5.88 % below 10,200: the 5 % step
    from_initial = drawdown_factor(
        profile(drawdown={"measure": "initial"}), D(9_600), D(10_000), D(10_200)
    )
    assert from_initial.value == D("0.5")  # 4 % below 10,000: the 3 % step


# --------------------------------------------------------------------------- performance


_WIN_RATE = {"enabled": True, "min_trades": 4, "win_rate": [step(0, "0.5"), step("0.5", "1.0")]}


def test_a_poor_win_rate_over_enough_trades_shrinks_the_size() -> None:
    factor = performance_factor(profile(performance=_WIN_RATE), closed(["-1", "-1", "-1", "2"]))
    assert factor.value == D("0.5")
    assert factor.reason == "win rate 25% over 4 trades → ×0.5"


def test_the_win_rate_is_not_used_over_fewer_trades_than_asked() -> None:
    factor = performance_factor(profile(performance=_WIN_RATE), closed(["-1", "-1", "2"]))
    assert factor.value == D(1)
    assert factor.reason == "3 trades, fewer than 4: win rate not used"


def test_a_performance_adjuster_without_rules_says_so() -> None:
    factor = performance_factor(profile(performance={"enabled": True}), closed(["-1"] * 12))
    assert (factor.value, factor.reason) == (D(1), "no performance rule")


# --------------------------------------------------------------------------- correlation


def test_the_correlation_reason_names_the_mode_and_the_first_strongest_position() -> None:
    market = MarketSnapshot(correlations={"AAA": D("0.8"), "BBB": D("0.8")})
    positions = [held("AAA", Side.LONG), held("BBB", Side.LONG), held("ZZZ", Side.LONG)]
    directional = adjust(context(profile(), market=market, positions=positions), D(1))[0]
    assert directional["correlation"].value == D("0.5")
    assert directional["correlation"].reason == (
        "strongest reinforcing correlation 0.80 with long AAA (ρ 0.8) → ×0.5"
    )
    absolute = profile(correlation={"mode": "absolute"})
    short = context(absolute, market=market, positions=positions, side=Side.SHORT)
    assert adjust(short, D(1))[0]["correlation"].reason == (
        "strongest absolute correlation 0.80 with long AAA (ρ 0.8) → ×0.5"
    )


def test_positions_without_a_known_correlation_are_named() -> None:
    factors = adjust(context(profile(), positions=[held("ZZZ", Side.LONG)]), D(1))[0]
    assert factors["correlation"].value == D(1)
    assert factors["correlation"].reason == (
        "no open exposure to correlate with; no correlation known for ZZZ"
    )
    alone = adjust(context(profile()), D(1))[0]["correlation"]
    assert alone.reason == "no open exposure to correlate with"


# --------------------------------------------------------------------------- heat


def test_heat_is_measured_on_the_size_the_other_factors_leave() -> None:
    # 10 % below the peak: the drawdown factor is 0.1, so 300 lots become 30. At 5 a lot that
    # is 150 of new risk, 1.5 % of the balance: within the heat threshold of 10 %. Measured on
    # the 300 lots before the drawdown (15 %), heat would shrink the size again.
    factors, combined = adjust(context(profile(), equity="9000", peak="10000"), D(300))
    assert factors["drawdown"].value == D("0.1")
    assert factors["heat"].value == D(1)
    assert factors["heat"].reason == "portfolio heat 1.50%, within 10%"
    assert combined == D("0.1")


def test_a_correlation_step_above_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="correlation steps must start at 1 or below"):
        profile(correlation={"ladder": [step(0, 1), step("1.5", "0.5")]})
