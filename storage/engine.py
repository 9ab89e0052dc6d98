"""Engines for SQLite (the embedded default) and PostgreSQL (psycopg 3), with their traps handled.

SQLite, as the SQLAlchemy docs describe for Python 3.11's ``sqlite3``:

- the driver's own transaction handling is switched off and SQLAlchemy's ``begin`` event
  emits ``BEGIN IMMEDIATE`` itself, which makes savepoints behave and takes the write lock at
  the start of every transaction — SQLite has no ``SELECT … FOR UPDATE`` (SQLAlchemy drops
  the clause), so this is what serialises concurrent writers to one account;
- ``PRAGMA foreign_keys = ON`` on every connection (off by default);
- a busy timeout, so a second writer waits instead of failing at once;
- a read-only engine (:func:`read_only`) begins with a plain deferred ``BEGIN``: a long read
  (verify, exports) takes a WAL snapshot and never the write lock, so trading goes on;
- WAL journaling for file databases, so readers do not block the writer, with
  ``synchronous = FULL``: a commit is durable when it returns.

A bare ``postgresql://`` URL would pick psycopg2; it is normalised to ``postgresql+psycopg://``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

_POSTGRES_PREFIXES = ("postgres://", "postgresql://")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that do not name a driver."""
    for prefix in _POSTGRES_PREFIXES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """``url`` fit to print or log: any password is replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show no part of it
        return "<unparseable database URL>"


def scrub_url(text: str, url: str) -> str:
    """``text`` (an error message) with ``url`` and its password masked."""
    text = text.replace(url, display_url(url))
    try:
        password = make_url(url).password
    except Exception:
        password = None
    return text.replace(str(password), "***") if password else text


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url`` with the backend's hooks installed."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        options.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = create_engine(url, **options)
        file_backed = parsed.database not in (None, "", ":memory:")
        _sqlite_hooks(engine, wal=file_backed)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_hooks(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
            # FULL: a commit is on disk before it returns, so an answered decision survives a
            # power cut too (NORMAL would lose the last commits then, though not on a crash).
            cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # deferred: a snapshot, no write lock
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


READ_ONLY = "aria_read_only"  # the execution option that marks a reader's connections


def read_only(engine: Engine) -> Engine:
    """``engine`` for long reads: the same pool, read-only transactions over one snapshot.

    On PostgreSQL the transaction is ``REPEATABLE READ READ ONLY``, so every chunk of a long
    read sees the same moment (a chain and its head agree); on SQLite it is a deferred
    ``BEGIN``, whose first read fixes the snapshot under WAL.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(
            **{READ_ONLY: True},
            isolation_level="REPEATABLE READ",
            postgresql_readonly=True,
        )
    return engine.execution_options(**{READ_ONLY: True})
