"""Subscriptions and delivery on the in-memory unit of work: retries, backoff, failure."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.events import AccountEvent
from aria.audit.notices import DEFAULT_KINDS, Delivery
from aria.service import notifications
from aria.service.context import Context
from aria.service.errors import Forbidden, InvalidInput, NotFound
from aria.service.notifications import NewSubscription, Sent
from tests.builders import open_account
from tests.clocks import SettableClock
from tests.fakes import FakeStore


class Flaky:
    """A sender that fails ``failures`` times, then delivers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Delivery] = []

    def __call__(self, delivery: Delivery) -> Sent:
        self.sent.append(delivery)
        if self.failures > 0:
            self.failures -= 1
            return Sent(False, "HTTP 503 from the webhook")
        return Sent(True)


def _events(ctx: Context, kind: str = "alert", account: str = "ftmo-1") -> None:
    with ctx.unit() as uow:
        uow.audit.append_events([AccountEvent(account, kind, "system", "r", uow.now(), {})])
        uow.commit()


def _subscribe(ctx: Context, owner: str | None = "alice", *kinds: str) -> str:
    command = NewSubscription(owner, "webhook", "https://example.com/hook", kinds)
    return notifications.add_subscription(ctx, command).subscription.id


def test_a_webhook_gets_a_generated_secret_and_the_default_kinds(ctx: Context) -> None:
    created = notifications.add_subscription(
        ctx, NewSubscription("alice", "webhook", "https://example.com/hook")
    )
    assert created.secret is not None
    assert created.secret.startswith("whsec_")
    assert created.subscription.kinds == DEFAULT_KINDS


def test_a_bad_url_is_refused(ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="http"):
        notifications.add_subscription(ctx, NewSubscription("alice", "webhook", "ftp://x"))
    with pytest.raises(InvalidInput, match="apprise"):
        notifications.add_subscription(ctx, NewSubscription("alice", "apprise", "ntfy"))


def test_only_matching_owner_and_kind_are_queued(ctx: Context, store: FakeStore) -> None:
    open_account(ctx, "ftmo-1")
    open_account(ctx, "ftmo-2", owner="bob")
    _subscribe(ctx, "alice", "alert")
    _subscribe(ctx, None, "breach")
    _events(ctx, "alert", "ftmo-1")
    _events(ctx, "alert", "ftmo-2")
    _events(ctx, "breach", "ftmo-2")
    _events(ctx, "daily_reset", "ftmo-1")
    queued = sorted((e.kind, e.account_id) for e in notifications.outbox(ctx))
    assert queued == [("alert", "ftmo-1"), ("breach", "ftmo-2")]


def test_a_failed_attempt_is_retried_after_its_backoff(ctx: Context, clock: SettableClock) -> None:
    open_account(ctx, "ftmo-1")
    _subscribe(ctx, "alice", "alert")
    _events(ctx)
    sender = Flaky(1)
    first = notifications.deliver_due(ctx, sender)
    assert (first.claimed, first.retried) == (1, 1)
    assert notifications.deliver_due(ctx, sender).claimed == 0  # not due yet
    clock.tick(5)
    second = notifications.deliver_due(ctx, sender)
    assert (second.claimed, second.delivered) == (1, 1)
    assert [d.attempts for d in sender.sent] == [1, 2]
    assert len({d.idempotency_key for d in sender.sent}) == 1
    assert notifications.outbox(ctx) == []


def test_a_notification_fails_for_good_after_its_attempts(
    ctx: Context, clock: SettableClock
) -> None:
    open_account(ctx, "ftmo-1")
    _subscribe(ctx, "alice", "alert")
    _events(ctx)
    sender = Flaky(100)
    for _ in range(ctx.options.notify_max_attempts):
        notifications.deliver_due(ctx, sender)
        clock.tick(4000)
    [entry] = notifications.outbox(ctx)
    assert (entry.status, entry.attempts) == ("failed", ctx.options.notify_max_attempts)
    assert entry.last_error == "HTTP 503 from the webhook"
    assert notifications.deliver_due(ctx, sender).claimed == 0


def test_a_claim_whose_sender_died_is_due_again_after_the_lease(
    ctx: Context, clock: SettableClock
) -> None:
    open_account(ctx, "ftmo-1")
    _subscribe(ctx, "alice", "alert")
    _events(ctx)
    with ctx.unit() as uow:  # claimed, then the process died before sending
        now = uow.now()
        lease = now + dt.timedelta(seconds=ctx.options.notify_lease_seconds)
        assert len(uow.notifications.claim_due(now, lease, 10)) == 1
        uow.commit()
    clock.tick(ctx.options.notify_lease_seconds - 1)
    assert notifications.deliver_due(ctx, Flaky(0)).claimed == 0
    clock.tick(1)
    assert notifications.deliver_due(ctx, Flaky(0)).delivered == 1


def test_an_owner_manages_only_its_own(ctx: Context) -> None:
    theirs = _subscribe(ctx, "bob", "alert")
    with pytest.raises(NotFound):
        notifications.remove_subscription(ctx, theirs, owner="alice")
    with pytest.raises(Forbidden):
        notifications.check_owner("alice", "bob")
    assert notifications.check_owner("alice", None) == "alice"
    notifications.remove_subscription(ctx, theirs)
    assert notifications.list_subscriptions(ctx) == []
