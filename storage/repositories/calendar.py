"""The economic calendar: scheduled releases, stored once each by their identity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firms.model import Impact
from firms.news import EconomicEvent
from storage.repositories.statements import insert
from storage.rows import EconomicEventRow

CALENDAR = EconomicEventRow.__table__
_BETWEEN = (
    sa.select(CALENDAR)
    .where(CALENDAR.c.at >= sa.bindparam("start"), CALENDAR.c.at <= sa.bindparam("end"))
    .order_by(CALENDAR.c.at, CALENDAR.c.id)
)


def _event(row: Any) -> EconomicEvent:
    return EconomicEvent(
        at=row.at,
        currency=row.currency,
        country=row.country,
        impact=Impact(row.impact),
        title=row.title,
        kind=row.kind,
    )


class CalendarRepository:
    """Releases of the economic calendar (``aria.service.ports.CalendarRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_events(self, events: Sequence[EconomicEvent], at: dt.datetime) -> int:
        unique = {event.id: event for event in events}
        if not unique:
            return 0
        known = set(
            self.session.scalars(sa.select(CALENDAR.c.id).where(CALENDAR.c.id.in_(list(unique))))
        )
        statement = insert(self.session, CALENDAR).values(
            [
                {
                    "id": key,
                    "at": event.at,
                    "currency": event.currency,
                    "country": event.country,
                    "impact": event.impact.value,
                    "title": event.title,
                    "kind": event.kind,
                    "imported_at": at,
                }
                for key, event in sorted(unique.items())
            ]
        )
        # A release imported again keeps its row; a revised impact or kind replaces the old.
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["id"],
                set_={
                    "impact": statement.excluded.impact,
                    "kind": statement.excluded.kind,
                    "country": statement.excluded.country,
                },
            )
        )
        return len(set(unique) - known)

    def events_between(self, start: dt.datetime, end: dt.datetime) -> list[EconomicEvent]:
        rows = self.session.execute(_BETWEEN, {"start": start, "end": end})
        return [_event(row) for row in rows]

    def event(self, event_id: str) -> EconomicEvent | None:
        row = self.session.execute(sa.select(CALENDAR).where(CALENDAR.c.id == event_id)).first()
        return None if row is None else _event(row)
