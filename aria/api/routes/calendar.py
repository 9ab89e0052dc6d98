"""The economic calendar: releases in (admin), releases out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aria.api.deps import Ctx
from aria.api.schemas import ERRORS
from aria.api.security import Admin, Reader
from aria.service import calendar
from aria.service.errors import Forbidden
from firms.model import Impact
from firms.news import EconomicEvent

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["calendar"])


class CalendarIn(BaseModel):
    """Releases to store; each is stored once by its instant, currency and title."""

    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[EconomicEvent], Field(min_length=1, max_length=5000)]


class CalendarOut(BaseModel):
    """What an import did."""

    read: int
    added: int


class CalendarEventOut(BaseModel):
    """A stored release with its id."""

    id: str
    at: dt.datetime
    currency: str
    country: str | None
    impact: Impact
    title: str
    kind: str | None


@router.post("/calendar/events", response_model=CalendarOut)
def add_events(body: CalendarIn, ctx: Ctx, caller: Admin) -> CalendarOut:
    """Store economic releases (a release sent again is stored once).

    The calendar is every account's: only an admin key with no owner restriction may write it.
    """
    if caller.owner is not None:
        raise Forbidden(
            "the calendar is global: writing it needs an admin key with no owner restriction"
        )
    done = calendar.add_events(ctx, body.events, "api")
    return CalendarOut(read=done.read, added=done.added)


@router.get("/calendar/events", response_model=list[CalendarEventOut])
def list_events(
    ctx: Ctx,
    caller: Reader,
    start: Annotated[AwareDatetime, Query(description="from (an instant with its offset)")],
    end: Annotated[AwareDatetime | None, Query(description="to (default: 7 days on)")] = None,
) -> list[CalendarEventOut]:
    """The stored releases from ``start`` to ``end``, by instant."""
    last = end if end is not None else start + dt.timedelta(days=7)
    return [
        CalendarEventOut(**e.model_dump(), id=e.id)
        for e in calendar.events_between(ctx, start, last)
    ]
