"""Databases migrated once per test run, copied for each test: a SQLite file, and a PostgreSQL
database used as the template of each test's own database.

Migrating takes far longer than copying, and every test would otherwise migrate its own
database; the migrations are tested on their own (``tests/integration/test_migrations.py``).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine

from storage.engine import make_engine
from storage.schema import upgrade


@functools.cache
def migrated_sqlite() -> Path:
    """A SQLite file migrated once per run (removed when the run ends); copy it, never open it."""
    path = Path(tempfile.mkdtemp(prefix="aria-template-")) / "aria.db"
    atexit.register(shutil.rmtree, path.parent, True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection folds the WAL back into the file
    return path


def sqlite_copy(directory: Path) -> str:
    """The URL of a fresh copy of the migrated SQLite file in ``directory``."""
    path = directory / "aria.db"
    shutil.copy(migrated_sqlite(), path)
    return f"sqlite:///{path}"


def _with_database(server_url: str, name: str) -> str:
    url = sa.engine.make_url(server_url).set(database=name)
    return url.render_as_string(hide_password=False)


@functools.cache
def _postgres_template(server_url: str) -> str:
    """A database on the server migrated once per run (dropped when the run ends)."""
    name = f"aria_template_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    atexit.register(_drop, server_url, name)
    engine = make_engine(_with_database(server_url, name))
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # a template may have no open connection while it is copied
        admin.dispose()
    return name


def _drop(server_url: str, name: str) -> None:
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_copy(server_url: str, **options: object) -> Iterator[tuple[str, Engine]]:
    """A fresh database copied from the migrated template (its URL and an engine made with
    ``options``), dropped afterwards."""
    template = _postgres_template(server_url)
    name = f"aria_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = _with_database(server_url, name)
    engine = make_engine(url, **options)
    try:
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
