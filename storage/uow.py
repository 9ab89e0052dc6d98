"""The unit of work: one session, one transaction, every repository; the service owns it."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.orm import Session, sessionmaker

from storage import repositories as repos
from storage.engine import read_only
from storage.errors import Conflict, OutcomeUnknown, Refused, Unavailable

_CONNECTION_ERRORS = (OperationalError, InterfaceError)


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, _CONNECTION_ERRORS):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class SqlUnitOfWork:
    """A transaction over one session (``aria.service.ports.UnitOfWork``).

    Leaving the ``with`` block without :meth:`commit` rolls everything back. A lost
    connection surfaces as :class:`storage.errors.Unavailable` (nothing was written), or as
    :class:`storage.errors.OutcomeUnknown` when it was lost during COMMIT.

    :meth:`now` is the one time every server agrees on. On PostgreSQL it is the database's
    transaction time, so servers whose own clocks differ still write and read reservation
    lifetimes and state times against one clock. SQLite has no server: it is a file that
    the processes of one machine open, one writer at a time, so the process clock
    (``clock``) is that authority there. ``database_time=False`` makes PostgreSQL use
    ``clock`` too, for a deployment that pins the time itself (tests that freeze it).

    ``read_only`` units (sessions from :func:`read_only_factory`) are for long reads such as
    verify: they neither queue on this process's writer lock nor take SQLite's write lock.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], dt.datetime],
        *,
        database_time: bool = True,
        read_only: bool = False,
    ) -> None:
        self._sessions = sessions
        self._read_only = read_only
        self._session: Session | None = None
        self._writer: threading.RLock | None = None
        self._clock = clock
        self._database_time = database_time
        self._now: dt.datetime | None = None
        # What this unit's transaction learnt under its locks: stale once it ends.
        self._heads = repos.ChainHeads()

    def __enter__(self) -> Self:
        self._writer = None if self._read_only else _writer_lock(self._sessions)
        if self._writer is not None:
            self._writer.acquire()
        try:
            session = self._session = self._sessions()
        except BaseException:
            self._release()
            raise
        chain = repos.Chain(session, self._heads)
        self.accounts = repos.AccountRepository(session, chain)
        self.sizing = repos.SizingRepository(session, chain)
        self.audit = repos.AuditRepository(session, chain)
        self.market = repos.MarketRepository(session)
        self.jobs = repos.JobRepository(session)
        self.access = repos.AccessRepository(session)
        self.calendar = repos.CalendarRepository(session)
        self.notifications = repos.NotificationRepository(session)
        self.alerts = repos.AlertRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        self._now = None
        self._heads.forget()
        if session is None:
            self._release()
            return
        try:
            session.rollback()
        except Exception:
            pass
        finally:
            session.close()
            self._release()
        if exc is not None:
            _translate(exc)

    def _release(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.release()

    def now(self) -> dt.datetime:
        """The transaction's time, from the shared authority; the same for every call in it."""
        assert self._session is not None, "now() outside a unit of work"
        if self._now is None:
            bind = self._session.get_bind()
            if self._database_time and bind.dialect.name == "postgresql":
                # now() is the transaction's start on the server: one clock for every server,
                # and fixed for the transaction, so what it writes and what it reads agree.
                found = self._session.execute(sa.text("SELECT now()")).scalar_one()
            else:
                found = self._clock()
            if found.tzinfo is None or found.utcoffset() is None:
                raise ValueError(f"the clock gave a naive time {found!r}")
            self._now = found.astimezone(dt.UTC)
        return self._now

    def commit(self) -> None:
        """Commit the transaction."""
        assert self._session is not None, "commit outside a unit of work"
        self._now = None  # a later statement runs in a new transaction, at a new time
        self._heads.forget()
        try:
            # Pending writes go out before COMMIT: a failure here has written nothing.
            self._session.flush()
        except Exception as exc:
            _translate(exc)
            raise
        try:
            self._session.commit()
        except Exception as exc:
            if _unavailable(exc):
                # COMMIT was sent: the server may have made it durable before the answer was
                # lost, so "nothing was written" could be a lie.
                raise OutcomeUnknown(
                    f"the database connection failed while committing: {_reason(exc)};"
                    " the outcome is unknown; retry with the same request_id, which returns"
                    " the stored decision if there is one"
                ) from exc
            raise

    def rollback(self) -> None:
        """Roll the transaction back."""
        self._now = None
        self._heads.forget()
        if self._session is not None:
            self._session.rollback()


def _translate(exc: BaseException) -> None:
    """Raise the storage error a database error before COMMIT stands for (nothing was written)."""
    if _unavailable(exc):
        raise Unavailable(
            f"the database is unavailable: {_reason(exc)}; nothing was written"
        ) from exc
    if isinstance(exc, IntegrityError):
        # A concurrent request stored the same key first (a race the checks before the write
        # cannot close): the client's request conflicts with what is now stored.
        raise Conflict(
            f"a concurrent request stored a conflicting record first: {_reason(exc)};"
            " nothing was written"
        ) from exc
    if isinstance(exc, DataError) or (
        # A value the column types refuse before it is sent (storage.types: a naive time,
        # a non-finite amount).
        isinstance(exc, StatementError) and isinstance(exc.orig, ValueError)
    ):
        raise Refused(f"the database refused a value: {_reason(exc)}; nothing was written") from exc


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )


def unit_of_work_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory units of work are made from."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def read_only_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory of read-only units of work (see :func:`storage.engine.read_only`)."""
    return unit_of_work_factory(read_only(engine))


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer_lock(sessions: sessionmaker[Session]) -> threading.RLock | None:
    """The lock that queues this process's units of work on a SQLite database.

    SQLite lets one writer in at a time and makes the others retry with growing sleeps,
    which under load turns into seconds of tail latency; waiting in line on a lock is fair
    and wakes at once. Other processes still meet SQLite's busy timeout. PostgreSQL locks
    rows instead, so it needs none.
    """
    engine = sessions.kw.get("bind")
    if not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
        return None
    with _WRITERS_LOCK:
        lock = _WRITERS.get(engine)
        if lock is None:
            lock = _WRITERS[engine] = threading.RLock()
    return lock
