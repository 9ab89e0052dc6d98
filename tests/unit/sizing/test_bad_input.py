"""Invalid input is a clear error naming the field, and no decision."""

from __future__ import annotations

from typing import Any

import pytest

from aria.sizing.errors import InvalidRequest, ScenarioError
from tests.builders import inputs_of, run, scenario


def with_request(**changes: Any) -> dict[str, Any]:
    document = scenario()
    document["request"].update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (with_request(entry="NaN"), "request.entry: must be a finite number"),
        (with_request(entry="Infinity"), "request.entry: must be a finite number"),
        (with_request(entry=0), "request.entry: must be greater than zero"),
        (with_request(entry=-5), "request.entry: must be greater than zero"),
        (with_request(stop=0), "request.stop: must be greater than zero"),
        (with_request(stop=105), "the stop of a long must be below the entry (100)"),
        (with_request(side="short", stop=95), "the stop of a short must be above the entry (100)"),
        (with_request(take_profit=90), "the take-profit of a long must be above the entry"),
        (with_request(side="sideways"), "request.side"),
        (with_request(confidence="1.5"), "request.confidence"),
        (with_request(stop=None, stop_atr_multiple=2), "no ATR"),
        (scenario(firm="nofirm", plan="x", rules=None), "unknown firm 'nofirm'"),
        (scenario(firm="ftmo", plan="9-step", rules=None), "has no plan 9-step"),
        (scenario(instrument="NOPE"), "unknown instrument 'NOPE'"),
        (scenario(profile="yolo"), "unknown sizing preset 'yolo'"),
        (scenario(account={"balance": "nan"}), "account.balance: must be a finite number"),
        (scenario(account={"balance": 1000, "equity": "inf"}), "account.equity"),
        (scenario(market={"atr": -1}), "market.atr"),
        (scenario(market={"rates": {"GBPUSD": 0}}), "market.rates.GBPUSD"),
        (
            scenario(market={"bars": {"high": [1, 2], "low": [1, "nan"], "close": [1, 2]}}),
            "market.bars",
        ),
        (scenario(instrument={"symbol": "X"}), "instrument.kind: Field required"),
        (scenario(surprise=1), "surprise: unknown field"),
        (scenario(firm="ftmo", plan="2-step"), "not both"),
    ],
)
def test_bad_input_is_a_clear_error(document: dict[str, Any], message: str) -> None:
    with pytest.raises((ScenarioError, InvalidRequest)) as raised:
        run(document)
    assert message in str(raised.value)


def test_a_good_scenario_still_decides() -> None:
    assert run(scenario()).approved


def test_inputs_carry_no_decision_when_invalid() -> None:
    with pytest.raises(ScenarioError):
        inputs_of(with_request(entry="NaN"))
