"""The ports the service layer talks through: a clock and a unit of work with its repositories.

These are Protocols of methods only: ``storage`` implements them without importing them
(structural typing), and the composition root (``aria.bootstrap``) is the one place that puts
the two together. The values they pass are frozen dataclasses defined once, in pure modules
both sides import (``aria.audit.records``, ``aria.stored``). A repository holds an aggregate
(accounts with their trackers, sizing, the audit trail, market data, jobs, access), never
commits, and the unit of work commits once, when the use case says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence, Set
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from accounts.events import AccountEvent
from accounts.model import Account, AccountState, Side, Trade
from accounts.tracker import Tracker
from aria.audit.filters import DecisionFilter, EventFilter
from aria.audit.notices import Delivery, OutboxEntry, Subscription
from aria.audit.record import DecisionRecord
from aria.audit.records import ChainBreak, Replayable, StoredDecision, StoredEvent
from aria.sizing.inputs import Reservation
from aria.sizing.instruments import Instrument
from aria.sizing.market import Correlation, VolatilitySnapshot
from aria.stored import JobStatus, SizingQuery, SizingSnapshot, StoredKey
from firms.alerts import Fired
from firms.news import EconomicEvent

Cursor = tuple[dt.datetime, int, str]  # (time, chain position, id) of the last record of a page


class Clock(Protocol):
    """Where the service gets the time; tests pass a fixed one."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


class AccountRepository(Protocol):
    """Accounts with their trackers (the per-account lock), pushed states, closed trades and
    profile layers."""

    def add(self, account: Account, tracker: Tracker, at: dt.datetime) -> None:
        """Add a new account with its starting tracker."""
        ...

    def get(self, account_id: str) -> Account | None:
        """One account, or ``None``."""
        ...

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        """Accounts by id (unknown ids are missing from the result)."""
        ...

    def select(
        self, *, owner: str | None = None, firm: str | None = None, strategy: str | None = None
    ) -> list[Account]:
        """Accounts matching every given selector, ordered by id."""
        ...

    def ids(self) -> list[str]:
        """Every account's id, in order."""
        ...

    def of_owners(self, owners: Sequence[str]) -> list[Account]:
        """Every account of these owners, ordered by id."""
        ...

    def read(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        """Accounts with their trackers, without locking them."""
        ...

    def lock(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        """Lock accounts (their trackers, in id order) and return each with its tracker."""
        ...

    def save(self, account: Account, at: dt.datetime) -> None:
        """Store an account's changed trading state or profile."""
        ...

    def lock_trackers(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        """Lock the accounts' trackers (in id order) for the rest of the transaction."""
        ...

    def trackers(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        """Trackers without locking."""
        ...

    def save_tracker(self, account_id: str, tracker: Tracker, at: dt.datetime) -> None:
        """Store a changed tracker."""
        ...

    def save_trackers(self, trackers: Sequence[tuple[str, Tracker]], at: dt.datetime) -> None:
        """Store changed trackers, by account id, in one statement."""
        ...

    def append_state(
        self,
        account_id: str,
        state: AccountState,
        daily_floor: Decimal | None,
        max_loss_floor: Decimal | None,
        received_at: dt.datetime,
    ) -> None:
        """Record a pushed state with the floors it was judged against."""
        ...

    def states(
        self, account_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> list[tuple[AccountState, Decimal | None, Decimal | None]]:
        """Pushed states with their floors, oldest first."""
        ...

    def add_trade(self, account_id: str, trade: Trade) -> bool:
        """Store a closed trade; ``False`` when one with the same external id is stored."""
        ...

    def recent_trades(self, account_ids: Sequence[str], limit: int) -> dict[str, list[Trade]]:
        """The latest ``limit`` trades of each account, oldest first."""
        ...

    def layer(self, scope: str, key: str) -> dict[str, Any] | None:
        """A profile layer, or ``None``."""
        ...

    def layers(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The stored profile layers among ``keys`` (scope, key)."""
        ...

    def put_layer(self, scope: str, key: str, layer: dict[str, Any], at: dt.datetime) -> None:
        """Store a profile layer."""
        ...


class SizingRepository(Protocol):
    """Sizing requests, their decisions and the reservations approved decisions hold."""

    def for_sizing(self, query: SizingQuery) -> SizingSnapshot:
        """Everything a sizing request decides from, in one load (accounts locked if asked)."""
        ...

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
        ...

    def request_hash(self, request_id: str, *, scope: str = "") -> str | None:
        """The hash of the request stored under an id in ``scope``."""
        ...

    def for_request(self, request_id: str, *, scope: str = "") -> Sequence[StoredDecision]:
        """The decisions of a request of ``scope``, in account order."""
        ...

    def append(
        self,
        request_id: str,
        records: Sequence[DecisionRecord],
        at: dt.datetime,
        *,
        scope: str = "",
    ) -> Sequence[StoredDecision]:
        """Store decisions, their shared input parts and reservations, and chain each decision
        to its account's audit trail (the accounts are locked)."""
        ...

    def decision(self, decision_id: str) -> StoredDecision | None:
        """One stored decision."""
        ...

    def live_reservations(
        self, account_ids: Sequence[str], now: dt.datetime
    ) -> dict[str, list[Reservation]]:
        """Live reservations per account."""
        ...

    def match_reservations(
        self, account_id: str, decision_ids: Sequence[str], at: dt.datetime
    ) -> int:
        """Mark reservations whose positions the broker now shows; returns how many."""
        ...

    def settle_closes(
        self, account_id: str, still_open: Set[tuple[str, Side]], at: dt.datetime
    ) -> int:
        """Release live reduce-only reservations whose position (symbol, side) is no longer
        open; returns how many."""
        ...

    def cancel_reservation(self, decision_id: str, at: dt.datetime) -> str | None:
        """Cancel a live reservation; returns its account id, or ``None`` if none was live."""
        ...

    def expire_reservations(self, now: dt.datetime) -> int:
        """Mark reservations past their time-to-live as expired; returns how many."""
        ...


class AuditRepository(Protocol):
    """The per-account audit trails: rule events, queries, chain heads and verification."""

    def append_event(
        self,
        account_id: str,
        kind: str,
        detail: dict[str, Any],
        actor: str,
        reason: str,
        at: dt.datetime,
    ) -> StoredEvent:
        """Store an event and chain it to its account's audit trail (the account is locked)."""
        ...

    def append_events(self, events: Sequence[AccountEvent]) -> Sequence[StoredEvent]:
        """Store events in order and chain each to its account's trail (the accounts locked)."""
        ...

    def events(
        self, filters: EventFilter, after: Cursor | None, limit: int
    ) -> Sequence[StoredEvent]:
        """Events matching ``filters``, newest first, after a cursor."""
        ...

    def decisions(
        self, filters: DecisionFilter, after: Cursor | None, limit: int
    ) -> Sequence[StoredDecision]:
        """Decisions matching ``filters``, newest first, after a cursor."""
        ...

    def decisions_of(
        self, account_id: str, after: int = 0, limit: int | None = None
    ) -> Sequence[Replayable]:
        """An account's decisions after position ``after``, inputs put back together, in order."""
        ...

    def chained_accounts(self) -> list[str]:
        """Every account that has or had a chain: accounts, chain heads and records' owners."""
        ...

    def verify_chain(self, account_id: str) -> ChainBreak | None:
        """The first broken link of an account's chain (its head included), or ``None``."""
        ...

    def verify_state(self, account_id: str) -> str | None:
        """Why the account's settings, tracker or reservations differ from its chain."""
        ...

    def heads(self) -> list[tuple[str, int, str]]:
        """Every stored chain head: (account id, records in the chain, hash of the last)."""
        ...

    def hash_at(self, account_id: str, seq: int) -> str | None:
        """The stored hash of an account's record at chain position ``seq``, if there is one."""
        ...


class MarketRepository(Protocol):
    """Bars, volatility snapshots, correlation matrices and instruments added at run time."""

    def add_bars(
        self,
        symbol: str,
        timeframe: str,
        rows: Sequence[tuple[dt.datetime, float, float, float, float, float | None]],
    ) -> int:
        """Insert or replace bars; returns how many."""
        ...

    def bar_symbols(self, timeframe: str) -> list[str]:
        """Symbols with bars."""
        ...

    def bars(
        self, symbols: Sequence[str], timeframe: str, limit: int
    ) -> dict[str, list[tuple[dt.datetime, float, float, float, float]]]:
        """The latest ``limit`` bars per symbol, oldest first."""
        ...

    def save_snapshot(self, snapshot: VolatilitySnapshot) -> None:
        """Store a volatility snapshot."""
        ...

    def snapshots(self, symbols: Sequence[str]) -> dict[str, VolatilitySnapshot]:
        """The latest snapshot per symbol."""
        ...

    def currency_pairs(self) -> dict[str, VolatilitySnapshot]:
        """The latest snapshot of every six-letter currency pair (for conversion rates)."""
        ...

    def prune_snapshots(self, before: dt.datetime) -> int:
        """Delete snapshots computed before ``before``, except each symbol's latest; the count."""
        ...

    def save_correlation(
        self, universe: str, correlation: Correlation, as_of: dt.datetime, at: dt.datetime
    ) -> int:
        """Store a new version of a universe's matrix; returns the version."""
        ...

    def correlation(self, universe: str, version: int) -> Correlation:
        """One version of a universe's matrix."""
        ...

    def latest_correlation(self, universe: str) -> tuple[int, Correlation, dt.datetime] | None:
        """The newest matrix of a universe with its version and as-of time."""
        ...

    def upsert_instrument(self, instrument: Instrument, at: dt.datetime) -> None:
        """Add or replace an instrument."""
        ...

    def instruments(self) -> list[Instrument]:
        """Every instrument stored at run time."""
        ...


class JobRepository(Protocol):
    """Job-run claims and the scheduler heartbeat."""

    def claim_many(self, job_id: str, run_keys: Sequence[str], at: dt.datetime) -> None:
        """Claim slots done in this transaction (slots claimed before are left as they are)."""
        ...

    def claim(self, job_id: str, run_key: str, at: dt.datetime) -> bool:
        """Claim a job's business slot; ``False`` when it is already claimed."""
        ...

    def finish(
        self, job_id: str, run_key: str, status: str, detail: dict[str, Any], at: dt.datetime
    ) -> None:
        """Record how a claimed run ended."""
        ...

    def last_runs(self) -> Mapping[str, JobStatus]:
        """The latest run of each job."""
        ...

    def beat(self, name: str, at: dt.datetime) -> None:
        """Record a heartbeat."""
        ...

    def last_beat(self, name: str) -> dt.datetime | None:
        """The last heartbeat."""
        ...


class AccessRepository(Protocol):
    """API keys (only hashes of secrets)."""

    def add(
        self,
        key_id: str,
        name: str,
        secret_hash: str,
        scopes: Sequence[str],
        owner: str | None,
        at: dt.datetime,
    ) -> None:
        """Store a new key."""
        ...

    def get(self, key_id: str) -> StoredKey | None:
        """One key."""
        ...

    def all(self) -> Sequence[StoredKey]:
        """Every key, oldest first."""
        ...

    def revoke(self, key_id: str, at: dt.datetime) -> bool:
        """Revoke a key; ``False`` when unknown or already revoked."""
        ...


class CheckpointStore(Protocol):
    """Where scheduled audit checkpoints are kept, outside the database."""

    def write(self, name: str, text: str) -> str:
        """Keep ``text`` under ``name`` (never replacing one); returns where it went."""
        ...


class CalendarRepository(Protocol):
    """The economic calendar's releases."""

    def add_events(self, events: Sequence[EconomicEvent], at: dt.datetime) -> int:
        """Store releases, each once by its identity (a known one is kept, its impact and
        kind revised); returns how many were new."""
        ...

    def events_between(self, start: dt.datetime, end: dt.datetime) -> list[EconomicEvent]:
        """The releases from ``start`` to ``end`` (both included), by instant."""
        ...

    def event(self, event_id: str) -> EconomicEvent | None:
        """One release by its id."""
        ...


class NotificationRepository(Protocol):
    """Subscriptions and the outbox (its rows are written with each rule event)."""

    def add_subscription(self, subscription: Subscription) -> None:
        """Store a new subscription."""
        ...

    def subscriptions(self, owner: str | None = None) -> list[Subscription]:
        """Subscriptions, oldest first (``owner``: only that owner's)."""
        ...

    def subscription(self, subscription_id: str) -> Subscription | None:
        """One subscription, or ``None``."""
        ...

    def remove_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription (its undelivered rows fail); False when unknown."""
        ...

    def claim_due(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[Delivery]:
        """Claim up to ``limit`` rows due at ``now`` (pending, or sending with an expired
        lease) until ``lease_until``, counting the attempt; other claimers skip them."""
        ...

    def delivered(self, outbox_id: str, at: dt.datetime) -> None:
        """Record a delivery."""
        ...

    def attempt_failed(self, outbox_id: str, error: str, retry_at: dt.datetime | None) -> None:
        """Record a failed attempt: due again at ``retry_at``, or ``failed`` for good (None)."""
        ...

    def outbox(self, statuses: Sequence[str], limit: int) -> list[OutboxEntry]:
        """Outbox rows in these statuses, oldest first."""
        ...


class AlertRepository(Protocol):
    """The alert levels each account has fired and not re-armed."""

    def fired(self, account_id: str) -> dict[str, Fired]:
        """The fired levels of an account's readings, by key."""
        ...

    def save_fired(self, account_id: str, fired: Mapping[str, Fired], at: dt.datetime) -> None:
        """Replace the fired levels of the given keys."""
        ...


class UnitOfWork(Protocol):
    """One transaction: every repository, one commit."""

    @property
    def accounts(self) -> AccountRepository:
        """Accounts, trackers, states, trades and profile layers."""
        ...

    @property
    def sizing(self) -> SizingRepository:
        """Requests, decisions and reservations."""
        ...

    @property
    def audit(self) -> AuditRepository:
        """Events, audit queries and the chains."""
        ...

    @property
    def market(self) -> MarketRepository:
        """Market data and instruments."""
        ...

    @property
    def jobs(self) -> JobRepository:
        """Job runs and heartbeats."""
        ...

    @property
    def access(self) -> AccessRepository:
        """API keys."""
        ...

    @property
    def calendar(self) -> CalendarRepository:
        """The economic calendar."""
        ...

    @property
    def notifications(self) -> NotificationRepository:
        """Notification subscriptions and the outbox."""
        ...

    @property
    def alerts(self) -> AlertRepository:
        """Fired alert levels."""
        ...

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None:
        """Roll back whatever was not committed, and end the transaction."""
        ...

    def now(self) -> dt.datetime:
        """The transaction's time from the one clock every server shares (the same per call).

        Reservation lifetimes and the order of account states are judged by it, never by a
        server's own clock: two servers whose clocks differ still agree on what is live.
        """
        ...

    def commit(self) -> None:
        """Commit the transaction."""
        ...

    def rollback(self) -> None:
        """Roll the transaction back."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per use case."""

    def __call__(self) -> UnitOfWork:
        """A new unit of work."""
        ...


__all__ = [
    "AccessRepository",
    "AccountRepository",
    "AlertRepository",
    "AuditRepository",
    "ChainBreak",
    "CheckpointStore",
    "Clock",
    "Cursor",
    "JobRepository",
    "JobStatus",
    "MarketRepository",
    "NotificationRepository",
    "Replayable",
    "SizingQuery",
    "SizingRepository",
    "SizingSnapshot",
    "StoredDecision",
    "StoredEvent",
    "StoredKey",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
