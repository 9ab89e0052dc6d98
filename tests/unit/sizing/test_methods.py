"""Each sizing method's base size and its reason, by value (stage 2 of the pipeline).

Worked on an account of 10,000 and an instrument where one lot is worth 1 per point and
100 of notional, entry 100: a stop at 95 loses 5 a lot.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.performance import performance
from aria.sizing.decision import RejectCode
from aria.sizing.errors import InvalidRequest
from aria.sizing.methods import base_size
from aria.sizing.profiles import Kelly, Method, Profile, Stops
from aria.sizing.stops import Geometry

D = Decimal
EQUITY = D(10_000)
NO_TRADES = performance([])
KELLY_BASE = "Kelly 25 % × 0.25 = 6.25 % of equity (defaults W 0.5, R 2 (0 of 20 trades))"


def geometry(stop: str = "95", cost: str = "0") -> Geometry:
    return Geometry(
        entry=D(100),
        stop=D(stop),
        take_profit=None,
        stop_source="request",
        value_per_point=D(1),
        cost_per_lot=D(cost),
        notional_per_lot=D(100),
    )


def kelly(**options: object) -> Profile:
    """Kelly on the default W 0.5, R 2 (6.25 % of equity), without the position band."""
    settings = {"min_position": None, "max_position": None, **options}
    return Profile(name="kelly", method=Method.KELLY, kelly=Kelly.model_validate(settings))


def test_risk_based_risks_its_share_of_equity_at_the_stop() -> None:
    size = base_size(Profile(name="risk"), geometry(), EQUITY, NO_TRADES, None, None)
    assert size.lots == D(20)  # 100 of risk ÷ 5 a lot


def test_atr_risk_measures_the_loss_over_its_multiple_of_atr_with_costs() -> None:
    profile = Profile(name="atr", method=Method.ATR_RISK, stops=Stops(atr_stop_multiple=D("1.5")))
    size = base_size(profile, geometry(cost="1"), EQUITY, NO_TRADES, None, D(2))
    assert size.lots == D(25)  # 100 of risk ÷ (1.5 × 2 points + 1 of cost)
    assert size.reason == "risk 1 % of equity = 100.00 over 1.5 × ATR 2"


def test_atr_risk_without_an_atr_is_an_error() -> None:
    profile = Profile(name="atr", method=Method.ATR_RISK)
    with pytest.raises(InvalidRequest, match="needs the market's 'atr'"):
        base_size(profile, geometry(), EQUITY, NO_TRADES, None, None)


def test_kelly_is_capped_by_the_risk_based_size_when_that_is_smaller() -> None:
    # Stop at 50: risk-based is 100 ÷ 50 a lot = 2 lots = 200 of notional, below Kelly's 625.
    size = base_size(kelly(), geometry("50"), EQUITY, NO_TRADES, None, None)
    assert size.lots == D(2)
    assert size.reason == f"{KELLY_BASE}; risk-based 200.00 is smaller → notional 200.00"


def test_kelly_is_not_capped_when_the_profile_says_so() -> None:
    size = base_size(
        kelly(cap_with_risk_based=False), geometry("50"), EQUITY, NO_TRADES, None, None
    )
    assert size.lots == D("6.25")
    assert size.reason == f"{KELLY_BASE} → notional 625.00"


def test_a_risk_based_size_equal_to_kelly_is_not_called_smaller() -> None:
    # Stop at 84: 100 ÷ 16 a lot × 100 = 625, exactly Kelly's notional.
    size = base_size(kelly(), geometry("84"), EQUITY, NO_TRADES, None, None)
    assert size.lots == D("6.25")
    assert size.reason == f"{KELLY_BASE} → notional 625.00"


@pytest.mark.parametrize(
    ("band", "lots", "clamp"),
    [
        ({"min_position": D("0.08")}, D(8), "; raised to the 8 % minimum"),
        ({"min_position": D("0.0625")}, D("6.25"), ""),
        ({"max_position": D("0.05")}, D(5), "; capped at 5 % of equity"),
        ({"max_position": D("0.0625")}, D("6.25"), ""),
    ],
)
def test_kelly_is_clamped_to_the_position_band_only_beyond_it(
    band: dict[str, Decimal], lots: Decimal, clamp: str
) -> None:
    size = base_size(kelly(**band), geometry("99"), EQUITY, NO_TRADES, None, None)
    assert size.lots == lots
    assert size.reason == f"{KELLY_BASE}{clamp} → notional {lots * 100:.2f}"


def test_kelly_with_no_edge_at_all_is_a_reject() -> None:
    # W 0.5 and R 1: W·R − (1 − W) = 0, so the full Kelly fraction is exactly zero.
    size = base_size(kelly(default_payoff=D(1)), geometry(), EQUITY, NO_TRADES, None, None)
    assert size.reject is RejectCode.NO_EDGE
    assert size.lots == 0


@pytest.mark.parametrize(
    ("risk", "confidence", "lots", "reason"),
    [
        (
            "0.008",
            "0.1",
            D(10),
            "risk 0.8 % × 0.5 for confidence 0.1, raised to the 0.5 % floor"
            " = 0.5 % of equity = 50.00 at the stop",
        ),
        (
            "0.01",
            "0.1",
            D(10),
            "risk 1 % × 0.5 for confidence 0.1 = 0.5 % of equity = 50.00 at the stop",
        ),
        (
            "0.012",
            "0.9",
            D(30),
            "risk 1.2 % × 1.5 for confidence 0.9, capped at 1.5 % = 1.5 % of equity = 150.00 at the stop",
        ),
        (
            "0.01",
            "0.9",
            D(30),
            "risk 1 % × 1.5 for confidence 0.9 = 1.5 % of equity = 150.00 at the stop",
        ),
        (
            "0.01",
            "0.7",
            D(20),
            "risk 1 % × 1.0 for confidence 0.7 = 1 % of equity = 100.00 at the stop",
        ),
    ],
)
def test_confidence_weights_the_risk_and_clamps_it_only_beyond_the_band(
    risk: str, confidence: str, lots: Decimal, reason: str
) -> None:
    profile = Profile(name="conf", method=Method.CONFIDENCE_WEIGHTED, risk_per_trade=D(risk))
    size = base_size(profile, geometry(), EQUITY, NO_TRADES, D(confidence), None)
    assert size.lots == lots
    assert size.reason == reason
