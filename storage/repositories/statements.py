"""What every repository's SQL shares: the tables, dialect-aware inserts, ids, audit filters.

Every statement runs the same on SQLite and PostgreSQL: upserts and claims use the dialect's
``INSERT … ON CONFLICT``, "latest N per key" uses ``row_number()``, and money is compared in
Python (SQLite stores it as text). Repositories write SQLAlchemy Core statements over these
tables and read plain rows, never ORM objects, and they flush or commit nothing themselves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.rows import (
    AccountRow,
    ApiKeyRow,
    BarRow,
    CorrelationRow,
    DecisionRow,
    EventRow,
    HeartbeatRow,
    InputPartRow,
    InstrumentRow,
    JobRunRow,
    ProfileLayerRow,
    RequestRow,
    ReservationRow,
    RevisionRow,
    SnapshotRow,
    StateRecordRow,
    StateRow,
    TrackerRow,
    TradeRow,
)

ACCOUNTS = AccountRow.__table__
TRACKERS = TrackerRow.__table__
STATES = StateRow.__table__
TRADES = TradeRow.__table__
LAYERS = ProfileLayerRow.__table__
REQUESTS = RequestRow.__table__
DECISIONS = DecisionRow.__table__
PARTS = InputPartRow.__table__
RESERVATIONS = ReservationRow.__table__
EVENTS = EventRow.__table__
STATE_RECORDS = StateRecordRow.__table__
BARS = BarRow.__table__
SNAPSHOTS = SnapshotRow.__table__
CORRELATIONS = CorrelationRow.__table__
INSTRUMENTS = InstrumentRow.__table__
JOB_RUNS = JobRunRow.__table__
HEARTBEATS = HeartbeatRow.__table__
API_KEYS = ApiKeyRow.__table__
REVISIONS = RevisionRow.__table__


def insert(session: Session, table: sa.Table) -> Any:
    """The dialect's ``INSERT`` (with ``ON CONFLICT``) into ``table``."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def new_id() -> str:
    """A fresh record id."""
    return uuid.uuid4().hex


def matching(query: Any, *pairs: tuple[Any, str | None]) -> Any:
    """``query`` narrowed to rows whose column equals each given value (``None``: any)."""
    for column, value in pairs:
        if value is not None:
            query = query.where(column == value)
    return query


def within(query: Any, at: Any, start: dt.datetime | None, end: dt.datetime | None) -> Any:
    """``query`` narrowed to rows whose time ``at`` lies in [start, end] (either side open)."""
    if start is not None:
        query = query.where(at >= start)
    if end is not None:
        query = query.where(at <= end)
    return query


def after_cursor(at: Any, seq: Any, key: Any, after: tuple[dt.datetime, int, str] | None) -> Any:
    """Rows after a page's last (time, chain position, id), newest first."""
    # Records written in the same instant still page in the order they were written.
    if after is None:
        return sa.true()
    when, number, last_id = after
    return sa.or_(
        at < when,
        sa.and_(at == when, seq < number),
        sa.and_(at == when, seq == number, key < last_id),
    )


def fields(row: sa.Row[Any]) -> Mapping[str, Any]:
    """A row's values by column name."""
    return cast(Mapping[str, Any], row._mapping)
