"""The outbox on SQLite and PostgreSQL: written with its events, claimed once per lease."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.events import AccountEvent
from aria.service import notifications
from aria.service.context import Context
from aria.service.notifications import NewSubscription, Sent
from firms.alerts import Fired
from tests.builders import open_account, push, utc
from tests.clocks import SettableClock

D = Decimal


def _append(ctx: Context, *kinds: str, commit: bool = True) -> None:
    with ctx.unit() as uow:
        now = uow.now()
        uow.audit.append_events([AccountEvent("ftmo-1", k, "system", "r", now, {}) for k in kinds])
        if commit:
            uow.commit()


def test_outbox_rows_are_written_with_their_events_only(ctx: Context) -> None:
    open_account(ctx, "ftmo-1")
    open_account(ctx, "bob-1", owner="bob")
    notifications.add_subscription(
        ctx, NewSubscription("alice", "webhook", "https://example.com/h", ("alert", "breach"))
    )
    notifications.add_subscription(ctx, NewSubscription(None, "apprise", "ntfy://ops", ("alert",)))
    _append(ctx, "alert", "daily_reset")
    _append(ctx, "breach", commit=False)  # rolled back: neither event nor notification
    rows = notifications.outbox(ctx)
    assert sorted((r.kind, r.status) for r in rows) == [("alert", "pending"), ("alert", "pending")]
    assert len({r.subscription_id for r in rows}) == 2


def test_a_claim_holds_rows_for_its_lease(ctx: Context, clock: SettableClock) -> None:
    open_account(ctx, "ftmo-1")
    created = notifications.add_subscription(
        ctx, NewSubscription("alice", "webhook", "https://example.com/h", ("alert",), "k")
    )
    _append(ctx, "alert", "alert")
    now = clock.now()
    with ctx.unit() as uow:
        first = uow.notifications.claim_due(now, now + dt.timedelta(seconds=60), 10)
        uow.commit()
    with ctx.unit() as uow:
        assert uow.notifications.claim_due(now, now + dt.timedelta(seconds=60), 10) == []
    assert [d.attempts for d in first] == [1, 1]
    assert {d.subscription.secret for d in first} == {"k"}
    assert first[0].notice.owner == "alice"
    assert first[0].subscription.id == created.subscription.id
    clock.tick(61)
    report = notifications.deliver_due(ctx, lambda d: Sent(True))
    assert (report.claimed, report.delivered) == (2, 2)
    assert notifications.outbox(ctx) == []
    assert len(notifications.outbox(ctx, ("delivered",))) == 2


def test_fired_alert_levels_survive_a_restart(ctx: Context, clock: SettableClock) -> None:
    open_account(ctx, "ftmo-1")
    push(ctx, "ftmo-1", 100_000, 100_000, utc(2026, 6, 2, 8, 50))
    push(ctx, "ftmo-1", 100_000, 97_400, utc(2026, 6, 2, 8, 51))
    with ctx.unit() as uow:
        fired = uow.alerts.fired("ftmo-1")
    assert fired["floor:daily_loss"].levels == frozenset({D("0.5")})
    push(ctx, "ftmo-1", 100_000, 97_300, utc(2026, 6, 2, 8, 52))
    with ctx.unit() as uow:
        uow.alerts.save_fired("ftmo-1", {"x": Fired("e", frozenset({D("0.9")}))}, clock.now())
        uow.commit()
    with ctx.unit() as uow:
        again = uow.alerts.fired("ftmo-1")
    assert again["x"] == Fired("e", frozenset({D("0.9")}))
    assert again["floor:daily_loss"] == fired["floor:daily_loss"]
