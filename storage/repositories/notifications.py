"""Notification subscriptions, the outbox, and the alert levels each account has fired.

The outbox is written in the transaction that appends the rule events (:func:`enqueue`, called
by ``AuditTrail.append_events``), so an event is never committed without its notifications,
nor a notification without its event. Claiming takes the due rows for a lease: PostgreSQL
skips rows another claimer has locked (``FOR UPDATE SKIP LOCKED``); SQLite's transactions
begin ``IMMEDIATE`` (see ``storage.engine``), so one claimer at a time reads and marks them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aria.audit.notices import (
    Delivery,
    Notice,
    OutboxEntry,
    Subscription,
    idempotency_key,
)
from firms.alerts import Fired
from storage.repositories.statements import ACCOUNTS, EVENTS, insert, new_id
from storage.rows import AlertStateRow, OutboxRow, SubscriptionRow

SUBSCRIPTIONS = SubscriptionRow.__table__
OUTBOX = OutboxRow.__table__
ALERT_STATES = AlertStateRow.__table__
DUE = ("pending", "sending")


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        owner=row.owner,
        kinds=tuple(row.kinds),
        channel=row.channel,
        target=row.target,
        secret=row.secret,
        created_at=row.created_at,
    )


def enqueue(session: Session, events: Sequence[Mapping[str, Any]], at: dt.datetime) -> int:
    """Write one outbox row per (event, matching subscription); returns how many."""
    subscriptions = [_subscription(r) for r in session.execute(sa.select(SUBSCRIPTIONS))]
    if not subscriptions:
        return 0
    kinds = {k for s in subscriptions for k in s.kinds}
    wanted = [e for e in events if e["kind"] in kinds]
    if not wanted:
        return 0
    accounts = {e["account_id"] for e in wanted}
    owners: dict[str, str] = {
        row.id: row.owner
        for row in session.execute(
            sa.select(ACCOUNTS.c.id, ACCOUNTS.c.owner).where(ACCOUNTS.c.id.in_(accounts))
        )
    }
    rows = [
        {
            "id": new_id(),
            "event_id": event["id"],
            "subscription_id": sub.id,
            "idempotency_key": idempotency_key(event["id"], sub.id),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": at,
            "last_error": None,
            "created_at": at,
            "delivered_at": None,
        }
        for event in wanted
        for sub in subscriptions
        if sub.wants(event["kind"], owners.get(event["account_id"], ""))
    ]
    if rows:
        session.execute(OUTBOX.insert(), rows)
    return len(rows)


class NotificationRepository:
    """Subscriptions and the outbox (``aria.service.ports.NotificationRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_subscription(self, subscription: Subscription) -> None:
        self.session.execute(
            SUBSCRIPTIONS.insert().values(
                id=subscription.id,
                owner=subscription.owner,
                kinds=list(subscription.kinds),
                channel=subscription.channel,
                target=subscription.target,
                secret=subscription.secret,
                created_at=subscription.created_at,
            )
        )

    def subscriptions(self, owner: str | None = None) -> list[Subscription]:
        query = sa.select(SUBSCRIPTIONS).order_by(SUBSCRIPTIONS.c.created_at, SUBSCRIPTIONS.c.id)
        if owner is not None:
            query = query.where(SUBSCRIPTIONS.c.owner == owner)
        return [_subscription(row) for row in self.session.execute(query)]

    def subscription(self, subscription_id: str) -> Subscription | None:
        row = self.session.execute(
            sa.select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id)
        ).first()
        return None if row is None else _subscription(row)

    def remove_subscription(self, subscription_id: str) -> bool:
        gone = self.session.execute(
            SUBSCRIPTIONS.delete()
            .where(SUBSCRIPTIONS.c.id == subscription_id)
            .returning(SUBSCRIPTIONS.c.id)
        ).first()
        self.session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.subscription_id == subscription_id, OUTBOX.c.status.in_(DUE))
            .values(status="failed", last_error="the subscription was removed")
        )
        return gone is not None

    def claim_due(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[Delivery]:
        query = (
            sa.select(OUTBOX.c.id)
            .where(OUTBOX.c.status.in_(DUE), OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self.session.scalars(query))
        if not ids:
            return []
        self.session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id.in_(ids))
            .values(status="sending", attempts=OUTBOX.c.attempts + 1, next_attempt_at=lease_until)
        )
        rows = self.session.execute(
            sa.select(
                OUTBOX.c.id,
                OUTBOX.c.idempotency_key,
                OUTBOX.c.attempts,
                OUTBOX.c.subscription_id,
                EVENTS.c.id.label("event_id"),
                EVENTS.c.kind,
                EVENTS.c.account_id,
                EVENTS.c.at,
                EVENTS.c.detail,
                EVENTS.c.reason,
                ACCOUNTS.c.owner,
            )
            .join(EVENTS, EVENTS.c.id == OUTBOX.c.event_id)
            .join(ACCOUNTS, ACCOUNTS.c.id == EVENTS.c.account_id)
            .where(OUTBOX.c.id.in_(ids))
            .order_by(OUTBOX.c.created_at, EVENTS.c.seq, OUTBOX.c.id)
        ).all()
        subs = {
            s.id: s
            for s in (
                _subscription(r)
                for r in self.session.execute(
                    sa.select(SUBSCRIPTIONS).where(
                        SUBSCRIPTIONS.c.id.in_({r.subscription_id for r in rows})
                    )
                )
            )
        }
        found: list[Delivery] = []
        for row in rows:
            sub = subs.get(row.subscription_id)
            if sub is None:  # removed meanwhile: nothing to send it to
                self.attempt_failed(row.id, "the subscription was removed", None)
                continue
            notice = Notice(
                row.event_id, row.kind, row.account_id, row.owner, row.at, row.detail, row.reason
            )
            found.append(Delivery(row.id, row.idempotency_key, row.attempts, notice, sub))
        return found

    def delivered(self, outbox_id: str, at: dt.datetime) -> None:
        self.session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == outbox_id)
            .values(status="delivered", delivered_at=at, last_error=None)
        )

    def attempt_failed(self, outbox_id: str, error: str, retry_at: dt.datetime | None) -> None:
        values: dict[str, Any] = {"last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "failed"
        else:
            values |= {"status": "pending", "next_attempt_at": retry_at}
        # A row delivered by another claimer meanwhile (its lease ran out) stays delivered.
        self.session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == outbox_id, OUTBOX.c.status != "delivered")
            .values(**values)
        )

    def outbox(self, statuses: Sequence[str], limit: int) -> list[OutboxEntry]:
        rows = self.session.execute(
            sa.select(OUTBOX, EVENTS.c.kind, EVENTS.c.account_id)
            .join(EVENTS, EVENTS.c.id == OUTBOX.c.event_id)
            .where(OUTBOX.c.status.in_(list(statuses)))
            .order_by(OUTBOX.c.created_at, OUTBOX.c.id)
            .limit(limit)
        )
        return [
            OutboxEntry(
                id=r.id,
                event_id=r.event_id,
                kind=r.kind,
                account_id=r.account_id,
                subscription_id=r.subscription_id,
                status=r.status,
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at,
                last_error=r.last_error,
                delivered_at=r.delivered_at,
            )
            for r in rows
        ]


class AlertRepository:
    """Fired alert levels (``aria.service.ports.AlertRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def fired(self, account_id: str) -> dict[str, Fired]:
        rows = self.session.execute(
            sa.select(ALERT_STATES).where(ALERT_STATES.c.account_id == account_id)
        )
        return {r.key: Fired(r.epoch, frozenset(Decimal(v) for v in r.levels)) for r in rows}

    def save_fired(self, account_id: str, fired: Mapping[str, Fired], at: dt.datetime) -> None:
        if not fired:
            return
        statement = insert(self.session, ALERT_STATES).values(
            [
                {
                    "account_id": account_id,
                    "key": key,
                    "epoch": state.epoch,
                    "levels": sorted(str(v) for v in state.levels),
                    "updated_at": at,
                }
                for key, state in sorted(fired.items())
            ]
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["account_id", "key"],
                set_={
                    "epoch": statement.excluded.epoch,
                    "levels": statement.excluded.levels,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
