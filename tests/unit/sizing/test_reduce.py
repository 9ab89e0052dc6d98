"""Reduce-only requests close what the position still has after earlier closes hold theirs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from aria.sizing.inputs import Reservation
from aria.sizing.pipeline import decide
from tests.builders import inputs_of, run, scenario

D = Decimal
SHORT = {"symbol": "FINE", "side": "short", "lots": 2, "entry": 100, "stop": 105}
CLOSE = {"symbol": "FINE", "side": "long", "entry": 100, "reduce_only": True}


def _close(
    reservations: list[dict[str, Any]], positions: list[dict[str, Any]] | None = None
) -> Any:
    account = {
        "balance": 10000,
        "as_of": "2026-06-01T12:00:00Z",
        "positions": [SHORT] if positions is None else positions,
        "reservations": reservations,
    }
    return run(scenario(account=account, request=CLOSE))


def _held(lots: str, **change: Any) -> dict[str, Any]:
    held = {
        "decision_id": f"close-{lots}",
        "amount": 0,
        "swing": 0,
        "symbol": "FINE",
        "side": "long",
        "lots": lots,
        "reduce_only": True,
        "expires_at": "2026-06-01T12:02:00Z",
    }
    held.update(change)
    return held


def test_without_earlier_closes_the_whole_position_is_closed() -> None:
    decision = _close([])
    assert decision.approved
    assert decision.lots == D(2)
    assert decision.risk_amount == 0


def test_earlier_reduce_only_reservations_are_subtracted() -> None:
    decision = _close([_held("0.5")])
    assert decision.approved
    assert decision.lots == D("1.5")
    assert decision.reject_codes == []
    assert decision.binding == "reduce_only"
    assert decision.reasons == [
        "0.5 of the 2 lots of short FINE are held by earlier reduce-only decisions",
        "reduces 1.5 lots of short FINE: exits are never blocked",
    ]
    assert _close([]).reasons == ["reduces 2 lots of short FINE: exits are never blocked"]


def test_nothing_left_to_close_is_a_reject_that_names_the_earlier_closes() -> None:
    earlier = ("close-first", "close-second")
    decision = _close([_held("1.5", decision_id=earlier[0]), _held("0.5", decision_id=earlier[1])])
    assert not decision.approved
    assert decision.lots == 0
    assert decision.reject_codes == ["nothing_to_reduce"]
    assert decision.binding is None
    assert all(any(d in reason for reason in decision.reasons) for d in earlier)


@pytest.mark.parametrize(
    "other",
    [
        {"symbol": "OTHER"},  # another symbol
        {"side": "short"},  # a close of a long position on the same symbol
        {"reduce_only": False, "amount": 50},  # risk held by an opening trade
        {"expires_at": "2026-06-01T11:59:59Z"},  # expired
    ],
)
def test_only_live_closes_of_the_same_position_count(other: dict[str, Any]) -> None:
    decision = _close([_held("2", **other)])
    assert decision.approved
    assert decision.lots == D(2)


def test_no_position_is_nothing_to_reduce() -> None:
    decision = _close([], positions=[])
    assert decision.reject_codes == ["nothing_to_reduce"]
    assert decision.lots == 0
    assert decision.base_lots == 0


def test_the_reservations_are_part_of_the_inputs_and_replay() -> None:
    account = {
        "balance": 10000,
        "as_of": "2026-06-01T12:00:00Z",
        "positions": [SHORT],
        "reservations": [_held("0.5")],
    }
    inputs = inputs_of(scenario(account=account, request=CLOSE))
    again = type(inputs).model_validate_json(inputs.model_dump_json())
    assert again.input_hash() == inputs.input_hash()
    assert decide(again) == decide(inputs)


def test_a_reservation_written_before_closes_were_held_hashes_as_it_did() -> None:
    old = Reservation(decision_id="d", amount=D(10))
    assert old.model_dump(mode="json") == {
        "decision_id": "d",
        "amount": "10",
        "expires_at": None,
        "swing": None,
    }


def test_a_reduce_only_reservation_names_what_it_closes() -> None:
    with pytest.raises(ValidationError, match="names its symbol, side and lots"):
        Reservation(decision_id="d", amount=D(0), reduce_only=True)


def test_only_the_requested_symbol_on_the_closing_side_is_closed() -> None:
    others = [
        SHORT,
        {**SHORT, "symbol": "OTHER", "lots": 5},  # another symbol on the closing side
        {**SHORT, "side": "long", "lots": 7, "stop": 95},  # the request's own side
    ]
    decision = _close([], positions=others)
    assert decision.approved
    assert decision.lots == D(2)
