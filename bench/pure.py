"""The pure pipeline: decisions per second on one core, per preset, one account at a time; and
the batch engine over a fan-out's book (10,000 accounts of 2,500 owners, a third holding a
position, with their siblings as the cross-account rules see them)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from accounts.model import Position, Side
from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.inputs import DecisionInputs, Exposure, OtherAccount
from aria.sizing.instruments import load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from bench.harness import Figure, rate, timed, value
from firms.catalog import load_catalog

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PRESETS = ("aria", "leveragebot", "orchestrator", "dynamic_risk", "spark")
INSTRUMENTS = load_instruments()


def _example(preset: str) -> DecisionInputs:
    document = json.loads((EXAMPLES / f"preset-{preset}.json").read_text())
    return load_scenario(document, load_catalog(), INSTRUMENTS)


def _accounts(preset: str, count: int) -> list[DecisionInputs]:
    """``count`` inputs of the preset's example, each account with its own id and equity."""
    base = _example(preset)
    equity = base.state.equity
    inputs = []
    for index in range(count):
        account = base.account.model_copy(update={"id": f"{base.account.id}-{index}"})
        state = base.state.model_copy(update={"equity": equity + Decimal(index % 97)})
        inputs.append(base.model_copy(update={"account": account, "state": state}))
    return inputs


def fanout(count: int, preset: str = "aria") -> list[DecisionInputs]:
    """One signal to ``count`` accounts, four to an owner, as the service would build them."""
    base = _example(preset)
    held = Position(
        symbol="GBPUSD",
        side=Side.LONG,
        lots=Decimal("0.5"),
        entry=Decimal("1.2650"),
        price=Decimal("1.2690"),
        stop=Decimal("1.2600"),
    )
    instruments = {"GBPUSD": INSTRUMENTS.get("GBPUSD")}
    market = base.market.model_copy(
        update={"rates": {**base.market.rates, "GBPUSD": Decimal("1.2690")}}
    )
    accounts = []
    for index in range(count):
        account = base.account.model_copy(
            update={"id": f"acct-{index:05d}", "owner": f"owner-{index // 4:05d}"}
        )
        positions = (held,) if index % 3 == 0 else ()
        state = base.state.model_copy(
            update={"equity": base.state.equity + Decimal(index % 97), "positions": positions}
        )
        accounts.append((account, state))
    siblings = [
        OtherAccount(
            id=account.id,
            firm=account.firm,
            phase_kind=base.rules.phase.kind,
            size=account.initial_balance,
            rules=base.rules.cross_account,
            positions=tuple(Exposure(symbol=p.symbol, side=p.side) for p in state.positions),
            same_signal=True,
            signal_order=order,
        )
        for order, (account, state) in enumerate(accounts)
    ]
    return [
        base.model_copy(
            update={
                "account": account,
                "state": state,
                "instruments": instruments if state.positions else {},
                "market": market,
                "others": tuple(
                    s
                    for s in siblings[order - order % 4 : order - order % 4 + 4]
                    if s.id != account.id
                ),
                "signal_order": order,
            }
        )
        for order, (account, state) in enumerate(accounts)
    ]


def run(quick: bool) -> list[Figure]:
    """Figures ``pure.decisions_per_s.<preset>``, ``pure.batch_decisions_per_s.<N>`` and the
    cost of preparing a book, ``pure.batch_prepare_us_per_account.<N>``."""
    figures = []
    per_trial = 200 if quick else 1000
    for preset in PRESETS:
        inputs = _accounts(preset, per_trial)

        def trial(inputs: list[DecisionInputs] = inputs) -> None:
            for item in inputs:
                decide(item)

        samples = timed(trial, repeat=3 if quick else 10)
        figures.append(rate(f"pure.decisions_per_s.{preset}", per_trial, samples))
    for count in (1000,) if quick else (1000, 10_000):
        inputs = fanout(count)
        signal = inputs[0]
        prepared = timed(lambda inputs=inputs: prepare(inputs), repeat=1 if quick else 3)
        figures.append(
            value(
                f"pure.batch_prepare_us_per_account.{count}",
                "us",
                [s / count * 1e6 for s in prepared],
            )
        )
        book = prepare(inputs)
        samples = timed(
            lambda book=book, signal=signal: decide_batch(
                book, signal.request, signal.instrument, signal.market
            ),
            repeat=5 if quick else 20,
        )
        figures.append(rate(f"pure.batch_decisions_per_s.{count}", count, samples))
        decided = decide_batch(book, signal.request, signal.instrument, signal.market)
        figures.append(
            value(f"pure.batch_by_scalar.{count}", "count", [float(decided.by_scalar.sum())])
        )
    return figures
