"""A daily limit that steps with profit sizes trades with the floor's own amount, net of cash.

Tradeify's funded daily loss limit on 50K is 1,250 and "will be increased to your drawdown
amount [2,000] when your account hits 6% profit" (3,000). The floors measure that profit in
trading terms, without the cash flows; the sizing budgets (the carried daily budget of a
position held past the reset, and the swing budget of a daily floor anchored on equity) must
read the very same amount, so a payout or a deposit never moves the limit the sizing sees.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.cash import NO_CASH, CashFlow, CashFlowKind, CashLedger
from accounts.model import AccountState, DayStart
from accounts.peaks import Peaks
from aria.sizing.columns import prepare
from aria.sizing.limits import carried, swing_budgets
from aria.sizing.pipeline import decide
from firms.floors import day_amount, day_floor, floors
from firms.headroom import headroom
from firms.model import DailyAnchor
from firms.ruleset import RuleSet
from tests.builders import CATALOG, inputs_of, scenario, utc

D = Decimal
RESET = utc(2026, 6, 1, 22)  # 18:00 New York, Tradeify's reset
NOON = utc(2026, 6, 2, 16)


def _tradeify() -> RuleSet:
    """Tradeify Growth funded 50K, held past the reset (its sessions left out)."""
    rules = CATALOG.rule_set("tradeify", "growth", "funded", 50_000)
    return rules.model_copy(update={"sessions": ()})


def _on_equity(rules: RuleSet) -> RuleSet:
    """The same plan with its daily floor anchored on the reset's balance or equity."""
    daily = rules.daily_loss.model_copy(update={"anchor": DailyAnchor.RESET_BALANCE_OR_EQUITY})
    return rules.model_copy(update={"daily_loss": daily})


def _after(reset_balance: int, kind: CashFlowKind) -> tuple[DayStart, CashLedger]:
    """The day that opened at ``reset_balance``, after 1,000 of ``kind`` at noon."""
    flow = CashFlow(kind=kind, amount=D(1000), at=NOON)
    day = DayStart.at(RESET, D(reset_balance), D(reset_balance)).moved(flow.signed)
    return day, NO_CASH.after(flow)


# (reset balance, flow, the amount the floor uses): worked by hand.
# - 53,500 then a payout of 1,000: the day re-anchors to 52,500, but the trading profit at the
#   reset is still 52,500 − 50,000 − (−1,000) = 3,500 ≥ 3,000: the limit stays 2,000. Read on
#   the balance with the cash, 2,500 < 3,000 would have shrunk it to 1,250.
# - 52,500 then a deposit of 1,000: the day re-anchors to 53,500, the trading profit is
#   53,500 − 50,000 − 1,000 = 2,500 < 3,000: the limit stays 1,250. Read with the cash,
#   3,500 would have raised it to 2,000 (the looser, unsafe reading).
CASES = [(53_500, CashFlowKind.PAYOUT, 2000), (52_500, CashFlowKind.DEPOSIT, 1250)]


def _room(rules: RuleSet, day: DayStart, cash: CashLedger) -> Any:
    state = AccountState(balance=day.balance, equity=day.balance, as_of=NOON)
    found = floors(rules, day, Peaks.start(rules.size), state, cash)
    return headroom(found, state.equity, now=NOON)


@pytest.mark.parametrize(("reset_balance", "kind", "amount"), CASES)
def test_the_carried_daily_budget_is_the_floors_amount_net_of_cash(
    reset_balance: int, kind: CashFlowKind, amount: int
) -> None:
    rules = _tradeify()
    day, cash = _after(reset_balance, kind)
    # The floor: the re-anchored day less the amount (52,500 − 2,000 = 50,500 after the
    # payout; 53,500 − 1,250 = 52,250 after the deposit).
    floor = day_floor(rules, day, cash)
    assert floor == day.balance - amount
    assert day_amount(rules, day, cash) == D(amount)
    # Nothing held, nothing reserved, no buffer: the whole amount is the trade's.
    (budget,) = [
        c for c in carried(rules, day, _room(rules, day, cash), [], cash) if c.floor == "daily_loss"
    ]
    assert budget.allowance == D(amount)
    assert budget.allowance == day.balance - floor


@pytest.mark.parametrize(("reset_balance", "kind", "amount"), CASES)
def test_the_daily_swing_budget_is_the_floors_amount_net_of_cash(
    reset_balance: int, kind: CashFlowKind, amount: int
) -> None:
    rules = _on_equity(_tradeify())
    day, cash = _after(reset_balance, kind)
    budgets = dict(swing_budgets(rules, day, _room(rules, day, cash), cash))
    assert budgets["daily_loss"] == D(amount)
    assert budgets["daily_loss"] == day.balance - day_floor(rules, day, cash)


def _document(reset_balance: int, kind: CashFlowKind) -> dict[str, Any]:
    """Tradeify's stepped daily limit inline, held overnight, buying FINE at 100, stop 95."""
    day, _ = _after(reset_balance, kind)
    rules = {
        "name": "Tradeify funded daily limit, held overnight",
        "daily_loss": {
            "anchor": "reset_balance",
            "amount": {"fixed": 1250},
            "steps": [{"from_profit": {"pct": 6}, "amount": {"fixed": 2000}}],
            "breach": "soft",
        },
        "phase_kind": "funded",
    }
    balance = str(day.balance)
    account = {
        "size": 50000,
        "balance": balance,
        "as_of": NOON.isoformat(),
        "day_start": {"balance": balance, "at": RESET.isoformat()},
    }
    profile = {"preset": "aria", "account": {"risk_per_trade": "0.5"}}
    return scenario(rules=rules, account=account, profile=profile)


@pytest.mark.parametrize(("reset_balance", "kind", "amount"), CASES)
def test_both_engines_size_with_the_floors_amount_after_a_flow(
    reset_balance: int, kind: CashFlowKind, amount: int
) -> None:
    # FINE loses 5 a lot to its stop: the carried budget allows amount / 5 lots (2,000 / 5 =
    # 400 after the payout, 1,250 / 5 = 250 after the deposit), on both engines.
    _, cash = _after(reset_balance, kind)
    inputs = inputs_of(_document(reset_balance, kind)).model_copy(update={"cash": cash})
    decision = decide(inputs)
    (check,) = [c for c in decision.limits if c.name == "daily_loss_next_day"]
    assert check.max_lots == D(amount) / 5
    fan = prepare([inputs])
    assert float(fan.table.floats["daily_loss_next_day"][0]) == amount


@settings(max_examples=200)
@given(
    reset_balance=st.integers(min_value=45_000, max_value=60_000),
    kind=st.sampled_from([CashFlowKind.PAYOUT, CashFlowKind.DEPOSIT, CashFlowKind.FEE]),
    amount=st.integers(min_value=1, max_value=5_000),
)
def test_every_budget_is_the_floors_distance_whatever_the_flow(
    reset_balance: int, kind: CashFlowKind, amount: int
) -> None:
    # Invariant: the daily budgets the sizing reads are the distance from the re-anchored day
    # to the floor's own level, so no flow can move one without the other.
    flow = CashFlow(kind=kind, amount=D(amount), at=NOON)
    day = DayStart.at(RESET, D(reset_balance), D(reset_balance)).moved(flow.signed)
    cash = NO_CASH.after(flow)
    held_over = _tradeify()
    floor = day_floor(held_over, day, cash)
    assert floor is not None
    distance = day.balance - floor
    assert distance in (D(1250), D(2000))
    (budget,) = [
        c
        for c in carried(held_over, day, _room(held_over, day, cash), [], cash)
        if c.floor == "daily_loss"
    ]
    assert budget.allowance == distance
    on_equity = _on_equity(held_over)
    level = day_floor(on_equity, day, cash)
    assert level is not None
    budgets = dict(swing_budgets(on_equity, day, _room(on_equity, day, cash), cash))
    assert budgets["daily_loss"] == day.balance - level
