"""The pure pipeline: decisions per second on one core, per preset, one account at a time; and
the batch engine over a fan-out's book (10,000 accounts of 2,500 owners, a third holding a
position, with their siblings as the cross-account rules see them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from accounts.model import Position, Side
from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.inputs import DecisionInputs, Exposure, OtherAccount
from aria.sizing.instruments import load_instruments
from aria.sizing.pipeline import decide
from aria.sizing.scenario import load_scenario
from bench.anchors import nautilus
from bench.harness import Anchor, Figure, anchored, interleaved, latency, rate, value
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


def repeated(anchor: Anchor | None, times: int) -> Anchor | None:
    """The anchor called ``times`` times in a row (to set beside a trial of as many units)."""
    if anchor is None:
        return None

    def calls(call: Callable[[], object] = anchor.call) -> None:
        for _ in range(times):
            call()

    return Anchor(anchor.name, calls)


HELD = ("GBPUSD", "AUDUSD", "NZDUSD")


def with_positions(count: int, per_trial: int) -> list[DecisionInputs]:
    """``per_trial`` accounts of the ``aria`` example, each holding ``count`` small positions."""
    base = _example("aria")
    rates = {"GBPUSD": Decimal("1.2690"), "AUDUSD": Decimal("0.6620"), "NZDUSD": Decimal("0.6010")}
    entries = {"GBPUSD": "1.2650", "AUDUSD": "0.6600", "NZDUSD": "0.6000"}
    positions = tuple(
        Position(
            symbol=HELD[index % len(HELD)],
            side=Side.LONG,
            lots=Decimal("0.01"),
            entry=Decimal(entries[HELD[index % len(HELD)]]),
            price=rates[HELD[index % len(HELD)]],
            stop=Decimal(entries[HELD[index % len(HELD)]]) - Decimal("0.0050"),
        )
        for index in range(count)
    )
    market = base.market.model_copy(update={"rates": {**base.market.rates, **rates}})
    instruments = {symbol: INSTRUMENTS.get(symbol) for symbol in HELD} if count else {}
    inputs = []
    for index in range(per_trial):
        account = base.account.model_copy(update={"id": f"{base.account.id}-{index}"})
        state = base.state.model_copy(
            update={"equity": base.state.equity + Decimal(index % 97), "positions": positions}
        )
        inputs.append(
            base.model_copy(
                update={
                    "account": account,
                    "state": state,
                    "market": market,
                    "instruments": instruments,
                }
            )
        )
    return inputs


def _decide_all(inputs: list[DecisionInputs]) -> Callable[[], None]:
    def trial() -> None:
        for item in inputs:
            decide(item)

    return trial


def run(quick: bool) -> list[Figure]:
    """Figures ``pure.decisions_per_s.<preset>``, ``pure.decision_us.positions.<K>``, the
    batch engine's ``pure.batch_decisions_per_s.<N>``, the cost of preparing a book,
    ``pure.batch_prepare_us_per_account.<N>``, and both together,
    ``pure.batch_end_to_end_us_per_account.<N>``; each beside NautilusTrader's sizer."""
    figures = []
    anchor = nautilus()
    per_trial = 200 if quick else 1000
    rounds = 3 if quick else 10
    for preset in PRESETS:
        samples, anchor_s, ratios = interleaved(
            _decide_all(_accounts(preset, per_trial)), repeated(anchor, per_trial), rounds
        )
        figures.append(
            anchored(
                rate(f"pure.decisions_per_s.{preset}", per_trial, samples),
                anchor,
                [a / per_trial for a in anchor_s],
                ratios,
            )
        )
    per_position_trial = 100 if quick else 500
    for count in (0, 5, 20, 50):
        samples, anchor_s, ratios = interleaved(
            _decide_all(with_positions(count, per_position_trial)),
            repeated(anchor, per_position_trial),
            rounds,
        )
        figures.append(
            anchored(
                latency(
                    f"pure.decision_us.positions.{count}",
                    [s / per_position_trial for s in samples],
                    unit="us",
                ),
                anchor,
                [a / per_position_trial for a in anchor_s],
                ratios,
            )
        )
    for count in (1000,) if quick else (1000, 10_000):
        inputs = fanout(count)
        signal = inputs[0]
        batch_rounds = 1 if quick else 3
        prepared, anchor_s, ratios = interleaved(
            lambda inputs=inputs: prepare(inputs),
            repeated(anchor, count),
            batch_rounds,
            warmup=0,
        )
        figures.append(
            anchored(
                value(
                    f"pure.batch_prepare_us_per_account.{count}",
                    "us",
                    [s / count * 1e6 for s in prepared],
                ),
                anchor,
                [a / count for a in anchor_s],
                ratios,
            )
        )
        book = prepare(inputs)
        samples, anchor_s, ratios = interleaved(
            lambda book=book, signal=signal: decide_batch(
                book, signal.request, signal.instrument, signal.market
            ),
            repeated(anchor, count),
            5 if quick else 20,
        )
        figures.append(
            anchored(
                rate(f"pure.batch_decisions_per_s.{count}", count, samples),
                anchor,
                [a / count for a in anchor_s],
                ratios,
            )
        )

        def end_to_end(
            inputs: list[DecisionInputs] = inputs, signal: DecisionInputs = signal
        ) -> None:
            book = prepare(inputs)
            decide_batch(book, signal.request, signal.instrument, signal.market)

        samples, anchor_s, ratios = interleaved(
            end_to_end, repeated(anchor, count), batch_rounds, warmup=0
        )
        figures.append(
            anchored(
                value(
                    f"pure.batch_end_to_end_us_per_account.{count}",
                    "us",
                    [s / count * 1e6 for s in samples],
                ),
                anchor,
                [a / count for a in anchor_s],
                ratios,
            )
        )
        decided = decide_batch(book, signal.request, signal.instrument, signal.market)
        figures.append(
            value(f"pure.batch_by_scalar.{count}", "count", [float(decided.by_scalar.sum())])
        )
    return figures
