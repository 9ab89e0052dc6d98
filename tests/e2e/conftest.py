"""An ARIA API over a fresh SQLite file, with one key per role."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from aria.api.app import create_app
from aria.service.context import Context
from aria.service.keys import create_key
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.engine import make_engine
from storage.uow import SqlUnitOfWork, read_only_factory, unit_of_work_factory
from tests.clocks import SettableClock
from tests.databases import POSTGRES_URL, require_postgres
from tests.e2e.clients import Api
from tests.templates import postgres_copy, sqlite_copy


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(tmp_path: Path, clock: SettableClock) -> Iterator[Api]:
    engine = make_engine(sqlite_copy(tmp_path))
    sessions = unit_of_work_factory(engine)
    readers = read_only_factory(engine)
    context = Context(
        uow=lambda: SqlUnitOfWork(sessions, clock.now),
        reader=lambda: SqlUnitOfWork(readers, clock.now, read_only=True),
        clock=clock,
        catalog=load_catalog(),
        instruments=load_instruments(),
        tokens=secrets.token_hex,
    )
    keys = {
        "admin": create_key(context, "ops", ["admin"]),
        "sizer": create_key(context, "copier", ["size"]),
        "reader": create_key(context, "risk-desk", ["read"]),
        "alice": create_key(context, "alice-bot", ["size", "read"], owner="alice"),
    }
    with TestClient(
        create_app(context, heartbeat_limit=120), raise_server_exceptions=False
    ) as client:
        headers = {name: _headers(key.token) for name, key in keys.items()}
        yield Api(client, context, clock=clock, **headers)
    engine.dispose()


def _database(backend: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    if backend == "sqlite":
        url = sqlite_copy(tmp_path)
        engine = make_engine(url)
        yield url, engine
        engine.dispose()
        return
    require_postgres()
    yield from postgres_copy(POSTGRES_URL)  # a copy of the database migrated once for the run


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated database a server process can open (its URL and an engine): a SQLite file
    or a PostgreSQL database."""
    yield from _database(request.param, tmp_path)


@pytest.fixture
def postgres_database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated PostgreSQL database several processes can share."""
    yield from _database("postgres", tmp_path)
