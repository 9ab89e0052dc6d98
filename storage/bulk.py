"""Many rows in one go: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

psycopg runs an ``executemany`` as one statement per row (pipelined), whose per-row cost
dominates a fan-out's writes; ``COPY`` streams the rows instead. Values go through each
column's own bind processing first, so the checks of :mod:`storage.types` (finite
decimals, aware times) and JSON encoding apply exactly as they do for any other write.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (column name → value) into ``table`` within the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        connection.execute(_plain_insert(table), list(rows))
        return
    import psycopg  # only here: a SQLite install never loads the PostgreSQL driver

    names = tuple(rows[0])
    statement, processors = _copy(table, names, dialect)
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        process(row[name]) if process is not None else row[name]
                        for name, process in zip(names, processors, strict=True)
                    ]
                )
    except psycopg.Error as exc:
        # COPY runs on the driver's own cursor, where SQLAlchemy does not wrap errors: wrap
        # it as SQLAlchemy would (a lost connection invalidated, a unique key an
        # IntegrityError), so the unit of work translates it like any other statement's.
        if driver.closed:
            connection.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, psycopg.Error, connection_invalidated=driver.closed
        ) from exc


def insert_new(
    session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]], key: str
) -> None:
    """Insert the ``rows`` whose ``key`` is not in ``table`` yet (concurrent writers welcome)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    # Most rows are usually there already (a fan-out's shared parts): look first, so the
    # database does not build, compress and throw away a row per conflict.
    wanted = [row[key] for row in rows]
    known = set(connection.execute(_known(table, key), {"keys": wanted}).scalars())
    rows = [row for row in rows if row[key] not in known]
    if not rows:
        return
    if dialect.name != "postgresql":
        connection.execute(_insert_missing_sqlite(table, key), list(rows))
        return
    # One statement whatever the count: the rows travel as one array per column.
    names = tuple(rows[0])
    arrays = _arrays(table, names, rows, dialect)
    connection.execute(_insert_missing_postgresql(table, names, key, dialect), arrays)


def update_rows(
    session: Session,
    table: sa.Table,
    key: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    postgresql_returning: str = "",
) -> None:
    """Set columns of the rows identified by ``key`` (each mapping: the key, then new values).

    ``postgresql_returning``: a ``RETURNING`` list over the table and the new values ``v``,
    evaluated per row on PostgreSQL (for a side effect in the same round trip)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = tuple(name for name in rows[0] if name != key)
    if dialect.name != "postgresql":
        connection.execute(
            _update_sqlite(table, key, names),
            [{f"b_{k}": v for k, v in row.items()} for row in rows],
        )
        return
    arrays = _arrays(table, (key, *names), rows, dialect)
    connection.execute(_update_postgresql(table, key, names, dialect, postgresql_returning), arrays)


# Each statement is built once per table and column set (and dialect): a request only binds
# values, and SQLAlchemy finds the compiled form in its cache at once. The tables and column
# sets are the code's own, so a few dozen entries hold them all.


@functools.lru_cache(maxsize=64)
def _plain_insert(table: sa.Table) -> Any:
    return table.insert()


@functools.lru_cache(maxsize=64)
def _known(table: sa.Table, key: str) -> Any:
    return sa.select(table.c[key]).where(table.c[key].in_(sa.bindparam("keys", expanding=True)))


@functools.lru_cache(maxsize=64)
def _insert_missing_sqlite(table: sa.Table, key: str) -> Any:
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=[key])


def _unnest(table: sa.Table, names: Sequence[str], dialect: Any) -> str:
    return ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect)}[])" for name in names)


@functools.lru_cache(maxsize=64)
def _insert_missing_postgresql(
    table: sa.Table, names: tuple[str, ...], key: str, dialect: Any
) -> sa.TextClause:
    quote = dialect.identifier_preparer.quote
    sources = _unnest(table, names, dialect)
    return sa.text(
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)}"
        f" ({', '.join(quote(n) for n in names)}) SELECT * FROM unnest({sources})"
        f" ON CONFLICT ({quote(key)}) DO NOTHING"
    )


@functools.lru_cache(maxsize=64)
def _update_sqlite(table: sa.Table, key: str, names: tuple[str, ...]) -> Any:
    return (
        table.update()
        .where(table.c[key] == sa.bindparam(f"b_{key}"))
        .values({name: sa.bindparam(f"b_{name}") for name in names})
    )


@functools.lru_cache(maxsize=64)
def _update_postgresql(
    table: sa.Table, key: str, names: tuple[str, ...], dialect: Any, returning: str
) -> sa.TextClause:
    quote = dialect.identifier_preparer.quote
    every = (key, *names)
    assignments = ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names)
    target = dialect.identifier_preparer.format_table(table)
    return sa.text(
        f"UPDATE {target} SET {assignments}"
        f" FROM unnest({_unnest(table, every, dialect)}) AS v({', '.join(quote(n) for n in every)})"
        f" WHERE {target}.{quote(key)} = v.{quote(key)}"
        + (f" RETURNING {returning}" if returning else "")
    )


@functools.lru_cache(maxsize=64)
def _copy(table: sa.Table, names: tuple[str, ...], dialect: Any) -> tuple[str, list[Any]]:
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN"
    return statement, [table.c[name].type.bind_processor(dialect) for name in names]


@functools.lru_cache(maxsize=64)
def _processors(table: sa.Table, names: tuple[str, ...], dialect: Any) -> dict[str, Any]:
    return {name: table.c[name].type.bind_processor(dialect) for name in names}


def _arrays(
    table: sa.Table, names: tuple[str, ...], rows: Sequence[Mapping[str, Any]], dialect: Any
) -> dict[str, list[Any]]:
    processors = _processors(table, names, dialect)
    arrays: dict[str, list[Any]] = {}
    for name in names:
        process = processors[name]
        arrays[name] = [process(row[name]) if process is not None else row[name] for row in rows]
    return arrays
