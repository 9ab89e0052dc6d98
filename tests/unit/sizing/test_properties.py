"""Invariants of ``decide`` over random valid scenarios (hypothesis)."""

from __future__ import annotations

import json
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aria.sizing.decision import Decision
from aria.sizing.exposure import value_book
from aria.sizing.inputs import (
    LISTED_PARTS,
    SHARED_PARTS,
    from_parts,
    input_hash,
    own_json,
    shared_part,
)
from aria.sizing.limits import swing_budgets
from aria.sizing.pipeline import headroom_of
from tests.builders import INSTRUMENTS, inputs_of, run
from tests.strategies import scenarios

D = Decimal


def _floor8(value: Decimal) -> Decimal:
    return value.quantize(D("1e-8"), rounding=ROUND_FLOOR)


def _check(decision: Decision, document: dict[str, Any]) -> None:
    instrument = INSTRUMENTS.get(document["instrument"])
    if decision.status == "rejected":
        assert decision.lots == 0
        assert decision.reject_codes
        return
    assert decision.reject_codes == []
    assert decision.lots >= instrument.min_lot
    assert decision.lots % instrument.lot_step == 0
    assert decision.headroom is not None
    # The worst case — every open trade and this one at their stops — stays within headroom.
    assert decision.risk_amount <= decision.headroom.available
    for limit in decision.limits:
        assert decision.lots <= _floor8(limit.max_lots) or decision.lots <= limit.max_lots, (
            limit.name
        )
    # Rounding never rounds up past what was allowed.
    assert decision.lots <= decision.target_lots or decision.binding is not None
    # Floors that follow equity: every open swing and this one's fit in the floor's amount.
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
    for floor, amount in swing_budgets(inputs.rules, inputs.day, room):
        swings = [h.swing for h in held] + [r.swing for r in inputs.reservations]
        assert None not in swings, floor
        assert decision.swing_amount is not None, floor
        used = sum((s for s in swings if s is not None), D(0))
        assert used + decision.swing_amount <= amount - room.buffer, floor


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_size_exceeds_a_limit_or_the_headroom(document: dict[str, Any]) -> None:
    _check(run(document), document)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_same_scenario_always_gives_the_same_decision(document: dict[str, Any]) -> None:
    first, second = run(document), run(document)
    assert first == second
    assert first.input_hash == inputs_of(document).input_hash()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.sampled_from(["0.01", "0.02"]))
def test_a_changed_input_changes_the_hash(document: dict[str, Any], bump: str) -> None:
    before = inputs_of(document).input_hash()
    document["request"]["entry"] = str(D(document["request"]["entry"]) + D(bump))
    assume(
        D(document["request"]["entry"]) > D(document["request"]["stop"])
        or document["request"]["side"] == "short"
    )
    try:
        after = inputs_of(document).input_hash()
    except Exception:  # the bump may put a short's stop on the wrong side; that is not this test
        assume(False)
        raise
    assert before != after


def test_equal_amounts_written_differently_decide_alike() -> None:
    document = {
        "rules": {"name": "x"},
        "account": {"balance": "1000", "as_of": "2026-06-01T12:00:00Z"},
        "instrument": "EURUSD",
        "request": {"symbol": "EURUSD", "side": "long", "entry": "1.1000", "stop": "1.09"},
    }
    other = {
        **document,
        "account": {"balance": "1000.00", "as_of": "2026-06-01T14:00:00+02:00"},
        "request": {"symbol": "eurusd", "side": "long", "entry": "1.1", "stop": "1.0900"},
    }
    first, second = run(document), run(other)
    # the hash fingerprints the inputs as recorded; the decision depends only on their values
    assert first.model_dump(exclude={"input_hash"}) == second.model_dump(exclude={"input_hash"})


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_inputs_rebuilt_from_their_stored_parts_hash_alike(document: dict[str, Any]) -> None:
    inputs = inputs_of(document)
    shared: dict[str, Any] = {
        name: json.loads(shared_part(getattr(inputs, name))[0]) for name in SHARED_PARTS
    }
    for name in LISTED_PARTS:
        shared[name] = [json.loads(shared_part(part)[0]) for part in getattr(inputs, name)]
    rebuilt = from_parts(json.loads(own_json(inputs)), shared)
    assert rebuilt == inputs
    assert input_hash(rebuilt) == inputs.input_hash()
