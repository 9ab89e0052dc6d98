"""The audit aggregate: the trail (:mod:`storage.repositories.audit_trail`) and reading it back
to verify and replay. The rules of verification are :mod:`aria.audit`; here rows are read."""

from __future__ import annotations

import heapq
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aria.audit.chain import GENESIS, Link, first_break, split_inputs
from aria.audit.records import ChainBreak, Replayable
from aria.audit.state import Approved, Held, state_problem
from storage import translate
from storage.repositories.audit_trail import AuditTrail
from storage.repositories.chain import Chain, stored_state
from storage.repositories.statements import (
    ACCOUNTS,
    DECISIONS,
    EVENTS,
    PARTS,
    RESERVATIONS,
    STATE_RECORDS,
    TRACKERS,
    fields,
)

CHUNK = 500  # records a long read holds in memory at a time

# Each table whose rows are links of an account's chain, with the kind of link it holds.
_LINKS: tuple[tuple[sa.Table, str], ...] = (
    (DECISIONS, "decision"),
    (EVENTS, "event"),
    (STATE_RECORDS, "state record"),
)
_HELD = sa.select(*(RESERVATIONS.c[f] for f in Held.__slots__))
_APPROVED = sa.select(
    DECISIONS.c.id,
    DECISIONS.c.lots,
    DECISIONS.c.risk_amount,
    DECISIONS.c.binding,
    DECISIONS.c.decision,
    DECISIONS.c.symbol,
    DECISIONS.c.side,
    DECISIONS.c.created_at,
).order_by(DECISIONS.c.seq)


class AuditRepository(AuditTrail):
    """The per-account audit trails (``aria.service.ports.AuditRepository``)."""

    def __init__(self, session: Session, chain: Chain) -> None:
        self.session, self.chain = session, chain

    def chained_accounts(self) -> list[str]:
        # Every account that has or had a chain: one with its records all deleted still has
        # its account row or its head, and a head whose account row is gone still has records.
        query = sa.union(
            sa.select(ACCOUNTS.c.id),
            sa.select(TRACKERS.c.account_id),
            *(sa.select(table.c.account_id) for table, _ in _LINKS),
        )
        return sorted(self.session.scalars(query))

    def _links(self, table: sa.Table, kind: str, account_id: str) -> Iterator[Link]:
        # Keyset pages by chain position: memory stays bounded however long the chain.
        after = 0
        while True:
            rows = self.session.execute(
                sa.select(table)
                .where(table.c.account_id == account_id, table.c.seq > after)
                .order_by(table.c.seq)
                .limit(CHUNK)
            ).all()
            for row in rows:
                yield Link(kind, fields(row))
            if len(rows) < CHUNK:
                return
            after = rows[-1].seq

    def verify_chain(self, account_id: str) -> ChainBreak | None:
        streams = [self._links(table, kind, account_id) for table, kind in _LINKS]
        links = heapq.merge(*streams, key=lambda link: link.seq)
        return first_break(account_id, links, lambda: self._head(account_id))

    def _head(self, account_id: str) -> tuple[int, str] | None:
        head = self.session.execute(
            sa.select(TRACKERS.c.chain_seq, TRACKERS.c.chain_hash).where(
                TRACKERS.c.account_id == account_id
            )
        ).first()
        return None if head is None else (head.chain_seq, head.chain_hash or GENESIS)

    def heads(self) -> list[tuple[str, int, str]]:
        query = sa.select(TRACKERS.c.account_id, TRACKERS.c.chain_seq, TRACKERS.c.chain_hash)
        return [
            (row.account_id, row.chain_seq, row.chain_hash or GENESIS)
            for row in self.session.execute(query.order_by(TRACKERS.c.account_id))
        ]

    def hash_at(self, account_id: str, seq: int) -> str | None:
        for table, _ in _LINKS:
            found = self.session.scalar(
                sa.select(table.c.hash).where(table.c.account_id == account_id, table.c.seq == seq)
            )
            if found is not None:
                return str(found)
        return None

    def verify_state(self, account_id: str) -> str | None:
        chained = self.session.execute(
            sa.select(STATE_RECORDS.c.kind, STATE_RECORDS.c.body)
            .where(STATE_RECORDS.c.account_id == account_id)
            .order_by(STATE_RECORDS.c.seq)
        )
        stored = {
            kind: stored_state(self.session, kind, {account_id}).get(account_id)
            for kind in ("account", "tracker")
        }
        held = [
            Held(**row._mapping)
            for row in self.session.execute(_HELD.where(RESERVATIONS.c.account_id == account_id))
        ]
        approved = [
            Approved(**row._mapping)
            for row in self.session.execute(
                _APPROVED.where(
                    DECISIONS.c.account_id == account_id, DECISIONS.c.status == "approved"
                )
            )
        ]
        return state_problem(((k, b) for k, b in chained), stored, held, approved)

    def decisions_of(
        self, account_id: str, after: int = 0, limit: int | None = None
    ) -> list[Replayable]:
        query = (
            sa.select(DECISIONS)
            .where(DECISIONS.c.account_id == account_id, DECISIONS.c.seq > after)
            .order_by(DECISIONS.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = self.session.execute(query).all()
        texts = self._parts(
            {
                digest
                for row in rows
                if row.record_format > 1
                for ref in split_inputs(row.inputs)[1].values()
                for digest in ([ref] if isinstance(ref, str) else ref)
            }
        )
        return [translate.replayable_from_row(row, texts) for row in rows]

    def _parts(self, digests: set[str]) -> dict[str, str]:
        if not digests:
            return {}
        query = sa.select(PARTS.c.digest, PARTS.c.body).where(PARTS.c.digest.in_(sorted(digests)))
        return {row.digest: row.body for row in self.session.execute(query)}
