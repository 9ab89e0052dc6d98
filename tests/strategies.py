"""Hypothesis strategies for sizing tests: random valid scenarios and fan-outs of them."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from aria.sizing.inputs import DecisionInputs, Exposure, OtherAccount
from aria.sizing.profiles import preset_names
from tests.builders import CATALOG, INSTRUMENTS, inputs_of, scenario

D = Decimal
USD_SYMBOLS = [
    "EURUSD",
    "GBPUSD",
    "XAUUSD",
    "US500",
    "ES",
    "MES",
    "NQ",
    "CL",
    "BTCUSD",
    "USDJPY",
    "EURGBP",
]
PRICES = {
    "EURUSD": 1.1,
    "GBPUSD": 1.27,
    "XAUUSD": 2400,
    "US500": 5000,
    "ES": 5000,
    "MES": 5000,
    "NQ": 18000,
    "CL": 80,
    "BTCUSD": 60000,
    "USDJPY": 150,
    "EURGBP": 0.85,
}
RULES = [
    (f.id, p.id, p.rulebook_version, [ph.id for ph in p.phases], p.sizes)
    for f, p in CATALOG.plans()
]


def _price(symbol: str, scale: float) -> str:
    return str(D(repr(PRICES[symbol] * scale)).quantize(D("0.00001")))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    firm, plan, version, phases, sizes = draw(st.sampled_from(RULES))
    size = draw(st.sampled_from(sizes))
    balance = D(size) * D(draw(st.integers(min_value=96, max_value=112))) / 100
    equity = balance + D(size) * D(draw(st.integers(min_value=-3, max_value=3))) / 100
    symbol = draw(st.sampled_from(USD_SYMBOLS))
    side = draw(st.sampled_from(["long", "short"]))
    entry = D(_price(symbol, draw(st.floats(min_value=0.8, max_value=1.2))))
    stop_fraction = D(repr(draw(st.floats(min_value=0.001, max_value=0.08)))).quantize(D("0.0001"))
    stop = entry * (1 - stop_fraction) if side == "long" else entry * (1 + stop_fraction)
    positions = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        held = draw(st.sampled_from(USD_SYMBOLS))
        held_side = draw(st.sampled_from(["long", "short"]))
        mark = D(_price(held, draw(st.floats(min_value=0.9, max_value=1.1))))
        gap = mark * D(repr(draw(st.floats(min_value=0.001, max_value=0.02)))).quantize(D("0.0001"))
        lots = (
            "1"
            if INSTRUMENTS.get(held).kind == "future"
            else draw(st.sampled_from(["0.01", "0.05", "0.2"]))
        )
        position = {
            "symbol": held,
            "side": held_side,
            "lots": lots,
            "entry": str(mark),
            "price": str(mark),
            "stop": str(mark - gap if held_side == "long" else mark + gap),
        }
        if draw(st.booleans()):
            position["take_profit"] = str(mark + 2 * gap if held_side == "long" else mark - 2 * gap)
        positions.append(position)
    preset = draw(st.sampled_from(preset_names()))
    reserved = draw(st.integers(0, 1000))
    reservation: dict[str, Any] = {"decision_id": "r1", "amount": str(reserved)}
    if draw(st.booleans()):
        reservation["swing"] = str(3 * reserved)
    return {
        "profile": {
            "preset": preset,
            "account": {
                "risk_per_trade": str(draw(st.sampled_from(["0.005", "0.01", "0.03", "0.2"])))
            },
        },
        "firm": firm,
        "plan": plan,
        "rulebook_version": version,
        "account": {
            "id": "prop-1",
            "phase": draw(st.sampled_from(phases)),
            "size": size,
            "balance": str(balance),
            "equity": str(equity),
            "as_of": "2026-06-02T09:00:00Z",
            "day_start": {"balance": str(balance + D(size) * D(draw(st.integers(-3, 3))) / 100)},
            "peaks": {
                "intraday_equity": str(
                    max(balance, equity) + D(size) * D(draw(st.integers(0, 2))) / 100
                )
            },
            "positions": positions,
            "reservations": [reservation],
            "personality": str(draw(st.sampled_from(["0.85", "1", "1.15"]))),
        },
        "instrument": symbol,
        "market": {
            "atr": str(entry * D("0.01")),
            "atr_percentile": draw(st.integers(0, 100)),
            "daily_volatility": "0.012",
            "rates": {"GBPUSD": "1.27", "EURUSD": "1.10"},
        },
        "request": {
            "symbol": symbol,
            "side": side,
            "entry": str(entry),
            "stop": str(stop),
            "confidence": str(draw(st.sampled_from(["0.3", "0.6", "0.9"]))),
        },
    }


def family(inputs: list[DecisionInputs], outsider: OtherAccount | None) -> list[DecisionInputs]:
    """Give each account the others as fan-out siblings, in signal order, as the service does."""
    siblings = [
        OtherAccount(
            id=item.account.id,
            firm=item.account.firm,
            phase_kind=item.rules.phase.kind,
            size=item.account.initial_balance,
            currency=item.account.currency,
            strategy=item.account.strategy,
            rules=item.rules.cross_account,
            positions=tuple(Exposure(symbol=p.symbol, side=p.side) for p in item.state.positions),
            same_signal=True,
            signal_order=order,
        )
        for order, item in enumerate(inputs)
    ]
    extra = (outsider,) if outsider else ()
    return [
        item.model_copy(
            update={
                "others": tuple(s for s in siblings if s.id != item.account.id) + extra,
                "signal_order": order,
            }
        )
        for order, item in enumerate(inputs)
    ]


@st.composite
def fanouts(draw: st.DrawFn) -> list[DecisionInputs]:
    """One signal to 1–8 accounts of one owner, of mixed firms, sizes, states and profiles."""
    documents = [draw(scenarios()) for _ in range(draw(st.integers(min_value=1, max_value=8)))]
    signal = documents[0]
    correlations = {
        symbol: str(draw(st.sampled_from(["-0.9", "-0.3", "0", "0.3", "0.5", "0.7", "0.95"])))
        for symbol in draw(st.sets(st.sampled_from(USD_SYMBOLS), max_size=4))
    }
    loaded = []
    for index, document in enumerate(documents):
        document = copy.deepcopy(document)
        for part in ("instrument", "market", "request"):
            document[part] = copy.deepcopy(signal[part])
        document["market"]["correlations"] = correlations
        document["account"]["id"] = f"acct-{index}"
        document["account"]["owner"] = "alice"
        loaded.append(inputs_of(document))
    outsider = None
    if draw(st.booleans()):
        outsider = OtherAccount(
            id="outside",
            firm=draw(st.sampled_from(["ftmo", "the5ers", "fundingpips", "topstep"])),
            phase_kind="evaluation",
            size=D(100_000),
            positions=tuple(
                Exposure(symbol=s, side=draw(st.sampled_from(["long", "short"])))
                for s in draw(st.sets(st.sampled_from(USD_SYMBOLS), max_size=3))
            ),
        )
    return family(loaded, outsider)


@st.composite
def fine_fanouts(draw: st.DrawFn) -> list[DecisionInputs]:
    """Fan-outs on an instrument with a 1e-8 lot step, where any error in the size shows."""
    loaded = []
    percentile = draw(st.integers(0, 100))
    stop = draw(st.sampled_from(["95", "97.5", "99.13"]))
    for index in range(draw(st.integers(min_value=1, max_value=6))):
        balance = draw(st.integers(min_value=5_000, max_value=200_000))
        equity = balance + draw(st.integers(min_value=-4_000, max_value=4_000))
        document = scenario(
            profile={
                "preset": draw(st.sampled_from(["aria", "dynamic_risk", "spark", "orchestrator"])),
                "account": {"risk_per_trade": draw(st.sampled_from(["0.005", "0.01", "0.02"]))},
            },
            market={"atr": "2.5", "atr_percentile": percentile},
            request={
                "symbol": "FINE",
                "side": "long",
                "entry": "100",
                "stop": stop,
                "confidence": "0.7",
            },
        )
        document["account"] = {
            "id": f"fine-{index}",
            "owner": "bob",
            "balance": balance,
            "equity": equity,
            "as_of": "2026-06-01T12:00:00Z",
            "peaks": {"intraday_equity": max(balance, equity) + draw(st.integers(0, 9_000))},
            "personality": draw(st.sampled_from(["0.87", "1", "1.13"])),
        }
        loaded.append(inputs_of(document))
    return family(loaded, None)


# -- cash flows -------------------------------------------------------------------------

# Plans whose floors react to cash flows in each way the catalog has: a static max loss with
# a re-anchored day (FTMO), an end-of-day trail from a balance of 0 set to 0 by the first
# payout (Topstep XFA), a closed-balance trail that closes on a full withdrawal (E8 One), and
# an end-of-day trail with no daily limit (Topstep TopstepX Combine).
CASH_PLANS = [
    ("ftmo", "2-step", "funded", 100_000),
    ("topstep", "express-funded", "express-funded", 50_000),
    ("e8", "one", "funded", 100_000),
    ("topstep", "trading-combine-x", "combine", 50_000),
]
CASH_KINDS = ["deposit", "payout_requested", "payout", "fee"]


@st.composite
def cash_paths(draw: st.DrawFn) -> tuple[tuple[str, str, str, int], list[tuple[Any, ...]]]:
    """A plan and a path of steps: ``("state", hours later, balance move, open P&L)`` in
    trading terms (shares of the size in thousandths), and ``("flow", kind, thousandths)``
    of a cash flow a minute after the step before it. The path starts with a state."""
    plan = draw(st.sampled_from(CASH_PLANS))
    steps: list[tuple[Any, ...]] = [("state", 1, 0, 0)]
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        if draw(st.booleans()):
            steps.append(
                (
                    "state",
                    draw(st.integers(min_value=1, max_value=30)),
                    draw(st.integers(min_value=-25, max_value=25)),
                    draw(st.integers(min_value=-10, max_value=10)),
                )
            )
        else:
            steps.append(
                (
                    "flow",
                    draw(st.sampled_from(CASH_KINDS)),
                    draw(st.integers(min_value=1, max_value=40)),
                )
            )
    return plan, steps
