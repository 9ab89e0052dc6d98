"""Properties of cash flows: they never change trading P&L, the peaks in trading terms or the
day's P&L, and each floor moves only as its rule allows, with and without them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from accounts.cash import CashFlow, CashFlowKind
from accounts.model import Account, AccountState
from accounts.tracker import Tracker
from firms.errors import InvalidCashFlow
from firms.floors import Floors, reactions
from firms.lifecycle import BROKER, Debounce, cash_flow, judge, push
from firms.model import CashFlowRules, Confidence, FloorReaction
from firms.ruleset import RuleSet
from tests.builders import CATALOG, utc
from tests.strategies import cash_paths

D = Decimal
DEBOUNCE = Debounce(near_floor_fraction=D("0.005"), updates=3)
START = utc(2026, 6, 1, 12)


def account_for(rules: RuleSet) -> Account:
    return Account(
        id="acc-1",
        owner="alice",
        firm=rules.firm,
        plan=rules.plan,
        phase=rules.phase.id,
        initial_balance=rules.size,
    )


class Run:
    """One account pushed through a path: with its cash flows, or in trading terms alone."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.account = account_for(rules)
        self.tracker = Tracker.start(rules.start)

    def push(self, when: dt.datetime, balance: Decimal, equity: Decimal) -> None:
        state = AccountState(balance=balance, equity=equity, as_of=when)
        done = push(self.account, self.tracker, self.rules, state, when, DEBOUNCE)
        self.account, self.tracker = done.account, done.tracker

    def floors(self) -> Floors:
        assert self.tracker.state is not None
        return judge(self.rules, self.tracker, self.tracker.state).floors


@given(cash_paths(), st.booleans())
def test_cash_flows_never_change_trading_terms_and_floors_move_only_by_rule(
    path: tuple[tuple[str, str, str, int], list[tuple[Any, ...]]], re_anchor: bool
) -> None:
    (firm, plan, phase, size), steps = path
    rules = CATALOG.rule_set(firm, plan, phase, size)
    if re_anchor and rules.cash_flows is None:
        block = CashFlowRules(
            source=["a re-anchored maximum loss"],
            read_on=dt.date(2026, 11, 30),
            confidence=Confidence.UNCERTAIN,
            max_loss=FloorReaction.RE_ANCHOR,
        )
        rules = rules.model_copy(update={"cash_flows": block})
    daily_reaction, max_reaction = reactions(rules)
    unit = D(size) / 1000
    plain, flowed = Run(rules), Run(rules)
    when, balance, open_pnl = START, rules.start, D(0)
    no_flow_floors: list[Decimal] = []
    for step in steps:
        if step[0] == "state":
            _, hours, move, floating = step
            when += dt.timedelta(hours=hours)
            balance += move * unit
            open_pnl = floating * unit
            net = flowed.tracker.cash.net
            plain.push(when, balance, balance + open_pnl)
            flowed.push(when, balance + net, balance + net + open_pnl)
            no_flow_floors.append(plain.floors().max_loss)
        else:
            _, kind, share = step
            when += dt.timedelta(minutes=1)
            flow = CashFlow(kind=CashFlowKind(kind), amount=share * unit, at=when)
            before = flowed.floors()
            try:
                done = cash_flow(flowed.account, flowed.tracker, rules, flow, when, BROKER)
            except InvalidCashFlow:
                continue  # refused: a payout above the balance changes nothing
            flowed.account, flowed.tracker = done.account, done.tracker
            after = flowed.floors()
            fixed = flowed.tracker.cash.max_loss_floor
            if fixed is not None and before.max_loss != after.max_loss:
                assert after.max_loss == fixed  # set by the payout rule
            elif max_reaction is FloorReaction.RE_ANCHOR:
                assert after.max_loss == before.max_loss + flow.signed
            else:
                assert after.max_loss == before.max_loss
        cash = flowed.tracker.cash
        # Trading terms: the peaks less the net cash flow, the day's P&L, closed trades.
        assert flowed.tracker.peaks.moved(-cash.net) == plain.tracker.peaks
        assert plain.tracker.day is not None
        assert flowed.tracker.day is not None
        assert daily_reaction is FloorReaction.RE_ANCHOR
        assert flowed.tracker.day == plain.tracker.day.moved(cash.net)
        assert flowed.tracker.state is not None
        assert plain.tracker.state is not None
        assert (
            flowed.tracker.state.equity - flowed.tracker.day.balance
            == plain.tracker.state.equity - plain.tracker.day.balance
        )
        # Floors in balance terms: the day's moves with the flows, the maximum loss by rule.
        ours, theirs = flowed.floors(), plain.floors()
        assert ours.daily == (None if theirs.daily is None else theirs.daily + cash.net)
        if cash.max_loss_floor is not None:
            assert ours.max_loss == cash.max_loss_floor
        elif max_reaction is FloorReaction.RE_ANCHOR:
            assert ours.max_loss == theirs.max_loss + cash.net
        else:
            assert ours.max_loss == theirs.max_loss
    # Without cash flows a trailing floor never falls.
    assert no_flow_floors == sorted(no_flow_floors)
