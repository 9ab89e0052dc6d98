"""The pipeline's own steps, by value: when it needs an ATR, what it records, and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from aria.sizing.inputs import TradeRequest
from aria.sizing.pipeline import ENGINE, needs_atr
from aria.sizing.profiles import Method, Profile, Stops
from tests.builders import FINE, run, scenario

D = Decimal
COARSE = {**FINE, "lot_step": "0.01", "min_lot": "0.01"}


def request(**fields: Any) -> TradeRequest:
    return TradeRequest.model_validate({"symbol": "FINE", "side": "long", "entry": 100, **fields})


@pytest.mark.parametrize(
    ("profile", "fields", "needed"),
    [
        # An ATR-risk profile measures its loss over the ATR, whatever stop is given.
        (Profile(name="p", method=Method.ATR_RISK), {"stop": 95}, True),
        # A given stop needs no ATR to place it.
        (Profile(name="p"), {"stop": 95}, False),
        # A stop asked as a multiple of ATR needs it, even where the profile has a fixed stop.
        (Profile(name="p", stops=Stops(stop_pct=D("0.02"))), {"stop_atr_multiple": 2}, True),
        # No stop: the profile's ATR stop needs it, its fixed percentage does not.
        (Profile(name="p"), {}, True),
        (Profile(name="p", stops=Stops(stop_pct=D("0.02"))), {}, False),
        (Profile(name="p", stops=Stops(atr_stop_multiple=None, stop_pct=D("0.02"))), {}, False),
    ],
)
def test_a_request_needs_the_atr_only_where_a_stop_or_a_loss_is_measured_on_it(
    profile: Profile, fields: dict[str, Any], needed: bool
) -> None:
    assert needs_atr(request(**fields), profile) is needed


def test_every_decision_records_the_engine_its_replay_needs() -> None:
    # Recorded decisions replay only under the engine that made them: version 3 is stops on
    # the tick grid, losses converted at the stop, floors that rise under open positions.
    assert ENGINE == 3
    assert run(scenario()).engine == 3


def test_a_declared_personality_is_named_in_the_reasons_and_a_neutral_one_is_not() -> None:
    declared = scenario(
        account={"balance": 10_000, "as_of": "2026-06-01T12:00:00Z", "personality": "1.2"}
    )
    reasons = run(declared).reasons
    assert (
        "personality ×1.2 (aggressive, declared): this account's own declared risk budget"
        in reasons
    )
    assert not any(reason.startswith("personality") for reason in run(scenario()).reasons)


def test_an_open_position_without_a_stop_is_sized_around_with_its_assumed_stop_named() -> None:
    document = scenario(
        profile={"preset": "aria", "account": {"headroom": {"fallback_stop_pct": "0.02"}}},
        account={
            "balance": 10_000,
            "as_of": "2026-06-01T12:00:00Z",
            "positions": [{"symbol": "FINE", "side": "long", "lots": "1", "entry": 100}],
        },
    )
    decision = run(document)
    assert decision.approved
    assert decision.reasons[0] == "no stop: assumed 2% away"
    assert decision.reasons.count("no stop: assumed 2% away") == 1


def test_a_notional_exactly_at_the_profile_minimum_is_enough() -> None:
    # 1 % of 10,000 over a loss of 3 a lot, on a lot step of 0.01: 33.33 lots, 3,333 of notional.
    document = scenario(
        profile={"preset": "aria", "account": {"limits": {"min_notional": "3333"}}},
        instrument=COARSE,
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
    )
    decision = run(document)
    assert decision.approved
    assert decision.lots == D("33.33")


def test_a_decision_stopped_before_the_adjusters_records_no_factor_at_all() -> None:
    # A stop one tick from the entry, where the profile wants five, is refused before any
    # factor is taken: the combined factor recorded is the neutral 1, not a leftover.
    document = scenario(
        profile={"preset": "aria", "account": {"stops": {"min_stop_ticks": 5}}},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": "99.99"},
    )
    decision = run(document)
    assert decision.reject_codes == ["stop_too_close"]
    assert decision.factors == {}
    assert decision.combined_factor == 1


def test_heat_counts_the_open_positions_and_the_live_reservations_together() -> None:
    # Open: 10 lots 3 above their stop (30) plus a reservation of 200; new: 1 % of 10,000
    # halved by the correlation with the same symbol (50). 280 of 10,000.
    document = scenario(
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 97},
        account={
            "balance": 10_000,
            "as_of": "2026-06-01T12:00:00Z",
            "positions": [{"symbol": "FINE", "side": "long", "lots": 10, "entry": 100, "stop": 97}],
            "reservations": [{"decision_id": "r1", "amount": "200"}],
        },
    )
    heat = run(document).factors["heat"]
    assert heat.reason == "portfolio heat 2.80%, within 10%"


@pytest.mark.parametrize(("balance", "cap"), [(1_000, "20"), (1_600, "30"), (2_100, "50")])
def test_a_balance_from_zero_climbs_the_scaling_plan_by_its_profit(balance: int, cap: str) -> None:
    # Topstep XFA 50K: the balance starts at 0, so a reset balance of 1,600 is 1,600 of profit:
    # 2 contracts, 3 above 1,500, 5 above 2,000; on TopstepX ten MES make a contract: 20, 30, 50.
    document = scenario(
        instrument="MES",
        request={"symbol": "MES", "side": "long", "entry": 5000, "stop": 4990},
        account={
            "balance": balance,
            "size": 50_000,
            "as_of": "2026-06-01T12:00:00Z",
            "day_start": {"balance": balance},
        },
    )
    del document["rules"]
    document.update(firm="topstep", plan="express-funded")
    caps = {check.name: check.max_lots for check in run(document).limits}
    assert caps["max_contracts"] == D(cap)
