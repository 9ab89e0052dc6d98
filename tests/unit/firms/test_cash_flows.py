"""Cash flows on values: a payout is never a loss, and each firm's rule moves its floors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.cash import NO_CASH, CashFlow, CashFlowKind, CashLedger
from accounts.model import Account, AccountState, DayStart, HaltKind, TradingStatus
from accounts.tracker import Tracker
from firms.cash_flows import CASH_FLOW, CLOSED, take
from firms.catalog import Catalog
from firms.errors import InvalidCashFlow
from firms.floors import day_floor
from firms.headroom import headroom
from firms.lifecycle import BROKER, Debounce, cash_flow, judge, push
from firms.model import CashFlowRules, Confidence, DailyAnchor, FloorReaction, PayoutFloor
from firms.ruleset import RuleSet
from tests.builders import utc

D = Decimal
DEBOUNCE = Debounce(near_floor_fraction=D("0.005"), updates=3)


def account_for(rules: RuleSet) -> Account:
    return Account(
        id="acc-1",
        owner="alice",
        firm=rules.firm,
        plan=rules.plan,
        phase=rules.phase.id,
        initial_balance=rules.size,
    )


def state(when: dt.datetime, balance: object, equity: object | None = None) -> AccountState:
    return AccountState(balance=balance, equity=balance if equity is None else equity, as_of=when)


def pushed(
    rules: RuleSet, account: Account, tracker: Tracker, when: dt.datetime, balance: object
) -> tuple[Account, Tracker]:
    result = push(account, tracker, rules, state(when, balance), when, DEBOUNCE)
    return result.account, result.tracker


def paid(kind: CashFlowKind, amount: object, when: dt.datetime) -> CashFlow:
    return CashFlow(kind=kind, amount=amount, at=when)


def ftmo_day_at_110k(catalog: Catalog) -> tuple[RuleSet, Account, Tracker]:
    """FTMO 2-Step funded 100k whose day of 2 June (reset 22:00 UTC) starts at 110,000."""
    rules = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 1, 15), 110_000)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 9), 110_000)
    assert tracker.day is not None
    assert tracker.day.balance == 110_000
    return rules, account, tracker


# FTMO: the day anchor moves by the payout ----------------------------------------------


def test_an_ftmo_payout_moves_the_day_anchor_and_is_no_breach(catalog: Catalog) -> None:
    rules, account, tracker = ftmo_day_at_110k(catalog)
    assert judge(rules, tracker, tracker.state).floors.daily == 105_000  # type: ignore[arg-type]

    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 8_000, utc(2026, 6, 2, 12)),
        utc(2026, 6, 2, 12, 0, 1),
        BROKER,
    )
    assert flowed.events == (CASH_FLOW,)
    assert flowed.tracker.cash == CashLedger(net=D(-8_000), payouts=1)
    after = push(
        flowed.account,
        flowed.tracker,
        rules,
        state(utc(2026, 6, 2, 12, 1), 102_000),
        utc(2026, 6, 2, 12, 1),
        DEBOUNCE,
    )
    assert after.judgement.breaches == ()
    assert after.judgement.floors.daily == 97_000
    assert after.judgement.floors.max_loss == 90_000  # static: the payout leaves it alone
    assert after.account.trading.status is not TradingStatus.HALTED
    (record,) = flowed.records
    assert record.detail["floors"] == {"daily_loss": "97000", "max_loss": "90000"}
    assert record.detail["balance"] == "102000"


def test_without_the_cash_flow_the_same_balance_is_a_hard_daily_breach(catalog: Catalog) -> None:
    rules, account, tracker = ftmo_day_at_110k(catalog)
    after = push(
        account,
        tracker,
        rules,
        state(utc(2026, 6, 2, 12, 1), 102_000),
        utc(2026, 6, 2, 12, 1),
        DEBOUNCE,
    )
    assert after.account.trading.halt is HaltKind.FAILED
    assert [b.code for b in after.judgement.breaches] == ["D1"]


def test_the_next_reset_anchors_on_the_balance_after_the_payout(catalog: Catalog) -> None:
    rules, account, tracker = ftmo_day_at_110k(catalog)
    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 8_000, utc(2026, 6, 2, 12)),
        utc(2026, 6, 2, 12),
        BROKER,
    )
    account, tracker = pushed(rules, flowed.account, flowed.tracker, utc(2026, 6, 3, 9), 102_500)
    assert tracker.day is not None
    assert tracker.day.balance == 102_000
    assert judge(rules, tracker, tracker.state).floors.daily == 97_000  # type: ignore[arg-type]


# Topstep XFA: a balance from 0, a floor below it, set to 0 by the first payout ----------


def xfa(catalog: Catalog) -> RuleSet:
    return catalog.rule_set("topstep", "express-funded", "express-funded", 50_000)


def test_an_xfa_starts_at_zero_with_its_mll_2000_below(catalog: Catalog) -> None:
    rules = xfa(catalog)
    assert rules.start == 0
    account, tracker = account_for(rules), Tracker.start(rules.start)
    result = push(
        account, tracker, rules, state(utc(2026, 6, 2, 15), -1_999), utc(2026, 6, 2, 15), DEBOUNCE
    )
    found = result.judgement.floors
    assert (found.daily, found.max_loss, found.floating) == (None, -2_000, None)
    assert result.judgement.breaches == ()
    room = headroom(found, D(-1_999), now=utc(2026, 6, 2, 15))
    assert room.available == 1
    assert room.distances == {"max_loss": 1}
    touched = push(
        result.account,
        result.tracker,
        rules,
        state(utc(2026, 6, 2, 16), -2_000),
        utc(2026, 6, 2, 16),
        DEBOUNCE,
    )
    assert touched.account.trading.halt is HaltKind.FAILED


def test_the_first_xfa_payout_sets_the_mll_to_zero(catalog: Catalog) -> None:
    rules = xfa(catalog)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 1_500)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 3, 15), 1_500)
    assert judge(rules, tracker, tracker.state).floors.max_loss == -500  # type: ignore[arg-type]
    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 500, utc(2026, 6, 3, 16)),
        utc(2026, 6, 3, 16),
        BROKER,
    )
    assert flowed.tracker.cash == CashLedger(net=D(-500), payouts=1, max_loss_floor=D(0))
    assert flowed.records[0].detail["floors"] == {"max_loss": "0"}
    # The floor stays at 0 whatever the balance does next.
    account, tracker = pushed(rules, flowed.account, flowed.tracker, utc(2026, 6, 4, 15), 3_000)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 5, 15), 2_000)
    assert judge(rules, tracker, tracker.state).floors.max_loss == 0  # type: ignore[arg-type]


def test_an_xfa_deposit_or_request_before_a_payout_leaves_the_mll_level(catalog: Catalog) -> None:
    rules = xfa(catalog)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 1_000)
    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT_REQUESTED, 400, utc(2026, 6, 2, 16)),
        utc(2026, 6, 2, 16),
        BROKER,
    )
    assert flowed.tracker.cash == CashLedger(requests=1)
    assert flowed.tracker.state == tracker.state  # a request does not move the balance
    assert judge(rules, flowed.tracker, tracker.state).floors.max_loss == -2_000  # type: ignore[arg-type]


def test_a_payout_above_the_balance_is_refused(catalog: Catalog) -> None:
    rules = xfa(catalog)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 300)
    with pytest.raises(InvalidCashFlow, match=r"more than the balance of 300\.00"):
        cash_flow(
            account,
            tracker,
            rules,
            paid(CashFlowKind.PAYOUT, D("300.01"), utc(2026, 6, 2, 16)),
            utc(2026, 6, 2, 16),
            BROKER,
        )


def test_a_flow_older_than_the_latest_state_is_refused(catalog: Catalog) -> None:
    rules, account, tracker = ftmo_day_at_110k(catalog)
    with pytest.raises(InvalidCashFlow, match="older than the latest state"):
        cash_flow(
            account,
            tracker,
            rules,
            paid(CashFlowKind.DEPOSIT, 1, utc(2026, 6, 2, 8)),
            utc(2026, 6, 2, 10),
            BROKER,
        )


# E8 One: withdrawing all profit closes the account ------------------------------------


def e8_funded(catalog: Catalog) -> tuple[RuleSet, Account, Tracker]:
    rules = catalog.rule_set("e8", "one", "funded", 100_000)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 103_000)
    return rules, account, tracker


def test_withdrawing_all_e8_one_profit_closes_the_account(catalog: Catalog) -> None:
    rules, account, tracker = e8_funded(catalog)
    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 3_000, utc(2026, 6, 2, 16)),
        utc(2026, 6, 2, 16),
        BROKER,
    )
    assert flowed.events == (CASH_FLOW, CLOSED)
    trading = flowed.account.trading
    assert (trading.status, trading.halt) == (TradingStatus.HALTED, HaltKind.CLOSED)
    assert trading.reason == (
        "all profit withdrawn: a payout left a balance of 100,000.00, not above the starting"
        " balance of 100,000.00, and the firm closes the account"
    )


def test_a_partial_e8_one_payout_keeps_the_account_and_its_floor(catalog: Catalog) -> None:
    rules, account, tracker = e8_funded(catalog)
    assert judge(rules, tracker, tracker.state).floors.max_loss == 97_000  # type: ignore[arg-type]
    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 1_000, utc(2026, 6, 2, 16)),
        utc(2026, 6, 2, 16),
        BROKER,
    )
    assert flowed.events == (CASH_FLOW,)
    assert flowed.account == account
    # The trailing level keeps its place: 97,000, with the balance now at 102,000.
    assert flowed.records[0].detail["floors"]["max_loss"] == "97000"


# Reactions as rule data ---------------------------------------------------------------


def with_flows(rules: RuleSet, **values: object) -> RuleSet:
    block = CashFlowRules(
        source=["test"], read_on=dt.date(2026, 11, 30), confidence=Confidence.SECONDARY, **values
    )
    return rules.model_copy(update={"cash_flows": block})


def test_a_re_anchored_trailing_floor_keeps_its_distance(catalog: Catalog) -> None:
    base = catalog.rule_set("topstep", "trading-combine-x", "combine", 50_000)
    rules = with_flows(base, max_loss=FloorReaction.RE_ANCHOR)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 51_000)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 3, 15), 51_000)
    assert judge(rules, tracker, tracker.state).floors.max_loss == 49_000  # type: ignore[arg-type]
    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 1_500, utc(2026, 6, 3, 16)),
        utc(2026, 6, 3, 16),
        BROKER,
    )
    assert flowed.records[0].detail["floors"] == {"max_loss": "47500"}
    # Under the catalog's own rule (none) the level stays.
    kept = cash_flow(
        account,
        tracker,
        base,
        paid(CashFlowKind.PAYOUT, 1_500, utc(2026, 6, 3, 16)),
        utc(2026, 6, 3, 16),
        BROKER,
    )
    assert kept.records[0].detail["floors"] == {"max_loss": "49000"}


def test_a_withdrawal_request_locks_the_floor_at_the_starting_balance(catalog: Catalog) -> None:
    base = catalog.rule_set("topstep", "trading-combine-x", "combine", 50_000)
    rules = with_flows(base, on_payout=PayoutFloor.LOCK_AT_INITIAL, trigger="payout_requested")
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 50_800)
    flowed = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT_REQUESTED, 500, utc(2026, 6, 2, 16)),
        utc(2026, 6, 2, 16),
        BROKER,
    )
    assert flowed.tracker.cash.max_loss_floor == 50_000
    assert flowed.records[0].detail["floors"] == {"max_loss": "50000"}


def test_a_payout_into_the_buffer_is_refused_and_one_above_it_is_taken(catalog: Catalog) -> None:
    base = catalog.rule_set("topstep", "trading-combine-x", "combine", 50_000)
    rules = with_flows(base, payout_buffer={"fixed": 2_100})
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 53_000)
    request = paid(CashFlowKind.PAYOUT_REQUESTED, D("900.01"), utc(2026, 6, 2, 16))
    with pytest.raises(InvalidCashFlow, match=r"at most 900\.00 may be paid out"):
        cash_flow(account, tracker, rules, request, utc(2026, 6, 2, 16), BROKER)
    taken = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 900, utc(2026, 6, 2, 16)),
        utc(2026, 6, 2, 16),
        BROKER,
    )
    assert taken.tracker.state is not None
    assert taken.tracker.state.balance == 52_100


def test_a_set_rule_needs_its_value() -> None:
    with pytest.raises(ValueError, match="needs a 'floor_value'"):
        CashFlowRules(
            source=["x"],
            read_on=dt.date(2026, 11, 30),
            confidence=Confidence.SECONDARY,
            on_payout=PayoutFloor.SET,
        )


def test_a_balance_may_be_negative_but_never_nan_or_infinite() -> None:
    assert state(utc(2026, 6, 2), "-1999").balance == -1_999
    for bad in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError, match="must be a finite number"):
            state(utc(2026, 6, 2), bad, 0)


def test_an_apex_payout_must_leave_the_safety_net(catalog: Catalog) -> None:
    rules = catalog.rule_set("apex", "pa", "pa", 50_000, version="legacy")
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 53_000)
    request = paid(CashFlowKind.PAYOUT_REQUESTED, 401, utc(2026, 6, 2, 16))
    with pytest.raises(InvalidCashFlow, match=r"below the 52,600\.00 .* at most 400\.00"):
        cash_flow(account, tracker, rules, request, utc(2026, 6, 2, 16), BROKER)
    allowed = paid(CashFlowKind.PAYOUT_REQUESTED, 400, utc(2026, 6, 2, 16))
    taken = cash_flow(account, tracker, rules, allowed, utc(2026, 6, 2, 16), BROKER)
    assert taken.tracker.cash.requests == 1


# Scaling: the firm grows the account ----------------------------------------------------


def test_a_scaling_grows_the_size_and_keeps_the_profit(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 1, 15), 112_000)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 9), 112_000)
    bigger = catalog.rule_set("ftmo", "2-step", "funded", 125_000)
    flow = paid(CashFlowKind.SCALING, 25_000, utc(2026, 6, 2, 10))
    flowed = cash_flow(account, tracker, rules, flow, utc(2026, 6, 2, 10), BROKER, bigger)
    assert flowed.account.initial_balance == 125_000
    assert flowed.account_changed
    assert flowed.tracker.cash == CashLedger()  # not a deposit: the profit stays 12,000
    assert flowed.tracker.state is not None
    assert flowed.tracker.state.balance == 137_000
    # 137,000 at the day's anchor less 5% of 125,000; 90% of 125,000.
    assert flowed.records[0].detail["floors"] == {"daily_loss": "130750", "max_loss": "112500"}
    assert flowed.records[0].detail["size"] == "125000"


def test_a_scaling_must_match_its_new_rules_and_a_balance_from_zero(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    flow = paid(CashFlowKind.SCALING, 25_000, utc(2026, 6, 2, 10))
    with pytest.raises(InvalidCashFlow, match="needs the rule set of the account's new size"):
        cash_flow(account, tracker, rules, flow, utc(2026, 6, 2, 10), BROKER)
    wrong = catalog.rule_set("ftmo", "2-step", "funded", 200_000)
    with pytest.raises(InvalidCashFlow, match="to 125,000, not 200,000"):
        cash_flow(account, tracker, rules, flow, utc(2026, 6, 2, 10), BROKER, wrong)
    small = xfa(catalog)
    big = catalog.rule_set("topstep", "express-funded", "express-funded", 100_000)
    grow = paid(CashFlowKind.SCALING, 50_000, utc(2026, 6, 2, 10))
    with pytest.raises(InvalidCashFlow, match="starts at 0, not at its size"):
        cash_flow(
            account_for(small), Tracker.start(0), small, grow, utc(2026, 6, 2, 10), BROKER, big
        )


# Edges, by value --------------------------------------------------------------------------


def test_the_reason_names_the_flow_and_its_note(catalog: Catalog) -> None:
    rules, account, tracker = ftmo_day_at_110k(catalog)
    when = utc(2026, 6, 2, 12)
    plain = cash_flow(account, tracker, rules, paid(CashFlowKind.FEE, 120, when), when, BROKER)
    assert plain.records[0].reason == "fee of 120.00"
    noted = CashFlow(kind=CashFlowKind.PAYOUT, amount=8_000, at=when, note="May profit split")
    flowed = cash_flow(account, tracker, rules, noted, when, BROKER)
    assert flowed.records[0].reason == "payout of 8,000.00: May profit split"


def test_before_any_state_the_balance_is_the_start_moved_by_earlier_flows(
    catalog: Catalog,
) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    when = utc(2026, 6, 2, 12)
    deposit = cash_flow(
        account, tracker, rules, paid(CashFlowKind.DEPOSIT, 500, when), when, BROKER
    )
    # The whole balance, 100,000 + 500, may be paid out; a cent more may not.
    everything = paid(CashFlowKind.PAYOUT, 100_500, when)
    taken = cash_flow(deposit.account, deposit.tracker, rules, everything, when, BROKER)
    assert taken.records[0].detail["balance"] == "0"
    too_much = paid(CashFlowKind.PAYOUT, D("100500.01"), when)
    with pytest.raises(InvalidCashFlow, match=r"more than the balance of 100,500\.00"):
        cash_flow(deposit.account, deposit.tracker, rules, too_much, when, BROKER)


def test_a_flow_stamped_at_the_latest_state_is_taken(catalog: Catalog) -> None:
    rules, account, tracker = ftmo_day_at_110k(catalog)
    assert tracker.state is not None
    when = tracker.state.as_of
    flowed = cash_flow(account, tracker, rules, paid(CashFlowKind.FEE, 10, when), when, BROKER)
    assert flowed.tracker.cash.net == -10


def test_a_floor_fixed_after_the_second_payout_is_not_fixed_by_the_first(
    catalog: Catalog,
) -> None:
    base = catalog.rule_set("topstep", "trading-combine-x", "combine", 50_000)
    rules = with_flows(base, on_payout=PayoutFloor.SET, floor_value=D(50_000), after_payouts=2)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 15), 53_000)
    first = cash_flow(
        account,
        tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 500, utc(2026, 6, 2, 16)),
        utc(2026, 6, 2, 16),
        BROKER,
    )
    assert first.tracker.cash.max_loss_floor is None
    second = cash_flow(
        first.account,
        first.tracker,
        rules,
        paid(CashFlowKind.PAYOUT, 500, utc(2026, 6, 2, 17)),
        utc(2026, 6, 2, 17),
        BROKER,
    )
    assert second.tracker.cash.max_loss_floor == 50_000


def test_a_payout_that_leaves_the_balance_under_a_floor_is_judged_a_breach(
    catalog: Catalog,
) -> None:
    # FTMO funded 100k whose day starts at 95,500, under a rule whose payout leaves the static
    # max-loss floor of 90,000 where it is: paying out 5,600 leaves 89,900, under it.
    base = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    rules = with_flows(base, max_loss=FloorReaction.NONE)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 1, 15), 95_500)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 9), 95_500)
    assert account.trading.status is TradingStatus.ACTIVE
    when = utc(2026, 6, 2, 12)
    payout = paid(CashFlowKind.PAYOUT, 5_600, when)
    flowed = cash_flow(account, tracker, rules, payout, when, BROKER)
    assert [record.kind for record in flowed.records] == [CASH_FLOW, "breach"]
    assert flowed.account.trading.halt is HaltKind.FAILED
    assert flowed.records[1].reason == flowed.account.trading.reason
    assert flowed.records[1].reason.startswith("hard max-loss breach")
    # Already failed: a later fee is recorded, and no second breach with it.
    later = utc(2026, 6, 2, 13)
    fee = cash_flow(
        flowed.account, flowed.tracker, rules, paid(CashFlowKind.FEE, 10, later), later, BROKER
    )
    assert [record.kind for record in fee.records] == [CASH_FLOW]


def test_a_daily_anchor_on_the_initial_balance_moves_with_a_re_anchoring_flow(
    catalog: Catalog,
) -> None:
    # Before the first reset the FTMO day hangs from the initial 100,000: a deposit of 500
    # re-anchors it to 100,500 (floor 95,500) unless the plan's daily reaction is 'none'.
    rules = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    deposit = CashLedger(net=D(500))
    assert day_floor(rules, None, deposit) == D(95_500)
    assert day_floor(with_flows(rules, daily=FloorReaction.NONE), None, deposit) == D(95_000)
    # A plan whose day always hangs from the initial balance moves it on every day.
    initial = rules.model_copy(
        update={"daily_loss": rules.daily_loss.model_copy(update={"anchor": DailyAnchor.INITIAL})}
    )
    day = DayStart.at(utc(2026, 6, 1, 22), D(101_000), D(101_000))
    assert day_floor(initial, day, deposit) == D(95_500)
    assert day_floor(initial, day, NO_CASH) == D(95_000)


def test_a_flow_taken_before_any_day_opened_leaves_no_day(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "funded", 100_000)
    account, tracker = account_for(rules), Tracker.start(rules.start)
    when = utc(2026, 6, 2, 12)
    taken = take(account, tracker, rules, paid(CashFlowKind.DEPOSIT, 500, when), when, BROKER)
    assert taken.tracker.day is None
    assert taken.tracker.cash.net == 500
    assert taken.tracker.peaks.intraday_equity == 100_500


def test_a_scaling_moves_the_day_anchor_even_where_flows_leave_the_day_alone(
    catalog: Catalog,
) -> None:
    # The plan's daily reaction is 'none', but a scaling moves the whole account.
    rules = with_flows(
        catalog.rule_set("ftmo", "2-step", "funded", 100_000), daily=FloorReaction.NONE
    )
    account, tracker = account_for(rules), Tracker.start(rules.start)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 1, 15), 112_000)
    account, tracker = pushed(rules, account, tracker, utc(2026, 6, 2, 9), 112_000)
    bigger = with_flows(
        catalog.rule_set("ftmo", "2-step", "funded", 125_000), daily=FloorReaction.NONE
    )
    flow = paid(CashFlowKind.SCALING, 25_000, utc(2026, 6, 2, 10))
    flowed = cash_flow(account, tracker, rules, flow, utc(2026, 6, 2, 10), BROKER, bigger)
    assert flowed.tracker.day is not None
    assert flowed.tracker.day.balance == 137_000
