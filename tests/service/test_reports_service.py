"""What the reports read beyond risk and objectives: an account's life and phase, and an
owner's latest rule events without the routine ones."""

from __future__ import annotations

import pytest

from aria.audit.filters import EventFilter
from aria.service import accounts as account_service
from aria.service import audit, reports
from aria.service.commands import Promote, SetTrading
from aria.service.context import Context
from aria.service.errors import NotFound
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock


def test_the_life_runs_from_the_opening_and_the_phase_from_the_promotion(
    ctx: Context, clock: SettableClock
) -> None:
    open_account(ctx, "a")
    clock.move_to("2026-06-03T10:00:00Z")
    account_service.promote(ctx, "a", Promote(actor="desk", reason="passed"))
    clock.move_to("2026-06-04T11:00:00Z")
    life = reports.account_life(ctx, "a")
    assert life.opened == utc(2026, 6, 2, 9)
    assert life.phase_started == utc(2026, 6, 3, 10)
    assert life.now == utc(2026, 6, 4, 11)


def test_the_life_of_an_unknown_account_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFound):
        reports.account_life(ctx, "nobody")


def test_recent_events_are_the_owner_s_newest_first_without_routine_ones(
    ctx: Context, clock: SettableClock
) -> None:
    open_account(ctx, "a")
    open_account(ctx, "b", owner="bob")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))  # opens the first day
    for minute in range(1, 4):
        clock.move_to(f"2026-06-02T09:0{minute}:00Z")
        change = SetTrading(enabled=minute % 2 == 0, actor="desk", reason=f"review {minute}")
        account_service.set_trading(ctx, "a", change)
    every = audit.query_events(ctx, EventFilter(owner="alice")).items
    assert "day_opened" in {e.kind for e in every}
    found = reports.recent_events(ctx, "alice")
    assert len(found) == len(every) - 1
    assert [e.reason for e in found[:3]] == ["review 3", "review 2", "review 1"]
    assert all(e.account_id == "a" for e in found)
    assert not {e.kind for e in found} & reports.ROUTINE_EVENTS
    assert found[-1].kind == "account_opened"
    assert [e.reason for e in reports.recent_events(ctx, "alice", limit=2)] == [
        "review 3",
        "review 2",
    ]
    assert [e.account_id for e in reports.recent_events(ctx, "bob")] == ["b"]
