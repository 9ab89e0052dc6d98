"""ORM rows: the database shape of ARIA's data. ``…Row`` classes never leave ``storage``.

Append-only tables (``sizing_decisions``, ``rule_events``, ``state_records``) carry each
account's hash chain: ``seq`` numbers every record of one account across the three tables,
and ``hash`` is ``H(prev_hash, record)`` (see :mod:`aria.audit.chain`). The chain head
lives on the account's tracker row, which is the row locked while an account is written.
The mutable rows that move a floor or headroom (the account, its tracker, reservations'
status) are chained as state records whenever they change, and ``verify`` compares them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import ExactDecimal, JSONDoc, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention Alembic needs for batch migrations."""

    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        Decimal: ExactDecimal(),
        dict[str, Any]: JSONDoc,
        list[Any]: JSONDoc,
    }

    if TYPE_CHECKING:
        # Every row class here is mapped to a ``Table`` of its own (``__tablename__``), never
        # to another kind of FromClause, so its ``__table__`` has the Table's insert/update.
        __table__: ClassVar[sa.Table]


Id = sa.String(64)


class AccountRow(Base):
    """An account: who owns it, the rules it was bought under, how it sizes, its trading state."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    owner: Mapped[str] = mapped_column(Id, index=True)
    household: Mapped[str | None] = mapped_column(Id, nullable=True)
    firm: Mapped[str] = mapped_column(Id, index=True)
    plan: Mapped[str] = mapped_column(Id)
    phase: Mapped[str] = mapped_column(Id)
    rulebook_version: Mapped[str] = mapped_column(sa.String(64))
    currency: Mapped[str] = mapped_column(sa.String(8))
    initial_balance: Mapped[Decimal]
    profile: Mapped[str] = mapped_column(Id)
    strategy: Mapped[str | None] = mapped_column(Id, index=True)
    personality: Mapped[dict[str, Any]]
    # What the account itself narrows its firm's instruments to (null: all the firm allows),
    # and its checkout options as {name: decimal text}.
    instruments: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(
        JSONDoc, default=dict, server_default=sa.text("'{}'")
    )
    trading_status: Mapped[str] = mapped_column(sa.String(16))
    halt_kind: Mapped[str | None] = mapped_column(sa.String(16))
    halt_reason: Mapped[str | None] = mapped_column(sa.Text)
    halt_since: Mapped[dt.datetime | None]
    halt_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # The broker's symbols for ARIA's instruments, {broker symbol: ARIA symbol}.
    symbol_aliases: Mapped[dict[str, Any]] = mapped_column(
        JSONDoc, default=dict, server_default=sa.text("'{}'")
    )


class TrackerRow(Base):
    """Per-account mutable state: the latest broker state, peaks, the day, the chain head.

    This is the row an account's writers lock (``SELECT … FOR UPDATE`` on PostgreSQL).
    """

    __tablename__ = "account_trackers"

    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"), primary_key=True)
    balance: Mapped[Decimal | None]
    equity: Mapped[Decimal | None]
    state_as_of: Mapped[dt.datetime | None]
    positions: Mapped[list[Any]]
    peak_intraday_equity: Mapped[Decimal]
    peak_eod_balance: Mapped[Decimal]
    peak_closed_balance: Mapped[Decimal]
    peaks_as_of: Mapped[dt.datetime | None]
    day_starts_at: Mapped[dt.datetime | None]
    day_balance: Mapped[Decimal | None]
    day_equity: Mapped[Decimal | None]
    day_equity_high: Mapped[Decimal | None]
    near_floor_streak: Mapped[int] = mapped_column(default=0)
    # What cash flows did: the net flow, payouts paid and requested, a floor a payout fixed.
    cash_net: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    cash_payouts: Mapped[int] = mapped_column(default=0, server_default="0")
    cash_requests: Mapped[int] = mapped_column(default=0, server_default="0")
    cash_max_loss_floor: Mapped[Decimal | None]
    # The firm's open-risk violations so far, and whether the latest state is still over.
    risk_violations: Mapped[int] = mapped_column(default=0, server_default="0")
    over_risk_cap: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    chain_seq: Mapped[int] = mapped_column(default=0)
    chain_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    updated_at: Mapped[dt.datetime]


class StateRow(Base):
    """Every account state pushed, for reports (equity against floors over time)."""

    __tablename__ = "account_states"
    __table_args__ = (sa.Index("ix_account_states_account_as_of", "account_id", "as_of"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"))
    balance: Mapped[Decimal]
    equity: Mapped[Decimal]
    as_of: Mapped[dt.datetime]
    positions: Mapped[list[Any]]
    daily_floor: Mapped[Decimal | None]
    max_loss_floor: Mapped[Decimal | None]
    received_at: Mapped[dt.datetime]


class TradeRow(Base):
    """A closed trade."""

    __tablename__ = "trades"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "external_id", name="uq_trades_account_external"),
        sa.Index("ix_trades_account_closed", "account_id", "closed_at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"))
    external_id: Mapped[str | None] = mapped_column(sa.String(128))
    symbol: Mapped[str] = mapped_column(sa.String(32))
    side: Mapped[str] = mapped_column(sa.String(8))
    lots: Mapped[Decimal]
    entry: Mapped[Decimal]
    exit: Mapped[Decimal]
    pnl: Mapped[Decimal]
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime]
    decision_id: Mapped[str | None] = mapped_column(Id)


class InstrumentRow(Base):
    """An instrument added or overridden at run time (the built-ins live in a file)."""

    __tablename__ = "instruments"

    symbol: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    spec: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]


class BarRow(Base):
    """One OHLC bar. Bars only feed float64 analytics, so they are stored as doubles."""

    __tablename__ = "bars"

    symbol: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    timeframe: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    ts: Mapped[dt.datetime] = mapped_column(primary_key=True)
    open: Mapped[float] = mapped_column(sa.Double)
    high: Mapped[float] = mapped_column(sa.Double)
    low: Mapped[float] = mapped_column(sa.Double)
    close: Mapped[float] = mapped_column(sa.Double)
    volume: Mapped[float | None] = mapped_column(sa.Double)


class SnapshotRow(Base):
    """Volatility of a symbol as the volatility job last computed it."""

    __tablename__ = "market_snapshots"
    __table_args__ = (sa.Index("ix_market_snapshots_symbol_computed", "symbol", "computed_at"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    symbol: Mapped[str] = mapped_column(sa.String(32))
    timeframe: Mapped[str] = mapped_column(sa.String(8))
    as_of: Mapped[dt.datetime]  # the last bar's time
    atr: Mapped[Decimal | None]
    atr_percentile: Mapped[Decimal | None]
    regime: Mapped[str | None] = mapped_column(sa.String(16))
    daily_volatility: Mapped[Decimal | None]
    last_close: Mapped[Decimal]
    bars: Mapped[int]
    computed_at: Mapped[dt.datetime]


class CorrelationRow(Base):
    """A correlation matrix of one symbol universe; every computation is a new version."""

    __tablename__ = "correlation_matrices"
    __table_args__ = (
        sa.UniqueConstraint("universe", "version", name="uq_correlation_matrices_universe_version"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    universe: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[int]
    as_of: Mapped[dt.datetime]
    computed_at: Mapped[dt.datetime]
    symbols: Mapped[list[Any]]
    matrix: Mapped[list[Any]]  # rows of floats, null where undefined
    observations: Mapped[list[Any]]


class RequestRow(Base):
    """A sizing request id, claimed once in its scope: the key of idempotency.

    The scope is ``owner:<owner>`` for a key limited to one owner and ``''`` for the
    unrestricted keys, so one owner can neither read nor take another's ids.
    """

    __tablename__ = "sizing_requests"
    __table_args__ = (sa.PrimaryKeyConstraint("scope", "request_id", name="pk_sizing_requests"),)

    scope: Mapped[str] = mapped_column(sa.String(80), server_default="")
    request_id: Mapped[str] = mapped_column(sa.String(128))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    request: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]


class DecisionRow(Base):
    """A sizing decision: append-only, chained per account, replayable from ``inputs``."""

    __tablename__ = "sizing_decisions"
    __table_args__ = (
        sa.UniqueConstraint(
            "request_scope", "request_id", "account_id", name="uq_sizing_decisions_request_account"
        ),
        sa.ForeignKeyConstraint(
            ["request_scope", "request_id"],
            ["sizing_requests.scope", "sizing_requests.request_id"],
            name="fk_sizing_decisions_request_scope_sizing_requests",
        ),
        sa.Index("ix_sizing_decisions_account_seq", "account_id", "seq"),
        sa.Index("ix_sizing_decisions_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    request_id: Mapped[str] = mapped_column(sa.String(128))
    # Not hashed: it says who may replay the request, not what was decided.
    request_scope: Mapped[str] = mapped_column(sa.String(80), server_default="")
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"))
    seq: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16))
    symbol: Mapped[str] = mapped_column(sa.String(32), index=True)
    side: Mapped[str] = mapped_column(sa.String(8))
    strategy: Mapped[str | None] = mapped_column(Id, index=True)
    lots: Mapped[Decimal]
    risk_amount: Mapped[Decimal]
    codes: Mapped[str] = mapped_column(sa.String(512))  # ",code,code," for portable filtering
    binding: Mapped[str | None] = mapped_column(sa.String(64))
    # JSON kept as the exact text that was hashed (format 2); format 1 kept parsed JSON.
    decision: Mapped[str] = mapped_column(sa.Text)
    inputs: Mapped[str] = mapped_column(sa.Text)
    input_hash: Mapped[str] = mapped_column(sa.String(64))
    record_format: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[dt.datetime]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class InputPartRow(Base):
    """A part of decision inputs shared by many decisions (a profile, a rule set, a request…).

    Stored once under the SHA-256 of its JSON text; decisions refer to it by that digest,
    and the audit checks the text still hashes to it.
    """

    __tablename__ = "input_parts"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime]


class ReservationRow(Base):
    """Risk held for an approved decision until a state push shows its position."""

    __tablename__ = "reservations"
    __table_args__ = (sa.Index("ix_reservations_account_status", "account_id", "status"),)

    decision_id: Mapped[str] = mapped_column(
        Id, sa.ForeignKey("sizing_decisions.id"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"))
    symbol: Mapped[str] = mapped_column(sa.String(32))
    side: Mapped[str] = mapped_column(sa.String(8))
    lots: Mapped[Decimal]
    amount: Mapped[Decimal]
    swing: Mapped[Decimal | None]  # take-profit back to the stop; NULL: unknown (unbounded)
    # A reduce-only approval holds the lots it will close (amount and swing 0).
    reduce_only: Mapped[bool] = mapped_column(server_default=sa.false())
    expires_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(16))  # live, matched, cancelled, expired
    created_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]


class EventRow(Base):
    """A rule event (reset, halt, breach, override…): append-only, chained per account."""

    __tablename__ = "rule_events"
    __table_args__ = (
        sa.Index("ix_rule_events_account_seq", "account_id", "seq"),
        sa.Index("ix_rule_events_at", "at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    detail: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(sa.String(128))
    reason: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[dt.datetime]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class StateRecordRow(Base):
    """A chained copy of risk-critical state as it was written: append-only, chained per account.

    ``kind`` is ``account`` or ``tracker`` (``body`` holds the row's columns) or ``released``
    (``body`` names reservations that stopped being live and their new status). ``body`` is
    the exact canonical JSON text that was hashed.
    """

    __tablename__ = "state_records"
    __table_args__ = (sa.Index("ix_state_records_account_seq", "account_id", "seq"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[dt.datetime]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class JobRunRow(Base):
    """A job's claim of its business slot: one row per (job, run key), so a slot runs once."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job_id", "run_key", name="uq_job_runs_job_key"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    job_id: Mapped[str] = mapped_column(sa.String(64))
    run_key: Mapped[str] = mapped_column(sa.String(128))
    claimed_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[dict[str, Any]]


class ProfileLayerRow(Base):
    """A profile layer for a firm plan (``ftmo/2-step``), an account or a strategy."""

    __tablename__ = "profile_layers"

    scope: Mapped[str] = mapped_column(
        sa.String(16), primary_key=True
    )  # firm_plan | account | strategy
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    layer: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]


class HeartbeatRow(Base):
    """The scheduler's last sign of life."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    beat_at: Mapped[dt.datetime]


class ApiKeyRow(Base):
    """An API key: only the SHA-256 of its secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list[Any]]
    owner: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class EconomicEventRow(Base):
    """A scheduled economic release of the calendar; its id is its identity (instant,
    currency and title), so the same release imported twice is one row."""

    __tablename__ = "economic_events"
    __table_args__ = (sa.Index("ix_economic_events_at", "at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    at: Mapped[dt.datetime]
    currency: Mapped[str] = mapped_column(sa.String(3))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    impact: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str | None] = mapped_column(sa.String(32))
    imported_at: Mapped[dt.datetime]


class SubscriptionRow(Base):
    """Where notifications of some event kinds go: a signed webhook or an apprise URL.

    ``owner`` None: every owner's events (an administrator's subscription). The webhook's
    secret is stored to sign each delivery; it is shown once, when the subscription is made.
    """

    __tablename__ = "notification_subscriptions"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    owner: Mapped[str | None] = mapped_column(Id, index=True)
    kinds: Mapped[list[Any]]
    channel: Mapped[str] = mapped_column(sa.String(16))
    target: Mapped[str] = mapped_column(sa.Text)
    secret: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime]


class OutboxRow(Base):
    """One rule event to deliver to one subscription, written with the event.

    ``status``: ``pending`` (due at ``next_attempt_at``), ``sending`` (claimed until
    ``next_attempt_at``, the lease: a claim whose process died is due again after it),
    ``delivered`` or ``failed`` (attempts exhausted).
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (sa.Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    event_id: Mapped[str] = mapped_column(Id)
    subscription_id: Mapped[str] = mapped_column(sa.String(32))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(sa.Integer)
    next_attempt_at: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]


class AlertStateRow(Base):
    """The alert levels of one account's reading fired in its epoch and not re-armed since."""

    __tablename__ = "alert_states"

    account_id: Mapped[str] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    epoch: Mapped[str] = mapped_column(sa.String(32))
    levels: Mapped[list[Any]]
    updated_at: Mapped[dt.datetime]


class RevisionRow(Base):
    """A counter per family of rarely-changing tables, moved by every write to them."""

    __tablename__ = "revisions"

    # instruments | profile_layers | market_snapshots
    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(sa.BigInteger)
