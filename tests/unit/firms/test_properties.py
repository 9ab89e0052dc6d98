"""Invariants of the floor and headroom math, over every plan in the built-in catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accounts.model import AccountState
from accounts.peaks import Peaks
from firms.catalog import load_catalog
from firms.daily import roll_day
from firms.floors import daily_floor, floors, lock_level, max_loss_floor
from firms.headroom import OpenRisk, Reservation, headroom
from firms.model import TrailBasis
from firms.ruleset import RuleSet
from tests.builders import utc

_CATALOG = load_catalog()
RULE_SETS = [
    _CATALOG.rule_set(firm.id, plan.id, phase.id, size, plan.rulebook_version)
    for firm, plan in _CATALOG.plans()
    for phase in plan.phases
    for size in plan.sizes
]

money = st.decimals(min_value=-5, max_value=5, places=4)  # multiples of initial, moves up or down
events = st.lists(st.tuples(money, money, st.booleans()), min_size=1, max_size=30)


def run(
    rules: RuleSet, moves: list[tuple[Decimal, Decimal, bool]]
) -> list[tuple[Peaks, AccountState]]:
    """Replay balance/equity moves (as fractions of initial/10) with optional day closes."""
    size = rules.size
    peaks = Peaks.start(size)
    seen = []
    balance = size
    for step, (balance_move, equity_move, closes) in enumerate(moves):
        balance = max(balance + size * balance_move / 100, Decimal(0))
        equity = balance + size * equity_move / 100
        state = AccountState(
            balance=balance, equity=equity, as_of=utc(2026, 1, 5) + dt.timedelta(hours=step)
        )
        peaks = peaks.observe(state)
        if closes:
            peaks = peaks.close_day(balance, state.as_of)
        seen.append((peaks, state))
    return seen


@given(rules=st.sampled_from(RULE_SETS), moves=events)
def test_static_floors_never_move_and_trailing_floors_never_fall(
    rules: RuleSet, moves: list
) -> None:
    initial_floor = max_loss_floor(rules.max_loss, rules.size, Peaks.start(rules.size))
    previous = initial_floor
    lock = lock_level(rules.max_loss, rules.size)
    for peaks, _ in run(rules, moves):
        floor = max_loss_floor(rules.max_loss, rules.size, peaks)
        if rules.max_loss.trail is TrailBasis.NONE:
            assert floor == initial_floor
        assert floor >= previous
        if lock is not None:
            assert floor <= max(lock, initial_floor)
        previous = floor


@given(
    rules=st.sampled_from(RULE_SETS),
    moves=events,
    risks=st.lists(
        st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2)), max_size=4
    ),
    reserved=st.lists(st.decimals(min_value=0, max_value=10**6, places=2), max_size=3),
    buffer=st.decimals(min_value=0, max_value=10**4, places=2),
)
def test_headroom_never_exceeds_the_distance_to_any_floor(
    rules: RuleSet, moves: list, risks: list, reserved: list, buffer: Decimal
) -> None:
    now = utc(2026, 1, 5, 12)
    for peaks, state in run(rules, moves):
        roll = roll_day(rules, None, peaks, state, state.as_of)
        found = floors(rules, roll.day, peaks, state)
        room = headroom(
            found,
            state.equity,
            open_risk=[OpenRisk(f"p{i}", r) for i, r in enumerate(risks)],
            reservations=[Reservation(f"d{i}", r) for i, r in enumerate(reserved)],
            now=now,
            buffer=buffer,
        )
        assert room.available >= 0
        for level in found.named().values():
            assert room.available <= max(state.equity - level, Decimal(0))
        further = (
            sum((r for r in risks if r is not None), Decimal(0))
            + sum(reserved, Decimal(0))
            + buffer
        )
        assert room.available <= max(state.equity - found.highest - further, Decimal(0))


@given(rules=st.sampled_from(RULE_SETS), hours=st.integers(min_value=0, max_value=23 * 60))
def test_the_daily_floor_only_moves_at_a_reset(rules: RuleSet, hours: int) -> None:
    start = rules.daily_reset.next(utc(2026, 3, 2))
    state = AccountState(balance=rules.size, equity=rules.size, as_of=start)
    opened = roll_day(rules, None, Peaks.start(rules.size), state, start)
    later = start + dt.timedelta(minutes=hours)
    changed = AccountState(balance=rules.size * 2, equity=rules.size * 2, as_of=later)
    again = roll_day(rules, opened.day, opened.peaks, changed, later)
    if later < rules.daily_reset.next(start):
        assert not again.rolled
        assert daily_floor(rules.daily_loss, rules.size, again.day) == daily_floor(
            rules.daily_loss, rules.size, opened.day
        )
    else:
        assert again.rolled
