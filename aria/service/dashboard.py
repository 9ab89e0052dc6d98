"""The dashboard's read model: one row per account, composed from the read use cases.

Nothing here computes a floor or a headroom of its own: the figures come from
:func:`aria.service.accounts.risk_views` (as ``GET /v1/accounts/{id}/headroom``), the
objectives from :func:`~aria.service.accounts.account_objectives`, the next blocking window
from :func:`~aria.service.sessions.account_sessions` and the latest alerts from the audit
trail's rule events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from accounts.model import Account
from aria.audit.filters import DecisionFilter, EventFilter
from aria.audit.notices import DEFAULT_KINDS
from aria.audit.records import StoredDecision, StoredEvent
from aria.service import accounts as account_service
from aria.service import audit, sessions
from aria.service.accounts import RiskView
from aria.service.context import Context
from aria.service.errors import NotFound
from aria.service.sessions import SessionView
from firms.progress import Objectives

# Rule events a trader is alerted to (the kinds notified by default); any other is history.
ALERT_KINDS = frozenset(DEFAULT_KINDS)
ALERTS_SHOWN = 5
EVENTS_READ = 50  # the latest events read per account to find its alerts
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class FloorBar:
    """One floor: its level, the distance left to it, and how much of its allowance is used.

    The allowance is the distance the floor had at its reference: the day's start for the
    daily floor, the phase's initial balance for the others (never less than the distance
    now, so a floor that trailed up shows the room it has, not more).
    """

    name: str
    level: Decimal
    distance: Decimal
    allowance: Decimal

    @property
    def left_pct(self) -> Decimal:
        """The distance left, in percent of the allowance (0 at or past the floor)."""
        if self.allowance <= 0:
            return Decimal(0)
        return max(Decimal(0), min(HUNDRED, self.distance / self.allowance * HUNDRED))


@dataclass(frozen=True)
class Alert:
    """A rule event worth a trader's attention, in words."""

    account_id: str
    kind: str
    at: dt.datetime
    message: str
    severity: str | None


@dataclass(frozen=True)
class DashboardRow:
    """Everything the dashboard shows for one account."""

    account: Account
    risk: RiskView
    objectives: Objectives | None
    session: SessionView | None
    alerts: tuple[Alert, ...]

    @property
    def bars(self) -> tuple[FloorBar, ...]:
        """A bar per floor, from the headroom's distances."""
        room, state, daily = self.risk.headroom, self.risk.state, self.risk.daily
        if room is None or state is None:
            return ()
        bars = []
        for name, level in self.risk.floors.named().items() if self.risk.floors else ():
            distance = room.distances.get(name, state.equity - level)
            reference = (
                state.equity - daily.pnl
                if name == "daily_loss" and daily is not None
                else self.risk.rules.start
            )
            bars.append(FloorBar(name, level, distance, max(distance, reference - level)))
        return tuple(bars)


def alert_of(event: StoredEvent) -> Alert:
    """An event as an alert: its ``message`` when it carries one, else its kind and reason."""
    message = event.detail.get("message")
    if not isinstance(message, str) or not message:
        message = f"{event.kind.replace('_', ' ')}: {event.reason}" if event.reason else event.kind
    severity = event.detail.get("severity") or event.detail.get("level")
    return Alert(
        event.account_id, event.kind, event.at, message, str(severity) if severity else None
    )


def alerts(ctx: Context, account_id: str, limit: int = ALERTS_SHOWN) -> tuple[Alert, ...]:
    """The account's latest alerts, newest first."""
    page = audit.query_events(ctx, EventFilter(account=account_id), limit=EVENTS_READ)
    return tuple(alert_of(e) for e in page.items if e.kind in ALERT_KINDS)[:limit]


def latest_alerts(ctx: Context, owner: str | None, limit: int = 10) -> tuple[Alert, ...]:
    """The latest alerts across ``owner``'s accounts (``None``: every owner's), newest first:
    one read of the latest events."""
    page = audit.query_events(ctx, EventFilter(owner=owner), limit=EVENTS_READ * 4)
    return tuple(alert_of(e) for e in page.items if e.kind in ALERT_KINDS)[:limit]


def _row(ctx: Context, risk: RiskView) -> DashboardRow:
    account_id = risk.account.id
    return DashboardRow(
        risk.account,
        risk,
        account_service.account_objectives(ctx, account_id),
        sessions.account_sessions(ctx, account_id),
        alerts(ctx, account_id),
    )


def rows(ctx: Context, owner: str | None) -> list[DashboardRow]:
    """Every account of ``owner`` (``None``: of every owner), in id order."""
    ids = [a.id for a in account_service.list_accounts(ctx, owner=owner)]
    views = account_service.risk_views(ctx, ids)
    return [_row(ctx, views[i]) for i in ids if i in views]


def row(ctx: Context, account_id: str, owner: str | None) -> DashboardRow:
    """One account's row; another owner's account is as unknown as a missing one."""
    found = account_service.risk_views(ctx, [account_id]).get(account_id)
    if found is None or (owner is not None and found.account.owner != owner):
        raise NotFound(f"unknown account {account_id!r}")
    return _row(ctx, found)


def risks(ctx: Context, owner: str | None) -> list[RiskView]:
    """Every account's risk view (for the metrics): one read of all of them."""
    ids = [a.id for a in account_service.list_accounts(ctx, owner=owner)]
    views = account_service.risk_views(ctx, ids)
    return [views[i] for i in ids if i in views]


@dataclass(frozen=True)
class History:
    """An account's page: equity and floors over time, recent decisions and events."""

    row: DashboardRow
    points: tuple[tuple[dt.datetime, Decimal, Decimal | None, Decimal | None], ...]
    decisions: Sequence[StoredDecision]
    events: Sequence[StoredEvent]


def history(ctx: Context, account_id: str, owner: str | None, points: int = 500) -> History:
    """The account page's figures: its row, its stored states (as of, equity, daily and
    maximum-loss floors), its latest decisions and events."""
    found = row(ctx, account_id, owner)
    with ctx.read_unit() as uow:
        states = uow.accounts.states(account_id, None, None)
    series = tuple((s.as_of, s.equity, daily, max_loss) for s, daily, max_loss in states[-points:])
    decisions = audit.query_decisions(ctx, DecisionFilter(account=account_id), limit=20).items
    events = audit.query_events(ctx, EventFilter(account=account_id), limit=20).items
    return History(found, series, decisions, events)
