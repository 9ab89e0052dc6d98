"""The firm's and the profile's limits by value: the exact room each leaves, in lots.

Every expected number is worked by hand from the rule in a comment next to it, and checked
on both engines: the scalar pipeline (the limit's ``max_lots`` in the decision and the lots
approved) and the fan-out (the prepared room in the fan-out's columns and the lots the batch
approves without handing the account back to the pipeline).

The traded instrument is COARSE: FINE with a 0.01 lot step, so that a room such as 2.495 lots
floors to 2.49 far from a lot-step boundary, and the batch decides it in float64 itself.
Open positions are held on OTHER (a second spec like FINE), which has no correlation with
COARSE, so no adjuster shrinks the target below the limit under test.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from accounts.cash import NO_CASH, CashFlow, CashFlowKind
from aria.sizing.batch import BatchDecisions, decide_batch
from aria.sizing.columns import FanOut, prepare
from aria.sizing.decision import Decision
from aria.sizing.pipeline import decide
from tests.builders import FINE, NOW, inputs_of, run, scenario

D = Decimal

COARSE = {**copy.deepcopy(FINE), "symbol": "COARSE", "lot_step": 0.01, "min_lot": 0.01}
OTHER = {**copy.deepcopy(FINE), "symbol": "OTHER"}
# A long COARSE at 100 with its stop at 95: a loss of 5 a lot, a notional of 100 a lot.
REQUEST = {"symbol": "COARSE", "side": "long", "entry": 100, "stop": 95}
# Leverage high enough that free margin never binds (crypto for COARSE/OTHER, index for ES).
LEVERAGE = {"crypto": 100, "index": 1000, "energy": 1000}
# Half the equity at risk: a target in lots far above every limit these tests pin.
BOLD = {"preset": "aria", "account": {"risk_per_trade": "0.5"}}


def held(symbol: str, lots: str, entry: str = "100", stop: str = "95") -> dict[str, Any]:
    """An open long position (its price is its entry)."""
    return {"symbol": symbol, "side": "long", "lots": lots, "entry": entry, "stop": stop}


def spot(
    limits: dict[str, Any] | None = None,
    positions: list[dict[str, Any]] | None = None,
    profile: dict[str, Any] | None = None,
    **account: Any,
) -> dict[str, Any]:
    """A 10,000 account trading COARSE under inline firm limits (and an optional profile)."""
    return scenario(
        profile=profile or BOLD,
        rules={"name": "Limits by value", "limits": {"leverage": LEVERAGE, **(limits or {})}},
        account={"balance": 10000, "as_of": NOW, "positions": positions or [], **account},
        instrument=copy.deepcopy(COARSE),
        instruments=[copy.deepcopy(OTHER)],
        request=dict(REQUEST),
    )


def room(decision: Decision, name: str) -> Decimal:
    """The ``max_lots`` of the one limit called ``name`` in the decision."""
    found = [check.max_lots for check in decision.limits if check.name == name]
    assert len(found) == 1, f"{name}: {[c.name for c in decision.limits]}"
    return found[0]


def names(decision: Decision) -> list[str]:
    return [check.name for check in decision.limits]


def fan_out(document: dict[str, Any]) -> tuple[FanOut, BatchDecisions]:
    """The document's account as a one-account fan-out, and the batch's decision on it."""
    inputs = inputs_of(document)
    fan = prepare([inputs])
    return fan, decide_batch(fan, inputs.request, inputs.instrument, inputs.market)


def column(fan: FanOut, key: str) -> float:
    """The prepared room of the fan-out's one account under ``key``."""
    return float(fan.table.floats[key][0])


def in_float64(batch: BatchDecisions) -> None:
    """The batch decided the account itself (its vectorised form), not the pipeline."""
    assert not bool(batch.by_scalar[0])


# -- open lots: max_total_lots and lots_per_1k ------------------------------------------


def _total_lots() -> dict[str, Any]:
    # Caps: max_total_lots 5, and lots_per_1k 0.4 × (10,000 / 1,000) = 4: the lower, 4, binds.
    # Held: OTHER 1.505 lots (spot, counts) and ES 2 contracts (a future, does not count).
    return spot(
        {"max_total_lots": {"fixed": 5}, "lots_per_1k": "0.4"},
        [held("OTHER", "1.505"), held("ES", "2", "5000", "4990")],
    )


def test_open_lots_room_is_the_lower_cap_less_the_spot_lots_held() -> None:
    decision = run(_total_lots())
    # 4 − 1.505 = 2.495 lots; floored to the 0.01 step: 2.49.
    assert room(decision, "max_total_lots") == D("2.495")
    assert decision.binding == "max_total_lots"
    assert decision.lots == D("2.49")


def test_open_lots_room_in_the_fan_out() -> None:
    fan, batch = fan_out(_total_lots())
    assert column(fan, "max_total_lots") == 2.495
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("2.49"), (), "max_total_lots")


def test_lots_per_1k_alone_scales_with_the_account_size() -> None:
    # 0.4 lots per 1,000 of a 25,000 account: 0.4 × 25 = 10 lots, 3.335 held: 6.665 left.
    document = spot({"lots_per_1k": "0.4"}, [held("OTHER", "3.335")], size=25000)
    decision = run(document)
    assert room(decision, "max_total_lots") == D("6.665")
    assert decision.lots == D("6.66")
    fan, batch = fan_out(document)
    assert column(fan, "max_total_lots") == 6.665
    in_float64(batch)
    assert batch.lots(0) == D("6.66")


def test_a_full_open_lots_cap_rejects() -> None:
    # 4 lots allowed, 4 held on OTHER: no room, the trade is rejected with the cap's code.
    document = spot({"lots_per_1k": "0.4"}, [held("OTHER", "4")])
    decision = run(document)
    assert room(decision, "max_total_lots") == 0
    assert decision.reject_codes == ["max_total_lots"]
    fan, batch = fan_out(document)
    assert column(fan, "max_total_lots") == 0.0
    in_float64(batch)
    assert batch.summary(0)[:3] == ("rejected", D(0), ("max_total_lots",))


def _future(
    limits: dict[str, Any], positions: list[dict[str, Any]], **account: Any
) -> dict[str, Any]:
    """A 100,000 account buying ES at 5,000, stop 4,989.75: 10.25 points × 50 = 512.50 a lot."""
    document = spot(limits, positions, **{"balance": 100000, **account})
    document["instrument"] = "ES"
    document["request"] = {"symbol": "ES", "side": "long", "entry": 5000, "stop": "4989.75"}
    return document


def test_futures_are_not_held_to_the_open_lots_cap() -> None:
    # A cap of 1 open lot does not apply to a future: no max_total_lots limit at all.
    # Target: 0.5 × 100,000 = 50,000 of risk over 512.50 a contract is 97.56… contracts,
    # ×0.7 for the heat above 10 %: 68.29…, floored to whole contracts: 68.
    document = _future({"max_total_lots": {"fixed": 1}}, [])
    decision = run(document)
    assert "max_total_lots" not in names(decision)
    assert decision.lots == D(68)
    _, batch = fan_out(document)
    in_float64(batch)
    assert batch.summary(0) == ("approved", D(68), (), None)


# -- contracts: max_contracts, the scaling plan, micros --------------------------------


def _contracts(balance: int, positions: list[dict[str, Any]], **limits: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"max_contracts": {"fixed": 10}}
    base.update(limits)
    return _future(base, positions, size=100000, balance=balance)


SCALING = {
    "100000": [{"from_profit": 0, "max_contracts": 3}, {"from_profit": 1000, "max_contracts": 6}]
}
NQ = held("NQ", "1", "20000", "19990")  # one full contract held (10 points × 20 = 200 of risk)


def test_the_scaling_plan_allowance_caps_contracts() -> None:
    # End-of-day profit 100,500 − 100,000 = 500: the plan allows 3 contracts (min of the
    # firm's 10 and the plan's 3); 1 NQ held: 3 − 1 = 2 contracts of ES.
    document = _contracts(100500, [NQ], contract_scaling=SCALING)
    decision = run(document)
    assert room(decision, "max_contracts") == D(2)
    assert decision.binding == "max_contracts"
    assert decision.lots == D(2)
    _, batch = fan_out(document)  # scalar-only: the fan-out hands the account to the pipeline
    assert bool(batch.by_scalar[0])
    assert batch.summary(0) == ("approved", D(2), (), "max_contracts")


def test_a_higher_profit_step_of_the_scaling_plan_allows_more() -> None:
    # Profit 1,500 reaches the second step: 6 contracts, 1 held: 5.
    decision = run(_contracts(101500, [NQ], contract_scaling=SCALING))
    assert room(decision, "max_contracts") == D(5)
    assert decision.lots == D(5)


@pytest.mark.parametrize(
    ("balance", "kind"),
    [
        # A 1,000 deposit on a day at 101,500: the balance says 1,500 of profit, trading made
        # 500 → the first step, 3 contracts (the balance alone would give 6).
        (101500, CashFlowKind.DEPOSIT),
        # A 1,000 payout on a day at 100,500: the firm's plan counts the balance, 500 → the
        # first step (netting the payout out would read 1,500 and give 6).
        (100500, CashFlowKind.PAYOUT),
    ],
)
def test_the_scaling_plan_reads_the_lower_of_balance_and_trading_profit(
    balance: int, kind: CashFlowKind
) -> None:
    flow = CashFlow(kind=kind, amount=D(1000), at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    inputs = inputs_of(_contracts(balance, [NQ], contract_scaling=SCALING))
    decision = decide(inputs.model_copy(update={"cash": NO_CASH.after(flow)}))
    assert room(decision, "max_contracts") == D(2)  # 3 − the 1 NQ held
    assert decision.lots == D(2)


def test_without_a_scaling_plan_the_firm_cap_binds() -> None:
    # 10 contracts, 1 held: 9.
    decision = run(_contracts(100500, [NQ]))
    assert room(decision, "max_contracts") == D(9)
    assert decision.lots == D(9)


MICROS = [
    held("MES", "5", "5000", "4990"),  # 5 micros at 10 per contract: 0.5 of a contract
    held("NQ", "1", "20000", "19990"),  # a full contract: 1
    held("OTHER", "3"),  # spot: not a contract at all
]


def test_micros_count_by_the_firms_ratio() -> None:
    # Cap 4, 10 micros to a contract; held 5/10 + 1 = 1.5 contracts (OTHER does not count):
    # 2.5 contracts left, so 2 ES (the 1-contract step floors 2.5).
    document = _contracts(100000, MICROS, max_contracts={"fixed": 4}, micros_per_contract=10)
    decision = run(document)
    assert room(decision, "max_contracts") == D("2.5")
    assert decision.lots == D(2)


def test_a_micro_uses_a_tenth_of_a_contract() -> None:
    # The same 2.5 contracts left, one MES uses 1/10 of one: 25 MES.
    document = _contracts(100000, MICROS, max_contracts={"fixed": 4}, micros_per_contract=10)
    document["instrument"] = "MES"
    document["request"] = {"symbol": "MES", "side": "long", "entry": 5000, "stop": 4990}
    decision = run(document)
    assert room(decision, "max_contracts") == D(25)
    assert decision.lots == D(25)
    _, batch = fan_out(document)
    assert batch.lots(0) == D(25)


def test_a_product_weight_replaces_the_micro_ratio() -> None:
    # Cap 4; MES weighs 0.2 and NQ 2 (the product weights), so held 5 × 0.2 + 1 × 2 = 3
    # contracts: 1 left, which one MES uses a fifth of: 5 MES, on both engines.
    weights = {"MES": "0.2", "NQ": 2}
    document = _contracts(
        100000, MICROS, max_contracts={"fixed": 4}, micros_per_contract=10, contract_weights=weights
    )
    document["instrument"] = "MES"
    document["request"] = {"symbol": "MES", "side": "long", "entry": 5000, "stop": 4990}
    decision = run(document)
    assert room(decision, "max_contracts") == D(5)
    assert decision.lots == D(5)
    _, batch = fan_out(document)
    assert batch.summary(0) == ("approved", D(5), (), "max_contracts")


def test_a_product_weight_of_a_full_contract_counts_per_lot() -> None:
    # ES weighs 2: held 5/10 + 1 (NQ, unweighted) = 1.5, 2.5 left, 2 per ES lot: 1.25 → 1.
    document = _contracts(
        100000,
        MICROS,
        max_contracts={"fixed": 4},
        micros_per_contract=10,
        contract_weights={"ES": 2},
    )
    decision = run(document)
    assert room(decision, "max_contracts") == D("1.25")
    assert decision.lots == D(1)
    _, batch = fan_out(document)
    assert batch.lots(0) == D(1)


def test_a_full_contract_cap_rejects() -> None:
    # 10 contracts and 10 NQ held: no room, rejected with the cap's code.
    decision = run(_contracts(100000, [held("NQ", "10", "20000", "19999")]))
    assert room(decision, "max_contracts") == 0
    assert decision.reject_codes == ["max_contracts"]
    fan, batch = fan_out(_contracts(100000, [held("NQ", "10", "20000", "19999")]))
    assert column(fan, "max_contracts") == 0  # a column of the fan-out, not the pipeline's
    in_float64(batch)
    assert batch.summary(0) == ("rejected", D(0), ("max_contracts",), decision.binding)


def test_a_fan_out_keeps_the_contracts_left_and_the_weights_a_signal_divides_them_by() -> None:
    # Cap 4; held 5 MES (0.2 each) and one NQ (2): 1 contract left; a signal on MES divides
    # it by 0.2, on a micro the firm does not weigh by name by 1 / 10.
    weights = {"MES": "0.2", "NQ": 2}
    document = _contracts(
        100000, MICROS, max_contracts={"fixed": 4}, micros_per_contract=10, contract_weights=weights
    )
    fan, _ = fan_out(document)
    assert column(fan, "max_contracts") == 1
    assert column(fan, "micro_contract_weight") == 0.1
    assert fan.table.keyed["contract_weights"]["MES"][0] == 0.2


# -- positions: per symbol, in total, the profile's --------------------------------------

# A profile cap of 3.333 lots (3.33 on the step) shows the size when no positions cap binds.
CAPPED = {"preset": "aria", "account": {"risk_per_trade": "0.5", "limits": {"max_lots": "3.333"}}}


def test_a_symbol_at_its_position_cap_takes_no_new_position() -> None:
    # Two open on COARSE, cap 2 per symbol: no room, rejected.
    document = spot(
        {"max_positions_per_symbol": 2},
        [held("COARSE", "0.5"), held("COARSE", "0.5"), held("OTHER", "1")],
        CAPPED,
    )
    decision = run(document)
    assert room(decision, "max_positions_per_symbol") == 0
    assert decision.reject_codes == ["max_positions_per_symbol"]
    _, batch = fan_out(document)
    in_float64(batch)  # a full symbol is a zero column, rejected by the fan-out itself
    assert batch.summary(0)[:3] == ("rejected", D(0), ("max_positions_per_symbol",))


def test_positions_on_other_symbols_do_not_fill_a_symbol() -> None:
    # One open on COARSE and two on OTHER, cap 2 per symbol: COARSE has room for one more,
    # so the cap is not listed and the profile's 3.333 lots bind: 3.33.
    document = spot(
        {"max_positions_per_symbol": 2},
        [held("COARSE", "0.5"), held("OTHER", "1"), held("OTHER", "1")],
        CAPPED,
    )
    decision = run(document)
    assert "max_positions_per_symbol" not in names(decision)
    assert decision.lots == D("3.33")
    _, batch = fan_out(document)
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("3.33"), (), "profile_max_lots")


def _positions(limit: str, count: int) -> dict[str, Any]:
    positions = [held("OTHER", "1") for _ in range(count)]
    if limit == "firm":
        return spot({"max_open_positions": 3}, positions, CAPPED)
    layer = {"risk_per_trade": "0.5", "limits": {"max_lots": "3.333", "max_positions": 3}}
    return spot({}, positions, {"preset": "aria", "account": layer})


def test_an_account_at_its_position_cap_gets_no_lot() -> None:
    # Firm and profile alike: 3 open, cap 3: room 0, rejected (not one lot).
    for limit in ("firm", "profile"):
        document = _positions(limit, 3)
        decision = run(document)
        assert room(decision, "max_open_positions") == 0, limit
        assert decision.reject_codes == ["max_open_positions"], limit
        assert decision.lots == 0, limit
        _, batch = fan_out(document)
        in_float64(batch)  # a full account is a zero column, rejected by the fan-out itself
        assert batch.summary(0)[:3] == ("rejected", D(0), ("max_open_positions",)), limit


def test_an_account_one_below_its_position_cap_trades() -> None:
    # 2 open, cap 3: the cap is not listed, the profile's 3.333 lots bind: 3.33.
    for limit in ("firm", "profile"):
        document = _positions(limit, 2)
        decision = run(document)
        assert "max_open_positions" not in names(decision), limit
        assert decision.lots == D("3.33"), limit
        _, batch = fan_out(document)
        in_float64(batch)
        assert batch.summary(0) == ("approved", D("3.33"), (), "profile_max_lots"), limit


# -- exposure ----------------------------------------------------------------------------


def _exposure() -> dict[str, Any]:
    # Cap: 3 × the balance 10,000 = 30,000 of notional. Held: 50.005 OTHER at 100 = 5,000.50.
    return spot({"max_exposure_multiple": 3}, [held("OTHER", "50.005")])


def test_exposure_room_is_the_cap_less_the_notional_held() -> None:
    decision = run(_exposure())
    # (30,000 − 5,000.50) / 100 a lot = 249.995 lots: 249.99.
    assert room(decision, "max_exposure") == D("249.995")
    assert decision.binding == "max_exposure"
    assert decision.lots == D("249.99")


def test_exposure_room_in_the_fan_out() -> None:
    fan, batch = fan_out(_exposure())
    assert column(fan, "max_exposure") == 24999.5  # in notional, before dividing by 100 a lot
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("249.99"), (), "max_exposure")


# -- open risk: the firm's and the profile's ---------------------------------------------

# Open risk used: 10 OTHER from 100 to their stop at 95 = 50, and a live reservation of 25.02.
RISKY = [held("OTHER", "10")]
RESERVED = [{"decision_id": "earlier", "amount": "25.02"}]


def _profile_open_risk() -> dict[str, Any]:
    layer = {"risk_per_trade": "0.5", "limits": {"max_open_risk": "0.05"}}
    return spot({}, RISKY, {"preset": "aria", "account": layer}, reservations=RESERVED)


def test_profile_open_risk_is_a_share_of_the_balance() -> None:
    decision = run(_profile_open_risk())
    # 0.05 × 10,000 = 500; 500 − 50 − 25.02 = 424.98 of risk; / 5 a lot = 84.996 lots: 84.99.
    assert room(decision, "max_open_risk") == D("84.996")
    assert decision.binding == "max_open_risk"
    assert decision.lots == D("84.99")
    fan, batch = fan_out(_profile_open_risk())
    assert column(fan, "profile_open_room") == 424.98
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("84.99"), (), "max_open_risk")


def test_firm_open_risk_is_a_percentage_of_the_balance_now() -> None:
    # 5 % of the balance 12,000 (not of the size 10,000) = 600; 600 − 75.02 = 524.98;
    # / 5 a lot = 104.996 lots: 104.99.
    document = spot(
        {"max_open_risk": {"pct": 5}}, RISKY, size=10000, balance=12000, reservations=RESERVED
    )
    decision = run(document)
    assert room(decision, "max_open_risk") == D("104.996")
    assert decision.lots == D("104.99")
    fan, batch = fan_out(document)
    assert column(fan, "firm_open_room") == 524.98
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("104.99"), (), "max_open_risk")


# -- headroom: the conversion stress -----------------------------------------------------


def _in_euros() -> dict[str, Any]:
    # A EUR account of 10,000 whose floor is 10 % below: headroom 1,000 EUR. COARSE is quoted
    # in USD at EURUSD 1.25: a loss of 5 USD a lot is 4 EUR, counted ×1.05 (the aria profile's
    # conversion margin) against the floor: 4.2 EUR a lot.
    document = spot(currency="EUR")
    document["rules"]["max_loss"] = {"trail": "none", "amount": {"pct": 10}}
    document["market"] = {"rates": {"EURUSD": "1.25"}}
    return document


def test_headroom_counts_a_foreign_loss_with_the_conversion_margin() -> None:
    decision = run(_in_euros())
    # 1,000 / 4.2 = 238.095238095… lots (reported floored to 8 places): 238.09.
    assert room(decision, "max_loss_headroom") == D("238.09523809")
    assert decision.binding == "max_loss_headroom"
    assert decision.lots == D("238.09")
    fan, batch = fan_out(_in_euros())
    assert column(fan, "headroom") == 1000.0
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("238.09"), (), "max_loss_headroom")


def test_a_foreign_swing_is_counted_with_the_conversion_margin() -> None:
    # The EUR account above, its max-loss floor trailing intraday equity by 1,000 EUR: a swing
    # budget of 1,000. This trade swings 110 − 95 = 15 USD a lot = 12 EUR at 1.25, counted
    # ×1.05 (the conversion margin): 12.6 EUR a lot. 1,000 / 12.6 = 79.365079… lots: 79.36.
    document = _in_euros()
    document["rules"]["max_loss"] = {"trail": "intraday_equity", "amount": {"fixed": 1000}}
    document["request"]["take_profit"] = 110
    decision = run(document)
    assert room(decision, "max_loss_swing") == D("79.36507936")
    assert decision.binding == "max_loss_swing"
    assert decision.lots == D("79.36")


def test_a_foreign_loss_from_entry_is_counted_with_the_conversion_margin() -> None:
    # The EUR account above, its floor trailing closed balance by 1,000 EUR, equity 10,500:
    # headroom 1,500 EUR (357.14 lots), but the carried floor lets a trade lose only 1,000
    # from entry, at 4 EUR a lot ×1.05: 1,000 / 4.2 = 238.095238… lots, on both engines.
    document = _in_euros()
    document["rules"]["max_loss"] = {"trail": "closed_balance", "amount": {"fixed": 1000}}
    document["account"]["equity"] = 10500
    decision = run(document)
    assert room(decision, "max_loss_headroom") == D("357.14285714")
    assert room(decision, "max_loss_after_profits") == D("238.09523809")
    assert decision.lots == D("238.09")
    fan, batch = fan_out(document)
    assert column(fan, "max_loss_after_profits") == 1000.0
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("238.09"), (), "max_loss_after_profits")


def test_headroom_of_a_trade_in_the_account_currency_is_not_stressed() -> None:
    # The same floor on a USD account: 1,000 / 5 a lot = 200 lots, exactly.
    document = spot()
    document["rules"]["max_loss"] = {"trail": "none", "amount": {"pct": 10}}
    decision = run(document)
    assert room(decision, "max_loss_headroom") == D(200)
    assert decision.lots == D(200)


# -- per order, per trade, notional, leverage, margin ------------------------------------


def test_lots_per_order_of_the_asset_class() -> None:
    # 2.345 lots per crypto order: 2.34 on the step. A cap for fx only does not apply.
    document = spot({"max_lots_per_order": {"crypto": "2.345", "fx": 1}})
    decision = run(document)
    assert room(decision, "max_lots_per_order") == D("2.345")
    assert decision.lots == D("2.34")
    fan, batch = fan_out(document)
    assert float(fan.table.by_class["max_lots_per_order"]["crypto"][0]) == 2.345
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("2.34"), (), "max_lots_per_order")
    other = run(spot({"max_lots_per_order": {"fx": 1}}))
    assert "max_lots_per_order" not in names(other)


def test_risk_per_trade_is_a_percentage_of_the_balance_now() -> None:
    # 2.0001 % of the balance 12,000 = 240.012; / 5 a lot = 48.0024 lots: 48.00.
    document = spot({"max_risk_per_trade": {"pct": "2.0001"}}, size=10000, balance=12000)
    decision = run(document)
    assert room(decision, "max_risk_per_trade") == D("48.0024")
    assert decision.lots == D("48.00")
    fan, batch = fan_out(document)
    assert column(fan, "max_risk_per_trade") == 240.012
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("48.00"), (), "max_risk_per_trade")


def test_risk_per_trade_of_the_initial_balance() -> None:
    # risk_of "initial": 2.0001 % of the size 10,000 = 200.01; / 5 = 40.002 lots: 40.00.
    limits = {"max_risk_per_trade": {"pct": "2.0001"}, "risk_of": "initial"}
    decision = run(spot(limits, size=10000, balance=12000))
    assert room(decision, "max_risk_per_trade") == D("40.002")
    assert decision.lots == D("40.00")


# -- one trade: entries on one symbol and side within a window share the per-trade cap ----


def _one_trade(seconds_before: int) -> dict[str, Any]:
    # Cap 20.0005 of risk per trade; 300 s make one trade. Held: COARSE long 1.505 lots at 100,
    # stop 95, risking 5 × 1.505 = 7.525, opened ``seconds_before`` the request (NOW).
    opened = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC) - dt.timedelta(seconds=seconds_before)
    position = {**held("COARSE", "1.505"), "id": "c1", "opened_at": opened.isoformat()}
    limits = {"max_risk_per_trade": {"fixed": "20.0005"}, "one_trade_within_seconds": 300}
    return spot(limits, [position])


def test_a_position_opened_exactly_the_window_before_is_one_trade_with_the_entry() -> None:
    # The window is inclusive: at 300 s the position counts. (20.0005 − 7.525) / 5 a lot =
    # 2.4951 lots: 2.49.
    document = _one_trade(300)
    decision = run(document)
    assert room(decision, "max_risk_per_trade") == D("2.4951")
    assert decision.binding == "max_risk_per_trade"
    assert decision.lots == D("2.49")
    fan, batch = fan_out(document)
    assert column(fan, "max_risk_per_trade") == 20.0005  # an entry on another symbol or side
    assert float(fan.table.keyed["max_risk_per_trade"]["COARSE long"][0]) == 12.4755
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("2.49"), (), "max_risk_per_trade")


def test_a_position_opened_a_second_past_the_window_is_a_trade_of_its_own() -> None:
    # At 301 s the position is another trade: 20.0005 / 5 a lot = 4.0001 lots: 4.00.
    document = _one_trade(301)
    decision = run(document)
    assert room(decision, "max_risk_per_trade") == D("4.0001")
    assert decision.lots == D("4.00")
    fan, batch = fan_out(document)
    assert float(fan.table.keyed["max_risk_per_trade"]["COARSE long"][0]) == 20.0005
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("4.00"), (), "max_risk_per_trade")


def test_without_a_window_an_earlier_entry_is_a_trade_of_its_own() -> None:
    document = _one_trade(0)
    document["rules"]["limits"].pop("one_trade_within_seconds")
    assert room(run(document), "max_risk_per_trade") == D("4.0001")


def _profile(**limits: Any) -> dict[str, Any]:
    return {"preset": "aria", "account": {"risk_per_trade": "0.5", "limits": limits}}


def test_profile_notional_cap() -> None:
    # 1,234.5 of notional at 100 a lot: 12.345 lots, 12.34.
    document = spot(profile=_profile(max_notional="1234.5"))
    decision = run(document)
    assert room(decision, "max_notional") == D("12.345")
    assert decision.lots == D("12.34")
    _, batch = fan_out(document)
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("12.34"), (), "max_notional")


def test_profile_leverage_is_a_multiple_of_equity_less_the_notional_held() -> None:
    # 3 × the equity 9,000 (not the balance 10,000) = 27,000; held 50.005 OTHER at 100 =
    # 5,000.50: 21,999.50 / 100 a lot = 219.995 lots: 219.99. (A 9,000 account, so that
    # the equity below the balance is no drawdown.)
    document = spot({}, [held("OTHER", "50.005")], _profile(max_leverage=3), size=9000, equity=9000)
    decision = run(document)
    assert room(decision, "max_leverage") == D("219.995")
    assert decision.lots == D("219.99")
    fan, batch = fan_out(document)
    assert column(fan, "max_leverage") == 21999.5
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("219.99"), (), "max_leverage")


def test_free_margin_at_the_firms_leverage() -> None:
    # Crypto at 1:2. Held 10.005 OTHER at 100: notional 1,000.50, margin 500.25. Free margin
    # 10,000 − 500.25 = 9,499.75, × the buffer 0.8 = 7,599.80; one lot uses 100 / 2 = 50:
    # 151.996 lots: 151.99.
    document = spot({}, [held("OTHER", "10.005")])
    document["rules"]["limits"]["leverage"] = {"crypto": 2}
    decision = run(document)
    assert room(decision, "margin") == D("151.996")
    assert decision.lots == D("151.99")
    fan, batch = fan_out(document)
    assert column(fan, "margin") == 7599.8
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("151.99"), (), "margin")


def test_free_margin_at_the_instruments_own_leverage() -> None:
    # No leverage from the firm for crypto and none in the profile: the spec's margin rate 1
    # is 1:1. Held 10.005 OTHER: margin 1,000.50; free 8,999.50 × 0.8 = 7,199.60; one lot
    # uses 100: 71.996 lots: 71.99.
    document = spot({}, [held("OTHER", "10.005")])
    document["rules"]["limits"]["leverage"] = {"index": 1000}
    decision = run(document)
    assert room(decision, "margin") == D("71.996")
    assert decision.lots == D("71.99")
    _, batch = fan_out(document)
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("71.99"), (), "margin")


# -- the floors as limits: unbounded loss, carried floors, swing budgets -----------------


def test_an_open_position_without_a_stop_leaves_no_headroom() -> None:
    # OTHER has no stop and the aria profile assumes none: its loss is unbounded, so the
    # headroom is 0 and the trade is rejected, the reason naming the position.
    decision = run(spot({}, [{"symbol": "OTHER", "side": "long", "lots": "1", "entry": "100"}]))
    assert room(decision, "max_loss_headroom") == 0
    assert decision.reject_codes == ["max_loss_headroom"]
    assert any("unbounded loss on OTHER" in reason for reason in decision.reasons)


def test_a_conversion_margin_of_one_doubles_a_foreign_loss() -> None:
    # As in euros above, with a floor 1,001 below and a conversion margin of 1: 4 EUR a lot
    # × 2 = 8 against the floor; 1,001 / 8 = 125.125 lots: 125.12.
    document = _in_euros()
    document["rules"]["max_loss"] = {"trail": "none", "amount": {"fixed": 1001}}
    document["profile"] = {
        "preset": "aria",
        "account": {"risk_per_trade": "0.5", "headroom": {"conversion_margin": 1}},
    }
    decision = run(document)
    assert room(decision, "max_loss_headroom") == D("125.125")
    assert decision.lots == D("125.12")
    _, batch = fan_out(document)
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("125.12"), (), "max_loss_headroom")


BUFFERED = {
    "preset": "aria",
    "account": {"risk_per_trade": "0.5", "headroom": {"buffer_amount": 10}},
}


def _closed_balance(balance: str = "10000", equity: str = "10100", **lock: Any) -> dict[str, Any]:
    # The max-loss floor trails closed balance by 1,000: 10,000 − 1,000 = 9,000. Held: 10 OTHER
    # from 100, now 110, stop 101 (its stop locks in profit: no loss from entry; 90 to its stop
    # from here), and 2 OTHER from 100, stop 95 (10 from entry, 10 from here). Equity 10,100.
    document = spot(
        {},
        [
            {
                "symbol": "OTHER",
                "side": "long",
                "lots": "10",
                "entry": "100",
                "price": "110",
                "stop": "101",
            },
            held("OTHER", "2"),
        ],
        BUFFERED,
        size=10000,
        balance=balance,
        equity=equity,
        reservations=RESERVED,
    )
    rule = {"trail": "closed_balance", "amount": {"fixed": 1000}, **lock}
    document["rules"]["max_loss"] = rule
    return document


def test_a_floor_trailing_closed_balance_holds_the_losses_from_entry() -> None:
    decision = run(_closed_balance())
    # Headroom: 10,100 − 9,000 − open risk 100 − reserved 25.02 − buffer 10 = 964.98 (192.996).
    assert room(decision, "max_loss_headroom") == D("192.996")
    # Carried: 1,000 − losses from entry 10 − reserved 25.02 − buffer 10 = 954.98; / 5 a lot
    # = 190.996 lots: 190.99.
    assert room(decision, "max_loss_after_profits") == D("190.996")
    assert decision.binding == "max_loss_after_profits"
    assert decision.lots == D("190.99")
    fan, batch = fan_out(_closed_balance())
    assert column(fan, "max_loss_after_profits") == 954.98
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("190.99"), (), "max_loss_after_profits")


def test_swings_of_open_trades_and_reservations_share_the_budget() -> None:
    # The max-loss floor trails intraday equity by 1,000, less the buffer 10: a swing budget
    # of 990. Held: 2 OTHER from 100, stop 95, take-profit 110: a swing of 15 × 2 = 30; a
    # reservation swinging 20.02. Left: 990 − 30 − 20.02 = 939.98. This trade swings 110 − 95
    # = 15 a lot: 62.665333… lots (reported floored to 8 places): 62.66.
    position = {**held("OTHER", "2"), "take_profit": "110"}
    reservation = {"decision_id": "earlier", "amount": "25.02", "swing": "20.02"}
    document = spot({}, [position], BUFFERED, reservations=[reservation])
    document["rules"]["max_loss"] = {"trail": "intraday_equity", "amount": {"fixed": 1000}}
    document["request"]["take_profit"] = 110
    decision = run(document)
    assert room(decision, "max_loss_swing") == D("62.66533333")
    assert decision.binding == "max_loss_swing"
    assert decision.lots == D("62.66")
    fan, batch = fan_out(document)  # left in Decimal when prepared, divided per signal
    assert column(fan, "max_loss_swing") == 939.98
    assert math.isnan(column(fan, "daily_loss_swing"))  # no such budget
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("62.66"), (), "max_loss_swing")


def test_a_swing_budget_leaves_nothing_where_a_swing_is_unbounded_in_both_engines() -> None:
    # The same budget; a held position without a take-profit, or a reservation of unknown
    # swing, could give back any profit: no room, in both engines.
    bounded = {**held("OTHER", "2"), "take_profit": "110"}
    unknown = {"decision_id": "earlier", "amount": "25.02"}
    for positions, reservations in (([held("OTHER", "2")], []), ([bounded], [unknown])):
        document = spot({}, positions, BUFFERED, reservations=reservations)
        document["rules"]["max_loss"] = {"trail": "intraday_equity", "amount": {"fixed": 1000}}
        document["request"]["take_profit"] = 110
        decision = run(document)
        assert room(decision, "max_loss_swing") == 0
        fan, batch = fan_out(document)
        assert column(fan, "max_loss_swing") == 0
        in_float64(batch)
        assert decision.reject_codes == ["max_loss_headroom"]
        assert batch.summary(0) == (
            decision.status,
            decision.lots,
            tuple(decision.reject_codes),
            decision.binding,
        )


LOCK = {"lock": "initial", "lock_offset": 100}  # the floor stops rising at 10,100


def test_a_carried_floor_never_rises_past_its_lock() -> None:
    # The same positions on a balance of 11,095 (equity 11,195): the floor is 10,095, just
    # below its lock. From entry the losses must fit in 1,000 − 10 − 35.02 = 954.98, unless
    # they fit above the lock: 11,195 − 10,100 − open risk 100 − 35.02 = 959.98, which they
    # do. Headroom: 11,195 − 10,095 − 100 − 35.02 = 964.98. The lock's 959.98 / 5 a lot
    # = 191.996 lots: 191.99.
    document = _closed_balance("11095", "11195", **LOCK)
    decision = run(document)
    assert room(decision, "max_loss_headroom") == D("192.996")
    assert room(decision, "max_loss_after_profits") == D("191.996")
    assert decision.lots == D("191.99")
    fan, batch = fan_out(document)
    assert column(fan, "max_loss_after_profits") == 959.98
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("191.99"), (), "max_loss_after_profits")


def test_a_floor_at_its_lock_carries_nothing() -> None:
    # A balance of 11,100: the floor 10,100 is at its lock and rises no more, so there is
    # no carried limit; headroom 11,200 − 10,100 − 135.02 = 964.98 binds: 192.996 lots.
    decision = run(_closed_balance("11100", "11200", **LOCK))
    assert "max_loss_after_profits" not in names(decision)
    assert room(decision, "max_loss_headroom") == D("192.996")
    assert decision.lots == D("192.99")


# A daily floor 10 % of the balance at the reset (not of the initial 10,000) below it.
OF_ANCHOR = {"amount": {"pct": 10}, "pct_of": "anchor"}


def test_a_daily_floor_of_its_anchor_carries_the_losses_into_the_next_day() -> None:
    # The day started at 11,000: the daily amount is 10 % of 11,000 = 1,100 (floor 9,900).
    # Held past the reset, the losses from entry must fit: 1,100 − 10 − 35.02 = 1,054.98;
    # / 5 a lot = 210.996 lots: 210.99. (Headroom: 11,100 − 9,900 − 135.02 = 1,064.98.)
    document = _closed_balance("11000", "11100")
    del document["rules"]["max_loss"]
    document["rules"]["daily_loss"] = {"anchor": "reset_balance", **OF_ANCHOR}
    document["account"]["day_start"] = {"balance": 11000}
    decision = run(document)
    assert room(decision, "daily_loss_headroom") == D("212.996")
    assert room(decision, "daily_loss_next_day") == D("210.996")
    assert decision.lots == D("210.99")
    fan, batch = fan_out(document)
    assert column(fan, "daily_loss_next_day") == 1054.98
    in_float64(batch)
    assert batch.summary(0) == ("approved", D("210.99"), (), "daily_loss_next_day")


def test_a_daily_floor_of_its_equity_anchor_bounds_the_swings() -> None:
    # Anchored on the larger of balance and equity at the reset, 11,000: a budget of 10 % of
    # 11,000 = 1,100 less the buffer 10 = 1,090. Swings open: 2 × 15 = 30 and a reservation's
    # 20.02: 1,039.98 left, / 15 a lot = 69.332 lots: 69.33.
    position = {**held("OTHER", "2"), "take_profit": "110"}
    reservation = {"decision_id": "earlier", "amount": "25.02", "swing": "20.02"}
    document = spot({}, [position], BUFFERED, size=10000, balance=11000, reservations=[reservation])
    document["rules"]["daily_loss"] = {"anchor": "reset_balance_or_equity", **OF_ANCHOR}
    document["account"]["day_start"] = {"balance": 11000, "equity": 11000}
    document["request"]["take_profit"] = 110
    decision = run(document)
    assert room(decision, "daily_loss_swing") == D("69.332")
    assert decision.binding == "daily_loss_swing"
    assert decision.lots == D("69.33")
    _, batch = fan_out(document)
    assert batch.lots(0) == D("69.33")


# A daily limit that grows from 1,000 of profit at the reset, and one that disappears there.
GROWS = [{"from_profit": {"fixed": 1000}, "amount": {"pct": 12}}]
DROPS = [{"from_profit": {"fixed": 1000}}]


def test_a_daily_limit_grown_with_profit_carries_its_grown_amount() -> None:
    # The day started at 11,000, 1,000 in profit: the step's 12 % of 11,000 = 1,320 applies
    # (floor 9,680). Held over: 1,320 − 10 − 35.02 = 1,274.98; / 5 = 254.996 lots: 254.99.
    document = _closed_balance("11000", "11100")
    del document["rules"]["max_loss"]
    document["rules"]["daily_loss"] = {"anchor": "reset_balance", **OF_ANCHOR, "steps": GROWS}
    document["account"]["day_start"] = {"balance": 11000}
    decision = run(document)
    assert room(decision, "daily_loss_next_day") == D("254.996")
    assert decision.lots == D("254.99")
    fan, batch = fan_out(document)
    assert column(fan, "daily_loss_next_day") == 1274.98
    assert batch.summary(0) == ("approved", D("254.99"), (), "daily_loss_next_day")


def test_a_daily_limit_one_short_of_its_step_keeps_the_base_amount() -> None:
    # 10,999 at the reset is 999 in profit: 10 % of 10,999 = 1,099.90; held over:
    # 1,099.90 − 10 − 35.02 = 1,054.88; / 5 = 210.976 lots.
    document = _closed_balance("10999", "11100")
    del document["rules"]["max_loss"]
    document["rules"]["daily_loss"] = {"anchor": "reset_balance", **OF_ANCHOR, "steps": GROWS}
    document["account"]["day_start"] = {"balance": 10999}
    assert room(run(document), "daily_loss_next_day") == D("210.976")


def test_a_daily_limit_that_disappears_carries_nothing() -> None:
    document = _closed_balance("11000", "11100")
    del document["rules"]["max_loss"]
    document["rules"]["daily_loss"] = {"anchor": "reset_balance", **OF_ANCHOR, "steps": DROPS}
    document["account"]["day_start"] = {"balance": 11000}
    decision = run(document)
    assert "daily_loss_next_day" not in names(decision)
    assert "daily_loss_headroom" not in names(decision)
    fan, _ = fan_out(document)
    assert math.isnan(column(fan, "daily_loss_next_day"))


def test_a_daily_limit_that_disappears_has_no_swing_budget() -> None:
    position = {**held("OTHER", "2"), "take_profit": "110"}
    document = spot({}, [position], BUFFERED, size=10000, balance=11000)
    document["rules"]["daily_loss"] = {
        "anchor": "reset_balance_or_equity",
        **OF_ANCHOR,
        "steps": DROPS,
    }
    document["account"]["day_start"] = {"balance": 11000, "equity": 11000}
    document["request"]["take_profit"] = 110
    decision = run(document)
    assert "daily_loss_swing" not in names(decision)
    grown = copy.deepcopy(document)
    grown["rules"]["daily_loss"]["steps"] = GROWS
    # 12 % of 11,000 = 1,320 less the buffer 10 and the open swing 30: 1,280 / 15 a lot,
    # to 8 places.
    assert room(run(grown), "daily_loss_swing") == D("85.33333333")


# -- TopstepX: ten micros to a contract --------------------------------------------------


def _topstep_x(positions: list[dict[str, Any]]) -> dict[str, Any]:
    """A Topstep 50K Combine on TopstepX (5 contracts) buying MES at 2,000, stop 1,999 (a low
    price, so that margin, 5 % of 2,000 × 5 = 500 a lot, never binds before the cap)."""
    return {
        "profile": BOLD,
        "firm": "topstep",
        "plan": "trading-combine-x",
        "account": {
            "size": 50000,
            "balance": 50000,
            "as_of": "2026-06-02T14:00:00Z",
            "positions": positions,
        },
        "instrument": "MES",
        "market": {},
        "request": {"symbol": "MES", "side": "long", "entry": 2000, "stop": 1999},
    }


def test_a_topstep_x_50k_combine_may_hold_50_micros() -> None:
    # "10:1 contract ratio … In a 50K account, you can trade up to 50 micros": 5 contracts at
    # a tenth of a contract per MES is 5 / 0.1 = 50 MES, on both engines. (The loss of 50 MES
    # to the stop, 50 × 1 point × 5 = 250, is far inside the 2,000 MLL.)
    document = _topstep_x([])
    decision = run(document)
    assert room(decision, "max_contracts") == D(50)
    assert (decision.lots, decision.binding) == (D(50), "max_contracts")
    _, batch = fan_out(document)
    assert batch.summary(0) == ("approved", D(50), (), "max_contracts")


def test_a_topstep_x_50k_combine_holding_50_micros_takes_no_51st() -> None:
    # 49 MES held use 4.9 contracts: one more MES fits (0.1 left); 50 held use all 5: the 51st
    # is refused with the cap's code.
    decision = run(_topstep_x([held("MES", "49", "2000", "1999")]))
    assert room(decision, "max_contracts") == D(1)
    assert decision.lots == D(1)
    decision = run(_topstep_x([held("MES", "50", "2000", "1999")]))
    assert room(decision, "max_contracts") == 0
    assert decision.reject_codes == ["max_contracts"]


def test_topstep_outside_topstep_x_still_counts_a_micro_as_a_contract() -> None:
    # The Combine on other platforms: a micro is a full contract, 5 MES at most.
    document = _topstep_x([])
    document["plan"] = "trading-combine"
    decision = run(document)
    assert room(decision, "max_contracts") == D(5)
