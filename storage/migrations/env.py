"""Alembic environment: migrations run over the connection the caller passes (storage.schema)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from storage.rows import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate over the given connection, or one made from ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from storage.engine import make_engine, normalise_url

    url = normalise_url(config.get_main_option("sqlalchemy.url") or "")
    if not url:
        engine = engine_from_config(
            config.get_section(config.config_ini_section) or {}, poolclass=pool.NullPool
        )
    else:
        engine = make_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("ARIA's migrations run online only: use 'aria db upgrade'")
run_online()
