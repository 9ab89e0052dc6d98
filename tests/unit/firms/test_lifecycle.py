"""The account lifecycle on values: day rolls at the reset, breaches at the floor, debounce."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.model import Account, AccountState, HaltKind, TradingState, TradingStatus
from accounts.tracker import Tracker
from firms.breaches import BreachType
from firms.catalog import Catalog
from firms.debounce import OWN_REDUCING, own_reducing
from firms.lifecycle import (
    BROKER,
    SYSTEM,
    Debounce,
    observe,
    push,
    recheck,
    roll_forward,
    verdict,
)
from firms.ruleset import RuleSet
from tests.builders import utc

D = Decimal
DEBOUNCE = Debounce(near_floor_fraction=D("0.005"), updates=3)
MICROSECOND = dt.timedelta(microseconds=1)


def ftmo(catalog: Catalog, size: int = 100_000) -> RuleSet:
    """FTMO 2-Step: hard daily floor 5 % of initial below the reset balance, static max loss."""
    return catalog.rule_set("ftmo", "2-step", "challenge", size)


def topstep(catalog: Catalog) -> RuleSet:
    """Topstep 50k: a soft 1,000 daily floor, 17:00 Chicago reset (22:00 UTC in summer)."""
    return catalog.rule_set("topstep", "trading-combine", "combine", 50_000)


def account_for(rules: RuleSet, trading: TradingState | None = None) -> Account:
    return Account(
        id="acc-1",
        owner="alice",
        firm=rules.firm,
        plan=rules.plan,
        phase=rules.phase.id,
        initial_balance=rules.size,
        trading=trading or TradingState(),
    )


def at(when: dt.datetime, balance: object, equity: object) -> AccountState:
    return AccountState(balance=balance, equity=equity, as_of=when)


def opened(rules: RuleSet, when: dt.datetime) -> tuple[Account, Tracker]:
    """An account whose first state, at its initial balance, was pushed at ``when``."""
    first = push(
        account_for(rules),
        Tracker.start(rules.size),
        rules,
        at(when, rules.size, rules.size),
        when,
        DEBOUNCE,
    )
    return first.account, first.tracker


# Rolling the day ------------------------------------------------------------------------


def test_the_first_state_opens_the_day_at_the_last_reset(catalog: Catalog) -> None:
    rules = ftmo(catalog)
    pushed = push(
        account_for(rules),
        Tracker.start(rules.size),
        rules,
        at(utc(2026, 6, 2, 9), 100_000, 100_000),
        utc(2026, 6, 2, 9, 0, 1),
        DEBOUNCE,
    )
    (event,) = pushed.rolled.records
    assert (event.kind, event.actor, event.reason) == ("day_opened", SYSTEM, "first day opened")
    assert event.at == utc(2026, 6, 2, 9, 0, 1)  # stamped when processed
    assert event.detail == {
        "trading_day": "2026-06-02",
        "reset_at": "2026-06-01T22:00:00+00:00",
        "balance": "100000",
        "equity": "100000",
        "daily_floor": "95000",
        "end_of_day_peak": "100000",
    }
    assert pushed.tracker.day is not None
    assert pushed.tracker.day.starts_at == utc(2026, 6, 1, 22)
    assert pushed.events == ("day_opened",)


def test_the_day_rolls_exactly_at_the_reset_and_not_a_microsecond_before(
    catalog: Catalog,
) -> None:
    rules = ftmo(catalog)
    account, tracker = opened(rules, utc(2026, 6, 2, 9))
    late = push(
        account,
        tracker,
        rules,
        at(utc(2026, 6, 2, 20), 101_000, 100_700),
        utc(2026, 6, 2, 20),
        DEBOUNCE,
    )
    reset = utc(2026, 6, 2, 22)  # midnight in Prague, summer time

    before = roll_forward(late.account, late.tracker, rules, reset - MICROSECOND)
    assert before.records == ()
    assert not before.tracker_changed
    assert before.tracker is late.tracker

    rolled = roll_forward(late.account, late.tracker, rules, reset)
    assert rolled.events == ("daily_reset",)
    assert rolled.tracker_changed
    assert not rolled.account_changed
    assert rolled.tracker.day is not None
    assert rolled.tracker.day.starts_at == reset
    assert rolled.tracker.day.balance == 101_000  # the last state before the reset
    assert rolled.tracker.peaks.end_of_day_balance == 101_000
    (event,) = rolled.records
    assert event.reason == "daily reset at 00:00 Europe/Prague"
    assert event.detail["daily_floor"] == "96000"
    assert event.detail["trading_day"] == "2026-06-03"

    again = roll_forward(rolled.account, rolled.tracker, rules, reset + dt.timedelta(hours=5))
    assert again.records == ()  # idempotent within the day


def test_a_state_stamped_exactly_at_the_reset_belongs_to_the_new_day(catalog: Catalog) -> None:
    rules = ftmo(catalog)
    account, tracker = opened(rules, utc(2026, 6, 2, 9))
    late = push(
        account,
        tracker,
        rules,
        at(utc(2026, 6, 2, 20), 101_000, 101_000),
        utc(2026, 6, 2, 20),
        DEBOUNCE,
    )
    reset = utc(2026, 6, 2, 22)  # midnight in Prague, summer time
    pushed = push(late.account, late.tracker, rules, at(reset, 99_000, 98_500), reset, DEBOUNCE)
    assert pushed.events == ("daily_reset",)
    day = pushed.tracker.day
    assert day is not None
    assert (day.starts_at, day.balance, day.equity) == (reset, 101_000, 101_000)
    # The closing day ends on the last balance before the reset, not on this state's.
    assert pushed.tracker.peaks.end_of_day_balance == 101_000
    assert pushed.judgement.floors.daily == D(96_000)  # 101,000 less 5 % of 100,000
    assert pushed.tracker.state == at(reset, 99_000, 98_500)


def test_days_close_with_the_last_balance_before_each_reset(catalog: Catalog) -> None:
    # Resets at 22:00 UTC (midnight in Prague): a state after one closes the day before it
    # with the last balance seen; intraday equity peaks follow every state.
    rules = ftmo(catalog, 50_000)
    account, tracker = account_for(rules), Tracker.start(rules.size)
    states = [
        at(utc(2026, 6, 1, 20), "50500", "50600"),
        at(utc(2026, 6, 2, 10), "51200", "51000"),
        at(utc(2026, 6, 2, 23), "50900", "50950"),
    ]
    for state in states:
        rolled = roll_forward(account, tracker, rules, state.as_of)
        account, tracker = rolled.account, observe(rolled.tracker, state)
    # Days closed at 06-01 22:00 (50,500) and 06-02 22:00 (51,200).
    assert tracker.peaks.end_of_day_balance == 51_200
    assert tracker.peaks.intraday_equity == 51_000
    assert tracker.peaks.closed_balance == 51_200
    assert tracker.state == states[-1]


def test_a_daily_halt_is_lifted_exactly_when_it_ends(catalog: Catalog) -> None:
    rules = topstep(catalog)
    until = utc(2026, 6, 1, 22)
    halted = TradingState(
        status=TradingStatus.HALTED,
        halt=HaltKind.DAILY,
        reason="soft breach",
        since=utc(2026, 6, 1, 14),
        until=until,
    )
    account = account_for(rules, halted)
    tracker = Tracker.start(rules.size)
    still = roll_forward(account, tracker, rules, until - MICROSECOND)
    assert still.account.trading == halted
    assert not still.account_changed
    lifted = roll_forward(account, tracker, rules, until, at=until + dt.timedelta(hours=1))
    assert lifted.account_changed
    assert lifted.account.trading.status is TradingStatus.ACTIVE
    assert lifted.events == ("day_opened", "halt_lifted")
    event = lifted.records[1]
    assert event.detail == {"was": halted.model_dump(mode="json")}
    assert event.at == until + dt.timedelta(hours=1)


def test_observing_before_the_day_is_opened_is_refused(catalog: Catalog) -> None:
    rules = ftmo(catalog)
    with pytest.raises(ValueError, match="opened"):
        observe(Tracker.start(rules.size), at(utc(2026, 6, 2, 9), 100_000, 100_000))


# Breaches -------------------------------------------------------------------------------


def test_equity_exactly_at_a_hard_floor_fails_the_account(catalog: Catalog) -> None:
    rules = ftmo(catalog)
    account, tracker = opened(rules, utc(2026, 6, 2, 9))
    when = utc(2026, 6, 2, 10)

    above = push(account, tracker, rules, at(when, 100_000, "95000.01"), when, DEBOUNCE)
    assert above.judgement.breaches == ()
    assert above.account.trading.status is not TradingStatus.HALTED

    touching = push(account, tracker, rules, at(when, 100_000, 95_000), when, DEBOUNCE)
    (breach,) = touching.judgement.breaches
    assert breach.type is BreachType.DAILY_LOSS
    assert breach.floor == 95_000
    assert touching.account.trading.halt is HaltKind.FAILED
    assert touching.account_changed
    (event,) = touching.records
    assert (event.kind, event.actor, event.at) == ("breach", BROKER, when)
    assert event.detail["breaches"] == [
        {
            "type": "daily_loss",
            "severity": "hard",
            "code": "D1",
            "floor": "95000",
            "value": "95000",
            "at": "2026-06-02T10:00:00+00:00",
        }
    ]
    assert event.detail["trading"] == touching.account.trading.model_dump(mode="json")
    assert event.reason == touching.account.trading.reason
    assert touching.tracker.state == at(when, 100_000, 95_000)  # the state is kept all the same


def test_the_firms_verdict_is_the_same_for_a_push_and_on_its_own(catalog: Catalog) -> None:
    rules = ftmo(catalog)
    account, tracker = opened(rules, utc(2026, 6, 2, 9))
    when = utc(2026, 6, 2, 10)
    clear = verdict(account.trading, tracker, rules, at(when, 100_000, "95000.01"), when)
    assert clear.judgement.breaches == ()
    assert clear.trading is account.trading  # nothing to apply
    touching = at(when, 100_000, 95_000)
    firm = verdict(account.trading, tracker, rules, touching, when)
    pushed = push(account, tracker, rules, touching, when, DEBOUNCE)
    assert firm.trading.halt is HaltKind.FAILED
    assert firm.trading == pushed.account.trading
    assert firm.judgement == pushed.judgement
    assert firm.tracker == pushed.tracker


def test_a_soft_breach_halts_until_the_next_reset_and_is_recorded_once(catalog: Catalog) -> None:
    rules = topstep(catalog)
    account, tracker = opened(rules, utc(2026, 6, 1, 9))
    first = push(
        account,
        tracker,
        rules,
        at(utc(2026, 6, 1, 14), 50_000, 49_000),
        utc(2026, 6, 1, 14),
        DEBOUNCE,
    )
    assert first.events == ("breach",)
    assert first.account.trading.halt is HaltKind.DAILY
    assert first.account.trading.until == utc(2026, 6, 1, 22)

    second = push(
        first.account,
        first.tracker,
        rules,
        at(utc(2026, 6, 1, 15), 50_000, 48_999),
        utc(2026, 6, 1, 15),
        DEBOUNCE,
    )
    assert len(second.judgement.breaches) == 1
    assert second.records == ()
    assert not second.account_changed

    next_day = push(
        second.account,
        second.tracker,
        rules,
        at(utc(2026, 6, 2, 1), 50_000, 49_500),
        utc(2026, 6, 2, 1),
        DEBOUNCE,
    )
    assert next_day.events == ("daily_reset", "halt_lifted")
    assert next_day.account.trading.allows_new_risk()


def test_a_recheck_halts_what_a_push_judged_under_an_operator_halt(catalog: Catalog) -> None:
    rules = topstep(catalog)
    account, tracker = opened(rules, utc(2026, 6, 9, 9))
    operator = TradingState(
        status=TradingStatus.HALTED,
        halt=HaltKind.OPERATOR,
        reason="by hand",
        since=utc(2026, 6, 9, 9),
    )
    account = account.model_copy(update={"trading": operator})
    state = at(utc(2026, 6, 9, 10), 50_000, 48_900)
    under = push(account, tracker, rules, state, utc(2026, 6, 9, 10), DEBOUNCE)
    assert under.account.trading == operator
    assert under.records == ()

    enabled = under.account.model_copy(update={"trading": TradingState(reason="re-enabled")})
    now = utc(2026, 6, 9, 11)
    assert recheck(account_for(rules), Tracker.start(rules.size), rules, now) is None  # no state
    halted = recheck(enabled, under.tracker, rules, now)
    assert halted is not None
    assert halted.account.trading.halt is HaltKind.DAILY
    assert (halted.record.kind, halted.record.actor, halted.record.at) == ("breach", SYSTEM, now)
    assert halted.record.detail == {
        "breaches": ["soft daily-loss breach (D5): 48,900.00 at or below the floor 49,000.00"]
    }
    assert recheck(halted.account, under.tracker, rules, now) is None  # nothing new


def test_a_rechecks_breach_event_gives_the_halts_reason(catalog: Catalog) -> None:
    rules = topstep(catalog)
    account, tracker = opened(rules, utc(2026, 6, 9, 9))
    state = at(utc(2026, 6, 9, 10), 50_000, 48_900)
    tracker = observe(roll_forward(account, tracker, rules, state.as_of).tracker, state)
    halted = recheck(account, tracker, rules, utc(2026, 6, 9, 11))
    assert halted is not None
    assert halted.record.reason == halted.account.trading.reason
    assert halted.record.reason == (
        "soft daily-loss breach (D5): 48,900.00 at or below the floor 49,000.00"
        " — locked until the next reset"
    )


# ARIA's own halts, debounced ------------------------------------------------------------


def test_reducing_needs_consecutive_updates_near_a_floor(catalog: Catalog) -> None:
    rules = ftmo(catalog)  # near: within 500 of the 95,000 daily floor
    account, tracker = opened(rules, utc(2026, 6, 1, 9))
    equities = ["95300", "95300", "99000", "95300", "95300", "95500"]
    kinds, streaks = [], []
    for hour, equity in enumerate(equities, start=10):
        when = utc(2026, 6, 1, hour)
        pushed = push(account, tracker, rules, at(when, 100_000, equity), when, DEBOUNCE)
        account, tracker = pushed.account, pushed.tracker
        kinds.append(pushed.events)
        streaks.append(tracker.near_floor_streak)
    # One update clear in between restarts the count; the third in a row switches.
    assert streaks == [1, 2, 0, 1, 2, 3]
    assert kinds == [(), (), (), (), (), ("reducing",)]
    assert account.trading.status is TradingStatus.REDUCING
    assert (account.trading.reason or "").startswith(OWN_REDUCING)
    (event,) = pushed.records
    assert (event.actor, event.detail) == (SYSTEM, {"distance": "500"})

    when = utc(2026, 6, 1, 17)
    clear = push(account, tracker, rules, at(when, 100_000, "95501"), when, DEBOUNCE)
    assert clear.events == ("reducing_lifted",)
    assert clear.account.trading == TradingState(since=when, reason="clear of the floors again")
    assert clear.tracker.near_floor_streak == 0


def test_arias_own_events_carry_the_reason_of_the_switch(catalog: Catalog) -> None:
    rules = ftmo(catalog)  # near: within 500 of the 95,000 daily floor
    account, tracker = opened(rules, utc(2026, 6, 1, 9))
    for hour in (10, 11, 12):
        when = utc(2026, 6, 1, hour)
        pushed = push(account, tracker, rules, at(when, 100_000, "95300"), when, DEBOUNCE)
        account, tracker = pushed.account, pushed.tracker
    (event,) = pushed.records
    assert event.kind == "reducing"
    assert event.reason == account.trading.reason
    assert event.reason == f"{OWN_REDUCING}equity within 500.00 of a floor in 3 consecutive updates"
    when = utc(2026, 6, 1, 13)
    clear = push(account, tracker, rules, at(when, 100_000, "99000"), when, DEBOUNCE)
    (lifted,) = clear.records
    assert (lifted.kind, lifted.reason) == ("reducing_lifted", "clear of the floors again")


def test_an_operator_reducing_state_is_not_arias_to_lift() -> None:
    operator = TradingState(status=TradingStatus.REDUCING, reason="risk desk: reduce only")
    switch = own_reducing(operator, 5, D(10_000), DEBOUNCE, D(100_000), utc(2026, 6, 1))
    assert switch.trading is operator
    assert switch.kind is None
    assert switch.streak == 0
    near = own_reducing(operator, 5, D(100), DEBOUNCE, D(100_000), utc(2026, 6, 1))
    assert near.trading is operator
    assert near.kind is None
    assert near.streak == 6


def test_a_halted_account_keeps_its_streak(catalog: Catalog) -> None:
    rules = topstep(catalog)
    account, tracker = opened(rules, utc(2026, 6, 1, 9))
    near = push(
        account,
        tracker,
        rules,
        at(utc(2026, 6, 1, 10), 50_000, 49_100),
        utc(2026, 6, 1, 10),
        DEBOUNCE,
    )
    assert near.tracker.near_floor_streak == 1
    breached = push(
        near.account,
        near.tracker,
        rules,
        at(utc(2026, 6, 1, 11), 50_000, 49_000),
        utc(2026, 6, 1, 11),
        DEBOUNCE,
    )
    assert breached.account.trading.status is TradingStatus.HALTED
    assert breached.tracker.near_floor_streak == 1
