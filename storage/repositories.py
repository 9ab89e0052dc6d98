"""Repositories: SQL behind the service's ports. They flush, never commit.

Every query here runs the same on SQLite and PostgreSQL: upserts and claims use the
dialect's ``INSERT … ON CONFLICT``, "latest N per key" uses ``row_number()``, and money is
compared in Python (SQLite stores it as text).
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accounts.events import AccountEvent, EventFilter
from accounts.model import Account, AccountState, Side, Trade
from accounts.money import CURRENCIES
from accounts.tracker import Tracker
from aria.sizing.inputs import Reservation
from aria.sizing.instruments import Instrument
from aria.sizing.market import Correlation, VolatilitySnapshot
from aria.sizing.record import DecisionFilter, DecisionRecord
from storage import bulk, translate
from storage.audit_chain import (
    CURRENT_FORMAT,
    GENESIS,
    STATE_COLUMNS,
    TRACKER_STATE,
    decision_hash,
    event_record,
    inputs_text,
    record_hash,
    released_body,
    split_inputs,
    state_body,
    state_hash,
)
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
    SnapshotRow,
    StateRecordRow,
    StateRow,
    TrackerRow,
    TradeRow,
)

_ACCOUNTS = AccountRow.__table__
_TRACKERS = TrackerRow.__table__
_TRACKER_PREFIX = "tracker_"
_ACCOUNTS_WITH_TRACKERS = sa.select(
    _ACCOUNTS, *(c.label(_TRACKER_PREFIX + c.name) for c in _TRACKERS.c)
).join(_TRACKERS, _TRACKERS.c.account_id == _ACCOUNTS.c.id)


_READ = _ACCOUNTS_WITH_TRACKERS.where(
    _ACCOUNTS.c.id.in_(sa.bindparam("ids", expanding=True))
).order_by(_ACCOUNTS.c.id)
_LOCK = (
    _ACCOUNTS_WITH_TRACKERS.where(_ACCOUNTS.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_ACCOUNTS.c.id)
    .with_for_update(of=_TRACKERS)
)
_FAMILY = (
    sa.select(
        _ACCOUNTS.c.id,
        _ACCOUNTS.c.owner,
        _ACCOUNTS.c.firm,
        _ACCOUNTS.c.plan,
        _ACCOUNTS.c.phase,
        _ACCOUNTS.c.rulebook_version,
        _ACCOUNTS.c.initial_balance,
        _ACCOUNTS.c.currency,
        _ACCOUNTS.c.strategy,
        _TRACKERS.c.positions,
    )
    .join(_TRACKERS, _TRACKERS.c.account_id == _ACCOUNTS.c.id)
    .where(_ACCOUNTS.c.owner.in_(sa.bindparam("owners", expanding=True)))
    .order_by(_ACCOUNTS.c.id)
)
_RESERVATIONS = ReservationRow.__table__
_LIVE = (
    sa.select(
        _RESERVATIONS.c.account_id,
        _RESERVATIONS.c.decision_id,
        _RESERVATIONS.c.amount,
        _RESERVATIONS.c.swing,
        _RESERVATIONS.c.expires_at,
        _RESERVATIONS.c.symbol,
        _RESERVATIONS.c.side,
        _RESERVATIONS.c.lots,
        _RESERVATIONS.c.reduce_only,
    )
    .where(
        _RESERVATIONS.c.account_id.in_(sa.bindparam("ids", expanding=True)),
        _RESERVATIONS.c.status == "live",
        _RESERVATIONS.c.expires_at > sa.bindparam("now"),
    )
    .order_by(_RESERVATIONS.c.account_id, _RESERVATIONS.c.created_at, _RESERVATIONS.c.decision_id)
)
_LAYERS = ProfileLayerRow.__table__
_LAYERS_OF = sa.select(_LAYERS.c.scope, _LAYERS.c.key, _LAYERS.c.layer).where(
    _LAYERS.c.scope.in_(sa.bindparam("scopes", expanding=True)),
    _LAYERS.c.key.in_(sa.bindparam("keys", expanding=True)),
)
_INSTRUMENTS = sa.select(InstrumentRow.__table__.c.spec).order_by(InstrumentRow.__table__.c.symbol)
_CORRELATIONS = CorrelationRow.__table__
_CORRELATION_HEAD = (
    sa.select(_CORRELATIONS.c.version, _CORRELATIONS.c.computed_at)
    .where(_CORRELATIONS.c.universe == sa.bindparam("universe"))
    .order_by(_CORRELATIONS.c.version.desc())
    .limit(1)
)
_SNAPSHOTS = SnapshotRow.__table__
_SNAPSHOT_RANK = (
    sa.func.row_number()
    .over(
        partition_by=_SNAPSHOTS.c.symbol,
        order_by=(_SNAPSHOTS.c.computed_at.desc(), _SNAPSHOTS.c.id.desc()),
    )
    .label("rank")
)


def _latest_snapshots_where(where: Any) -> Any:
    inner = sa.select(_SNAPSHOTS, _SNAPSHOT_RANK).where(where).subquery()
    return sa.select(*(inner.c[c.name] for c in _SNAPSHOTS.c)).where(inner.c.rank == 1)


_LATEST_SNAPSHOTS = _latest_snapshots_where(
    _SNAPSHOTS.c.symbol.in_(sa.bindparam("symbols", expanding=True))
)
_LATEST_PAIRS = _latest_snapshots_where(sa.func.length(_SNAPSHOTS.c.symbol) == 6)
_LATEST_SNAPSHOTS_AND_PAIRS = _latest_snapshots_where(
    sa.or_(
        _SNAPSHOTS.c.symbol.in_(sa.bindparam("symbols", expanding=True)),
        sa.func.length(_SNAPSHOTS.c.symbol) == 6,
    )
)


class _Values:
    """Column values read by name, as a row is (for translating what was just written)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values[name]


class _Prefixed:
    """The tracker columns of a joined account-and-tracker row, by their own names."""

    __slots__ = ("_mapping",)

    def __init__(self, row: sa.Row[Any]) -> None:
        self._mapping = row._mapping

    def __getattr__(self, name: str) -> Any:
        return self._mapping[_TRACKER_PREFIX + name]


CHAIN_HEADS = "chain_heads"  # the session.info key; cleared when a transaction ends (storage.uow)


def _chain_heads(session: Session) -> dict[str, tuple[int, str]]:
    """Chain heads (seq, hash) this transaction has read or moved, by account.

    Filled when accounts are locked and kept current by every append, so a fan-out does
    not read them again; any account not in it is read from its tracker row.
    """
    heads: dict[str, tuple[int, str]] = session.info.setdefault(CHAIN_HEADS, {})
    return heads


def _read_heads(session: Session, account_ids: Set[str]) -> dict[str, tuple[int, str]]:
    heads = _chain_heads(session)
    missing = sorted(account_ids - heads.keys())
    if missing:
        for row in session.execute(
            sa.select(_TRACKERS.c.account_id, _TRACKERS.c.chain_seq, _TRACKERS.c.chain_hash).where(
                _TRACKERS.c.account_id.in_(missing)
            )
        ):
            heads[row.account_id] = (row.chain_seq, row.chain_hash or GENESIS)
    unknown = account_ids - heads.keys()
    if unknown:
        raise LookupError(f"account {sorted(unknown)[0]!r} has no tracker")
    return heads


_SAVE_TRACKER = (
    _TRACKERS.update()
    .where(_TRACKERS.c.account_id == sa.bindparam("tracker_account"))
    .values({name: sa.bindparam(name) for name in (*TRACKER_STATE, "updated_at")})
)


def _move_heads(session: Session, moved: dict[str, tuple[int, str]]) -> None:
    bulk.update_rows(
        session,
        _TRACKERS,
        "account_id",
        [
            {"account_id": account_id, "chain_seq": seq, "chain_hash": chain_hash}
            for account_id, (seq, chain_hash) in moved.items()
        ],
    )
    _chain_heads(session).update(moved)


def _lock_heads(session: Session, account_ids: Set[str]) -> None:
    """Lock these accounts' tracker rows (in id order) before appending to their chains."""
    if not account_ids:
        return
    rows = session.execute(
        sa.select(_TRACKERS.c.account_id, _TRACKERS.c.chain_seq, _TRACKERS.c.chain_hash)
        .where(_TRACKERS.c.account_id.in_(sorted(account_ids)))
        .order_by(_TRACKERS.c.account_id)
        .with_for_update()
    )
    heads = _chain_heads(session)
    for row in rows:
        heads[row.account_id] = (row.chain_seq, row.chain_hash or GENESIS)


def _stored_state(session: Session, kind: str, account_ids: Set[str]) -> dict[str, str]:
    """The state bodies of these accounts' rows as the database now holds them."""
    table, key = (
        (_ACCOUNTS, _ACCOUNTS.c.id) if kind == "account" else (_TRACKERS, _TRACKERS.c.account_id)
    )
    # Read back rather than built from what was written: the copy must be what verify reads.
    query = sa.select(key.label("state_key"), *(table.c[c] for c in STATE_COLUMNS[kind])).where(
        key.in_(sorted(account_ids))
    )
    return {row.state_key: state_body(kind, row) for row in session.execute(query)}


def chain_state(session: Session, entries: Sequence[tuple[str, str, str]], at: dt.datetime) -> None:
    """Append state records ``(account id, kind, body)`` to their accounts' chains."""
    if not entries:
        return
    heads = dict(_read_heads(session, {account_id for account_id, _, _ in entries}))
    moved: dict[str, tuple[int, str]] = {}
    rows = []
    for account_id, kind, body in entries:
        seq, prev_hash = heads[account_id]
        values: dict[str, Any] = {
            "id": _new_id(),
            "account_id": account_id,
            "seq": seq + 1,
            "kind": kind,
            "body": body,
            "at": at,
            "prev_hash": prev_hash,
        }
        values["hash"] = state_hash(prev_hash, values)
        heads[account_id] = moved[account_id] = (values["seq"], values["hash"])
        rows.append(values)
    session.connection().execute(StateRecordRow.__table__.insert(), rows)
    _move_heads(session, moved)


def _chain_rows(session: Session, kind: str, account_ids: Set[str], at: dt.datetime) -> None:
    bodies = _stored_state(session, kind, account_ids)
    chain_state(session, [(a, kind, bodies[a]) for a in sorted(account_ids)], at)


def _is_pair(symbol: str) -> bool:
    return len(symbol) == 6 and symbol[:3] in CURRENCIES and symbol[3:] in CURRENCIES


@functools.cache
def _claim_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RequestRow.__table__
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["scope", "request_id"])
        .returning(table.c.request_id)
    )


def _claim(session: Session) -> Any:
    return _claim_statement(session.get_bind().dialect.name)


def _insert(session: Session, table: Any) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _new_id() -> str:
    return uuid.uuid4().hex


class AccountRepository:
    """Accounts (``aria.service.ports.AccountRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, account: Account, tracker: Tracker, at: dt.datetime) -> None:
        row = translate.account_to_row(account, AccountRow(created_at=at), at)
        self.session.add(row)
        self.session.add(translate.tracker_to_row(tracker, TrackerRow(account_id=account.id), at))
        self.session.flush()
        _chain_rows(self.session, "account", {account.id}, at)
        _chain_rows(self.session, "tracker", {account.id}, at)

    def get(self, account_id: str) -> Account | None:
        row = self.session.get(AccountRow, account_id)
        return translate.account_from_row(row) if row else None

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        if not account_ids:
            return {}
        rows = self.session.scalars(
            sa.select(AccountRow).where(AccountRow.id.in_(set(account_ids)))
        )
        return {row.id: translate.account_from_row(row) for row in rows}

    def select(
        self, *, owner: str | None = None, firm: str | None = None, strategy: str | None = None
    ) -> list[Account]:
        query = sa.select(AccountRow).order_by(AccountRow.id)
        if owner is not None:
            query = query.where(AccountRow.owner == owner)
        if firm is not None:
            query = query.where(AccountRow.firm == firm)
        if strategy is not None:
            query = query.where(AccountRow.strategy == strategy)
        return [translate.account_from_row(row) for row in self.session.scalars(query)]

    def ids(self) -> list[str]:
        return list(self.session.scalars(sa.select(_ACCOUNTS.c.id).order_by(_ACCOUNTS.c.id)))

    def of_owners(self, owners: Sequence[str]) -> list[Account]:
        if not owners:
            return []
        query = (
            sa.select(AccountRow).where(AccountRow.owner.in_(set(owners))).order_by(AccountRow.id)
        )
        return [translate.account_from_row(row) for row in self.session.scalars(query)]

    def family(self, owners: Sequence[str], exclude: Set[str]) -> list[translate.Sibling]:
        if not owners:
            return []
        rows = self.session.execute(_FAMILY, {"owners": sorted(set(owners))})
        return [translate.sibling_from_row(row) for row in rows if row.id not in exclude]

    def read(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        rows = self.session.execute(_READ, {"ids": sorted(set(account_ids))})
        return {
            row.id: (translate.cached_account(row), translate.cached_tracker(_Prefixed(row)))
            for row in rows
        }

    def lock(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        # The tracker rows are the lock, taken in id order so two transactions locking
        # overlapping sets cannot deadlock; SQLite ignores FOR UPDATE, as its BEGIN IMMEDIATE
        # has already serialised writers. Plain column rows, not ORM objects: a fan-out reads
        # many accounts and changes few. The chain heads read here serve the appends after.
        rows = self.session.execute(_LOCK, {"ids": sorted(set(account_ids))})
        heads = _chain_heads(self.session)
        locked = {}
        for row in rows:
            tracker = _Prefixed(row)
            heads[row.id] = (tracker.chain_seq, tracker.chain_hash or GENESIS)
            locked[row.id] = (translate.cached_account(row), translate.cached_tracker(tracker))
        return locked

    def save(self, account: Account, at: dt.datetime) -> None:
        row = self.session.get(AccountRow, account.id)
        if row is None:
            raise LookupError(f"account {account.id!r} is not stored")
        translate.account_to_row(account, row, at)
        self.session.flush()
        _chain_rows(self.session, "account", {account.id}, at)


class TrackerRepository:
    """Trackers and the per-account lock."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        # Rows are locked in id order, so two transactions locking overlapping sets cannot
        # deadlock. SQLite ignores FOR UPDATE; its BEGIN IMMEDIATE already serialised us.
        query = (
            sa.select(TrackerRow)
            .where(TrackerRow.account_id.in_(sorted(set(account_ids))))
            .order_by(TrackerRow.account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {
            row.account_id: translate.tracker_from_row(row) for row in self.session.scalars(query)
        }

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        if not account_ids:
            return {}
        query = sa.select(TrackerRow).where(TrackerRow.account_id.in_(set(account_ids)))
        return {
            row.account_id: translate.tracker_from_row(row) for row in self.session.scalars(query)
        }

    def save(self, account_id: str, tracker: Tracker, at: dt.datetime) -> None:
        self.save_many([(account_id, tracker)], at)

    def save_many(self, trackers: Sequence[tuple[str, Tracker]], at: dt.datetime) -> None:
        if not trackers:
            return
        self.session.flush()
        rows = [
            {"tracker_account": account_id, **translate.tracker_values(tracker, at)}
            for account_id, tracker in trackers
        ]
        result = self.session.connection().execute(_SAVE_TRACKER, rows)
        if result.rowcount not in (-1, len(rows)):
            raise LookupError("an account has no tracker")
        _chain_rows(self.session, "tracker", {account_id for account_id, _ in trackers}, at)
        self.session.expire_all()  # ORM copies of these rows are stale now


class StateRepository:
    """The history of pushed states."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        account_id: str,
        state: AccountState,
        daily_floor: Decimal | None,
        max_loss_floor: Decimal | None,
        received_at: dt.datetime,
    ) -> None:
        self.session.add(
            StateRow(
                account_id=account_id,
                balance=state.balance,
                equity=state.equity,
                as_of=state.as_of,
                positions=translate.positions_to_json(state.positions),
                daily_floor=daily_floor,
                max_loss_floor=max_loss_floor,
                received_at=received_at,
            )
        )

    def series(
        self, account_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> list[tuple[AccountState, Decimal | None, Decimal | None]]:
        query = (
            sa.select(StateRow)
            .where(StateRow.account_id == account_id)
            .order_by(StateRow.as_of, StateRow.id)
        )
        if start is not None:
            query = query.where(StateRow.as_of >= start)
        if end is not None:
            query = query.where(StateRow.as_of <= end)
        return [
            (
                AccountState(balance=r.balance, equity=r.equity, as_of=r.as_of),
                r.daily_floor,
                r.max_loss_floor,
            )
            for r in self.session.scalars(query)
        ]


class TradeRepository:
    """Closed trades."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, account_id: str, trade: Trade) -> bool:
        values = {
            "id": _new_id(),
            "account_id": account_id,
            "external_id": trade.id,
            "symbol": trade.symbol,
            "side": trade.side.value,
            "lots": trade.lots,
            "entry": trade.entry,
            "exit": trade.exit,
            "pnl": trade.pnl,
            "opened_at": trade.opened_at,
            "closed_at": trade.closed_at,
            "decision_id": trade.decision_id,
        }
        # Two pushes of one trade can both look and find nothing: the unique key decides
        # (waiting for the other's commit on PostgreSQL), and the later one stores nothing.
        statement = (
            _insert(self.session, TradeRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["account_id", "external_id"])
            .returning(TradeRow.id)
        )
        return self.session.execute(statement).first() is not None

    def recent(self, account_ids: Sequence[str], limit: int) -> dict[str, list[Trade]]:
        result: dict[str, list[Trade]] = {account_id: [] for account_id in account_ids}
        if not account_ids:
            return result
        rank = (
            sa.func.row_number()
            .over(
                partition_by=TradeRow.account_id,
                order_by=(TradeRow.closed_at.desc(), TradeRow.id.desc()),
            )
            .label("rank")
        )
        inner = (
            sa.select(TradeRow, rank).where(TradeRow.account_id.in_(set(account_ids))).subquery()
        )
        latest = sa.orm.aliased(TradeRow, inner)
        query = (
            sa.select(latest)
            .where(inner.c.rank <= limit)
            .order_by(inner.c.account_id, inner.c.closed_at, inner.c.id)
        )
        for row in self.session.scalars(query):
            result[row.account_id].append(translate.trade_from_row(row))
        return result


class ReservationRepository:
    """Risk held for approved decisions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def live(self, account_ids: Sequence[str], now: dt.datetime) -> dict[str, list[Reservation]]:
        result: dict[str, list[Reservation]] = {account_id: [] for account_id in account_ids}
        if not account_ids:
            return result
        for row in self.session.execute(_LIVE, {"ids": sorted(set(account_ids)), "now": now}):
            result[row.account_id].append(translate.reservation_from_row(row))
        return result

    def _close(self, where: Any, status: str, at: dt.datetime) -> int:
        # The accounts must be locked: each release is chained on its account.
        statement = (
            sa.update(ReservationRow)
            .where(ReservationRow.status == "live", where)
            .values(status=status, closed_at=at)
            .returning(ReservationRow.account_id, ReservationRow.decision_id)
        )
        # RETURNING, not rowcount: psycopg 3 reports -1 for some statements.
        closed: dict[str, list[str]] = {}
        for row in self.session.execute(statement):
            closed.setdefault(row.account_id, []).append(row.decision_id)
        chain_state(
            self.session,
            [(a, "released", released_body(status, ids)) for a, ids in sorted(closed.items())],
            at,
        )
        return sum(map(len, closed.values()))

    def match(self, account_id: str, decision_ids: Sequence[str], at: dt.datetime) -> int:
        if not decision_ids:
            return 0
        where = sa.and_(
            ReservationRow.account_id == account_id,
            ReservationRow.decision_id.in_(set(decision_ids)),
        )
        return self._close(where, "matched", at)

    def settle_closes(
        self, account_id: str, still_open: Set[tuple[str, Side]], at: dt.datetime
    ) -> int:
        closes = self.session.execute(
            sa.select(ReservationRow.decision_id, ReservationRow.symbol, ReservationRow.side).where(
                ReservationRow.account_id == account_id,
                ReservationRow.status == "live",
                ReservationRow.reduce_only.is_(True),
            )
        ).all()
        done = [
            row.decision_id
            for row in closes
            if (row.symbol, Side(row.side).opposite) not in still_open
        ]
        return self.match(account_id, done, at) if done else 0

    def cancel(self, decision_id: str, at: dt.datetime) -> str | None:
        account_id = self.session.scalar(
            sa.select(ReservationRow.account_id).where(ReservationRow.decision_id == decision_id)
        )
        if account_id is None:
            return None
        _lock_heads(self.session, {account_id})
        closed = self._close(ReservationRow.decision_id == decision_id, "cancelled", at)
        return account_id if closed else None

    def expire(self, now: dt.datetime) -> int:
        due = ReservationRow.status == "live", ReservationRow.expires_at <= now
        accounts = set(self.session.scalars(sa.select(ReservationRow.account_id).where(*due)))
        _lock_heads(self.session, accounts)
        # Only the accounts locked: a reservation due by ``now`` cannot be written after it.
        where = sa.and_(*due, ReservationRow.account_id.in_(sorted(accounts)))
        return self._close(where, "expired", now) if accounts else 0


def _matching(query: Any, *pairs: tuple[Any, str | None]) -> Any:
    """``query`` narrowed to rows whose column equals each given value (``None``: any)."""
    for column, value in pairs:
        if value is not None:
            query = query.where(column == value)
    return query


def _within(query: Any, at: Any, start: dt.datetime | None, end: dt.datetime | None) -> Any:
    """``query`` narrowed to rows whose time ``at`` lies in [start, end] (either side open)."""
    if start is not None:
        query = query.where(at >= start)
    if end is not None:
        query = query.where(at <= end)
    return query


def _cursor_filter(at: Any, seq: Any, key: Any, after: tuple[dt.datetime, int, str] | None) -> Any:
    # Newest first by time, then by the account's chain position, then by id: records
    # written in the same instant still page in the order they were written.
    if after is None:
        return sa.true()
    when, number, last_id = after
    return sa.or_(
        at < when,
        sa.and_(at == when, seq < number),
        sa.and_(at == when, seq == number, key < last_id),
    )


class DecisionRepository:
    """Sizing requests and decisions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_request(
        self,
        request_id: str,
        request_hash: str,
        request: dict[str, Any],
        at: dt.datetime,
        *,
        scope: str = "",
    ) -> bool:
        values = {
            "scope": scope,
            "request_id": request_id,
            "request_hash": request_hash,
            "request": request,
            "created_at": at,
        }
        return self.session.execute(_claim(self.session), values).first() is not None

    def request_hash(self, request_id: str, *, scope: str = "") -> str | None:
        return self.session.scalar(
            sa.select(RequestRow.request_hash).where(
                RequestRow.scope == scope, RequestRow.request_id == request_id
            )
        )

    def for_request(self, request_id: str, *, scope: str = "") -> list[translate.StoredDecision]:
        query = (
            sa.select(DecisionRow)
            .where(DecisionRow.request_scope == scope, DecisionRow.request_id == request_id)
            .order_by(DecisionRow.account_id)
        )
        return [translate.decision_from_row(row) for row in self.session.scalars(query)]

    def append_many(
        self,
        request_id: str,
        records: Sequence[DecisionRecord],
        at: dt.datetime,
        *,
        scope: str = "",
    ) -> list[translate.StoredDecision]:
        if not records:
            return []
        self.session.flush()
        # One statement each for the shared parts, the decisions and the reservations; the
        # chain heads move on the tracker rows this transaction has locked.
        parts = {
            part.digest: {"digest": part.digest, "body": part.text, "created_at": at}
            for record in records
            for part in record.parts
        }
        bulk.insert_new(self.session, InputPartRow.__table__, list(parts.values()), "digest")
        heads = dict(_read_heads(self.session, {r.decision.account_id for r in records}))
        rows: list[dict[str, Any]] = []
        reservations: list[dict[str, Any]] = []
        stored: list[translate.StoredDecision] = []
        moved: dict[str, tuple[int, str]] = {}
        for record in records:
            decision = record.decision
            seq, prev_hash = heads[decision.account_id]
            values: dict[str, Any] = {
                "id": _new_id(),
                "request_id": request_id,
                "request_scope": scope,
                "account_id": decision.account_id,
                "seq": seq + 1,
                "status": decision.status,
                "symbol": decision.symbol,
                "side": decision.side,
                "strategy": record.strategy,
                "lots": decision.lots,
                "risk_amount": decision.risk_amount,
                "codes": "," + ",".join(decision.reject_codes) + ",",
                "binding": decision.binding,
                "decision": record.decision_json,
                "inputs": inputs_text(record.own_json, record.refs),
                "input_hash": decision.input_hash,
                "record_format": CURRENT_FORMAT,
                "created_at": at,
                "prev_hash": prev_hash,
            }
            values["hash"] = decision_hash(prev_hash, values)
            heads[decision.account_id] = moved[decision.account_id] = (
                values["seq"],
                values["hash"],
            )
            rows.append(values)
            if decision.approved and record.reserve_until is not None:
                closing = record.reduce_only  # holds the lots it closes: no risk, no swing
                reservations.append(
                    {
                        "decision_id": values["id"],
                        "account_id": decision.account_id,
                        "symbol": decision.symbol,
                        "side": decision.side,
                        "lots": decision.lots,
                        "amount": Decimal(0) if closing else decision.risk_amount,
                        "swing": Decimal(0) if closing else decision.swing_amount,
                        "reduce_only": closing,
                        "expires_at": record.reserve_until,
                        "status": "live",
                        "created_at": at,
                        "closed_at": None,
                    }
                )
            stored.append(
                translate.StoredDecision(
                    id=values["id"],
                    request_id=request_id,
                    account_id=decision.account_id,
                    seq=values["seq"],
                    decision=decision,
                    created_at=at,
                    hash=values["hash"],
                )
            )
        # Core rows in bulk: the ORM's per-object bookkeeping buys nothing here.
        bulk.insert_rows(self.session, DecisionRow.__table__, rows)
        bulk.insert_rows(self.session, ReservationRow.__table__, reservations)
        _move_heads(self.session, moved)
        return stored

    def get(self, decision_id: str) -> translate.StoredDecision | None:
        row = self.session.get(DecisionRow, decision_id)
        return translate.decision_from_row(row) if row else None

    def query(
        self, filters: DecisionFilter, after: tuple[dt.datetime, int, str] | None, limit: int
    ) -> list[translate.StoredDecision]:
        query = sa.select(DecisionRow).join(AccountRow, AccountRow.id == DecisionRow.account_id)
        query = _matching(
            query,
            (DecisionRow.account_id, filters.account),
            (AccountRow.owner, filters.owner),
            (AccountRow.firm, filters.firm),
            (DecisionRow.symbol, filters.symbol),
            (DecisionRow.strategy, filters.strategy),
            (DecisionRow.status, filters.status),
            (DecisionRow.request_id, filters.request_id),
        )
        if filters.code is not None:
            query = query.where(DecisionRow.codes.contains(f",{filters.code},", autoescape=True))
        query = _within(query, DecisionRow.created_at, filters.start, filters.end)
        query = query.where(
            _cursor_filter(DecisionRow.created_at, DecisionRow.seq, DecisionRow.id, after)
        )
        query = query.order_by(
            DecisionRow.created_at.desc(), DecisionRow.seq.desc(), DecisionRow.id.desc()
        ).limit(limit)
        return [translate.decision_from_row(row) for row in self.session.scalars(query)]


class EventRepository:
    """Rule events."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        account_id: str,
        kind: str,
        detail: dict[str, Any],
        actor: str,
        reason: str,
        at: dt.datetime,
    ) -> translate.StoredEvent:
        event = AccountEvent(account_id, kind, actor, reason, at, detail)
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[AccountEvent]) -> list[translate.StoredEvent]:
        if not events:
            return []
        self.session.flush()
        heads = dict(_read_heads(self.session, {e.account_id for e in events}))
        moved: dict[str, tuple[int, str]] = {}
        rows: list[dict[str, Any]] = []
        for event in events:
            seq, prev_hash = heads[event.account_id]
            row = EventRow(
                id=_new_id(),
                account_id=event.account_id,
                seq=seq + 1,
                kind=event.kind,
                detail=event.detail,
                actor=event.actor,
                reason=event.reason,
                at=event.at,
                prev_hash=prev_hash,
            )
            row.hash = record_hash(prev_hash, event_record(row))
            heads[event.account_id] = moved[event.account_id] = (row.seq, row.hash)
            rows.append({c.name: getattr(row, c.name) for c in EventRow.__table__.c})
        self.session.connection().execute(EventRow.__table__.insert(), rows)
        _move_heads(self.session, moved)
        return [translate.event_from_row(_Values(row)) for row in rows]

    def query(
        self, filters: EventFilter, after: tuple[dt.datetime, int, str] | None, limit: int
    ) -> list[translate.StoredEvent]:
        query = sa.select(EventRow).join(AccountRow, AccountRow.id == EventRow.account_id)
        query = _matching(
            query,
            (EventRow.account_id, filters.account),
            (AccountRow.owner, filters.owner),
            (AccountRow.firm, filters.firm),
            (EventRow.kind, filters.kind),
        )
        query = _within(query, EventRow.at, filters.start, filters.end)
        query = query.where(_cursor_filter(EventRow.at, EventRow.seq, EventRow.id, after))
        query = query.order_by(EventRow.at.desc(), EventRow.seq.desc(), EventRow.id.desc()).limit(
            limit
        )
        return [translate.event_from_row(row) for row in self.session.scalars(query)]


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link of a chain (satisfies ``aria.service.ports.ChainBreak``)."""

    account_id: str
    seq: int
    record: str
    problem: str


CHUNK = 500  # records a long read holds in memory at a time


# Each table whose rows are links of an account's chain, with how to name a row and hash it.
_LINKS: tuple[tuple[Any, str, Any], ...] = (
    (DecisionRow.__table__, "decision", lambda row: decision_hash(row.prev_hash, row._mapping)),
    (EventRow.__table__, "event", lambda row: record_hash(row.prev_hash, event_record(row))),
    (
        StateRecordRow.__table__,
        "state record",
        lambda row: state_hash(row.prev_hash, row._mapping),
    ),
)


class _Holding(Protocol):
    """What a reservation row holds (the columns :func:`_holds` reads)."""

    @property
    def reduce_only(self) -> bool: ...
    @property
    def lots(self) -> Decimal: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def swing(self) -> Decimal | None: ...


def _holds(row: _Holding, lots: Decimal, risk: Decimal, binding: str | None, answered: str) -> bool:
    """True when a reservation row holds what its approved decision answered."""
    closing = binding == "reduce_only"  # a close holds its lots, no risk and no swing
    if row.reduce_only is not closing or row.lots != lots:
        return False
    if closing:
        return row.amount == 0 and row.swing in (None, 0)
    swing = json.loads(answered).get("swing_amount", "absent")  # absent: decided before swings
    return row.amount == risk and (
        swing == "absent" or row.swing == (None if swing is None else Decimal(swing))
    )


class AuditRepository:
    """The per-account hash chains."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def chained_accounts(self) -> list[str]:
        # Every account that has or had a chain: one with its records all deleted still has
        # its account row or its head, and a head whose account row is gone still has records.
        query = sa.union(
            sa.select(AccountRow.id),
            sa.select(TrackerRow.account_id),
            *(sa.select(table.c.account_id) for table, _, _ in _LINKS),
        )
        return sorted(self.session.scalars(query))

    def _links(self, table: Any, account_id: str) -> Iterator[Any]:
        # Keyset pages by chain position: memory stays bounded however long the chain.
        after = 0
        while True:
            rows = self.session.execute(
                sa.select(table)
                .where(table.c.account_id == account_id, table.c.seq > after)
                .order_by(table.c.seq)
                .limit(CHUNK)
            ).all()
            yield from rows
            if len(rows) < CHUNK:
                return
            after = rows[-1].seq

    def _named(
        self, table: Any, kind: str, digest: Any, account_id: str
    ) -> Iterator[tuple[int, str, Any, Any]]:
        for row in self._links(table, account_id):
            yield row.seq, f"{kind} {row.id}", row, digest

    def verify_chain(self, account_id: str) -> ChainBreak | None:
        streams = [self._named(table, kind, digest, account_id) for table, kind, digest in _LINKS]
        previous, count = GENESIS, 0
        for seq, name, row, digest in heapq.merge(*streams, key=lambda item: item[0]):
            expected = count + 1
            if seq != expected:
                return ChainBreak(
                    account_id, seq, name, f"sequence jumps from {expected - 1} to {seq}"
                )
            if row.prev_hash != previous:
                return ChainBreak(
                    account_id, seq, name, "its previous-hash does not match the record before it"
                )
            if digest(row) != row.hash:
                return ChainBreak(
                    account_id,
                    seq,
                    name,
                    "its content does not match its hash (altered after it was written)",
                )
            previous, count = row.hash, expected
        head = self.session.execute(
            sa.select(TrackerRow.chain_seq, TrackerRow.chain_hash).where(
                TrackerRow.account_id == account_id
            )
        ).first()
        if head is None:
            return ChainBreak(
                account_id,
                count,
                "chain head",
                f"the account has {count} records but no chain head (its head was deleted)",
            )
        if (head.chain_seq, head.chain_hash or GENESIS) != (count, previous):
            return ChainBreak(
                account_id,
                head.chain_seq,
                "chain head",
                f"the account's chain head is record {head.chain_seq} but {count} records remain"
                if head.chain_seq != count
                else "the account's chain head does not match its last record",
            )
        return None

    def heads(self) -> list[tuple[str, int, str]]:
        query = sa.select(TrackerRow.account_id, TrackerRow.chain_seq, TrackerRow.chain_hash)
        return [
            (row.account_id, row.chain_seq, row.chain_hash or GENESIS)
            for row in self.session.execute(query.order_by(TrackerRow.account_id))
        ]

    def hash_at(self, account_id: str, seq: int) -> str | None:
        for table, _, _ in _LINKS:
            found = self.session.scalar(
                sa.select(table.c.hash).where(table.c.account_id == account_id, table.c.seq == seq)
            )
            if found is not None:
                return str(found)
        return None

    def verify_state(self, account_id: str) -> str | None:
        """Why the account's rows or reservations differ from its chain, or ``None``."""
        last: dict[str, str] = {}
        released: dict[str, str] = {}
        query = (
            sa.select(StateRecordRow.kind, StateRecordRow.body)
            .where(StateRecordRow.account_id == account_id)
            .order_by(StateRecordRow.seq)
        )
        for kind, body in self.session.execute(query):
            if kind == "released":
                change = json.loads(body)
                released.update(dict.fromkeys(change["decisions"], change["status"]))
            else:
                last[kind] = body
        for kind, label in (("account", "settings"), ("tracker", "tracker")):
            stored = _stored_state(self.session, kind, {account_id}).get(account_id)
            if stored is None:
                continue  # a missing row frees nothing; the chain head check sees a lost tracker
            if kind not in last:
                return f"its {label} row has no chained record"
            if stored != last[kind]:
                chained, now = json.loads(last[kind]), json.loads(stored)
                fields = sorted(
                    k for k in now.keys() | chained.keys() if now.get(k) != chained.get(k)
                )
                return (
                    f"its {label} row differs from its last chained record"
                    f" ({', '.join(fields)}): changed outside ARIA"
                )
        return self._verify_reservations(account_id, released)

    def _verify_reservations(self, account_id: str, released: dict[str, str]) -> str | None:
        rows = {
            row.decision_id: row
            for row in self.session.execute(
                sa.select(
                    _RESERVATIONS.c.decision_id,
                    _RESERVATIONS.c.status,
                    _RESERVATIONS.c.lots,
                    _RESERVATIONS.c.amount,
                    _RESERVATIONS.c.swing,
                    _RESERVATIONS.c.reduce_only,
                    _RESERVATIONS.c.symbol,
                    _RESERVATIONS.c.side,
                    _RESERVATIONS.c.created_at,
                ).where(_RESERVATIONS.c.account_id == account_id)
            )
        }
        # Every approved decision holds a reservation holding what it answered.
        approved = self.session.execute(
            sa.select(
                DecisionRow.id,
                DecisionRow.lots,
                DecisionRow.risk_amount,
                DecisionRow.binding,
                DecisionRow.decision,
                DecisionRow.symbol,
                DecisionRow.side,
                DecisionRow.created_at,
            )
            .where(DecisionRow.account_id == account_id, DecisionRow.status == "approved")
            .order_by(DecisionRow.seq)
        )
        for decision_id, lots, risk, binding, answered, symbol, side, at in approved:
            row = rows.pop(decision_id, None)
            if row is None:
                return f"reservation {decision_id} is missing (removed outside ARIA)"
            if (row.symbol, row.side, row.created_at) != (symbol, side, at):
                # What it holds (symbol and side drive correlation, closes and matching) and
                # when it began (its lifetime counts from then) are its decision's.
                return f"reservation {decision_id} differs from its decision: changed outside ARIA"
            status = released.pop(decision_id, "live")
            if row.status != status:
                return (
                    f"reservation {decision_id} is {row.status} but its chained status is"
                    f" {status}: changed outside ARIA"
                )
            if status == "live" and not _holds(row, lots, risk, binding, answered):
                # Only a live reservation holds headroom, so only its amounts matter.
                return f"reservation {decision_id} holds other lots or risk than its decision"
        if rows:
            return f"reservation {sorted(rows)[0]} has no approved decision of this account"
        if released:
            return f"reservation {sorted(released)[0]} was released but is missing"
        return None

    def decisions_of(
        self, account_id: str, after: int = 0, limit: int | None = None
    ) -> list[translate.Replayable]:
        query = (
            sa.select(DecisionRow)
            .where(DecisionRow.account_id == account_id, DecisionRow.seq > after)
            .order_by(DecisionRow.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = list(self.session.scalars(query))
        texts = self._parts(
            {
                digest
                for row in rows
                if row.record_format > 1
                for ref in split_inputs(row.inputs)[1].values()
                for digest in ([ref] if isinstance(ref, str) else ref)
            }
        )
        replayable = [translate.replayable_from_row(row, texts) for row in rows]
        for row in rows:
            self.session.expunge(row)  # a long replay must not keep every row it has read
        return replayable

    def _parts(self, digests: set[str]) -> dict[str, str]:
        if not digests:
            return {}
        query = sa.select(InputPartRow.digest, InputPartRow.body).where(
            InputPartRow.digest.in_(sorted(digests))
        )
        return {row.digest: row.body for row in self.session.execute(query)}


class MarketRepository:
    """Bars, volatility snapshots and correlation matrices."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_bars(
        self,
        symbol: str,
        timeframe: str,
        rows: Sequence[tuple[dt.datetime, float, float, float, float, float | None]],
    ) -> int:
        if not rows:
            return 0
        values = [
            {
                "symbol": symbol,
                "timeframe": timeframe,
                "ts": ts,
                "open": o,
                "high": h,
                "low": lo,
                "close": c,
                "volume": v,
            }
            for ts, o, h, lo, c, v in rows
        ]
        insert = _insert(self.session, BarRow)
        statement = insert.on_conflict_do_update(
            index_elements=["symbol", "timeframe", "ts"],
            set_={
                name: getattr(insert.excluded, name)
                for name in ("open", "high", "low", "close", "volume")
            },
        )
        for start in range(0, len(values), 5000):
            self.session.execute(statement, values[start : start + 5000])
        return len(values)

    def bar_symbols(self, timeframe: str) -> list[str]:
        query = (
            sa.select(BarRow.symbol)
            .where(BarRow.timeframe == timeframe)
            .distinct()
            .order_by(BarRow.symbol)
        )
        return list(self.session.scalars(query))

    def bars(
        self, symbols: Sequence[str], timeframe: str, limit: int
    ) -> dict[str, list[tuple[dt.datetime, float, float, float, float]]]:
        result: dict[str, list[tuple[dt.datetime, float, float, float, float]]] = {
            s: [] for s in symbols
        }
        if not symbols:
            return result
        rank = (
            sa.func.row_number()
            .over(partition_by=BarRow.symbol, order_by=BarRow.ts.desc())
            .label("rank")
        )
        inner = (
            sa.select(
                BarRow.symbol, BarRow.ts, BarRow.open, BarRow.high, BarRow.low, BarRow.close, rank
            )
            .where(BarRow.symbol.in_(set(symbols)), BarRow.timeframe == timeframe)
            .subquery()
        )
        ts = sa.orm.aliased(BarRow, inner).ts  # typed through the UTC column type
        query = (
            sa.select(inner.c.symbol, ts, inner.c.open, inner.c.high, inner.c.low, inner.c.close)
            .where(inner.c.rank <= limit)
            .order_by(inner.c.symbol, inner.c.ts)
        )
        for symbol, when, o, h, lo, c in self.session.execute(query):
            result[symbol].append((when, o, h, lo, c))
        return result

    def save_snapshot(self, snapshot: VolatilitySnapshot) -> None:
        self.session.add(translate.snapshot_to_row(snapshot))
        self.session.flush()

    def _latest(self, statement: Any, **params: Any) -> dict[str, VolatilitySnapshot]:
        return {
            row.symbol: translate.snapshot_from_row(row)
            for row in self.session.execute(statement, params)
        }

    def snapshots(self, symbols: Sequence[str]) -> dict[str, VolatilitySnapshot]:
        if not symbols:
            return {}
        return self._latest(_LATEST_SNAPSHOTS, symbols=sorted(set(symbols)))

    def currency_pairs(self) -> dict[str, VolatilitySnapshot]:
        return {s: v for s, v in self._latest(_LATEST_PAIRS).items() if _is_pair(s)}

    def snapshots_and_pairs(
        self, symbols: Sequence[str]
    ) -> tuple[dict[str, VolatilitySnapshot], dict[str, VolatilitySnapshot]]:
        latest = self._latest(_LATEST_SNAPSHOTS_AND_PAIRS, symbols=sorted(set(symbols)))
        wanted = set(symbols)
        return (
            {s: v for s, v in latest.items() if s in wanted},
            {s: v for s, v in latest.items() if _is_pair(s)},
        )

    def save_correlation(
        self, universe: str, correlation: Correlation, as_of: dt.datetime, at: dt.datetime
    ) -> int:
        current = self.session.scalar(
            sa.select(sa.func.max(CorrelationRow.version)).where(
                CorrelationRow.universe == universe
            )
        )
        symbols, matrix, observations = translate.correlation_to_json(correlation)
        version = (current or 0) + 1
        self.session.add(
            CorrelationRow(
                universe=universe,
                version=version,
                as_of=as_of,
                computed_at=at,
                symbols=symbols,
                matrix=matrix,
                observations=observations,
            )
        )
        self.session.flush()
        return version

    def correlation_head(self, universe: str) -> tuple[int, dt.datetime] | None:
        row = self.session.execute(_CORRELATION_HEAD, {"universe": universe}).first()
        return (row.version, row.computed_at) if row else None

    def correlation(self, universe: str, version: int) -> Correlation:
        row = self.session.scalar(
            sa.select(CorrelationRow).where(
                CorrelationRow.universe == universe, CorrelationRow.version == version
            )
        )
        if row is None:
            raise LookupError(f"no correlation matrix {universe!r} version {version}")
        return translate.correlation_from_row(row)

    def latest_correlation(self, universe: str) -> tuple[int, Correlation, dt.datetime] | None:
        row = self.session.scalar(
            sa.select(CorrelationRow)
            .where(CorrelationRow.universe == universe)
            .order_by(CorrelationRow.version.desc())
            .limit(1)
        )
        return (row.version, translate.correlation_from_row(row), row.as_of) if row else None


class InstrumentRepository:
    """Instruments added at run time."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, instrument: Instrument, at: dt.datetime) -> None:
        self.session.merge(
            InstrumentRow(
                symbol=instrument.symbol, spec=instrument.model_dump(mode="json"), updated_at=at
            )
        )
        self.session.flush()

    def all(self) -> list[Instrument]:
        return [translate.instrument_from_json(spec) for spec in self.session.scalars(_INSTRUMENTS)]


@dataclass(frozen=True)
class JobStatus:
    """The latest run of a job (satisfies ``aria.service.ports.JobStatus``)."""

    job_id: str
    run_key: str
    claimed_at: dt.datetime
    finished_at: dt.datetime | None
    status: str


class JobRepository:
    """Job-run claims and heartbeats."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_many(self, job_id: str, run_keys: Sequence[str], at: dt.datetime) -> None:
        if not run_keys:
            return
        self.session.connection().execute(
            _insert(self.session, JobRunRow.__table__).on_conflict_do_nothing(
                index_elements=["job_id", "run_key"]
            ),
            [
                {
                    "job_id": job_id,
                    "run_key": key,
                    "claimed_at": at,
                    "status": "running",
                    "detail": {},
                }
                for key in run_keys
            ],
        )

    def claim(self, job_id: str, run_key: str, at: dt.datetime) -> bool:
        statement = (
            _insert(self.session, JobRunRow)
            .values(job_id=job_id, run_key=run_key, claimed_at=at, status="running", detail={})
            .on_conflict_do_nothing(index_elements=["job_id", "run_key"])
            .returning(JobRunRow.id)
        )
        return self.session.execute(statement).first() is not None

    def finish(
        self, job_id: str, run_key: str, status: str, detail: dict[str, Any], at: dt.datetime
    ) -> None:
        self.session.execute(
            sa.update(JobRunRow)
            .where(JobRunRow.job_id == job_id, JobRunRow.run_key == run_key)
            .values(status=status, detail=detail, finished_at=at)
        )

    def last_runs(self) -> dict[str, JobStatus]:
        rank = (
            sa.func.row_number()
            .over(
                partition_by=JobRunRow.job_id,
                order_by=(JobRunRow.claimed_at.desc(), JobRunRow.id.desc()),
            )
            .label("rank")
        )
        inner = sa.select(JobRunRow, rank).subquery()
        latest = sa.orm.aliased(JobRunRow, inner)
        rows = self.session.scalars(sa.select(latest).where(inner.c.rank == 1))
        return {
            r.job_id: JobStatus(r.job_id, r.run_key, r.claimed_at, r.finished_at, r.status)
            for r in rows
        }

    def beat(self, name: str, at: dt.datetime) -> None:
        insert = _insert(self.session, HeartbeatRow).values(name=name, beat_at=at)
        self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["name"], set_={"beat_at": insert.excluded.beat_at}
            )
        )

    def last_beat(self, name: str) -> dt.datetime | None:
        return self.session.scalar(sa.select(HeartbeatRow.beat_at).where(HeartbeatRow.name == name))


class ProfileLayerRepository:
    """Profile layers by scope and key."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scope: str, key: str) -> dict[str, Any] | None:
        row = self.session.get(ProfileLayerRow, (scope, key))
        return dict(row.layer) if row else None

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        if not keys:
            return {}
        wanted = set(keys)
        rows = self.session.execute(
            _LAYERS_OF,
            {"scopes": sorted({s for s, _ in wanted}), "keys": sorted({k for _, k in wanted})},
        )
        return {(r.scope, r.key): dict(r.layer) for r in rows if (r.scope, r.key) in wanted}

    def put(self, scope: str, key: str, layer: dict[str, Any], at: dt.datetime) -> None:
        self.session.merge(ProfileLayerRow(scope=scope, key=key, layer=layer, updated_at=at))
        self.session.flush()


@dataclass(frozen=True)
class StoredKey:
    """An API key as stored (satisfies ``aria.service.ports.StoredKey``)."""

    id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    owner: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def _key(row: ApiKeyRow) -> StoredKey:
    return StoredKey(
        row.id,
        row.name,
        row.secret_hash,
        tuple(row.scopes),
        row.owner,
        row.created_at,
        row.revoked_at,
    )


class KeyRepository:
    """API keys."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        key_id: str,
        name: str,
        secret_hash: str,
        scopes: Sequence[str],
        owner: str | None,
        at: dt.datetime,
    ) -> None:
        self.session.add(
            ApiKeyRow(
                id=key_id,
                name=name,
                secret_hash=secret_hash,
                scopes=list(scopes),
                owner=owner,
                created_at=at,
            )
        )
        self.session.flush()

    def get(self, key_id: str) -> StoredKey | None:
        row = self.session.get(ApiKeyRow, key_id)
        return _key(row) if row else None

    def all(self) -> list[StoredKey]:
        return [
            _key(row)
            for row in self.session.scalars(sa.select(ApiKeyRow).order_by(ApiKeyRow.created_at))
        ]

    def revoke(self, key_id: str, at: dt.datetime) -> bool:
        row = self.session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = at
        self.session.flush()
        return True
