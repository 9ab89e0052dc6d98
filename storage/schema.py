"""The schema's life cycle: Alembic migrations run programmatically, and checks of the revision."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storage.errors import SchemaError


def alembic_config() -> Config:
    """An Alembic config pointing at ``storage/migrations``."""
    config = Config()
    config.set_main_option("script_location", "storage:migrations")
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise SchemaError(f"the migrations have {len(heads)} heads; there must be exactly one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` when it has no schema)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` over one connection."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def ensure_current(engine: Engine) -> None:
    """Raise :class:`SchemaError` unless the database is at the code's revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has no schema" if current is None else f"is at revision {current}"
        raise SchemaError(f"the database {state}, the code needs {head}: run 'aria db upgrade'")
