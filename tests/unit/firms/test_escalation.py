"""FundedNext's escalation: a second violation of its 3 % open-risk cap holds the account to 1 %.

"Limit risk to a maximum of 3% at any given time … calculated against the initial account
balance"; a first violation brings a warning, a second reclassifies the account to 1 % for
good. The account: FundedNext Stellar 2-Step funded, 100,000. Its cap is 3 % × 100,000 =
3,000, and 1 % × 100,000 = 1,000 once it has violated it twice. One episode over the cap, over
as many pushed states as it lasts, is one violation; it ends with a state back within the cap.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from accounts.model import Account, AccountState
from accounts.tracker import Tracker
from firms.breaches import risk_check
from firms.lifecycle import BROKER, Debounce, push
from firms.model import CashFlowRules, Limits
from firms.ruleset import RuleSet
from tests.builders import CATALOG

D = Decimal
DEBOUNCE = Debounce(near_floor_fraction=D("0.005"), updates=3)
START = dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC)


def account_of(rules: RuleSet, account_id: str = "fn-1") -> Account:
    """An account of alice's under ``rules``."""
    return Account(
        id=account_id,
        owner="alice",
        firm=rules.firm,
        plan=rules.plan,
        phase=rules.phase.id,
        initial_balance=rules.size,
    )


def fundednext() -> RuleSet:
    return CATALOG.rule_set("fundednext", "stellar-2-step", "funded", 100_000)


def test_the_cap_is_3_000_until_the_second_violation_and_1_000_from_it() -> None:
    limits = fundednext().limits
    assert limits is not None
    # 3 % and 1 % of the initial 100,000, whatever the balance (110,000 here).
    assert limits.open_risk_cap(D(100_000), D(110_000), 0) == D(3000)
    assert limits.open_risk_cap(D(100_000), D(110_000), 1) == D(3000)
    assert limits.open_risk_cap(D(100_000), D(110_000), 2) == D(1000)
    assert limits.open_risk_cap(D(100_000), D(110_000), 7) == D(1000)


def test_risk_at_the_cap_keeps_to_it_and_a_cent_over_violates_it() -> None:
    rules = fundednext()
    assert risk_check(rules, 0, False, D(3000), D(100_000)).violation is None
    over = risk_check(rules, 0, False, D("3000.01"), D(100_000))
    assert over.violation is not None
    assert (over.violations, over.over) == (1, True)
    assert over.violation.escalated_to is None  # the first one is a warning


def test_one_episode_counts_once_and_the_second_escalates() -> None:
    rules, count, over = fundednext(), 0, False
    seen = []
    # 2,000 within; 3,500 over (1); 3,600 still the same episode; 2,500 back within;
    # 3,100 over again (2): the cap becomes 1,000; 1,500 is over it but the episode goes on;
    # 900 within; 1,200 over 1,000 (3).
    for risk in (2000, 3500, 3600, 2500, 3100, 1500, 900, 1200):
        check = risk_check(rules, count, over, D(risk), D(100_000))
        count, over = check.violations, check.over
        seen.append((count, over, check.violation.escalated_to if check.violation else "-"))
    assert seen == [
        (0, False, "-"),
        (1, True, None),
        (1, True, "-"),
        (1, False, "-"),
        (2, True, D(1000)),
        (2, True, "-"),
        (2, False, "-"),
        (3, True, None),
    ]


def test_a_plan_that_does_not_escalate_counts_nothing() -> None:
    ftmo = CATALOG.rule_set("ftmo", "2-step", "challenge", 100_000)
    check = risk_check(ftmo, 0, False, D(90_000), D(100_000))
    assert (check.violations, check.over, check.violation) == (0, False, None)


def test_an_escalation_needs_an_open_risk_cap() -> None:
    with pytest.raises(ValidationError, match="risk_escalation"):
        Limits.model_validate(
            {
                "source": ["x"],
                "read_on": "2026-11-30",
                "confidence": "official",
                "risk_escalation": {"after": 2, "max_open_risk": {"pct": 1}},
            }
        )


def test_limits_without_an_escalation_keep_their_stored_form() -> None:
    limits = CATALOG.rule_set("ftmo", "2-step", "challenge", 100_000).limits
    assert limits is not None
    dumped = limits.model_dump(mode="json")
    for name in ("risk_escalation", "max_trade_loss", "max_risk_to_reward"):
        assert name not in dumped
    assert "one_trade_across_symbols" not in dumped


def _pushes(risks: list[int]) -> list[tuple[tuple[str, ...], int]]:
    """Push one state a minute per risk; each push's event kinds and the count after it."""
    rules = fundednext()
    account = account_of(rules, "fn-1")
    tracker = Tracker.start(rules.size)
    found = []
    for minute, risk in enumerate(risks):
        when = START + dt.timedelta(minutes=minute)
        state = AccountState(balance=100_000, equity=100_000, as_of=when)
        pushed = push(account, tracker, rules, state, when, DEBOUNCE, D(risk))
        account, tracker = pushed.account, pushed.tracker
        found.append((pushed.events, tracker.risk_violations))
        for record in pushed.records:
            if record.kind == "risk_violation":
                assert record.actor == BROKER
                assert record.detail["cap"] in ("3000", "3000.00", "1000", "1000.00")
    return found


def test_a_push_records_each_violation_as_a_rule_event() -> None:
    found = _pushes([1000, 3200, 3300, 100, 4000])
    kinds = [tuple(k for k in events if k == "risk_violation") for events, _ in found]
    assert kinds == [(), ("risk_violation",), (), (), ("risk_violation",)]
    assert [count for _, count in found] == [0, 1, 1, 1, 2]


def test_a_push_without_a_known_open_risk_judges_nothing() -> None:
    rules = fundednext()
    account = account_of(rules, "fn-1")
    state = AccountState(balance=100_000, equity=100_000, as_of=START)
    pushed = push(account, Tracker.start(rules.size), rules, state, START, DEBOUNCE)
    assert "risk_violation" not in pushed.events
    assert pushed.tracker.risk_violations == 0


def test_a_day_roll_keeps_the_count() -> None:
    rules = fundednext()
    account = account_of(rules, "fn-1")
    tracker = Tracker.start(rules.size)
    state = AccountState(balance=100_000, equity=100_000, as_of=START)
    tracker = push(account, tracker, rules, state, START, DEBOUNCE, D(3500)).tracker
    later = START + dt.timedelta(days=2)
    state = AccountState(balance=100_000, equity=100_000, as_of=later)
    rolled = push(account, tracker, rules, state, later, DEBOUNCE, D(100))
    assert "daily_reset" in rolled.events
    assert rolled.tracker.risk_violations == 1


@given(st.lists(st.integers(min_value=0, max_value=6000), max_size=30))
def test_the_count_never_falls_and_rises_only_on_entering_a_violation(risks: list[int]) -> None:
    rules, count, over = fundednext(), 0, False
    for risk in risks:
        check = risk_check(rules, count, over, D(risk), D(100_000))
        cap = rules.limits.open_risk_cap(D(100_000), D(100_000), count)  # type: ignore[union-attr]
        assert check.violations - count == (1 if D(risk) > cap and not over else 0)
        assert check.over == (D(risk) > cap)  # type: ignore[operator]
        count, over = check.violations, check.over


def test_the_event_says_when_a_violation_escalates_the_cap() -> None:
    """The first violation is a warning (no new cap); the second names the 1,000 now in force."""
    rules = fundednext()
    account = account_of(rules, "fn-1")
    tracker = Tracker.start(rules.size)
    details = []
    for minute, risk in enumerate((3200, 100, 4000)):
        when = START + dt.timedelta(minutes=minute)
        state = AccountState(balance=100_000, equity=100_000, as_of=when)
        pushed = push(account, tracker, rules, state, when, DEBOUNCE, D(risk))
        account, tracker = pushed.account, pushed.tracker
        details += [r.detail for r in pushed.records if r.kind == "risk_violation"]
    assert [(d["violations"], d["escalated_to"]) for d in details] == [(1, None), (2, "1000")]


def test_a_balance_from_zero_is_judged_in_capital_terms() -> None:
    """A cap of 3 % of the balance on an account whose balance starts at 0 on a capital of
    100,000: a balance of 1,000 is 101,000 of capital, so the cap is 3,030 and 3,020 of open
    risk keeps to it (in balance terms the cap would be 30 and it would not)."""
    base = fundednext()
    assert base.limits is not None
    limits = base.limits.model_copy(update={"risk_of": "balance"})
    zero = CashFlowRules.model_validate(
        {
            "starting_balance": 0,
            "source": ["https://example.test/zero"],
            "read_on": "2026-11-30",
            "confidence": "official",
        }
    )
    rules = base.model_copy(update={"limits": limits, "cash_flows": zero})
    assert (rules.start, rules.capital_offset) == (D(0), D(100_000))
    account = account_of(rules, "fn-0")
    state = AccountState(balance=1_000, equity=1_000, as_of=START)
    kept = push(account, Tracker.start(D(0)), rules, state, START, DEBOUNCE, D(3020))
    assert kept.tracker.risk_violations == 0
    over = push(account, Tracker.start(D(0)), rules, state, START, DEBOUNCE, D("3030.01"))
    assert over.tracker.risk_violations == 1
