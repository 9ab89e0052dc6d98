"""Value builders shared by the tests: aware times, and sizing scenarios decided through the
real pipeline (documents as dicts, as a client writes them)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from aria.sizing.decision import Decision
from aria.sizing.inputs import DecisionInputs
from aria.sizing.instruments import load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from firms.catalog import load_catalog

# Loaded once for the whole run: both are immutable.
CATALOG = load_catalog()
INSTRUMENTS = load_instruments()


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


# A crypto-like instrument with a fine lot step, so that notional amounts are not rounded away
# and the seed documents' worked numbers can be checked exactly.
FINE = {
    "symbol": "FINE",
    "kind": "spot",
    "asset_class": "crypto",
    "quote": "USD",
    "contract_size": 1,
    "tick_size": 0.01,
    "lot_step": 0.00000001,
    "min_lot": 0.00000001,
    "max_lot": 1000000,
    "margin_rate": 1,
    "min_stop_ticks": 1,
}

NOW = "2026-06-01T12:00:00Z"


def scenario(**overrides: Any) -> dict[str, Any]:
    """A minimal valid scenario with no firm limits; keyword arguments replace top-level keys."""
    base: dict[str, Any] = {
        "profile": "aria",
        "rules": {"name": "No firm limits"},
        "account": {"balance": 10000, "as_of": NOW},
        "instrument": copy.deepcopy(FINE),
        "market": {},
        "request": {"symbol": "FINE", "side": "long", "entry": 100, "stop": 95},
    }
    base.update(copy.deepcopy(overrides))
    return base


def inputs_of(document: dict[str, Any]) -> DecisionInputs:
    """Build the pipeline's inputs from a scenario document."""
    return load_scenario(document, CATALOG, INSTRUMENTS)


def run(document: dict[str, Any]) -> Decision:
    """Decide a scenario document."""
    return decide(inputs_of(document))
