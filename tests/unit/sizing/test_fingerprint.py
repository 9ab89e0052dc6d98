"""The input fingerprint built from parts computed once per object equals the one computed
from scratch (the whole model's JSON), for random inputs."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic_core import to_json

from accounts.cash import CashLedger
from aria.audit.record import record_of
from aria.service.sessions import session_calendar
from aria.sizing import inputs as inputs_module
from aria.sizing.inputs import (
    _HASH_VERSION,
    _OWN,
    LISTED_PARTS,
    OWN_PARTS,
    SHARED_PARTS,
    DecisionInputs,
    Exposure,
    MarketSnapshot,
    OtherAccount,
    _ByContent,
    fingerprint,
    input_hash,
    own_json,
    part_refs,
    recorded_input_hash,
    shared_part,
)
from aria.sizing.pipeline import decide
from tests.builders import inputs_of
from tests.strategies import fanouts, scenarios

D = Decimal


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def reference_own_json(inputs: DecisionInputs) -> str:
    """The own parts' JSON as first written: each field serialised, then the fields that came
    after records were written left out while unset (the rules as they were then)."""
    data: dict[str, Any] = {
        name: TypeAdapter(cast(Any, DecisionInputs.model_fields[name].annotation)).dump_python(
            getattr(inputs, name), mode="json"
        )
        for name in OWN_PARTS
    }
    if data.get("cash", 0) is None:
        data.pop("cash")
    account = data.get("account")
    if isinstance(account, dict) and account.get("household", 0) is None:
        account.pop("household")
    if isinstance(account, dict) and account.get("symbol_aliases", 0) in ({}, None):
        account.pop("symbol_aliases")
    if data.get("best_day_windows", 0) in ((), []):
        data.pop("best_day_windows")
    for name in ("recent_closed_trades", "risk_violations"):
        if name in data and not data[name]:
            data.pop(name)
    if data.get("news", 1) in ((), []):
        data.pop("news")
    if data.get("calendar", 0) is None:
        data.pop("calendar")
    return to_json(data).decode()


def reference_hash(inputs: DecisionInputs) -> str:
    """The recorded input hash as first written: every part serialised again, nothing kept."""
    lines = [_HASH_VERSION]
    for name in SHARED_PARTS:
        lines.append(f"{name}:{_digest(getattr(inputs, name).model_dump_json())}")
    for name in LISTED_PARTS:
        digests = [_digest(part.model_dump_json()) for part in getattr(inputs, name)]
        lines.append(f"{name}:{','.join(digests)}")
    lines.append(reference_own_json(inputs))
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
    assert own_json(inputs) == reference_own_json(inputs) == inputs.model_dump_json(include=_OWN)
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
    assert record.own_json == reference_own_json(inputs)
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


def test_inputs_with_rates_out_of_order_are_put_in_order_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ordered copy is made once per inputs object, not on every hash of it."""
    document: dict[str, Any] = {
        "rules": {"name": "x"},
        "account": {"balance": "1000", "as_of": "2026-06-01T12:00:00Z"},
        "instrument": "EURUSD",
        "request": {"symbol": "EURUSD", "side": "long", "entry": "1.1000", "stop": "1.09"},
    }
    base = inputs_of(document)
    rates = {"USDJPY": Decimal("150"), "EURUSD": Decimal("1.1")}  # out of key order
    inputs = base.model_copy(update={"market": base.market.model_copy(update={"rates": rates})})
    ordered = base.model_copy(
        update={"market": base.market.model_copy(update={"rates": dict(sorted(rates.items()))})}
    )
    copies: list[DecisionInputs] = []
    real = inputs_module.canonical_inputs

    def counted(value: DecisionInputs) -> DecisionInputs:
        copies.append(value)
        return real(value)

    monkeypatch.setattr(inputs_module, "canonical_inputs", counted)
    first = input_hash(inputs)
    assert input_hash(inputs) == first == reference_hash(ordered)
    assert len(copies) == 1


def _sibling(**changes: Any) -> OtherAccount:
    values: dict[str, Any] = {
        "id": "acct-2",
        "firm": "ftmo",
        "phase_kind": "evaluation",
        "size": D("100000"),
        "positions": (Exposure(symbol="EURUSD", side="long"),),
        "signal_order": 1,
    }
    return OtherAccount(**(values | changes))


def test_a_sibling_rebuilt_for_each_request_is_recognised_by_its_content() -> None:
    first, again = _sibling(), _sibling()
    assert first is not again
    assert shared_part(again) == shared_part(first)
    assert shared_part(again)[0] is shared_part(first)[0]  # kept, not serialised again


@pytest.mark.parametrize(
    "changes",
    [
        {"size": D("100000.0")},  # the same amount, written differently
        {"signal_order": 2},
        {"same_signal": True},
        {"strategy": "trend"},
        {"positions": (Exposure(symbol="EURUSD", side="short"),)},
        {"positions": ()},
        {"phase_kind": "funded"},
    ],
)
def test_a_changed_sibling_is_serialised_again(changes: dict[str, Any]) -> None:
    before, after = _sibling(), _sibling(**changes)
    shared_part(before)
    assert shared_part(after)[0] == after.model_dump_json() != before.model_dump_json()
    assert shared_part(after)[1] == _digest(after.model_dump_json())


def test_a_market_at_the_same_instant_written_in_another_zone_is_serialised_again() -> None:
    at = dt.datetime(2026, 6, 2, 12, 0, tzinfo=dt.UTC)
    utc = MarketSnapshot(as_of=at, atr=D("0.0065"))
    shared_part(utc)
    zoned = MarketSnapshot(as_of=at.astimezone(dt.timezone(dt.timedelta(hours=2))), atr=D("0.0065"))
    assert zoned == utc  # equal values...
    assert shared_part(zoned)[0] == zoned.model_dump_json() != utc.model_dump_json()  # ...not alike


def test_parts_kept_by_content_are_bounded() -> None:
    kept = _ByContent(2)
    for order in range(5):
        sibling = _sibling(signal_order=order)
        assert kept.get(sibling)[0] == sibling.model_dump_json()
    assert len(kept._entries) == 2
