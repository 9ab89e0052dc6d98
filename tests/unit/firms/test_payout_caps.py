"""Payout caps by payout number: a payout above the cap of its number is refused, naming both.

Firms cap the first payouts of a funded account ("the first 3 payouts are capped", Bulenox;
a payout ladder, Apex). The rule is data (``CashFlowRules.payout_caps``: the n-th entry caps
the n-th payout, none past the list) and the check is the payout path's own
(:func:`firms.cash_flows.check`, raising :class:`InvalidCashFlow` as a buffer breach does).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.cash import NO_CASH, CashFlow, CashFlowKind, CashLedger
from accounts.model import Account, AccountState
from accounts.tracker import Tracker
from firms.cash_flows import check, payout_cap, payout_number
from firms.errors import InvalidCashFlow, UnknownSize
from firms.lifecycle import BROKER, Debounce, cash_flow, push
from firms.model import Amount, CashFlowRules, Confidence
from firms.ruleset import RuleSet, resolve
from tests.builders import CATALOG, utc

D = Decimal
DEBOUNCE = Debounce(near_floor_fraction=D("0.005"), updates=3)
NOON = utc(2026, 6, 2, 16)
# Three capped payouts, then none: 1,500, then 2,000 (2 % of a 100K or 4 % of a 50K size),
# then 2,500 per size.
CAPS = [{"fixed": 1500}, {"pct": 4}, {"by_size": {50000: 2500, 100000: 3500}}]


def capped(caps: object = CAPS, **values: object) -> RuleSet:
    """Topstep's 50K TopstepX Combine with ``caps`` on its payouts (no other cash-flow rule)."""
    rules = CATALOG.rule_set("topstep", "trading-combine-x", "combine", 50_000)
    block = CashFlowRules(
        source=["test"],
        read_on=dt.date(2026, 11, 30),
        confidence=Confidence.SECONDARY,
        payout_caps=caps,
        **values,
    )
    return rules.model_copy(update={"cash_flows": block})


def at_60k(rules: RuleSet) -> tuple[Account, Tracker]:
    """The account pushed to a balance of 60,000 (10,000 of profit), the day before."""
    account = Account(
        id="acc-1",
        owner="alice",
        firm=rules.firm,
        plan=rules.plan,
        phase=rules.phase.id,
        initial_balance=rules.size,
    )
    when = utc(2026, 6, 1, 15)
    state = AccountState(balance=60_000, equity=60_000, as_of=when)
    pushed = push(account, Tracker.start(rules.start), rules, state, when, DEBOUNCE)
    return pushed.account, pushed.tracker


def flow(amount: object, kind: CashFlowKind = CashFlowKind.PAYOUT) -> CashFlow:
    return CashFlow(kind=kind, amount=amount, at=NOON)


def test_each_payout_is_held_to_the_cap_of_its_number() -> None:
    rules = capped()
    account, tracker = at_60k(rules)
    # Payout 1: 1,500 fixed; payout 2: 4 % of 50,000 = 2,000; payout 3: 2,500 for 50K;
    # payout 4: past the list, not capped (5,000 leaves 60,000 − 11,000 = 49,000 > 0).
    for number, (cap, above) in enumerate(
        [(D(1500), D("1500.01")), (D(2000), D("2000.01")), (D(2500), D("2500.01"))], 1
    ):
        message = (
            rf"a payout of {above:,} is above the firm's cap of {cap:,.2f} on payout {number};"
            rf" at most {cap:,.2f} may be paid out"
        )
        with pytest.raises(InvalidCashFlow, match=message.replace(".", r"\.")):
            cash_flow(account, tracker, rules, flow(above), NOON, BROKER)
        taken = cash_flow(account, tracker, rules, flow(cap), NOON, BROKER)
        account, tracker = taken.account, taken.tracker
        assert tracker.cash.payouts == number
    fourth = cash_flow(account, tracker, rules, flow(5_000), NOON, BROKER)
    assert fourth.tracker.cash == CashLedger(net=D(-11_000), payouts=4)
    assert fourth.tracker.state is not None
    assert fourth.tracker.state.balance == 49_000


def test_a_payout_request_is_held_to_the_cap_of_its_own_number() -> None:
    # A request is counted among requests: the first request meets cap 1 (1,500), whatever
    # payouts were paid before it.
    rules = capped()
    _, tracker = at_60k(rules)
    tracker = tracker.evolve(cash=CashLedger(payouts=2))
    with pytest.raises(InvalidCashFlow, match=r"a payout request of 1,600\.00 .* on payout 1;"):
        check(rules, tracker, flow(D(1600), CashFlowKind.PAYOUT_REQUESTED))
    check(rules, tracker, flow(D(1500), CashFlowKind.PAYOUT_REQUESTED))
    # …while the third payout meets cap 3.
    with pytest.raises(InvalidCashFlow, match="on payout 3;"):
        check(rules, tracker, flow(D("2500.01")))


def test_deposits_fees_and_uncapped_plans_are_not_held_to_a_cap() -> None:
    rules = capped()
    _, tracker = at_60k(rules)
    check(rules, tracker, flow(D(9_000), CashFlowKind.DEPOSIT))
    check(rules, tracker, flow(D(9_000), CashFlowKind.FEE))
    plain = CATALOG.rule_set("topstep", "trading-combine-x", "combine", 50_000)
    assert plain.cash_flows is None
    check(plain, tracker, flow(D(9_000)))


def test_the_buffer_and_the_cap_both_hold() -> None:
    # Buffer 9,000 above 50,000 leaves 1,000 payable of the 10,000 profit: under cap 1
    # (1,500), the buffer binds; with 20,000 of buffer room, the cap binds.
    rules = capped(payout_buffer={"fixed": 9_000})
    _, tracker = at_60k(rules)
    with pytest.raises(InvalidCashFlow, match=r"at most 1,000\.00 may be paid out"):
        check(rules, tracker, flow(D("1000.01")))
    check(rules, tracker, flow(D(1000)))
    roomy = capped(payout_buffer={"fixed": 1_000})
    with pytest.raises(InvalidCashFlow, match=r"cap of 1,500\.00 on payout 1"):
        check(roomy, tracker, flow(D("1500.01")))


def test_the_numbering_and_the_resolved_caps() -> None:
    rules = capped()
    assert payout_number(NO_CASH, CashFlowKind.PAYOUT) == 1
    assert payout_number(CashLedger(payouts=2, requests=5), CashFlowKind.PAYOUT) == 3
    assert payout_number(CashLedger(payouts=2, requests=5), CashFlowKind.PAYOUT_REQUESTED) == 6
    assert [payout_cap(rules, n) for n in (1, 2, 3, 4)] == [D(1500), D(2000), D(2500), None]
    assert payout_cap(rules, 0) is None
    hundred = CATALOG.rule_set("topstep", "trading-combine-x", "combine", 100_000)
    assert payout_cap(hundred.model_copy(update={"cash_flows": rules.cash_flows}), 3) == 3500


def test_caps_are_described_and_left_out_of_the_dump_when_unset() -> None:
    rules = capped()
    assert rules.cash_flows is not None
    assert rules.cash_flows.describe() == (
        "daily re_anchor; max loss none; payout caps #1 1,500, #2 4% of size,"
        " #3 2,500 (50k) / 3,500 (100k)"
    )
    # Rule sets stored before caps existed keep their hash: no key while the list is empty.
    plain = capped(caps=[])
    assert plain.cash_flows is not None
    assert "payout_caps" not in plain.cash_flows.model_dump()
    assert "payout_caps" not in plain.cash_flows.model_dump_json()
    dumped = rules.cash_flows.model_dump_json()
    assert CashFlowRules.model_validate_json(dumped) == rules.cash_flows


@given(
    cap=st.decimals(min_value=1, max_value=100_000, places=2),
    amount=st.decimals(min_value=D("0.01"), max_value=9_999, places=2),
)
def test_a_payout_is_taken_exactly_when_it_is_within_its_cap(cap: Decimal, amount: Decimal) -> None:
    rules = capped(caps=[Amount(fixed=cap)])
    state = AccountState(balance=60_000, equity=60_000, as_of=utc(2026, 6, 1, 15))
    tracker = Tracker.start(rules.start).evolve(state=state)
    if amount <= cap:
        check(rules, tracker, flow(amount))
    else:
        with pytest.raises(InvalidCashFlow, match="on payout 1;"):
            check(rules, tracker, flow(amount))


def test_a_cap_without_an_amount_for_the_accounts_size_is_refused_when_resolved() -> None:
    # A rule file whose second cap knows 100K only cannot resolve a 50K account: the error
    # names the block and the payout, before any payout meets it.
    firm = CATALOG.firm("topstep")
    plan = firm.plans[0]
    flows = CashFlowRules(
        source=["test"],
        read_on=dt.date(2026, 11, 30),
        confidence=Confidence.SECONDARY,
        payout_caps=[{"fixed": 1500}, {"by_size": {100000: 3000}}],
    )
    with_caps = plan.model_copy(update={"cash_flows": flows})
    with pytest.raises(UnknownSize, match=r"cash_flows\.payout_caps \(payout 2\): no amount"):
        resolve(firm, with_caps, plan.phases[0].id, D(50_000))
    assert resolve(firm, with_caps, plan.phases[0].id, D(100_000)).cash_flows == flows
