"""Reservations: the risk approved decisions hold until their positions show, expire or are
cancelled. Each release is chained on its account as a ``released`` state record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence, Set
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts.model import Side
from aria.audit.chain import released_body
from aria.sizing.inputs import Reservation
from storage import translate
from storage.repositories.chain import Chain
from storage.repositories.statements import RESERVATIONS

_LIVE = (
    sa.select(
        RESERVATIONS.c.account_id,
        RESERVATIONS.c.decision_id,
        RESERVATIONS.c.amount,
        RESERVATIONS.c.swing,
        RESERVATIONS.c.expires_at,
        RESERVATIONS.c.symbol,
        RESERVATIONS.c.side,
        RESERVATIONS.c.lots,
        RESERVATIONS.c.reduce_only,
    )
    .where(
        RESERVATIONS.c.account_id.in_(sa.bindparam("ids", expanding=True)),
        RESERVATIONS.c.status == "live",
        RESERVATIONS.c.expires_at > sa.bindparam("now"),
    )
    .order_by(RESERVATIONS.c.account_id, RESERVATIONS.c.created_at, RESERVATIONS.c.decision_id)
)


def live_reservations(
    session: Session, account_ids: Sequence[str], now: dt.datetime
) -> dict[str, list[Reservation]]:
    """Live reservations per account at ``now``."""
    result: dict[str, list[Reservation]] = {account_id: [] for account_id in account_ids}
    if not account_ids:
        return result
    for row in session.connection().execute(_LIVE, {"ids": sorted(set(account_ids)), "now": now}):
        result[row.account_id].append(translate.reservation_from_row(row))
    return result


class Reservations:
    """Reading and releasing reservations (the accounts released on are locked)."""

    session: Session
    chain: Chain

    def live_reservations(
        self, account_ids: Sequence[str], now: dt.datetime
    ) -> dict[str, list[Reservation]]:
        return live_reservations(self.session, account_ids, now)

    def _close(self, where: Any, status: str, at: dt.datetime) -> int:
        statement = (
            RESERVATIONS.update()
            .where(RESERVATIONS.c.status == "live", where)
            .values(status=status, closed_at=at)
            .returning(RESERVATIONS.c.account_id, RESERVATIONS.c.decision_id)
        )
        # RETURNING, not rowcount: psycopg 3 reports -1 for some statements.
        closed: dict[str, list[str]] = {}
        for row in self.session.execute(statement):
            closed.setdefault(row.account_id, []).append(row.decision_id)
        self.chain.append_states(
            [(a, "released", released_body(status, ids)) for a, ids in sorted(closed.items())],
            at,
        )
        return sum(map(len, closed.values()))

    def match_reservations(
        self, account_id: str, decision_ids: Sequence[str], at: dt.datetime
    ) -> int:
        if not decision_ids:
            return 0
        where = sa.and_(
            RESERVATIONS.c.account_id == account_id,
            RESERVATIONS.c.decision_id.in_(sorted(set(decision_ids))),
        )
        return self._close(where, "matched", at)

    def settle_closes(
        self, account_id: str, still_open: Set[tuple[str, Side]], at: dt.datetime
    ) -> int:
        closes = self.session.execute(
            sa.select(RESERVATIONS.c.decision_id, RESERVATIONS.c.symbol, RESERVATIONS.c.side).where(
                RESERVATIONS.c.account_id == account_id,
                RESERVATIONS.c.status == "live",
                RESERVATIONS.c.reduce_only.is_(True),
            )
        ).all()
        done = [
            row.decision_id
            for row in closes
            if (row.symbol, Side(row.side).opposite) not in still_open
        ]
        return self.match_reservations(account_id, done, at) if done else 0

    def cancel_reservation(self, decision_id: str, at: dt.datetime) -> str | None:
        account_id = self.session.scalar(
            sa.select(RESERVATIONS.c.account_id).where(RESERVATIONS.c.decision_id == decision_id)
        )
        if account_id is None:
            return None
        self.chain.lock({account_id})
        closed = self._close(RESERVATIONS.c.decision_id == decision_id, "cancelled", at)
        return account_id if closed else None

    def expire_reservations(self, now: dt.datetime) -> int:
        due = RESERVATIONS.c.status == "live", RESERVATIONS.c.expires_at <= now
        accounts = set(
            self.session.scalars(sa.select(RESERVATIONS.c.account_id).where(*due).distinct())
        )
        self.chain.lock(accounts)
        # Only the accounts locked: a reservation due by ``now`` cannot be written after it.
        where = sa.and_(*due, RESERVATIONS.c.account_id.in_(sorted(accounts)))
        return self._close(where, "expired", now) if accounts else 0
