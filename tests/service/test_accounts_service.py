"""Account use cases: opening, state pushes, trades, risk now."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aria.bootstrap import options_from
from aria.service import accounts as account_service
from aria.service.commands import CreateAccount, RecordTrades
from aria.service.context import Context, ServiceOptions
from aria.service.errors import Conflict, InvalidInput, NotFound
from aria.settings import Settings
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock
from tests.fakes import FakeStore, fake_context

D = Decimal


def test_open_list_and_get(ctx: Context) -> None:
    open_account(ctx, "a", strategy="trend", personality={"seeded": True})
    open_account(
        ctx, "b", owner="bob", firm="topstep", plan="trading-combine", phase="combine", size=50_000
    )
    assert [a.id for a in account_service.list_accounts(ctx)] == ["a", "b"]
    assert [a.id for a in account_service.list_accounts(ctx, owner="bob")] == ["b"]
    account = account_service.get_account(ctx, "a")
    assert account.rulebook_version == "2024-11"
    assert account.personality.source.value == "seeded"
    assert (
        account.personality == account_service.get_account(ctx, "a").personality
    )  # drawn once, stored
    with pytest.raises(NotFound):
        account_service.get_account(ctx, "zzz")
    with pytest.raises(Conflict, match="already exists"):
        open_account(ctx, "a")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"firm": "nofirm"}, "unknown firm"),
        ({"plan": "9-step"}, "has no plan"),
        ({"phase": "live"}, "has no phase 'live'"),
        (
            {"firm": "topstep", "plan": "trading-combine", "phase": "combine", "size": 75_000},
            "75,000",
        ),
        ({"profile": "yolo"}, "unknown sizing preset"),
        ({"profile_layer": {"risk_per_trade": 5}}, "risk_per_trade"),
    ],
)
def test_opening_refuses_what_the_catalog_does_not_know(
    ctx: Context, change: dict, message: str
) -> None:
    data = {"id": "x", "owner": "o", "firm": "ftmo", "plan": "2-step", "size": 100_000, **change}
    with pytest.raises(InvalidInput, match=message):
        account_service.create_account(ctx, CreateAccount.model_validate(data))
    assert account_service.list_accounts(ctx) == []


def test_out_of_order_and_future_pushes_are_refused(ctx: Context) -> None:
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    with pytest.raises(Conflict, match="not newer"):
        push(ctx, "a", 100_500, 100_500, utc(2026, 6, 2, 8, 40))
    with pytest.raises(Conflict, match="not newer"):
        push(ctx, "a", 100_500, 100_500, utc(2026, 6, 2, 8, 50))
    with pytest.raises(InvalidInput, match="in the future"):
        push(ctx, "a", 100_500, 100_500, utc(2026, 6, 2, 10))
    with pytest.raises(NotFound):
        push(ctx, "ghost", 1, 1, utc(2026, 6, 2, 8))


def test_peaks_and_floors_follow_pushes(ctx: Context) -> None:
    open_account(ctx, "onestep", plan="1-step")
    push(ctx, "onestep", 100_000, 100_000, utc(2026, 6, 2, 8))
    risk = account_service.account_risk(ctx, "onestep")
    assert risk.floors is not None
    assert risk.floors.daily == D(97_000)  # day 1: initial capital − 3 %
    assert risk.floors.max_loss == D(90_000)
    assert risk.headroom is not None
    assert risk.headroom.available == D(3_000)
    assert risk.daily is not None
    assert risk.daily.trading_day == dt.date(2026, 6, 2)


def test_one_outlier_tick_does_not_latch_aria_own_reducing_state(ctx: Context) -> None:
    open_account(ctx, "n")  # floors 95,000 (daily) and 90,000; "near" is within 500
    minute = dt.timedelta(minutes=1)
    start = utc(2026, 6, 2, 8)
    push(ctx, "n", 100_000, 100_000, start)
    outlier = push(ctx, "n", 100_000, 95_300, start + minute)
    assert outlier.account.trading.status.value == "active"
    push(ctx, "n", 100_000, 99_000, start + 2 * minute)
    for step in range(3, 6):
        result = push(ctx, "n", 100_000, 95_400, start + step * minute)
    assert result.account.trading.status.value == "reducing"
    assert "reducing" in result.events  # on the third push in a row near the floor
    cleared = push(ctx, "n", 100_000, 99_500, start + 6 * minute)
    assert cleared.account.trading.status.value == "active"


def test_trades_are_stored_once_per_broker_id(ctx: Context) -> None:
    open_account(ctx, "t")
    trade = {
        "id": "ticket-1",
        "symbol": "EURUSD",
        "side": "long",
        "lots": 1,
        "entry": "1.1",
        "exit": "1.11",
        "pnl": "1000",
        "opened_at": "2026-06-01T10:00:00Z",
        "closed_at": "2026-06-01T12:00:00Z",
    }
    assert (
        account_service.record_trades(ctx, "t", RecordTrades.model_validate({"trades": [trade]}))
        == 1
    )
    assert (
        account_service.record_trades(ctx, "t", RecordTrades.model_validate({"trades": [trade]}))
        == 0
    )
    with ctx.unit() as uow:
        (stored,) = uow.accounts.recent_trades(["t"], 10)["t"]
    assert stored.pnl == D(1000)


def test_a_state_stamped_ahead_of_the_clock_cannot_hide_the_next_real_one(
    ctx: Context, clock: SettableClock
) -> None:
    # The case: a push 290 s ahead was accepted, then the real push was "not newer".
    # The clock stands at 2026-06-02 09:00.
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    with pytest.raises(InvalidInput, match="in the future"):
        push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 9, 4, 50))
    # Within the allowed skew it is taken, but as of when it was received.
    ahead = push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 9, 0, 4))
    assert ahead.account.id == "a"
    risk = account_service.account_risk(ctx, "a")
    assert risk.state is not None
    assert risk.state.as_of == utc(2026, 6, 2, 9)
    clock.tick(1)
    push(ctx, "a", 100_000, 97_600, utc(2026, 6, 2, 9, 0, 1))  # the real loss
    risk = account_service.account_risk(ctx, "a")
    assert risk.state is not None
    assert risk.state.equity == D(97_600)
    assert risk.headroom is not None
    assert risk.headroom.available == D(2_600)  # 97,600 − the daily floor of 95,000


def test_the_allowed_clock_skew_is_a_setting(clock: SettableClock, store: FakeStore) -> None:
    assert ServiceOptions().max_future_skew_seconds == 5
    assert options_from(Settings(max_future_skew_seconds=0)).max_future_skew_seconds == 0
    strict, _ = fake_context(clock, ServiceOptions(max_future_skew_seconds=0), store)
    # The clock stands at 2026-06-02 09:00.
    open_account(strict, "s")
    with pytest.raises(InvalidInput, match="0 s of clock skew allowed"):
        push(strict, "s", 100_000, 100_000, utc(2026, 6, 2, 9, 0, 1))
    push(strict, "s", 100_000, 100_000, utc(2026, 6, 2, 9))


def test_a_stored_state_from_the_future_does_not_block_a_real_one(ctx: Context) -> None:
    # A state stamped minutes ahead, as stored before stamps were clamped.
    open_account(ctx, "old")
    push(ctx, "old", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    with ctx.unit() as uow:
        tracker = uow.accounts.lock_trackers(["old"])["old"]
        assert tracker.state is not None
        ahead = tracker.state.model_copy(update={"as_of": utc(2026, 6, 2, 9, 4, 50)})
        uow.accounts.save_tracker("old", tracker.evolve(state=ahead), utc(2026, 6, 2, 9))
        uow.commit()
    push(ctx, "old", 100_000, 98_000, utc(2026, 6, 2, 9))
    risk = account_service.account_risk(ctx, "old")
    assert risk.state is not None
    assert (risk.state.equity, risk.state.as_of) == (D(98_000), utc(2026, 6, 2, 9))
