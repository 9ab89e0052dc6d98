"""The per-trade rule family, by value, in the scalar pipeline and the fan-out alike.

- A re-entry after a loss (FundingPips): a trade closed at a loss within the 300 s window on
  the same symbol and side is part of the new entry's trade; its realised loss uses the cap.
- Alpha's "sequence of trades closed around the same time": every open position shares the
  2 % per-trade cap with a new entry, whatever its symbol or side.
- A trade's open-loss cap (Apex legacy PA's MAE rule): 30 % of the start-of-day profit, of the
  drawdown while the profit is below it, 50 % above twice the safety net.
- A risk-reward cap (Apex legacy PA: the stop at most 5× as far as the target).

The profile risks half the equity, so the target is far above every cap here and the cap
under test binds; the aria preset has no costs, so a lot's loss is its distance × value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.model import Side, Trade
from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import Decision, RejectCode
from aria.sizing.inputs import DecisionInputs
from aria.sizing.pipeline import decide
from aria.sizing.stops import Geometry, risk_to_reward_refusal
from firms.model import Amount, TradeLossCap
from tests.builders import inputs_of
from tests.strategies import family

D = Decimal
NOW = dt.datetime(2026, 6, 2, 14, 0, tzinfo=dt.UTC)
PROFILE = {"preset": "aria", "account": {"risk_per_trade": "0.5"}}


def _at(seconds_before: int) -> str:
    return (NOW - dt.timedelta(seconds=seconds_before)).isoformat()


def both(inputs: DecisionInputs, *, over_columns: bool = False) -> Decision:
    """The pipeline's decision, after checking the fan-out decides the account alike
    (``over_columns``: and that it did so over its columns, not by handing the account to the
    pipeline, as it does for a size on a lot-step boundary)."""
    fan = family([inputs], None)
    decision = decide(fan[0])
    batch = decide_batch(prepare(fan), fan[0].request, fan[0].instrument, fan[0].market)
    if over_columns:
        assert not batch.by_scalar[0]
    assert batch.summary(0) == (
        decision.status,
        decision.lots,
        tuple(decision.reject_codes),
        decision.binding,
    )
    return decision


def limit(decision: Decision, name: str) -> tuple[Decimal, str]:
    found = [c for c in decision.limits if c.name == name]
    assert len(found) == 1, [c.name for c in decision.limits]
    return found[0].max_lots, found[0].reason


# --------------------------------------------------------------- FundingPips: re-entry


def fundingpips(*positions: dict[str, Any]) -> dict[str, Any]:
    """A new EURUSD long (stop 0.0100 away: 1,000 a lot) on a FundingPips 2-Step Master
    account of 100,000, whose per-trade cap is 3 % of 100,000 = 3,000."""
    return {
        "profile": PROFILE,
        "firm": "fundingpips",
        "plan": "2-step",
        "now": NOW.isoformat(),
        "account": {
            "phase": "funded",
            "size": 100000,
            "balance": 100000,
            "as_of": NOW.isoformat(),
            "day_start": {"balance": 100000},
            "positions": list(positions),
        },
        "instrument": "EURUSD",
        "market": {"atr_percentile": 50},
        "request": {
            "symbol": "EURUSD",
            "side": "long",
            "entry": "1.1000",
            "stop": "1.0900",
            "take_profit": "1.1010",
        },
    }


def closed(
    pnl: str, seconds_ago: int, side: str = "long", symbol: str = "EURUSD", id: str = "t1"
) -> Trade:
    """A trade closed ``seconds_ago`` before the request with ``pnl``."""
    return Trade(
        id=id,
        symbol=symbol,
        side=Side(side),
        lots=D(1),
        entry=D("1.1000"),
        exit=D("1.0950"),
        pnl=D(pnl),
        opened_at=NOW - dt.timedelta(seconds=seconds_ago + 600),
        closed_at=NOW - dt.timedelta(seconds=seconds_ago),
    )


def with_closed(doc: dict[str, Any], *trades: Trade) -> DecisionInputs:
    return inputs_of(doc).model_copy(update={"recent_closed_trades": trades})


def test_a_loss_closed_2_minutes_ago_on_the_same_side_uses_the_cap() -> None:
    # 3,000 − 500 = 2,500 left; 2,500 / 1,000 a lot = 2.5 lots.
    decision = both(with_closed(fundingpips(), closed("-500", 120)))
    lots, reason = limit(decision, "max_risk_per_trade")
    assert lots == D("2.5")
    assert decision.lots == D("2.5")
    assert decision.binding == "max_risk_per_trade"
    assert "t1" in reason
    assert "a loss of 500.00" in reason


def test_a_loss_closed_exactly_at_the_window_counts_and_one_after_it_does_not() -> None:
    at_edge = both(with_closed(fundingpips(), closed("-500", 300)))
    after = both(with_closed(fundingpips(), closed("-500", 301)))
    # 300 s is inside the inclusive window: 2.5 lots; 301 s is outside: 3,000 / 1,000 = 3.
    assert (at_edge.lots, after.lots) == (D("2.5"), D(3))


def test_a_closed_profit_another_side_or_symbol_leaves_the_cap_whole() -> None:
    trades = (
        closed("400", 60, id="win"),
        closed("0", 60, id="flat"),  # closed at its entry: nothing lost to join
        closed("-500", 60, side="short", id="short"),
        closed("-500", 60, symbol="GBPUSD", id="cable"),
    )
    decision = both(with_closed(fundingpips(), *trades))
    lots, reason = limit(decision, "max_risk_per_trade")
    # None of them is this trade's: 3,000 / 1,000 = 3 lots.
    assert lots == D(3)
    assert "win" not in reason
    assert "flat" not in reason
    assert "short" not in reason
    assert "cable" not in reason


def test_a_closed_loss_and_an_open_position_both_use_the_cap() -> None:
    # The open lot risks (1.1000 − 1.0950) × 100,000 = 500 to its stop, the closed trade lost
    # 800: (3,000 − 500 − 800) / 1,000 = 1.7 lots.
    open_lot = {
        "id": "p1",
        "symbol": "EURUSD",
        "side": "long",
        "lots": "1",
        "entry": "1.1000",
        "stop": "1.0950",
        "take_profit": "1.1010",
        "opened_at": _at(60),
    }
    decision = both(with_closed(fundingpips(open_lot), closed("-800", 200)))
    assert limit(decision, "max_risk_per_trade")[0] == D("1.7")
    assert decision.lots == D("1.7")


def test_losses_that_use_the_whole_cap_leave_the_entry_nothing() -> None:
    # 1,800 + 1,200 = 3,000 lost within the window: no room; the per-trade cap clips to 0.
    trades = (closed("-1800", 30, id="a"), closed("-1200", 90, id="b"))
    decision = both(with_closed(fundingpips(), *trades))
    assert limit(decision, "max_risk_per_trade")[0] == D(0)
    assert decision.status == "rejected"
    assert decision.lots == D(0)


def test_recent_closed_trades_leave_the_input_hash_alone_while_unset() -> None:
    inputs = inputs_of(fundingpips())
    assert "recent_closed_trades" not in inputs.model_dump(mode="json")
    filled = inputs.model_copy(update={"recent_closed_trades": (closed("-500", 120),)})
    assert filled.input_hash() != inputs.input_hash()


# ------------------------------------------------------------------- Alpha: sequences


def alpha(*positions: dict[str, Any]) -> dict[str, Any]:
    """A new EURUSD long (1,000 a lot to its stop) on an Alpha Pro 8 funded account of
    100,000 at a balance of 100,000: 2 % of 100,000 = 2,000 per trade."""
    doc = fundingpips(*positions)
    doc["firm"], doc["plan"] = "alpha", "pro-8"
    return doc


def test_alpha_counts_every_open_position_as_one_trade_with_the_entry() -> None:
    cable = {
        "id": "cable",
        "symbol": "GBPUSD",
        "side": "long",
        "lots": "1",
        "entry": "1.2700",
        "stop": "1.2650",  # 0.0050 × 100,000 = 500
        "take_profit": "1.2710",
        "opened_at": _at(7200),  # two hours ago: no window applies
    }
    aussie = {
        "id": "aussie",
        "symbol": "AUDUSD",
        "side": "short",
        "lots": "2",
        "entry": "0.6600",
        "stop": "0.6625",  # 0.0025 × 100,000 × 2 lots = 500
        "take_profit": "0.6590",
    }
    decision = both(inputs_of(alpha(cable, aussie)))
    lots, reason = limit(decision, "max_risk_per_trade")
    # (2,000 − 500 − 500) / 1,000 = 1 lot, where the entry alone could have 2.
    assert lots == D(1)
    assert decision.lots == D(1)
    assert "cable" in reason
    assert "aussie" in reason
    assert "stopped out together" in reason


def test_alpha_pending_entries_share_the_cap_whatever_they_trade() -> None:
    doc = alpha()
    doc["account"]["reservations"] = [
        {"decision_id": "d1", "amount": "700", "symbol": "XAUUSD", "side": "short"}
    ]
    # (2,000 − 700) / 1,000 = 1.3 lots.
    assert both(inputs_of(doc)).lots == D("1.3")


# ------------------------------------------------------------------- Apex: MAE and 5:1


def apex(day_balance: int, *positions: dict[str, Any], **request: Any) -> dict[str, Any]:
    """A new ES long at 5,000 with its stop 10 points away (10 × 50 = 500 a contract) on an
    Apex legacy PA of 50,000 whose day started at ``day_balance`` and is there now."""
    return {
        "profile": PROFILE,
        "firm": "apex",
        "plan": "pa",
        "now": NOW.isoformat(),
        "account": {
            "phase": "pa",
            "size": 50000,
            "balance": day_balance,
            "as_of": NOW.isoformat(),
            "day_start": {"balance": day_balance},
            "positions": list(positions),
        },
        "instrument": "ES",
        "market": {"atr_percentile": 50},
        "request": {
            "symbol": "ES",
            "side": "long",
            "entry": "5000",
            "stop": "4990",
            "take_profit": "5010",
            **request,
        },
    }


def test_apex_mae_is_30_percent_of_the_start_of_day_profit() -> None:
    # Day profit 54,000 − 50,000 = 4,000 (above the 2,500 drawdown, below 2 × 2,600 = 5,200):
    # 30 % × 4,000 = 1,200; 1,200 / 500 = 2.4 contracts, floored to 2.
    decision = both(inputs_of(apex(54000)))
    lots, reason = limit(decision, "max_trade_loss")
    assert lots == D("2.4")
    assert decision.lots == D(2)
    assert decision.binding == "max_trade_loss"
    assert "1,200.00" in reason


def test_apex_mae_below_the_drawdown_is_30_percent_of_the_drawdown() -> None:
    # Day profit 1,000 < the 2,500 drawdown: 30 % × 2,500 = 750; 750 / 500 = 1.5 contracts.
    assert limit(both(inputs_of(apex(51000))), "max_trade_loss")[0] == D("1.5")


def test_apex_mae_above_twice_the_safety_net_is_50_percent() -> None:
    # Day profit 6,000 > 5,200: 50 % × 6,000 = 3,000; 3,000 / 500 = 6 contracts.
    assert limit(both(inputs_of(apex(56000))), "max_trade_loss")[0] == D(6)
    # At exactly 5,200 it is not above: 30 % × 5,200 = 1,560; 1,560 / 500 = 3.12.
    assert limit(both(inputs_of(apex(55200))), "max_trade_loss")[0] == D("3.12")


def _es(lots: str, stop: str) -> dict[str, Any]:
    return {
        "id": "es1",
        "symbol": "ES",
        "side": "long",
        "lots": lots,
        "entry": "5000",
        "stop": stop,
        "take_profit": "5010",
        "opened_at": _at(3600),
    }


def test_apex_mae_counts_the_position_the_entry_adds_to() -> None:
    # One contract open risking 10 × 50 = 500: (1,200 − 500) / 500 = 1.4 contracts.
    decision = both(inputs_of(apex(54000, _es("1", "4990"))))
    lots, reason = limit(decision, "max_trade_loss")
    assert lots == D("1.4")
    assert "es1" in reason


def test_apex_mae_used_up_rejects_with_its_code() -> None:
    # One contract risking 24 × 50 = 1,200 = the whole cap: nothing is left for the entry.
    decision = both(inputs_of(apex(54000, _es("1", "4976"))))
    assert decision.status == "rejected"
    assert RejectCode.MAX_TRADE_LOSS in decision.reject_codes


def test_apex_refuses_a_stop_more_than_5_times_the_target() -> None:
    # Target 10 points, stop 50.25 points (on the 0.25 grid): more than 5 × 10 = 50.
    decision = both(inputs_of(apex(54000, stop="4949.75")))
    assert decision.status == "rejected"
    assert decision.reject_codes == [RejectCode.REWARD_TO_RISK]
    assert "50.25" in " ".join(decision.reasons)


def test_apex_takes_a_stop_exactly_5_times_the_target() -> None:
    # Stop 50 points, target 10: 5:1 holds. 30 % × 4,000 = 1,200 / (50 × 50) = 0.48 → 0.
    decision = decide(inputs_of(apex(54000, stop="4950")))
    assert RejectCode.REWARD_TO_RISK not in decision.reject_codes
    assert all(c.name != "reward_to_risk" for c in decision.limits)


def test_apex_refuses_a_trade_without_a_take_profit() -> None:
    doc = apex(54000)
    del doc["request"]["take_profit"]
    inputs = inputs_of(doc)
    # A profile that places no take-profit of its own (the aria preset's is 2 × the risk).
    stops = inputs.profile.stops.model_copy(update={"min_rr": None})
    inputs = inputs.model_copy(
        update={"profile": inputs.profile.model_copy(update={"stops": stops})}
    )
    decision = both(inputs)
    assert decision.reject_codes == [RejectCode.REWARD_TO_RISK]
    assert "no take-profit" in " ".join(decision.reasons)


def _geometry(stop: str, take_profit: str | None) -> Geometry:
    return Geometry(
        entry=D(100),
        stop=D(stop),
        take_profit=None if take_profit is None else D(take_profit),
        stop_source="request",
        value_per_point=D(1),
        cost_per_lot=D(0),
        notional_per_lot=D(100),
    )


def test_5_to_1_on_a_10_point_target_allows_a_50_point_stop_and_refuses_50_01() -> None:
    assert risk_to_reward_refusal(_geometry("50", "110"), D(5)) is None
    refusal = risk_to_reward_refusal(_geometry("49.99", "110"), D(5))
    assert refusal is not None
    assert "50.01" in refusal
    assert "10" in refusal
    # Short: entry 100, target 90, stop 150 allowed; 150.01 refused.
    assert risk_to_reward_refusal(_geometry("150", "90"), D(5)) is None
    assert risk_to_reward_refusal(_geometry("150.01", "90"), D(5)) is not None


def test_guardian_shield_is_1_percent_of_the_account_size() -> None:
    # Blue Guardian (not in the catalog): 1 % of 100,000 = 1,000, whatever the day's profit.
    shield = TradeLossCap(pct=D(1))
    assert shield.resolve(D(100000), D(-3000)) == D(1000)
    assert shield.resolve(D(100000), D(9000)) == D(1000)


def test_the_mae_rule_resolves_by_hand() -> None:
    mae = TradeLossCap(
        pct=D(30),
        of="day_profit",
        at_least=Amount(fixed=D(2500)),
        raised_pct=D(50),
        raised_above=Amount(fixed=D(5200)),
    )
    # 30 % × max(−500, 2,500) = 750; 30 % × 4,000 = 1,200; 50 % × 5,200.01 = 2,600.005.
    assert mae.resolve(D(50000), D(-500)) == D(750)
    assert mae.resolve(D(50000), D(4000)) == D(1200)
    assert mae.resolve(D(50000), D("5200.01")) == D("2600.005")


# ------------------------------------------------------------------------- property


@settings(max_examples=40, deadline=None)
@given(
    stop_points=st.integers(min_value=1, max_value=60),
    day_profit=st.integers(min_value=-2000, max_value=9000),
    open_lots=st.integers(min_value=0, max_value=2),
    open_stop=st.integers(min_value=1, max_value=30),
)
def test_no_approved_size_lets_a_trade_lose_more_than_its_cap_at_the_stop(
    stop_points: int, day_profit: int, open_lots: int, open_stop: int
) -> None:
    positions = [_es(str(open_lots), str(5000 - open_stop))] if open_lots else []
    doc = apex(50000 + day_profit, *positions, stop=str(5000 - stop_points))
    doc["request"]["take_profit"] = str(5000 + stop_points)  # 1:1, inside 5:1
    inputs = inputs_of(doc)
    decision = both(inputs)
    base = max(D(day_profit), D(2500))
    cap = base * (D("0.5") if day_profit > 5200 else D("0.3"))
    already = D(open_lots * open_stop * 50)
    assert already + decision.lots * D(stop_points * 50) <= max(cap, already)
    if decision.approved:
        assert already + decision.lots * D(stop_points * 50) <= cap


@settings(max_examples=40, deadline=None)
@given(
    losses=st.lists(
        st.tuples(st.integers(1, 3000), st.integers(0, 600), st.booleans()), max_size=4
    ),
    stop_pips=st.integers(min_value=5, max_value=200),
)
def test_no_approved_size_lets_a_re_entry_lose_more_than_the_cap(
    losses: list[tuple[int, int, bool]], stop_pips: int
) -> None:
    trades = [
        closed(f"-{loss}", ago, "long" if same else "short", id=f"t{i}")
        for i, (loss, ago, same) in enumerate(losses)
    ]
    doc = fundingpips()
    doc["request"]["stop"] = str(D("1.1000") - D(stop_pips) / 10000)
    decision = both(with_closed(doc, *trades))
    # The losses of this trade: long, within 300 s.
    booked = sum((D(loss) for loss, ago, same in losses if same and ago <= 300), D(0))
    per_lot = D(stop_pips) * 10  # 1 pip of a 100,000 lot is 10
    if decision.approved:
        assert booked + decision.lots * per_lot <= D(3000)


# ------------------------------------------------------------- FundedNext: escalation


def _fundednext(violations: int) -> DecisionInputs:
    """A new EURUSD long (1,000 a lot to its stop) on a FundedNext Stellar 2-Step funded
    account of 100,000 that has violated its open-risk cap ``violations`` times."""
    doc = fundingpips()
    doc["firm"], doc["plan"] = "fundednext", "stellar-2-step"
    return inputs_of(doc).model_copy(update={"risk_violations": violations})


@pytest.mark.parametrize(("violations", "lots"), [(0, D(3)), (1, D(3)), (2, D(1)), (5, D(1))])
def test_fundednext_sizes_by_the_escalated_cap_after_a_second_violation(
    violations: int, lots: Decimal
) -> None:
    # 3 % × 100,000 = 3,000 → 3 lots at 1,000 a lot; from the second violation
    # 1 % × 100,000 = 1,000 → 1 lot.
    decision = both(_fundednext(violations))
    assert limit(decision, "max_open_risk")[0] == lots
    assert decision.lots == lots
    assert decision.binding == "max_open_risk"


def test_no_violations_leave_the_input_hash_alone() -> None:
    inputs = _fundednext(0)
    assert "risk_violations" not in inputs.model_dump(mode="json")
    assert _fundednext(2).input_hash() != inputs.input_hash()


def test_apex_mae_counts_a_pending_entry_recorded_without_its_symbol() -> None:
    doc = apex(54000)
    doc["account"]["reservations"] = [{"decision_id": "d1", "amount": "300"}]
    # It may be on ES long: (1,200 − 300) / 500 = 1.8 contracts.
    decision = both(inputs_of(doc))
    lots, reason = limit(decision, "max_trade_loss")
    assert lots == D("1.8")
    assert "reservation d1" in reason


def test_apex_mae_is_the_open_loss_a_closed_loss_is_not_part_of_it() -> None:
    es_loss = closed("-400", 60, symbol="ES").model_copy(update={"entry": D(5000), "exit": D(4992)})
    decision = both(with_closed(apex(54000), es_loss))
    # Still 30 % × 4,000 = 1,200 / 500 = 2.4 contracts.
    assert limit(decision, "max_trade_loss")[0] == D("2.4")


def _shielded(doc: dict[str, Any]) -> DecisionInputs:
    """``doc``'s inputs under a 1 % per-trade open-loss cap of the account size (Blue
    Guardian's "Guardian Shield"; the firm is not in the catalog, so it is put on the
    FundingPips plan here). A CFD account: the fan-out sizes it over its columns."""
    inputs = inputs_of(doc)
    limits = inputs.rules.limits
    assert limits is not None
    shield = limits.model_copy(update={"max_trade_loss": TradeLossCap(pct=D(1))})
    return inputs.model_copy(update={"rules": inputs.rules.model_copy(update={"limits": shield})})


def test_guardian_shield_holds_a_trade_to_1_percent_in_both_engines() -> None:
    # 1 % × 100,000 = 1,000; 1,000 a lot: 1 lot (the 3,000 per-trade cap allows 3).
    decision = both(_shielded(fundingpips()))
    assert limit(decision, "max_trade_loss")[0] == D(1)
    assert decision.lots == D(1)
    assert decision.binding == "max_trade_loss"


def test_guardian_shield_counts_what_the_entry_adds_to_and_pending_entries() -> None:
    doc = fundingpips(
        {
            "id": "p1",
            "symbol": "EURUSD",
            "side": "long",
            "lots": "0.2",
            "entry": "1.1000",
            "stop": "1.0950",  # 0.0050 × 100,000 × 0.2 = 100
            "take_profit": "1.1010",
            "opened_at": _at(3600),  # an hour ago: outside FundingPips' window, still this trade
        }
    )
    doc["account"]["reservations"] = [{"decision_id": "d1", "amount": "300"}]
    # (1,000 − 100 − 300) / 1,000 = 0.6 lots.
    decision = both(_shielded(doc))
    lots, reason = limit(decision, "max_trade_loss")
    assert lots == D("0.6")
    assert "p1" in reason
    assert "reservation d1" in reason


def test_guardian_shield_used_up_rejects_in_both_engines() -> None:
    doc = fundingpips()
    doc["account"]["reservations"] = [
        {"decision_id": "d1", "amount": "1000", "symbol": "EURUSD", "side": "long"}
    ]
    # 1,000 − 1,000 leaves nothing (the pending entry's swing also uses the daily headroom).
    decision = both(_shielded(doc))
    assert RejectCode.MAX_TRADE_LOSS in decision.reject_codes


# Off the lot grid, so the fan-out decides over its columns (sizes on a lot-step boundary are
# handed to the pipeline, which would hide a fault of the column form). On an Alpha Pro 8
# account: a FundingPips funded account is always handed to the pipeline (its floor's swing
# budget is scalar-only), so the rules under test are put on Alpha's plan.


def _on_alpha(doc: dict[str, Any], **limits: Any) -> DecisionInputs:
    """``doc`` on an Alpha Pro 8 funded account (2 % of 100,000 = 2,000 per trade) whose
    limits are changed by ``limits``."""
    doc["firm"], doc["plan"] = "alpha", "pro-8"
    inputs = inputs_of(doc)
    found = inputs.rules.limits
    assert found is not None
    changed = found.model_copy(update=limits)
    return inputs.model_copy(update={"rules": inputs.rules.model_copy(update={"limits": changed})})


def test_a_re_entry_off_the_lot_grid_is_sized_alike_over_the_columns() -> None:
    inputs = _on_alpha(
        fundingpips(), one_trade_across_symbols=False, one_trade_within_seconds=300
    ).model_copy(
        update={
            "recent_closed_trades": (closed("-500.50", 120), closed("-90", 60, "short", id="t2"))
        }
    )
    # Only the long loss is this trade's: (2,000 − 500.50) / 1,000 = 1.4995 lots → 1.49.
    decision = both(inputs, over_columns=True)
    assert decision.lots == D("1.49")


def test_alpha_off_the_lot_grid_is_sized_alike_over_the_columns() -> None:
    doc = alpha()
    doc["account"]["reservations"] = [
        {"decision_id": "d1", "amount": "700.50", "symbol": "XAUUSD", "side": "short"}
    ]
    # (2,000 − 700.50) / 1,000 = 1.2995 lots → 1.29.
    assert both(inputs_of(doc), over_columns=True).lots == D("1.29")


def test_guardian_shield_off_the_lot_grid_is_sized_alike_over_the_columns() -> None:
    doc = fundingpips()
    doc["account"]["reservations"] = [
        {"decision_id": "d1", "amount": "300.50"},
        {"decision_id": "d2", "amount": "100", "symbol": "EURUSD", "side": "long"},
        {"decision_id": "d3", "amount": "50", "symbol": "EURUSD", "side": "short"},
    ]
    # Alpha's 2 % per trade counts all three (2,000 − 450.50 = 1,549.50 → 1.5495 lots); the
    # shield counts d1 (no symbol) and d2 (this symbol and side), not d3:
    # (1,000 − 300.50 − 100) / 1,000 = 0.5995 lots → 0.59.
    decision = both(_on_alpha(doc, max_trade_loss=TradeLossCap(pct=D(1))), over_columns=True)
    assert decision.lots == D("0.59")
    assert decision.binding == "max_trade_loss"


def test_guardian_shield_with_only_a_pending_entry_of_unknown_symbol_over_the_columns() -> None:
    doc = fundingpips()
    doc["account"]["reservations"] = [{"decision_id": "d1", "amount": "300.50"}]
    # It may be on EURUSD long: (1,000 − 300.50) / 1,000 = 0.6995 lots → 0.69.
    decision = both(_on_alpha(doc, max_trade_loss=TradeLossCap(pct=D(1))), over_columns=True)
    assert decision.lots == D("0.69")
