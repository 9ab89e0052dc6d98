"""What an audit query matches: decisions and rule events by account, owner, firm and time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class DecisionFilter:
    """What an audit query of decisions matches; a ``None`` field matches anything."""

    account: str | None = None
    owner: str | None = None
    firm: str | None = None
    symbol: str | None = None
    strategy: str | None = None
    status: str | None = None
    code: str | None = None
    request_id: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass(frozen=True, kw_only=True)
class EventFilter:
    """What an audit query of rule events matches; a ``None`` field matches anything."""

    account: str | None = None
    owner: str | None = None
    firm: str | None = None
    kind: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
