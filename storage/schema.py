"""The schema's life cycle: Alembic migrations run programmatically, and checks of the revision."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from storage.errors import SchemaError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision under storage/migrations. Every process checks the database against it
# at start; reading it from the scripts would load Alembic and every migration module first
# (about a tenth of a second, paid by each `aria size`). A test holds it equal to Alembic's head.
CODE_REVISION = "0015"


def alembic_config() -> Config:
    """An Alembic config pointing at ``storage/migrations``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "storage:migrations")
    return config


def head_revision() -> str:
    """The newest revision the migration scripts hold (read through Alembic)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise SchemaError(f"the migrations have {len(heads)} heads; there must be exactly one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` when it has no schema)."""
    # Alembic's own version table, read directly (what MigrationContext reads).
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` over one connection, in one transaction."""
    from alembic import command

    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    from alembic import command

    _migrate(engine, lambda config: command.downgrade(config, revision))


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    config = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        # SQLite changes a column by copying its table; with foreign keys on, dropping the
        # old copy would count every row referring to it as a violation. SQLite's own
        # procedure: keys off outside the transaction, then foreign_key_check before commit.
        if sqlite:
            _pragma(connection, "foreign_keys = OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise SchemaError(
                            f"the migration left a row of {broken[0]} referring to a missing"
                            f" row of {broken[2]}; nothing was changed"
                        )
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys = ON")


def _pragma(connection: Connection, setting: str) -> None:
    # On the driver's connection, outside any transaction: a PRAGMA on foreign keys does
    # nothing inside one.
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


def ensure_current(engine: Engine) -> None:
    """Raise :class:`SchemaError` unless the database is at the code's revision."""
    current, head = current_revision(engine), CODE_REVISION
    if current != head:
        state = "has no schema" if current is None else f"is at revision {current}"
        raise SchemaError(f"the database {state}, the code needs {head}: run 'aria db upgrade'")
