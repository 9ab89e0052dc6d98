"""PostgreSQL roles: an owner that owns ARIA's tables and migrates them, and an application role.

The append-only trigger on the audit tables only holds against a role that does not own
them: an owner may ``ALTER TABLE … DISABLE TRIGGER``. So ARIA runs as an application role
that may only SELECT and INSERT on the audit tables (no UPDATE, DELETE, TRUNCATE, no
ownership, so no ALTER and no trigger switch) and do ordinary DML on its working tables,
while an owner role owns every table, runs the migrations, and is used by nobody else.

:func:`role_statements` writes the SQL; :func:`apply_roles` runs it. Both are idempotent:
run them again after each ``aria db upgrade`` so new tables are granted too (until then a
new table gives the application role SELECT and INSERT only, through the default
privileges, which fails safe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from storage.errors import StorageError

AUDIT_TABLES = ("sizing_decisions", "rule_events", "state_records")
READ_ONLY_TABLES = ("alembic_version",)  # the application checks the revision, never moves it
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class RolePlan:
    """Who owns, who runs, where, and the passwords to set (``None``: leave as they are)."""

    owner: str
    app: str
    schema: str = "public"
    owner_password: str | None = None
    app_password: str | None = None


def _name(value: str, what: str) -> str:
    # Names go into SQL as identifiers: plain lower-case names only, so nothing needs quoting.
    if not _NAME.match(value):
        raise StorageError(
            f"{what}: {value!r} is not a plain PostgreSQL name (lower-case letters, digits, _)"
        )
    return value


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def role_statements(
    plan: RolePlan,
    tables: list[str],
    functions: list[str],
    existing_roles: set[str],
) -> list[str]:
    """The SQL that sets the two roles up over these tables and functions of the schema."""
    owner, app, schema = (
        _name(plan.owner, "owner"),
        _name(plan.app, "app"),
        _name(plan.schema, "schema"),
    )
    if owner == app:
        raise StorageError("the owner and the application role must be two roles")
    limits = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    statements = []
    for role, password in ((owner, plan.owner_password), (app, plan.app_password)):
        if role not in existing_roles:
            statements.append(f"CREATE ROLE {role} LOGIN {limits}")
        statements.append(f"ALTER ROLE {role} LOGIN {limits}")
        if password is not None:
            statements.append(f"ALTER ROLE {role} PASSWORD {_literal(password)}")
    # Membership would hand the application role the owner's rights.
    statements += [f"REVOKE {owner} FROM {app}", f"REVOKE {app} FROM {owner}"]
    statements += [
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {owner}",
        f"GRANT USAGE ON SCHEMA {schema} TO {app}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {app}",
    ]
    for table in tables:
        name = _name(table, "table")
        statements.append(f"ALTER TABLE {schema}.{name} OWNER TO {owner}")
        statements.append(f"REVOKE ALL ON TABLE {schema}.{name} FROM {app}")
        if name in AUDIT_TABLES:
            rights = "SELECT, INSERT"
        elif name in READ_ONLY_TABLES:
            rights = "SELECT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {rights} ON TABLE {schema}.{name} TO {app}")
    for function in functions:
        statements.append(
            f"ALTER FUNCTION {schema}.{_name(function, 'function')}() OWNER TO {owner}"
        )
    statements += [
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
        # Tables a later migration creates: read and append only, until this is run again.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
        f" GRANT SELECT, INSERT ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
        f" GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    return statements


def plan_roles(connection: Connection, plan: RolePlan) -> list[str]:
    """The statements :func:`apply_roles` would run on this database, without running them."""
    if connection.dialect.name != "postgresql":
        raise StorageError("roles are a PostgreSQL setup; SQLite has no roles")
    if plan.app == connection.execute(sa.text("select current_user")).scalar():
        raise StorageError(f"{plan.app!r} is the role running this; name another application role")
    tables = list(
        connection.execute(
            sa.text("select tablename from pg_tables where schemaname = :s order by tablename"),
            {"s": plan.schema},
        ).scalars()
    )
    functions = list(
        connection.execute(
            sa.text(
                "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                " where n.nspname = :s and p.proname like 'aria\\_%' order by p.proname"
            ),
            {"s": plan.schema},
        ).scalars()
    )
    roles = set(
        connection.execute(
            sa.text("select rolname from pg_roles where rolname in (:o, :a)"),
            {"o": plan.owner, "a": plan.app},
        ).scalars()
    )
    return role_statements(plan, tables, functions, roles)


def apply_roles(connection: Connection, plan: RolePlan) -> list[str]:
    """Create or update the owner and application roles and their rights; returns the SQL run.

    Run it as a superuser (or a role that may create roles and owns the tables), in one
    transaction: the caller commits.
    """
    statements = plan_roles(connection, plan)
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements
