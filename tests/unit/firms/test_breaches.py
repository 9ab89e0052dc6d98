from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.model import AccountState, HaltKind, TradingState, TradingStatus
from firms.breaches import BreachType, apply, detect
from firms.catalog import Catalog
from firms.floors import Floors
from firms.model import BreachKind
from firms.ruleset import RuleSet
from tests.builders import utc

D = Decimal


def soft_daily(rules: RuleSet) -> RuleSet:
    return rules.model_copy(
        update={"daily_loss": rules.daily_loss.model_copy(update={"breach": BreachKind.SOFT})}
    )


def at(equity: str, hour: int = 10) -> AccountState:
    return AccountState(balance=100_000, equity=equity, as_of=utc(2026, 6, 2, hour))


FLOORS = Floors(daily=D(96_000), max_loss=D(90_000), floating=None)


def test_equity_touching_a_hard_floor_is_a_hard_breach(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    assert detect(rules, FLOORS, at("96000.01")) == ()
    (breach,) = detect(rules, FLOORS, at("96000"))
    assert breach.type is BreachType.DAILY_LOSS
    assert breach.severity is BreachKind.HARD
    assert breach.code == "D1"
    state = apply(TradingState(), (breach,), rules, utc(2026, 6, 2, 10))
    assert state.status is TradingStatus.HALTED
    assert state.halt is HaltKind.FAILED
    assert "96,000.00" in (state.reason or "")


def test_both_floors_breached_at_once(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    found = detect(rules, FLOORS, at("89000"))
    assert [b.type for b in found] == [BreachType.DAILY_LOSS, BreachType.MAX_LOSS]


def test_soft_daily_breach_locks_until_the_next_reset_then_clears(catalog: Catalog) -> None:
    rules = soft_daily(catalog.rule_set("ftmo", "2-step", "challenge", 100_000))
    now = utc(2026, 6, 2, 10)
    state = apply(TradingState(), detect(rules, FLOORS, at("95500")), rules, now)
    assert state.halt is HaltKind.DAILY
    assert state.until == utc(2026, 6, 2, 22)  # midnight in Prague, summer time
    assert not state.lifted(state.until - dt.timedelta(seconds=1)).allows_new_risk()
    assert state.lifted(state.until).allows_new_risk()


def test_a_failed_account_stays_failed(catalog: Catalog) -> None:
    rules = soft_daily(catalog.rule_set("ftmo", "2-step", "challenge", 100_000))
    failed = TradingState(status="halted", halt="failed", since=utc(2026, 6, 1), reason="max loss")
    assert apply(failed, detect(rules, FLOORS, at("95500")), rules, utc(2026, 6, 2, 10)) is failed


def test_a_hard_breach_overrides_an_operator_halt_but_a_soft_one_does_not(catalog: Catalog) -> None:
    rules = soft_daily(catalog.rule_set("ftmo", "2-step", "challenge", 100_000))
    operator = TradingState(
        status="halted", halt="operator", since=utc(2026, 6, 1), reason="by hand"
    )
    now = utc(2026, 6, 2, 10)
    assert apply(operator, detect(rules, FLOORS, at("95500")), rules, now) is operator
    assert apply(operator, detect(rules, FLOORS, at("89000")), rules, now).halt is HaltKind.FAILED


def test_balance_checked_daily_rule_looks_at_balance(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    rules = rules.model_copy(
        update={"daily_loss": rules.daily_loss.model_copy(update={"checked_on": "balance"})}
    )
    state = AccountState(balance=97_000, equity=95_000, as_of=utc(2026, 6, 2, 10))
    assert [b.type for b in detect(rules, FLOORS, state)] == []


def test_equity_exactly_at_the_max_loss_floor_is_a_breach_and_a_cent_above_is_not(
    catalog: Catalog,
) -> None:
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    floors = Floors(daily=None, max_loss=D(90_000), floating=None)
    assert detect(rules, floors, at("90000.01")) == ()
    (breach,) = detect(rules, floors, at("90000"))
    assert breach.type is BreachType.MAX_LOSS
    assert (breach.severity, breach.code) == (BreachKind.HARD, rules.max_loss.code)
    assert (breach.floor, breach.value) == (D(90_000), D(90_000))
    assert breach.at == utc(2026, 6, 2, 10)


def test_floating_loss_at_its_floor_is_a_hard_d8_breach_and_a_cent_above_is_not(
    catalog: Catalog,
) -> None:
    rules = catalog.rule_set("fundingpips", "zero", "funded", 100_000)
    floors = Floors(daily=None, max_loss=D(95_000), floating=D(99_000))
    assert detect(rules, floors, at("99000.01")) == ()
    (breach,) = detect(rules, floors, at("99000"))
    assert breach.type is BreachType.FLOATING_LOSS
    assert (breach.severity, breach.code) == (BreachKind.HARD, "D8")
    assert (breach.floor, breach.value) == (D(99_000), D(99_000))
    assert breach.at == utc(2026, 6, 2, 10)
    assert breach.describe() == (
        "hard floating-loss breach (D8): 99,000.00 at or below the floor 99,000.00"
    )
    # No floating floor, or a plan without the rule: no floating breach at any equity.
    assert detect(rules, Floors(daily=None, max_loss=D(0), floating=None), at("1")) == ()
    ftmo = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    assert detect(ftmo, Floors(daily=None, max_loss=D(0), floating=D(99_000)), at("1")) == ()
