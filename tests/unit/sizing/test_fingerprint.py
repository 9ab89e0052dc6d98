"""The input fingerprint built from parts computed once per object equals the one computed
from scratch (the whole model's JSON), for random inputs."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.cash import CashLedger
from aria.audit.record import record_of
from aria.service.sessions import session_calendar
from aria.sizing.inputs import (
    _HASH_VERSION,
    _OWN,
    LISTED_PARTS,
    SHARED_PARTS,
    DecisionInputs,
    fingerprint,
    input_hash,
    own_json,
    part_refs,
    recorded_input_hash,
)
from aria.sizing.pipeline import decide
from tests.builders import inputs_of
from tests.strategies import fanouts, scenarios

D = Decimal


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def reference_hash(inputs: DecisionInputs) -> str:
    """The recorded input hash as first written: every part serialised again, nothing kept."""
    lines = [_HASH_VERSION]
    for name in SHARED_PARTS:
        lines.append(f"{name}:{_digest(getattr(inputs, name).model_dump_json())}")
    for name in LISTED_PARTS:
        digests = [_digest(part.model_dump_json()) for part in getattr(inputs, name)]
        lines.append(f"{name}:{','.join(digests)}")
    lines.append(inputs.model_dump_json(include=_OWN))
    return _digest("\n".join(lines))


# Text a JSON encoder must escape, or may write raw: quotes, backslashes, controls, non-ASCII.
_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


@st.composite
def varied(draw: st.DrawFn, inputs: DecisionInputs) -> DecisionInputs:
    """``inputs`` with the own parts ``DecisionInputs`` leaves out while unset set or not."""
    account = inputs.account.model_copy(
        update={
            "label": draw(_TEXT),
            "household": draw(st.none() | st.just("house-1")),
            "symbol_aliases": draw(st.sampled_from([{}, {"US30.CASH": "US30"}])),
        }
    )
    update: dict[str, Any] = {"account": account}
    if draw(st.booleans()):
        update["cash"] = CashLedger(
            net=D(draw(st.integers(-5_000, 5_000))), payouts=draw(st.integers(0, 3))
        )
    if draw(st.booleans()):
        update["day"] = None
    if draw(st.booleans()):
        update["calendar"] = session_calendar(inputs.instrument, inputs.now)
    update["risk_violations"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        update["now"] = inputs.now.astimezone(dt.timezone(dt.timedelta(hours=2))).replace(
            microsecond=draw(st.integers(0, 999_999))
        )
    return inputs.model_copy(update=update)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), scenarios())
def test_the_fingerprint_equals_the_one_computed_from_scratch(
    data: st.DataObject, document: dict[str, Any]
) -> None:
    inputs = data.draw(varied(inputs_of(document)))
    assert own_json(inputs) == inputs.model_dump_json(include=_OWN)
    assert recorded_input_hash(inputs) == reference_hash(inputs)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(fanouts())
def test_a_fanout_s_fingerprints_equal_the_ones_computed_from_scratch(
    members: list[DecisionInputs],
) -> None:
    for inputs in members:
        assert recorded_input_hash(inputs) == reference_hash(inputs)
        assert input_hash(inputs) == inputs.input_hash()


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_record_keeps_the_texts_and_digests_the_hash_was_computed_from(
    document: dict[str, Any],
) -> None:
    inputs = inputs_of(document)
    decision = decide(inputs)
    record = record_of(decision, inputs, None, None)
    assert record.own_json == inputs.model_dump_json(include=_OWN)
    assert record.refs == part_refs(inputs)
    assert record.refs is fingerprint(inputs).refs  # computed once, not again for the record
    assert decision.input_hash == reference_hash(inputs)


def test_a_changed_account_is_serialised_again() -> None:
    document: dict[str, Any] = {
        "rules": {"name": "x"},
        "account": {"balance": "1000", "as_of": "2026-06-01T12:00:00Z"},
        "instrument": "EURUSD",
        "request": {"symbol": "EURUSD", "side": "long", "entry": "1.1000", "stop": "1.09"},
    }
    inputs = inputs_of(document)
    renamed = inputs.model_copy(
        update={"account": inputs.account.model_copy(update={"label": "renamed"})}
    )
    assert '"label":"renamed"' in own_json(renamed)
    assert '"label":"renamed"' not in own_json(inputs)
    assert recorded_input_hash(renamed) == reference_hash(renamed) != reference_hash(inputs)
    # the same account object in other inputs: its text is reused, the rest is not
    later = inputs.model_copy(update={"now": inputs.now + dt.timedelta(seconds=1)})
    assert own_json(later) == later.model_dump_json(include=_OWN) != own_json(inputs)
