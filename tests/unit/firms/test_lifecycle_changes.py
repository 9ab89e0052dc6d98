"""An operator's changes on values: promotion through a plan's phases, the firm's reset of an
evaluation, archiving, and re-enabling an account the firm failed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from accounts.model import Account, AccountState, HaltKind, TradingState, TradingStatus
from accounts.peaks import Peaks
from firms import lifecycle
from firms.catalog import Catalog
from firms.errors import RefusedChange, UnknownPhase
from firms.floors import floors
from firms.lifecycle import Debounce
from firms.ruleset import RuleSet
from tests.builders import utc

D = Decimal
NOW = utc(2026, 6, 10, 9)
FAILED = TradingState(
    status=TradingStatus.HALTED, halt=HaltKind.FAILED, since=utc(2026, 6, 9), reason="max loss"
)


def resolver(catalog: Catalog) -> Callable[[Account], RuleSet]:
    """The rules of an account, from the built-in catalog."""

    def resolve(account: Account) -> RuleSet:
        return catalog.rule_set(account.firm, account.plan, account.phase, account.initial_balance)

    return resolve


def ftmo(phase: str = "challenge", trading: TradingState | None = None) -> Account:
    return Account(
        id="acc-1",
        owner="alice",
        firm="ftmo",
        plan="2-step",
        phase=phase,
        initial_balance=D(100_000),
        trading=trading or TradingState(),
    )


def test_ftmo_challenge_promotes_to_verification_with_its_rules_and_fresh_anchors(
    catalog: Catalog,
) -> None:
    plan = catalog.plan("ftmo", "2-step")
    changed = lifecycle.promote(
        ftmo(trading=FAILED), plan, resolver(catalog), NOW, "desk", "passed"
    )
    account, tracker = changed.account, changed.tracker
    assert (account.phase, account.initial_balance) == ("verification", D(100_000))
    assert account.trading == TradingState(
        since=NOW, reason="promoted to verification by desk: passed"
    )
    assert tracker is not None
    assert (tracker.state, tracker.day, tracker.near_floor_streak) == (None, None, 0)
    assert tracker.peaks == Peaks.start(D(100_000), NOW)
    rules = resolver(catalog)(account)
    assert rules.target_amount() == D(5_000)  # 10,000 in the challenge
    assert rules.daily_loss.amount is not None
    assert rules.daily_loss.amount.pct == D(5)
    assert rules.max_loss.amount is not None
    assert rules.max_loss.amount.pct == D(10)
    record = changed.record
    assert (record.kind, record.actor, record.reason, record.at) == (
        "account_promoted",
        "desk",
        "passed",
        NOW,
    )
    assert record.detail["from_phase"] == "challenge"
    assert record.detail["to_phase"] == "verification"
    assert record.detail["rulebook"] == "ftmo/2-step@2024-11 verification 100,000"
    assert record.detail["before"]["halt"] == "failed"


def test_the_first_state_after_a_promotion_opens_day_one_at_the_new_floors(
    catalog: Catalog,
) -> None:
    plan = catalog.plan("ftmo", "2-step")
    changed = lifecycle.promote(ftmo(), plan, resolver(catalog), NOW, "desk", "passed")
    assert changed.tracker is not None
    rules = resolver(catalog)(changed.account)
    state = AccountState(balance=D(100_000), equity=D(99_000), as_of=utc(2026, 6, 10, 10))
    debounce = Debounce(near_floor_fraction=D("0.005"), updates=3)
    pushed = lifecycle.push(changed.account, changed.tracker, rules, state, state.as_of, debounce)
    assert pushed.rolled.events == ("day_opened",)
    assert pushed.judgement.floors.daily == D(95_000)
    assert pushed.judgement.floors.max_loss == D(90_000)
    assert floors(rules, pushed.tracker.day, pushed.tracker.peaks, state).highest == D(95_000)


def test_promotion_takes_a_new_size_and_refuses_what_the_plan_does_not_have(
    catalog: Catalog,
) -> None:
    plan = catalog.plan("ftmo", "2-step")
    resolve = resolver(catalog)
    bigger = lifecycle.promote(
        ftmo("verification"), plan, resolve, NOW, "desk", "funded", size=D(200_000)
    )
    assert (bigger.account.phase, bigger.account.initial_balance) == ("funded", D(200_000))
    assert bigger.tracker is not None
    assert bigger.tracker.peaks == Peaks.start(D(200_000), NOW)
    assert resolve(bigger.account).target_amount() is None  # a funded account has no target
    with pytest.raises(RefusedChange, match="'funded' is the last phase of plan '2-step'"):
        lifecycle.promote(ftmo("funded"), plan, resolve, NOW, "desk", "more")
    with pytest.raises(RefusedChange, match="is 'verification', not 'funded'"):
        lifecycle.promote(ftmo(), plan, resolve, NOW, "desk", "skip", to_phase="funded")
    with pytest.raises(UnknownPhase, match="no phase 'live'"):
        lifecycle.promote(ftmo(), plan, resolve, NOW, "desk", "?", to_phase="live")
    with pytest.raises(UnknownPhase, match="no phase 'combine'"):
        lifecycle.promote(ftmo("combine"), plan, resolve, NOW, "desk", "?")


def test_a_firm_reset_restarts_a_failed_evaluation_but_not_a_funded_account(
    catalog: Catalog,
) -> None:
    resolve = resolver(catalog)
    account = ftmo("verification", FAILED)
    changed = lifecycle.reset(account, resolve(account), NOW, "desk", "bought a reset")
    assert changed.account.phase == "verification"
    assert changed.account.trading == TradingState(
        since=NOW, reason="verification reset by desk: bought a reset"
    )
    assert changed.tracker is not None
    assert changed.tracker.peaks == Peaks.start(D(100_000), NOW)
    assert changed.tracker.state is None
    assert changed.record.kind == "account_reset"
    funded = ftmo("funded")
    with pytest.raises(RefusedChange, match="a funded phase: only an evaluation is reset"):
        lifecycle.reset(funded, resolve(funded), NOW, "desk", "?")


def test_re_enabling_a_failed_account_needs_force() -> None:
    account = ftmo(trading=FAILED)
    with pytest.raises(RefusedChange, match=r"failed a hard rule of its firm \(max loss\)"):
        lifecycle.set_trading(account, True, NOW, "desk", "please")
    forced = lifecycle.set_trading(account, True, NOW, "desk", "firm reversed", force=True)
    assert forced.account.trading == TradingState(
        since=NOW, reason="re-enabled by desk: firm reversed"
    )
    assert forced.record.kind == "enabled_forced"
    assert forced.record.detail["before"]["halt"] == "failed"
    assert forced.tracker is None
    operator = ftmo(trading=TradingState(status="halted", halt="operator", since=NOW))
    assert lifecycle.set_trading(operator, True, NOW, "desk", "ok").record.kind == "enabled"


def test_re_enabling_an_account_its_firm_closed_needs_force() -> None:
    # E8 One closes an account whose profit was all withdrawn: as final as a failure.
    closed = TradingState(
        status=TradingStatus.HALTED, halt=HaltKind.CLOSED, since=NOW, reason="profit withdrawn"
    )
    account = ftmo(trading=closed)
    with pytest.raises(RefusedChange, match=r"was closed by its firm \(profit withdrawn\)"):
        lifecycle.set_trading(account, True, NOW, "desk", "please")
    forced = lifecycle.set_trading(account, True, NOW, "desk", "firm reopened it", force=True)
    assert forced.record.kind == "enabled_forced"
    assert forced.record.detail["before"]["halt"] == "closed"


def test_an_archived_account_is_only_unarchived_and_comes_back_as_it_was() -> None:
    archived = lifecycle.archive(ftmo(trading=FAILED), NOW, "desk", "done with it")
    account = archived.account
    assert account.trading == TradingState(
        status=TradingStatus.HALTED,
        halt=HaltKind.ARCHIVED,
        since=NOW,
        reason="archived by desk: done with it",
    )
    assert archived.record.kind == "account_archived"
    for refused in (
        lambda: lifecycle.set_trading(account, True, NOW, "desk", "x", force=True),
        lambda: lifecycle.set_trading(account, False, NOW, "desk", "x"),
        lambda: lifecycle.archive(account, NOW, "desk", "x"),
    ):
        with pytest.raises(RefusedChange, match="archived"):
            refused()
    with pytest.raises(RefusedChange, match="unarchive it before you enable it"):
        lifecycle.set_trading(account, True, NOW, "desk", "x")
    with pytest.raises(RefusedChange, match="unarchive it before you disable it"):
        lifecycle.set_trading(account, False, NOW, "desk", "x")
    before = TradingState.model_validate(archived.record.detail["before"])
    back = lifecycle.unarchive(account, before, NOW, "desk", "needed again")
    assert back.account.trading == FAILED  # a failure is not lifted by archiving
    assert back.record.kind == "account_unarchived"
    with pytest.raises(RefusedChange, match="is not archived"):
        lifecycle.unarchive(back.account, None, NOW, "desk", "again")
    bare = lifecycle.unarchive(account, None, NOW, "desk", "no record").account.trading
    assert (bare.status, bare.halt) == (TradingStatus.HALTED, HaltKind.OPERATOR)


def test_a_breach_does_not_turn_an_archived_account_into_a_failed_one(catalog: Catalog) -> None:
    account = lifecycle.archive(ftmo(), NOW, "desk", "retired").account
    rules = resolver(catalog)(account)
    tracker = lifecycle.promote(
        ftmo(), catalog.plan("ftmo", "2-step"), resolver(catalog), NOW, "d", "r"
    ).tracker
    assert tracker is not None
    state = AccountState(balance=D(80_000), equity=D(80_000), as_of=utc(2026, 6, 10, 10))
    debounce = Debounce(near_floor_fraction=D("0.005"), updates=3)
    pushed = lifecycle.push(account, tracker, rules, state, state.as_of, debounce)
    assert pushed.judgement.breaches  # below both floors
    assert pushed.account.trading.halt is HaltKind.ARCHIVED
