"""An in-memory unit of work and its repositories, and clocks, typed as the service's ports.

:class:`FakeStore` holds what a database would: rows as plain values, committed. Each
:class:`FakeUnitOfWork` works on its own copy and puts it back on :meth:`~FakeUnitOfWork.commit`,
so what a unit writes is seen by other units only once it commits, and leaving without a
commit discards it. Units of one store run one at a time (as SQLite's one writer does), so a
copy taken on entry is never stale. Rows go in and out through ``storage.translate`` (pure),
and the audit chain is linked and verified by the rules storage uses (``aria.audit``), so
``aria audit verify`` works on a fake exactly as on a database.

No query is mocked: every repository method answers from the rows.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace, TracebackType
from typing import Any, Self

from accounts.events import AccountEvent
from accounts.model import Account, AccountState, Side, Trade
from accounts.money import CURRENCIES
from accounts.tracker import Tracker
from aria.audit.chain import (
    GENESIS,
    Link,
    event_hash,
    first_break,
    linked_decision,
    released_body,
    split_inputs,
    state_body,
    state_hash,
)
from aria.audit.filters import DecisionFilter, EventFilter
from aria.audit.notices import Delivery, Notice, OutboxEntry, Subscription, idempotency_key
from aria.audit.record import DecisionRecord
from aria.audit.records import ChainBreak, Replayable, StoredDecision, StoredEvent
from aria.audit.state import Approved, Held, state_problem
from aria.service.context import Context, ServiceOptions
from aria.service.ports import (
    AccessRepository,
    AccountRepository,
    AlertRepository,
    AuditRepository,
    Clock,
    Cursor,
    JobRepository,
    MarketRepository,
    NotificationRepository,
    SizingRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from aria.sizing.inputs import Reservation
from aria.sizing.instruments import Instrument, load_instruments
from aria.sizing.market import Correlation, VolatilitySnapshot
from aria.stored import JobStatus, SizingQuery, SizingSnapshot, StoredKey
from firms.alerts import Fired
from firms.catalog import load_catalog
from firms.news import EconomicEvent
from storage import translate, translate_market
from storage.errors import Conflict, Missing
from tests.clocks import FixedClock, SettableClock

Row = dict[str, Any]

# -- the stored rows -------------------------------------------------------------------------


def new_id() -> str:
    """A fresh record id, as storage makes them."""
    return uuid.uuid4().hex


@dataclass
class Tables:
    """Every stored row. Rows are replaced, never changed in place, so a shallow copy of each
    table is a snapshot a unit of work may change freely."""

    accounts: dict[str, Row] = field(default_factory=dict)
    trackers: dict[str, Row] = field(default_factory=dict)  # with ``chain_seq``, ``chain_hash``
    states: list[Row] = field(default_factory=list)
    trades: list[Row] = field(default_factory=list)
    layers: dict[tuple[str, str], Row] = field(default_factory=dict)
    requests: dict[tuple[str, str], Row] = field(default_factory=dict)  # by (scope, id)
    decisions: dict[str, Row] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)  # shared input parts by digest
    reservations: dict[str, Row] = field(default_factory=dict)  # by decision id
    events: dict[str, Row] = field(default_factory=dict)
    state_records: dict[str, Row] = field(default_factory=dict)
    bars: dict[tuple[str, str, dt.datetime], Row] = field(default_factory=dict)
    snapshots: list[VolatilitySnapshot] = field(default_factory=list)
    correlations: dict[tuple[str, int], Row] = field(default_factory=dict)
    instruments: dict[str, Row] = field(default_factory=dict)
    job_runs: dict[tuple[str, str], Row] = field(default_factory=dict)
    heartbeats: dict[str, dt.datetime] = field(default_factory=dict)
    keys: dict[str, StoredKey] = field(default_factory=dict)
    calendar: dict[str, EconomicEvent] = field(default_factory=dict)  # by the release's id
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    outbox: dict[str, Row] = field(default_factory=dict)
    alert_states: dict[tuple[str, str], Fired] = field(default_factory=dict)

    def copy(self) -> Tables:
        """A snapshot: new tables over the same (never mutated) rows."""
        return Tables(**{name: copy.copy(value) for name, value in vars(self).items()})


class FakeStore:
    """The committed rows of one in-memory database, shared by the units of work made on it."""

    def __init__(self) -> None:
        self.tables = Tables()
        # One unit at a time, as SQLite's single writer; re-entrant so a test may open a
        # second unit inside a first (in one thread) and see only what was committed.
        self.lock = threading.RLock()

    def unit(self, clock: Clock) -> FakeUnitOfWork:
        """A new unit of work whose time comes from ``clock``."""
        return FakeUnitOfWork(self, clock)

    def edit(self, table: str, key: Any, **values: Any) -> None:
        """Change a stored row as SQL typed by hand would: no chain record, no check."""
        with self.lock:
            rows = getattr(self.tables, table)
            rows[key] = {**rows[key], **values}

    def delete(self, table: str, key: Any) -> None:
        """Delete a stored row as SQL typed by hand would."""
        with self.lock:
            del getattr(self.tables, table)[key]

    def count(self, table: str) -> int:
        """How many rows a table holds (committed)."""
        return len(getattr(self.tables, table))


def _account_row(account: Account, at: dt.datetime, created_at: dt.datetime) -> Row:
    return translate.account_values(account, at) | {"created_at": created_at}


def _account(row: Row) -> Account:
    return translate.account_from_row(SimpleNamespace(**row))


def _tracker(row: Row) -> Tracker:
    return translate.tracker_from_row(SimpleNamespace(**row))


def _since(at: dt.datetime, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at <= end)


def _after(row: Row, at: str, after: Cursor | None) -> bool:
    # Newest first: a row after the cursor is older, or as old and earlier in its chain.
    if after is None:
        return True
    return bool((row[at], row["seq"], row["id"]) < after)


def _newest_first(rows: Iterable[Row], at: str) -> list[Row]:
    return sorted(rows, key=lambda r: (r[at], r["seq"], r["id"]), reverse=True)


def _is_pair(symbol: str) -> bool:
    return len(symbol) == 6 and symbol[:3] in CURRENCIES and symbol[3:] in CURRENCIES


class _Part:
    """What every repository of one unit shares: the unit's tables."""

    def __init__(self, unit: FakeUnitOfWork) -> None:
        self._unit = unit

    @property
    def t(self) -> Tables:
        """The unit's tables (its own copy, while it is open)."""
        return self._unit.tables


# -- the chain -------------------------------------------------------------------------------


class _Chain(_Part):
    """Appends links to accounts' chains; the head lives on the tracker row, as in storage."""

    def head(self, account_id: str) -> tuple[int, str]:
        """An account's head (records counted, hash of the last)."""
        tracker = self.t.trackers.get(account_id)
        if tracker is None:
            raise Missing(f"account {account_id!r} has no tracker")
        return tracker["chain_seq"], tracker["chain_hash"] or GENESIS

    def move(self, account_id: str, seq: int, chain_hash: str) -> None:
        """Store an account's new head."""
        tracker = self.t.trackers[account_id]
        self.t.trackers[account_id] = {**tracker, "chain_seq": seq, "chain_hash": chain_hash}

    def append_state(self, account_id: str, kind: str, body: str, at: dt.datetime) -> None:
        """Chain a state record."""
        seq, prev_hash = self.head(account_id)
        values: Row = {
            "id": new_id(),
            "account_id": account_id,
            "seq": seq + 1,
            "kind": kind,
            "body": body,
            "at": at,
            "prev_hash": prev_hash,
        }
        values["hash"] = state_hash(prev_hash, values)
        self.t.state_records[values["id"]] = values
        self.move(account_id, values["seq"], values["hash"])

    def copy_row(self, kind: str, account_id: str, at: dt.datetime) -> None:
        """Chain a copy of an account's ``account`` or ``tracker`` row as stored now."""
        self.append_state(account_id, kind, _stored_body(self.t, kind, account_id), at)


def _stored_body(tables: Tables, kind: str, account_id: str) -> str:
    rows = tables.accounts if kind == "account" else tables.trackers
    return state_body(kind, rows[account_id])


# -- accounts --------------------------------------------------------------------------------


class FakeAccountRepository(_Part):
    """Accounts with their trackers, states, trades and profile layers, in memory."""

    def __init__(self, unit: FakeUnitOfWork, chain: _Chain) -> None:
        super().__init__(unit)
        self._chain = chain

    def add(self, account: Account, tracker: Tracker, at: dt.datetime) -> None:
        """Add a new account with its starting tracker (a taken id is a conflict)."""
        if account.id in self.t.accounts:
            raise Conflict(f"account {account.id!r} is stored already; nothing was written")
        self.t.accounts[account.id] = _account_row(account, at, at)
        self.t.trackers[account.id] = {
            "account_id": account.id,
            **translate.tracker_values(tracker, at),
            "chain_seq": 0,
            "chain_hash": "",
        }
        self._chain.copy_row("account", account.id, at)
        self._chain.copy_row("tracker", account.id, at)

    def get(self, account_id: str) -> Account | None:
        """One account, or ``None``."""
        row = self.t.accounts.get(account_id)
        return _account(row) if row is not None else None

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        """Accounts by id."""
        return {a: _account(self.t.accounts[a]) for a in sorted(set(account_ids)) if self._has(a)}

    def _has(self, account_id: str) -> bool:
        return account_id in self.t.accounts

    def select(
        self, *, owner: str | None = None, firm: str | None = None, strategy: str | None = None
    ) -> list[Account]:
        """Accounts matching every given selector, ordered by id."""
        wanted = {"owner": owner, "firm": firm, "strategy": strategy}
        return [
            _account(row)
            for _, row in sorted(self.t.accounts.items())
            if all(value is None or row[name] == value for name, value in wanted.items())
        ]

    def ids(self) -> list[str]:
        """Every account's id, in order."""
        return sorted(self.t.accounts)

    def of_owners(self, owners: Sequence[str]) -> list[Account]:
        """Every account of these owners, ordered by id."""
        return [
            _account(row) for _, row in sorted(self.t.accounts.items()) if row["owner"] in owners
        ]

    def read(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        """Accounts with their trackers, in id order."""
        return {
            a: (_account(self.t.accounts[a]), _tracker(self.t.trackers[a]))
            for a in sorted(set(account_ids))
            if a in self.t.accounts and a in self.t.trackers
        }

    def lock(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        """As :meth:`read`: units of one store already run one at a time."""
        return self.read(account_ids)

    def save(self, account: Account, at: dt.datetime) -> None:
        """Store an account's changed state or profile, and chain a copy."""
        row = self.t.accounts.get(account.id)
        if row is None:
            raise Missing(f"account {account.id!r} is not stored")
        self.t.accounts[account.id] = _account_row(account, at, row["created_at"])
        self._chain.copy_row("account", account.id, at)

    def lock_trackers(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        """Trackers (units already run one at a time)."""
        return self.trackers(account_ids)

    def trackers(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        """Trackers by account id."""
        return {
            a: _tracker(self.t.trackers[a])
            for a in sorted(set(account_ids))
            if a in self.t.trackers
        }

    def save_tracker(self, account_id: str, tracker: Tracker, at: dt.datetime) -> None:
        """Store a changed tracker."""
        self.save_trackers([(account_id, tracker)], at)

    def save_trackers(self, trackers: Sequence[tuple[str, Tracker]], at: dt.datetime) -> None:
        """Store changed trackers and chain a copy of each (in id order, as storage does)."""
        for account_id, tracker in trackers:
            row = self.t.trackers.get(account_id)
            if row is None:
                raise Missing("an account has no tracker")
            self.t.trackers[account_id] = {**row, **translate.tracker_values(tracker, at)}
        for account_id in sorted({account_id for account_id, _ in trackers}):
            self._chain.copy_row("tracker", account_id, at)

    def append_state(
        self,
        account_id: str,
        state: AccountState,
        daily_floor: Decimal | None,
        max_loss_floor: Decimal | None,
        received_at: dt.datetime,
    ) -> None:
        """Record a pushed state with its floors."""
        self.t.states.append(
            {
                "account_id": account_id,
                "state": AccountState(
                    balance=state.balance, equity=state.equity, as_of=state.as_of
                ),
                "daily_floor": daily_floor,
                "max_loss_floor": max_loss_floor,
                "received_at": received_at,
            }
        )

    def states(
        self, account_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> list[tuple[AccountState, Decimal | None, Decimal | None]]:
        """Pushed states with their floors, oldest first."""
        rows = [
            r
            for r in self.t.states
            if r["account_id"] == account_id and _since(r["state"].as_of, start, end)
        ]
        # Stable: states of one instant stay in the order they were received.
        rows.sort(key=lambda r: r["state"].as_of)
        return [(r["state"], r["daily_floor"], r["max_loss_floor"]) for r in rows]

    def add_trade(self, account_id: str, trade: Trade) -> bool:
        """Store a closed trade; ``False`` when its external id is stored for the account."""
        if account_id not in self.t.accounts:
            raise Conflict(f"account {account_id!r} is not stored; nothing was written")
        if any(
            r["account_id"] == account_id and r["external_id"] == trade.id for r in self.t.trades
        ):
            return False
        self.t.trades.append(
            {
                "id": new_id(),
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
        )
        return True

    def recent_trades(self, account_ids: Sequence[str], limit: int) -> dict[str, list[Trade]]:
        """The latest ``limit`` trades of each account, oldest first."""
        return _recent_trades(self.t, account_ids, limit)

    def layer(self, scope: str, key: str) -> dict[str, Any] | None:
        """A profile layer, or ``None``."""
        return self.layers([(scope, key)]).get((scope, key))

    def layers(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The stored profile layers among ``keys``."""
        return _layers(self.t, keys)

    def put_layer(self, scope: str, key: str, layer: dict[str, Any], at: dt.datetime) -> None:
        """Store a profile layer."""
        self.t.layers[(scope, key)] = {"layer": copy.deepcopy(layer), "updated_at": at}


def _recent_trades(
    tables: Tables, account_ids: Sequence[str], limit: int
) -> dict[str, list[Trade]]:
    result: dict[str, list[Trade]] = {account_id: [] for account_id in account_ids}
    for account_id in result:
        rows = [r for r in tables.trades if r["account_id"] == account_id]
        latest = sorted(rows, key=lambda r: (r["closed_at"], r["id"]), reverse=True)[:limit]
        result[account_id] = [
            translate.trade_from_row(SimpleNamespace(**r)) for r in reversed(latest)
        ]
    return result


def _layers(
    tables: Tables, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    return {key: copy.deepcopy(tables.layers[key]["layer"]) for key in keys if key in tables.layers}


# -- sizing ----------------------------------------------------------------------------------


def _live(
    tables: Tables, account_ids: Iterable[str], now: dt.datetime
) -> dict[str, list[Reservation]]:
    result: dict[str, list[Reservation]] = {account_id: [] for account_id in account_ids}
    rows = sorted(
        (
            r
            for r in tables.reservations.values()
            if r["account_id"] in result and r["status"] == "live" and r["expires_at"] > now
        ),
        key=lambda r: (r["created_at"], r["decision_id"]),
    )
    for row in rows:
        result[row["account_id"]].append(translate.reservation_from_row(SimpleNamespace(**row)))
    return result


def _stored_decision(row: Row) -> StoredDecision:
    return translate.decision_from_row(SimpleNamespace(**row))


class FakeSizingRepository(_Part):
    """Requests, decisions and reservations, in memory."""

    def __init__(self, unit: FakeUnitOfWork, chain: _Chain, market: FakeMarketRepository) -> None:
        super().__init__(unit)
        self._chain, self._market = chain, market

    def for_sizing(self, query: SizingQuery) -> SizingSnapshot:
        """Everything a sizing request decides from, in one load."""
        t = self.t
        found = {
            a: (_account(t.accounts[a]), _tracker(t.trackers[a]))
            for a in sorted(set(query.account_ids))
            if a in t.accounts and a in t.trackers
        }
        owners = {account.owner for account, _ in found.values()}
        others = {
            a: (_account(row), _tracker(t.trackers[a]))
            for a, row in sorted(t.accounts.items())
            if row["owner"] in owners and a not in set(query.account_ids) and a in t.trackers
        }
        keys = {key for account, _ in found.values() for key in query.layer_keys(account)}
        layers = _layers(t, sorted(keys))
        readers = [
            a for a in query.account_ids if a in found and query.reads_trades(found[a][0], layers)
        ]
        trades = _recent_trades(t, readers, query.trade_history) if readers else {}
        live = _live(t, [a for a in query.account_ids if a in found], query.now)
        held = {p.symbol for _, tr in found.values() if tr.state for p in tr.state.positions}
        latest = self._market.snapshots(sorted(held | {query.symbol}))
        return SizingSnapshot(
            accounts=found,
            others=others,
            layers=layers,
            trades={a: tuple(rows) for a, rows in trades.items()},
            reservations={a: tuple(rows) for a, rows in live.items()},
            instruments=tuple(self._market.instruments()),
            snapshots=latest,
            pairs=self._market.currency_pairs(),
            correlation_head=self._market.correlation_head(query.universe),
        )

    def claim_request(
        self,
        request_id: str,
        request_hash: str,
        request: dict[str, Any],
        at: dt.datetime,
        *,
        scope: str = "",
    ) -> bool:
        """Claim a request id in ``scope``; ``False`` when it was claimed there before."""
        if (scope, request_id) in self.t.requests:
            return False
        self.t.requests[(scope, request_id)] = {
            "request_hash": request_hash,
            "request": copy.deepcopy(request),
            "created_at": at,
        }
        return True

    def request_hash(self, request_id: str, *, scope: str = "") -> str | None:
        """The hash of the request stored under an id in ``scope``."""
        row = self.t.requests.get((scope, request_id))
        return None if row is None else str(row["request_hash"])

    def for_request(self, request_id: str, *, scope: str = "") -> list[StoredDecision]:
        """The decisions of a request of ``scope``, in account order."""
        rows = [
            r
            for r in self.t.decisions.values()
            if r["request_scope"] == scope and r["request_id"] == request_id
        ]
        return [_stored_decision(r) for r in sorted(rows, key=lambda r: r["account_id"])]

    def append(
        self,
        request_id: str,
        records: Sequence[DecisionRecord],
        at: dt.datetime,
        *,
        scope: str = "",
    ) -> list[StoredDecision]:
        """Store decisions, their shared parts and reservations, each chained to its account."""
        stored = []
        for record in records:
            for part in record.parts:
                self.t.parts.setdefault(part.digest, part.text)
            decision = record.decision
            seq, prev_hash = self._chain.head(decision.account_id)
            values: Row = linked_decision(
                record,
                record_id=new_id(),
                request_id=request_id,
                scope=scope,
                seq=seq + 1,
                prev_hash=prev_hash,
                at=at,
            )
            self.t.decisions[values["id"]] = values
            self._chain.move(decision.account_id, values["seq"], values["hash"])
            if decision.approved and record.reserve_until is not None:
                closing = record.reduce_only  # holds the lots it closes: no risk, no swing
                self.t.reservations[values["id"]] = {
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
            stored.append(
                StoredDecision(
                    id=values["id"],
                    request_id=request_id,
                    account_id=decision.account_id,
                    seq=values["seq"],
                    decision=decision,
                    created_at=at,
                    hash=values["hash"],
                )
            )
        return stored

    def decision(self, decision_id: str) -> StoredDecision | None:
        """One stored decision."""
        row = self.t.decisions.get(decision_id)
        return _stored_decision(row) if row is not None else None

    def live_reservations(
        self, account_ids: Sequence[str], now: dt.datetime
    ) -> dict[str, list[Reservation]]:
        """Live reservations per account at ``now``."""
        return _live(self.t, account_ids, now)

    def _close(self, which: Callable[[Row], bool], status: str, at: dt.datetime) -> int:
        closed: dict[str, list[str]] = {}
        for decision_id, row in list(self.t.reservations.items()):
            if row["status"] == "live" and which(row):
                self.t.reservations[decision_id] = {**row, "status": status, "closed_at": at}
                closed.setdefault(row["account_id"], []).append(decision_id)
        for account_id, ids in sorted(closed.items()):
            self._chain.append_state(account_id, "released", released_body(status, ids), at)
        return sum(map(len, closed.values()))

    def match_reservations(
        self, account_id: str, decision_ids: Sequence[str], at: dt.datetime
    ) -> int:
        """Mark reservations whose positions the broker now shows; returns how many."""
        wanted = set(decision_ids)
        return self._close(
            lambda r: r["account_id"] == account_id and r["decision_id"] in wanted, "matched", at
        )

    def settle_closes(
        self, account_id: str, still_open: Set[tuple[str, Side]], at: dt.datetime
    ) -> int:
        """Release live reduce-only reservations whose position is no longer open."""
        done = [
            r["decision_id"]
            for r in self.t.reservations.values()
            if r["account_id"] == account_id
            and r["status"] == "live"
            and r["reduce_only"]
            and (r["symbol"], Side(r["side"]).opposite) not in still_open
        ]
        return self.match_reservations(account_id, done, at) if done else 0

    def cancel_reservation(self, decision_id: str, at: dt.datetime) -> str | None:
        """Cancel a live reservation; its account id, or ``None`` if none was live."""
        row = self.t.reservations.get(decision_id)
        if row is None:
            return None
        closed = self._close(lambda r: r["decision_id"] == decision_id, "cancelled", at)
        return str(row["account_id"]) if closed else None

    def expire_reservations(self, now: dt.datetime) -> int:
        """Mark reservations past their time-to-live as expired; returns how many."""
        return self._close(lambda r: r["expires_at"] <= now, "expired", now)


# -- audit -----------------------------------------------------------------------------------


def _stored_event(row: Row) -> StoredEvent:
    return translate.event_from_values({**row, "detail": copy.deepcopy(row["detail"])})


class FakeAuditRepository(_Part):
    """The per-account audit trails, linked and verified by ``aria.audit``'s rules."""

    def __init__(self, unit: FakeUnitOfWork, chain: _Chain) -> None:
        super().__init__(unit)
        self._chain = chain

    def append_event(
        self,
        account_id: str,
        kind: str,
        detail: dict[str, Any],
        actor: str,
        reason: str,
        at: dt.datetime,
    ) -> StoredEvent:
        """Store an event and chain it to its account's trail."""
        return self.append_events([AccountEvent(account_id, kind, actor, reason, at, detail)])[0]

    def append_events(self, events: Sequence[AccountEvent]) -> list[StoredEvent]:
        """Store events in order, each chained to its account's trail."""
        stored = []
        for event in events:
            seq, prev_hash = self._chain.head(event.account_id)
            values: Row = {
                "id": new_id(),
                "account_id": event.account_id,
                "seq": seq + 1,
                "kind": event.kind,
                "detail": copy.deepcopy(event.detail),
                "actor": event.actor,
                "reason": event.reason,
                "at": event.at,
                "prev_hash": prev_hash,
            }
            values["hash"] = event_hash(prev_hash, values)
            self.t.events[values["id"]] = values
            self._chain.move(event.account_id, values["seq"], values["hash"])
            stored.append(_stored_event(values))
        FakeNotificationRepository(self._unit).enqueue(stored)
        return stored

    def events(self, filters: EventFilter, after: Cursor | None, limit: int) -> list[StoredEvent]:
        """Events matching ``filters``, newest first, after a cursor."""
        accounts = self.t.accounts
        rows = [
            r
            for r in self.t.events.values()
            if r["account_id"] in accounts  # joined with its account, as storage reads them
            and _matches(
                (r["account_id"], filters.account),
                (accounts[r["account_id"]]["owner"], filters.owner),
                (accounts[r["account_id"]]["firm"], filters.firm),
                (r["kind"], filters.kind),
            )
            and _since(r["at"], filters.start, filters.end)
            and _after(r, "at", after)
        ]
        return [_stored_event(r) for r in _newest_first(rows, "at")[:limit]]

    def decisions(
        self, filters: DecisionFilter, after: Cursor | None, limit: int
    ) -> list[StoredDecision]:
        """Decisions matching ``filters``, newest first, after a cursor."""
        accounts = self.t.accounts
        rows = [
            r
            for r in self.t.decisions.values()
            if r["account_id"] in accounts
            and _matches(
                (r["account_id"], filters.account),
                (accounts[r["account_id"]]["owner"], filters.owner),
                (accounts[r["account_id"]]["firm"], filters.firm),
                (r["symbol"], filters.symbol),
                (r["strategy"], filters.strategy),
                (r["status"], filters.status),
                (r["request_id"], filters.request_id),
            )
            and (filters.code is None or f",{filters.code}," in r["codes"])
            and _since(r["created_at"], filters.start, filters.end)
            and _after(r, "created_at", after)
        ]
        return [_stored_decision(r) for r in _newest_first(rows, "created_at")[:limit]]

    def _links(self, account_id: str) -> list[Link]:
        links = [
            Link(kind, row)
            for kind, rows in (
                ("decision", self.t.decisions),
                ("event", self.t.events),
                ("state record", self.t.state_records),
            )
            for row in rows.values()
            if row["account_id"] == account_id
        ]
        return sorted(links, key=lambda link: link.seq)

    def decisions_of(
        self, account_id: str, after: int = 0, limit: int | None = None
    ) -> list[Replayable]:
        """An account's decisions after position ``after``, inputs put back together."""
        rows = sorted(
            (
                r
                for r in self.t.decisions.values()
                if r["account_id"] == account_id and r["seq"] > after
            ),
            key=lambda r: r["seq"],
        )[:limit]
        return [
            translate.replayable_from_row(SimpleNamespace(**r), self.t.parts)
            if r["record_format"] == 1
            else _reassembled(r, self.t.parts)
            for r in rows
        ]

    def chained_accounts(self) -> list[str]:
        """Every account that has or had a chain."""
        owners = {
            row["account_id"]
            for rows in (self.t.decisions, self.t.events, self.t.state_records)
            for row in rows.values()
        }
        return sorted(set(self.t.accounts) | set(self.t.trackers) | owners)

    def verify_chain(self, account_id: str) -> ChainBreak | None:
        """The first broken link of an account's chain (its head included), or ``None``."""
        return first_break(account_id, self._links(account_id), lambda: self._head(account_id))

    def _head(self, account_id: str) -> tuple[int, str] | None:
        tracker = self.t.trackers.get(account_id)
        return None if tracker is None else (tracker["chain_seq"], tracker["chain_hash"] or GENESIS)

    def verify_state(self, account_id: str) -> str | None:
        """Why the account's rows differ from its chain, or ``None``."""
        chained = [
            (r["kind"], r["body"])
            for r in sorted(self.t.state_records.values(), key=lambda r: r["seq"])
            if r["account_id"] == account_id
        ]
        stored = {
            kind: _stored_body(self.t, kind, account_id) if account_id in rows else None
            for kind, rows in (("account", self.t.accounts), ("tracker", self.t.trackers))
        }
        held = [
            Held(**{name: r[name] for name in Held.__slots__})
            for r in self.t.reservations.values()
            if r["account_id"] == account_id
        ]
        approved = [
            Approved(**{name: r[name] for name in Approved.__slots__})
            for r in sorted(self.t.decisions.values(), key=lambda r: r["seq"])
            if r["account_id"] == account_id and r["status"] == "approved"
        ]
        return state_problem(chained, stored, held, approved)

    def heads(self) -> list[tuple[str, int, str]]:
        """Every stored chain head: (account id, records in the chain, hash of the last)."""
        return [
            (account_id, row["chain_seq"], row["chain_hash"] or GENESIS)
            for account_id, row in sorted(self.t.trackers.items())
        ]

    def hash_at(self, account_id: str, seq: int) -> str | None:
        """The stored hash of an account's record at ``seq``, if there is one."""
        for link in self._links(account_id):
            if link.seq == seq:
                return str(link.values["hash"])
        return None


def _reassembled(row: Row, parts: Mapping[str, str]) -> Replayable:
    # Only the parts this decision names, as storage reads them.
    digests = {
        digest
        for ref in split_inputs(row["inputs"])[1].values()
        for digest in ([ref] if isinstance(ref, str) else ref)
    }
    named = {d: parts[d] for d in digests if d in parts}
    return translate.replayable_from_row(SimpleNamespace(**row), named)


def _matches(*pairs: tuple[Any, str | None]) -> bool:
    return all(wanted is None or value == wanted for value, wanted in pairs)


# -- market ----------------------------------------------------------------------------------


class FakeMarketRepository(_Part):
    """Bars, snapshots, correlation matrices and run-time instruments, in memory."""

    def add_bars(
        self,
        symbol: str,
        timeframe: str,
        rows: Sequence[tuple[dt.datetime, float, float, float, float, float | None]],
    ) -> int:
        """Insert or replace bars (stored as doubles, as storage keeps them)."""
        for ts, o, h, lo, c, v in rows:
            self.t.bars[(symbol, timeframe, ts)] = {
                "values": (float(o), float(h), float(lo), float(c)),
                "volume": None if v is None else float(v),
            }
        return len(rows)

    def bar_symbols(self, timeframe: str) -> list[str]:
        """Symbols with bars."""
        return sorted({s for s, tf, _ in self.t.bars if tf == timeframe})

    def bars(
        self, symbols: Sequence[str], timeframe: str, limit: int
    ) -> dict[str, list[tuple[dt.datetime, float, float, float, float]]]:
        """The latest ``limit`` bars per symbol, oldest first."""
        result: dict[str, list[tuple[dt.datetime, float, float, float, float]]] = {
            s: [] for s in symbols
        }
        for symbol in result:
            times = sorted(ts for s, tf, ts in self.t.bars if s == symbol and tf == timeframe)
            for ts in times[-limit:] if limit > 0 else []:
                o, h, lo, c = self.t.bars[(symbol, timeframe, ts)]["values"]
                result[symbol].append((ts, o, h, lo, c))
        return result

    def save_snapshot(self, snapshot: VolatilitySnapshot) -> None:
        """Store a volatility snapshot."""
        self.t.snapshots.append(snapshot)

    def _latest(self, wanted: Callable[[str], bool]) -> dict[str, VolatilitySnapshot]:
        latest: dict[str, VolatilitySnapshot] = {}
        for snapshot in self.t.snapshots:  # in insertion order: a later one wins a tie
            if wanted(snapshot.symbol):
                found = latest.get(snapshot.symbol)
                if found is None or snapshot.computed_at >= found.computed_at:
                    latest[snapshot.symbol] = snapshot
        return latest

    def snapshots(self, symbols: Sequence[str]) -> dict[str, VolatilitySnapshot]:
        """The latest snapshot per symbol."""
        wanted = set(symbols)
        return self._latest(lambda symbol: symbol in wanted)

    def currency_pairs(self) -> dict[str, VolatilitySnapshot]:
        """The latest snapshot of every currency pair."""
        return self._latest(_is_pair)

    def prune_snapshots(self, before: dt.datetime) -> int:
        """Delete snapshots computed before ``before``, except each symbol's latest."""
        kept = {id(s) for s in self._latest(lambda _: True).values()}
        remaining = [s for s in self.t.snapshots if id(s) in kept or s.computed_at >= before]
        pruned = len(self.t.snapshots) - len(remaining)
        self.t.snapshots[:] = remaining
        return pruned

    def save_correlation(
        self, universe: str, correlation: Correlation, as_of: dt.datetime, at: dt.datetime
    ) -> int:
        """Store a new version of a universe's matrix; returns the version."""
        version = 1 + max((v for u, v in self.t.correlations if u == universe), default=0)
        symbols, matrix, observations = translate_market.correlation_to_json(correlation)
        self.t.correlations[(universe, version)] = {
            "version": version,
            "as_of": as_of,
            "computed_at": at,
            "symbols": symbols,
            "matrix": matrix,
            "observations": observations,
        }
        return version

    def correlation(self, universe: str, version: int) -> Correlation:
        """One version of a universe's matrix."""
        row = self.t.correlations.get((universe, version))
        if row is None:
            raise Missing(f"no correlation matrix {universe!r} version {version}")
        return translate_market.correlation_from_row(SimpleNamespace(**row))

    def _newest(self, universe: str) -> Row | None:
        versions = [v for u, v in self.t.correlations if u == universe]
        return self.t.correlations[(universe, max(versions))] if versions else None

    def correlation_head(self, universe: str) -> tuple[int, dt.datetime] | None:
        """The newest version of a universe's matrix and when it was computed."""
        row = self._newest(universe)
        return None if row is None else (row["version"], row["computed_at"])

    def latest_correlation(self, universe: str) -> tuple[int, Correlation, dt.datetime] | None:
        """The newest matrix of a universe with its version and as-of time."""
        row = self._newest(universe)
        if row is None:
            return None
        return (
            row["version"],
            translate_market.correlation_from_row(SimpleNamespace(**row)),
            row["as_of"],
        )

    def upsert_instrument(self, instrument: Instrument, at: dt.datetime) -> None:
        """Add or replace an instrument."""
        self.t.instruments[instrument.symbol] = {
            "spec": instrument.model_dump(mode="json"),
            "updated_at": at,
        }

    def instruments(self) -> list[Instrument]:
        """Every instrument stored at run time, by symbol."""
        return [
            translate_market.instrument_from_json(row["spec"])
            for _, row in sorted(self.t.instruments.items())
        ]


# -- jobs and access -------------------------------------------------------------------------


class FakeJobRepository(_Part):
    """Job-run claims and heartbeats, in memory."""

    def claim_many(self, job_id: str, run_keys: Sequence[str], at: dt.datetime) -> None:
        """Claim slots (slots claimed before are left as they are)."""
        for key in run_keys:
            self.claim(job_id, key, at)

    def claim(self, job_id: str, run_key: str, at: dt.datetime) -> bool:
        """Claim a job's slot; ``False`` when it is already claimed."""
        if (job_id, run_key) in self.t.job_runs:
            return False
        self.t.job_runs[(job_id, run_key)] = {
            "order": len(self.t.job_runs),
            "claimed_at": at,
            "finished_at": None,
            "status": "running",
            "detail": {},
        }
        return True

    def finish(
        self, job_id: str, run_key: str, status: str, detail: dict[str, Any], at: dt.datetime
    ) -> None:
        """Record how a claimed run ended."""
        row = self.t.job_runs.get((job_id, run_key))
        if row is not None:
            self.t.job_runs[(job_id, run_key)] = {
                **row,
                "status": status,
                "detail": copy.deepcopy(detail),
                "finished_at": at,
            }

    def last_runs(self) -> dict[str, JobStatus]:
        """The latest run of each job."""
        latest: dict[str, tuple[tuple[dt.datetime, int], JobStatus]] = {}
        for (job_id, run_key), row in self.t.job_runs.items():
            rank = (row["claimed_at"], row["order"])
            if job_id not in latest or rank > latest[job_id][0]:
                status = JobStatus(
                    job_id, run_key, row["claimed_at"], row["finished_at"], row["status"]
                )
                latest[job_id] = (rank, status)
        return {job_id: status for job_id, (_, status) in latest.items()}

    def beat(self, name: str, at: dt.datetime) -> None:
        """Record a heartbeat."""
        self.t.heartbeats[name] = at

    def last_beat(self, name: str) -> dt.datetime | None:
        """The last heartbeat."""
        return self.t.heartbeats.get(name)


class FakeAccessRepository(_Part):
    """API keys (hashes of secrets), in memory."""

    def add(
        self,
        key_id: str,
        name: str,
        secret_hash: str,
        scopes: Sequence[str],
        owner: str | None,
        at: dt.datetime,
    ) -> None:
        """Store a new key (a taken id is a conflict)."""
        if key_id in self.t.keys:
            raise Conflict(f"key {key_id!r} is stored already; nothing was written")
        self.t.keys[key_id] = StoredKey(key_id, name, secret_hash, tuple(scopes), owner, at, None)

    def get(self, key_id: str) -> StoredKey | None:
        """One key."""
        return self.t.keys.get(key_id)

    def all(self) -> list[StoredKey]:
        """Every key, oldest first."""
        return sorted(self.t.keys.values(), key=lambda key: key.created_at)

    def revoke(self, key_id: str, at: dt.datetime) -> bool:
        """Revoke a key; ``False`` when unknown or already revoked."""
        key = self.t.keys.get(key_id)
        if key is None or key.revoked_at is not None:
            return False
        self.t.keys[key_id] = StoredKey(
            key.id, key.name, key.secret_hash, key.scopes, key.owner, key.created_at, at
        )
        return True


class FakeCalendarRepository(_Part):
    """The economic calendar, in memory."""

    def add_events(self, events: Sequence[EconomicEvent], at: dt.datetime) -> int:
        """Store releases once each by id; returns how many were new."""
        new = 0
        for event in events:
            new += event.id not in self.t.calendar
            self.t.calendar[event.id] = event
        return new

    def events_between(self, start: dt.datetime, end: dt.datetime) -> list[EconomicEvent]:
        """The releases from ``start`` to ``end``, by instant."""
        found = [e for e in self.t.calendar.values() if start <= e.at <= end]
        return sorted(found, key=lambda e: (e.at, e.id))

    def event(self, event_id: str) -> EconomicEvent | None:
        """One release by id."""
        return self.t.calendar.get(event_id)


class FakeNotificationRepository(_Part):
    """Subscriptions and the outbox, in memory (rows are written by the fake audit trail)."""

    def add_subscription(self, subscription: Subscription) -> None:
        """Store a subscription."""
        self.t.subscriptions[subscription.id] = subscription

    def subscriptions(self, owner: str | None = None) -> list[Subscription]:
        """Subscriptions, oldest first."""
        found = [s for s in self.t.subscriptions.values() if owner is None or s.owner == owner]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def subscription(self, subscription_id: str) -> Subscription | None:
        """One subscription."""
        return self.t.subscriptions.get(subscription_id)

    def remove_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription; its undelivered rows fail."""
        gone = self.t.subscriptions.pop(subscription_id, None) is not None
        for key, row in list(self.t.outbox.items()):
            if row["subscription_id"] == subscription_id and row["status"] in (
                "pending",
                "sending",
            ):
                self.t.outbox[key] = {**row, "status": "failed"}
        return gone

    def enqueue(self, stored: Sequence[StoredEvent]) -> None:
        """One row per (event, matching subscription), as storage writes with the events."""
        for event in stored:
            owner = self.t.accounts[event.account_id]["owner"]
            for sub in self.t.subscriptions.values():
                if sub.wants(event.kind, owner):
                    key = idempotency_key(event.id, sub.id)
                    self.t.outbox[key] = {
                        "id": key,
                        "idempotency_key": key,
                        "event": event,
                        "owner": owner,
                        "subscription_id": sub.id,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": event.at,
                        "last_error": None,
                        "delivered_at": None,
                    }

    def claim_due(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[Delivery]:
        """Claim due rows until ``lease_until``."""
        due = [
            r
            for r in self.t.outbox.values()
            if r["status"] in ("pending", "sending") and r["next_attempt_at"] <= now
        ]
        found = []
        for row in sorted(due, key=lambda r: (r["next_attempt_at"], r["id"]))[:limit]:
            claimed = {
                **row,
                "status": "sending",
                "attempts": row["attempts"] + 1,
                "next_attempt_at": lease_until,
            }
            self.t.outbox[row["id"]] = claimed
            event: StoredEvent = row["event"]
            notice = Notice(
                event.id,
                event.kind,
                event.account_id,
                row["owner"],
                event.at,
                event.detail,
                event.reason,
            )
            sub = self.t.subscriptions[row["subscription_id"]]
            found.append(Delivery(row["id"], row["id"], claimed["attempts"], notice, sub))
        return found

    def delivered(self, outbox_id: str, at: dt.datetime) -> None:
        """Record a delivery."""
        row = self.t.outbox[outbox_id]
        self.t.outbox[outbox_id] = {**row, "status": "delivered", "delivered_at": at}

    def attempt_failed(self, outbox_id: str, error: str, retry_at: dt.datetime | None) -> None:
        """Record a failed attempt."""
        row = self.t.outbox[outbox_id]
        if row["status"] == "delivered":
            return
        status = "failed" if retry_at is None else "pending"
        due = row["next_attempt_at"] if retry_at is None else retry_at
        self.t.outbox[outbox_id] = {
            **row,
            "status": status,
            "last_error": error,
            "next_attempt_at": due,
        }

    def outbox(self, statuses: Sequence[str], limit: int) -> list[OutboxEntry]:
        """Rows in these statuses."""
        return [
            OutboxEntry(
                r["id"],
                r["event"].id,
                r["event"].kind,
                r["event"].account_id,
                r["subscription_id"],
                r["status"],
                r["attempts"],
                r["next_attempt_at"],
                r["last_error"],
                r["delivered_at"],
            )
            for r in self.t.outbox.values()
            if r["status"] in statuses
        ][:limit]


class FakeAlertRepository(_Part):
    """Fired alert levels, in memory."""

    def fired(self, account_id: str) -> dict[str, Fired]:
        """An account's fired levels by key."""
        return {key: f for (acc, key), f in self.t.alert_states.items() if acc == account_id}

    def save_fired(self, account_id: str, fired: Mapping[str, Fired], at: dt.datetime) -> None:
        """Replace the fired levels of these keys."""
        for key, state in fired.items():
            self.t.alert_states[(account_id, key)] = state


# -- the unit of work ------------------------------------------------------------------------


class FakeUnitOfWork:
    """One transaction over a :class:`FakeStore`: a private copy of its tables, put back on
    commit, dropped on rollback or when the ``with`` block ends without a commit."""

    def __init__(self, store: FakeStore, clock: Clock) -> None:
        self._store, self._clock = store, clock
        self._tables: Tables | None = None
        self._now: dt.datetime | None = None
        self.commits = 0  # how many times this unit committed (tests count them)
        chain = _Chain(self)
        self._accounts = FakeAccountRepository(self, chain)
        self._market = FakeMarketRepository(self)
        self._sizing = FakeSizingRepository(self, chain, self._market)
        self._audit = FakeAuditRepository(self, chain)
        self._jobs = FakeJobRepository(self)
        self._access = FakeAccessRepository(self)
        self._calendar = FakeCalendarRepository(self)
        self._notifications = FakeNotificationRepository(self)
        self._alerts = FakeAlertRepository(self)

    @property
    def tables(self) -> Tables:
        """This transaction's tables."""
        if self._tables is None:
            raise RuntimeError("a repository used outside its unit of work")
        return self._tables

    @property
    def accounts(self) -> FakeAccountRepository:
        """Accounts, trackers, states, trades and profile layers."""
        return self._accounts

    @property
    def sizing(self) -> FakeSizingRepository:
        """Requests, decisions and reservations."""
        return self._sizing

    @property
    def audit(self) -> FakeAuditRepository:
        """Events, audit queries and the chains."""
        return self._audit

    @property
    def market(self) -> FakeMarketRepository:
        """Market data and instruments."""
        return self._market

    @property
    def jobs(self) -> FakeJobRepository:
        """Job runs and heartbeats."""
        return self._jobs

    @property
    def access(self) -> FakeAccessRepository:
        """API keys."""
        return self._access

    @property
    def calendar(self) -> FakeCalendarRepository:
        """The economic calendar."""
        return self._calendar

    @property
    def notifications(self) -> FakeNotificationRepository:
        """Subscriptions and the outbox."""
        return self._notifications

    @property
    def alerts(self) -> FakeAlertRepository:
        """Fired alert levels."""
        return self._alerts

    def __enter__(self) -> Self:
        """Begin: wait for the store, then work on a copy of what it has committed."""
        self._store.lock.acquire()
        self._tables = self._store.tables.copy()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End: whatever was not committed is dropped."""
        self._tables, self._now = None, None
        self._store.lock.release()

    def now(self) -> dt.datetime:
        """The transaction's time: the clock's, read once per transaction, in UTC."""
        if self._tables is None:
            raise RuntimeError("now() outside a unit of work")
        if self._now is None:
            found = self._clock.now()
            if found.tzinfo is None or found.utcoffset() is None:
                raise ValueError(f"the clock gave a naive time {found!r}")
            self._now = found.astimezone(dt.UTC)
        return self._now

    def commit(self) -> None:
        """Make this transaction's changes the store's; later work starts a new transaction."""
        self._store.tables = self.tables
        self._tables = self._store.tables.copy()
        self._now = None
        self.commits += 1

    def rollback(self) -> None:
        """Drop this transaction's changes."""
        self._tables = self._store.tables.copy()
        self._now = None


def fake_context(
    clock: Clock | None = None,
    options: ServiceOptions | None = None,
    store: FakeStore | None = None,
) -> tuple[Context, FakeStore]:
    """A service context over a new (or the given) in-memory store, and the store."""
    chosen = clock or FixedClock("2026-06-02T09:00:00Z")
    held = store or FakeStore()

    def unit() -> UnitOfWork:
        return held.unit(chosen)

    factory: UnitOfWorkFactory = unit
    context = Context(
        uow=factory,
        clock=chosen,
        catalog=CATALOG,
        instruments=INSTRUMENTS,
        options=options or ServiceOptions(),
        tokens=secrets.token_hex,
    )
    return context, held


CATALOG = load_catalog()
INSTRUMENTS = load_instruments()


def _typed_as_the_ports(store: FakeStore, clock: SettableClock) -> None:
    # Never called: mypy --strict checks here that every fake is what its port asks for.
    fake = store.unit(clock)
    unit: UnitOfWork = fake
    accounts: AccountRepository = fake.accounts
    sizing: SizingRepository = fake.sizing
    audit: AuditRepository = fake.audit
    market: MarketRepository = fake.market
    jobs: JobRepository = fake.jobs
    access: AccessRepository = fake.access
    notifications: NotificationRepository = fake.notifications
    alerts: AlertRepository = fake.alerts
    fixed: Clock = FixedClock("2026-06-02T09:00:00Z")
    moving: Clock = clock
    del fake, unit, accounts, sizing, audit, market, jobs, access, fixed, moving
    del notifications, alerts
