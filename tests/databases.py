"""Databases for the integration and end-to-end tests: the PostgreSQL server they use, and
service contexts over an engine."""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from aria.bootstrap import SystemClock
from aria.service.context import Context, ServiceOptions
from aria.service.ports import Clock
from aria.sizing.instruments import InstrumentCatalog
from storage.engine import make_engine
from storage.uow import SqlUnitOfWork, read_only_factory, unit_of_work_factory
from tests.builders import CATALOG, INSTRUMENTS

POSTGRES_URL = os.environ.get(
    "ARIA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    try:
        engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


_PG_PROBLEM: str | bool | None = False


def require_postgres() -> None:
    """Skip the test when PostgreSQL does not answer (fail it in CI, where it must)."""
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _postgres_reachable()
    if _PG_PROBLEM:
        message = f"PostgreSQL at {POSTGRES_URL} does not answer: {_PG_PROBLEM}"
        if os.environ.get("ARIA_CI"):
            pytest.fail(message)
        pytest.skip(message)


def make_context(
    engine: Engine,
    options: ServiceOptions | None = None,
    *,
    clock: Clock | None = None,
    database_time: bool = False,
    instruments: InstrumentCatalog | None = None,
) -> Context:
    """A service context over ``engine`` on ``clock`` (the wall clock when none is given;
    tests pass one of ``tests.clocks``).

    The units of work take their time from that clock on PostgreSQL too, so a test's times
    hold there; ``database_time=True`` takes it from the server, as ARIA does when deployed.
    ``instruments`` replaces the built-in instruments.
    """
    sessions = unit_of_work_factory(engine)
    readers = read_only_factory(engine)
    chosen = clock or SystemClock()
    return Context(
        uow=lambda: SqlUnitOfWork(sessions, chosen.now, database_time=database_time),
        reader=lambda: SqlUnitOfWork(
            readers, chosen.now, database_time=database_time, read_only=True
        ),
        clock=chosen,
        catalog=CATALOG,
        instruments=instruments or INSTRUMENTS,
        options=options or ServiceOptions(),
        tokens=secrets.token_hex,
    )
