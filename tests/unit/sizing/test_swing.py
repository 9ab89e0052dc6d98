"""Swing budgets: floors that follow equity are sized by take-profit-to-stop swings."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aria.sizing.decision import Decision
from aria.sizing.exposure import value_book
from aria.sizing.limits import swing_budgets
from aria.sizing.pipeline import headroom_of
from tests.builders import inputs_of, run

D = Decimal
HELD = {
    "symbol": "MNQ",
    "side": "long",
    "lots": "2",
    "entry": "19300",
    "price": "19350",
    "stop": "19250",
    "take_profit": "19450",
}


def _apex(**account: Any) -> dict[str, Any]:
    """Apex evaluation 50k (its floor trails intraday equity by 2,500), MNQ at $2 a point."""
    document: dict[str, Any] = {
        "profile": {"preset": "aria", "account": {"risk_per_trade": "0.05"}},
        "firm": "apex",
        "plan": "evaluation",
        "rulebook_version": "legacy",
        "account": {
            "id": "apex-50k",
            "phase": "evaluation",
            "size": 50000,
            "balance": 50000,
            "equity": 50000,
            "as_of": "2026-06-02T14:00:00Z",
            "peaks": {"intraday_equity": 50000},
            "positions": [HELD],
        },
        "instrument": "MNQ",
        "market": {"atr": "210", "atr_percentile": 50},
        "request": {"symbol": "MNQ", "side": "long", "entry": "19350", "stop": "19310"},
    }
    document["account"].update(copy.deepcopy(account))
    return document


def _limit(decision: Decision, name: str) -> Decimal:
    return next(limit.max_lots for limit in decision.limits if limit.name == name)


def test_a_trailing_floor_takes_every_open_swing_into_account() -> None:
    # Held: 2 lots × (19,450 − 19,250) × $2 = 800. The new trade's take-profit is the aria
    # preset's 2 R: 19,350 + 2 × 40 = 19,430, so it swings (19,430 − 19,310) × $2 = 240 a lot.
    # (2,500 − 800) / 240 = 7.083 lots; its headroom alone would allow 26.25.
    decision = run(_apex())
    assert _limit(decision, "max_loss_swing") == D("7.08333333")
    assert _limit(decision, "max_loss_headroom") == D("26.25")
    assert (decision.status, decision.lots, decision.binding) == ("approved", 7, "max_loss_swing")
    assert decision.swing_amount == 7 * D(240)
    assert decision.take_profit == D(19430)


def test_an_open_position_without_a_take_profit_leaves_no_swing() -> None:
    held = {k: v for k, v in HELD.items() if k != "take_profit"}
    decision = run(_apex(positions=[held]))
    assert decision.reject_codes == ["max_loss_headroom"]
    assert decision.binding == "max_loss_swing"
    # The new trade has a take-profit: the open MNQ position without one leaves no swing.
    assert decision.take_profit is not None
    assert _limit(decision, "max_loss_swing") == 0


def test_a_trade_without_a_take_profit_cannot_be_sized_against_a_trailing_floor() -> None:
    document = _apex(positions=[])
    document["profile"]["account"]["stops"] = {"min_rr": None}
    decision = run(document)
    assert decision.take_profit is None
    assert decision.reject_codes == ["max_loss_headroom"]
    assert _limit(decision, "max_loss_swing") == 0


def test_a_floor_that_locked_no_longer_follows_equity() -> None:
    # Apex PA locks at initial + 100: with a peak of 53,000 the floor would be 50,500, so it
    # sits at the lock, 50,100, and trades are sized by headroom alone.
    document = _apex(phase="funded", balance=53000, equity=53000, peaks={"intraday_equity": 53000})
    document["plan"] = "pa"
    document["account"]["phase"] = "pa"
    decision = run(document)
    assert not any(limit.name == "max_loss_swing" for limit in decision.limits)


def test_a_daily_floor_anchored_on_equity_at_the_reset_has_a_swing_budget() -> None:
    # FundingPips 2-Step: the day's floor hangs from max(balance, equity) at the reset, 5 % of
    # it. An open EURUSD long swings (1.1150 − 1.0950) × 100,000 = 2,000 of the 5,000.
    document = {
        "profile": {"preset": "aria", "account": {"risk_per_trade": "0.02"}},
        "firm": "fundingpips",
        "plan": "2-step",
        "account": {
            "phase": "phase-1",
            "size": 100000,
            "balance": 100000,
            "as_of": "2026-06-02T14:00:00Z",
            "day_start": {"balance": 100000},
            "positions": [
                {
                    "symbol": "EURUSD",
                    "side": "long",
                    "lots": "1",
                    "entry": "1.1000",
                    "stop": "1.0950",
                    "take_profit": "1.1150",
                }
            ],
        },
        "instrument": "GBPUSD",
        "market": {"atr_percentile": 50, "rates": {"GBPUSD": "1.27"}},
        "request": {"symbol": "GBPUSD", "side": "long", "entry": "1.2700", "stop": "1.2600"},
    }
    decision = run(document)
    # GBPUSD: stop 100 pips (1,000 a lot), take-profit 2 R: swings 3,000 a lot; 3,000 / 3,000
    # allows 1 lot where 2 % of equity would take 2.
    assert _limit(decision, "daily_loss_swing") == D(1)
    assert decision.binding == "daily_loss_swing"
    assert decision.lots == 1


SWING_PLANS = [
    ("fundingpips", "2-step", "phase-1", 100000, "EURUSD", "1.1000", "0.0001"),
    ("the5ers", "high-stakes", "phase-1", 100000, "GBPUSD", "1.2700", "0.0001"),
    ("apex", "evaluation", "evaluation", 50000, "MNQ", "19350", "0.25"),
]


@st.composite
def swing_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Accounts at firms whose floors follow equity, with open trades and large risk."""
    firm, plan, phase, size, symbol, price, tick = draw(st.sampled_from(SWING_PLANS))
    entry = D(price)
    step = D(tick)
    positions = []
    for _ in range(draw(st.integers(0, 3))):
        side = draw(st.sampled_from(["long", "short"]))
        sign = 1 if side == "long" else -1
        stop_ticks = draw(st.integers(20, 400))
        positions.append(
            {
                "symbol": symbol,
                "side": side,
                "lots": "1" if firm == "apex" else str(draw(st.sampled_from(["0.1", "0.5"]))),
                "entry": str(entry),
                "price": str(entry + sign * step * draw(st.integers(-10, 30))),
                "stop": str(entry - sign * step * stop_ticks),
                "take_profit": str(entry + sign * step * stop_ticks * draw(st.integers(1, 3))),
            }
        )
    side = draw(st.sampled_from(["long", "short"]))
    sign = 1 if side == "long" else -1
    balance = size + draw(st.integers(-2000, 4000))
    return {
        "profile": {
            "preset": "aria",
            "account": {
                "risk_per_trade": draw(st.sampled_from(["0.02", "0.05", "0.2"])),
                "stops": {"min_rr": draw(st.sampled_from([1, 2, 3]))},
            },
        },
        "firm": firm,
        "plan": plan,
        "account": {
            "phase": phase,
            "size": size,
            "balance": balance,
            "equity": balance + draw(st.integers(-500, 500)),
            "as_of": "2026-06-02T14:00:00Z",
            "peaks": {"intraday_equity": balance + draw(st.integers(500, 3000))},
            "day_start": {"balance": balance, "equity": balance + draw(st.integers(0, 900))},
            "positions": positions,
        },
        "instrument": symbol,
        "market": {"atr_percentile": 50, "rates": {"GBPUSD": "1.27", "EURUSD": "1.10"}},
        "request": {
            "symbol": symbol,
            "side": side,
            "entry": str(entry),
            "stop": str(entry - sign * step * draw(st.integers(20, 400))),
        },
    }


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(swing_scenarios())
def test_every_open_swing_and_the_new_one_fit_the_floors_amount(document: dict[str, Any]) -> None:
    decision = run(document)
    if not decision.approved:
        return
    inputs = inputs_of(document)
    held = value_book(
        inputs.state.positions,
        inputs.instruments,
        inputs.market.rates,
        inputs.account.currency,
        inputs.rules,
        inputs.profile,
    )
    room = headroom_of(inputs, held)
    budgets = swing_budgets(inputs.rules, inputs.day, room)
    assert budgets
    for floor, amount in budgets:
        assert decision.swing_amount is not None
        used = sum((h.swing for h in held if h.swing is not None), D(0))
        assert used + decision.swing_amount <= amount - room.buffer, floor
