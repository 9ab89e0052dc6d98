"""The pure pipeline: decisions per second on one core, per preset, one account at a time."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from aria.sizing.inputs import DecisionInputs
from aria.sizing.instruments import load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from bench.harness import Figure, rate, timed
from firms.catalog import load_catalog

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _accounts(preset: str, count: int) -> list[DecisionInputs]:
    """``count`` inputs of the preset's example, each account with its own id and equity."""
    document = json.loads((EXAMPLES / f"preset-{preset}.json").read_text())
    base = load_scenario(document, load_catalog(), load_instruments())
    equity = base.state.equity
    inputs = []
    for index in range(count):
        account = base.account.model_copy(update={"id": f"{base.account.id}-{index}"})
        state = base.state.model_copy(update={"equity": equity + Decimal(index % 97)})
        inputs.append(base.model_copy(update={"account": account, "state": state}))
    return inputs


def run(quick: bool) -> list[Figure]:
    """Figures ``pure.decisions_per_s.<preset>``."""
    figures = []
    per_trial = 200 if quick else 1000
    for preset in ("aria", "leveragebot", "orchestrator", "dynamic_risk", "spark"):
        inputs = _accounts(preset, per_trial)

        def trial(inputs: list[DecisionInputs] = inputs) -> None:
            for item in inputs:
                decide(item)

        samples = timed(trial, repeat=3 if quick else 10)
        figures.append(rate(f"pure.decisions_per_s.{preset}", per_trial, samples))
    return figures
