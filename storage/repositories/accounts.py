"""The accounts aggregate: accounts with their trackers (the per-account lock).

Every write of an account or a tracker row is chained as a state record, so ``verify`` can
compare the rows with their last chained copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts.model import Account
from accounts.tracker import Tracker
from aria.audit.chain import TRACKER_STATE
from storage import translate
from storage.errors import Missing
from storage.repositories.account_records import AccountRecords
from storage.repositories.chain import Chain
from storage.repositories.statements import ACCOUNTS, TRACKERS, fields

_TRACKER_PREFIX = "tracker_"
ACCOUNTS_WITH_TRACKERS = sa.select(
    ACCOUNTS, *(c.label(_TRACKER_PREFIX + c.name) for c in TRACKERS.c)
).join(TRACKERS, TRACKERS.c.account_id == ACCOUNTS.c.id)
_BY_IDS = ACCOUNTS.c.id.in_(sa.bindparam("ids", expanding=True))
READ = ACCOUNTS_WITH_TRACKERS.where(_BY_IDS).order_by(ACCOUNTS.c.id)
# The tracker rows are the lock, taken in id order so two transactions locking overlapping
# sets cannot deadlock; SQLite ignores FOR UPDATE, as its BEGIN IMMEDIATE has already
# serialised writers.
LOCK = ACCOUNTS_WITH_TRACKERS.where(_BY_IDS).order_by(ACCOUNTS.c.id).with_for_update(of=TRACKERS)
_SAVE_TRACKER = (
    TRACKERS.update()
    .where(TRACKERS.c.account_id == sa.bindparam("tracker_account"))
    .values({name: sa.bindparam(name) for name in (*TRACKER_STATE, "updated_at")})
)


class TrackerColumns:
    """The tracker columns of a joined account-and-tracker row, by their own names."""

    __slots__ = ("_mapping",)

    def __init__(self, row: sa.Row[Any]) -> None:
        self._mapping = fields(row)

    def __getattr__(self, name: str) -> Any:
        return self._mapping[_TRACKER_PREFIX + name]


def with_trackers(rows: Any, chain: Chain | None = None) -> dict[str, tuple[Account, Tracker]]:
    """Accounts and trackers of joined rows (remembering their chain heads when locked)."""
    found = {}
    for row in rows:
        tracker = TrackerColumns(row)
        if chain is not None:
            chain.heads.put(row.id, tracker.chain_seq, tracker.chain_hash)
        found[row.id] = (translate.cached_account(row), translate.cached_tracker(tracker))
    return found


class AccountRepository(AccountRecords):
    """Accounts and trackers (``aria.service.ports.AccountRepository``)."""

    def __init__(self, session: Session, chain: Chain) -> None:
        self.session, self.chain = session, chain

    def add(self, account: Account, tracker: Tracker, at: dt.datetime) -> None:
        self.session.execute(
            ACCOUNTS.insert(), translate.account_values(account, at) | {"created_at": at}
        )
        self.session.execute(
            TRACKERS.insert(), {"account_id": account.id, **translate.tracker_values(tracker, at)}
        )
        self.chain.copy_rows("account", {account.id}, at)
        self.chain.copy_rows("tracker", {account.id}, at)

    def get(self, account_id: str) -> Account | None:
        row = self.session.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.id == account_id)).first()
        return translate.account_from_row(row) if row else None

    def get_many(self, account_ids: Sequence[str]) -> dict[str, Account]:
        if not account_ids:
            return {}
        query = sa.select(ACCOUNTS).where(ACCOUNTS.c.id.in_(sorted(set(account_ids))))
        return {row.id: translate.account_from_row(row) for row in self.session.execute(query)}

    def select(
        self, *, owner: str | None = None, firm: str | None = None, strategy: str | None = None
    ) -> list[Account]:
        query = sa.select(ACCOUNTS).order_by(ACCOUNTS.c.id)
        for column, value in (
            (ACCOUNTS.c.owner, owner),
            (ACCOUNTS.c.firm, firm),
            (ACCOUNTS.c.strategy, strategy),
        ):
            if value is not None:
                query = query.where(column == value)
        return [translate.account_from_row(row) for row in self.session.execute(query)]

    def ids(self) -> list[str]:
        return list(self.session.scalars(sa.select(ACCOUNTS.c.id).order_by(ACCOUNTS.c.id)))

    def of_owners(self, owners: Sequence[str]) -> list[Account]:
        if not owners:
            return []
        query = (
            sa.select(ACCOUNTS)
            .where(ACCOUNTS.c.owner.in_(sorted(set(owners))))
            .order_by(ACCOUNTS.c.id)
        )
        return [translate.account_from_row(row) for row in self.session.execute(query)]

    def read(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        return with_trackers(self.session.execute(READ, {"ids": sorted(set(account_ids))}))

    def lock(self, account_ids: Sequence[str]) -> dict[str, tuple[Account, Tracker]]:
        # The chain heads read under the lock serve the appends after it.
        rows = self.session.execute(LOCK, {"ids": sorted(set(account_ids))})
        return with_trackers(rows, self.chain)

    def save(self, account: Account, at: dt.datetime) -> None:
        values = translate.account_values(account, at)
        result = self.session.execute(
            ACCOUNTS.update()
            .where(ACCOUNTS.c.id == account.id)
            .values(values)
            .returning(ACCOUNTS.c.id)
        )
        if result.first() is None:
            raise Missing(f"account {account.id!r} is not stored")
        self.chain.copy_rows("account", {account.id}, at)

    def lock_trackers(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        query = (
            sa.select(TRACKERS)
            .where(TRACKERS.c.account_id.in_(sorted(set(account_ids))))
            .order_by(TRACKERS.c.account_id)
            .with_for_update()
        )
        locked = {}
        for row in self.session.execute(query):
            self.chain.heads.put(row.account_id, row.chain_seq, row.chain_hash)
            locked[row.account_id] = translate.tracker_from_row(row)
        return locked

    def trackers(self, account_ids: Sequence[str]) -> dict[str, Tracker]:
        if not account_ids:
            return {}
        query = sa.select(TRACKERS).where(TRACKERS.c.account_id.in_(sorted(set(account_ids))))
        return {
            row.account_id: translate.tracker_from_row(row) for row in self.session.execute(query)
        }

    def save_tracker(self, account_id: str, tracker: Tracker, at: dt.datetime) -> None:
        self.save_trackers([(account_id, tracker)], at)

    def save_trackers(self, trackers: Sequence[tuple[str, Tracker]], at: dt.datetime) -> None:
        if not trackers:
            return
        rows = [
            {"tracker_account": account_id, **translate.tracker_values(tracker, at)}
            for account_id, tracker in trackers
        ]
        result = self.session.connection().execute(_SAVE_TRACKER, rows)
        if result.rowcount not in (-1, len(rows)):
            raise Missing("an account has no tracker")
        self.chain.copy_rows("tracker", {account_id for account_id, _ in trackers}, at)
