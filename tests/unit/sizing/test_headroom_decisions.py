"""The FTMO headroom example of the foundation issue, inside a decision."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.builders import run

D = Decimal


def ftmo(risk: str, reservation: str = "500") -> dict[str, Any]:
    return {
        "profile": {"preset": "aria", "account": {"risk_per_trade": risk}},
        "firm": "ftmo",
        "plan": "2-step",
        "account": {
            "id": "ftmo-100k",
            "size": 100000,
            "balance": 101000,
            "equity": 100200,
            "as_of": "2026-06-02T09:00:00Z",
            "day_start": {"balance": 101000},
            # Further loss to the stop: (1.1000 − 1.0850) × 100,000 = 1,500.
            "positions": [
                {
                    "symbol": "EURUSD",
                    "side": "long",
                    "lots": 1,
                    "entry": "1.1050",
                    "price": "1.1000",
                    "stop": "1.0850",
                }
            ],
            "reservations": [
                {
                    "decision_id": "earlier",
                    "amount": reservation,
                    "expires_at": "2026-06-02T09:05:00Z",
                }
            ],
        },
        "instrument": "GBPUSD",
        "request": {"symbol": "GBPUSD", "side": "long", "entry": "1.2700", "stop": "1.2600"},
    }


def test_headroom_is_2200() -> None:
    decision = run(ftmo("0.02"))
    assert decision.headroom is not None
    assert decision.headroom.available == D(2200)
    assert decision.headroom.binding == "daily_loss"
    assert decision.headroom.floors == {"daily_loss": D(96000), "max_loss": D(90000)}


def test_a_two_percent_request_passes_unclipped() -> None:
    decision = run(ftmo("0.02"))
    assert decision.target_risk == D("2004")
    assert decision.approved
    assert decision.binding is None
    assert decision.lots == D("2.00")  # 2.004 lots floored to the 0.01 step
    assert decision.risk_amount == D(2000)


def test_a_three_percent_request_is_clipped_to_the_headroom() -> None:
    decision = run(ftmo("0.03"))
    assert decision.target_risk == D("3006")
    assert decision.approved
    assert decision.binding == "daily_loss_headroom"
    assert decision.risk_amount <= D(2200)
    assert decision.lots == D("2.20")


def test_no_headroom_is_a_daily_loss_reject() -> None:
    decision = run(ftmo("0.01", reservation="2700"))
    assert decision.status == "rejected"
    assert decision.reject_codes == ["daily_loss_headroom"]
    assert decision.lots == 0


def test_a_sliver_of_headroom_is_below_the_minimum_lot() -> None:
    decision = run(ftmo("0.01", reservation="2695"))  # 5 left: 0.005 lots
    assert decision.reject_codes == ["below_min_lot", "daily_loss_headroom"]
