"""Entries a firm counts as one trade are sized as one against its per-trade risk cap.

FundingPips counts positions opened on one symbol in one direction within 5 minutes of each
other as one trade for its Master-account rule ("your biggest loss should not exceed 3% of
your account size"). Each case is decided by the scalar pipeline and by the fan-out, which
must agree.

The account: a FundingPips 2-Step Master account of 100,000 at a balance of 100,000, so the
cap is 3% of 100,000 = 3,000. The open position: 1 lot of EURUSD long at 1.1000 with its stop
at 1.0950, which risks 0.0050 × 100,000 = 500 to its stop. The new entry: EURUSD long at
1.1000 with its stop at 1.0900, a loss of 0.0100 × 100,000 = 1,000 a lot. Take-profits are
near, so the swing budgets of the daily floor never bind before the per-trade cap.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import Decision
from aria.sizing.pipeline import decide
from tests.builders import inputs_of
from tests.strategies import family

D = Decimal
NOW = dt.datetime(2026, 6, 2, 14, 0, tzinfo=dt.UTC)


def _at(seconds_before: int) -> str:
    return (NOW - dt.timedelta(seconds=seconds_before)).isoformat()


def position(side: str = "long", opened: int | None = 180, **fields: Any) -> dict[str, Any]:
    """The open EURUSD lot, opened ``opened`` seconds before the request (None: unknown)."""
    stop, take_profit = ("1.0950", "1.1010") if side == "long" else ("1.1050", "1.0990")
    found: dict[str, Any] = {
        "id": "p1",
        "symbol": "EURUSD",
        "side": side,
        "lots": "1",
        "entry": "1.1000",
        "stop": stop,
        "take_profit": take_profit,
        **fields,
    }
    if opened is not None:
        found["opened_at"] = _at(opened)
    return found


def document(*positions: dict[str, Any], plan: str = "2-step") -> dict[str, Any]:
    """A new EURUSD long on a FundingPips Master account holding ``positions``."""
    return {
        # Half the equity at risk: a target far above the per-trade cap.
        "profile": {"preset": "aria", "account": {"risk_per_trade": "0.5"}},
        "firm": "fundingpips",
        "plan": plan,
        "now": NOW.isoformat(),
        "account": {
            "phase": "funded",
            "size": 100000,
            "balance": 100000,
            "as_of": NOW.isoformat(),
            "day_start": {"balance": 100000},
            "positions": list(positions),
        },
        "instrument": "EURUSD",
        "market": {"atr_percentile": 50},
        "request": {
            "symbol": "EURUSD",
            "side": "long",
            "entry": "1.1000",
            "stop": "1.0900",
            "take_profit": "1.1010",
        },
    }


def both(doc: dict[str, Any]) -> Decision:
    """The pipeline's decision, after checking the fan-out decides the account alike."""
    inputs = family([inputs_of(doc)], None)
    decision = decide(inputs[0])
    batch = decide_batch(prepare(inputs), inputs[0].request, inputs[0].instrument, inputs[0].market)
    assert batch.summary(0) == (
        decision.status,
        decision.lots,
        tuple(decision.reject_codes),
        decision.binding,
    )
    return decision


def per_trade(decision: Decision) -> tuple[Decimal, str]:
    found = [c for c in decision.limits if c.name == "max_risk_per_trade"]
    assert len(found) == 1
    return found[0].max_lots, found[0].reason


def test_an_entry_3_minutes_after_another_is_sized_as_one_trade_with_it() -> None:
    decision = both(document(position(opened=180)))
    # (3,000 − 500) / 1,000 a lot = 2.5 lots, where the new entry alone could have 3.
    lots, reason = per_trade(decision)
    assert lots == D("2.5")
    assert decision.binding == "max_risk_per_trade"
    assert decision.lots == D("2.5")
    assert "p1" in reason
    assert "500.00" in reason


def test_an_entry_6_minutes_after_another_is_a_trade_of_its_own() -> None:
    decision = both(document(position(opened=360)))
    # 3,000 / 1,000 a lot = 3 lots: the earlier position is outside the 300 s window.
    lots, reason = per_trade(decision)
    assert lots == D(3)
    assert decision.lots == D(3)
    assert "p1" not in reason


def test_an_opposite_position_is_not_part_of_the_trade() -> None:
    # FundingPips forbids hedging within an account: the hedge gate rejects, but the per-trade
    # cap is still the new entry's own, 3,000 / 1,000 = 3 lots.
    lots, reason = per_trade(decide(inputs_of(document(position("short", opened=180)))))
    assert lots == D(3)
    assert "p1" not in reason


def test_a_position_without_its_opening_time_counts_as_part_of_the_trade() -> None:
    # Whether it was opened within 5 minutes cannot be known: the safer reading counts it.
    decision = both(document(position(opened=None)))
    lots, reason = per_trade(decision)
    assert lots == D("2.5")
    assert "opened at an unknown time" in reason


def test_every_grouped_position_uses_the_cap() -> None:
    # 500 + 1,000 (2 lots at 500 each, opened 4 minutes ago): (3,000 − 1,500) / 1,000 = 1.5.
    second = position(opened=240, id="p2", lots="2")
    decision = both(document(position(opened=60), second))
    lots, reason = per_trade(decision)
    assert lots == D("1.5")
    assert decision.lots == D("1.5")
    assert "p1" in reason
    assert "p2" in reason
    assert "1,500.00" in reason


def test_a_position_on_another_symbol_is_not_part_of_the_trade() -> None:
    other = position(symbol="GBPUSD", entry="1.2700", stop="1.2650", take_profit="1.2710")
    lots, _ = per_trade(both(document(other)))
    assert lots == D(3)


def test_a_full_trade_leaves_no_room() -> None:
    # 6 lots risking 3,000 opened a minute ago: the cap is used, nothing is left for this entry.
    decision = both(document(position(opened=60, lots="6")))
    lots, _ = per_trade(decision)
    assert lots == D(0)
    assert decision.lots == D(0)
    assert decision.status == "rejected"


def test_a_pending_approval_on_the_symbol_and_side_is_part_of_the_trade() -> None:
    doc = document()
    doc["account"]["reservations"] = [
        {"decision_id": "d1", "amount": "800", "symbol": "EURUSD", "side": "long"},
        {"decision_id": "d2", "amount": "400", "symbol": "EURUSD", "side": "short"},
        {
            "decision_id": "d3",
            "amount": "0",
            "symbol": "EURUSD",
            "side": "long",
            "lots": "1",
            "reduce_only": True,
        },
    ]
    # Only d1 joins (d2 is the other side; d3 closes lots and risks nothing):
    # (3,000 − 800) / 1,000 = 2.2 lots.
    lots, reason = per_trade(both(doc))
    assert lots == D("2.2")
    assert "reservation d1" in reason
    assert "d2" not in reason
    assert "d3" not in reason


@pytest.mark.parametrize("known", [{}, {"symbol": "GBPUSD"}, {"side": "short"}])
def test_a_pending_approval_recorded_without_its_symbol_and_side_is_part_of_every_trade(
    known: dict[str, str],
) -> None:
    doc = document()
    doc["account"]["reservations"] = [{"decision_id": "d1", "amount": "800", **known}]
    # It may be on this symbol and side: (3,000 − 800) / 1,000 = 2.2 lots.
    lots, reason = per_trade(both(doc))
    assert lots == D("2.2")
    assert "reservation d1" in reason


def test_a_grouped_position_without_a_stop_leaves_no_room() -> None:
    unstopped = position()
    del unstopped["stop"], unstopped["take_profit"]
    lots, reason = per_trade(both(document(unstopped)))
    assert lots == D(0)
    assert "an unbounded loss" in reason
