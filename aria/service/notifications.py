"""Notification use cases: subscriptions, the outbox, and delivering what is due.

Delivery is at least once: rows are claimed for a lease in one transaction, sent outside it
(by a :class:`Sender` the caller gives: the I/O lives in ``aria.notifications``), and each
outcome recorded in its own transaction. A process that dies between the claim and the
record leaves its rows to be claimed again once the lease passes, so a receiver may see a
notification twice — always with the same idempotency key — and never misses one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from aria.audit.notices import (
    DEFAULT_KINDS,
    TEST_KIND,
    Channel,
    Delivery,
    Notice,
    OutboxEntry,
    Subscription,
    backoff_seconds,
    idempotency_key,
)
from aria.service.context import Context
from aria.service.errors import Forbidden, InvalidInput, NotFound

log = logging.getLogger("aria.notifications")

BATCH = 50  # rows claimed at once: sent one by one, each recorded as soon as it is done
APPRISE_SCHEMES = ("tgram", "discord", "slack", "mailto", "mailtos", "ntfy", "ntfys", "json")


@dataclass(frozen=True, slots=True)
class Sent:
    """What one attempt came to: delivered, or the error to record."""

    ok: bool
    error: str = ""


class Sender(Protocol):
    """Sends one delivery (a webhook POST, an apprise notification)."""

    def __call__(self, delivery: Delivery) -> Sent:
        """Send it once; never raises."""
        ...


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """What ``aria notify add`` and ``POST /v1/notifications/subscriptions`` give."""

    owner: str | None
    channel: Channel
    target: str
    kinds: tuple[str, ...] = ()
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class Created:
    """A new subscription and, for a webhook, its secret (shown this once)."""

    subscription: Subscription
    secret: str | None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery pass did."""

    job: str
    claimed: int
    delivered: int
    retried: int
    failed: int

    def __str__(self) -> str:
        return (
            f"{self.claimed} claimed, {self.delivered} delivered, {self.retried} to retry,"
            f" {self.failed} failed"
        )


def _check_target(channel: Channel, target: str) -> None:
    parts = urlsplit(target)
    if channel == "webhook":
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(f"a webhook needs an http(s) URL, not {target!r}")
    elif not parts.scheme or not target.partition("://")[2]:
        raise InvalidInput(
            f"an apprise channel needs a URL such as ntfy://topic or tgram://token/chat,"
            f" not {target!r}"
        )


def add_subscription(ctx: Context, command: NewSubscription) -> Created:
    """Store a subscription; a webhook without a secret gets a generated one."""
    _check_target(command.channel, command.target)
    kinds = tuple(dict.fromkeys(command.kinds or DEFAULT_KINDS))
    if any(not k or len(k) > 64 for k in kinds):
        raise InvalidInput("an event kind is a name of 1 to 64 characters")
    secret = command.secret
    if command.channel == "webhook" and not secret:
        secret = "whsec_" + ctx.tokens(24)
    if command.channel == "apprise":
        secret = None
    with ctx.unit() as uow:
        now = uow.now()
        subscription = Subscription(
            id="sub_" + ctx.tokens(8),
            owner=command.owner,
            kinds=kinds,
            channel=command.channel,
            target=command.target,
            secret=secret,
            created_at=now,
        )
        uow.notifications.add_subscription(subscription)
        uow.commit()
    return Created(subscription, secret)


def list_subscriptions(ctx: Context, owner: str | None = None) -> list[Subscription]:
    """Subscriptions (``owner``: only that owner's), oldest first."""
    with ctx.read_unit() as uow:
        return uow.notifications.subscriptions(owner)


def get_subscription(ctx: Context, subscription_id: str, owner: str | None = None) -> Subscription:
    """One subscription; to an owner's caller another owner's is unknown."""
    with ctx.read_unit() as uow:
        found = uow.notifications.subscription(subscription_id)
    if found is None or (owner is not None and found.owner != owner):
        raise NotFound(f"unknown subscription {subscription_id!r}")
    return found


def remove_subscription(ctx: Context, subscription_id: str, owner: str | None = None) -> None:
    """Delete a subscription; what it had not delivered yet is marked failed."""
    get_subscription(ctx, subscription_id, owner)
    with ctx.unit() as uow:
        if not uow.notifications.remove_subscription(subscription_id):
            raise NotFound(f"unknown subscription {subscription_id!r}")
        uow.commit()


def outbox(
    ctx: Context, statuses: Sequence[str] = ("pending", "sending", "failed"), limit: int = 200
) -> list[OutboxEntry]:
    """Outbox rows in these statuses, oldest first."""
    with ctx.read_unit() as uow:
        return uow.notifications.outbox(statuses, limit)


def send_test(
    ctx: Context, send: Sender, subscription_id: str, owner: str | None = None
) -> tuple[Delivery, Sent]:
    """Send a test notification to one subscription now (no outbox row) and say how it went."""
    subscription = get_subscription(ctx, subscription_id, owner)
    now = ctx.clock.now()
    event_id = "test_" + ctx.tokens(8)
    notice = Notice(
        event_id=event_id,
        kind=TEST_KIND,
        account_id="",
        owner=subscription.owner or "",
        at=now,
        detail={"message": "a test notification from ARIA"},
        reason="test",
    )
    key = idempotency_key(event_id, subscription.id)
    delivery = Delivery(key, key, 1, notice, subscription)
    return delivery, send(delivery)


def deliver_due(ctx: Context, send: Sender, limit: int = BATCH) -> DeliveryReport:
    """Claim the notifications due now, send each, record each outcome; one pass."""
    options = ctx.options
    with ctx.unit() as uow:
        now = uow.now()
        lease = now + dt.timedelta(seconds=options.notify_lease_seconds)
        claimed = uow.notifications.claim_due(now, lease, limit)
        uow.commit()
    delivered = retried = failed = 0
    for delivery in claimed:
        outcome = send(delivery)
        with ctx.unit() as uow:
            now = uow.now()
            if outcome.ok:
                uow.notifications.delivered(delivery.id, now)
                delivered += 1
            elif delivery.attempts >= options.notify_max_attempts:
                log.warning(
                    "notification %s to %s failed for good after %d attempts: %s",
                    delivery.idempotency_key,
                    delivery.subscription.id,
                    delivery.attempts,
                    outcome.error,
                )
                uow.notifications.attempt_failed(delivery.id, outcome.error, None)
                failed += 1
            else:
                wait = backoff_seconds(
                    delivery.idempotency_key,
                    delivery.attempts,
                    options.notify_backoff_seconds,
                    options.notify_max_backoff_seconds,
                )
                retry = now + dt.timedelta(seconds=wait)
                uow.notifications.attempt_failed(delivery.id, outcome.error, retry)
                retried += 1
            uow.commit()
    return DeliveryReport("notify", len(claimed), delivered, retried, failed)


def check_owner(allowed: str | None, wanted: str | None) -> str | None:
    """The owner a caller restricted to ``allowed`` may act for (``None``: every owner)."""
    if allowed is None:
        return wanted
    if wanted not in (None, allowed):
        raise Forbidden(f"this key may only manage notifications of owner {allowed!r}")
    return allowed
