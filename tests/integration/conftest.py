"""Real databases for integration tests: a fresh SQLite file, or a fresh PostgreSQL schema.

Every test gets its own database, migrated with the real Alembic migrations, and drops it
afterwards. PostgreSQL tests run against ``ARIA_TEST_POSTGRES_URL`` (default: the local
server with trust auth); when it does not answer they are skipped — except in CI
(``ARIA_CI=1``), where they fail, so a run without PostgreSQL can never pass.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from aria.service.context import Context
from storage.engine import make_engine
from storage.schema import upgrade
from tests.clocks import SettableClock
from tests.databases import POSTGRES_URL, make_context, require_postgres
from tests.templates import postgres_copy


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test copies it (migrations are tested on their own)."""
    path = tmp_path_factory.mktemp("template") / "aria.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _sqlite(template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "aria.db"
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _postgres(migrate: bool = True) -> Iterator[Engine]:
    require_postgres()
    if migrate:  # a copy of the database migrated once for the run
        for _, engine in postgres_copy(POSTGRES_URL, pool_size=20, max_overflow=10):
            yield engine
        return
    schema = f"aria_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    engine = make_engine(
        f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}", pool_size=20, max_overflow=10
    )
    try:
        if migrate:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        yield from _sqlite(sqlite_template, tmp_path)
    else:
        yield from _postgres()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database without any schema, on each backend (for migration tests)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield engine
        engine.dispose()
    else:
        yield from _postgres(migrate=False)


@pytest.fixture
def backend(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``."""
    return engine.dialect.name


@pytest.fixture
def ctx(engine: Engine, clock: SettableClock) -> Context:
    """The service context over the test's database, on the test's ``clock``."""
    return make_context(engine, clock=clock)
