"""Read use cases the reports need beyond the account's risk and objectives: when an account's
life and its current phase began, and an owner's latest rule events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aria.audit.filters import EventFilter
from aria.service.accounts import phase_start
from aria.service.context import Context
from aria.service.errors import NotFound
from aria.service.ports import StoredEvent

OPENED = "account_opened"
# Kinds every account records on schedule: a review of what happened to an owner skips them.
ROUTINE_EVENTS = frozenset({"daily_reset", "day_opened"})


@dataclass(frozen=True)
class Life:
    """When an account was opened and its current phase began, and the time now."""

    opened: dt.datetime | None  # None: opened before opening events were recorded
    phase_started: dt.datetime | None
    now: dt.datetime


def account_life(ctx: Context, account_id: str) -> Life:
    """The span of an account's life and of its current phase, up to now."""
    with ctx.read_unit() as uow:
        if uow.accounts.get(account_id) is None:
            raise NotFound(f"unknown account {account_id!r}")
        now = uow.now()
        opened = uow.audit.events(EventFilter(account=account_id, kind=OPENED), None, 1)
        started = phase_start(uow, account_id)
    return Life(opened[0].at if opened else None, started, now)


def recent_events(ctx: Context, owner: str, limit: int = 50) -> list[StoredEvent]:
    """The owner's latest rule events across their accounts, newest first, without the
    routine ones (daily resets, the first day opened)."""
    found: list[StoredEvent] = []
    after = None
    with ctx.read_unit() as uow:
        while len(found) < limit:
            page = uow.audit.events(EventFilter(owner=owner), after, 200)
            found += [e for e in page if e.kind not in ROUTINE_EVENTS]
            if len(page) < 200:
                break
            last = page[-1]
            after = (last.at, last.seq, last.id)
    return found[:limit]
