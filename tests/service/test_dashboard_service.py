"""The dashboard's read model on the in-memory unit of work: it composes the read use cases
and never computes a floor of its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aria.audit.records import StoredEvent
from aria.service import dashboard
from aria.service.accounts import account_risk, risk_views
from aria.service.changes import visible
from aria.service.context import Context
from aria.service.errors import NotFound
from aria.stored import Change
from tests.builders import open_account, push
from tests.clocks import SettableClock

D = Decimal


def _desk(ctx: Context, clock: SettableClock) -> None:
    open_account(ctx, "alice-1", owner="alice")
    open_account(ctx, "bob-1", owner="bob")
    open_account(ctx, "alice-2", owner="alice")
    at = clock.now() - dt.timedelta(seconds=30)
    push(ctx, "alice-1", 100_000, 98_000, at)
    push(ctx, "bob-1", 100_000, 100_000, at)


def test_the_batch_read_is_the_headroom_endpoints_read(ctx: Context, clock: SettableClock) -> None:
    _desk(ctx, clock)
    views = risk_views(ctx, ["alice-1", "bob-1", "alice-2", "nobody"])
    assert sorted(views) == ["alice-1", "alice-2", "bob-1"]
    for account_id, view in views.items():
        assert view == account_risk(ctx, account_id)


def test_rows_of_an_owner_hold_only_that_owners_accounts(
    ctx: Context, clock: SettableClock
) -> None:
    _desk(ctx, clock)
    assert [r.account.id for r in dashboard.rows(ctx, "alice")] == ["alice-1", "alice-2"]
    assert [r.account.id for r in dashboard.rows(ctx, None)] == ["alice-1", "alice-2", "bob-1"]
    with pytest.raises(NotFound):
        dashboard.row(ctx, "bob-1", "alice")


def test_a_floor_bar_shows_the_distance_the_headroom_gives(
    ctx: Context, clock: SettableClock
) -> None:
    _desk(ctx, clock)
    row = dashboard.row(ctx, "alice-1", "alice")
    assert row.risk.headroom is not None
    bars = {b.name: b for b in row.bars}
    # FTMO 2-Step 100k: daily floor 95,000, maximum-loss floor 90,000; equity 98,000.
    assert bars["daily_loss"].distance == row.risk.headroom.distances["daily_loss"] == D(3000)
    assert bars["daily_loss"].allowance == D(5000)
    assert bars["daily_loss"].left_pct == D(60)
    assert bars["max_loss"].distance == D(8000)
    assert bars["max_loss"].left_pct == D(80)
    assert dashboard.row(ctx, "alice-2", None).bars == ()  # no state pushed yet


def test_a_breach_is_an_alert_in_words(ctx: Context, clock: SettableClock) -> None:
    _desk(ctx, clock)
    push(ctx, "alice-1", 100_000, 94_000, clock.now() - dt.timedelta(seconds=10))
    alerts = dashboard.row(ctx, "alice-1", None).alerts
    assert alerts
    assert alerts[0].kind == "breach"
    assert "94,000.00" in alerts[0].message or "94000" in alerts[0].message
    assert dashboard.latest_alerts(ctx, "alice")[0] == alerts[0]
    assert dashboard.latest_alerts(ctx, "bob") == ()


def test_an_alert_event_shows_its_own_message() -> None:
    at = dt.datetime(2026, 6, 2, 9, tzinfo=dt.UTC)
    event = StoredEvent(
        "e1",
        "a",
        1,
        "alert",
        {"message": "Daily floor 90 % used: close only", "severity": "critical"},
        "aria",
        "threshold",
        at,
    )
    found = dashboard.alert_of(event)
    assert found.message == "Daily floor 90 % used: close only"
    assert found.severity == "critical"
    plain = StoredEvent("e2", "a", 2, "halt", {}, "aria", "daily loss", at)
    assert dashboard.alert_of(plain).message == "halt: daily loss"


@given(
    distance=st.decimals(-10_000, 20_000, places=2),
    allowance=st.decimals(0, 20_000, places=2),
)
def test_the_share_left_stays_between_none_and_all(distance: Decimal, allowance: Decimal) -> None:
    bar = dashboard.FloorBar("daily_loss", D(0), distance, allowance)
    assert D(0) <= bar.left_pct <= D(100)
    if allowance > 0 and 0 <= distance <= allowance:
        assert bar.left_pct == distance / allowance * 100


def test_a_change_is_heard_by_its_owner_and_the_unrestricted_only() -> None:
    change = Change.parse("alice:alice-1")
    assert change == Change("alice", "alice-1")
    assert change.payload == "alice:alice-1"
    assert visible(change, "alice")
    assert visible(change, None)
    assert not visible(change, "bob")
    assert Change.parse("no-owner") is None
