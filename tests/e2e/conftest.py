"""An ARIA API over a fresh SQLite file, with one key per role."""

from __future__ import annotations

import atexit
import functools
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from aria.api.app import create_app
from aria.bootstrap import SystemClock
from aria.service.context import Context
from aria.service.keys import create_key
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.engine import make_engine
from storage.schema import upgrade
from storage.uow import SqlUnitOfWork, read_only_factory, unit_of_work_factory
from tests.integration.conftest import POSTGRES_URL, _require_postgres


@dataclass
class Api:
    """A test client and a key for each role."""

    client: TestClient
    context: Context
    admin: dict[str, str]
    sizer: dict[str, str]
    reader: dict[str, str]
    alice: dict[str, str]  # size + read, restricted to alice's accounts


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@functools.cache
def _migrated_sqlite() -> Path:
    """A SQLite file migrated once per run; each API copies it (migrations have their tests)."""
    path = Path(tempfile.mkdtemp(prefix="aria-e2e-")) / "aria.db"
    atexit.register(shutil.rmtree, path.parent, True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    shutil.copy(_migrated_sqlite(), tmp_path / "aria.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'aria.db'}")
    sessions = unit_of_work_factory(engine)
    readers = read_only_factory(engine)
    context = Context(
        uow=lambda: SqlUnitOfWork(sessions, SystemClock().now),
        reader=lambda: SqlUnitOfWork(readers, SystemClock().now, read_only=True),
        clock=SystemClock(),
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
        yield Api(client, context, **{name: _headers(key.token) for name, key in keys.items()})
    engine.dispose()


def _database(backend: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'aria.db'}"
        engine = make_engine(url)
        upgrade(engine)
        yield url, engine
        engine.dispose()
        return
    _require_postgres()
    schema = f"aria_e2e_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield url, engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated database a server process can open (its URL and an engine): a SQLite file
    or a PostgreSQL schema."""
    yield from _database(request.param, tmp_path)


@pytest.fixture
def postgres_database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated PostgreSQL schema several processes can share."""
    yield from _database("postgres", tmp_path)
