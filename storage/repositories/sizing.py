"""The sizing aggregate: request claims, the one load a sizing request decides from, and the
one append that stores its decisions, their shared input parts and reservations, chained."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aria.audit.chain import linked_decision
from aria.audit.record import DecisionRecord
from aria.audit.records import StoredDecision
from aria.stored import SizingQuery, SizingSnapshot
from storage import bulk, translate
from storage.repositories.account_records import recent_trades
from storage.repositories.accounts import ACCOUNTS_WITH_TRACKERS, LOCK, with_trackers
from storage.repositories.chain import Chain
from storage.repositories.reference import read as read_reference
from storage.repositories.reservations import Reservations, live_reservations
from storage.repositories.statements import (
    ACCOUNTS,
    DECISIONS,
    PARTS,
    REQUESTS,
    RESERVATIONS,
    TRACKERS,
    new_id,
)

_FAMILY = ACCOUNTS_WITH_TRACKERS.where(
    ACCOUNTS.c.owner.in_(sa.bindparam("owners", expanding=True)),
    ACCOUNTS.c.id.not_in(sa.bindparam("ids", expanding=True)),
).order_by(ACCOUNTS.c.id)
# The accounts asked for and their owners' other accounts in one statement, where nothing is
# locked row by row: a preview, or SQLite (whose BEGIN IMMEDIATE has serialised writers).
_REQUESTED = ACCOUNTS.c.id.in_(sa.bindparam("ids", expanding=True))
_WITH_FAMILY = ACCOUNTS_WITH_TRACKERS.where(
    sa.or_(
        _REQUESTED,
        ACCOUNTS.c.owner.in_(
            sa.select(ACCOUNTS.c.owner)
            .join(TRACKERS, TRACKERS.c.account_id == ACCOUNTS.c.id)
            .where(_REQUESTED)
            .scalar_subquery()
        ),
    )
).order_by(ACCOUNTS.c.id)


@functools.cache
def _claim_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(REQUESTS)
        .on_conflict_do_nothing(index_elements=["scope", "request_id"])
        .returning(REQUESTS.c.request_id)
    )


class SizingRepository(Reservations):
    """Requests, decisions and reservations (``aria.service.ports.SizingRepository``)."""

    def __init__(self, session: Session, chain: Chain) -> None:
        self.session, self.chain = session, chain

    def for_sizing(self, query: SizingQuery) -> SizingSnapshot:
        ids = {"ids": sorted(set(query.account_ids))}
        # Core statements on the session's connection: the same transaction, without the
        # ORM's per-statement work (these reads load no ORM objects).
        connection = self.session.connection()
        run = connection.execute
        # Locked: the chain heads read under the lock serve the append after it.
        chain = self.chain if query.lock else None
        if query.lock and connection.dialect.name == "postgresql":
            found = with_trackers(run(LOCK, ids), chain)
            owners = sorted({account.owner for account, _ in found.values()})
            others = with_trackers(run(_FAMILY, {"owners": owners, **ids})) if owners else {}
        else:
            rows = run(_WITH_FAMILY, ids).all()
            asked = set(ids["ids"])
            found = with_trackers((row for row in rows if row.id in asked), chain)
            others = with_trackers(row for row in rows if row.id not in asked)
        keys = {key for account, _ in found.values() for key in query.layer_keys(account)}
        held = {p.symbol for _, t in found.values() if t.state for p in t.state.positions}
        reference = read_reference(
            self.session, query.universe, sorted(keys), sorted(held | {query.symbol})
        )
        layers = reference.layers
        readers = [
            account_id
            for account_id in query.account_ids
            if account_id in found and query.reads_trades(found[account_id][0], layers)
        ]
        trades = recent_trades(self.session, readers, query.trade_history) if readers else {}
        live = live_reservations(
            self.session, [a for a in query.account_ids if a in found], query.now
        )
        return SizingSnapshot(
            accounts=found,
            others=others,
            layers=layers,
            trades={a: tuple(t) for a, t in trades.items()},
            reservations={a: tuple(r) for a, r in live.items()},
            instruments=reference.instruments,
            snapshots=reference.snapshots,
            pairs=reference.pairs,
            correlation_head=reference.correlation_head,
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
        values = {
            "scope": scope,
            "request_id": request_id,
            "request_hash": request_hash,
            "request": request,
            "created_at": at,
        }
        connection = self.session.connection()
        statement = _claim_statement(connection.dialect.name)
        return connection.execute(statement, values).first() is not None

    def request_hash(self, request_id: str, *, scope: str = "") -> str | None:
        return self.session.scalar(
            sa.select(REQUESTS.c.request_hash).where(
                REQUESTS.c.scope == scope, REQUESTS.c.request_id == request_id
            )
        )

    def for_request(self, request_id: str, *, scope: str = "") -> list[StoredDecision]:
        query = (
            sa.select(DECISIONS)
            .where(DECISIONS.c.request_scope == scope, DECISIONS.c.request_id == request_id)
            .order_by(DECISIONS.c.account_id)
        )
        return [translate.decision_from_row(row) for row in self.session.execute(query)]

    def decision(self, decision_id: str) -> StoredDecision | None:
        row = self.session.execute(
            sa.select(DECISIONS).where(DECISIONS.c.id == decision_id)
        ).first()
        return translate.decision_from_row(row) if row else None

    def append(
        self,
        request_id: str,
        records: Sequence[DecisionRecord],
        at: dt.datetime,
        *,
        scope: str = "",
    ) -> list[StoredDecision]:
        if not records:
            return []
        # One statement each for the shared parts, the decisions and the reservations; the
        # chain heads move on the tracker rows this transaction has locked.
        parts = {
            part.digest: {"digest": part.digest, "body": part.text, "created_at": at}
            for record in records
            for part in record.parts
        }
        bulk.insert_new(self.session, PARTS, list(parts.values()), "digest")
        heads = self.chain.heads_of({r.decision.account_id for r in records})
        rows: list[dict[str, Any]] = []
        reservations: list[dict[str, Any]] = []
        stored: list[StoredDecision] = []
        moved: dict[str, tuple[int, str]] = {}
        for record in records:
            values = _decision_values(request_id, scope, record, heads, at)
            heads[values["account_id"]] = moved[values["account_id"]] = (
                values["seq"],
                values["hash"],
            )
            rows.append(values)
            reservation = _reservation_values(values["id"], record, at)
            if reservation is not None:
                reservations.append(reservation)
            stored.append(
                StoredDecision(
                    id=values["id"],
                    request_id=request_id,
                    account_id=values["account_id"],
                    seq=values["seq"],
                    decision=record.decision,
                    created_at=at,
                    hash=values["hash"],
                )
            )
        bulk.insert_rows(self.session, DECISIONS, rows)
        bulk.insert_rows(self.session, RESERVATIONS, reservations)
        self.chain.move(moved)
        return stored


def _decision_values(
    request_id: str,
    scope: str,
    record: DecisionRecord,
    heads: dict[str, tuple[int, str]],
    at: dt.datetime,
) -> dict[str, Any]:
    """A decision's row, linked after its account's head."""
    seq, prev_hash = heads[record.decision.account_id]
    return linked_decision(
        record,
        record_id=new_id(),
        request_id=request_id,
        scope=scope,
        seq=seq + 1,
        prev_hash=prev_hash,
        at=at,
    )


def _reservation_values(
    decision_id: str, record: DecisionRecord, at: dt.datetime
) -> dict[str, Any] | None:
    """The reservation an approved decision takes, or ``None``."""
    decision = record.decision
    if not decision.approved or record.reserve_until is None:
        return None
    closing = record.reduce_only  # holds the lots it closes: no risk, no swing
    return {
        "decision_id": decision_id,
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
