"""Revision counters of rarely-changing tables, and the per-process cache they key.

Every write to a family (instruments, profile layers, volatility snapshots) moves the family's
row in ``revisions`` in its own transaction, so other processes sharing the database see the
change with the data. Counters start at random values and move by random steps, so one revision
names one history of the family's rows, whatever database (or copy, or restored backup) it is
read from. A reader takes the counters before the data it caches; what it read is
kept only when the counter is still the same after the read, and never from a transaction that
moved a counter itself (it could roll back, and the revision come again with other data).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from storage.repositories.statements import REVISIONS

INSTRUMENTS: Final = "instruments"
LAYERS: Final = "profile_layers"
SNAPSHOTS: Final = "market_snapshots"

_BUMP = (
    sa.update(REVISIONS)
    .where(REVISIONS.c.name == sa.bindparam("family"))
    .values(revision=REVISIONS.c.revision + sa.bindparam("step"))
)


def _step() -> int:
    # A random step, not 1: a database restored from a backup (or copied) and written to
    # again does not come back to a revision a process cached from the other history.
    return secrets.randbits(31) + 1


_READ = sa.select(REVISIONS.c.name, REVISIONS.c.revision)
_MOVED = "aria_revisions_moved"  # session.info: the transaction that moved a counter


def bump(session: Session, family: str) -> None:
    """Move ``family``'s counter in the session's transaction (a write to it is in there)."""
    session.connection().execute(_BUMP, {"family": family, "step": _step()})
    session.info[_MOVED] = session.get_transaction()


def bump_on(connection: Connection, family: str) -> None:
    """Move ``family``'s counter on ``connection``, for a write made there outside a session."""
    connection.execute(_BUMP, {"family": family, "step": _step()})


def moved_here(session: Session) -> bool:
    """Whether the session's open transaction has moved a counter."""
    moved = session.info.get(_MOVED)
    return moved is not None and moved is session.get_transaction()


def read(connection: Connection) -> dict[str, int]:
    """Every family's counter."""
    return {row.name: row.revision for row in connection.execute(_READ)}


def key(connection: Connection, family: str, revisions: Mapping[str, int]) -> Hashable | None:
    """The cache key of ``family`` at ``revisions`` (``None``: not cacheable, no counter)."""
    revision = revisions.get(family)
    return None if revision is None else (connection.engine.url, family, revision)


class RevisionCache:
    """A bounded, thread-safe map from revision keys to what was read at that revision."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable | None) -> Any:
        """The value kept under ``key``, or ``None``."""
        if key is None:
            return None
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable | None, value: Any) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used beyond the bound."""
        if key is None:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
