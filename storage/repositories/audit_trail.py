"""Writing rule events onto accounts' chains, and the audit queries of decisions and events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts.events import AccountEvent
from aria.audit.chain import event_hash
from aria.audit.filters import DecisionFilter, EventFilter
from aria.audit.records import StoredDecision, StoredEvent
from storage import translate
from storage.repositories.chain import Chain
from storage.repositories.notifications import enqueue
from storage.repositories.statements import (
    ACCOUNTS,
    DECISIONS,
    EVENTS,
    after_cursor,
    fields,
    matching,
    new_id,
    within,
)


class AuditTrail:
    """Appending rule events and querying the trail."""

    session: Session
    chain: Chain

    def append_event(
        self,
        account_id: str,
        kind: str,
        detail: dict[str, Any],
        actor: str,
        reason: str,
        at: dt.datetime,
    ) -> StoredEvent:
        event = AccountEvent(account_id, kind, actor, reason, at, detail)
        return self.append_events([event])[0]

    def append_events(self, events: Sequence[AccountEvent]) -> list[StoredEvent]:
        if not events:
            return []
        heads = self.chain.heads_of({e.account_id for e in events})
        moved: dict[str, tuple[int, str]] = {}
        rows: list[dict[str, Any]] = []
        for event in events:
            seq, prev_hash = heads[event.account_id]
            values: dict[str, Any] = {
                "id": new_id(),
                "account_id": event.account_id,
                "seq": seq + 1,
                "kind": event.kind,
                "detail": event.detail,
                "actor": event.actor,
                "reason": event.reason,
                "at": event.at,
                "prev_hash": prev_hash,
            }
            values["hash"] = event_hash(prev_hash, values)
            heads[event.account_id] = moved[event.account_id] = (values["seq"], values["hash"])
            rows.append(values)
        self.session.execute(EVENTS.insert(), rows)
        # In the same transaction: an event is never committed without its notifications.
        enqueue(self.session, rows, max(row["at"] for row in rows))
        self.chain.move(moved)
        return [translate.event_from_values(values) for values in rows]

    def events(
        self, filters: EventFilter, after: tuple[dt.datetime, int, str] | None, limit: int
    ) -> list[StoredEvent]:
        query = sa.select(EVENTS).join(ACCOUNTS, ACCOUNTS.c.id == EVENTS.c.account_id)
        query = matching(
            query,
            (EVENTS.c.account_id, filters.account),
            (ACCOUNTS.c.owner, filters.owner),
            (ACCOUNTS.c.firm, filters.firm),
            (EVENTS.c.kind, filters.kind),
        )
        query = within(query, EVENTS.c.at, filters.start, filters.end)
        query = query.where(after_cursor(EVENTS.c.at, EVENTS.c.seq, EVENTS.c.id, after))
        query = query.order_by(EVENTS.c.at.desc(), EVENTS.c.seq.desc(), EVENTS.c.id.desc()).limit(
            limit
        )
        return [translate.event_from_values(fields(row)) for row in self.session.execute(query)]

    def decisions(
        self, filters: DecisionFilter, after: tuple[dt.datetime, int, str] | None, limit: int
    ) -> list[StoredDecision]:
        query = sa.select(DECISIONS).join(ACCOUNTS, ACCOUNTS.c.id == DECISIONS.c.account_id)
        query = matching(
            query,
            (DECISIONS.c.account_id, filters.account),
            (ACCOUNTS.c.owner, filters.owner),
            (ACCOUNTS.c.firm, filters.firm),
            (DECISIONS.c.symbol, filters.symbol),
            (DECISIONS.c.strategy, filters.strategy),
            (DECISIONS.c.status, filters.status),
            (DECISIONS.c.request_id, filters.request_id),
        )
        if filters.code is not None:
            query = query.where(DECISIONS.c.codes.contains(f",{filters.code},", autoescape=True))
        query = within(query, DECISIONS.c.created_at, filters.start, filters.end)
        query = query.where(
            after_cursor(DECISIONS.c.created_at, DECISIONS.c.seq, DECISIONS.c.id, after)
        )
        query = query.order_by(
            DECISIONS.c.created_at.desc(), DECISIONS.c.seq.desc(), DECISIONS.c.id.desc()
        ).limit(limit)
        return [translate.decision_from_row(row) for row in self.session.execute(query)]
