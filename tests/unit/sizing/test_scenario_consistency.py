"""A scenario sizes the request's own instrument, on positive equity, with a stable hash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aria.sizing.errors import ScenarioError
from aria.sizing.inputs import input_hash, recorded_input_hash
from tests.builders import FINE, inputs_of, run, scenario

ROOT = Path(__file__).resolve().parents[3]


def gold_for_eurusd() -> dict[str, Any]:
    """The reported case: a EURUSD request in a scenario whose instrument is gold."""
    return scenario(
        instrument="XAUUSD",
        request={"symbol": "EURUSD", "side": "long", "entry": "1.0850", "stop": "1.0800"},
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (gold_for_eurusd(), "request.symbol: EURUSD is not the scenario's instrument XAUUSD"),
        (
            scenario(instrument={**FINE, "symbol": "OTHER"}),
            "request.symbol: FINE is not the scenario's instrument OTHER",
        ),
        (
            scenario(instruments=[{**FINE, "tick_size": 1}]),
            "instruments.0: a second, different spec of FINE",
        ),
        (
            scenario(instruments=[{**FINE, "symbol": "X2"}, {**FINE, "symbol": "x2"}]),
            "instruments.1.symbol: X2 is given twice",
        ),
    ],
)
def test_a_request_for_another_instrument_is_refused(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError) as raised:
        run(document)
    assert message in str(raised.value)


def test_a_matching_symbol_in_any_case_still_decides() -> None:
    document = scenario(instruments=[dict(FINE)])  # the same spec again is harmless
    document["request"]["symbol"] = "fine"
    assert run(document).approved


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ({"balance": 10000, "equity": 0}, "account: equity is 0: a trade can only be sized"),
        ({"balance": 10000, "equity": -250}, "account: equity is -250"),
        ({"balance": 0, "size": 10000}, "account: balance (the equity by default) is 0"),
        ({"balance": 0, "equity": 50}, "account: size: give the initial balance"),
    ],
)
def test_no_equity_is_invalid_input(account: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        inputs_of(scenario(account=account))
    assert message in str(raised.value)


def test_zero_balance_with_equity_and_a_size_still_decides() -> None:
    decision = run(scenario(account={"balance": 0, "equity": 10000, "size": 10000}))
    assert decision.status in {"approved", "rejected"}


def two_symbol_book() -> dict[str, Any]:
    """A scenario holding positions in several symbols, with rates and correlations."""
    positions = [
        {"symbol": s, "side": "long", "lots": "0.1", "entry": p, "price": p, "stop": st}
        for s, p, st in (
            ("GBPUSD", "1.2700", "1.2600"),
            ("USDJPY", "150.00", "149.00"),
            ("XAUUSD", "2300", "2250"),
            ("AUDUSD", "0.6600", "0.6500"),
        )
    ]
    return scenario(
        account={"balance": 100000, "as_of": "2026-06-01T12:00:00Z", "positions": positions},
        instrument="EURUSD",
        market={
            "atr": "0.0065",
            "rates": {"USDJPY": "150", "GBPUSD": "1.27"},
            "correlations": {"XAUUSD": "0.2", "GBPUSD": "0.78"},
        },
        request={"symbol": "EURUSD", "side": "long", "entry": "1.0850", "stop": "1.0800"},
    )


def test_the_hash_does_not_depend_on_the_documents_key_order() -> None:
    document = two_symbol_book()
    reordered = json.loads(json.dumps(document))
    reordered["market"]["rates"] = dict(reversed(list(document["market"]["rates"].items())))
    reordered["market"]["correlations"] = dict(
        reversed(list(document["market"]["correlations"].items()))
    )
    reordered["account"]["positions"] = document["account"]["positions"]
    assert input_hash(inputs_of(document)) == input_hash(inputs_of(reordered))
    assert list(inputs_of(document).instruments) == sorted(inputs_of(document).instruments)


_HASH_SCRIPT = """
import json, sys
from aria.sizing.instruments import load_instruments
from aria.sizing.scenario import load_scenario
from firms.catalog import load_catalog
inputs = load_scenario(json.load(sys.stdin), load_catalog(), load_instruments())
print(inputs.input_hash())
"""


@pytest.mark.slow
def test_the_hash_is_the_same_under_every_hash_seed() -> None:
    text = json.dumps(two_symbol_book())
    hashes = set()
    for seed in ("0", "1", "2", "3", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            timeout=120,
        )
        hashes.add(done.stdout.strip())
    assert len(hashes) == 1, hashes


def test_mappings_gathered_in_another_order_hash_alike() -> None:
    inputs = inputs_of(two_symbol_book())
    assert len(inputs.instruments) > 2
    assert len(inputs.market.rates) == 2
    shuffled = inputs.model_copy(
        update={
            "instruments": dict(reversed(list(inputs.instruments.items()))),
            "market": inputs.market.model_copy(
                update={
                    "rates": dict(reversed(list(inputs.market.rates.items()))),
                    "correlations": dict(reversed(list(inputs.market.correlations.items()))),
                }
            ),
        }
    )
    assert input_hash(shuffled) == input_hash(inputs)
    assert recorded_input_hash(shuffled) != recorded_input_hash(inputs)  # the order was hashed
