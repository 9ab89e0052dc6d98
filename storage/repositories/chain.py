"""Writing links onto accounts' hash chains; the rules of a link are :mod:`aria.audit.chain`.

The chain head (records counted, hash of the last) lives on the account's tracker row, the
row locked while an account is written. :class:`ChainHeads` keeps the heads a transaction
has read under that lock or moved, so a fan-out reads each head once; the unit of work owns
it and forgets it when its transaction ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence, Set
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aria.audit.chain import GENESIS, STATE_FIELDS, state_body, state_hash
from storage import bulk
from storage.errors import Missing
from storage.repositories.statements import ACCOUNTS, STATE_RECORDS, TRACKERS, fields, new_id

CHANNEL = "aria_changes"  # PostgreSQL's channel of changed accounts (see storage.changes)
_HEADS = sa.select(TRACKERS.c.account_id, TRACKERS.c.chain_seq, TRACKERS.c.chain_hash).where(
    TRACKERS.c.account_id.in_(sa.bindparam("ids", expanding=True))
)
_LOCK_HEADS = _HEADS.order_by(TRACKERS.c.account_id).with_for_update()
# On PostgreSQL, moving a head tells every listening server its account changed: every state
# record, decision and rule event moves its account's chain head, so this is the one place a
# write is announced. The notification is sent in the writing transaction, in the statement
# that moves the heads (one per updated tracker row, whose account the foreign key assures):
# PostgreSQL delivers it at COMMIT, and never for a rolled-back write.
_ANNOUNCE = (
    f"pg_notify('{CHANNEL}', (SELECT owner FROM accounts WHERE accounts.id = v.account_id)"
    " || ':' || v.account_id)"
)


class ChainHeads:
    """Chain heads (seq, hash) one transaction has read or moved, by account."""

    def __init__(self) -> None:
        self._heads: dict[str, tuple[int, str]] = {}

    def get(self, account_id: str) -> tuple[int, str] | None:
        """The head known for an account, or ``None``."""
        return self._heads.get(account_id)

    def put(self, account_id: str, seq: int, chain_hash: str | None) -> None:
        """Remember an account's head (``None``: an empty chain, at the genesis hash)."""
        self._heads[account_id] = (seq, chain_hash or GENESIS)

    def forget(self) -> None:
        """Forget every head: what was read under a lock is stale once the transaction ends."""
        self._heads.clear()


class Chain:
    """Appends to accounts' chains within one session, moving their heads."""

    def __init__(self, session: Session, heads: ChainHeads) -> None:
        self.session, self.heads = session, heads

    def lock(self, account_ids: Set[str]) -> None:
        """Lock these accounts' tracker rows (in id order) before appending to their chains."""
        if not account_ids:
            return
        rows = self.session.execute(_LOCK_HEADS, {"ids": sorted(account_ids)})
        for row in rows:
            self.heads.put(row.account_id, row.chain_seq, row.chain_hash)

    def heads_of(self, account_ids: Set[str]) -> dict[str, tuple[int, str]]:
        """The current heads of these accounts (read from their trackers when not known)."""
        missing = sorted(a for a in account_ids if self.heads.get(a) is None)
        if missing:
            for row in self.session.connection().execute(_HEADS, {"ids": missing}):
                self.heads.put(row.account_id, row.chain_seq, row.chain_hash)
        found = {}
        for account_id in account_ids:
            head = self.heads.get(account_id)
            if head is None:
                raise Missing(f"account {account_id!r} has no tracker")
            found[account_id] = head
        return found

    def move(self, moved: dict[str, tuple[int, str]]) -> None:
        """Store the new heads of the accounts appended to."""
        # On PostgreSQL the same statement announces the change (see _ANNOUNCE).
        bulk.update_rows(
            self.session,
            TRACKERS,
            "account_id",
            [
                {"account_id": account_id, "chain_seq": seq, "chain_hash": chain_hash}
                for account_id, (seq, chain_hash) in moved.items()
            ],
            postgresql_returning=_ANNOUNCE,
        )
        for account_id, (seq, chain_hash) in moved.items():
            self.heads.put(account_id, seq, chain_hash)

    def append_states(self, entries: Sequence[tuple[str, str, str]], at: dt.datetime) -> None:
        """Append state records ``(account id, kind, body)`` to their accounts' chains."""
        if not entries:
            return
        heads = self.heads_of({account_id for account_id, _, _ in entries})
        moved: dict[str, tuple[int, str]] = {}
        rows = []
        for account_id, kind, body in entries:
            seq, prev_hash = heads[account_id]
            values: dict[str, Any] = {
                "id": new_id(),
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
        self.session.execute(STATE_RECORDS.insert(), rows)
        self.move(moved)

    def copy_rows(self, kind: str, account_ids: Set[str], at: dt.datetime) -> None:
        """Chain a copy of these accounts' ``account`` or ``tracker`` rows as stored now."""
        bodies = stored_state(self.session, kind, account_ids)
        self.append_states([(a, kind, bodies[a]) for a in sorted(account_ids)], at)


def stored_state(session: Session, kind: str, account_ids: Set[str]) -> dict[str, str]:
    """The state bodies of these accounts' rows as the database now holds them."""
    # Read back rather than built from what was written: the copy must be what verify reads.
    rows = session.connection().execute(_STORED_STATE[kind], {"ids": sorted(account_ids)})
    return {row.state_key: state_body(kind, fields(row)) for row in rows}


def _stored_state(table: sa.Table, key: sa.Column[str], kind: str) -> Any:
    return sa.select(key.label("state_key"), *(table.c[c] for c in STATE_FIELDS[kind])).where(
        key.in_(sa.bindparam("ids", expanding=True))
    )


_STORED_STATE = {
    "account": _stored_state(ACCOUNTS, ACCOUNTS.c.id, "account"),
    "tracker": _stored_state(TRACKERS, TRACKERS.c.account_id, "tracker"),
}
